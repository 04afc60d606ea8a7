#include "model/schema.h"

#include <boost/json.hpp>
#include <concepts>
#include <utility>

#include "base/strings.h"
#include "model/describe.h"

namespace disthub {
namespace {

namespace json = boost::json;

json::string_view JsonView(std::string_view s) { return {s.data(), s.size()}; }

// Writes the schema of each field; nested described types go to "$defs" once.
class SchemaWriter {
 public:
  explicit SchemaWriter(json::object& defs) : defs_(defs) {}

  template <Described T>
  json::object ObjectSchema() {
    const T blank{};
    json::object properties;
    json::array required;
    json::object* outer_properties = std::exchange(properties_, &properties);
    json::array* outer_required = std::exchange(required_, &required);
    Describe(*this, blank);
    properties_ = outer_properties;
    required_ = outer_required;

    json::object schema;
    schema["type"] = "object";
    schema["title"] = JsonView(NamesOfType<T>().title);
    schema["properties"] = std::move(properties);
    if (!required.empty()) schema["required"] = std::move(required);
    schema["additionalProperties"] = false;
    return schema;
  }

  template <class T>
  void Field(std::string_view name, const T& value, const Rules& rules = {}) {
    json::object property = TypeSchema(value, rules);
    if (rules.output_only) property["readOnly"] = true;
    properties_->emplace(JsonView(name), std::move(property));
    if (rules.required) required_->emplace_back(JsonView(name));
  }

 private:
  template <Described T>
  json::object TypeSchema(const T&, const Rules&) {
    const std::string_view name = NamesOfType<T>().schema;
    if (!defs_.contains(JsonView(name))) {
      json::object schema = ObjectSchema<T>();
      defs_.emplace(JsonView(name), std::move(schema));
    }
    return {{"$ref", JsonView(StrCat("#/$defs/", name))}};
  }

  json::object TypeSchema(const std::string&, const Rules& rules) {
    json::object schema;
    if (rules.format == Format::kId) {
      schema["type"] = json::array{"string", "integer"};
    } else {
      schema["type"] = "string";
    }
    if (rules.required) schema["minLength"] = 1;
    if (rules.max_len > 0) schema["maxLength"] = rules.max_len;
    if (rules.format == Format::kCurrency) schema["pattern"] = "^[A-Z]{3}$";
    if (rules.format == Format::kCountry) schema["pattern"] = "^[A-Z]{2}$";
    return schema;
  }

  template <class Int>
  requires std::same_as<Int, int> || std::same_as<Int, int64_t> json::object TypeSchema(
      const Int&, const Rules& rules) {
    const auto [min, max] = IntegerRange<Int>(rules);
    json::object schema{{"type", "integer"}};
    if (min != std::numeric_limits<int64_t>::min()) schema["minimum"] = min;
    if (max != std::numeric_limits<int64_t>::max()) schema["maximum"] = max;
    return schema;
  }

  json::object TypeSchema(bool, const Rules&) { return {{"type", "boolean"}}; }

  json::object TypeSchema(absl::Time, const Rules&) {
    return {{"type", "string"}, {"format", "date-time"}};
  }

  template <NamedEnum E>
  json::object TypeSchema(E, const Rules&) {
    json::array names;
    for (std::string_view name : EnumNames(E{})) names.emplace_back(JsonView(name));
    return {{"type", "string"}, {"enum", std::move(names)}};
  }

  template <class T>
  json::object TypeSchema(const std::optional<T>&, const Rules& rules) {
    return TypeSchema(T{}, rules);
  }

  template <class T>
  json::object TypeSchema(const std::vector<T>&, const Rules& rules) {
    json::object schema{{"type", "array"}, {"items", TypeSchema(T{}, Rules{})}};
    if (rules.min_items > 0) schema["minItems"] = rules.min_items;
    if (rules.max_items > 0) schema["maxItems"] = rules.max_items;
    return schema;
  }

  json::object TypeSchema(const std::map<std::string, std::string>&, const Rules& rules) {
    json::object values{{"type", "string"}};
    if (rules.max_len > 0) values["maxLength"] = rules.max_len;
    json::object schema{{"type", "object"},
                        {"propertyNames", {{"minLength", 1}, {"maxLength", kMaxMapKeyLength}}},
                        {"additionalProperties", std::move(values)}};
    if (rules.max_items > 0) schema["maxProperties"] = rules.max_items;
    return schema;
  }

  json::object& defs_;
  json::object* properties_ = nullptr;
  json::array* required_ = nullptr;
};

struct NamedSchema {
  std::string_view name;
  json::object schema;
};

template <JsonEntity T>
NamedSchema RootSchema() {
  const TypeNames names = NamesOfType<T>();
  json::object defs;
  json::object body = SchemaWriter(defs).ObjectSchema<T>();
  json::object root;
  root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  root["$id"] = JsonView(StrCat("https://disthub.dev/schemas/", names.schema, ".json"));
  for (json::key_value_pair& entry : body) root[entry.key()] = std::move(entry.value());
  if (!defs.empty()) root["$defs"] = std::move(defs);
  return {names.schema, std::move(root)};
}

const std::vector<NamedSchema>& Schemas() {
  static const auto* const schemas = new std::vector<NamedSchema>{
      RootSchema<Order>(),
      RootSchema<OrderLine>(),
      RootSchema<Customer>(),
      RootSchema<Address>(),
      RootSchema<Money>(),
      RootSchema<Product>(),
      RootSchema<InventoryPosition>(),
      RootSchema<FulfillmentOrder>(),
      RootSchema<Shipment>(),
      RootSchema<Return>(),
      RootSchema<Invoice>(),
  };
  return *schemas;
}

}  // namespace

const json::object* SchemaFor(std::string_view name) {
  for (const NamedSchema& s : Schemas()) {
    if (s.name == name) return &s.schema;
  }
  return nullptr;
}

std::vector<std::string_view> SchemaNames() {
  std::vector<std::string_view> names;
  for (const NamedSchema& s : Schemas()) names.push_back(s.name);
  return names;
}

}  // namespace disthub
