#include "mapping/mapping.h"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <algorithm>
#include <set>
#include <utility>

#include "base/clock.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/yaml_reader.h"
#include "mapping/transforms.h"
#include "model/json.h"
#include "model/validate.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

constexpr size_t kMaxErrors = 100;

// A JSON Pointer into the payload: absolute ("/order/id") from the document root, or
// relative ("price", "" for the element itself) from the element an `each` is at. A "*"
// token (in `sum`) stands for every element of an array.
struct Path {
  bool absolute = false;
  std::vector<std::string> tokens;
  std::string text;  // as written
};

Path ParsePath(const std::string& text) {
  Path p{.absolute = text.starts_with("/"), .text = text};
  std::string_view rest = text;
  if (p.absolute) rest.remove_prefix(1);
  if (rest.empty() && !p.absolute) return p;
  while (true) {
    size_t slash = rest.find('/');
    std::string token(rest.substr(0, slash));
    // RFC 6901 escapes: ~1 is '/', ~0 is '~'.
    for (size_t i = 0; (i = token.find('~', i)) != std::string::npos; ++i) {
      if (i + 1 < token.size() && token[i + 1] == '1') token.replace(i, 2, "/");
      else if (i + 1 < token.size() && token[i + 1] == '0') token.replace(i, 2, "~");
    }
    p.tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return p;
}

enum class Source { kPath, kFirst, kValue, kVar, kIndex, kSum, kJoin, kObject, kEach };
enum class As { kString, kId, kInteger, kMoney, kTime, kBool };

}  // namespace

struct Rule {
  std::string field;  // the output key
  std::string name;   // for errors: "lines[].unit_price"
  Source source = Source::kPath;
  std::vector<Path> paths;  // path, first, sum, join; each: the array
  std::string constant;     // value
  std::string var;
  int64_t index_base = 1;
  std::string separator = " ";
  As as = As::kString;
  TimeFormat time_format = TimeFormat::kRfc3339;
  absl::TimeZone zone = absl::UTCTimeZone();
  std::optional<Path> currency;  // money: where the currency is (default: the document's)
  std::optional<Path> per;       // money: divided by the count there (a line total per unit)
  const std::map<std::string, std::string>* table = nullptr;
  std::string table_name;
  std::optional<std::string> table_default;
  bool optional = false;
  std::optional<std::string> default_value;  // when absent, as if the payload had it
  std::optional<Path> when;                  // objects: only when this is present
  std::vector<Rule> fields;                  // objects and each
};

struct Mapping::Impl {
  std::string file, name, dialect, target;
  int version = 0;
  std::vector<Path> roots;
  std::map<std::string, std::map<std::string, std::string>> tables;
  std::vector<Rule> fields;
};

namespace {

// ---- Compiling ---------------------------------------------------------------------------------

class Compiler {
 public:
  Compiler(Mapping::Impl& m, std::vector<std::string>& errors) : m_(m), errors_(errors) {}

  // Reads the rules under a `fields:` mapping into `out`.
  void Fields(YamlReader& r, const std::string& prefix, std::vector<Rule>& out) {
    r.ForEachKey([&](const std::string& key) {
      r.Section(key, [&](YamlReader& f) {
        Rule rule;
        rule.field = key;
        rule.name = prefix.empty() ? key : StrCat(prefix, ".", key);
        One(f, rule);
        out.push_back(std::move(rule));
      });
    });
  }

 private:
  void One(YamlReader& r, Rule& rule) {
    std::string path, value, var, sum, each, as = "string", time, zone, table, currency, when, per;
    std::vector<std::string> first, join;
    std::optional<int64_t> index;
    std::string default_value;
    bool has_fields = false;
    r.Get("path", path);
    r.Get("first", first);
    r.Get("value", value);
    r.Get("var", var);
    int64_t base = -1;
    r.Get("index", base);
    if (base >= 0) index = base;
    r.Get("sum", sum);
    r.Get("join", join);
    r.Get("separator", rule.separator);
    r.Get("each", each);
    r.Get("as", as);
    r.Get("time", time);
    r.Get("zone", zone);
    r.Get("table", table);
    r.Get("currency", currency);
    r.Get("per", per);
    r.Get("optional", rule.optional);
    r.Get("default", default_value);
    r.Get("when", when);
    r.Section("fields", [&](YamlReader& f) {
      has_fields = true;
      Fields(f, each.empty() ? rule.name : rule.name + "[]", rule.fields);
    });
    if (!default_value.empty()) rule.default_value = default_value;

    int sources = 0;
    auto source = [&](bool given, Source s) {
      if (!given) return;
      ++sources;
      rule.source = s;
    };
    source(!path.empty(), Source::kPath);
    source(!first.empty(), Source::kFirst);
    source(!value.empty(), Source::kValue);
    source(!var.empty(), Source::kVar);
    source(index.has_value(), Source::kIndex);
    source(!sum.empty(), Source::kSum);
    source(!join.empty(), Source::kJoin);
    source(!each.empty(), Source::kEach);
    if (has_fields && each.empty()) source(true, Source::kObject);
    if (sources != 1) {
      return Fail(rule, "give exactly one of path, first, value, var, index, sum, join, each "
                        "or fields");
    }
    if (rule.source == Source::kEach && !has_fields) return Fail(rule, "each needs fields");
    if (!path.empty()) rule.paths.push_back(ParsePath(path));
    for (const std::string& p : first) rule.paths.push_back(ParsePath(p));
    for (const std::string& p : join) rule.paths.push_back(ParsePath(p));
    if (!sum.empty()) rule.paths.push_back(ParsePath(sum));
    if (!each.empty()) rule.paths.push_back(ParsePath(each));
    rule.constant = value;
    rule.var = var;
    if (index) rule.index_base = *index;
    if (!when.empty()) rule.when = ParsePath(when);
    if (!currency.empty()) rule.currency = ParsePath(currency);
    if (!per.empty()) rule.per = ParsePath(per);

    static const std::map<std::string, As> kAs = {{"string", As::kString}, {"id", As::kId},
                                                  {"integer", As::kInteger}, {"money", As::kMoney},
                                                  {"time", As::kTime},     {"bool", As::kBool}};
    auto a = kAs.find(as);
    if (a == kAs.end()) return Fail(rule, StrCat("as: \"", as, "\" is not one of string, id, integer, money, time, bool"));
    rule.as = a->second;
    if (rule.per && rule.as != As::kMoney) return Fail(rule, "per: applies only with as: money");
    if (rule.source == Source::kSum && rule.as != As::kMoney && rule.as != As::kInteger) {
      return Fail(rule, "sum needs as: money or as: integer");
    }
    if (!time.empty()) {
      if (rule.as != As::kTime) return Fail(rule, "time: applies only with as: time");
      absl::StatusOr<TimeFormat> f = ParseTimeFormat(time);
      if (!f.ok()) return Fail(rule, StrCat("time: ", f.status().message()));
      rule.time_format = *f;
    }
    if (!zone.empty()) {
      if (!absl::LoadTimeZone(zone, &rule.zone)) return Fail(rule, StrCat("zone: \"", zone, "\" is not a known time zone"));
    } else if (rule.time_format == TimeFormat::kLocal) {
      return Fail(rule, "time: local needs zone (the IANA zone the partner's times are in)");
    }
    if (!table.empty()) {
      auto t = m_.tables.find(table);
      if (t == m_.tables.end()) return Fail(rule, StrCat("table: \"", table, "\" is not under tables"));
      rule.table = &t->second;
      rule.table_name = table;
      if (auto d = t->second.find("default"); d != t->second.end()) rule.table_default = d->second;
    }
  }

  void Fail(const Rule& rule, const std::string& message) {
    errors_.push_back(StrCat(m_.file, ": rule ", rule.name, ": ", message));
  }

  Mapping::Impl& m_;
  std::vector<std::string>& errors_;
};

// ---- Applying ----------------------------------------------------------------------------------

// Where rules read from: the document, the element an `each` is at, and their paths.
struct Scope {
  const json::value* root;
  std::string root_at;
  const json::value* here;
  std::string here_at;
  int64_t index = 0;  // position in the enclosing `each`
};

class Applier {
 public:
  Applier(const Mapping::Impl& m, const MappingContext& context, std::vector<MappingError>& errors)
      : m_(m), context_(context), errors_(errors) {}

  void Object(const std::vector<Rule>& rules, const Scope& scope, json::object& out) {
    out.reserve(rules.size());
    for (const Rule& rule : rules) Field(rule, scope, out);
  }

 private:
  // The value `path` points to; nullptr when absent or null.
  static const json::value* Find(const Path& path, const Scope& scope) {
    const json::value* v = path.absolute ? scope.root : scope.here;
    for (const std::string& token : path.tokens) {
      if (v == nullptr) break;
      if (v->is_object()) {
        v = v->get_object().if_contains(token);
      } else if (v->is_array()) {
        size_t i = 0;
        auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), i);
        v = ec == std::errc() && ptr == token.data() + token.size() && i < v->get_array().size()
                ? &v->get_array()[i]
                : nullptr;
      } else {
        v = nullptr;
      }
    }
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  // The payload pointer of `path` from `scope`, for errors.
  static std::string At(const Path& path, const Scope& scope) {
    std::string at = path.absolute ? scope.root_at : scope.here_at;
    for (const std::string& token : path.tokens) at += "/" + token;
    return at;
  }

  // Every value a path with "*" tokens reaches, with its pointer.
  static void FindAll(const Path& path, size_t from, const json::value* v, std::string at,
                      std::vector<std::pair<const json::value*, std::string>>& out) {
    for (size_t i = from; i < path.tokens.size() && v != nullptr; ++i) {
      if (path.tokens[i] == "*") {
        if (!v->is_array()) return;
        size_t n = 0;
        for (const json::value& e : v->get_array()) {
          FindAll(path, i + 1, &e, StrCat(at, "/", n++), out);
        }
        return;
      }
      v = v->is_object() ? v->get_object().if_contains(path.tokens[i]) : nullptr;
      at += "/" + path.tokens[i];
    }
    if (v != nullptr && !v->is_null()) out.emplace_back(v, at);
  }

  void Error(const Rule& rule, std::string at, std::string message) {
    if (errors_.size() >= kMaxErrors) return;
    errors_.push_back({.rule = rule.name, .at = std::move(at), .message = std::move(message)});
  }

  std::string Currency(const Rule& rule, const Scope& scope) {
    if (!rule.currency) return currency_;
    const json::value* v = Find(*rule.currency, scope);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  }

  // The canonical value of one scalar: through the table, or the `as` transform. `at()`
  // gives the value's payload pointer, computed only for an error.
  template <class AtFn>
  std::optional<json::value> Convert(const Rule& rule, const json::value& v, const AtFn& at,
                                     const Scope& scope) {
    if (rule.table != nullptr) {
      absl::StatusOr<std::string> code = ScalarText(v, "a code");
      if (!code.ok()) return Error(rule, at(), std::string(code.status().message())), std::nullopt;
      auto it = rule.table->find(*code);
      if (it != rule.table->end() && it->first != "default") return json::value(json::string(it->second, sp_));
      if (rule.table_default) return json::value(json::string(*rule.table_default, sp_));
      std::string known;
      for (const auto& [k, value] : *rule.table) known += (known.empty() ? "" : ", ") + k;
      Error(rule, at(), StrCat("\"", *code, "\" is not in table ", rule.table_name, " (", known, ")"));
      return std::nullopt;
    }
    switch (rule.as) {
      case As::kString:
      case As::kId: {
        if (v.is_string()) return json::value(json::string(v.get_string(), sp_));
        absl::StatusOr<std::string> text = ScalarText(v, rule.as == As::kId ? "an id" : "a text");
        if (!text.ok()) return Error(rule, at(), std::string(text.status().message())), std::nullopt;
        return json::value(json::string(*text, sp_));
      }
      case As::kInteger: {
        absl::StatusOr<int64_t> n = Integer(v);
        if (!n.ok()) return Error(rule, at(), std::string(n.status().message())), std::nullopt;
        return json::value(*n);
      }
      case As::kBool: {
        absl::StatusOr<bool> b = Boolean(v);
        if (!b.ok()) return Error(rule, at(), std::string(b.status().message())), std::nullopt;
        return json::value(*b);
      }
      case As::kTime: {
        absl::StatusOr<absl::Time> t = Time(v, rule.time_format, rule.zone);
        if (!t.ok()) return Error(rule, at(), std::string(t.status().message())), std::nullopt;
        return json::value(json::string(disthub::FormatTime(*t), sp_));
      }
      case As::kMoney: {
        const std::string currency = Currency(rule, scope);
        if (currency.empty()) {
          Error(rule, at(), "an amount needs the document's currency, and it is not mapped");
          return std::nullopt;
        }
        absl::StatusOr<int64_t> minor = MoneyMinor(v, currency);
        if (!minor.ok()) return Error(rule, at(), std::string(minor.status().message())), std::nullopt;
        if (rule.per) {
          const json::value* count = Find(*rule.per, scope);
          absl::StatusOr<int64_t> n = count != nullptr ? Integer(*count)
                                                       : absl::InvalidArgumentError("is missing");
          if (!n.ok() || *n <= 0) {
            Error(rule, At(*rule.per, scope),
                  StrCat("the count to divide by ", n.ok() ? "must be positive" : n.status().message()));
            return std::nullopt;
          }
          if (*minor % *n != 0) {
            Error(rule, at(), StrCat(json::serialize(v), " does not divide evenly into ", *n,
                                     " units of the currency's smallest unit"));
            return std::nullopt;
          }
          *minor /= *n;
        }
        return Amount(*minor, currency);
      }
    }
    return std::nullopt;
  }

  // Sets the rule's field of `out` (whose storage is sp_, like every value made here, so
  // the value moves in).
  static void Put(json::object& out, const Rule& rule, json::value v) {
    out.emplace(rule.field, std::move(v));
  }

  json::value Amount(int64_t minor, const std::string& currency) {
    json::object m(sp_);
    m.reserve(2);
    m.emplace("amount_minor", minor);
    m.emplace("currency", currency);
    return json::value(std::move(m));
  }

  void Field(const Rule& rule, const Scope& scope, json::object& out) {
    switch (rule.source) {
      case Source::kObject: {
        if (rule.when && Find(*rule.when, scope) == nullptr) return;
        json::object child(sp_);
        Object(rule.fields, scope, child);
        Put(out, rule, std::move(child));
        return;
      }
      case Source::kEach: {
        const json::value* list = Find(rule.paths[0], scope);
        json::array items(sp_);
        if (list == nullptr) {
          if (!rule.optional) Error(rule, At(rule.paths[0], scope), "is missing: expected a list");
          else return;
        } else if (!list->is_array()) {
          Error(rule, At(rule.paths[0], scope), "is not a list");
        } else {
          const std::string at = At(rule.paths[0], scope);
          int64_t i = 0;
          items.reserve(list->get_array().size());
          for (const json::value& e : list->get_array()) {
            Scope inner{scope.root, scope.root_at, &e, StrCat(at, "/", i), i};
            json::object item(sp_);
            Object(rule.fields, inner, item);
            items.push_back(std::move(item));
            ++i;
          }
        }
        Put(out, rule, std::move(items));
        return;
      }
      case Source::kIndex:
        Put(out, rule, scope.index + rule.index_base);
        return;
      case Source::kVar: {
        auto v = context_.vars.find(rule.var);
        if (v == context_.vars.end()) return Error(rule, "", StrCat("the variable ", rule.var, " is not set"));
        if (auto c = Convert(rule, json::value(v->second), NoAt, scope)) Put(out, rule, *std::move(c));
        return;
      }
      case Source::kValue:
        if (auto c = Convert(rule, json::value(rule.constant), NoAt, scope)) Put(out, rule, *std::move(c));
        return;
      case Source::kSum: {
        std::vector<std::pair<const json::value*, std::string>> found;
        const Path& p = rule.paths[0];
        FindAll(p, 0, p.absolute ? scope.root : scope.here, p.absolute ? scope.root_at : scope.here_at,
                found);
        int64_t total = 0;
        std::string currency;
        for (const auto& [v, where] : found) {
          std::optional<json::value> c = Convert(rule, *v, [&] { return where; }, scope);
          if (!c) return;
          int64_t n = rule.as == As::kMoney ? c->at("amount_minor").as_int64() : c->as_int64();
          if (rule.as == As::kMoney) currency = std::string(c->at("currency").as_string());
          if (__builtin_add_overflow(total, n, &total)) return Error(rule, where, "the sum overflows");
        }
        if (rule.as == As::kMoney) {
          if (currency.empty()) currency = Currency(rule, scope);
          if (currency.empty()) return Error(rule, "", "an amount needs the document's currency, and it is not mapped");
          Put(out, rule, Amount(total, currency));
        } else {
          Put(out, rule, total);
        }
        return;
      }
      case Source::kJoin: {
        std::string text;
        for (const Path& p : rule.paths) {
          const json::value* v = Find(p, scope);
          if (v == nullptr) continue;
          absl::StatusOr<std::string> part = ScalarText(*v, "a text");
          if (!part.ok()) return Error(rule, At(p, scope), std::string(part.status().message()));
          if (part->empty()) continue;
          if (!text.empty()) text += rule.separator;
          text += *part;
        }
        if (text.empty()) {
          if (rule.default_value) text = *rule.default_value;
          else if (rule.optional) return;
          else return Error(rule, "", "is missing: none of its parts is present");
        }
        Put(out, rule, json::string(text, sp_));
        return;
      }
      case Source::kPath:
      case Source::kFirst: {
        const json::value* v = nullptr;
        const Path* found = nullptr;
        for (const Path& p : rule.paths) {
          v = Find(p, scope);
          if (v != nullptr) {
            found = &p;
            break;
          }
        }
        json::value fallback;
        if (v == nullptr && rule.default_value) {
          fallback = json::value(*rule.default_value);
          v = &fallback;
        }
        if (v == nullptr) {
          if (rule.optional) return;
          if (rule.paths.size() == 1) return Error(rule, At(rule.paths[0], scope), "is missing");
          std::string tried;
          for (const Path& p : rule.paths) tried += (tried.empty() ? "" : ", ") + At(p, scope);
          return Error(rule, "", StrCat("is missing (none of ", tried, ")"));
        }
        std::optional<json::value> c = Convert(
            rule, *v, [&] { return found != nullptr ? At(*found, scope) : std::string(); }, scope);
        if (!c) return;
        if (&out == top_ && rule.field == "currency" && c->is_string()) currency_ = std::string(c->as_string());
        Put(out, rule, *std::move(c));
        return;
      }
    }
  }

 public:
  json::object* top_ = nullptr;
  json::storage_ptr sp_;

 private:
  static std::string NoAt() { return ""; }

  const Mapping::Impl& m_;
  const MappingContext& context_;
  std::vector<MappingError>& errors_;
  std::string currency_;
};

}  // namespace

std::string MappingError::ToString(const std::string& file) const {
  return StrCat(file, ": rule ", rule, at.empty() ? "" : " at ", at, ": ", message);
}

Mapping::Mapping(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mapping::Mapping(Mapping&&) noexcept = default;
Mapping& Mapping::operator=(Mapping&&) noexcept = default;
Mapping::~Mapping() = default;

const std::string& Mapping::name() const { return impl_->name; }
int Mapping::version() const { return impl_->version; }
const std::string& Mapping::dialect() const { return impl_->dialect; }
const std::string& Mapping::target() const { return impl_->target; }
const std::string& Mapping::file() const { return impl_->file; }

absl::StatusOr<Mapping> Mapping::Parse(const std::string& yaml, const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml, file));
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  std::vector<std::string> errors;
  {
    YamlReader top(root, "", file, &errors);
    top.Required("mapping", impl->name);
    top.Required("version", impl->version);
    top.Required("from", impl->dialect);
    top.Required("to", impl->target);
    std::vector<std::string> roots;
    top.Get("root", roots);
    for (const std::string& r : roots) {
      if (!r.empty() && !r.starts_with("/")) {
        errors.push_back(StrCat(file, ": root: \"", r, "\" must be a JSON Pointer from the document (\"/order\", or \"\" for the whole)"));
      }
      impl->roots.push_back(ParsePath(r));
    }
    top.Section("tables", [&](YamlReader& t) {
      t.ForEachKey([&](const std::string& name) {
        t.Section(name, [&](YamlReader& codes) {
          auto& table = impl->tables[name];
          codes.ForEachKey([&](const std::string& code) { codes.Get(code, table[code]); });
        });
      });
    });
    if (errors.empty()) {
      Compiler compiler(*impl, errors);
      bool any = false;
      top.Section("fields", [&](YamlReader& f) {
        any = true;
        compiler.Fields(f, "", impl->fields);
      });
      if (!any) errors.push_back(StrCat(file, ": fields: is required (the rules, by canonical field)"));
      // The document's currency first: money rules read it.
      std::stable_partition(impl->fields.begin(), impl->fields.end(),
                            [](const Rule& r) { return r.field == "currency"; });
    }
  }
  if (impl->version < 1 && errors.empty()) errors.push_back(StrCat(file, ": version: must be at least 1"));
  if (impl->target != "order" && errors.empty()) {
    errors.push_back(StrCat(file, ": to: \"", impl->target, "\" is not a canonical document this build maps (order)"));
  }
  if (!errors.empty()) return YamlErrors(errors);
  return Mapping(std::move(impl));
}

absl::StatusOr<Mapping> Mapping::Load(const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(file), "the mapping file");
  return Parse(text, file);
}

MappingResult Mapping::Apply(const json::value& payload, const MappingContext& context) const {
  json::storage_ptr sp = json::make_shared_resource<json::monotonic_resource>(4096);
  // Constructed, not assigned: a json::value keeps the storage it was made with, and
  // assigning a value from another storage copies it deeply.
  MappingResult result{.document = json::value(json::object(sp))};
  Scope scope{&payload, "", &payload, "", 0};
  if (!impl_->roots.empty()) {
    const json::value* found = nullptr;
    std::string tried;
    for (const Path& r : impl_->roots) {
      const json::value* v = &payload;
      for (const std::string& t : r.tokens) {
        v = v->is_object() ? v->get_object().if_contains(t) : nullptr;
        if (v == nullptr) break;
      }
      if (v != nullptr && v->is_object()) {
        found = v;
        scope = {v, r.text, v, r.text, 0};
        break;
      }
      tried += (tried.empty() ? "\"" : ", \"") + r.text + "\"";
    }
    if (found == nullptr) {
      result.document = json::object();
      result.errors.push_back(
          {.rule = "root",
           .at = "",
           .message = payload.is_object() ? StrCat("no object at ", tried)
                                          : "the payload is not a JSON object (a list is mapped "
                                            "element by element)"});
      return result;
    }
  } else if (!payload.is_object()) {
    result.document = json::object();
    result.errors.push_back({.rule = "root", .at = "", .message = "the payload is not a JSON object"});
    return result;
  }
  Applier applier(*impl_, context, result.errors);
  applier.top_ = &result.document.get_object();
  applier.sp_ = sp;
  applier.Object(impl_->fields, scope, result.document.get_object());
  return result;
}

MappedOrder MapOrder(const Mapping& mapping, const json::value& payload, const MappingContext& context) {
  MappingResult r = mapping.Apply(payload, context);
  MappedOrder out{.document = std::move(r.document), .errors = std::move(r.errors)};
  if (!out.errors.empty()) return out;
  Decoded<Order> decoded = DecodeOrder(out.document, DecodeMode::kInbound);
  std::vector<FieldError> problems = decoded.ok() ? ValidateOrder(*decoded.value) : decoded.errors;
  for (FieldError& e : problems) {
    out.errors.push_back({.rule = StrCat("canonical ", e.pointer), .at = "", .message = std::move(e.detail)});
  }
  if (out.errors.empty()) out.order = std::move(decoded.value);
  return out;
}

}  // namespace disthub::mapping
