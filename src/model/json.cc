#include "model/json.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/clock.h"
#include "base/strings.h"
#include "model/describe.h"
#include "model/json_escape.h"

namespace disthub {
namespace {

namespace json = boost::json;

std::string_view StdView(json::string_view s) { return {s.data(), s.size()}; }
std::string_view StdView(const json::string& s) { return {s.data(), s.size()}; }
std::string_view StdView(std::string_view s) { return s; }
json::string_view JsonView(std::string_view s) { return {s.data(), s.size()}; }

// ---- Times ------------------------------------------------------------------------------------

constexpr int64_t kMillisPerDay = 86'400'000;

constexpr bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int DaysInMonth(int64_t year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil). REQUIRES: 1 <= month <= 12, 1 <= day <= DaysInMonth(year, month).
constexpr int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;  // [0, 399]
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil (H. Hinnant's civil_from_days).
constexpr CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;  // March is 0
  const int day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {year_of_era + era * 400 + (month <= 2), month, day};
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(CivilFromDays(11016).month == 2 && CivilFromDays(11016).day == 29);
static_assert(CivilFromDays(DaysFromCivil(1000, 1, 1)).year == 1000);

// Parses an RFC 3339 time: "2026-11-26T21:10:07.123Z", "2026-11-26T16:10:07-05:00" ('t' and
// 'z' too, any number of fraction digits). Digits beyond milliseconds are dropped. A leap
// second (:60) is the first second of the next minute.
std::optional<absl::Time> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto number = [&](size_t digits, int& out) {
    if (s.size() - pos < digits) return false;
    out = 0;
    for (const size_t end = pos + digits; pos < end; ++pos) {
      if (s[pos] < '0' || s[pos] > '9') return false;
      out = out * 10 + (s[pos] - '0');
    }
    return true;
  };
  auto literal = [&](char c, char alternative = 0) {
    if (pos >= s.size() || (s[pos] != c && (alternative == 0 || s[pos] != alternative))) {
      return false;
    }
    ++pos;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!(number(4, year) && literal('-') && number(2, month) && literal('-') && number(2, day) &&
        literal('T', 't') && number(2, hour) && literal(':') && number(2, minute) && literal(':') &&
        number(2, second))) {
    return std::nullopt;
  }
  int64_t millis = 0;
  if (literal('.')) {
    const size_t start = pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  int offset_minutes = 0;
  if (!literal('Z', 'z')) {
    if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
    const int sign = s[pos++] == '-' ? -1 : 1;
    int offset_hours, offset_mins;
    if (!(number(2, offset_hours) && literal(':') && number(2, offset_mins)) || offset_hours > 23 ||
        offset_mins > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  }
  if (pos != s.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 +
                          (minute - offset_minutes) * 60 + second;
  return absl::FromUnixMillis(seconds * 1000 + millis);
}

// The length of disthub::FormatTime()'s text for the years 1000 to 9999.
constexpr size_t kTimeLength = std::string_view("2026-11-26T21:10:07.123Z").size();

// Writes `t` as disthub::FormatTime() does ("2026-11-26T21:10:07.123Z") to text[0..23] and
// returns true if its year is 1000 to 9999 (4 digits); otherwise writes nothing and returns
// false. Faster than FormatTime(): no time zone lookup, no format string.
bool FormatTimeTo(absl::Time t, char* text) {
  constexpr int64_t kFirst = DaysFromCivil(1000, 1, 1) * kMillisPerDay;
  constexpr int64_t kEnd = DaysFromCivil(10000, 1, 1) * kMillisPerDay;
  const int64_t millis = absl::ToUnixMillis(t);  // rounds down, as FormatTime truncates
  if (millis < kFirst || millis >= kEnd) return false;
  const int64_t days = (millis - kFirst) / kMillisPerDay + kFirst / kMillisPerDay;
  const int64_t in_day = millis - days * kMillisPerDay;  // [0, kMillisPerDay)
  const CivilDate date = CivilFromDays(days);
  auto put = [text](size_t pos, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      text[pos + i] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, date.year, 4);
  text[4] = '-';
  put(5, date.month, 2);
  text[7] = '-';
  put(8, date.day, 2);
  text[10] = 'T';
  put(11, in_day / 3'600'000, 2);
  text[13] = ':';
  put(14, in_day / 60'000 % 60, 2);
  text[16] = ':';
  put(17, in_day / 1000 % 60, 2);
  text[19] = '.';
  put(20, in_day % 1000, 3);
  text[23] = 'Z';
  return true;
}

// ---- Decoding ---------------------------------------------------------------------------------

// True for a double that holds an integer exactly (|d| < 2^53).
bool IsExactInteger(double d) { return std::fabs(d) < 9007199254740992.0 && d == std::trunc(d); }

std::string JoinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) out += StrCat(out.empty() ? "" : ", ", n);
  return out;
}

struct FieldNameCollector {
  std::vector<std::string_view> names;

  template <class T>
  void Field(std::string_view name, const T&, const Rules& = {}) {
    names.push_back(name);
  }
};

// No described type has more fields than this (checked once per type).
constexpr size_t kMaxFields = 32;

// The JSON names of the fields of T, in the order Describe() visits them.
template <Described T>
const std::vector<std::string_view>& FieldNamesOf() {
  static const std::vector<std::string_view>* const names = [] {
    FieldNameCollector collector;
    const T blank{};
    Describe(collector, blank);
    if (collector.names.size() > kMaxFields) {  // our bug, and Reader would overrun: stop here
      const std::string_view title = NamesOfType<T>().title;
      std::fprintf(stderr, "%.*s has more than %zu fields\n", static_cast<int>(title.size()),
                   title.data(), kMaxFields);
      std::abort();
    }
    return new std::vector<std::string_view>(std::move(collector.names));
  }();
  return *names;
}

// a == b, comparing 8 (or 4) bytes at a time: for the short keys of our documents this is
// several times faster than a byte loop, whose exit mispredicts, or a call to memcmp.
bool SameKey(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const auto load64 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  const auto load32 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load64(a.data() + i) != load64(b.data() + i)) return false;
    }
    return load64(a.data() + n - 8) == load64(b.data() + n - 8);  // the last 8, overlapping
  }
  if (n >= 4) {
    return load32(a.data()) == load32(b.data()) &&
           load32(a.data() + n - 4) == load32(b.data() + n - 4);
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// ---- Documents the Reader walks ---------------------------------------------------------------

// How the Reader walks a boost::json::value.
struct BoostJson {
  using Value = json::value;
  using Object = json::object;
  using Array = json::array;

  static const Object* IfObject(const Value& v) { return v.if_object(); }
  static const Array* IfArray(const Value& v) { return v.if_array(); }
  static size_t Size(const Object& o) { return o.size(); }
  static size_t Size(const Array& a) { return a.size(); }
  static const Object& Members(const Object& o) { return o; }
  static const Array& Elements(const Array& a) { return a; }
  static std::string_view Key(const json::key_value_pair& m) { return StdView(m.key()); }
  static const Value& MemberValue(const json::key_value_pair& m) { return m.value(); }
};

// One value of a FlatDocument. Scalars answer as a boost::json::value does (is_int64(),
// get_int64(), if_string(), ...); objects and arrays are walked through FlatJson.
struct FlatValue {
  enum class Kind : uint8_t { kNull, kBool, kInt64, kUint64, kDouble, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  bool hidden = false;  // a member whose key came again later: see `redirect`
  uint32_t size = 0;    // objects: members (repeated keys once); arrays: elements
  uint32_t span = 1;    // values in this subtree, itself included: the next sibling is this + span
  uint32_t redirect = 0;  // a member whose key came again: this + redirect holds its value
  std::string_view key;   // a member's key
  std::string_view text;  // a string
  union {
    int64_t int64 = 0;
    uint64_t uint64;
    double number;
  };

  bool is_int64() const { return kind == Kind::kInt64; }
  bool is_uint64() const { return kind == Kind::kUint64; }
  bool is_double() const { return kind == Kind::kDouble; }
  bool is_bool() const { return kind == Kind::kBool; }
  int64_t get_int64() const { return int64; }
  uint64_t get_uint64() const { return uint64; }
  double get_double() const { return number; }
  bool get_bool() const { return boolean; }
  const std::string_view* if_string() const { return kind == Kind::kString ? &text : nullptr; }
};

// The members of an object or the elements of an array: the children of a FlatValue,
// without the hidden ones.
class FlatChildren {
 public:
  class Iterator {
   public:
    explicit Iterator(const FlatValue* at) : at_(at) {}
    const FlatValue& operator*() const { return *at_; }
    Iterator& operator++() {
      do {
        at_ += at_->span;
      } while (at_ != end_ && at_->hidden);
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at_ != other.at_; }

   private:
    friend class FlatChildren;
    const FlatValue* at_;
    const FlatValue* end_ = nullptr;
  };

  explicit FlatChildren(const FlatValue& parent)
      : begin_(&parent + 1), end_(&parent + parent.span) {
    begin_.end_ = end_.at_;
    while (begin_.at_ != end_.at_ && begin_.at_->hidden) begin_.at_ += begin_.at_->span;
  }
  Iterator begin() const { return begin_; }
  Iterator end() const { return end_; }

 private:
  Iterator begin_;
  Iterator end_;
};

// How the Reader walks a FlatDocument.
struct FlatJson {
  using Value = FlatValue;
  using Object = FlatValue;
  using Array = FlatValue;

  static const Object* IfObject(const Value& v) {
    return v.kind == Value::Kind::kObject ? &v : nullptr;
  }
  static const Array* IfArray(const Value& v) {
    return v.kind == Value::Kind::kArray ? &v : nullptr;
  }
  static size_t Size(const Value& v) { return v.size; }
  static FlatChildren Members(const Object& o) { return FlatChildren(o); }
  static FlatChildren Elements(const Array& a) { return FlatChildren(a); }
  static std::string_view Key(const Value& m) { return m.key; }
  static const Value& MemberValue(const Value& m) { return *(&m + m.redirect); }
};

// JSON text as an array of values in document order (each container before its children),
// with strings unescaped into one buffer: what the Reader needs, built in one pass of
// boost::json::basic_parser, with far fewer allocations than a boost::json::value tree.
// Reads exactly as boost::json::parse() with the default options does: the same syntax
// errors, numbers as int64, uint64 or double alike, and a key repeated in an object keeps
// its first place and its last value. Reusable; not thread-safe.
class FlatDocument {
 public:
  // Parses `text`, replacing the previous document. On success root() is valid until the
  // next Parse() or the destruction of this document and `text` may go.
  json::error_code Parse(std::string_view text) {
    values_.clear();
    open_.clear();
    strings_.resize(text.size());  // unescaped, the strings never take more than the text
    used_ = 0;
    pending_ = 0;
    json::basic_parser<Builder> parser(json::parse_options(), this);
    json::error_code ec;
    const size_t n = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && n < text.size()) ec = json::error::extra_data;  // as boost::json::parse()
    return ec;
  }

  const FlatValue& root() const { return values_.front(); }

  // Gives back memory kept from a large document.
  void Trim(size_t max_bytes) {
    if (strings_.capacity() > max_bytes) std::string().swap(strings_);
    if (values_.capacity() * sizeof(FlatValue) > max_bytes) std::vector<FlatValue>().swap(values_);
  }

 private:
  // The basic_parser handler.
  class Builder {
   public:
    static constexpr size_t max_object_size = json::object::max_size();
    static constexpr size_t max_array_size = json::array::max_size();
    static constexpr size_t max_key_size = json::string::max_size();
    static constexpr size_t max_string_size = json::string::max_size();

    explicit Builder(FlatDocument* doc) : doc_(*doc) {}

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return Open(FlatValue::Kind::kObject); }
    bool on_object_end(size_t n, json::error_code&) { return Close(n); }
    bool on_array_begin(json::error_code&) { return Open(FlatValue::Kind::kArray); }
    bool on_array_end(size_t n, json::error_code&) { return Close(n); }
    bool on_key_part(json::string_view s, size_t, json::error_code&) { return Append(s); }
    bool on_key(json::string_view s, size_t, json::error_code&) {
      Append(s);
      key_ = doc_.TakeString();
      return true;
    }
    bool on_string_part(json::string_view s, size_t, json::error_code&) { return Append(s); }
    bool on_string(json::string_view s, size_t, json::error_code&) {
      Append(s);
      Push(FlatValue::Kind::kString).text = doc_.TakeString();
      return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(int64_t v, json::string_view, json::error_code&) {
      Push(FlatValue::Kind::kInt64).int64 = v;
      return true;
    }
    bool on_uint64(uint64_t v, json::string_view, json::error_code&) {
      Push(FlatValue::Kind::kUint64).uint64 = v;
      return true;
    }
    bool on_double(double v, json::string_view, json::error_code&) {
      Push(FlatValue::Kind::kDouble).number = v;
      return true;
    }
    bool on_bool(bool v, json::error_code&) {
      Push(FlatValue::Kind::kBool).boolean = v;
      return true;
    }
    bool on_null(json::error_code&) {
      Push(FlatValue::Kind::kNull);
      return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

   private:
    // Appends a value, the member named by the last key if its parent is an object.
    FlatValue& Push(FlatValue::Kind kind) {
      FlatValue& v = doc_.values_.emplace_back();
      v.kind = kind;
      if (!doc_.open_.empty() && doc_.values_[doc_.open_.back()].kind == FlatValue::Kind::kObject) {
        v.key = key_;
      }
      return v;
    }
    bool Open(FlatValue::Kind kind) {
      Push(kind);
      doc_.open_.push_back(static_cast<uint32_t>(doc_.values_.size() - 1));
      return true;
    }
    bool Close(size_t n) {
      const uint32_t at = doc_.open_.back();
      doc_.open_.pop_back();
      FlatValue* const self = &doc_.values_[at];
      self->span = static_cast<uint32_t>(doc_.values_.size() - at);
      self->size = static_cast<uint32_t>(n);
      if (self->kind == FlatValue::Kind::kObject) MergeRepeatedKeys(self);
      return true;
    }
    // As boost::json::object does: a repeated key keeps the place of its first occurrence
    // and the value of its last.
    void MergeRepeatedKeys(FlatValue* object) {
      std::vector<FlatValue*>& members = doc_.members_;
      members.clear();
      const FlatValue* const end = object + object->span;
      for (FlatValue* m = object + 1; m != end; m += m->span) {
        FlatValue* first = nullptr;
        for (FlatValue* earlier : members) {
          if (earlier->key.size() == m->key.size() && earlier->key == m->key) {
            first = earlier;
            break;
          }
        }
        if (first == nullptr) {
          members.push_back(m);
          continue;
        }
        first->redirect = static_cast<uint32_t>(m - first);
        m->hidden = true;
        --object->size;
      }
    }
    bool Append(json::string_view s) {
      std::memcpy(doc_.strings_.data() + doc_.used_, s.data(), s.size());
      doc_.used_ += s.size();
      return true;
    }

    FlatDocument& doc_;
    std::string_view key_;  // the key of the member whose value comes next
  };

  // The string appended since the last call.
  std::string_view TakeString() {
    std::string_view s(strings_.data() + pending_, used_ - pending_);
    pending_ = used_;
    return s;
  }

  std::vector<FlatValue> values_;
  std::vector<uint32_t> open_;       // the objects and arrays being read, outermost first
  std::vector<FlatValue*> members_;  // scratch for MergeRepeatedKeys()
  std::string strings_;              // [0, used_) holds the strings read so far
  size_t used_ = 0;
  size_t pending_ = 0;  // where the string being read starts
};

// Points values[i] at the member of `object` named names[i], leaving the others alone, and
// returns how many members are not fields. Members usually come in the order of the names
// (partners echo our schema), so the search for each member starts after the previous match:
// about one comparison per member instead of a search of the object per field.
template <class Doc>
size_t MatchFields(const typename Doc::Object& object, const std::vector<std::string_view>& names,
                   const typename Doc::Value** values) {
  size_t unknown = 0;
  size_t next = 0;  // where the search for the next member starts
  for (const auto& member : Doc::Members(object)) {
    const std::string_view key = Doc::Key(member);
    size_t i = next;
    size_t tries = 0;
    for (; tries < names.size() && !SameKey(names[i], key); ++tries) {
      if (++i == names.size()) i = 0;
    }
    if (tries == names.size()) {
      ++unknown;
      continue;
    }
    values[i] = &Doc::MemberValue(member);
    next = i + 1 == names.size() ? 0 : i + 1;
  }
  return unknown;
}

// Fills an entity from a JSON value, recording every problem with its JSON Pointer. `Doc`
// says how to walk the document: BoostJson (a boost::json::value) or FlatJson (FlatDocument).
template <class Doc>
class Reader {
  using Value = typename Doc::Value;

 public:
  Reader(DecodeMode mode, std::vector<FieldError>& errors) : mode_(mode), errors_(errors) {}

  // Describe() calls this for the fields of the object being read, in the order of
  // FieldNamesOf(), so the i-th call reads values_[i].
  template <class T>
  void Field(std::string_view name, T& value, const Rules& rules = {}) {
    const Value* field = values_[next_field_++];
    const bool refused = rules.output_only && mode_ == DecodeMode::kInbound;
    if (field == nullptr && !(rules.required && !refused)) return;
    FieldPath::Scope scope = path_.Enter(name);
    if (field == nullptr) return Error("is required");
    if (refused) return Error("is set by the hub; leave it out");
    Read(*field, value, rules);
  }

  template <Described T>
  void Read(const Value& json, T& out, const Rules&) {
    const typename Doc::Object* object = Doc::IfObject(json);
    if (object == nullptr) return Error("expected an object");
    const std::vector<std::string_view>& names = FieldNamesOf<T>();
    std::array<const Value*, kMaxFields> values;
    std::fill_n(values.begin(), names.size(), nullptr);
    const size_t unknown = MatchFields<Doc>(*object, names, values.data());
    const Value* const* outer_values = std::exchange(values_, values.data());
    const size_t outer_next_field = std::exchange(next_field_, 0);
    Describe(*this, out);
    values_ = outer_values;
    next_field_ = outer_next_field;
    if (unknown > 0) ReportUnknownFields<T>(*object);
  }

  void Read(const Value& json, std::string& out, const Rules& rules) {
    const bool id = rules.format == Format::kId;
    if (const auto* s = json.if_string()) {
      out.assign(s->data(), s->size());
    } else if (id && json.is_int64()) {
      out = StrCat(json.get_int64());
    } else if (id && json.is_uint64()) {
      out = StrCat(json.get_uint64());
    } else if (id && json.is_double()) {
      return Error("send ids larger than 2^64 or with fractions as strings");
    } else {
      return Error(id ? "expected a string or an integer" : "expected a string");
    }
    Report(CheckString(out, rules));
  }

  template <class Int>
  requires std::same_as<Int, int> || std::same_as<Int, int64_t>
  void Read(const Value& json, Int& out, const Rules& rules) {
    const std::pair<int64_t, int64_t> range = IntegerRange<Int>(rules);
    int64_t v;
    if (json.is_int64()) {
      v = json.get_int64();
    } else if (json.is_uint64()) {
      return Error(StrCat("must be at most ", range.second));
    } else if (json.is_double() && IsExactInteger(json.get_double())) {
      v = static_cast<int64_t>(json.get_double());
    } else {
      return Error("expected an integer");
    }
    if (std::optional<std::string> problem = CheckInteger(v, range)) return Error(*problem);
    out = static_cast<Int>(v);
  }

  void Read(const Value& json, bool& out, const Rules&) {
    if (!json.is_bool()) return Error("expected true or false");
    out = json.get_bool();
  }

  void Read(const Value& json, absl::Time& out, const Rules&) {
    const auto* s = json.if_string();
    std::optional<absl::Time> time = s != nullptr ? ParseRfc3339(StdView(*s)) : std::nullopt;
    if (!time) return Error("expected an RFC 3339 time like 2026-11-26T21:10:07.123Z");
    out = *time;
  }

  template <NamedEnum E>
  void Read(const Value& json, E& out, const Rules&) {
    const auto* s = json.if_string();
    std::optional<E> e = s != nullptr ? EnumFromName<E>(StdView(*s)) : std::nullopt;
    if (!e) return Error(StrCat("must be one of: ", JoinNames(EnumNames(E{}))));
    out = *e;
  }

  template <class T>
  void Read(const Value& json, std::optional<T>& out, const Rules& rules) {
    Read(json, out.emplace(), rules);
  }

  template <class T>
  void Read(const Value& json, std::vector<T>& out, const Rules& rules) {
    const typename Doc::Array* array = Doc::IfArray(json);
    if (array == nullptr) return Error("expected an array");
    const size_t size = Doc::Size(*array);
    if (std::optional<std::string> problem = CheckItems(size, rules)) {
      Error(*problem);
      if (rules.max_items > 0 && size > rules.max_items) return;  // don't read a flood
    }
    out.clear();
    out.reserve(size);
    size_t i = 0;
    for (const Value& element : Doc::Elements(*array)) {
      FieldPath::Scope scope = path_.Enter(i++);
      Read(element, out.emplace_back(), Rules{});
    }
  }

  void Read(const Value& json, std::map<std::string, std::string>& out, const Rules& rules) {
    const typename Doc::Object* object = Doc::IfObject(json);
    if (object == nullptr) return Error("expected an object");
    const size_t size = Doc::Size(*object);
    if (std::optional<std::string> problem = CheckItems(size, rules)) {
      Error(*problem);
      if (rules.max_items > 0 && size > rules.max_items) return;
    }
    out.clear();
    for (const auto& entry : Doc::Members(*object)) {
      const std::string_view key = Doc::Key(entry);
      FieldPath::Scope scope = path_.Enter(key);
      const auto* value = Doc::MemberValue(entry).if_string();
      if (std::optional<std::string> bad_key = CheckMapKey(key)) {
        Error(*bad_key);
      } else if (value == nullptr) {
        Error("expected a string");
      } else if (std::optional<std::string> bad_value =
                     CheckString(StdView(*value), {.max_len = rules.max_len})) {
        Error(*bad_value);
      } else {
        out.emplace(key, StdView(*value));
      }
    }
  }

  // Call once at the end.
  void Finish() {
    if (truncated_) {
      errors_.push_back({"#", StrCat("more errors after the first ", kMaxDecodeErrors)});
    }
  }

 private:
  // Reports the members of `object` that are not fields of T, in the object's order.
  template <Described T>
  void ReportUnknownFields(const typename Doc::Object& object) {
    const std::vector<std::string_view>& known = FieldNamesOf<T>();
    for (const auto& entry : Doc::Members(object)) {
      if (std::find(known.begin(), known.end(), Doc::Key(entry)) != known.end()) continue;
      FieldPath::Scope scope = path_.Enter(Doc::Key(entry));
      Error(StrCat("is not a field of ", NamesOfType<T>().title));
    }
  }

  void Error(std::string_view detail) {
    if (errors_.size() < kMaxDecodeErrors) {
      errors_.push_back({path_.Pointer(), std::string(detail)});
    } else {
      truncated_ = true;
    }
  }
  void Report(const std::optional<std::string>& problem) {
    if (problem) Error(*problem);
  }

  const DecodeMode mode_;
  std::vector<FieldError>& errors_;
  FieldPath path_;
  // The values of the fields of the object being read, indexed like FieldNamesOf() (null:
  // absent), and the index of the field Describe() visits next.
  const Value* const* values_ = nullptr;
  size_t next_field_ = 0;
  bool truncated_ = false;
};

// ---- Encoding ---------------------------------------------------------------------------------

// Whether Field() leaves a value out of the JSON form: empty strings, maps, arrays and
// optionals are omitted unless the field is required.
bool IsEmpty(const std::string& s) { return s.empty(); }
bool IsEmpty(const std::map<std::string, std::string>& m) { return m.empty(); }
template <class T>
bool IsEmpty(const std::optional<T>& v) {
  return !v.has_value();
}
template <class T>
bool IsEmpty(const std::vector<T>& v) {
  return v.empty();
}
template <class T>
bool IsEmpty(const T&) {  // numbers, booleans, enums, times, objects
  return false;
}

// Builds the JSON value of an entity, allocating from `storage`.
class TreeWriter {
 public:
  explicit TreeWriter(json::storage_ptr storage) : storage_(std::move(storage)) {}

  template <class T>
  void Field(std::string_view name, const T& value, const Rules& rules = {}) {
    if (!rules.required && IsEmpty(value)) return;
    object_->emplace(JsonView(name), Write(value));
  }

  template <Described T>
  json::value Write(const T& entity) {
    json::object object(storage_);
    object.reserve(FieldNamesOf<T>().size());
    json::object* outer = std::exchange(object_, &object);
    Describe(*this, entity);
    object_ = outer;
    return json::value(std::move(object));
  }
  json::value Write(std::string_view s) { return json::value(JsonView(s), storage_); }
  json::value Write(int v) { return json::value(static_cast<int64_t>(v), storage_); }
  json::value Write(int64_t v) { return json::value(v, storage_); }
  json::value Write(bool v) { return json::value(v, storage_); }
  json::value Write(absl::Time t) { return Write(disthub::FormatTime(t)); }
  template <NamedEnum E>
  json::value Write(E e) {
    return Write(EnumName(e));
  }
  template <class T>
  json::value Write(const std::optional<T>& v) {
    return Write(*v);  // Field() skips nullopt
  }
  template <class T>
  json::value Write(const std::vector<T>& items) {
    json::array array(storage_);
    array.reserve(items.size());
    for (const T& item : items) array.push_back(Write(item));
    return json::value(std::move(array));
  }
  json::value Write(const std::map<std::string, std::string>& map) {
    json::object object(storage_);
    object.reserve(map.size());
    for (const auto& [key, value] : map) object.emplace(JsonView(key), JsonView(value));
    return json::value(std::move(object));
  }

 private:
  json::storage_ptr storage_;
  json::object* object_ = nullptr;
};

// Writes the compact JSON text of an entity: the bytes of json::serialize(Encode(entity)),
// without building the tree. Writes through a raw cursor, first into a buffer inside the
// writer (room for a large order), then into a heap buffer if the text outgrows it; every
// write makes room first, so the inner loops are plain stores. Take() then allocates the
// result once, at its exact size.
class TextWriter {
 public:
  TextWriter() : begin_(inline_), pos_(begin_), end_(begin_ + sizeof inline_) {}
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  // The text written so far. The writer is spent.
  std::string Take() && {
    const size_t size = static_cast<size_t>(pos_ - begin_);
    if (begin_ == inline_) return std::string(begin_, size);
    heap_.resize(size);
    return std::move(heap_);
  }

  // Field names are plain snake_case (describe.h), so they are written without escaping.
  template <class T>
  void Field(std::string_view name, const T& value, const Rules& rules = {}) {
    if (!rules.required && IsEmpty(value)) return;
    Reserve(name.size() + 4);
    char* p = pos_;
    if (p[-1] != '{') *p++ = ',';  // after a value, which never ends with '{'
    *p++ = '"';
    p = std::copy(name.begin(), name.end(), p);
    *p++ = '"';
    *p++ = ':';
    pos_ = p;
    Write(value);
  }

  template <Described T>
  void Write(const T& entity) {
    Put('{');
    Describe(*this, entity);
    Put('}');
  }
  void Write(std::string_view s) { PutQuoted(s); }
  void Write(int v) { Write(int64_t{v}); }
  void Write(int64_t v) {
    Reserve(20);  // "-9223372036854775808"
    pos_ = std::to_chars(pos_, end_, v).ptr;
  }
  void Write(bool v) { Put(v ? std::string_view("true") : std::string_view("false")); }
  void Write(absl::Time t) {
    Reserve(kTimeLength + 2);
    *pos_++ = '"';
    if (FormatTimeTo(t, pos_)) {
      pos_ += kTimeLength;
    } else {
      Put(disthub::FormatTime(t));
    }
    Put('"');
  }
  template <NamedEnum E>
  void Write(E e) {
    PutQuoted(EnumName(e));
  }
  template <class T>
  void Write(const std::optional<T>& v) {
    Write(*v);  // Field() skips nullopt
  }
  template <class T>
  void Write(const std::vector<T>& items) {
    Put('[');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) Put(',');
      Write(items[i]);
    }
    Put(']');
  }
  void Write(const std::map<std::string, std::string>& map) {
    Put('{');
    for (const auto& [key, value] : map) {
      if (pos_[-1] != '{') Put(',');
      PutQuoted(key);
      Put(':');
      PutQuoted(value);
    }
    Put('}');
  }

 private:
  // Makes room for `n` more bytes at pos_.
  void Reserve(size_t n) {
    if (static_cast<size_t>(end_ - pos_) < n) Grow(n);
  }
  [[gnu::noinline]] void Grow(size_t n) {  // rare: kept out of the inlined Reserve()
    const size_t used = static_cast<size_t>(pos_ - begin_);
    std::string bigger(std::max(2 * static_cast<size_t>(end_ - begin_), used + n), '\0');
    std::copy(begin_, pos_, bigger.data());
    heap_ = std::move(bigger);
    begin_ = heap_.data();
    pos_ = begin_ + used;
    end_ = begin_ + heap_.size();
  }

  void Put(char c) {
    Reserve(1);
    *pos_++ = c;
  }
  void Put(std::string_view s) {
    Reserve(s.size());
    pos_ = std::copy(s.begin(), s.end(), pos_);
  }

  // Writes `s` as a JSON string, escaped exactly as boost::json::serialize() escapes.
  void PutQuoted(std::string_view s) {
    Reserve(MaxEscapedSize(s));
    pos_ = EscapeJsonString(s, pos_);
  }

  char inline_[4096];  // the buffer until the text outgrows it
  std::string heap_;   // the buffer after that
  // [begin_, pos_) is written, [pos_, end_) is room; in inline_ or in heap_.
  char* begin_;
  char* pos_;
  char* end_;
};

}  // namespace

std::optional<absl::Time> ParseTime(std::string_view text) { return ParseRfc3339(text); }

template <JsonEntity T>
Decoded<T> Decode(const json::value& json, DecodeMode mode) {
  Decoded<T> out;
  Reader<BoostJson> reader(mode, out.errors);
  reader.Read(json, out.value.emplace(), Rules{});
  reader.Finish();
  if (!out.errors.empty()) out.value.reset();
  return out;
}

template <JsonEntity T>
absl::StatusOr<Decoded<T>> ParseAndDecode(std::string_view text, DecodeMode mode) {
  // The document lives only for this call; its buffers stay with the thread for the next.
  thread_local FlatDocument document;
  if (json::error_code ec = document.Parse(text)) {
    return absl::InvalidArgumentError(ec.message());
  }
  Decoded<T> out;
  Reader<FlatJson> reader(mode, out.errors);
  reader.Read(document.root(), out.value.emplace(), Rules{});
  reader.Finish();
  if (!out.errors.empty()) out.value.reset();
  document.Trim(256 * 1024);
  return out;
}

template <JsonEntity T>
Decoded<T> DecodeText(std::string_view text, DecodeMode mode) {
  absl::StatusOr<Decoded<T>> decoded = ParseAndDecode<T>(text, mode);
  if (decoded.ok()) return *std::move(decoded);
  Decoded<T> out;
  out.errors.push_back({"#", StrCat("is not valid JSON: ", decoded.status().message())});
  return out;
}

template <JsonEntity T>
json::value Encode(const T& entity) {
  return TreeWriter(json::storage_ptr()).Write(entity);
}

template <JsonEntity T>
std::string Serialize(const T& entity) {
  TextWriter writer;
  writer.Write(entity);
  return std::move(writer).Take();
}

#define DISTHUB_INSTANTIATE_JSON(T)                                                    \
  template Decoded<T> Decode<T>(const json::value&, DecodeMode);                       \
  template Decoded<T> DecodeText<T>(std::string_view, DecodeMode);                     \
  template absl::StatusOr<Decoded<T>> ParseAndDecode<T>(std::string_view, DecodeMode); \
  template json::value Encode<T>(const T&);                                            \
  template std::string Serialize<T>(const T&)

DISTHUB_INSTANTIATE_JSON(Order);
DISTHUB_INSTANTIATE_JSON(OrderLine);
DISTHUB_INSTANTIATE_JSON(Customer);
DISTHUB_INSTANTIATE_JSON(Address);
DISTHUB_INSTANTIATE_JSON(Money);
DISTHUB_INSTANTIATE_JSON(Product);
DISTHUB_INSTANTIATE_JSON(InventoryPosition);
DISTHUB_INSTANTIATE_JSON(FulfillmentOrder);
DISTHUB_INSTANTIATE_JSON(Shipment);
DISTHUB_INSTANTIATE_JSON(Return);
DISTHUB_INSTANTIATE_JSON(Invoice);

}  // namespace disthub
