#include "mapping/mapping.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cassert>
#include <charconv>
#include <set>
#include <span>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "base/clock.h"
#include "base/files.h"
#include "base/money.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/yaml_reader.h"
#include "formats/xml.h"
#include "mapping/transforms.h"
#include "model/json.h"
#include "model/validate.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

constexpr size_t kMaxErrors = 100;

// Targets(), in the order docs/mappings.md lists them.
constexpr std::array<std::string_view, 7> kTargets = {
    "order", "shipment", "return", "inventory", "tracking", "cancellation", "partner"};

// One step of a Path: an object member or a list index; "*", every element of a list; or a
// filter, "*[key=value]" or "*[key!=value]": the elements of a list whose member `key` is
// (is not) `value` as text. "*" and filters stand for every element they let through in
// `sum`, `minus` and at the end of `each`, and for the first one elsewhere.
struct Token {
  enum Kind { kKey, kAll, kIs, kIsNot };
  Kind kind = kKey;
  std::string key;    // kKey: the member name or index; otherwise the token as written
  std::string field;  // kIs, kIsNot: the member compared
  std::string value;  // kIs, kIsNot: the text it is compared with
};

// A JSON Pointer into the payload: absolute ("/order/id") from the document root, or
// relative ("price", "" for the element itself) from the element an `each` is at.
struct Path {
  bool absolute = false;
  std::vector<Token> tokens;
  std::string text;      // as written
  std::string problem;   // why a token does not parse ("" when it does)
  size_t wildcards = 0;  // tokens that are not kKey
  // Absolute paths starting with a member name: the slot of that first step in the
  // per-payload cache (Mapping::Impl::first_steps), since many rules start alike
  // (/shipping_address/...) and the document's top object is often large. -1: none.
  int first_step = -1;
};

// A path may hold at most this many "*" and filter tokens (so the indexes they stand for
// fit in a Trail on the stack).
constexpr size_t kMaxWildcards = 8;

Token ParseToken(std::string token, std::string& problem) {
  if (token == "*") return {.kind = Token::kAll, .key = std::move(token)};
  if (!token.starts_with("*[")) {
    // RFC 6901 escapes: ~1 is '/', ~0 is '~'.
    for (size_t i = 0; (i = token.find('~', i)) != std::string::npos; ++i) {
      if (i + 1 < token.size() && token[i + 1] == '1')
        token.replace(i, 2, "/");
      else if (i + 1 < token.size() && token[i + 1] == '0')
        token.replace(i, 2, "~");
    }
    return {.key = std::move(token)};
  }
  const size_t eq = token.find('=');
  if (!token.ends_with("]") || eq == std::string::npos || eq < 3) {
    problem = StrCat("\"", token, "\" is not a filter (*[key=value] or *[key!=value])");
    return {.key = std::move(token)};
  }
  const bool negated = token[eq - 1] == '!';
  Token t{.kind = negated ? Token::kIsNot : Token::kIs,
          .field = token.substr(2, eq - 2 - (negated ? 1 : 0)),
          .value = token.substr(eq + 1, token.size() - eq - 2)};
  if (t.field.empty()) problem = StrCat("\"", token, "\" names no member to compare");
  t.key = std::move(token);
  return t;
}

Path ParsePath(const std::string& text) {
  Path p{.absolute = text.starts_with("/"), .text = text};
  std::string_view rest = text;
  if (p.absolute) rest.remove_prefix(1);
  if (rest.empty() && !p.absolute) return p;
  while (true) {
    size_t slash = rest.find('/');
    // A filter's value may hold a '/': the token ends at the first "]/" or at the end.
    if (rest.starts_with("*[")) {
      const size_t close = rest.find("]/");
      slash = close == std::string_view::npos ? std::string_view::npos : close + 1;
    }
    p.tokens.push_back(ParseToken(std::string(rest.substr(0, slash)), p.problem));
    if (p.tokens.back().kind != Token::kKey) ++p.wildcards;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (p.wildcards > kMaxWildcards && p.problem.empty()) {
    p.problem = StrCat("has more than ", kMaxWildcards, " \"*\" and filter tokens");
  }
  return p;
}

// Whether list element `e` passes filter `t` (kIs, kIsNot): its member compared as text (a
// string as is, an integer in decimal, a boolean as true/false; absent, null or another
// type is never equal).
bool Passes(const Token& t, const json::value& e) {
  bool equal = false;
  const json::object* o = e.if_object();
  const json::value* m = o != nullptr ? o->if_contains(t.field) : nullptr;
  if (m != nullptr) {
    char digits[24];
    std::to_chars_result r{digits, std::errc()};
    switch (m->kind()) {
      case json::kind::string:
        equal = std::string_view(m->get_string().data(), m->get_string().size()) == t.value;
        break;
      case json::kind::bool_:
        equal = t.value == (m->get_bool() ? "true" : "false");
        break;
      case json::kind::int64:
        r = std::to_chars(digits, digits + sizeof digits, m->get_int64());
        equal = std::string_view(digits, static_cast<size_t>(r.ptr - digits)) == t.value;
        break;
      case json::kind::uint64:
        r = std::to_chars(digits, digits + sizeof digits, m->get_uint64());
        equal = std::string_view(digits, static_cast<size_t>(r.ptr - digits)) == t.value;
        break;
      default:
        break;
    }
  }
  return t.kind == Token::kIsNot ? !equal : equal;
}

// The element indexes a path's "*" and filter tokens stood for, in order: kept on the
// stack while a path is followed, and read only to name a value in an error.
struct Trail {
  std::array<size_t, kMaxWildcards> index{};
  size_t size = 0;
};

enum class Source { kPath, kFirst, kValue, kVar, kIndex, kSum, kJoin, kObject, kEach };
enum class As { kString, kId, kInteger, kMoney, kTime, kBool, kDecimal, kLocalTime };

}  // namespace

struct Rule {
  std::string field;  // the output key
  std::string name;   // for errors: "lines[].unit_price"
  Source source = Source::kPath;
  std::vector<Path> paths;           // path, first, sum, join; each: the list (its filter aside)
  std::vector<Path> minus;           // sum: the paths whose values are subtracted
  std::optional<Token> each_filter;  // each: a filter at the end of its path
  std::string constant;              // value
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
  bool single = false;                       // each: an object at the path is a list of one
  std::optional<std::string> default_value;  // when absent, as if the payload had it
  std::optional<Path> when;                  // objects and lists: only when this is present
  std::vector<Rule> fields;                  // objects and each
};

struct Mapping::Impl {
  std::string file, name, dialect, target;
  int version = 0;
  std::vector<Path> roots;
  std::map<std::string, std::map<std::string, std::string>> tables;
  std::vector<Rule> checks;  // applied first, values dropped: any error refuses the payload
  std::vector<Rule> fields;
  std::vector<std::string> first_steps;  // the first member names of absolute paths, by slot
  bool json = true, xml = false;         // `formats:`
  // `request:` (to: partner): the HTTP method, and the path's parts: text as written, or
  // a pointer whose value is one percent-encoded segment.
  std::string method = "POST";
  std::vector<std::variant<std::string, Path>> path;
};

namespace {

// ---- Compiling ---------------------------------------------------------------------------------

class Compiler {
 public:
  Compiler(Mapping::Impl& m, std::vector<std::string>& errors) : m_(m), errors_(errors) {}
  static constexpr int64_t kMaxRules = 10'000;
  // Objects in objects: real documents nest a handful deep; a file nesting hundreds is a
  // mistake or an attack on the stack of the compiler and of every payload it maps.
  static constexpr int kMaxDepth = 32;

  // Reads the rules under a `fields:` mapping into `out`.
  void Fields(YamlReader& r, const std::string& prefix, std::vector<Rule>& out) {
    if (depth_ == kMaxDepth) {
      errors_.push_back(StrCat(m_.file, ": ", prefix, ": fields nest more than ", kMaxDepth,
                               " levels deep; refused"));
      r.ForEachKey([&](const std::string& key) { r.Skip(key); });
      return;
    }
    ++depth_;
    Fields2(r, prefix, out);
    --depth_;
  }

 private:
  void Fields2(YamlReader& r, const std::string& prefix, std::vector<Rule>& out) {
    r.ForEachKey([&](const std::string& key) {
      // YAML aliases can make a short file name billions of rules: stop at a number no
      // real mapping comes near.
      if (++rules_ > kMaxRules) {
        if (rules_ == kMaxRules + 1) {
          errors_.push_back(StrCat(m_.file, ": more than ", kMaxRules,
                                   " rules (aliases repeating a block?); refused"));
        }
        r.Skip(key);
        return;
      }
      r.Section(key, [&](YamlReader& f) {
        Rule rule;
        rule.field = key;
        rule.name = prefix.empty() ? key : StrCat(prefix, ".", key);
        One(f, rule);
        out.push_back(std::move(rule));
      });
    });
  }

  void One(YamlReader& r, Rule& rule) {
    std::string path, value, var, each, as = "string", time, zone, table, currency, when, per;
    std::vector<std::string> first, join, sum, minus;
    std::optional<int64_t> index;
    std::string default_value;
    bool has_fields = false;
    r.Get("path", path);
    r.Get("first", first);
    r.Get("value", value);
    r.Get("var", var);
    int64_t base = -1;
    r.Get<int64_t>("index", base, [](const int64_t& v) {
      return v >= 0 && v <= 1'000'000 ? "" : "must be 0 to 1000000";
    });
    if (base >= 0) index = base;
    OneOrMany(r, "sum", sum);
    OneOrMany(r, "minus", minus);
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
    r.Get("single", rule.single);
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
    source(!sum.empty() || !minus.empty(), Source::kSum);
    source(!join.empty(), Source::kJoin);
    source(!each.empty(), Source::kEach);
    if (has_fields && each.empty()) source(true, Source::kObject);
    if (sources != 1) {
      return Fail(rule,
                  "give exactly one of path, first, value, var, index, sum (and/or minus), "
                  "join, each or fields");
    }
    if (rule.source == Source::kEach && !has_fields) return Fail(rule, "each needs fields");
    bool paths_ok = true;
    auto parse = [&](const std::string& text) {
      Path p = ParsePath(text);
      if (p.absolute && !p.tokens.empty() && p.tokens[0].kind == Token::kKey) {
        auto& steps = m_.first_steps;
        auto it = std::find(steps.begin(), steps.end(), p.tokens[0].key);
        p.first_step = static_cast<int>(it - steps.begin());
        if (it == steps.end()) steps.push_back(p.tokens[0].key);
      }
      if (!p.problem.empty() && paths_ok) {
        Fail(rule, StrCat("\"", text, "\": ", p.problem));
        paths_ok = false;
      }
      return p;
    };
    if (!path.empty()) rule.paths.push_back(parse(path));
    for (const std::string& p : first) rule.paths.push_back(parse(p));
    for (const std::string& p : join) rule.paths.push_back(parse(p));
    for (const std::string& p : sum) rule.paths.push_back(parse(p));
    for (const std::string& p : minus) rule.minus.push_back(parse(p));
    if (!each.empty()) {
      Path list = parse(each == "." ? "" : each);  // ".": the element itself (with single)
      // A filter at the end selects the list's elements: `each` reads the list before it.
      if (!list.tokens.empty() && list.tokens.back().kind != Token::kKey) {
        rule.each_filter = std::move(list.tokens.back());
        list.tokens.pop_back();
        --list.wildcards;
        if (rule.each_filter->kind == Token::kAll) rule.each_filter.reset();
      }
      rule.paths.push_back(std::move(list));
    }
    rule.constant = value;
    rule.var = var;
    if (index) rule.index_base = *index;
    if (!when.empty()) rule.when = parse(when);
    if (!currency.empty()) rule.currency = parse(currency);
    if (!per.empty()) rule.per = parse(per);
    if (!paths_ok) return;

    static const std::map<std::string, As> kAs = {
        {"string", As::kString},   {"id", As::kId},
        {"integer", As::kInteger}, {"money", As::kMoney},
        {"time", As::kTime},       {"bool", As::kBool},
        {"decimal", As::kDecimal}, {"local_time", As::kLocalTime}};
    auto a = kAs.find(as);
    if (a == kAs.end())
      return Fail(rule, StrCat("as: \"", as,
                               "\" is not one of string, id, integer, money, time, bool, decimal, "
                               "local_time"));
    rule.as = a->second;
    if (rule.per && rule.as != As::kMoney) return Fail(rule, "per: applies only with as: money");
    if (rule.source == Source::kSum && rule.as != As::kMoney && rule.as != As::kInteger) {
      return Fail(rule, StrCat(sum.empty() ? "minus" : "sum", " needs as: money or as: integer"));
    }
    if (rule.single && rule.source != Source::kEach) {
      return Fail(rule, "single: applies only to each");
    }
    if (rule.when && rule.source != Source::kObject && rule.source != Source::kEach) {
      return Fail(rule, "when: applies only to fields and each");
    }
    if (!time.empty()) {
      if (rule.as != As::kTime && rule.as != As::kLocalTime) {
        return Fail(rule, "time: applies only with as: time or local_time");
      }
      absl::StatusOr<TimeFormat> f = ParseTimeFormat(time);
      if (!f.ok()) return Fail(rule, StrCat("time: ", f.status().message()));
      rule.time_format = *f;
    }
    if (!zone.empty()) {
      if (!absl::LoadTimeZone(zone, &rule.zone))
        return Fail(rule, StrCat("zone: \"", zone, "\" is not a known time zone"));
    } else if (rule.time_format == TimeFormat::kLocal) {
      return Fail(rule, "time: local needs zone (the IANA zone the partner's times are in)");
    } else if (rule.as == As::kLocalTime) {
      return Fail(rule, "as: local_time needs zone (the IANA zone the partner reads times in)");
    }
    if (!table.empty()) {
      auto t = m_.tables.find(table);
      if (t == m_.tables.end())
        return Fail(rule, StrCat("table: \"", table, "\" is not under tables"));
      rule.table = &t->second;
      rule.table_name = table;
      if (auto d = t->second.find("default"); d != t->second.end()) rule.table_default = d->second;
    }
  }

  // A key that holds one path or a list of them (`sum: P`, `sum: [P, Q]`).
  static void OneOrMany(YamlReader& r, const std::string& key, std::vector<std::string>& out) {
    const YAML::Node& node = r.node();
    if (node && node.IsMap() && node[key] && node[key].IsSequence()) return r.Get(key, out);
    std::string one;
    r.Get(key, one);
    if (!one.empty()) out.push_back(std::move(one));
  }

  void Fail(const Rule& rule, const std::string& message) {
    errors_.push_back(StrCat(m_.file, ": rule ", rule.name, ": ", message));
  }

  Mapping::Impl& m_;
  std::vector<std::string>& errors_;
  int64_t rules_ = 0;
  int depth_ = 0;
};

// ---- Applying ----------------------------------------------------------------------------------

// Where rules read from: the document and the element an `each` is at. Their payload
// pointers are worked out only for an error message, from the scopes they are in.
struct Scope {
  const json::value* root;
  std::string_view root_at;  // the pointer of `root` ("" or the mapping's `root:`)
  const json::value* here;
  int64_t index = 0;  // position in the enclosing `each`
  // Where `here` is: the `each` path from the enclosing scope, through the list elements
  // in `trail`, then its element `element` (kWhole: the value the path reaches itself).
  static constexpr size_t kWhole = static_cast<size_t>(-1);
  const Scope* outer = nullptr;
  const Path* each = nullptr;
  Trail trail;
  size_t element = kWhole;
};

class Applier {
 public:
  Applier(const Mapping::Impl& m, const MappingContext& context, std::vector<MappingError>& errors)
      : m_(m),
        context_(context),
        errors_(errors),
        first_steps_(m.first_steps.size()),
        looked_up_(m.first_steps.size()),
        lists_of_one_(context.format == PayloadFormat::kXml) {}

  void Object(const std::vector<Rule>& rules, const Scope& scope, json::object& out) {
    out.reserve(rules.size());
    for (const Rule& rule : rules) Field(rule, scope, out);
  }

 private:
  // Where `path` starts from in `scope`.
  static const json::value* Base(const Path& path, const Scope& scope) {
    return path.absolute ? scope.root : scope.here;
  }

  // Where `path` is after its token `from` (set here): the base, or for an absolute path
  // with a first step, the value of that step, looked up once per payload.
  const json::value* Start(const Path& path, const Scope& scope, size_t& from) {
    if (path.first_step < 0) return Base(path, scope);
    from = 1;
    const size_t slot = static_cast<size_t>(path.first_step);
    if (!looked_up_[slot]) {
      first_steps_[slot] = Step(*scope.root, path.tokens[0].key);
      looked_up_[slot] = true;
    }
    return first_steps_[slot];
  }

  // The elements of a list; from XML (lists_of_one_), a value that is not a list is the only
  // element of one.
  std::span<const json::value> Elements(const json::value& v) const {
    if (const json::array* list = v.if_array()) return {list->data(), list->size()};
    if (lists_of_one_) return {&v, 1};
    return {};
  }

  // One kKey step: an object's member or a list's element by index (from XML, index 0 of
  // a value that is not a list is the value); nullptr otherwise.
  const json::value* Step(const json::value& v, const std::string& key) const {
    if (v.is_object()) {
      const json::value* member = v.get_object().if_contains(key);
      return member == nullptr && lists_of_one_ && key == "0" ? &v : member;
    }
    if (!v.is_array()) return lists_of_one_ && key == "0" ? &v : nullptr;
    size_t i = 0;
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), i);
    return ec == std::errc() && ptr == key.data() + key.size() && i < v.get_array().size()
               ? &v.get_array()[i]
               : nullptr;
  }

  // The value `path` points to, "*" or a filter standing for the first element of the list
  // it lets through (whose index goes to `trail`, if given); nullptr when absent or null.
  const json::value* Find(const Path& path, const Scope& scope, Trail* trail = nullptr) {
    size_t from = 0;
    const json::value* v = Start(path, scope, from);
    for (size_t i = from; i < path.tokens.size(); ++i) {
      const Token& t = path.tokens[i];
      if (v == nullptr) break;
      if (t.kind != Token::kKey) {
        const std::span<const json::value> list = Elements(*v);
        v = nullptr;
        for (size_t n = 0; n < list.size(); ++n) {
          if (t.kind != Token::kAll && !Passes(t, list[n])) continue;
          v = &list[n];
          if (trail != nullptr) trail->index[trail->size++] = n;
          break;
        }
      } else {
        v = Step(*v, t.key);
      }
    }
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  // The payload pointer of `path` from `scope`, for errors: its "*" and filter tokens
  // replaced by the indexes in `trail` while it has some, else as written.
  static std::string At(const Path& path, const Scope& scope, const Trail* trail = nullptr) {
    std::string at = path.absolute ? std::string(scope.root_at) : HereAt(scope);
    size_t w = 0;
    for (const Token& t : path.tokens) {
      at += '/';
      if (t.kind != Token::kKey && trail != nullptr && w < trail->size) {
        at += StrCat(trail->index[w++]);
      } else {
        at += t.key;
      }
    }
    return at;
  }

 public:
  // `request.path` made from its parts, each pointer's value one percent-encoded segment;
  // "" once an error is reported.
  std::string RequestPath(const std::vector<std::variant<std::string, Path>>& parts,
                          const Scope& scope) {
    static const Rule kRule{.name = "request.path"};
    std::string out;
    for (const auto& part : parts) {
      if (const std::string* text = std::get_if<std::string>(&part)) {
        out += *text;
        continue;
      }
      const Path& p = std::get<Path>(part);
      const json::value* v = Find(p, scope);
      absl::StatusOr<std::string> segment = v != nullptr ? ScalarText(*v, "a path segment")
                                                         : absl::InvalidArgumentError("is missing");
      if (!segment.ok() || segment->empty()) {
        Error(kRule, At(p, scope),
              segment.ok() ? "is empty" : std::string(segment.status().message()));
        return "";
      }
      out += PercentEncode(*segment);
    }
    return out;
  }

 private:
  // The payload pointer of the scope's element.
  static std::string HereAt(const Scope& scope) {
    if (scope.outer == nullptr) return std::string(scope.root_at);
    std::string at = At(*scope.each, *scope.outer, &scope.trail);
    if (scope.element != Scope::kWhole) at += StrCat("/", scope.element);
    return at;
  }

  // Calls fn(value, trail) for every value `path` reaches from its token `from` on `v`, where
  // "*" stands for every element of a list and a filter for every element it lets through;
  // stops, returning false, as soon as fn does.
  template <class Fn>
  bool Visit(const Path& path, size_t from, const json::value* v, Trail& trail, const Fn& fn) {
    for (size_t i = from; i < path.tokens.size() && v != nullptr; ++i) {
      const Token& t = path.tokens[i];
      if (t.kind == Token::kKey) {
        v = Step(*v, t.key);
        continue;
      }
      const std::span<const json::value> list = Elements(*v);
      for (size_t n = 0; n < list.size(); ++n) {
        if (t.kind != Token::kAll && !Passes(t, list[n])) continue;
        trail.index[trail.size++] = n;
        const bool go_on = Visit(path, i + 1, &list[n], trail, fn);
        --trail.size;
        if (!go_on) return false;
      }
      return true;
    }
    return v == nullptr || v->is_null() || fn(*v, trail);
  }

  void Error(const Rule& rule, std::string at, std::string message) {
    if (errors_.size() >= kMaxErrors) return;
    errors_.push_back({.rule = rule.name, .at = std::move(at), .message = std::move(message)});
  }

  // The currency of a money rule's amounts: the one at `currency: P` when the payload gives
  // one there (it must then be the document's, if that is mapped), else the document's.
  // nullopt once an error is reported; `at()` names the amount.
  template <class AtFn>
  std::optional<std::string_view> Currency(const Rule& rule, const Scope& scope, const AtFn& at) {
    if (rule.currency) {
      Trail trail;
      if (const json::value* v = Find(*rule.currency, scope, &trail)) {
        if (!v->is_string()) {
          Error(rule, At(*rule.currency, scope, &trail), "is not a currency code");
          return std::nullopt;
        }
        const std::string_view code(v->get_string().data(), v->get_string().size());
        if (!currency_.empty() && code != currency_) {
          Error(rule, At(*rule.currency, scope, &trail),
                StrCat("the amount is in ", code, ", not in the document's currency (", currency_,
                       ")"));
          return std::nullopt;
        }
        return code;
      }
    }
    if (currency_.empty()) {
      Error(rule, at(), "an amount needs the document's currency, and it is not mapped");
      return std::nullopt;
    }
    return std::string_view(currency_);
  }

  // `minor` divided by the count at the rule's `per:` (a line total per unit); nullopt once
  // an error is reported. `shown()` words the amount for the message.
  template <class AtFn, class ShownFn>
  std::optional<int64_t> PerUnit(const Rule& rule, int64_t minor, const Scope& scope,
                                 const AtFn& at, const ShownFn& shown) {
    Trail trail;
    const json::value* count = Find(*rule.per, scope, &trail);
    absl::StatusOr<int64_t> n =
        count != nullptr ? Integer(*count) : absl::InvalidArgumentError("is missing");
    if (!n.ok() || *n <= 0) {
      Error(rule, At(*rule.per, scope, &trail),
            StrCat("the count to divide by ", n.ok() ? "must be positive" : n.status().message()));
      return std::nullopt;
    }
    if (minor % *n != 0) {
      Error(rule, at(),
            StrCat(shown(), " does not divide evenly into ", *n,
                   " units of the currency's smallest unit"));
      return std::nullopt;
    }
    return minor / *n;
  }

  // The number a money (minor units of `currency`) or integer rule makes of `v`; nullopt
  // once an error is reported.
  template <class AtFn>
  std::optional<int64_t> Number(const Rule& rule, const json::value& v, const AtFn& at,
                                std::string_view currency) {
    absl::StatusOr<int64_t> n = rule.as == As::kMoney ? MoneyMinor(v, currency) : Integer(v);
    if (!n.ok()) {
      Error(rule, at(), std::string(n.status().message()));
      return std::nullopt;
    }
    return *n;
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
      if (it != rule.table->end() && it->first != "default")
        return json::value(json::string(it->second, sp_));
      if (rule.table_default) return json::value(json::string(*rule.table_default, sp_));
      std::string known;
      for (const auto& [k, value] : *rule.table) known += (known.empty() ? "" : ", ") + k;
      Error(rule, at(),
            StrCat("\"", *code, "\" is not in table ", rule.table_name, " (", known, ")"));
      return std::nullopt;
    }
    switch (rule.as) {
      case As::kString:
      case As::kId: {
        if (v.is_string()) return json::value(json::string(v.get_string(), sp_));
        absl::StatusOr<std::string> text = ScalarText(v, rule.as == As::kId ? "an id" : "a text");
        if (!text.ok())
          return Error(rule, at(), std::string(text.status().message())), std::nullopt;
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
      case As::kLocalTime: {  // a time out, as partners that read wall-clock times want it
        absl::StatusOr<absl::Time> t = Time(v, rule.time_format, rule.zone);
        if (!t.ok()) return Error(rule, at(), std::string(t.status().message())), std::nullopt;
        return json::value(
            json::string(absl::FormatTime("%Y-%m-%dT%H:%M:%E6S", *t, rule.zone), sp_));
      }
      case As::kDecimal: {  // canonical money out, as partners write it: "12.99"
        const json::object* m = v.if_object();
        const json::value* minor = m ? m->if_contains("amount_minor") : nullptr;
        const json::value* code = m ? m->if_contains("currency") : nullptr;
        if (minor == nullptr || !minor->is_int64() || code == nullptr || !code->is_string()) {
          Error(rule, at(), "is not an amount {amount_minor, currency}");
          return std::nullopt;
        }
        Money money{.minor = minor->as_int64(), .currency = std::string(code->as_string())};
        if (!IsKnownCurrency(money.currency)) {
          Error(rule, at(), StrCat("\"", money.currency, "\" is not an ISO 4217 currency"));
          return std::nullopt;
        }
        return json::value(json::string(FormatDecimal(money), sp_));
      }
      case As::kMoney: {
        std::optional<std::string_view> currency = Currency(rule, scope, at);
        if (!currency) return std::nullopt;
        std::optional<int64_t> minor = Number(rule, v, at, *currency);
        if (minor && rule.per)
          minor = PerUnit(rule, *minor, scope, at, [&] { return json::serialize(v); });
        if (!minor) return std::nullopt;
        return Amount(*minor, *currency);
      }
    }
    return std::nullopt;
  }

  // Sets the rule's field of `out` (whose storage is sp_, like every value made here, so
  // the value moves in).
  static void Put(json::object& out, const Rule& rule, json::value v) {
    out.emplace(rule.field, std::move(v));
  }

  // Puts a scalar rule's value; the document's `currency` is remembered for money rules.
  void PutScalar(json::object& out, const Rule& rule, json::value v) {
    if (&out == top_ && rule.field == "currency" && v.is_string())
      currency_ = std::string(v.as_string());
    Put(out, rule, std::move(v));
  }

  json::value Amount(int64_t minor, std::string_view currency) {
    json::object m(sp_);
    m.reserve(2);
    m.emplace("amount_minor", minor);
    m.emplace("currency", currency);
    return json::value(std::move(m));
  }

  // `sum` and `minus`: the values every path reaches, added or subtracted.
  void Sum(const Rule& rule, const Scope& scope, json::object& out) {
    std::string_view currency;
    if (rule.as == As::kMoney) {
      std::optional<std::string_view> c = Currency(rule, scope, NoAt);
      if (!c) return;
      currency = *c;
    }
    int64_t total = 0;
    bool ok = true;
    auto add = [&](const std::vector<Path>& paths, bool subtract) {
      for (const Path& p : paths) {
        if (!ok) return;
        Trail trail;
        size_t from = 0;
        const json::value* start = Start(p, scope, from);
        ok = Visit(p, from, start, trail, [&](const json::value& v, const Trail& t) {
          std::optional<int64_t> n = Number(
              rule, v, [&] { return At(p, scope, &t); }, currency);
          if (!n) return false;
          if (subtract ? __builtin_sub_overflow(total, *n, &total)
                       : __builtin_add_overflow(total, *n, &total)) {
            Error(rule, At(p, scope, &t), "the sum overflows");
            return false;
          }
          return true;
        });
      }
    };
    add(rule.paths, false);
    add(rule.minus, true);
    if (!ok) return;
    if (rule.as != As::kMoney) return Put(out, rule, total);
    if (rule.per) {
      std::optional<int64_t> unit = PerUnit(rule, total, scope, NoAt, [&] {
        return StrCat("the sum ", FormatDecimal(Money{total, std::string(currency)}));
      });
      if (!unit) return;
      total = *unit;
    }
    Put(out, rule, Amount(total, currency));
  }

  // `each`: one object per element of the list (with `single`, an object alone counts as a
  // list of one), those a filter lets through if the path ends in one.
  void Each(const Rule& rule, const Scope& scope, json::object& out) {
    if (rule.when && Find(*rule.when, scope) == nullptr) return;
    Trail trail;
    const json::value* list = Find(rule.paths[0], scope, &trail);
    json::array items(sp_);
    if (list == nullptr) {
      if (rule.optional) return;
      Error(rule, At(rule.paths[0], scope, &trail), "is missing: expected a list");
    } else if (!list->is_array() && ((rule.single && list->is_object()) || lists_of_one_)) {
      if (!rule.each_filter || Passes(*rule.each_filter, *list)) {
        const Scope inner{.root = scope.root,
                          .root_at = scope.root_at,
                          .here = list,
                          .outer = &scope,
                          .each = &rule.paths[0],
                          .trail = trail};
        json::object item(sp_);
        Object(rule.fields, inner, item);
        items.push_back(std::move(item));
      }
    } else if (!list->is_array()) {
      Error(rule, At(rule.paths[0], scope, &trail), "is not a list");
    } else {
      const json::array& elements = list->get_array();
      int64_t mapped = 0;
      items.reserve(elements.size());
      for (size_t i = 0; i < elements.size(); ++i) {
        if (rule.each_filter && !Passes(*rule.each_filter, elements[i])) continue;
        const Scope inner{.root = scope.root,
                          .root_at = scope.root_at,
                          .here = &elements[i],
                          .index = mapped++,
                          .outer = &scope,
                          .each = &rule.paths[0],
                          .trail = trail,
                          .element = i};
        json::object item(sp_);
        Object(rule.fields, inner, item);
        items.push_back(std::move(item));
      }
    }
    Put(out, rule, std::move(items));
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
      case Source::kEach:
        return Each(rule, scope, out);
      case Source::kIndex:
        Put(out, rule, scope.index + rule.index_base);
        return;
      case Source::kVar: {
        auto v = context_.vars.find(rule.var);
        const std::string* text = v != context_.vars.end() ? &v->second
                                  : rule.default_value     ? &*rule.default_value
                                                           : nullptr;
        if (text == nullptr) {
          if (rule.optional) return;
          return Error(rule, "", StrCat("the variable ", rule.var, " is not set"));
        }
        if (auto c = Convert(rule, json::value(*text), NoAt, scope))
          PutScalar(out, rule, *std::move(c));
        return;
      }
      case Source::kValue:
        if (auto c = Convert(rule, json::value(rule.constant), NoAt, scope))
          PutScalar(out, rule, *std::move(c));
        return;
      case Source::kSum:
        return Sum(rule, scope, out);
      case Source::kJoin: {
        std::string text;
        for (const Path& p : rule.paths) {
          Trail trail;
          const json::value* v = Find(p, scope, &trail);
          if (v == nullptr) continue;
          absl::StatusOr<std::string> part = ScalarText(*v, "a text");
          if (!part.ok())
            return Error(rule, At(p, scope, &trail), std::string(part.status().message()));
          if (part->empty()) continue;
          if (!text.empty()) text += rule.separator;
          text += *part;
        }
        if (text.empty()) {
          if (rule.default_value)
            text = *rule.default_value;
          else if (rule.optional)
            return;
          else
            return Error(rule, "", "is missing: none of its parts is present");
        }
        Put(out, rule, json::string(text, sp_));
        return;
      }
      case Source::kPath:
      case Source::kFirst: {
        const json::value* v = nullptr;
        const Path* found = nullptr;
        Trail trail;
        for (const Path& p : rule.paths) {
          trail.size = 0;
          v = Find(p, scope, &trail);
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
            rule, *v, [&] { return found != nullptr ? At(*found, scope, &trail) : std::string(); },
            scope);
        if (c) PutScalar(out, rule, *std::move(c));
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
  // The first steps of absolute paths from the document's root, by Path::first_step.
  absl::InlinedVector<const json::value*, 16> first_steps_;
  absl::InlinedVector<char, 16> looked_up_;
  // XML has no lists of one: an element alone is read as a list of one where a list is
  // expected (`each`, "*", filters, index 0).
  bool lists_of_one_ = false;
};

}  // namespace

ArenaDocument::ArenaDocument()
    : arena_(std::make_unique<json::monotonic_resource>(8192)),
      document(json::object(json::storage_ptr(arena_.get()))) {}

// The moved document keeps its storage (the arena, which comes along); the source gets a
// null of the default storage, so that nothing it is given later lands in the arena.
ArenaDocument::ArenaDocument(ArenaDocument&& other) noexcept
    : arena_(std::move(other.arena_)), document(std::move(other.document)) {
  other.document.~value();
  ::new (&other.document) json::value();
}

// Not json::value's assignment, which would copy into the target's (old) arena.
ArenaDocument& ArenaDocument::operator=(ArenaDocument&& other) noexcept {
  if (this == &other) return *this;
  document.~value();
  ::new (&document) json::value(std::move(other.document));
  arena_ = std::move(other.arena_);  // the old arena goes, with nothing left in it
  other.document.~value();
  ::new (&other.document) json::value();
  return *this;
}

ArenaDocument::~ArenaDocument() = default;

namespace {

// Compiles "/orders/{/channel_ref}/notes" into `parts`; the problem, or "".
std::string CompilePathTemplate(const std::string& text,
                                std::vector<std::variant<std::string, Path>>& parts) {
  if (!text.starts_with("/")) return "must start with \"/\" (it is added to the subscriber's url)";
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    const size_t close = text.find('}', at);
    if (close < open) return "has a \"}\" without its \"{\"";
    if (open > at) parts.emplace_back(text.substr(at, std::min(open, text.size()) - at));
    if (open == std::string::npos) break;
    if (close == std::string::npos) return "has a \"{\" without its \"}\"";
    Path p = ParsePath(text.substr(open + 1, close - open - 1));
    if (!p.absolute || p.wildcards > 0 || !p.problem.empty()) {
      return StrCat("{", p.text,
                    "} must be a JSON Pointer from the document, without \"*\" or "
                    "filters");
    }
    parts.emplace_back(std::move(p));
    at = close + 1;
  }
  return "";
}

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
bool Mapping::ReadsJson() const { return impl_->json; }
bool Mapping::ReadsXml() const { return impl_->xml; }

PayloadFormat FormatOf(std::string_view bytes) {
  return formats::LooksLikeXml(bytes) ? PayloadFormat::kXml : PayloadFormat::kJson;
}

absl::StatusOr<ParsedPayload> ParsePayload(const Mapping& mapping, std::string_view bytes,
                                           json::storage_ptr storage) {
  auto refuse = [&](std::string_view what, std::string_view reads) {
    return absl::FailedPreconditionError(StrCat("the payload is ", what, "; mapping ",
                                                mapping.name(), " reads ", reads, " (formats: in ",
                                                mapping.file(), ")"));
  };
  if (FormatOf(bytes) == PayloadFormat::kXml) {
    if (!mapping.ReadsXml()) return refuse("XML", "JSON only");
    absl::StatusOr<json::value> v = formats::ParseXml(bytes, std::move(storage));
    if (!v.ok()) return v.status();
    return ParsedPayload{.value = *std::move(v), .format = PayloadFormat::kXml};
  }
  if (!mapping.ReadsJson()) return refuse("not XML", "XML only");
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec, std::move(storage));
  if (ec) return absl::InvalidArgumentError(StrCat("the body is not valid JSON: ", ec.message()));
  return ParsedPayload{.value = std::move(v), .format = PayloadFormat::kJson};
}

absl::StatusOr<Mapping> Mapping::Parse(const std::string& yaml, const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml, file));
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  std::vector<std::string> errors;
  {
    YamlReader top(root, "", file, &errors);
    // A tag or an empty scalar (`from: !p`) reads as "": a name must say something.
    const YamlCheck<std::string> named = [](const std::string& v) {
      return v.empty() ? "must not be empty" : "";
    };
    top.Required("mapping", impl->name, named);
    top.Required("version", impl->version);
    top.Required("from", impl->dialect, named);
    top.Required("to", impl->target);
    std::vector<std::string> formats;
    top.Get("formats", formats);
    if (!formats.empty()) {
      impl->json = impl->xml = false;
      for (const std::string& f : formats) {
        if (f == "json") {
          impl->json = true;
        } else if (f == "xml") {
          impl->xml = true;
        } else {
          errors.push_back(StrCat(file, ": formats: \"", f, "\" is not a format (json, xml)"));
        }
      }
    }
    std::vector<std::string> roots;
    top.Get("root", roots);
    for (const std::string& r : roots) {
      if (!r.empty() && !r.starts_with("/")) {
        errors.push_back(StrCat(
            file, ": root: \"", r,
            "\" must be a JSON Pointer from the document (\"/order\", or \"\" for the whole)"));
      }
      impl->roots.push_back(ParsePath(r));
      if (impl->roots.back().wildcards > 0 || !impl->roots.back().problem.empty()) {
        errors.push_back(
            StrCat(file, ": root: \"", r, "\" must name objects, without \"*\" or filters"));
      }
    }
    top.Section("request", [&](YamlReader& r) {
      r.Get("method", impl->method);
      if (impl->method != "POST" && impl->method != "PUT" && impl->method != "PATCH") {
        errors.push_back(StrCat(file, ": request.method: \"", impl->method,
                                "\" is not one of POST, PUT, PATCH"));
      }
      std::string path;
      r.Required("path", path);
      if (std::string problem = CompilePathTemplate(path, impl->path); !problem.empty()) {
        errors.push_back(StrCat(file, ": request.path: \"", path, "\": ", problem));
      }
    });
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
      if (!any)
        errors.push_back(StrCat(file, ": fields: is required (the rules, by canonical field)"));
      top.Section("checks", [&](YamlReader& c) { compiler.Fields(c, "checks", impl->checks); });
      // The document's currency first: money rules read it.
      std::stable_partition(impl->fields.begin(), impl->fields.end(),
                            [](const Rule& r) { return r.field == "currency"; });
    }
  }
  if (!impl->path.empty() && impl->target != "partner" && errors.empty()) {
    errors.push_back(StrCat(file, ": request: only a mapping to: partner sends requests"));
  }
  if (impl->version < 1 && errors.empty())
    errors.push_back(StrCat(file, ": version: must be at least 1"));
  if (std::find(kTargets.begin(), kTargets.end(), impl->target) == kTargets.end() &&
      errors.empty()) {
    std::string known;
    for (std::string_view t : kTargets) known += StrCat(known.empty() ? "" : ", ", t);
    errors.push_back(StrCat(file, ": to: \"", impl->target,
                            "\" is not a canonical document this build maps (", known, ")"));
  }
  if (!errors.empty()) return YamlErrors(errors);
  return Mapping(std::move(impl));
}

absl::StatusOr<Mapping> Mapping::Load(const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(file), "the mapping file");
  return Parse(text, file);
}

absl::StatusOr<Mapping> Mapping::Load(const std::string& file, std::string_view target,
                                      std::string_view why) {
  absl::StatusOr<Mapping> m = Load(file);
  if (m.ok() && m->target() != target) {
    return absl::FailedPreconditionError(StrCat(m->file(), " maps to ", m->target(), "; ", why));
  }
  return m;
}

MappingResult Mapping::Apply(const json::value& payload, const MappingContext& context) const {
  MappingResult result;
  const json::storage_ptr sp = result.document.storage();
  Scope scope{.root = &payload, .root_at = "", .here = &payload};
  if (!impl_->roots.empty()) {
    const json::value* found = nullptr;
    std::string tried;
    for (const Path& r : impl_->roots) {
      const json::value* v = &payload;
      for (const Token& t : r.tokens) {
        v = v->is_object() ? v->get_object().if_contains(t.key) : nullptr;
        if (v == nullptr) break;
      }
      if (v != nullptr && v->is_object()) {
        found = v;
        scope = {.root = v, .root_at = r.text, .here = v};
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
    result.errors.push_back(
        {.rule = "root", .at = "", .message = "the payload is not a JSON object"});
    return result;
  }
  Applier applier(*impl_, context, result.errors);
  applier.top_ = &result.document.get_object();
  applier.sp_ = sp;
  if (!impl_->checks.empty()) {
    // Not a payload this mapping takes: refused before its fields say more.
    json::object dropped(sp);
    applier.Object(impl_->checks, scope, dropped);
    if (!result.errors.empty()) return result;
  }
  applier.Object(impl_->fields, scope, result.document.get_object());
  result.method = impl_->method;
  if (!impl_->path.empty()) result.path = applier.RequestPath(impl_->path, scope);
  return result;
}

MappedOrder MapOrder(const Mapping& mapping, const json::value& payload,
                     const MappingContext& context) {
  MappingResult r = mapping.Apply(payload, context);
  MappedOrder out;
  static_cast<ArenaDocument&>(out) = std::move(r);
  out.errors = std::move(r.errors);
  if (!out.errors.empty()) return out;
  Decoded<Order> decoded = DecodeOrder(out.document, DecodeMode::kInbound);
  std::vector<FieldError> problems = decoded.ok() ? ValidateOrder(*decoded.value) : decoded.errors;
  for (FieldError& e : problems) {
    out.errors.push_back(
        {.rule = StrCat("canonical ", e.pointer), .at = "", .message = std::move(e.detail)});
  }
  if (out.errors.empty()) out.order = std::move(decoded.value);
  return out;
}

std::span<const std::string_view> Targets() { return kTargets; }

namespace {

// Adds the decoding's errors to `out`, or sets its value.
template <class T>
void Take(Decoded<T> decoded, MappedDocument& out) {
  for (FieldError& e : decoded.errors) {
    out.errors.push_back(
        {.rule = StrCat("canonical ", e.pointer), .at = "", .message = std::move(e.detail)});
  }
  if (out.errors.empty()) out.value = *std::move(decoded.value);
}

}  // namespace

MappedDocument MapDocument(const Mapping& mapping, const json::value& payload,
                           const MappingContext& context) {
  const std::string& target = mapping.target();
  if (target == "order") {
    MappedOrder r = MapOrder(mapping, payload, context);
    MappedDocument out;
    static_cast<ArenaDocument&>(out) = std::move(r);
    out.errors = std::move(r.errors);
    if (r.order) out.value = *std::move(r.order);
    return out;
  }
  MappingResult r = mapping.Apply(payload, context);
  MappedDocument out;
  static_cast<ArenaDocument&>(out) = std::move(r);
  out.errors = std::move(r.errors);
  if (!out.errors.empty()) return out;
  if (target == "shipment") {
    Take(Decode<Shipment>(out.document, DecodeMode::kInbound), out);
  } else if (target == "return") {
    Take(Decode<Return>(out.document, DecodeMode::kInbound), out);
  } else if (target == "inventory") {
    Take(Decode<InventoryPosition>(out.document, DecodeMode::kInbound), out);
  } else if (target == "tracking") {
    Take(DecodeTracking(out.document), out);
  } else if (target == "cancellation") {
    Take(DecodeCancellation(out.document), out);
  } else if (target == "partner") {
    // Canonical → partner: the document is the partner's, with no model to check it against.
  } else {
    assert(false && "Mapping::Parse admits only Targets()");
  }
  return out;
}

}  // namespace disthub::mapping
