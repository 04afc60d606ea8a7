#include "model/json.h"

#include <boost/json.hpp>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/test_entities.h"
#include "model/validate.h"
#include "status_matchers.h"

namespace disthub {
namespace {

namespace json = boost::json;
using ::disthub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

// An error at exactly `pointer` whose detail matches `detail`.
::testing::Matcher<FieldError> ErrorAt(std::string pointer,
                                       ::testing::Matcher<std::string> detail) {
  return AllOf(Field(&FieldError::pointer, pointer), Field(&FieldError::detail, detail));
}

// The realistic order document after `edit`.
json::value EditedOrder(const std::function<void(json::object&)>& edit) {
  json::value doc = json::parse(test::kRealisticOrderJson);
  edit(doc.as_object());
  return doc;
}

// Decodes `doc` from the tree and from its text (ParseAndDecode, which reads the text in one
// pass without the tree): both must give the same order or the same errors.
Decoded<Order> DecodeBothWays(const json::value& doc, DecodeMode mode = DecodeMode::kInbound) {
  Decoded<Order> from_tree = DecodeOrder(doc, mode);
  absl::StatusOr<Decoded<Order>> from_text = ParseAndDecodeOrder(json::serialize(doc), mode);
  EXPECT_TRUE(from_text.ok()) << from_text.status();
  if (from_text.ok()) {
    EXPECT_EQ(from_text->errors, from_tree.errors);
    EXPECT_EQ(from_text->value, from_tree.value);
  }
  return from_tree;
}

std::vector<FieldError> OrderErrors(const std::function<void(json::object&)>& edit,
                                    DecodeMode mode = DecodeMode::kInbound) {
  Decoded<Order> decoded = DecodeBothWays(EditedOrder(edit), mode);
  EXPECT_EQ(decoded.value.has_value(), decoded.errors.empty());
  return decoded.errors;
}

json::object& Line(json::object& order, size_t i) {
  return order["lines"].as_array()[i].as_object();
}

template <class T>
void ExpectRoundTrip(const T& entity) {
  Decoded<T> decoded = Decode<T>(Encode(entity), DecodeMode::kStored);
  ASSERT_THAT(decoded.errors, IsEmpty());
  EXPECT_EQ(*decoded.value, entity);

  Decoded<T> from_text = DecodeText<T>(Serialize(entity), DecodeMode::kStored);
  ASSERT_THAT(from_text.errors, IsEmpty());
  EXPECT_EQ(*from_text.value, entity);
}

TEST(JsonRoundTrip, EveryEntitySurvivesEncodeThenDecode) {
  ExpectRoundTrip(test::FullOrder());
  ExpectRoundTrip(test::FullOrderLine());
  ExpectRoundTrip(test::FullCustomer());
  ExpectRoundTrip(test::FullAddress());
  ExpectRoundTrip(test::Usd(-1299));
  ExpectRoundTrip(test::FullProduct());
  ExpectRoundTrip(test::FullInventoryPosition());
  ExpectRoundTrip(test::FullFulfillmentOrder());
  ExpectRoundTrip(test::FullShipment());
  ExpectRoundTrip(test::FullReturn());
  ExpectRoundTrip(test::FullInvoice());
}

TEST(JsonRoundTrip, OmittedOptionalFieldsComeBackEmpty) {
  Order order = test::FullOrder();
  order.bill_to.reset();
  order.received_at.reset();
  order.attributes.clear();
  order.lines[0].discounts.clear();
  order.lines[0].channel_line_ref.clear();
  order.customer = {.name = "Walk-in"};
  ExpectRoundTrip(order);
  ExpectRoundTrip(Product{.sku = "A-1"});
}

TEST(JsonEncode, WritesMoneyTimesEnumsAndOmitsEmptyFields) {
  Order order = test::FullOrder();
  order.bill_to.reset();
  order.notes.clear();
  const json::object encoded = EncodeOrder(order).as_object();

  EXPECT_EQ(json::serialize(encoded.at("totals").at("shipping")),
            R"({"amount_minor":995,"currency":"USD"})");
  EXPECT_EQ(encoded.at("placed_at"), "2026-11-26T21:10:07.123Z");
  EXPECT_EQ(encoded.at("service_level"), "next_day");
  EXPECT_EQ(encoded.at("status"), "partially_shipped");
  EXPECT_EQ(encoded.at("channel_order_ref"), "9007199254740993");
  EXPECT_FALSE(encoded.contains("bill_to"));
  EXPECT_FALSE(encoded.contains("notes"));
  EXPECT_EQ(SerializeOrder(order), json::serialize(encoded));
}

// Serialize() writes text directly; it must produce the bytes of the tree Encode() builds.
template <class T>
void ExpectSerializeMatchesEncode(const T& entity) {
  EXPECT_EQ(Serialize(entity), json::serialize(Encode(entity)));
}

TEST(JsonSerialize, WritesTheBytesOfTheEncodedTree) {
  ExpectSerializeMatchesEncode(test::FullOrder());
  ExpectSerializeMatchesEncode(test::FullOrderLine());
  ExpectSerializeMatchesEncode(test::FullCustomer());
  ExpectSerializeMatchesEncode(test::FullAddress());
  ExpectSerializeMatchesEncode(test::Usd(-1299));
  ExpectSerializeMatchesEncode(test::FullProduct());
  ExpectSerializeMatchesEncode(test::FullInventoryPosition());
  ExpectSerializeMatchesEncode(test::FullFulfillmentOrder());
  ExpectSerializeMatchesEncode(test::FullShipment());
  ExpectSerializeMatchesEncode(test::FullReturn());
  ExpectSerializeMatchesEncode(test::FullInvoice());
  ExpectSerializeMatchesEncode(*DecodeOrderText(test::kRealisticOrderJson).value);
  ExpectSerializeMatchesEncode(Order{});  // required fields empty, optional ones omitted
  ExpectSerializeMatchesEncode(Product{});

  Order large = test::FullOrder();  // far beyond the writer's first buffer
  large.lines.assign(200, test::FullOrderLine());
  large.notes = std::string(4000, '\x01');
  ExpectSerializeMatchesEncode(large);
}

TEST(JsonSerialize, EscapesStringsLikeBoostJson) {
  Order order = test::FullOrder();
  order.notes = std::string("quote \" backslash \\ slash / nul \0 end", 37);
  order.customer.name = "\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x20\x7f";
  order.ship_to.city = "Zürich 東京 🚚";  // UTF-8 passes through
  order.attributes = {{"k\"ey\\", "v\nal"}, {"\x1e", ""}};
  ExpectSerializeMatchesEncode(order);
  const std::string text = SerializeOrder(order);
  EXPECT_THAT(text, HasSubstr(R"("notes":"quote \" backslash \\ slash / nul \u0000 end")"));
  EXPECT_THAT(text, HasSubstr(R"("name":"\u0001\b\t\n\u000b\f\r\u001f )"
                              "\x7f\""));
  EXPECT_THAT(text, HasSubstr("\"city\":\"Zürich 東京 🚚\""));
  EXPECT_THAT(text, HasSubstr(R"("attributes":{"\u001e":"","k\"ey\\":"v\nal"})"));
}

TEST(JsonSerialize, WritesTimesLikeFormatTime) {
  std::vector<absl::Time> times = {
      absl::UnixEpoch(),
      test::At(1795727407123),
      test::At(-1),                              // 1969-12-31T23:59:59.999Z
      absl::FromUnixNanos(-1),                   // truncated down, to .999
      absl::FromUnixNanos(1795727407123999999),  // truncated, to .123
      absl::FromCivil(absl::CivilSecond(1000, 1, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(999, 12, 31, 23, 59, 59), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
          absl::Milliseconds(999),
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(-5, 3, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(2000, 2, 29, 12, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(2100, 3, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::InfiniteFuture(),
      absl::InfinitePast(),
  };
  // A day and a bit more at a time, across the years with four digits and beyond.
  for (int64_t millis = -40'000'000'000'000; millis < 260'000'000'000'000;
       millis += 86'400'000LL * 997 + 3'723'457) {
    times.push_back(test::At(millis));
  }
  for (absl::Time t : times) {
    InventoryPosition position = test::FullInventoryPosition();
    position.as_of = t;
    ExpectSerializeMatchesEncode(position);
  }
}

TEST(JsonDecode, RealisticOrderDecodesAndValidates) {
  ASSERT_GT(test::kRealisticOrderJson.size(), 2000u);
  Decoded<Order> decoded = DecodeOrderText(test::kRealisticOrderJson);
  ASSERT_THAT(decoded.errors, IsEmpty());
  const Order& order = *decoded.value;
  EXPECT_THAT(ValidateOrder(order), IsEmpty());

  EXPECT_EQ(order.channel_order_ref, "PO-2026-118734");
  EXPECT_EQ(order.customer.external_ref, "4417");
  EXPECT_EQ(order.placed_at, test::At(1795727407000));  // 16:10:07-05:00 is 21:10:07Z
  EXPECT_EQ(order.service_level, ServiceLevel::kTwoDay);
  EXPECT_EQ(order.payment_state, PaymentState::kOnTerms);
  EXPECT_EQ(order.status, OrderStatus::kReceived);
  ASSERT_THAT(order.lines, SizeIs(5));
  EXPECT_EQ(order.lines[1].uom, "case");
  EXPECT_EQ(order.lines[2].uom, "each");  // the default
  EXPECT_EQ(order.lines[0].discounts[0].amount, test::Usd(1000));
  EXPECT_EQ(order.totals.grand_total, test::Usd(70626));
  EXPECT_EQ(order.ship_to.postal_code, "04101");
  EXPECT_EQ(order.attributes.at("cost_center"), "STORE-12");
}

TEST(JsonDecode, BigPartnerIdsSurviveExactly) {
  Decoded<Order> decoded = DecodeBothWays(EditedOrder([](json::object& o) {
    o["channel_order_ref"] = json::parse("9007199254740993");
    o["customer"].as_object()["external_ref"] = json::parse("18446744073709551615");
    o["customer"].as_object()["account_number"] = json::parse("-42");
    Line(o, 0)["channel_line_ref"] = json::parse("9007199254740993");
  }));
  ASSERT_THAT(decoded.errors, IsEmpty());
  EXPECT_EQ(decoded.value->channel_order_ref, "9007199254740993");
  EXPECT_EQ(decoded.value->customer.external_ref, "18446744073709551615");
  EXPECT_EQ(decoded.value->customer.account_number, "-42");
  EXPECT_EQ(decoded.value->lines[0].channel_line_ref, "9007199254740993");
  EXPECT_THAT(SerializeOrder(*decoded.value),
              AllOf(HasSubstr(R"("channel_order_ref":"9007199254740993")"),
                    HasSubstr(R"("external_ref":"18446744073709551615")")));
}

TEST(JsonDecode, IdsWithFractionsOrBeyondUint64AreRefused) {
  EXPECT_THAT(DecodeOrderText(std::string(test::kRealisticOrderJson)
                                  .replace(test::kRealisticOrderJson.find("\"PO-2026-118734\""), 16,
                                           "18446744073709551616"))
                  .errors,
              ElementsAre(ErrorAt("#/channel_order_ref",
                                  "send ids larger than 2^64 or with fractions as strings")));
  EXPECT_THAT(OrderErrors([](json::object& o) { Line(o, 3)["channel_line_ref"] = 4.5; }),
              ElementsAre(ErrorAt("#/lines/3/channel_line_ref",
                                  "send ids larger than 2^64 or with fractions as strings")));
  EXPECT_THAT(OrderErrors([](json::object& o) { o["channel_order_ref"] = true; }),
              ElementsAre(ErrorAt("#/channel_order_ref", "expected a string or an integer")));
}

TEST(JsonDecode, WrongTypesNameTheExpectedType) {
  EXPECT_THAT(OrderErrors([](json::object& o) {
                o["channel"] = 5;
                o["customer"].as_object()["tax_exempt"] = "no";
                o["ship_to"] = json::array{};
                Line(o, 0)["quantity"] = "12";
                Line(o, 1)["discounts"] = json::object{};
                o["notes"] = nullptr;
              }),
              ElementsAre(ErrorAt("#/channel", "expected a string"),
                          ErrorAt("#/customer/tax_exempt", "expected true or false"),
                          ErrorAt("#/ship_to", "expected an object"),
                          ErrorAt("#/lines/0/quantity", "expected an integer"),
                          ErrorAt("#/lines/1/discounts", "expected an array"),
                          ErrorAt("#/notes", "expected a string")));
}

TEST(JsonDecode, MissingRequiredFieldsAreNamed) {
  EXPECT_THAT(
      OrderErrors([](json::object& o) {
        o.erase("currency");
        o["ship_to"].as_object().erase("country");
        Line(o, 1).erase("sku");
        Line(o, 4)["tax"].as_object().erase("amount_minor");
      }),
      ElementsAre(ErrorAt("#/ship_to/country", "is required"), ErrorAt("#/currency", "is required"),
                  ErrorAt("#/lines/1/sku", "is required"),
                  ErrorAt("#/lines/4/tax/amount_minor", "is required")));
}

TEST(JsonDecode, UnknownFieldsAreRefusedWhereTheyAre) {
  EXPECT_THAT(OrderErrors([](json::object& o) {
                o["colour"] = "red";
                Line(o, 0)["gift"] = true;
                Line(o, 2)["unit_price"].as_object()["amount"] = "3.49";
                o["customer"].as_object()["a/b~c"] = 1;
              }),
              ElementsAre(ErrorAt("#/customer/a~1b~0c", "is not a field of Customer"),
                          ErrorAt("#/lines/0/gift", "is not a field of OrderLine"),
                          ErrorAt("#/lines/2/unit_price/amount", "is not a field of Money"),
                          ErrorAt("#/colour", "is not a field of Order")));
}

TEST(JsonDecode, EnumValuesListTheAllowedOnes) {
  EXPECT_THAT(
      OrderErrors([](json::object& o) {
        o["service_level"] = "overnight";
        o["payment_state"] = "Captured";
      }),
      ElementsAre(
          ErrorAt("#/service_level",
                  "must be one of: standard, express, next_day, two_day, freight"),
          ErrorAt("#/payment_state",
                  "must be one of: pending, authorized, captured, on_terms, refunded, voided")));
}

TEST(JsonDecode, RangesLengthsAndCountsAreChecked) {
  EXPECT_THAT(OrderErrors([](json::object& o) {
                o["channel"] = std::string(65, 'c');
                o["channel_order_ref"] = "";
                Line(o, 0)["quantity"] = 0;
                Line(o, 1)["line_no"] = -1;
                Line(o, 2)["quantity"] = json::parse("9223372036854775808");
                o["ship_to"].as_object()["country"] = "USA";
              }),
              ElementsAre(ErrorAt("#/channel", "must be at most 64 characters"),
                          ErrorAt("#/channel_order_ref", "must not be empty"),
                          ErrorAt("#/ship_to/country", StartsWith("must be an ISO 3166-1 alpha-2")),
                          ErrorAt("#/lines/0/quantity", "must be at least 1"),
                          ErrorAt("#/lines/1/line_no", "must be at least 1"),
                          ErrorAt("#/lines/2/quantity", "must be at most 9223372036854775807")));
  EXPECT_THAT(OrderErrors([](json::object& o) { o["lines"] = json::array{}; }),
              ElementsAre(ErrorAt("#/lines", "must have at least 1 item")));
  EXPECT_THAT(OrderErrors([](json::object& o) {
                json::array lines;
                for (int i = 0; i < 1001; ++i) lines.push_back(Line(o, 0));
                o["lines"] = std::move(lines);
              }),
              ElementsAre(ErrorAt("#/lines", "must have at most 1000 items")));
}

TEST(JsonDecode, LengthsCountCharactersNotBytes) {
  // 64 two-byte characters fit a 64-character limit.
  std::string name;
  for (int i = 0; i < 64; ++i) name += "é";
  EXPECT_THAT(OrderErrors([&](json::object& o) { o["channel"] = name; }), IsEmpty());
}

TEST(JsonDecode, IntegersMayBeWrittenWithAZeroFraction) {
  EXPECT_THAT(OrderErrors([](json::object& o) { Line(o, 0)["quantity"] = 12.0; }), IsEmpty());
  EXPECT_THAT(OrderErrors([](json::object& o) { Line(o, 0)["quantity"] = 12.5; }),
              ElementsAre(ErrorAt("#/lines/0/quantity", "expected an integer")));
}

TEST(JsonDecode, AttributesAreAStringMapOfAtMost50) {
  EXPECT_THAT(OrderErrors([](json::object& o) {
                json::object& attributes = o["attributes"].as_object();
                attributes["gift/wrap"] = 1;
                attributes[std::string(65, 'k')] = "v";
              }),
              ElementsAre(ErrorAt("#/attributes/gift~1wrap", "expected a string"),
                          ErrorAt("#/attributes/" + std::string(65, 'k'),
                                  "keys must be at most 64 characters")));
  EXPECT_THAT(OrderErrors([](json::object& o) {
                json::object many;
                for (int i = 0; i < 51; ++i) many[std::to_string(i)] = "x";
                o["attributes"] = std::move(many);
              }),
              ElementsAre(ErrorAt("#/attributes", "must have at most 50 items")));
}

TEST(JsonDecode, CurrenciesMustBeKnownIsoCodes) {
  EXPECT_THAT(
      OrderErrors([](json::object& o) {
        o["currency"] = "usd";
        Line(o, 0)["tax"].as_object()["currency"] = "XYZ";
      }),
      ElementsAre(ErrorAt("#/currency",
                          "must be an ISO 4217 currency code (three "
                          "uppercase letters)"),
                  ErrorAt("#/lines/0/tax/currency", "is not a known ISO 4217 currency code: XYZ")));
}

TEST(JsonDecode, TimesAreRfc3339WithAnOffset) {
  auto placed_at = [](std::string text) {
    Decoded<Order> d = DecodeBothWays(EditedOrder([&](json::object& o) { o["placed_at"] = text; }));
    return d.ok() ? std::optional<absl::Time>(d.value->placed_at) : std::nullopt;
  };
  EXPECT_EQ(placed_at("2026-11-26T21:10:07.123Z"), test::At(1795727407123));
  EXPECT_EQ(placed_at("2026-11-26t21:10:07.123z"), test::At(1795727407123));
  EXPECT_EQ(placed_at("2026-11-26T16:10:07.123-05:00"), test::At(1795727407123));
  EXPECT_EQ(placed_at("2026-11-27T02:40:07.123+05:30"), test::At(1795727407123));
  EXPECT_EQ(placed_at("2026-11-26T21:10:07.123987654Z"), test::At(1795727407123));  // truncated
  EXPECT_EQ(placed_at("2026-11-26T21:10:07.1Z"), test::At(1795727407100));
  EXPECT_EQ(placed_at("2026-11-26T21:10:07Z"), test::At(1795727407000));
  EXPECT_EQ(placed_at("2028-02-29T00:00:00Z"), test::At(1835395200000));  // leap day
  EXPECT_EQ(placed_at("2000-02-29T00:00:00Z"), test::At(951782400000));   // leap century
  EXPECT_EQ(placed_at("2026-12-31T23:59:60Z"), test::At(1798761600000));  // leap second
  EXPECT_EQ(placed_at("1969-12-31T23:59:59.999Z"), test::At(-1));
  EXPECT_EQ(placed_at("2027-01-01T00:30:00+01:00"), test::At(1798759800000));
  for (const char* bad :
       {"2026-11-26 21:10:07Z", "2026-11-26T21:10:07", "2026-11-26", "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T21:10:07.Z",
        "2026-11-26T21:10:07+0500", " 2026-11-26T21:10:07Z", "2026-11-26T21:10:07Z ", "1795727407",
        "2026-11-26T21:10:07.123ZZ", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z",
        "2026-11-26T21:10:61Z"}) {
    EXPECT_EQ(placed_at(bad), std::nullopt) << bad;
  }
  EXPECT_THAT(OrderErrors([](json::object& o) { o["placed_at"] = 1795727407; }),
              ElementsAre(ErrorAt("#/placed_at",
                                  "expected an RFC 3339 time like 2026-11-26T21:10:07.123Z")));
}

TEST(JsonDecode, OutputOnlyFieldsAreRefusedInboundAndReadWhenStored) {
  auto with_output_fields = [](json::object& o) {
    o["id"] = "ord_1";
    o["status"] = "shipped";
    o["received_at"] = "2026-11-26T21:10:08Z";
  };
  EXPECT_THAT(OrderErrors(with_output_fields),
              ElementsAre(ErrorAt("#/id", "is set by the hub; leave it out"),
                          ErrorAt("#/status", "is set by the hub; leave it out"),
                          ErrorAt("#/received_at", "is set by the hub; leave it out")));
  Decoded<Order> stored = DecodeBothWays(EditedOrder(with_output_fields), DecodeMode::kStored);
  ASSERT_THAT(stored.errors, IsEmpty());
  EXPECT_EQ(stored.value->status, OrderStatus::kShipped);
  EXPECT_EQ(stored.value->id, "ord_1");
}

TEST(JsonDecode, CollectsEveryErrorInOnePass) {
  EXPECT_THAT(OrderErrors([](json::object& o) {
                o.erase("channel");
                o["service_level"] = 3;
                Line(o, 4)["unit_price"].as_object()["amount_minor"] = "2499";
                o["surprise"] = 1;
              }),
              SizeIs(4));
}

TEST(JsonDecode, StopsCollectingAfterAHundredErrors) {
  std::vector<FieldError> errors = OrderErrors([](json::object& o) {
    json::array lines;
    for (int i = 0; i < 1000; ++i) lines.push_back(json::object{{"bogus", i}});
    o["lines"] = std::move(lines);
  });
  ASSERT_THAT(errors, SizeIs(kMaxDecodeErrors + 1));
  EXPECT_THAT(errors.back(), ErrorAt("#", "more errors after the first 100"));
}

TEST(JsonDecode, RejectsDocumentsThatAreNotObjectsOrNotJson) {
  EXPECT_THAT(DecodeOrderText("[]").errors, ElementsAre(ErrorAt("#", "expected an object")));
  EXPECT_THAT(DecodeOrderText("{\"channel\": ").errors,
              ElementsAre(ErrorAt("#", StartsWith("is not valid JSON"))));
  EXPECT_THAT(DecodeOrderText("").errors,
              ElementsAre(ErrorAt("#", StartsWith("is not valid JSON"))));
}

TEST(JsonDecode, OtherEntitiesUseTheSameRules) {
  EXPECT_THAT(
      DecodeText<Product>(R"({"sku": "GAD-220", "uoms": [{"uom": "case", "each_per": 0}]})").errors,
      ElementsAre(ErrorAt("#/uoms/0/each_per", "must be at least 1")));
  EXPECT_THAT(DecodeText<Return>(
                  R"({"order_id": "ord_1", "status": "lost", "lines": [], "requested_at": "x"})")
                  .errors,
              ElementsAre(ErrorAt("#/status", StartsWith("must be one of: requested, authorized")),
                          ErrorAt("#/lines", "must have at least 1 item"),
                          ErrorAt("#/requested_at", StartsWith("expected an RFC 3339 time"))));
  Decoded<Shipment> shipment = DecodeText<Shipment>(
      R"({"order_id": "ord_1", "carrier": "fedex", "tracking_number": 794644790132,
          "shipped_at": "2026-11-27T10:00:00Z", "lines": [{"line_no": 1, "sku": "A", "quantity": 2}]})");
  ASSERT_THAT(shipment.errors, IsEmpty());
  EXPECT_EQ(shipment.value->tracking_number, "794644790132");
}

// The text `order`, or the text of the realistic order with `from` replaced by `to`.
std::string Replaced(std::string_view from, std::string_view to) {
  std::string text(test::kRealisticOrderJson);
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(JsonParseAndDecode, AgreesWithDecodingTheBoostJsonTree) {
  const std::vector<std::string> texts = {
      std::string(test::kRealisticOrderJson),
      // A repeated key keeps its first place and its last value, as in a boost::json::object.
      Replaced("\"currency\":", "\"currency\": \"XXX\", \"currency\":"),
      Replaced("\"currency\":", "\"currency\": 7, \"bogus\": 1, \"currency\":"),
      Replaced("\"currency\":", "\"bogus\": 1, \"bogus\": 2, \"bogus\": [1, {}], \"currency\":"),
      Replaced("\"attributes\": {", "\"attributes\": {\"a\": \"1\", \"b\": \"2\", \"a\": 3, "),
      Replaced("\"attributes\": {", "\"attributes\": {\"a\": \"1\", \"a\": \"2\", "),
      Replaced("\"attributes\": {",
               "\"attributes\": {\"\": \"x\", \"a\\u00e9\\n\\\"\": \"\\ud83d\\ude00\", "),
      // Escapes in keys and values, numbers of every kind, null, nesting of the wrong kind.
      Replaced("\"channel\":", "\"chan\\u006eel\":"),
      Replaced("\"channel\":", "\"x\": [[[[{\"a\": null}]]]], \"channel\":"),
      Replaced("\"channel\":", "\"notes\": 1e400, \"channel\":"),
      Replaced("\"channel\":", "\"notes\": -0.0, \"channel\":"),
      Replaced("\"channel\":", "\"notes\": 18446744073709551616, \"channel\":"),
      Replaced("\"channel\":", "\"notes\": true, \"channel\":"),
      Replaced("\"lines\":", "\"lines\": {}, \"x\":"),
      Replaced("\"lines\":", "\"lines\": [], \"x\":"),
      Replaced("\"lines\":", "\"lines\": [1, null, \"a\", [], {}], \"x\":"),
      "{}",
      "[]",
      "null",
      "7",
      "\"order\"",
      "{\"lines\": [{\"line_no\": 1.0}, {\"line_no\": 1.5}]}",
  };
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    json::error_code ec;
    json::value tree = json::parse(text, ec);
    ASSERT_FALSE(ec) << ec.message();
    for (DecodeMode mode : {DecodeMode::kInbound, DecodeMode::kStored}) {
      Decoded<Order> from_tree = DecodeOrder(tree, mode);
      absl::StatusOr<Decoded<Order>> from_text = ParseAndDecodeOrder(text, mode);
      ASSERT_TRUE(from_text.ok()) << from_text.status();
      EXPECT_EQ(from_text->errors, from_tree.errors);
      EXPECT_EQ(from_text->value, from_tree.value);
    }
  }
}

TEST(JsonParseAndDecode, RefusesWhatBoostJsonParseRefusesWithItsMessage) {
  const std::vector<std::string> texts = {
      "",
      " ",
      "{",
      "{\"channel\": ",
      "{\"a\":1}x",
      "{\"a\":1} {}",
      "[1,]",
      "{\"a\" 1}",
      "\"\\x\"",
      "\"\\ud800\"",
      "nul",
      "01",
      "{\"a\":1,}",
      "// comment\n{}",
      "\"tab\there\"",
      std::string(40, '[') + std::string(40, ']'),  // deeper than Boost.JSON's default of 32
      std::string(test::kRealisticOrderJson) + ",",
  };
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    json::error_code ec;
    json::parse(text, ec);
    ASSERT_TRUE(ec);
    absl::StatusOr<Decoded<Order>> decoded = ParseAndDecodeOrder(text);
    EXPECT_THAT(decoded.status(), StatusIs(absl::StatusCode::kInvalidArgument, ec.message()));
  }
}

TEST(JsonParseAndDecode, ReusesItsBuffersAcrossDocumentsOfAnySize) {
  std::string big =
      Replaced("\"notes\":", "\"x\": \"" + std::string(300 * 1024, 'n') + "\", \"notes\":");
  for (const std::string& text :
       {std::string(test::kRealisticOrderJson), big, std::string(test::kRealisticOrderJson)}) {
    absl::StatusOr<Decoded<Order>> from_text = ParseAndDecodeOrder(text);
    ASSERT_TRUE(from_text.ok());
    EXPECT_EQ(from_text->errors, DecodeOrder(json::parse(text)).errors);
  }
}

}  // namespace
}  // namespace disthub
