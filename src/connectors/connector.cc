#include "connectors/connector.h"

#include <cassert>
#include <charconv>

#include "base/files.h"
#include "base/strings.h"
#include "base/yaml_reader.h"

namespace disthub::connectors {
namespace {

bool ParseNonNegative(const std::string& s, int64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

}  // namespace

std::string_view SettingTypeName(SettingType type) {
  switch (type) {
    case SettingType::kString:
      return "string";
    case SettingType::kPath:
      return "path";
    case SettingType::kInteger:
      return "integer";
    case SettingType::kBool:
      return "boolean";
    case SettingType::kDuration:
      return "milliseconds";
    case SettingType::kChar:
      return "character";
  }
  return "?";
}

std::string CheckSettingValue(SettingType type, const std::string& value) {
  int64_t n = 0;
  switch (type) {
    case SettingType::kString:
    case SettingType::kPath:
      return "";
    case SettingType::kInteger:
      return ParseNonNegative(value, n) ? ""
                                        : StrCat("must be a whole number ≥ 0, not \"", value, "\"");
    case SettingType::kDuration:
      return ParseNonNegative(value, n)
                 ? ""
                 : StrCat("must be whole milliseconds ≥ 0, not \"", value, "\"");
    case SettingType::kBool:
      return value == "true" || value == "false"
                 ? ""
                 : StrCat("must be true or false, not \"", value, "\"");
    case SettingType::kChar:
      return value.size() == 1 || value == "\\t"
                 ? ""
                 : StrCat("must be one character (\\t for a tab), not \"", value, "\"");
  }
  return "unknown type";
}

Settings ReadSettings(const std::vector<SettingSpec>& specs, YamlReader& reader,
                      const std::string& config_file) {
  Settings out;
  for (const SettingSpec& spec : specs) {
    std::optional<std::string> value = spec.default_value;
    std::string read;
    bool present = false;
    auto check = [&](const std::string& v) {
      present = true;
      return CheckSettingValue(spec.type, v);
    };
    if (spec.default_value) {
      reader.Get<std::string>(spec.key, read, check);
    } else {
      reader.Required<std::string>(spec.key, read, check);
    }
    if (present) value = read;
    if (!value) continue;  // reported as required
    if (spec.type == SettingType::kPath && !value->empty()) {
      *value = ResolveRelative(config_file, *value);
    }
    out.Set(spec.key, *std::move(value));
  }
  return out;
}

const std::string& Settings::String(std::string_view key) const {
  auto it = values_.find(key);
  assert(it != values_.end() && "a setting its type's schema lacks");
  static const std::string kEmpty;
  return it == values_.end() ? kEmpty : it->second;
}

int64_t Settings::Integer(std::string_view key) const {
  int64_t n = 0;
  ParseNonNegative(String(key), n);
  return n;
}

bool Settings::Bool(std::string_view key) const { return String(key) == "true"; }

absl::Duration Settings::Duration(std::string_view key) const {
  return absl::Milliseconds(Integer(key));
}

char Settings::Char(std::string_view key) const {
  const std::string& s = String(key);
  if (s == "\\t") return '\t';
  return s.empty() ? ',' : s[0];
}

}  // namespace disthub::connectors
