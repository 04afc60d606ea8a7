// Mappings to canonical documents other than orders (MapDocument): shipments, returns,
// inventory positions and the mapping layer's own tracking document, with the built-in
// Shopify, EasyPost and ShipStation mappings on the payloads written here and on the
// published fixtures (skipped without them).
#include <boost/json.hpp>
#include <filesystem>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/cancellation.h"
#include "mapping/mapping.h"
#include "mapping/mapping_testing.h"
#include "mapping/tracking.h"
#include "status_matchers.h"

namespace disthub::mapping {
namespace {

namespace json = boost::json;
using ::disthub::testing::StatusIs;
using test::Fixture;
using test::FixturesDir;
using test::LoadBuiltIn;
using test::Mangle;
using test::TestPayload;
using test::Utc;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Errors(const MappedDocument& r, const Mapping& m) {
  return test::AllErrors(r.errors, m.file());
}

// `payload` mapped with `mapping_file`, which must succeed; the document as a T.
template <class T>
T MapOk(const Mapping& m, const json::value& payload) {
  MappedDocument r = MapDocument(m, payload, {.vars = {{"channel", "c"}}});
  EXPECT_TRUE(r.ok()) << Errors(r, m) << json::serialize(r.document);
  const T* value = r.get<T>();
  return value != nullptr ? *value : T{};
}

#define SKIP_WITHOUT_FIXTURES(dir)                                                                 \
  if (!std::filesystem::exists(FixturesDir() + "/" dir)) {                                         \
    GTEST_SKIP() << "no fixtures at " << FixturesDir() << "/" dir                                  \
                 << " (../shared is absent in this clone; set DISTHUB_FIXTURES to point at them)"; \
  }

// ---- Targets ---------------------------------------------------------------------------------

TEST(Targets, AnUnknownTargetIsRefusedListingTheKnownOnes) {
  EXPECT_THAT(
      Mapping::Parse("mapping: x\nversion: 1\nfrom: y\nto: invoice\nfields:\n  a: {path: /a}\n",
                     "m.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("m.yaml: to: \"invoice\" is not a canonical document this build maps "
                         "(order, shipment, return, inventory, tracking, cancellation, partner)")));
  for (std::string_view target : Targets()) {
    EXPECT_TRUE(Mapping::Parse(StrCat("mapping: x\nversion: 1\nfrom: y\nto: ", target,
                                      "\nfields:\n  a: {path: /a}\n"),
                               "m.yaml")
                    .ok())
        << target;
  }
}

TEST(Targets, AnOrderMappedAsADocumentIsMapOrdersOrder) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  const json::value payload = TestPayload("shopify-order.json");
  MappedDocument d = MapDocument(m, payload, {.vars = {{"channel", "s"}}});
  MappedOrder o = MapOrder(m, payload, {.vars = {{"channel", "s"}}});
  ASSERT_TRUE(d.ok()) << Errors(d, m);
  ASSERT_NE(d.get<Order>(), nullptr);
  EXPECT_EQ(*d.get<Order>(), *o.order);
  EXPECT_EQ(d.get<Shipment>(), nullptr);
  EXPECT_EQ(d.document, o.document);
}

// The model's checks run on every model target, with MapOrder's form of error.
TEST(Targets, TheModelsErrorsNameTheCanonicalField) {
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Parse(R"(
mapping: t
version: 1
from: test
to: shipment
fields:
  order_id: {path: /o}
  carrier: {path: /c}
  shipped_at: {path: /t, as: time}
  lines: {each: /l, fields: {line_no: {index: 1}, sku: {path: s}, quantity: {path: q, as: integer}}}
)",
                                                 "t.yaml"));
  MappedDocument r =
      MapDocument(m, json::parse(R"({"o": "1", "c": "ups", "t": "2026-11-27T10:00:00Z",
                         "l": [{"s": "A", "q": 0}, {"s": "", "q": 1}]})"));
  EXPECT_THAT(r.errors,
              ElementsAre(AllOf(Field(&MappingError::rule, "canonical #/lines/0/quantity"),
                                Field(&MappingError::message, "must be at least 1")),
                          AllOf(Field(&MappingError::rule, "canonical #/lines/1/sku"),
                                Field(&MappingError::message, "must not be empty"))));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.value));
}

// ---- Checks ----------------------------------------------------------------------------------

TEST(Checks, AFailingCheckRefusesThePayloadBeforeAnyField) {
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Parse(R"(
mapping: t
version: 1
from: test
to: inventory
tables:
  kind: {Level: level}
checks:
  kind: {path: /kind, table: kind}
fields:
  sku: {path: /sku}
)",
                                                 "t.yaml"));
  MappingResult r = m.Apply(json::parse(R"({"kind": "Batch"})"));
  ASSERT_EQ(r.errors.size(), 1u);  // not also "sku is missing"
  EXPECT_EQ(r.errors[0].ToString("t.yaml"),
            "t.yaml: rule checks.kind at /kind: \"Batch\" is not in table kind (Level)");
  EXPECT_EQ(json::serialize(r.document), "{}");
  r = m.Apply(json::parse(R"({"kind": "Level", "sku": "A"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(json::serialize(r.document), R"({"sku":"A"})");  // checks leave no field
  r = m.Apply(json::parse(R"({"sku": "A"})"));
  EXPECT_EQ(test::AllErrors(r.errors, "t.yaml"), "t.yaml: rule checks.kind at /kind: is missing\n");
}

// ---- Shipments -------------------------------------------------------------------------------

TEST(Shipments, AShopifyFulfillmentBecomesACanonicalShipment) {
  Mapping m = LoadBuiltIn("shopify-fulfillment.yaml");
  EXPECT_EQ(m.target(), "shipment");
  Shipment s = MapOk<Shipment>(m, TestPayload("shopify-fulfillment.json"));
  EXPECT_EQ(s.id, "4903894155447");
  EXPECT_EQ(s.order_id, "9007199254740993");  // Shopify's order id, exact above 2^53
  EXPECT_EQ(s.fulfillment_order_id, "");      // the caller's
  EXPECT_EQ(s.carrier, "ups");
  EXPECT_EQ(s.service, "");
  EXPECT_EQ(s.tracking_number, "1Z999AA10123456784");
  EXPECT_EQ(s.shipped_at, Utc(2026, 11, 27, 14, 12, 44));  // -05:00
  EXPECT_THAT(s.lines, ElementsAre(LineQuantity{1, "HS-1", 2}, LineQuantity{2, "HS-2", 1}));
  // The REST API's wrapper is found too.
  json::value wrapped = {{"fulfillment", TestPayload("shopify-fulfillment.json")}};
  EXPECT_EQ(MapOk<Shipment>(m, wrapped), s);
}

TEST(Shipments, AShopifyFulfillmentThatShippedNothingIsRefused) {
  Mapping m = LoadBuiltIn("shopify-fulfillment.yaml");
  json::value doc = TestPayload("shopify-fulfillment.json");
  doc.as_object()["status"] = "cancelled";
  MappedDocument r = MapDocument(m, doc);
  EXPECT_EQ(Errors(r, m), StrCat(m.file(),
                                 ": rule checks.status at /status: \"cancelled\" is not in table "
                                 "shipped (open, pending, success)\n"));
  EXPECT_EQ(r.get<Shipment>(), nullptr);
  // A company outside the table, or none, is carrier "other".
  doc.as_object()["status"] = "success";
  doc.as_object()["tracking_company"] = "Bob's Couriers";
  EXPECT_EQ(MapOk<Shipment>(m, doc).carrier, "other");
  doc.as_object()["tracking_company"] = nullptr;
  EXPECT_EQ(MapOk<Shipment>(m, doc).carrier, "other");
}

TEST(Shipments, TheShopifyFulfillmentFixturesMapOrAreRefusedForTheirStatus) {
  SKIP_WITHOUT_FIXTURES("shopify");
  Mapping m = LoadBuiltIn("shopify-fulfillment.yaml");
  Shipment s = MapOk<Shipment>(m, Fixture("shopify/pyapi_fulfillment.json"));
  EXPECT_EQ(s.id, "255858046");
  EXPECT_EQ(s.order_id, "450789469");
  EXPECT_EQ(s.carrier, "other");  // "null-company"
  EXPECT_EQ(s.tracking_number, "1Z2345");
  EXPECT_EQ(s.shipped_at, Utc(2013, 11, 1, 20, 6, 8));
  EXPECT_THAT(s.lines, ElementsAre(LineQuantity{1, "IPOD2008GREEN", 1}));

  // The shopify_api gem's fulfillment failed: nothing shipped.
  const json::value list = Fixture("shopify/rbapi_fulfillments.json");
  ASSERT_EQ(list.as_array().size(), 1u);
  MappedDocument r = MapDocument(m, list.as_array()[0]);
  EXPECT_EQ(Errors(r, m), StrCat(m.file(),
                                 ": rule checks.status at /status: \"failure\" is not in table "
                                 "shipped (open, pending, success)\n"));
}

TEST(Shipments, AShipStationShipmentBecomesACanonicalShipmentInPacificTime) {
  Mapping m = LoadBuiltIn("shipstation-shipment.yaml");
  Shipment s = MapOk<Shipment>(m, TestPayload("shipstation-shipment.json"));
  EXPECT_EQ(s.id, "72513480");
  EXPECT_EQ(s.order_id, "418825563");  // the orderId shipstation-order.yaml maps
  EXPECT_EQ(s.carrier, "usps");        // stamps_com
  EXPECT_EQ(s.service, "priority");    // usps_priority_mail
  EXPECT_EQ(s.tracking_number, "9400111899223197428490");
  // "2026-11-27T06:12:44.1234567" in Los Angeles (PST, UTC-8).
  EXPECT_EQ(s.shipped_at, Utc(2026, 11, 27, 14, 12, 44, 123));
  // The "10% OFF" adjustment item is not goods; "1" is a count.
  EXPECT_THAT(s.lines, ElementsAre(LineQuantity{1, "HS-1", 2}, LineQuantity{2, "HS-2", 1}));

  json::value doc = TestPayload("shipstation-shipment.json");
  doc.as_object()["carrierCode"] = "asendia";
  doc.as_object()["serviceCode"] = "asendia_priority_tracked";
  s = MapOk<Shipment>(m, doc);
  EXPECT_EQ(s.carrier, "other");
  EXPECT_EQ(s.service, "other");
  doc.as_object()["voided"] = true;
  EXPECT_EQ(Errors(MapDocument(m, doc), m),
            StrCat(m.file(),
                   ": rule checks.not_voided at /voided: \"true\" is not in table live (false)\n"));
}

// ShipStation's createlabelfororder response is the label alone: the order, carrier, time
// and items are in the request that bought it.
TEST(Shipments, TheShipStationLabelResponseIsRefusedNamingWhatAShipmentNeeds) {
  SKIP_WITHOUT_FIXTURES("threepl");
  Mapping m = LoadBuiltIn("shipstation-shipment.yaml");
  MappedDocument r =
      MapDocument(m, Fixture("threepl/shipstation_v1_CreateLabelForOrderResponse.json"));
  const std::string errors = Errors(r, m);
  EXPECT_THAT(errors, AllOf(HasSubstr("rule order_id at /orderId: is missing"),
                            HasSubstr("rule carrier at /carrierCode: is missing"),
                            HasSubstr("rule shipped_at at /createDate: is missing"),
                            HasSubstr("rule lines at /shipmentItems: is missing")))
      << errors;
  EXPECT_EQ(r.errors.size(), 4u) << errors;
  EXPECT_EQ(r.document.at("tracking_number"), "248201115029520");
}

// ---- Returns ---------------------------------------------------------------------------------

TEST(Returns, AShopifyRefundBecomesACanonicalReturn) {
  Mapping m = LoadBuiltIn("shopify-refund.yaml");
  Return r = MapOk<Return>(m, TestPayload("shopify-refund.json"));
  EXPECT_EQ(r.id, "929361464");
  EXPECT_EQ(r.order_id, "9007199254740993");
  EXPECT_EQ(r.status, ReturnStatus::kRequested);  // the hub's
  EXPECT_EQ(r.requested_at, Utc(2026, 12, 2, 19, 5, 31));
  // The nozzle's line was cancelled before it shipped: not returned goods.
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].line_no, 1);
  EXPECT_EQ(r.lines[0].sku, "HS-1");
  EXPECT_EQ(r.lines[0].quantity, 1);
  EXPECT_EQ(r.lines[0].reason, "");

  // A refund of money alone is no return: the model wants a line.
  json::value doc = TestPayload("shopify-refund.json");
  doc.at("refund").as_object()["refund_line_items"] = json::array{};
  MappedDocument refused = MapDocument(m, doc);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].rule, "canonical #/lines");
  EXPECT_EQ(refused.errors[0].message, "must have at least 1 item");
}

TEST(Returns, TheShopifyRefundFixtureMaps) {
  SKIP_WITHOUT_FIXTURES("shopify");
  Mapping m = LoadBuiltIn("shopify-refund.yaml");
  Return r = MapOk<Return>(m, Fixture("shopify/rbapi_refund.json"));
  EXPECT_EQ(r.id, "509562969");
  EXPECT_EQ(r.order_id, "450789469");
  EXPECT_EQ(r.requested_at, Utc(2016, 3, 22, 15, 15, 0));  // -04:00
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].sku, "IPOD2008BLACK");
  EXPECT_EQ(r.lines[0].quantity, 1);
  EXPECT_EQ(r.lines[1].line_no, 2);
  EXPECT_EQ(r.lines[1].sku, "IPOD2008GREEN");
}

// ---- Inventory -------------------------------------------------------------------------------

TEST(Inventory, AShopifyInventoryLevelBecomesAPosition) {
  Mapping m = LoadBuiltIn("shopify-inventory-level.yaml");
  InventoryPosition p = MapOk<InventoryPosition>(m, TestPayload("shopify-inventory-level.json"));
  EXPECT_EQ(p.sku, "49148385");        // the inventory item: the caller translates it
  EXPECT_EQ(p.location, "905684977");  // the location: likewise
  EXPECT_EQ(p.on_hand, 42);
  EXPECT_EQ(p.reserved, 0);
  EXPECT_EQ(p.as_of, Utc(2026, 11, 27, 13, 30, 0));

  json::value doc = {{"inventory_level", TestPayload("shopify-inventory-level.json")}};
  doc.at("inventory_level").as_object()["available"] = -3;  // oversold: Shopify says so
  EXPECT_EQ(MapOk<InventoryPosition>(m, doc).on_hand, -3);
  doc.at("inventory_level").as_object()["available"] = nullptr;  // not tracked
  EXPECT_EQ(Errors(MapDocument(m, doc), m),
            StrCat(m.file(), ": rule on_hand at /inventory_level/available: is missing\n"));
}

// ---- Cancellations ---------------------------------------------------------------------------

// The orders/cancelled webhook is the order with cancelled_at and cancel_reason set.
TEST(Cancellation, ACancelledShopifyOrderBecomesACancellationOfTheWholeOrder) {
  Mapping m = LoadBuiltIn("shopify-cancellation.yaml");
  EXPECT_EQ(m.target(), "cancellation");
  json::value doc = TestPayload("shopify-order.json");
  doc.as_object()["cancelled_at"] = "2026-11-27T09:15:00-05:00";
  doc.as_object()["cancel_reason"] = "customer";
  Cancellation c = MapOk<Cancellation>(m, doc);
  EXPECT_EQ(c.channel, "c");
  EXPECT_EQ(c.channel_order_ref, "9007199254740993");  // exact above 2^53
  EXPECT_EQ(c.cancelled_at, Utc(2026, 11, 27, 14, 15, 0));
  EXPECT_EQ(c.reason, "customer");
  EXPECT_TRUE(c.whole_order());
  doc.as_object()["cancel_reason"] = "declined";
  EXPECT_EQ(MapOk<Cancellation>(m, doc).reason, "payment_declined");
  doc.as_object()["cancel_reason"] = nullptr;  // Shopify sends null for "no reason given"
  EXPECT_EQ(MapOk<Cancellation>(m, doc).reason, "other");
  // The REST API's wrapper maps the same.
  EXPECT_EQ(MapOk<Cancellation>(m, json::value{{"order", doc}}).channel_order_ref,
            "9007199254740993");
}

TEST(Cancellation, AnOrderThatIsNotCancelledIsRefusedByTheCheck) {
  Mapping m = LoadBuiltIn("shopify-cancellation.yaml");
  MappedDocument r =
      MapDocument(m, TestPayload("shopify-order.json"), {.vars = {{"channel", "c"}}});
  EXPECT_EQ(Errors(r, m),
            StrCat(m.file(), ": rule checks.cancelled_at at /cancelled_at: is missing\n"));
}

// Every published Shopify order is live (cancelled_at null): each is refused, none mapped.
TEST(Cancellation, ThePublishedShopifyOrdersAreNotCancellations) {
  SKIP_WITHOUT_FIXTURES("shopify");
  Mapping m = LoadBuiltIn("shopify-cancellation.yaml");
  for (const char* file : {"shopify/rbapi_order.json", "shopify/pyapi_order.json"}) {
    MappedDocument r = MapDocument(m, Fixture(file), {.vars = {{"channel", "c"}}});
    EXPECT_THAT(Errors(r, m),
                HasSubstr("rule checks.cancelled_at at /order/cancelled_at: is missing"))
        << file;
  }
}

TEST(Cancellation, TheDocumentIsCheckedStrictly) {
  auto decode = [](const char* text) { return DecodeCancellation(json::parse(text)); };
  Decoded<Cancellation> ok = decode(
      R"({"channel":"walmart-us","channel_order_ref":4792982839777,)"
      R"("cancelled_at":"2026-11-27T10:00:00Z","reason":"CUSTOMER_REQUESTED_SELLER_TO_CANCEL",)"
      R"("lines":[{"channel_line_ref":"1","quantity":1},{"channel_line_ref":2,"quantity":3}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value->channel_order_ref, "4792982839777");
  EXPECT_EQ(ok.value->lines, (std::vector<CancelledLine>{{"1", 1}, {"2", 3}}));
  EXPECT_FALSE(ok.value->whole_order());
  Decoded<Cancellation> bad = decode(
      R"({"channel":"","cancelled_at":"yesterday","color":"red",)"
      R"("lines":[{"channel_line_ref":"1","quantity":0},{"channel_line_ref":"1","quantity":1},7]})");
  std::vector<std::string> pointers;
  for (const FieldError& e : bad.errors) pointers.push_back(e.pointer);
  EXPECT_THAT(pointers, ::testing::UnorderedElementsAre(
                            "#/channel", "#/channel_order_ref", "#/cancelled_at", "#/color",
                            "#/lines/0/quantity", "#/lines/1/channel_line_ref", "#/lines/2"));
  EXPECT_FALSE(bad.ok());
}

// ---- Tracking --------------------------------------------------------------------------------

TEST(Tracking, AnEasyPostTrackerEventBecomesATrackingDocument) {
  Mapping m = LoadBuiltIn("easypost-tracker.yaml");
  EXPECT_EQ(m.target(), "tracking");
  Tracking t = MapOk<Tracking>(m, TestPayload("easypost-tracker.json"));
  EXPECT_EQ(t.tracking_number, "1Z999AA10123456784");
  EXPECT_EQ(t.carrier, "ups");
  EXPECT_EQ(t.status, TrackingStatus::kOutForDelivery);
  EXPECT_EQ(t.status_at, Utc(2026, 11, 28, 15, 2, 10));
  EXPECT_EQ(t.estimated_delivery_at, Utc(2026, 11, 28, 0, 0, 0));
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.events[0], (TrackingEvent{.at = Utc(2026, 11, 27, 14, 15, 0),
                                        .status = TrackingStatus::kPreTransit,
                                        .message = "Shipper created a label"}));
  EXPECT_EQ(t.events[1], (TrackingEvent{.at = Utc(2026, 11, 27, 23, 40, 0),
                                        .status = TrackingStatus::kInTransit,
                                        .message = "Departed from Facility",
                                        .city = "SECAUCUS",
                                        .region = "NJ",
                                        .postal_code = "07094",
                                        .country = "US"}));
  EXPECT_EQ(t.events[2].at, Utc(2026, 11, 28, 14, 58, 0));  // -05:00
  EXPECT_EQ(t.events[2].status, TrackingStatus::kOutForDelivery);
  EXPECT_EQ(t.events[2].city, "NEWARK");
  // The Tracker itself, as GET /trackers/{id} returns it, maps the same.
  EXPECT_EQ(MapOk<Tracking>(m, TestPayload("easypost-tracker.json").at("result")), t);
}

TEST(Tracking, EasyPostStatusesGoThroughTheTable) {
  Mapping m = LoadBuiltIn("easypost-tracker.yaml");
  json::value doc = TestPayload("easypost-tracker.json");
  json::object& tracker = doc.at("result").as_object();
  const std::vector<std::pair<std::string, TrackingStatus>> cases = {
      {"available_for_pickup", TrackingStatus::kOutForDelivery},
      {"return_to_sender", TrackingStatus::kReturned},
      {"cancelled", TrackingStatus::kFailure},
      {"error", TrackingStatus::kUnknown},
      {"teleported", TrackingStatus::kUnknown},  // one EasyPost adds later
      {"delivered", TrackingStatus::kDelivered}};
  for (const auto& [easypost, status] : cases) {
    tracker["status"] = easypost;
    EXPECT_EQ(MapOk<Tracking>(m, doc).status, status) << easypost;
  }
  tracker["carrier"] = "Purolator";
  EXPECT_EQ(MapOk<Tracking>(m, doc).carrier, "other");
  tracker["tracking_details"] = nullptr;  // none yet
  EXPECT_THAT(MapOk<Tracking>(m, doc).events, IsEmpty());
}

TEST(Tracking, AnEasyPostEventAboutSomethingElseIsRefusedByTheCheck) {
  Mapping m = LoadBuiltIn("easypost-tracker.yaml");
  json::value batch = json::parse(R"({"object": "Event", "description": "batch.updated",
      "result": {"object": "Batch", "id": "batch_1", "state": "purchased"}})");
  EXPECT_EQ(Errors(MapDocument(m, batch), m),
            StrCat(m.file(),
                   ": rule checks.object at /result/object: \"Batch\" is not in table object "
                   "(Tracker)\n"));
  json::value bare = TestPayload("easypost-tracker.json");
  bare.as_object().erase("result");
  EXPECT_EQ(
      Errors(MapDocument(m, bare), m),
      StrCat(m.file(),
             ": rule checks.object at /object: \"Event\" is not in table object (Tracker)\n"));
}

TEST(Tracking, TheEasyPostTrackerFixturesMap) {
  SKIP_WITHOUT_FIXTURES("carrier");
  Mapping m = LoadBuiltIn("easypost-tracker.yaml");
  Tracking t = MapOk<Tracking>(m, Fixture("carrier/easypost_event_tracker_updated_webhook.json"));
  EXPECT_EQ(t.tracking_number, "1");
  EXPECT_EQ(t.carrier, "fedex");
  EXPECT_EQ(t.status, TrackingStatus::kInTransit);
  EXPECT_EQ(t.status_at, Utc(2024, 8, 2, 19, 26, 51));
  EXPECT_EQ(t.estimated_delivery_at, Utc(2024, 8, 5, 0, 0, 0));
  ASSERT_EQ(t.events.size(), 7u);
  EXPECT_EQ(t.events[0].status, TrackingStatus::kPreTransit);
  EXPECT_EQ(t.events[0].message, "Shipment information sent to FedEx");
  EXPECT_EQ(t.events[0].city, "");  // null
  EXPECT_EQ(t.events[0].country, "US");
  EXPECT_EQ(t.events[6].at, Utc(2024, 8, 2, 18, 50, 0));
  EXPECT_EQ(t.events[6].city, "EDISON");
  EXPECT_EQ(t.events[6].region, "NJ");
  EXPECT_EQ(t.events[6].postal_code, "08817");

  for (const char* file :
       {"carrier/easypost_trackers-create.json", "carrier/easypost_trackers-retrieve.json"}) {
    t = MapOk<Tracking>(m, Fixture(file));
    EXPECT_EQ(t.tracking_number, "EZ1000000001") << file;
    EXPECT_EQ(t.carrier, "usps") << file;
    EXPECT_EQ(t.status, TrackingStatus::kPreTransit) << file;
    EXPECT_EQ(t.status_at, Utc(2025, 5, 9, 20, 40, 17)) << file;
    ASSERT_EQ(t.events.size(), 2u) << file;
    EXPECT_EQ(t.events[1].message, "Shipping Label Created") << file;
    EXPECT_EQ(t.events[1].city, "HOUSTON") << file;
    EXPECT_EQ(t.events[1].country, "") << file;  // null
  }

  // The webhooks guide's example Event leaves its Tracker out.
  MappedDocument r = MapDocument(m, Fixture("carrier/easypost_webhook_event_example.json"));
  EXPECT_THAT(Errors(r, m), HasSubstr("rule checks.object at /object: \"Event\" is not in table"));
}

TEST(Tracking, TheDocumentIsCheckedLikeAModelEntity) {
  EXPECT_THAT(DecodeTracking(json::parse("[]")).errors,
              ElementsAre(FieldError{"#", "expected an object"}));
  Decoded<Tracking> d = DecodeTracking(json::parse(R"({
      "tracking_number": "", "carrier": 7, "status": "lost", "status_at": "2026-11-27 10:00",
      "estimated_delivery_at": "soon", "colour": "brown",
      "events": [{"at": "2026-11-27T10:00:00Z", "status": "delivered", "country": "USA",
                  "city": null, "x": 1}, 5]})"));
  EXPECT_THAT(
      d.errors,
      ElementsAre(
          FieldError{"#/tracking_number", "must not be empty"},
          FieldError{"#/carrier", "expected a string"},
          FieldError{"#/status",
                     "must be one of: pre_transit, in_transit, out_for_delivery, delivered, "
                     "failure, returned, unknown"},
          FieldError{"#/status_at", "expected an RFC 3339 time like 2026-11-26T21:10:07.123Z"},
          FieldError{"#/estimated_delivery_at",
                     "expected an RFC 3339 time like 2026-11-26T21:10:07.123Z"},
          FieldError{"#/events/0/city", "expected a string"},
          FieldError{"#/events/0/country",
                     "must be an ISO 3166-1 alpha-2 country code (two uppercase letters)"},
          FieldError{"#/events/0/x", "is not a field of TrackingEvent"},
          FieldError{"#/events/1", "expected an object"},
          FieldError{"#/colour", "is not a field of Tracking"}));
  EXPECT_FALSE(d.value.has_value());

  d = DecodeTracking(json::parse(R"({"tracking_number": 9400111899223197428490,
      "carrier": "usps", "status": "delivered", "status_at": "2026-11-27T10:00:00-05:00"})"));
  EXPECT_THAT(d.errors, ElementsAre(FieldError{"#/tracking_number",
                                               "expected a string or an integer"}));  // > 2^64
  d = DecodeTracking(json::parse(R"({"tracking_number": 794644790132, "carrier": "fedex",
      "status": "delivered", "status_at": "2026-11-27T10:00:00-05:00"})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->tracking_number, "794644790132");
  EXPECT_EQ(d.value->status_at, Utc(2026, 11, 27, 15, 0, 0));
  EXPECT_FALSE(d.value->estimated_delivery_at.has_value());
  EXPECT_THAT(d.value->events, IsEmpty());
}

// ---- Bad input -------------------------------------------------------------------------------

// As MappingRobustness for orders: mangled payloads of every new target are refused or
// mapped, never crash, and what maps is decoded.
TEST(DocumentsRobustness, MangledPayloadsAreRefusedOrMappedNeverCrash) {
  const std::vector<std::string> cases = {"shopify-fulfillment", "shopify-refund",
                                          "shopify-inventory-level", "easypost-tracker",
                                          "shipstation-shipment"};
  const std::vector<json::value> replacements = {nullptr,
                                                 true,
                                                 0,
                                                 -1,
                                                 json::value(INT64_MIN),
                                                 json::value(UINT64_MAX),
                                                 1e300,
                                                 -0.5,
                                                 "",
                                                 "x",
                                                 "2026-13-45T99:99:99Z",
                                                 "\xff\xfe",
                                                 "false",
                                                 "true",
                                                 "1",
                                                 json::array{},
                                                 json::object{},
                                                 json::object{{"a", nullptr}}};
  std::mt19937_64 rng(20261128);
  int mapped = 0, refused = 0;
  for (const std::string& name : cases) {
    Mapping m = LoadBuiltIn(name + ".yaml");
    const json::value original = TestPayload(name + ".json");
    for (int round = 0; round < 600; ++round) {
      json::value doc = original;
      Mangle(doc, rng, replacements);
      MappedDocument r = MapDocument(m, doc, {.vars = {{"channel", "c"}}});
      if (r.ok()) {
        ++mapped;
        EXPECT_FALSE(std::holds_alternative<std::monostate>(r.value)) << json::serialize(doc);
      } else {
        ++refused;
        EXPECT_TRUE(std::holds_alternative<std::monostate>(r.value));
        for (const MappingError& e : r.errors) EXPECT_FALSE(e.message.empty());
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(mapped, 0);
}

}  // namespace
}  // namespace disthub::mapping
