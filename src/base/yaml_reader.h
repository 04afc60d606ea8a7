// Reads configuration YAML into structs: one mapping at a time, remembering the keys it
// consumed so that the rest are reported as unknown (a typo must never be silently
// ignored), with every error naming the file, line and key path:
//
//   std::vector<std::string> errors;
//   {
//     YamlReader top(root, "", "harbor.yaml", &errors);
//     top.Section("server", [&](YamlReader& r) { r.Get("listen", c.listen); });
//   }  // unknown keys are reported when each reader goes out of scope
//   if (!errors.empty()) …  // "harbor.yaml:3: server.lisen: unknown key (known here: listen)"
//
// Values: strings, integers, doubles, booleans (true/false), lists of strings, and
// absl::Duration read as integer milliseconds. Not thread-safe; `file` and `errors` must
// outlive the reader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/strings.h"

namespace disthub {

// Parses a YAML document; kInvalidArgument naming `file`, the line and the column when it
// is not YAML.
inline absl::StatusOr<YAML::Node> LoadYamlDocument(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        StrCat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
}

// One kInvalidArgument carrying every error a reader collected, a line each.
inline absl::Status YamlErrors(const std::vector<std::string>& errors) {
  std::string all;
  for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
  return absl::InvalidArgumentError(all);
}

// A check on a value just read: "" when fine, otherwise what is wrong.
template <typename T>
using YamlCheck = std::function<std::string(const T&)>;

// Reads one YAML mapping, remembering the keys it consumed so the rest can be reported
// as unknown (with their line). Errors accumulate in `errors`.
class YamlReader {
 public:
  YamlReader(const YAML::Node& node, std::string path, const std::string& file,
             std::vector<std::string>* errors)
      : node_(node), path_(std::move(path)), file_(file), errors_(errors) {
    if (node_ && !node_.IsMap() && !node_.IsNull()) {
      Error(node_, path_.empty() ? "the document" : path_, "must be a mapping of keys to values");
      ok_ = false;
    }
  }

  ~YamlReader() {
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
  void Get(const std::string& key, T& out, YamlCheck<T> check = nullptr) {
    YAML::Node v = Take(key);
    if (!v || v.IsNull()) return;
    T value = out;
    if (!Read(v, Join(key), value)) return;
    if (check) {
      if (std::string problem = check(value); !problem.empty()) return Error(v, Join(key), problem);
    }
    out = std::move(value);
  }

  // As Get(), and an error ("is required") when the key is absent.
  template <typename T>
  void Required(const std::string& key, T& out, YamlCheck<T> check = nullptr) {
    if (ok_ && (!node_ || !node_[key] || node_[key].IsNull())) {
      known_.insert(key);
      order_.push_back(key);
      return Error(node_, Join(key), "is required");
    }
    Get(key, out, std::move(check));
  }

  template <typename Fn>
  void Section(const std::string& key, Fn fn) {
    YAML::Node v = Take(key);
    // An absent section reads nothing: its keys keep their defaults, none is "required",
    // and a section whose presence means something (inventory_feed) stays absent.
    if (!ok_ || !v || v.IsNull()) return;
    YamlReader sub(v, Join(key), file_, errors_);
    fn(sub);
  }

  template <typename T, typename Fn>
  void List(const std::string& key, std::vector<T>& out, Fn fn) {
    YAML::Node v = Take(key);
    if (!v || v.IsNull()) return;
    if (!v.IsSequence()) return Error(v, Join(key), "must be a list");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      YamlReader item(v[i], StrCat(Join(key), "[", static_cast<int64_t>(i), "]"), file_, errors_);
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
  // Marks `key` as read without reading it (the keys of a block already refused whole).
  void Skip(const std::string& key) { Take(key); }

  // A mapping of free keys (SKUs, labels, regions): calls fn(key) for each, in file order;
  // read each through Get() so none is reported unknown. Nothing when not a mapping.
  template <typename Fn>
  void ForEachKey(Fn fn) {
    if (!ok_ || !node_ || !node_.IsMap()) return;
    const YAML::Node node = node_;
    for (const auto& kv : node) fn(kv.first.as<std::string>(""));
  }
  const std::string& path() const { return path_; }

 private:
  YAML::Node Take(const std::string& key) {
    known_.insert(key);
    order_.push_back(key);
    if (!ok_ || !node_ || !node_.IsMap()) return YAML::Node();
    // Through a const node: the mutable operator[] inserts a missing key, which would
    // invalidate a ForEachKey() iterating this mapping (a null or complex key reads as "").
    const YAML::Node& node = node_;
    return node[key];
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

  template <typename Int>
    requires std::is_same_v<Int, int64_t> || std::is_same_v<Int, int>
  bool Read(const YAML::Node& v, const std::string& path, std::vector<Int>& out) {
    if (!v.IsSequence()) return Fail(v, path, "must be a list of integers");
    out.clear();
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      Int n = 0;
      if (Read(v[i], StrCat(path, "[", static_cast<int64_t>(i), "]"), n)) {
        out.push_back(n);
      } else {
        ok = false;
      }
    }
    return ok;
  }

  bool Read(const YAML::Node& v, const std::string& path, bool& out) {
    if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
      return Fail(v, path, "must be true or false");
    }
    out = v.Scalar() == "true";
    return true;
  }
  // Durations are written as integer milliseconds (keys end in _ms).
  bool Read(const YAML::Node& v, const std::string& path, absl::Duration& out) {
    int64_t ms = 0;
    if (!Read(v, path, ms)) return false;
    out = absl::Milliseconds(ms);
    return true;
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

}  // namespace disthub
