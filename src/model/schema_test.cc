#include "model/schema.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "model/test_entities.h"

namespace disthub {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::set<std::string> Keys(const json::object& object) {
  std::set<std::string> keys;
  for (const auto& entry : object) keys.emplace(entry.key());
  return keys;
}

std::set<std::string> Strings(const json::value& array) {
  std::set<std::string> out;
  for (const json::value& v : array.as_array()) out.emplace(v.as_string());
  return out;
}

// A small JSON Schema validator covering the keywords our schemas use. Appends one line per
// violation to `problems`.
class MiniValidator {
 public:
  explicit MiniValidator(const json::object& root) : root_(root) {}

  void Validate(const json::value& doc, const json::object& schema, const std::string& at,
                std::vector<std::string>& problems) {
    if (const json::value* ref = schema.if_contains("$ref")) {
      const std::string name = std::string(ref->as_string()).substr(sizeof("#/$defs/") - 1);
      return Validate(doc, root_.at("$defs").at(name).as_object(), at, problems);
    }
    auto fail = [&](std::string what) { problems.push_back(at + ": " + what); };
    if (const json::value* type = schema.if_contains("type")) {
      bool ok = false;
      for (const json::value& t : type->is_array() ? type->as_array() : json::array{*type}) {
        ok = ok || HasType(doc, t.as_string());
      }
      if (!ok) return fail("type");
    }
    if (const json::value* allowed = schema.if_contains("enum")) {
      if (!Strings(*allowed).contains(std::string(doc.as_string()))) fail("enum");
    }
    if (doc.is_string()) {
      const std::string s(doc.as_string());
      if (schema.contains("minLength") && s.size() < schema.at("minLength").to_number<size_t>()) {
        fail("minLength");
      }
      if (schema.contains("maxLength") && s.size() > schema.at("maxLength").to_number<size_t>()) {
        fail("maxLength");
      }
      if (schema.contains("pattern") && !MatchesPattern(schema.at("pattern").as_string(), s)) {
        fail("pattern");
      }
    }
    if (doc.is_number()) {
      const double v = doc.to_number<double>();
      if (schema.contains("minimum") && v < schema.at("minimum").to_number<double>())
        fail("minimum");
      if (schema.contains("maximum") && v > schema.at("maximum").to_number<double>())
        fail("maximum");
    }
    if (doc.is_array()) {
      const json::array& items = doc.as_array();
      if (schema.contains("minItems") && items.size() < schema.at("minItems").to_number<size_t>()) {
        fail("minItems");
      }
      if (schema.contains("maxItems") && items.size() > schema.at("maxItems").to_number<size_t>()) {
        fail("maxItems");
      }
      for (size_t i = 0; i < items.size(); ++i) {
        Validate(items[i], schema.at("items").as_object(), at + "/" + std::to_string(i), problems);
      }
    }
    if (doc.is_object()) {
      const json::object& object = doc.as_object();
      if (const json::value* required = schema.if_contains("required")) {
        for (const std::string& name : Strings(*required)) {
          if (!object.contains(name)) fail("required " + name);
        }
      }
      const json::object* properties =
          schema.contains("properties") ? &schema.at("properties").as_object() : nullptr;
      for (const auto& [key, value] : object) {
        const std::string child = at + "/" + std::string(key);
        if (properties != nullptr && properties->contains(key)) {
          Validate(value, properties->at(key).as_object(), child, problems);
        } else if (const json::value* extra = schema.if_contains("additionalProperties")) {
          if (extra->is_bool() && !extra->as_bool()) {
            problems.push_back(child + ": additionalProperties");
          } else if (extra->is_object()) {
            Validate(value, extra->as_object(), child, problems);
          }
        }
      }
    }
  }

 private:
  // Our schemas use only patterns of the form ^[A-Z]{n}$ (std::regex trips a GCC 12 warning
  // in sanitizer builds).
  static bool MatchesPattern(std::string_view pattern, const std::string& s) {
    EXPECT_TRUE(pattern.starts_with("^[A-Z]{") && pattern.ends_with("}$")) << pattern;
    const size_t n = std::stoul(std::string(pattern.substr(7, pattern.size() - 9)));
    return s.size() == n &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  }
  static bool HasType(const json::value& doc, std::string_view type) {
    if (type == "object") return doc.is_object();
    if (type == "array") return doc.is_array();
    if (type == "string") return doc.is_string();
    if (type == "boolean") return doc.is_bool();
    if (type == "integer") return doc.is_int64() || doc.is_uint64();
    return false;
  }

  const json::object& root_;
};

std::vector<std::string> SchemaProblems(std::string_view schema_name, const json::value& doc) {
  const json::object* schema = SchemaFor(schema_name);
  EXPECT_NE(schema, nullptr) << schema_name;
  std::vector<std::string> problems;
  MiniValidator(*schema).Validate(doc, *schema, "#", problems);
  return problems;
}

TEST(Schema, EveryEntityHasOneWithItsIdAndTitle) {
  EXPECT_THAT(SchemaNames(), ElementsAre("order", "order_line", "customer", "address", "money",
                                         "product", "inventory_position", "fulfillment_order",
                                         "shipment", "return", "invoice"));
  for (std::string_view name : SchemaNames()) {
    const json::object* schema = SchemaFor(name);
    ASSERT_NE(schema, nullptr);
    EXPECT_EQ(schema->at("$schema"), "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(std::string(schema->at("$id").as_string()),
              "https://disthub.dev/schemas/" + std::string(name) + ".json");
    EXPECT_TRUE(schema->at("title").is_string());
    EXPECT_EQ(schema->at("additionalProperties"), false);
  }
  EXPECT_EQ(SchemaFor("orders"), nullptr);
  EXPECT_EQ(SchemaFor("order"), SchemaFor("order"));  // built once
}

TEST(Schema, OrderListsRequiredFieldsAndRefusesOthers) {
  const json::object& order = *SchemaFor("order");
  EXPECT_EQ(order.at("title"), "Order");
  EXPECT_THAT(Strings(order.at("required")),
              UnorderedElementsAre("channel", "channel_order_ref", "customer", "ship_to",
                                   "currency", "lines", "totals", "placed_at"));
  const json::object& properties = order.at("properties").as_object();
  EXPECT_EQ(properties.at("status").at("readOnly"), true);
  EXPECT_EQ(
      json::serialize(properties.at("lines")),
      R"({"type":"array","items":{"$ref":"#/$defs/order_line"},"minItems":1,"maxItems":1000})");
  EXPECT_EQ(json::serialize(properties.at("channel_order_ref")),
            R"({"type":["string","integer"],"minLength":1,"maxLength":128})");
  EXPECT_EQ(json::serialize(properties.at("currency")),
            R"({"type":"string","minLength":1,"pattern":"^[A-Z]{3}$"})");
  EXPECT_EQ(json::serialize(properties.at("service_level")),
            R"({"type":"string","enum":["standard","express","next_day","two_day","freight"]})");
  EXPECT_EQ(json::serialize(properties.at("placed_at")),
            R"({"type":"string","format":"date-time"})");
  EXPECT_THAT(Keys(order.at("$defs").as_object()),
              UnorderedElementsAre("customer", "address", "order_line", "money", "discount",
                                   "order_totals"));
  EXPECT_EQ(json::serialize(order.at("$defs").at("money")),
            R"({"type":"object","title":"Money","properties":{"amount_minor":{"type":"integer"},)"
            R"("currency":{"type":"string","minLength":1,"pattern":"^[A-Z]{3}$"}},)"
            R"("required":["amount_minor","currency"],"additionalProperties":false})");
  EXPECT_EQ(order.at("$defs").at("order_line").at("properties").at("quantity"),
            json::parse(R"({"type":"integer","minimum":1})"));
}

// The schema and the decoder come from one description: an entity with every field set
// encodes to exactly the schema's properties, at every level, and validates.
TEST(Schema, CannotDriftFromTheDecoder) {
  const json::value order = EncodeOrder(test::FullOrder());
  const json::object& schema = *SchemaFor("order");
  EXPECT_EQ(Keys(order.as_object()), Keys(schema.at("properties").as_object()));
  EXPECT_EQ(Keys(order.at("lines").at(0).as_object()),
            Keys(schema.at("$defs").at("order_line").at("properties").as_object()));
  EXPECT_EQ(Keys(order.at("customer").as_object()),
            Keys(schema.at("$defs").at("customer").at("properties").as_object()));
  EXPECT_EQ(Keys(order.at("ship_to").as_object()),
            Keys(schema.at("$defs").at("address").at("properties").as_object()));

  EXPECT_THAT(SchemaProblems("order", order), IsEmpty());
  EXPECT_THAT(SchemaProblems("order", json::parse(test::kRealisticOrderJson)), IsEmpty());
  EXPECT_THAT(SchemaProblems("order_line", Encode(test::FullOrderLine())), IsEmpty());
  EXPECT_THAT(SchemaProblems("customer", Encode(test::FullCustomer())), IsEmpty());
  EXPECT_THAT(SchemaProblems("address", Encode(test::FullAddress())), IsEmpty());
  EXPECT_THAT(SchemaProblems("money", Encode(test::Usd(5))), IsEmpty());
  EXPECT_THAT(SchemaProblems("product", Encode(test::FullProduct())), IsEmpty());
  EXPECT_THAT(SchemaProblems("inventory_position", Encode(test::FullInventoryPosition())),
              IsEmpty());
  EXPECT_THAT(SchemaProblems("fulfillment_order", Encode(test::FullFulfillmentOrder())), IsEmpty());
  EXPECT_THAT(SchemaProblems("shipment", Encode(test::FullShipment())), IsEmpty());
  EXPECT_THAT(SchemaProblems("return", Encode(test::FullReturn())), IsEmpty());
  EXPECT_THAT(SchemaProblems("invoice", Encode(test::FullInvoice())), IsEmpty());
}

// What the decoder refuses for a field rule, the schema refuses too.
TEST(Schema, RefusesWhatTheDecoderRefuses) {
  json::value doc = json::parse(test::kRealisticOrderJson);
  json::object& order = doc.as_object();
  order["surprise"] = 1;
  order["channel"] = std::string(65, 'c');
  order["service_level"] = "overnight";
  order["ship_to"].as_object()["country"] = "usa";
  order["lines"].as_array()[0].as_object()["quantity"] = 0;
  order["lines"].as_array()[1].as_object().erase("sku");
  order["lines"].as_array()[2].as_object()["unit_price"].as_object()["currency"] = "usd";
  EXPECT_THAT(DecodeOrder(doc).errors, ::testing::SizeIs(7));
  EXPECT_THAT(SchemaProblems("order", doc),
              UnorderedElementsAre("#/surprise: additionalProperties", "#/channel: maxLength",
                                   "#/service_level: enum", "#/ship_to/country: pattern",
                                   "#/lines/0/quantity: minimum", "#/lines/1: required sku",
                                   "#/lines/2/unit_price/currency: pattern"));
}

}  // namespace
}  // namespace disthub
