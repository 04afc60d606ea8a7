// The census of the published JSON fixtures (../shared/fixtures, SOURCES.md there): every
// .json file under it is in the table below, either mapped by a built-in mapping (and then
// it must map, or be refused with the reason the table states) or listed as not a payload
// the hub takes, with why. A fixture the table does not know fails the test, so a new one is
// noticed. The per-dialect tests (mapping_test.cc, documents_test.cc) check the mapped
// values in detail; the census checks outcomes. CSV fixtures are covered by the CSV readers'
// tests (src/formats, src/connectors).
#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/mapping.h"
#include "mapping/mapping_testing.h"

namespace disthub::mapping {
namespace {

namespace json = boost::json;
using test::Fixture;
using test::FixturesDir;

enum class Fate {
  kMaps,         // every document maps and passes the model's (or the tracking) checks
  kRefused,      // every document is refused, its errors containing `expect`
  kNotAPayload,  // not a document any mapping takes: `expect` says why
};

struct Entry {
  std::string_view file;  // under FixturesDir()
  Fate fate;
  std::string_view mapping;  // mappings/…: for kMaps and kRefused
  // Where the documents are: a JSON Pointer to a list (each element is one) or to an object;
  // "" is the file itself (a file that is a list: each element).
  std::string_view at;
  std::string_view expect;  // kRefused: a substring of the errors; kNotAPayload: the reason
  // Each document is wrapped as {wrap: document} first: a connector's composite.
  std::string_view wrap;
  // Or the composite is built from the fixtures by this (the Amazon pair).
  json::value (*compose)() = nullptr;
};

// The composite the Amazon poller would build of the published getOrder and getOrderItems
// samples, which are two different orders in two currencies.
json::value AmazonPair() {
  return {{"order", Fixture("amazon/spsamples_orders-getOrder.json").at("payload")},
          {"items",
           Fixture("amazon/spsamples_orders-getOrderItems.json").at("payload").at("OrderItems")}};
}

constexpr std::string_view kOpenApi = "an OpenAPI model, not a payload";
constexpr std::string_view kSchema =
    "a notification's JSON Schema, not a payload (SP-API notifications are not taken yet)";

const std::vector<Entry>& Census() {
  static const std::vector<Entry> census = {
      // ---- Amazon SP-API
      {"amazon/spapi_fulfillmentOutbound_2020-07-01.openapi.json", Fate::kNotAPayload, "", "",
       kOpenApi},
      {"amazon/spapi_notification_FBAOutboundShipmentStatusNotification.schema.json",
       Fate::kNotAPayload, "", "", kSchema},
      {"amazon/spapi_notification_ItemInventoryEventChangeNotification.schema.json",
       Fate::kNotAPayload, "", "", kSchema},
      {"amazon/spapi_notification_OrderChangeNotification.schema.json", Fate::kNotAPayload, "", "",
       kSchema},
      {"amazon/spapi_notification_ShipmentTrackingMilestoneChangedNotification.schema.json",
       Fate::kNotAPayload, "", "", kSchema},
      {"amazon/spapi_ordersV0.openapi.json", Fate::kNotAPayload, "", "", kOpenApi},
      {"amazon/spapi_vendorDirectFulfillmentOrders_2021-12-28.openapi.json", Fate::kNotAPayload, "",
       "", kOpenApi},
      // getOrder alone, without getOrderItems: no lines (and no address: restricted data).
      {"amazon/spsamples_easyship-orders-getOrder.json", Fate::kRefused, "amazon-order.yaml",
       "/payload", "rule lines at /items: is missing", "order"},
      {"amazon/spsamples_mcf-v1-getFulfillmentOrder.json", Fate::kNotAPayload, "", "",
       "Multi-Channel Fulfillment: Amazon as the hub's warehouse, not a connector yet"},
      {"amazon/spsamples_mcf-v1-getPackageTrackingDetails.json", Fate::kNotAPayload, "", "",
       "Multi-Channel Fulfillment package tracking: no built-in mapping for it yet"},
      {"amazon/spsamples_mcf-v2-getOrder.json", Fate::kNotAPayload, "", "",
       "Multi-Channel Fulfillment v2: not a connector yet"},
      {"amazon/spsamples_mcf-v2-listOrders.json", Fate::kNotAPayload, "", "",
       "Multi-Channel Fulfillment v2: not a connector yet"},
      // MappingFixtures.ThePublishedAmazonPairIsTwoOrdersInTwoCurrenciesAndIsRefused.
      {"amazon/spsamples_orders-getOrder.json", Fate::kRefused, "amazon-order.yaml", "",
       "the amount is in BRL, not in the document's currency (USD)", "", AmazonPair},
      {"amazon/spsamples_orders-getOrderItems.json", Fate::kRefused, "amazon-order.yaml", "",
       "rule ship_to.line1 at /order/ShippingAddress/AddressLine1: is missing", "", AmazonPair},
      {"amazon/spsamples_vendororders-getPurchaseOrder.json", Fate::kNotAPayload, "", "",
       "Vendor Central purchase order (Amazon buying as a retailer): not a channel yet"},
      {"amazon/spsamples_vendororders-getPurchaseOrders.json", Fate::kNotAPayload, "", "",
       "Vendor Central purchase orders: not a channel yet"},
      {"amazon/spsamples_vendorshipments-getShipmentDetails.json", Fate::kNotAPayload, "", "",
       "Vendor Central shipment details (the vendor's ASN to Amazon): not a channel yet"},

      // ---- BigCommerce: GET /v2/orders alone, as the connector's composite without its
      // sub-resources (MappingFixtures.TheBareBigCommerceOrderIsRefused…).
      {"bigcommerce/bcapiruby_v2_orders.json", Fate::kRefused, "bigcommerce-order.yaml", "",
       "rule lines at /products: is missing: expected a list", "order"},

      // ---- EasyPost
      {"carrier/easypost_batch_webhooks.json", Fate::kNotAPayload, "", "",
       "a batch.updated Event: label batches are the carrier connector's own business"},
      {"carrier/easypost_batches-retrieve.json", Fate::kNotAPayload, "", "",
       "a Batch of label purchases: the carrier connector's own business"},
      {"carrier/easypost_event_tracker_updated_webhook.json", Fate::kMaps, "easypost-tracker.yaml"},
      // GET /events/{id} leaves the Event's result (the Tracker) out.
      {"carrier/easypost_events-retrieve.json", Fate::kRefused, "easypost-tracker.yaml", "",
       "rule checks.object at /object: \"Event\" is not in table object (Tracker)"},
      {"carrier/easypost_orders-buy.json", Fate::kNotAPayload, "", "",
       "an Order's label purchase response: the carrier connector's own; its trackers reach the "
       "hub as tracker events"},
      {"carrier/easypost_refunds-create.json", Fate::kNotAPayload, "", "",
       "label refunds (postage given back): the carrier connector's own business"},
      // A bought Shipment carries its Tracker (status unknown, no details yet).
      {"carrier/easypost_shipments-buy.json", Fate::kMaps, "easypost-tracker.yaml", "/tracker"},
      {"carrier/easypost_shipments-retrieve.json", Fate::kNotAPayload, "", "",
       "a Shipment before its label is bought: rates only, no tracker"},
      {"carrier/easypost_trackers-create.json", Fate::kMaps, "easypost-tracker.yaml"},
      {"carrier/easypost_trackers-retrieve.json", Fate::kMaps, "easypost-tracker.yaml"},
      // The webhooks guide's example Event leaves its result out too.
      {"carrier/easypost_webhook_event_example.json", Fate::kRefused, "easypost-tracker.yaml", "",
       "rule checks.object at /object: \"Event\" is not in table object (Tracker)"},

      // ---- Shopify
      {"shopify/pyapi_draft_order.json", Fate::kNotAPayload, "", "",
       "a draft order: not placed, so not an order the hub takes"},
      {"shopify/pyapi_fulfillment.json", Fate::kMaps, "shopify-fulfillment.yaml"},
      {"shopify/pyapi_locations.json", Fate::kNotAPayload, "", "",
       "the shop's locations: configuration, not a document"},
      // #1001: its tax on the order, not its lines (MappingFixtures.ShopifyOrders…).
      {"shopify/pyapi_order.json", Fate::kRefused, "shopify-order.yaml", "",
       "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 11.94"},
      // A list page of a few fields of each order.
      {"shopify/pyapi_orders.json", Fate::kRefused, "shopify-order.yaml", "/orders",
       "rule lines at /line_items: is missing"},
      {"shopify/pyapi_transactions.json", Fate::kNotAPayload, "", "",
       "payment transactions: the order's payment_state is mapped from the order"},
      {"shopify/rbapi_fulfillment_orders.json", Fate::kNotAPayload, "", "",
       "fulfillment orders (what a fulfillment service is asked to ship): the hub takes the "
       "orders themselves"},
      {"shopify/rbapi_fulfillment_request.json", Fate::kNotAPayload, "", "",
       "a fulfillment service's request record: the hub takes the orders themselves"},
      // A fulfillment whose status is failure shipped nothing.
      {"shopify/rbapi_fulfillments.json", Fate::kRefused, "shopify-fulfillment.yaml", "",
       "rule checks.status at /status: \"failure\" is not in table shipped"},
      {"shopify/rbapi_order.json", Fate::kRefused, "shopify-order.yaml", "",
       "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 11.94"},
      {"shopify/rbapi_orders.json", Fate::kRefused, "shopify-order.yaml", "/orders",
       "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 11.94"},
      {"shopify/rbapi_refund.json", Fate::kMaps, "shopify-refund.yaml"},

      // ---- ShipStation (MappingFixtures.ShipStationOrdersAreRefused…)
      {"threepl/shipstation_v1_CreateLabelForOrderResponse.json", Fate::kRefused,
       "shipstation-shipment.yaml", "", "rule order_id at /orderId: is missing"},
      {"threepl/shipstation_v1_GetOrderResponse.json", Fate::kRefused, "shipstation-order.yaml", "",
       "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 5.00"},
      {"threepl/shipstation_v1_ListOrdersResponse.json", Fate::kRefused, "shipstation-order.yaml",
       "/orders/0", "rule canonical #/totals/tax"},
      {"threepl/shipstation_v1_ListOrdersResponse.json", Fate::kRefused, "shipstation-order.yaml",
       "/orders/1", "rule canonical #/totals/discount"},
      {"threepl/shipstation_v1_ListWarehousesResponse.json", Fate::kNotAPayload, "", "",
       "the account's warehouses: configuration, not a document"},
      {"threepl/shipstation_v1_MarkAsShippedResponse.json", Fate::kNotAPayload, "", "",
       "the answer to the hub's own markasshipped call: {orderId, orderNumber}"},
      // The Order model of a create request: ShipStation has not given it an orderId.
      {"threepl/shipstation_v1_Order.json", Fate::kRefused, "shipstation-order.yaml", "",
       "rule channel_order_ref at /orderId: is missing"},

      // ---- Walmart: the example orders of GET /v3/orders in the Orders API model
      // (MappingFixtures.EveryWalmartExampleOrderMaps maps the other 16 examples too).
      {"walmart/walmart_openapi_us_mp_inventory.json", Fate::kNotAPayload, "", "",
       "the Inventory API's OpenAPI model: no inventory mapping for Walmart yet"},
      {"walmart/walmart_openapi_us_mp_orders.json", Fate::kMaps, "walmart-order.yaml",
       "/paths/~1v3~1orders/get/responses/200/content/application~1json/example/list/elements/"
       "order"},
      {"walmart/walmart_openapi_us_supplier_orders.json", Fate::kNotAPayload, "", "",
       "the Supplier (drop-ship vendor) Orders API's OpenAPI model: not a channel yet"},

      // ---- WooCommerce: no SKUs, addresses or GMT time (MappingFixtures.TheMinimalWoo…).
      {"woocommerce/wcrestts_mcp_orders_minimal.json", Fate::kRefused, "woocommerce-order.yaml", "",
       "rule placed_at at /date_created_gmt: is missing"},

      // ---- X12 as JSON: the hub reads the X12 itself (src/formats).
      {"x12/awsb2bi_214_shipment_status_multi.translated.json", Fate::kNotAPayload, "", "",
       "AWS B2B Data Interchange's JSON of an X12 214: the hub reads the .edi"},
      {"x12/stedi_5010_850_dropship.guide.json", Fate::kNotAPayload, "", "",
       "Stedi's guide JSON of an X12 850: the hub reads the .edi"},
  };
  return census;
}

// Every .json file under `dir`, as paths relative to it with '/' separators, sorted.
std::vector<std::string> JsonFiles(const std::filesystem::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(std::filesystem::relative(entry.path(), dir).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What a mapped document must have besides passing its checks.
void ExpectSubstance(const MappedDocument& r, const std::string& where) {
  if (const Order* o = r.get<Order>()) {
    EXPECT_GT(o->lines.size(), 0u) << where;  // ValidateOrder passed: the totals add up
  } else if (const Shipment* s = r.get<Shipment>()) {
    EXPECT_GT(s->lines.size(), 0u) << where;
  } else if (const Return* ret = r.get<Return>()) {
    EXPECT_GT(ret->lines.size(), 0u) << where;
  } else if (const Tracking* t = r.get<Tracking>()) {
    EXPECT_FALSE(t->tracking_number.empty()) << where;
  } else {
    EXPECT_NE(r.get<InventoryPosition>(), nullptr) << where;
  }
}

TEST(FixturesCensus, EveryJsonFixtureMapsOrIsRefusedOrIsNotAPayloadWithAReason) {
  const std::filesystem::path dir = FixturesDir();
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "no fixtures at " << dir.string()
                 << " (../shared is absent in this clone; set DISTHUB_FIXTURES to point at them)";
  }
  const std::vector<std::string> files = JsonFiles(dir);
  std::set<std::string_view> listed;
  for (const Entry& e : Census()) listed.insert(e.file);
  for (const std::string& file : files) {
    EXPECT_TRUE(listed.contains(file))
        << "new fixture " << file
        << ": add it to the census in src/mapping/fixtures_census_test.cc (mapped by a built-in "
           "mapping, refused with its reason, or not a payload and why)";
  }
  std::map<std::string, Mapping> mappings;
  std::map<Fate, int> counts;
  for (const Entry& e : Census()) {
    const std::string file(e.file);
    if (!std::binary_search(files.begin(), files.end(), file)) {
      ADD_FAILURE() << "the census lists " << file << ", which is not under " << dir.string();
      continue;
    }
    ++counts[e.fate];
    const json::value whole = Fixture(file);
    if (e.fate == Fate::kNotAPayload) {
      EXPECT_FALSE(e.expect.empty()) << file << ": say why it is not a payload";
      EXPECT_TRUE(e.mapping.empty()) << file;
      continue;
    }
    const std::string name(e.mapping);
    auto it = mappings.find(name);
    if (it == mappings.end()) it = mappings.emplace(name, test::LoadBuiltIn(name)).first;
    const Mapping& m = it->second;

    const json::value composed = e.compose != nullptr ? e.compose() : json::value();
    const json::value& source = e.compose != nullptr ? composed : whole;
    boost::system::error_code ec;
    const json::value* at = source.find_pointer(e.at, ec);
    ASSERT_NE(at, nullptr) << file << ": nothing at " << e.at;
    std::vector<const json::value*> documents;
    if (at->is_array()) {
      for (const json::value& d : at->get_array()) documents.push_back(&d);
    } else {
      documents.push_back(at);
    }
    ASSERT_FALSE(documents.empty()) << file << " at " << e.at;
    for (size_t i = 0; i < documents.size(); ++i) {
      const std::string where = StrCat(file, " at ", e.at.empty() ? "\"\"" : e.at,
                                       at->is_array() ? StrCat(" #", i) : "", " (", e.mapping, ")");
      const json::value wrapped =
          e.wrap.empty() ? json::value() : json::value{{e.wrap, *documents[i]}};
      const json::value& payload = e.wrap.empty() ? *documents[i] : wrapped;
      const MappedDocument r = MapDocument(m, payload, {.vars = {{"channel", "census"}}});
      const std::string errors = test::AllErrors(r.errors, m.file());
      if (e.fate == Fate::kMaps) {
        EXPECT_TRUE(r.ok()) << where << "\n" << errors;
        if (r.ok()) ExpectSubstance(r, where);
      } else {
        EXPECT_FALSE(r.ok()) << where << " maps, but the census expects it refused";
        EXPECT_THAT(errors, ::testing::HasSubstr(std::string(e.expect))) << where;
        EXPECT_TRUE(std::holds_alternative<std::monostate>(r.value)) << where;
      }
    }
  }
  RecordProperty("mapped", counts[Fate::kMaps]);
  RecordProperty("refused", counts[Fate::kRefused]);
  RecordProperty("not_a_payload", counts[Fate::kNotAPayload]);
  EXPECT_GT(counts[Fate::kMaps], 0);
}

}  // namespace
}  // namespace disthub::mapping
