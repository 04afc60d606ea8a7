// The partner simulator's configuration: YAML (or JSON) into PartnerSimOptions, and
// PartnerFaults back out as JSON.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>

#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/yaml_reader.h"
#include "fmt/format.h"
#include "sim/partner_sim.h"

namespace disthub {
namespace {


std::string Rate(const double& v) {
  return v >= 0 && v <= 1 ? "" : "must be a probability from 0 to 1";
}
std::string NonNegative(const double& v) { return v >= 0 ? "" : "must not be negative"; }
std::string ErrorStatus(const int& v) { return v >= 400 && v <= 599 ? "" : "must be 400 to 599"; }
std::string RejectStatus(const int& v) { return v >= 400 && v <= 499 ? "" : "must be 400 to 499"; }

void ReadFaults(YamlReader& r, PartnerFaults& f) {
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
  r.Section("quota", [&](YamlReader& q) {
    q.Get<double>("rate", f.quota.rate, NonNegative);
    q.Get<double>("burst", f.quota.burst, NonNegative);
    q.Get<int>("retry_after_seconds", f.quota.retry_after_seconds, [](const int& v) {
      return v >= 0 ? std::string() : std::string("must not be negative");
    });
  });
  r.List("down", f.down, [](YamlReader& w, PartnerDownWindow& d) {
    w.Get<double>("after_seconds", d.after_seconds, NonNegative);
    w.Get<double>("for_seconds", d.for_seconds, NonNegative);
  });
  r.Section("reject", [&](YamlReader& j) {
    j.Get<std::vector<std::string>>("body_contains", f.reject.body_contains);
    j.Get<int>("status", f.reject.status, RejectStatus);
  });
}

}  // namespace

absl::StatusOr<PartnerSimOptions> ParsePartnerSimConfig(
    const std::string& yaml, const std::string& file,
    const std::function<void(YamlReader& top)>& extra) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml, file));
  PartnerSimOptions o;
  std::vector<std::string> errors;
  {
    YamlReader top(root, "", file, &errors);
    top.Get<std::string>("listen", o.listen);
    top.Get<int>("io_threads", o.io_threads, [](const int& v) {
      return v >= 1 && v <= 64 ? std::string() : std::string("must be 1 to 64");
    });
    top.Get<std::string>("key_header", o.key_header, [](const std::string& v) {
      return v.empty() ? std::string("must not be empty") : std::string();
    });
    top.Get<uint64_t>("seed", o.seed);
    top.Get<std::vector<std::string>>("record_headers", o.record_headers);
    top.Get<bool>("record_bodies", o.record_bodies);
    top.Get<int64_t>("max_messages", o.max_messages, [](const int64_t& v) {
      return v >= 0 ? std::string() : std::string("must not be negative");
    });
    top.Get<int64_t>("max_body_bytes", o.max_body_bytes, [](const int64_t& v) {
      return v >= 1024 ? std::string() : std::string("must be at least 1024");
    });
    top.Get<int>("idle_timeout_seconds", o.idle_timeout_seconds, [](const int& v) {
      return v >= 1 ? std::string() : std::string("must be at least 1");
    });
    top.Section("tls", [&](YamlReader& r) {
      // Relative to the configuration file's folder.
      r.Required("cert_file", o.tls_cert_file);
      r.Required("key_file", o.tls_key_file);
      r.Get("client_ca_file", o.tls_client_ca_file);
      for (std::string* path : {&o.tls_cert_file, &o.tls_key_file, &o.tls_client_ca_file}) {
        *path = ResolveRelative(file, *path);
      }
    });
    top.Section("faults", [&](YamlReader& r) { ReadFaults(r, o.faults); });
    if (extra) extra(top);
  }
  if (!errors.empty()) return YamlErrors(errors);
  if (absl::Status s = ValidatePartnerFaults(o.faults); !s.ok()) return Annotate(s, file);
  return o;
}

absl::StatusOr<PartnerFaults> ParsePartnerFaults(const std::string& yaml_or_json,
                                                 const std::string& source) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml_or_json, source));
  PartnerFaults f;
  std::vector<std::string> errors;
  {
    YamlReader top(root, "faults", source, &errors);
    ReadFaults(top, f);
  }
  if (!errors.empty()) return YamlErrors(errors);
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
