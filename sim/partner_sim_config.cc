// The partner simulator's configuration: YAML (or JSON) into PartnerSimOptions, and
// PartnerFaults back out as JSON.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>

#include "base/status_macros.h"
#include "base/strings.h"
#include "fmt/format.h"
#include "sim/partner_sim.h"

namespace disthub {
namespace {

// A check on a value just read: "" when fine, otherwise what is wrong.
template <typename T>
using Check = std::function<std::string(const T&)>;

std::string Rate(const double& v) {
  return v >= 0 && v <= 1 ? "" : "must be a probability from 0 to 1";
}
std::string NonNegative(const double& v) { return v >= 0 ? "" : "must not be negative"; }
std::string ErrorStatus(const int& v) { return v >= 400 && v <= 599 ? "" : "must be 400 to 599"; }
std::string RejectStatus(const int& v) { return v >= 400 && v <= 499 ? "" : "must be 400 to 499"; }

// Reads one YAML mapping, remembering the keys it consumed so the rest can be reported
// as unknown (with their line). Errors accumulate in `errors`.
class Reader {
 public:
  Reader(const YAML::Node& node, std::string path, const std::string& file,
         std::vector<std::string>* errors)
      : node_(node), path_(std::move(path)), file_(file), errors_(errors) {
    if (node_ && !node_.IsMap() && !node_.IsNull()) {
      Error(node_, path_.empty() ? "the document" : path_, "must be a mapping of keys to values");
      ok_ = false;
    }
  }

  ~Reader() {
    if (!ok_ || !node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>("");
      if (known_.count(key)) continue;
      std::string list;
      for (const auto& k : order_) list += (list.empty() ? "" : ", ") + k;
      Error(kv.first, Join(key), StrCat("unknown key (known here: ", list, ")"));
    }
  }

  template <typename T>
  void Get(const std::string& key, T& out, Check<T> check = nullptr) {
    YAML::Node v = Take(key);
    if (!v || v.IsNull()) return;
    T value = out;
    if (!Read(v, Join(key), value)) return;
    if (check) {
      if (std::string problem = check(value); !problem.empty()) return Error(v, Join(key), problem);
    }
    out = std::move(value);
  }

  template <typename Fn>
  void Section(const std::string& key, Fn fn) {
    YAML::Node v = Take(key);
    if (!ok_) return;
    Reader sub(v, Join(key), file_, errors_);
    fn(sub);
  }

  template <typename T, typename Fn>
  void List(const std::string& key, std::vector<T>& out, Fn fn) {
    YAML::Node v = Take(key);
    if (!v || v.IsNull()) return;
    if (!v.IsSequence()) return Error(v, Join(key), "must be a list");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      Reader item(v[i], StrCat(Join(key), "[", static_cast<int64_t>(i), "]"), file_, errors_);
      T t;
      fn(item, t);
      out.push_back(std::move(t));
    }
  }

  void Error(const YAML::Node& at, const std::string& path, const std::string& message) {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    errors_->push_back(StrCat(file_, line > 0 ? StrCat(":", line) : "", ": ", path, ": ", message));
  }
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node Take(const std::string& key) {
    known_.insert(key);
    order_.push_back(key);
    if (!ok_ || !node_ || !node_.IsMap()) return YAML::Node();
    return node_[key];
  }

  std::string Join(const std::string& key) const {
    return path_.empty() ? key : StrCat(path_, ".", key);
  }

  bool Read(const YAML::Node& v, const std::string& path, std::string& out) {
    if (!v.IsScalar()) return Fail(v, path, "must be a string");
    out = v.Scalar();
    return true;
  }
  bool Read(const YAML::Node& v, const std::string& path, int64_t& out) {
    if (!v.IsScalar()) return Fail(v, path, "must be an integer");
    const std::string& s = v.Scalar();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno == ERANGE) {
      return Fail(v, path, StrCat("must be an integer, not \"", s, "\""));
    }
    out = n;
    return true;
  }
  bool Read(const YAML::Node& v, const std::string& path, int& out) {
    int64_t wide = 0;
    if (!Read(v, path, wide)) return false;
    if (wide < INT32_MIN || wide > INT32_MAX) return Fail(v, path, "is out of range");
    out = static_cast<int>(wide);
    return true;
  }
  bool Read(const YAML::Node& v, const std::string& path, uint64_t& out) {
    int64_t wide = 0;
    if (!Read(v, path, wide)) return false;
    if (wide < 0) return Fail(v, path, "must not be negative");
    out = static_cast<uint64_t>(wide);
    return true;
  }
  bool Read(const YAML::Node& v, const std::string& path, double& out) {
    if (!v.IsScalar()) return Fail(v, path, "must be a number");
    const std::string& s = v.Scalar();
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(d)) {
      return Fail(v, path, StrCat("must be a number, not \"", s, "\""));
    }
    out = d;
    return true;
  }
  bool Read(const YAML::Node& v, const std::string& path, std::vector<std::string>& out) {
    if (!v.IsSequence()) return Fail(v, path, "must be a list of strings");
    out.clear();
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) {
        ok = Fail(v[i], StrCat(path, "[", static_cast<int64_t>(i), "]"), "must be a string");
        continue;
      }
      out.push_back(v[i].Scalar());
    }
    return ok;
  }

  bool Fail(const YAML::Node& at, const std::string& path, const std::string& message) {
    Error(at, path, message);
    return false;
  }

  YAML::Node node_;
  std::string path_;
  const std::string& file_;
  std::vector<std::string>* errors_;
  std::set<std::string> known_;
  std::vector<std::string> order_;
  bool ok_ = true;
};

void ReadFaults(Reader& r, PartnerFaults& f) {
  r.Get<double>("error_rate", f.error_rate, Rate);
  r.Get<int>("error_status", f.error_status, ErrorStatus);
  r.Get<double>("timeout_rate", f.timeout_rate, Rate);
  r.Get<double>("timeout_hold_seconds", f.timeout_hold_seconds, NonNegative);
  r.Get<double>("reset_rate", f.reset_rate, Rate);
  r.Get<double>("ack_loss_rate", f.ack_loss_rate, Rate);
  r.Get<double>("slow_rate", f.slow_rate, Rate);
  r.Get<int>("slow_ms", f.slow_ms, [](const int& v) {
    return v >= 0 ? std::string() : std::string("must not be negative");
  });
  r.Section("quota", [&](Reader& q) {
    q.Get<double>("rate", f.quota.rate, NonNegative);
    q.Get<double>("burst", f.quota.burst, NonNegative);
    q.Get<int>("retry_after_seconds", f.quota.retry_after_seconds, [](const int& v) {
      return v >= 0 ? std::string() : std::string("must not be negative");
    });
  });
  r.List("down", f.down, [](Reader& w, PartnerDownWindow& d) {
    w.Get<double>("after_seconds", d.after_seconds, NonNegative);
    w.Get<double>("for_seconds", d.for_seconds, NonNegative);
  });
  r.Section("reject", [&](Reader& j) {
    j.Get<std::vector<std::string>>("body_contains", f.reject.body_contains);
    j.Get<int>("status", f.reject.status, RejectStatus);
  });
}

absl::StatusOr<YAML::Node> LoadYaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        StrCat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
}

absl::Status Errors(const std::vector<std::string>& errors) {
  std::string all;
  for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
  return absl::InvalidArgumentError(all);
}

}  // namespace

absl::StatusOr<PartnerSimOptions> ParsePartnerSimConfig(const std::string& yaml,
                                                        const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, file));
  PartnerSimOptions o;
  std::vector<std::string> errors;
  {
    Reader top(root, "", file, &errors);
    top.Get<std::string>("listen", o.listen);
    top.Get<int>("io_threads", o.io_threads, [](const int& v) {
      return v >= 1 && v <= 64 ? std::string() : std::string("must be 1 to 64");
    });
    top.Get<std::string>("key_header", o.key_header, [](const std::string& v) {
      return v.empty() ? std::string("must not be empty") : std::string();
    });
    top.Get<uint64_t>("seed", o.seed);
    top.Get<std::vector<std::string>>("record_headers", o.record_headers);
    top.Get<int64_t>("max_messages", o.max_messages, [](const int64_t& v) {
      return v >= 0 ? std::string() : std::string("must not be negative");
    });
    top.Get<int64_t>("max_body_bytes", o.max_body_bytes, [](const int64_t& v) {
      return v >= 1024 ? std::string() : std::string("must be at least 1024");
    });
    top.Get<int>("idle_timeout_seconds", o.idle_timeout_seconds, [](const int& v) {
      return v >= 1 ? std::string() : std::string("must be at least 1");
    });
    top.Section("faults", [&](Reader& r) { ReadFaults(r, o.faults); });
  }
  if (!errors.empty()) return Errors(errors);
  if (absl::Status s = ValidatePartnerFaults(o.faults); !s.ok()) return Annotate(s, file);
  return o;
}

absl::StatusOr<PartnerFaults> ParsePartnerFaults(const std::string& yaml_or_json,
                                                 const std::string& source) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml_or_json, source));
  PartnerFaults f;
  std::vector<std::string> errors;
  {
    Reader top(root, "faults", source, &errors);
    ReadFaults(top, f);
  }
  if (!errors.empty()) return Errors(errors);
  DISTHUB_RETURN_IF_ERROR(ValidatePartnerFaults(f));
  return f;
}

absl::Status ValidatePartnerFaults(const PartnerFaults& f) {
  auto rate = [](std::string_view name, double v) -> absl::Status {
    if (v >= 0 && v <= 1) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat("faults.", name, ": must be a probability from 0 to 1"));
  };
  DISTHUB_RETURN_IF_ERROR(rate("error_rate", f.error_rate));
  DISTHUB_RETURN_IF_ERROR(rate("timeout_rate", f.timeout_rate));
  DISTHUB_RETURN_IF_ERROR(rate("reset_rate", f.reset_rate));
  DISTHUB_RETURN_IF_ERROR(rate("ack_loss_rate", f.ack_loss_rate));
  DISTHUB_RETURN_IF_ERROR(rate("slow_rate", f.slow_rate));
  auto fail = [](std::string_view field, std::string_view message) {
    return absl::InvalidArgumentError(StrCat("faults.", field, ": ", message));
  };
  if (f.error_status < 400 || f.error_status > 599) return fail("error_status", "must be 400 to 599");
  if (!(f.timeout_hold_seconds >= 0)) return fail("timeout_hold_seconds", "must not be negative");
  if (f.slow_ms < 0) return fail("slow_ms", "must not be negative");
  if (!(f.quota.rate >= 0)) return fail("quota.rate", "must not be negative");
  if (!(f.quota.burst >= 0)) return fail("quota.burst", "must not be negative");
  if (f.quota.retry_after_seconds < 0) return fail("quota.retry_after_seconds", "must not be negative");
  for (size_t i = 0; i < f.down.size(); ++i) {
    if (!(f.down[i].after_seconds >= 0) || !(f.down[i].for_seconds >= 0)) {
      return fail(StrCat("down[", static_cast<int64_t>(i), "]"), "seconds must not be negative");
    }
  }
  if (f.reject.status < 400 || f.reject.status > 499) return fail("reject.status", "must be 400 to 499");
  return absl::OkStatus();
}

std::string PartnerFaultsToJson(const PartnerFaults& f) {
  // Written by hand so numbers read as written (boost::json prints 0.5 as 5E-1).
  auto num = [](double v) { return fmt::format("{}", v); };
  std::string down;
  for (const PartnerDownWindow& w : f.down) {
    down += StrCat(down.empty() ? "" : ",", "{\"after_seconds\":", num(w.after_seconds),
                   ",\"for_seconds\":", num(w.for_seconds), "}");
  }
  std::string contains;
  for (const std::string& s : f.reject.body_contains) {
    contains += StrCat(contains.empty() ? "" : ",", boost::json::serialize(boost::json::string_view(s)));
  }
  return StrCat("{\"error_rate\":", num(f.error_rate), ",\"error_status\":", f.error_status,
                ",\"timeout_rate\":", num(f.timeout_rate),
                ",\"timeout_hold_seconds\":", num(f.timeout_hold_seconds),
                ",\"reset_rate\":", num(f.reset_rate), ",\"ack_loss_rate\":", num(f.ack_loss_rate),
                ",\"slow_rate\":", num(f.slow_rate), ",\"slow_ms\":", f.slow_ms,
                ",\"quota\":{\"rate\":", num(f.quota.rate), ",\"burst\":", num(f.quota.burst),
                ",\"retry_after_seconds\":", f.quota.retry_after_seconds, "},\"down\":[", down,
                "],\"reject\":{\"body_contains\":[", contains, "],\"status\":", f.reject.status,
                "}}");
}

}  // namespace disthub
