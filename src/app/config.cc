#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace disthub {
namespace {

// Reads one YAML mapping into a struct, remembering which keys it consumed so the
// rest can be reported as unknown. Errors accumulate in `errors`.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, const std::string& file,
            std::vector<std::string>* errors)
      : node_(node), path_(std::move(path)), file_(file), errors_(errors) {
    if (node_ && !node_.IsMap() && !node_.IsNull()) {
      Error(node_, path_, "must be a mapping of keys to values");
      ok_ = false;
    }
  }

  // Reports keys nobody asked for.
  ~MapReader() {
    if (!ok_ || !node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>("");
      if (!known_.count(key)) {
        std::string list;
        for (const auto& k : order_) list += (list.empty() ? "" : ", ") + k;
        Error(kv.first, Join(key), StrCat("unknown key (known here: ", list, ")"));
      }
    }
  }

  template <typename T>
  void Get(const std::string& key, T& out, bool required = false) {
    known_.insert(key);
    order_.push_back(key);
    if (!ok_) return;
    YAML::Node v = node_ ? node_[key] : YAML::Node();
    if (!v || v.IsNull()) {
      if (required) Error(node_, Join(key), "is required");
      return;
    }
    Read(v, Join(key), out);
  }

  // A nested mapping, read by `fn(MapReader&)`.
  template <typename Fn>
  void Section(const std::string& key, Fn fn) {
    known_.insert(key);
    order_.push_back(key);
    if (!ok_) return;
    YAML::Node v = node_ ? node_[key] : YAML::Node();
    MapReader sub(v, Join(key), file_, errors_);
    fn(sub);
  }

  // A sequence of mappings, each read by `fn(MapReader&, T&)`.
  template <typename T, typename Fn>
  void List(const std::string& key, std::vector<T>& out, Fn fn) {
    known_.insert(key);
    order_.push_back(key);
    if (!ok_) return;
    YAML::Node v = node_ ? node_[key] : YAML::Node();
    if (!v || v.IsNull()) return;
    if (!v.IsSequence()) return Error(v, Join(key), "must be a list");
    for (size_t i = 0; i < v.size(); ++i) {
      MapReader item(v[i], StrCat(Join(key), "[", static_cast<int64_t>(i), "]"), file_, errors_);
      T t;
      fn(item, t);
      out.push_back(std::move(t));
    }
  }

  void Error(const YAML::Node& at, const std::string& path, const std::string& message) {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    errors_->push_back(StrCat(file_, line > 0 ? StrCat(":", line) : "", ": ", path, ": ", message));
  }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }

 private:
  std::string Join(const std::string& key) const {
    return path_.empty() ? key : StrCat(path_, ".", key);
  }

  void Read(const YAML::Node& v, const std::string& path, std::string& out) {
    if (!v.IsScalar()) return Error(v, path, "must be a string");
    out = v.Scalar();
  }
  void Read(const YAML::Node& v, const std::string& path, int& out) {
    int64_t wide = 0;
    Read(v, path, wide);
    if (wide < INT32_MIN || wide > INT32_MAX) return Error(v, path, "is out of range");
    out = static_cast<int>(wide);
  }
  void Read(const YAML::Node& v, const std::string& path, int64_t& out) {
    if (!v.IsScalar()) return Error(v, path, "must be an integer");
    const std::string& s = v.Scalar();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno == ERANGE) {
      return Error(v, path, StrCat("must be an integer, not \"", s, "\""));
    }
    out = n;
  }
  void Read(const YAML::Node& v, const std::string& path, double& out) {
    if (!v.IsScalar()) return Error(v, path, "must be a number");
    const std::string& s = v.Scalar();
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno == ERANGE) {
      return Error(v, path, StrCat("must be a number, not \"", s, "\""));
    }
    out = d;
  }
  void Read(const YAML::Node& v, const std::string& path, bool& out) {
    if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
      return Error(v, path, "must be true or false");
    }
    out = v.Scalar() == "true";
  }
  void Read(const YAML::Node& v, const std::string& path, absl::Duration& out) {
    int64_t ms = 0;
    size_t before = errors_->size();
    Read(v, path, ms);
    if (errors_->size() == before) out = absl::Milliseconds(ms);
  }
  void Read(const YAML::Node& v, const std::string& path, std::vector<std::string>& out) {
    if (!v.IsSequence()) return Error(v, path, "must be a list of strings");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) {
        Error(v[i], StrCat(path, "[", static_cast<int64_t>(i), "]"), "must be a string");
        continue;
      }
      out.push_back(v[i].Scalar());
    }
  }

  YAML::Node node_;
  std::string path_;
  const std::string& file_;
  std::vector<std::string>* errors_;
  std::set<std::string> known_;
  std::vector<std::string> order_;
  bool ok_ = true;
};

// Checks that need the whole configuration.
void Validate(const Config& c, std::vector<std::string>& errors) {
  auto fail = [&](const std::string& path, const std::string& msg) {
    errors.push_back(StrCat(c.file, ": ", path, ": ", msg));
  };
  if (auto l = SplitListen(c.server.listen); !l.ok()) fail("server.listen", std::string(l.status().message()));
  if (c.server.io_threads < 1 || c.server.io_threads > 64) fail("server.io_threads", "must be 1 to 64");
  if (c.server.max_body_bytes < 1024) fail("server.max_body_bytes", "must be at least 1024");
  if (c.server.idle_timeout_seconds < 1) fail("server.idle_timeout_seconds", "must be at least 1");
  if (c.store.backend != "sqlite") {
    fail("store.backend", StrCat("\"", c.store.backend, "\" is not available; use \"sqlite\""));
  }
  if (c.store.data_dir.empty()) fail("store.data_dir", "must not be empty");
  if (c.store.synchronous != "full" && c.store.synchronous != "normal") {
    fail("store.synchronous", "must be \"full\" or \"normal\"");
  }
  if (c.store.max_batch < 1 || c.store.max_batch > 100'000) fail("store.max_batch", "must be 1 to 100000");
  if (c.store.max_pending < 1) fail("store.max_pending", "must be at least 1");
  if (c.store.read_connections < 1 || c.store.read_connections > 64) {
    fail("store.read_connections", "must be 1 to 64");
  }

  std::set<std::string> channels;
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const ChannelConfig& ch = c.channels[i];
    std::string at = StrCat("channels[", static_cast<int64_t>(i), "]");
    if (ch.name.empty()) fail(at + ".name", "is required");
    if (!channels.insert(ch.name).second) fail(at + ".name", StrCat("\"", ch.name, "\" is defined twice"));
    if (ch.kind != "api") fail(at + ".kind", StrCat("\"", ch.kind, "\" is not a known kind; use \"api\""));
    if (ch.currencies.empty()) fail(at + ".currencies", "must list at least one currency");
    for (const std::string& cur : ch.currencies) {
      if (cur.size() != 3 || !std::all_of(cur.begin(), cur.end(), [](char x) { return x >= 'A' && x <= 'Z'; })) {
        fail(at + ".currencies", StrCat("\"", cur, "\" is not an ISO 4217 code"));
      }
    }
  }
  if (c.channels.empty()) fail("channels", "configure at least one sales channel");

  const std::set<std::string> scopes = {"orders:read", "orders:write", "events:read",
                                        "operations:write"};
  std::set<std::string> partners;
  for (size_t i = 0; i < c.partners.size(); ++i) {
    const PartnerConfig& p = c.partners[i];
    std::string at = StrCat("partners[", static_cast<int64_t>(i), "]");
    if (p.name.empty()) fail(at + ".name", "is required");
    if (!partners.insert(p.name).second) fail(at + ".name", StrCat("\"", p.name, "\" is defined twice"));
    for (const std::string& s : p.scopes) {
      if (!scopes.count(s)) fail(at + ".scopes", StrCat("\"", s, "\" is not a scope (orders:read, orders:write, events:read, operations:write)"));
    }
    for (const std::string& ch : p.channels) {
      if (!channels.count(ch)) fail(at + ".channels", StrCat("\"", ch, "\" is not a configured channel"));
    }
    if (p.api_keys.empty()) fail(at + ".api_keys", "give the partner at least one key");
    for (size_t k = 0; k < p.api_keys.size(); ++k) {
      const ApiKeyConfig& key = p.api_keys[k];
      std::string kat = StrCat(at, ".api_keys[", static_cast<int64_t>(k), "]");
      if (key.id.empty()) fail(kat + ".id", "is required");
      if (key.key_env.empty() == key.key_sha256.empty()) {
        fail(kat, "set exactly one of key_env (an environment variable holding the key) or key_sha256");
      }
    }
  }

  std::set<std::string> subscribers;
  for (size_t i = 0; i < c.subscribers.size(); ++i) {
    const SubscriberConfig& s = c.subscribers[i].subscriber;
    const DeliveryPolicy& p = s.policy;
    std::string at = StrCat("subscribers[", static_cast<int64_t>(i), "]");
    if (s.name.empty()) fail(at + ".name", "is required");
    if (!subscribers.insert(s.name).second) fail(at + ".name", StrCat("\"", s.name, "\" is defined twice"));
    if (!s.url.starts_with("http://") && !s.url.starts_with("https://")) {
      fail(at + ".url", StrCat("\"", s.url, "\" must start with http:// or https://"));
    }
    if (s.events.empty()) fail(at + ".events", "list the event types it receives (\"order.*\")");
    if (s.key_header.empty()) fail(at + ".key_header", "must name a header");
    for (const auto& h : c.subscribers[i].headers) {
      if (h.name.empty() || h.value_env.empty()) fail(at + ".headers", "each header needs name and value_env");
    }
    std::string d = at + ".delivery";
    if (p.concurrency < 1 || p.concurrency > 1024) fail(d + ".concurrency", "must be 1 to 1024");
    if (p.rate_per_second < 0) fail(d + ".rate_per_second", "must be 0 (unlimited) or more");
    if (p.burst < 1) fail(d + ".burst", "must be at least 1");
    if (p.timeout <= absl::ZeroDuration()) fail(d + ".timeout_ms", "must be positive");
    if (p.connect_timeout <= absl::ZeroDuration()) fail(d + ".connect_timeout_ms", "must be positive");
    if (p.retry.initial <= absl::ZeroDuration()) fail(d + ".retry.initial_ms", "must be positive");
    if (p.retry.max < p.retry.initial) fail(d + ".retry.max_ms", "must be at least initial_ms");
    if (p.retry.multiplier < 1) fail(d + ".retry.multiplier", "must be at least 1");
    if (p.retry.jitter < 0 || p.retry.jitter >= 1) fail(d + ".retry.jitter", "must be 0 to below 1");
    if (p.retry.max_attempts < 1) fail(d + ".retry.max_attempts", "must be at least 1");
    if (p.retry.max_age <= absl::ZeroDuration()) fail(d + ".retry.max_age_seconds", "must be positive");
    if (p.circuit.failure_threshold < 1) fail(d + ".circuit.failure_threshold", "must be at least 1");
    if (p.circuit.open_for <= absl::ZeroDuration()) fail(d + ".circuit.open_ms", "must be positive");
    if (p.circuit.max_open < p.circuit.open_for) fail(d + ".circuit.max_open_ms", "must be at least open_ms");
  }
  if (c.delivery.max_in_memory < 100) fail("delivery.max_in_memory", "must be at least 100");
  if (c.delivery.poll_interval_ms < 1) fail("delivery.poll_interval_ms", "must be at least 1");
}

}  // namespace

EnvLookup RealEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<std::pair<std::string, int>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(StrCat("\"", listen, "\" must be HOST:PORT, e.g. 127.0.0.1:8080"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("\"", listen, "\": the port must be 0 to 65535"));
  }
  return std::make_pair(host, static_cast<int>(port));
}

absl::StatusOr<Config> ParseConfig(const std::string& yaml, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        StrCat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
  Config c;
  c.file = file;
  std::vector<std::string> errors;
  {
    MapReader top(root, "", file, &errors);
    top.Section("server", [&](MapReader& r) {
      r.Get("listen", c.server.listen);
      r.Get("io_threads", c.server.io_threads);
      r.Get("max_body_bytes", c.server.max_body_bytes);
      r.Get("idle_timeout_seconds", c.server.idle_timeout_seconds);
    });
    top.Section("store", [&](MapReader& r) {
      r.Get("backend", c.store.backend);
      r.Get("data_dir", c.store.data_dir);
      r.Get("synchronous", c.store.synchronous);
      r.Get("max_batch", c.store.max_batch);
      r.Get("max_pending", c.store.max_pending);
      r.Get("read_connections", c.store.read_connections);
    });
    top.Section("catalog", [&](MapReader& r) { r.Get("products_file", c.catalog.products_file); });
    top.List("channels", c.channels, [](MapReader& r, ChannelConfig& ch) {
      r.Get("name", ch.name, /*required=*/true);
      r.Get("kind", ch.kind);
      r.Get("currencies", ch.currencies);
    });
    top.List("partners", c.partners, [](MapReader& r, PartnerConfig& p) {
      r.Get("name", p.name, /*required=*/true);
      r.Get("scopes", p.scopes);
      r.Get("channels", p.channels);
      r.List("api_keys", p.api_keys, [](MapReader& k, ApiKeyConfig& key) {
        k.Get("id", key.id, /*required=*/true);
        k.Get("key_env", key.key_env);
        k.Get("key_sha256", key.key_sha256);
      });
    });
    top.List("subscribers", c.subscribers, [](MapReader& r, SubscriberEntry& e) {
      SubscriberConfig& s = e.subscriber;
      r.Get("name", s.name, /*required=*/true);
      r.Get("url", s.url, /*required=*/true);
      r.Get("events", s.events, /*required=*/true);
      r.Get("key_header", s.key_header);
      r.List("headers", e.headers, [](MapReader& h, SubscriberHeaderConfig& hc) {
        h.Get("name", hc.name, /*required=*/true);
        h.Get("value_env", hc.value_env, /*required=*/true);
      });
      r.Section("delivery", [&](MapReader& d) {
        DeliveryPolicy& p = s.policy;
        d.Get("concurrency", p.concurrency);
        d.Get("rate_per_second", p.rate_per_second);
        d.Get("burst", p.burst);
        d.Get("connect_timeout_ms", p.connect_timeout);
        d.Get("timeout_ms", p.timeout);
        d.Get("ordered", p.ordered);
        d.Section("retry", [&](MapReader& rr) {
          rr.Get("initial_ms", p.retry.initial);
          rr.Get("multiplier", p.retry.multiplier);
          rr.Get("max_ms", p.retry.max);
          rr.Get("jitter", p.retry.jitter);
          rr.Get("max_attempts", p.retry.max_attempts);
          int64_t age = absl::ToInt64Seconds(p.retry.max_age);
          rr.Get("max_age_seconds", age);
          p.retry.max_age = absl::Seconds(age);
        });
        d.Section("circuit", [&](MapReader& cr) {
          cr.Get("failure_threshold", p.circuit.failure_threshold);
          cr.Get("open_ms", p.circuit.open_for);
          cr.Get("max_open_ms", p.circuit.max_open);
        });
      });
    });
    top.Section("delivery", [&](MapReader& r) {
      r.Get("max_in_memory", c.delivery.max_in_memory);
      r.Get("poll_interval_ms", c.delivery.poll_interval_ms);
    });
  }
  if (errors.empty()) Validate(c, errors);
  if (!errors.empty()) {
    std::string all;
    for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
    return absl::InvalidArgumentError(all);
  }
  return c;
}

absl::StatusOr<Config> LoadConfig(const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(file), "the configuration file");
  return ParseConfig(text, file);
}

}  // namespace disthub
