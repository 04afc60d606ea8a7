// The order lifecycle end to end: the real `disthub serve` releasing orders to warehouse
// simulators (real HTTP servers calling the hub back), an ERP and a channel endpoint,
// with the exception paths: a silent warehouse (retry, then reroute), a stock-out
// (backorder, then release when stock arrives), a cancellation after release
// (compensation reaches the warehouse), partial and short shipments.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "connectors/webhook.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "model/json.h"
#include "sim/carrier_sim.h"
#include "sim/erp_sim.h"
#include "sim/partner_sim.h"
#include "sim/scenario_orders.h"
#include "sim/wms_sim.h"
#include "sim/x12_3pl_sim.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Auth(std::string_view key) {
  return {{"Authorization", StrCat("Bearer ", key)}, {"Content-Type", "application/json"}};
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(15)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A warehouse simulator whose hub is known only once the hub has started: the partner
// listens first (the hub's configuration names it), the warehouse joins it after.
struct Warehouse {
  std::atomic<WarehouseSim*> sim{nullptr};
  std::unique_ptr<PartnerSim> partner;
  std::unique_ptr<WarehouseSim> owned;

  Warehouse() {
    PartnerSimOptions o;
    o.on_message = [this](const PartnerMessage& m) {
      if (WarehouseSim* w = sim.load()) w->OnMessage(m);
    };
    auto p = StartPartnerSim(o);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) partner = *std::move(p);
  }
  ~Warehouse() {
    if (partner) partner->Stop();
    if (owned) owned->Stop();
  }
  void Join(const std::string& hub_url, WarehouseOptions o) {
    o.hub_url = hub_url;
    o.api_key = kInventoryKey;
    o.ack_delay_ms = o.ack_delay_ms == 50 ? 10 : o.ack_delay_ms;
    o.retry_initial_ms = 20;
    auto w = WarehouseSim::Start(o);
    ASSERT_TRUE(w.ok()) << w.status();
    owned = *std::move(w);
    sim = owned.get();
  }
  WarehouseSim& operator*() { return *owned; }
  WarehouseSim* operator->() { return owned.get(); }
};

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto erp = StartPartnerSim({});
    ASSERT_TRUE(erp.ok());
    erp_ = *std::move(erp);
    auto channel = StartPartnerSim({});
    ASSERT_TRUE(channel.ok());
    channel_ = *std::move(channel);
  }

  // Starts the hub with both warehouses as subscribers; `east_ack_seconds` is wh-east's
  // acknowledgement deadline.
  // `extra_channels`, `extra_subscribers` and `extra_locations` are entries appended to
  // those lists (`extra_subscribers` may also bring top-level sections after them).
  void StartHub(int east_ack_seconds = 30, const std::string& extra_channels = "",
                const std::string& extra_subscribers = "",
                const std::string& extra_locations = "") {
    hub_ = std::make_unique<HubProcess>(StrCat(R"(
fulfillment:
  locations:
    - name: wh-east
      ack_deadline_seconds: )",
                                               east_ack_seconds, R"(
      release_attempts: 2
      regions: [NY, NJ]
    - name: wh-west
      ack_deadline_seconds: 30
      regions: [CA, OR]
)",
                                               extra_locations, R"(
  backorder_recheck_seconds: 1
  timer_tick_ms: 50
subscribers:
  - name: wms-east
    url: )",
                                               east_.partner->url(), R"(/wms
    events: ["fulfillment.release.wh-east", "fulfillment.cancel.wh-east"]
    delivery: {retry: {initial_ms: 20, max_ms: 200}}
  - name: wms-west
    url: )",
                                               west_.partner->url(), R"(/wms
    events: ["fulfillment.release.wh-west", "fulfillment.cancel.wh-west"]
    delivery: {retry: {initial_ms: 20, max_ms: 200}}
  - name: erp
    url: )",
                                               erp_->url(), R"(/invoices
    events: ["invoice.posted", "credit_memo.posted"]
  - name: dtc-status
    url: )",
                                               channel_->url(), R"(/status
    events: ["order.status.dtc-web", "return.status.dtc-web"]
)",
                                               extra_subscribers, R"(
delivery:
  poll_interval_ms: 20
)"),
                                        "", extra_channels);
    ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
    client_ = std::make_unique<HttpClient>(hub_->url());
  }

  HttpResult Send(const std::string& method, const std::string& path, const std::string& body = "",
                  std::string_view key = kWriterKey) {
    auto r = client_->Send(method, path, Auth(key), body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResult{};
  }
  void Stock(const std::string& location, const std::string& sku, int64_t on_hand) {
    const int seq = ++seq_;
    HttpResult r = Send("POST", "/v1/inventory/snapshots",
                        StrCat(R"({"id":")", location, "-", sku, "-", seq, R"(","location":")",
                               location, R"(","sequence":)", seq, R"(,"items":[{"sku":")", sku,
                               R"(","on_hand":)", on_hand, "}]}"),
                        kInventoryKey);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // Places a dtc-web order for `lines` shipping to `region`; returns its id.
  std::string Place(std::vector<std::pair<std::string, int64_t>> lines, const std::string& region) {
    return PlaceFor("dtc-web", "", std::move(lines), region);
  }
  // Places an order of `channel` for the ERP account `account` (at 5.00 a unit, no tax).
  std::string PlaceFor(const std::string& channel, const std::string& account,
                       std::vector<std::pair<std::string, int64_t>> lines,
                       const std::string& region) {
    Order o;
    o.channel = channel;
    o.channel_order_ref = StrCat("LC-", ::getpid(), "-", ++seq_);
    o.currency = "USD";
    o.customer = {.name = "Pat Doe", .email = "pat@example.com", .account_number = account};
    o.ship_to = {.name = "Pat Doe",
                 .line1 = "1 Main St",
                 .city = "Town",
                 .region = region,
                 .postal_code = "10001",
                 .country = "US"};
    o.placed_at = absl::Now();
    o.payment_state = PaymentState::kCaptured;
    int n = 0;
    int64_t sub = 0;
    for (auto& [sku, qty] : lines) {
      o.lines.push_back({.line_no = ++n,
                         .sku = sku,
                         .quantity = qty,
                         .uom = "each",
                         .unit_price = {.minor = 500, .currency = "USD"},
                         .tax = {.minor = 0, .currency = "USD"}});
      sub += 500 * qty;
    }
    o.totals = {.subtotal = {sub, "USD"},
                .discount = {0, "USD"},
                .tax = {0, "USD"},
                .shipping = {0, "USD"},
                .grand_total = {sub, "USD"}};
    HttpResult r = Send("POST", "/v1/orders", ScenarioOrders::InboundJson(o));
    EXPECT_EQ(r.status, 201) << r.body;
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    return ec ? "" : std::string(v.as_object().at("id").as_string());
  }
  std::string Status(const std::string& id) {
    HttpResult r = Send("GET", "/v1/orders/" + id);
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("status")) return "";
    return std::string(v.as_object().at("status").as_string());
  }
  // The id of the first order of `channel`, once there is one ("" after 15 s).
  std::string FirstOrderOf(const std::string& channel) {
    std::string id;
    WaitFor([&] {
      json::error_code ec;
      json::value v = json::parse(Send("GET", "/v1/orders?channel=" + channel).body, ec);
      if (ec || !v.is_object() || v.at("orders").as_array().empty()) return false;
      id = std::string(v.at("orders").as_array()[0].at("id").as_string());
      return true;
    });
    return id;
  }
  bool Reaches(const std::string& id, const std::string& status,
               absl::Duration timeout = absl::Seconds(15)) {
    bool ok = WaitFor([&] { return Status(id) == status; }, timeout);
    EXPECT_TRUE(ok) << "order " << id << " is " << Status(id) << ", not " << status;
    return ok;
  }
  json::object Inventory(const std::string& sku, const std::string& location) {
    HttpResult r = Send("GET", "/v1/inventory/" + sku, "", kInventoryKey);
    json::value v = json::parse(r.body);
    for (const json::value& p : v.as_object().at("locations").as_array()) {
      if (p.as_object().at("location").as_string() == location) return p.as_object();
    }
    return {};
  }
  // Messages a partner sim recorded whose body mentions `text`.
  static int Count(PartnerSim& sim, const std::string& text) {
    int n = 0;
    for (const PartnerMessage& m : sim.Messages()) n += m.body.find(text) != std::string::npos;
    return n;
  }

  Warehouse east_, west_;
  std::unique_ptr<PartnerSim> erp_, channel_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<HttpClient> client_;
  int seq_ = 0;
};

TEST_F(LifecycleTest, AnOrderIsReleasedShippedAndInvoicedThroughThePartners) {
  StartHub();
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20});
  Stock("wh-east", "HS-10001", 100);
  Stock("wh-west", "HS-10001", 100);
  std::string id = Place({{"HS-10001", 3}}, "CA");
  ASSERT_TRUE(Reaches(id, "invoiced"));

  // The west warehouse (serving CA) shipped it, once; the east one never heard of it.
  ASSERT_TRUE(west_->WaitIdle(absl::Seconds(5)));
  EXPECT_EQ(west_->Stats().units_shipped, 3);
  EXPECT_EQ(west_->Stats().shipments_sent, 1);
  EXPECT_EQ(east_->Stats().releases_received, 0);
  EXPECT_EQ(Inventory("HS-10001", "wh-west").at("on_hand").as_int64(), 97);
  EXPECT_EQ(Inventory("HS-10001", "wh-west").at("reserved").as_int64(), 0);

  // The ERP got the invoice, the channel its status updates.
  ASSERT_TRUE(WaitFor([&] { return Count(*erp_, id) == 1; }));
  EXPECT_EQ(Count(*erp_, R"("total_minor":1500)"), 1);
  ASSERT_TRUE(WaitFor([&] { return Count(*channel_, R"("status":"shipped")") == 1; }));
  EXPECT_EQ(Count(*channel_, R"("status":"released")"), 1);
  EXPECT_EQ(Count(*channel_, R"("tracking")"), 1);  // the shipped update names the parcel

  // The timeline shows every step, what caused it and what it sent.
  HttpResult t = Send("GET", "/v1/orders/" + id + "/timeline");
  ASSERT_EQ(t.status, 200) << t.body;
  json::object timeline = json::parse(t.body).as_object();
  std::vector<std::string> types;
  bool release_sent = false;
  for (const json::value& e : timeline.at("events").as_array()) {
    const json::object& o = e.as_object();
    types.emplace_back(o.at("type").as_string());
    if (o.at("type") == "fulfillment.release.wh-west") {
      for (const json::value& s : o.at("sent").as_array()) {
        release_sent |= s.as_object().at("subscriber") == "wms-west" &&
                        s.as_object().at("state") == "delivered";
      }
    }
    if (o.at("type") == "fulfillment.acknowledged") {
      EXPECT_THAT(std::string(o.at("caused_by").as_string()), ::testing::StartsWith("ack:"));
    }
  }
  EXPECT_TRUE(release_sent);
  EXPECT_THAT(types, ::testing::IsSupersetOf({"order.received", "order.accepted", "order.allocated",
                                              "order.released", "fulfillment.acknowledged",
                                              "fulfillment.shipped", "order.shipped",
                                              "invoice.posted", "order.invoiced"}));
}

// A new marketplace of a type the hub already knows, onboarded by configuration alone: a
// second Shopify store is a channel block naming the built-in mapping, its signature scheme
// and secret, a status subscriber, and a subscriber that sends the store its fulfillments
// in Shopify's own format (an outbound mapping). Its orders, sent as the store sends them,
// run the whole lifecycle: released, shipped, invoiced; the store hears each status, and
// gets one fulfillment; the release, which has none, is parked rather than sent.
TEST_F(LifecycleTest, ANewShopifyStoreIsOnboardedByConfigurationAlone) {
  setenv("TEST_SHOPIFY_CA_SECRET", "shpss_onboarding_0001", 1);
  StartHub(30,
           StrCat(R"(  - name: shopify-ca
    webhook: {mapping: )",
                  SourcePath("mappings/shopify-order.yaml"), R"(, signature: shopify,
              secret_env: TEST_SHOPIFY_CA_SECRET}
    fulfillment: {status_updates: [released, shipped]}
)"),
           StrCat(R"(  - name: shopify-ca-status
    url: )",
                  channel_->url(), R"(/shopify-ca
    events: ["order.status.shopify-ca"]
  - name: shopify-ca-fulfillments
    url: )",
                  channel_->url(), R"(/shopify-ca/admin/api/2024-01
    events: ["order.status.shopify-ca"]
    mapping: )",
                  SourcePath("mappings/shopify-fulfillment-out.yaml"), R"(
  - name: woo-status
    url: )",
                  channel_->url(), R"(/woo/wp-json/wc/v3/
    events: ["order.status.shopify-ca"]
    mapping: )",
                  SourcePath("mappings/woocommerce-order-status-out.yaml"), R"(
  - name: shipstation
    url: )",
                  channel_->url(), R"(/ss
    events: ["fulfillment.release.wh-west"]
    mapping: )",
                  SourcePath("mappings/shipstation-order-out.yaml"), R"(
)"));
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20});
  Stock("wh-west", "HS-10001", 50);
  Stock("wh-west", "HS-10002", 50);

  auto text = ReadFile(SourcePath("mappings/testdata/shopify-order.json"));
  ASSERT_TRUE(text.ok());
  json::value order = json::parse(*text);
  order.at("line_items").at(0).as_object()["sku"] = "HS-10001";
  order.at("line_items").at(1).as_object()["sku"] = "HS-10002";
  order.at("shipping_address").as_object()["province_code"] = "CA";
  const std::string body = json::serialize(order);
  auto scheme = connectors::SignatureScheme("shopify");
  ASSERT_TRUE(scheme.ok());
  auto r = client_->Send(
      "POST", "/v1/webhooks/shopify-ca",
      {{"Content-Type", "application/json"},
       {"X-Shopify-Hmac-Sha256", connectors::Sign(*scheme, "shpss_onboarding_0001", body)},
       {"X-Shopify-Webhook-Id", "onboard-0001"}},
      body);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 201) << r->body;
  json::object created = json::parse(r->body).as_object();
  const std::string id(created.at("id").as_string());
  EXPECT_EQ(created.at("channel"), "shopify-ca");
  ASSERT_TRUE(Reaches(id, "invoiced"));

  ASSERT_TRUE(west_->WaitIdle(absl::Seconds(5)));
  EXPECT_EQ(Inventory("HS-10001", "wh-west").at("on_hand").as_int64(), 48);
  EXPECT_EQ(Inventory("HS-10002", "wh-west").at("on_hand").as_int64(), 49);
  ASSERT_TRUE(WaitFor([&] { return Count(*erp_, id) == 1; }));
  // The store heard each status it asked for, on its own subscriber, and dtc-web's heard none.
  ASSERT_TRUE(WaitFor([&] {
    int shipped = 0;
    for (const PartnerMessage& m : channel_->Messages()) {
      shipped +=
          m.path == "/shopify-ca" && m.body.find(R"("status":"shipped")") != std::string::npos;
    }
    return shipped == 1;
  }));
  for (const PartnerMessage& m : channel_->Messages()) {
    if (m.body.find(R"("type":"order.status.)") != std::string::npos &&
        m.body.find(id) != std::string::npos) {
      EXPECT_EQ(m.path, "/shopify-ca") << m.body;
    }
  }
  // The same statuses in WooCommerce's terms: a PUT to the order, released then shipped.
  const std::string ref(created.at("channel_order_ref").as_string());
  ASSERT_TRUE(WaitFor([&] { return Count(*channel_, R"({"status":"completed"})") == 1; }));
  std::vector<std::string> woo;
  for (const PartnerMessage& m : channel_->Messages()) {
    if (!m.path.starts_with("/woo/")) continue;
    EXPECT_EQ(m.method, "PUT");
    EXPECT_EQ(m.path, "/woo/wp-json/wc/v3/orders/" + ref);
    woo.push_back(m.body);
  }
  EXPECT_EQ(woo,
            (std::vector<std::string>{R"({"status":"processing"})", R"({"status":"completed"})"}));
  // The release, as ShipStation's CreateOrder keyed by the fulfillment order.
  ASSERT_TRUE(
      WaitFor([&] { return Count(*channel_, R"("orderStatus":"awaiting_shipment")") == 1; }));
  for (const PartnerMessage& m : channel_->Messages()) {
    if (!m.path.starts_with("/ss")) continue;
    EXPECT_EQ(m.path, "/ss/orders/createorder");
    json::object o = json::parse(m.body).as_object();
    EXPECT_EQ(o.at("orderNumber"), ref.c_str());
    EXPECT_TRUE(o.at("orderKey").as_string().starts_with("ful_")) << m.body;
    EXPECT_EQ(o.at("items").as_array().size(), 2u) << m.body;
    EXPECT_EQ(o.at("shipTo").at("state"), "CA") << m.body;
  }
  // The fulfillment, in Shopify's format, once, at the order's fulfillments; the release had
  // none to send.
  ASSERT_TRUE(WaitFor([&] { return Count(*channel_, R"({"fulfillment":{"order_id":")") == 1; }));
  int fulfillments = 0;
  for (const PartnerMessage& m : channel_->Messages()) {
    if (!m.path.starts_with("/shopify-ca/admin/")) continue;
    EXPECT_EQ(m.path, "/shopify-ca/admin/api/2024-01/orders/" + ref + "/fulfillments.json");
    EXPECT_EQ(m.method, "POST");
    ++fulfillments;
    json::object f = json::parse(m.body).as_object().at("fulfillment").as_object();
    EXPECT_EQ(f.at("order_id"), ref.c_str());
    EXPECT_FALSE(f.at("tracking_number").as_string().empty()) << m.body;
    EXPECT_FALSE(f.at("tracking_company").as_string().empty()) << m.body;
    EXPECT_EQ(f.at("notify_customer"), true);
  }
  EXPECT_EQ(fulfillments, 1);
  ASSERT_TRUE(WaitFor([&] {
    return Send("GET", "/v1/dead-letters?partner=shopify-ca-fulfillments", "", kOpsKey)
               .body.find("unmappable") != std::string::npos;
  }));
  HttpResult dead = Send("GET", "/v1/dead-letters?partner=shopify-ca-fulfillments", "", kOpsKey);
  json::array parked = json::parse(dead.body).as_object().at("dead_letters").as_array();
  ASSERT_EQ(parked.size(), 1u) << dead.body;
  EXPECT_EQ(parked[0].at("cause"), "unmappable");
  EXPECT_EQ(parked[0].at("attempts"), 0);
  EXPECT_THAT(std::string(parked[0].at("reason").as_string()),
              ::testing::HasSubstr("\"released\" is not in table shipped"));
}

TEST_F(LifecycleTest, ASilentWarehouseIsRetriedThenTheOrderIsRerouted) {
  StartHub(/*east_ack_seconds=*/1);
  east_.Join(hub_->url(), {.location = "wh-east", .silent_rate = 1});
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20});
  Stock("wh-east", "HS-10002", 50);
  Stock("wh-west", "HS-10002", 50);
  std::string id = Place({{"HS-10002", 2}}, "NY");
  ASSERT_TRUE(Reaches(id, "invoiced", absl::Seconds(20)));
  // East got the release twice (the retry) and then the cancellation; west shipped it.
  EXPECT_EQ(east_->Stats().releases_received, 2);
  EXPECT_EQ(east_->Stats().units_shipped, 0);
  ASSERT_TRUE(WaitFor([&] { return east_->Stats().cancels_received == 1; }));
  EXPECT_EQ(west_->Stats().units_shipped, 2);
  EXPECT_EQ(Inventory("HS-10002", "wh-east").at("reserved").as_int64(), 0);
  EXPECT_EQ(Inventory("HS-10002", "wh-east").at("on_hand").as_int64(), 50);
  EXPECT_EQ(Inventory("HS-10002", "wh-west").at("on_hand").as_int64(), 48);
  HttpResult f = Send("GET", "/v1/orders/" + id + "/fulfillments");
  json::array fos = json::parse(f.body).as_object().at("fulfillments").as_array();
  ASSERT_EQ(fos.size(), 2u);
  EXPECT_EQ(fos[0].as_object().at("state"), "rerouted");
  EXPECT_EQ(fos[1].as_object().at("state"), "shipped");
}

TEST_F(LifecycleTest, AStockOutIsBackorderedAndReleasedWhenStockArrives) {
  StartHub();
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20});
  std::string id = Place({{"HS-10003", 4}}, "NY");
  ASSERT_TRUE(Reaches(id, "backordered"));
  Stock("wh-east", "HS-10003", 30);
  ASSERT_TRUE(Reaches(id, "invoiced"));
  EXPECT_EQ(east_->Stats().units_shipped, 4);
}

TEST_F(LifecycleTest, ACancellationAfterReleaseReachesTheWarehouseAndReleasesTheStock) {
  StartHub();
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 60'000});
  west_.Join(hub_->url(), {.location = "wh-west"});
  Stock("wh-east", "HS-10004", 20);
  std::string id = Place({{"HS-10004", 5}}, "NJ");
  ASSERT_TRUE(Reaches(id, "acknowledged"));
  EXPECT_EQ(Inventory("HS-10004", "wh-east").at("reserved").as_int64(), 5);
  HttpResult c =
      Send("POST", "/v1/orders/" + id + "/cancel", R"({"reason":"customer changed mind"})");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_THAT(c.body, ::testing::HasSubstr("cancellation requested"));
  ASSERT_TRUE(Reaches(id, "cancelled"));
  EXPECT_EQ(east_->Stats().cancels_accepted, 1);
  EXPECT_EQ(Inventory("HS-10004", "wh-east").at("reserved").as_int64(), 0);
  auto f = east_->Fulfillments();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].state, "cancelled");
  EXPECT_TRUE(f[0].shipments.empty());
  ASSERT_TRUE(WaitFor([&] { return Count(*channel_, R"("status":"cancelled")") == 1; }));
  EXPECT_EQ(Count(*erp_, id), 0);  // nothing shipped, nothing invoiced
  // Cancelling again changes nothing.
  HttpResult again = Send("POST", "/v1/orders/" + id + "/cancel", "{}");
  EXPECT_EQ(again.status, 200);
  EXPECT_THAT(again.body, ::testing::HasSubstr(R"("outcome":"unchanged")"));
}

TEST_F(LifecycleTest, PartialAndShortShipmentsAreInvoicedForWhatShipped) {
  StartHub();
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20, .partial_rate = 1});
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20, .short_rate = 1});
  Stock("wh-east", "HS-10005", 40);
  Stock("wh-west", "HS-10006", 40);
  std::string partial = Place({{"HS-10005", 6}}, "NY");
  std::string short_one = Place({{"HS-10006", 6}}, "CA");
  ASSERT_TRUE(Reaches(partial, "invoiced"));
  ASSERT_TRUE(Reaches(short_one, "invoiced"));
  // The hub's state is readable once committed; the simulator counts a shipment only when
  // its callback is answered, after the commit reached the disk.
  ASSERT_TRUE(east_->WaitIdle(absl::Seconds(5)));
  EXPECT_EQ(east_->Stats().shipments_sent, 2);
  EXPECT_EQ(Inventory("HS-10005", "wh-east").at("on_hand").as_int64(), 34);
  EXPECT_EQ(Inventory("HS-10006", "wh-west").at("on_hand").as_int64(), 35);  // one short
  EXPECT_EQ(Inventory("HS-10006", "wh-west").at("reserved").as_int64(), 0);
  ASSERT_TRUE(WaitFor([&] { return Count(*erp_, partial) == 1 && Count(*erp_, short_one) == 1; }));
  EXPECT_EQ(Count(*erp_, R"("total_minor":3000)"), 1);  // 6 × 5.00
  EXPECT_EQ(Count(*erp_, R"("total_minor":2500)"), 1);  // 5 × 5.00
}

// kill -9 with orders at every step, restart on the same port: every order still ends
// invoiced, no warehouse shipped anything twice, and the hub's stock matches what the
// warehouses' own records say left the building.
TEST_F(LifecycleTest, KillNineMidFlowLosesNothingAndShipsNothingTwice) {
  StartHub(/*east_ack_seconds=*/2);
  east_.Join(hub_->url(), {.location = "wh-east",
                           .ship_delay_ms = 40,
                           .silent_rate = 0.1,
                           .partial_rate = 0.3,
                           .give_up_after_ms = 60'000});
  west_.Join(
      hub_->url(),
      {.location = "wh-west", .ship_delay_ms = 40, .short_rate = 0.2, .give_up_after_ms = 60'000});
  const std::vector<std::string> skus = {"HS-10001", "HS-10002", "HS-10003", "HS-10004"};
  for (const std::string& sku : skus) {
    Stock("wh-east", sku, 500);
    Stock("wh-west", sku, 500);
  }
  std::vector<std::string> ids;
  std::map<std::string, int64_t> ordered;  // order → units
  auto place = [&](int n) {
    for (int i = 0; i < n; ++i) {
      int64_t q = 1 + static_cast<int64_t>(ids.size() % 4);
      const std::string& sku = skus[ids.size() % skus.size()];
      std::string id = Place({{sku, q}}, ids.size() % 2 ? "CA" : "NY");
      ASSERT_FALSE(id.empty());
      ids.push_back(id);
      ordered[id] = q;
    }
  };
  place(40);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));  // some released, some shipping
  const std::string port = hub_->url().substr(hub_->url().rfind(':') + 1);
  hub_->Kill();
  ASSERT_TRUE(hub_->Start({"--listen", "127.0.0.1:" + port}).ok()) << hub_->Stderr();
  client_ = std::make_unique<HttpClient>(hub_->url());
  place(20);
  for (const std::string& id : ids) ASSERT_TRUE(Reaches(id, "invoiced", absl::Seconds(40)));
  ASSERT_TRUE(east_->WaitIdle(absl::Seconds(10)));
  ASSERT_TRUE(west_->WaitIdle(absl::Seconds(10)));

  // The warehouses' own records: what left for each order, never more than ordered.
  std::map<std::string, int64_t> shipped;
  int64_t units = 0;
  for (WarehouseSim* w : {east_.owned.get(), west_.owned.get()}) {
    for (const WarehouseFulfillment& f : w->Fulfillments()) {
      for (const WarehouseLine& l : f.lines) {
        shipped[f.order_id] += l.shipped;
        units += l.shipped;
      }
    }
    EXPECT_EQ(w->Stats().callbacks_rejected, 0) << w->ToJson();
  }
  for (const std::string& id : ids) {
    EXPECT_GE(shipped[id], ordered[id] - 1) << id;  // a short shipment leaves one behind
    EXPECT_LE(shipped[id], ordered[id]) << id;
  }
  int64_t on_hand = 0, reserved = 0;
  for (const std::string& sku : skus) {
    for (const char* loc : {"wh-east", "wh-west"}) {
      json::object p = Inventory(sku, loc);
      on_hand += p.at("on_hand").as_int64();
      reserved += p.at("reserved").as_int64();
    }
  }
  EXPECT_EQ(reserved, 0);
  EXPECT_EQ(on_hand, 8 * 500 - units);
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& id : ids) {
      if (Count(*erp_, id) != 1) return false;
    }
    return true;
  }));
}

TEST_F(LifecycleTest, AReturnIsRestockedCreditedAndRefunded) {
  StartHub();
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  west_.Join(hub_->url(), {.location = "wh-west"});
  Stock("wh-east", "HS-10007", 10);
  std::string id = Place({{"HS-10007", 4}}, "NY");
  ASSERT_TRUE(Reaches(id, "invoiced"));
  EXPECT_EQ(Inventory("HS-10007", "wh-east").at("on_hand").as_int64(), 6);

  HttpResult asked =
      Send("POST", "/v1/orders/" + id + "/returns",
           R"({"reference":"RMA-77","lines":[{"line":1,"quantity":3,"reason":"wrong size"}]})");
  ASSERT_EQ(asked.status, 201) << asked.body;
  json::object a = json::parse(asked.body).as_object();
  EXPECT_EQ(a.at("return_state"), "authorized");
  const std::string ret(a.at("return_id").as_string());
  // Asking again with the same reference is the same return.
  HttpResult again = Send("POST", "/v1/orders/" + id + "/returns",
                          R"({"reference":"RMA-77","lines":[{"line":1,"quantity":3}]})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_THAT(again.body, ::testing::HasSubstr(ret));
  HttpResult too_many = Send("POST", "/v1/orders/" + id + "/returns",
                             R"({"reference":"RMA-78","lines":[{"line":1,"quantity":2}]})");
  EXPECT_EQ(too_many.status, 409) << too_many.body;

  // The warehouse receives three, two of them resellable.
  HttpResult receipt = Send("POST", "/v1/returns/" + ret + "/receipt",
                            R"({"lines":[{"line":1,"quantity":3}]})", kInventoryKey);
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  HttpResult inspection = Send(
      "POST", "/v1/returns/" + ret + "/inspection",
      R"({"lines":[{"line":1,"accepted":2,"restock":true},{"line":1,"accepted":1,"restock":false,"note":"torn"}]})",
      kInventoryKey);
  ASSERT_EQ(inspection.status, 200) << inspection.body;
  EXPECT_THAT(inspection.body, ::testing::HasSubstr(R"("return_state":"closed")"));
  EXPECT_EQ(Inventory("HS-10007", "wh-east").at("on_hand").as_int64(), 8);
  ASSERT_TRUE(WaitFor([&] { return Count(*erp_, "credit_memo.posted") == 1; }));
  EXPECT_EQ(Count(*erp_, R"("total_minor":1500)"), 1);  // 3 × 5.00
  ASSERT_TRUE(WaitFor([&] { return Count(*channel_, R"("status":"credited")") == 1; }));
  HttpResult got = Send("GET", "/v1/returns/" + ret);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(got.body, ::testing::HasSubstr(R"("restocked":2)"));
}

TEST_F(LifecycleTest, WarehouseMessagesAreCheckedAndAuthorized) {
  StartHub();
  HttpResult unknown =
      Send("POST", "/v1/fulfillments/ful_nope/acknowledgement", "{}", kInventoryKey);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpResult no_scope = Send("POST", "/v1/fulfillments/ful_nope/acknowledgement", "{}", kReaderKey);
  EXPECT_EQ(no_scope.status, 403) << no_scope.body;
  HttpResult bad = Send("POST", "/v1/fulfillments/ful_nope/shipments",
                        R"({"lines":[{"line":0,"quantity":-1}]})", kInventoryKey);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_THAT(bad.body, ::testing::HasSubstr("#/shipment_id"));
  EXPECT_THAT(bad.body, ::testing::HasSubstr("#/lines/0/line"));
  EXPECT_THAT(bad.body, ::testing::HasSubstr("#/lines/0/quantity"));
  HttpResult answer = Send("POST", "/v1/fulfillments/ful_nope/cancellation", "{}", kInventoryKey);
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_THAT(answer.body, ::testing::HasSubstr("#/accepted"));
  HttpResult get = Send("GET", "/v1/fulfillments/ful_nope/shipments", "", kInventoryKey);
  EXPECT_EQ(get.status, 405);
}

}  // namespace
}  // namespace disthub::testing

namespace disthub::testing {
namespace {

// Credit checks and pricing against the ERP simulator (a real HTTP server): the hub asks
// before it accepts a b2b-portal order, holds what the ERP declines, falls back by policy
// when the ERP is down, and prices orders from the ERP's price list.
class ErpLifecycleTest : public LifecycleTest {
 protected:
  void StartErp() {
    ErpOptions erp;
    erp.customers = {{.account = "ACME", .limit_minor = 1'000'000},
                     {.account = "TIGHT", .limit_minor = 100}};
    erp.prices = {{"HS-10001", 1234}};
    erp.tax_rates = {{"NY", 0.08}};
    auto sim = StartErpSim({}, erp);
    ASSERT_TRUE(sim.ok()) << sim.status();
    erp_sim_ = *std::move(sim);
  }
  // The hub with one warehouse, invoices to the ERP simulator and `b2b` as the
  // b2b-portal channel's fulfillment policy.
  void StartErpHub(const std::string& b2b) {
    hub_ = std::make_unique<HubProcess>(
        StrCat(R"(
fulfillment:
  locations:
    - name: wh-east
      ack_deadline_seconds: 30
  backorder_recheck_seconds: 1
  timer_tick_ms: 50
  erp: {url: ")",
               erp_sim_->url(), R"(", timeout_ms: 500, retry_seconds: 1, circuit_failures: 2,
        circuit_open_seconds: 1}
subscribers:
  - name: wms-east
    url: )",
               east_.partner->url(), R"(/wms
    events: ["fulfillment.release.wh-east", "fulfillment.cancel.wh-east"]
    delivery: {retry: {initial_ms: 20, max_ms: 200}}
  - name: erp
    url: )",
               erp_sim_->url(), R"(/invoices
    events: ["invoice.posted", "credit_memo.posted"]
delivery:
  poll_interval_ms: 20
)"),
        StrCat("    fulfillment: ", b2b, "\n"));
    ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
    client_ = std::make_unique<HttpClient>(hub_->url());
    east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  }
  std::vector<std::string> EventTypes(const std::string& id) {
    HttpResult r = Send("GET", "/v1/orders/" + id + "/timeline");
    std::vector<std::string> out;
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) return out;
    for (const json::value& e : v.as_object().at("events").as_array()) {
      if (const json::value* t = e.as_object().if_contains("type"))
        out.emplace_back(t->as_string());
    }
    return out;
  }

  // Waits until the order's timeline shows each of `types`. The timeline, like every feed,
  // shows an event once it is flushed, a moment after the state it records is readable.
  bool TimelineShows(const std::string& id, const std::vector<std::string>& types) {
    return WaitFor([&] {
      std::vector<std::string> have = EventTypes(id);
      return std::all_of(types.begin(), types.end(), [&](const std::string& t) {
        return std::find(have.begin(), have.end(), t) != have.end();
      });
    });
  }

  std::unique_ptr<ErpPartner> erp_sim_;
};

TEST_F(ErpLifecycleTest, TheErpPricesChecksCreditAndItsDeclineHoldsTheOrderForAnOperator) {
  StartErp();
  StartErpHub("{ship_complete: no, credit: {check: true}, pricing: erp}");
  Stock("wh-east", "HS-10001", 100);
  std::string good = PlaceFor("b2b-portal", "ACME", {{"HS-10001", 3}}, "NY");
  std::string tight = PlaceFor("b2b-portal", "TIGHT", {{"HS-10001", 1}}, "NY");
  ASSERT_TRUE(Reaches(good, "invoiced"));
  ASSERT_TRUE(Reaches(tight, "credit_hold"));

  // The ERP's own books: it priced and approved the first order, and invoiced it at its
  // own prices (3 × 12.34 + 8% tax), not the channel's 5.00.
  ASSERT_TRUE(WaitFor([&] { return erp_sim_->erp().Stats().invoices == 1; }));
  std::vector<ErpDocument> invoices = erp_sim_->erp().Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].order_id, good);
  EXPECT_EQ(invoices[0].subtotal_minor, 3702);
  EXPECT_EQ(invoices[0].tax_minor, 296);
  EXPECT_EQ(invoices[0].total_minor, 3998);
  EXPECT_EQ(erp_sim_->erp().Exposure("ACME"), 3998);
  ErpStats stats = erp_sim_->erp().Stats();
  EXPECT_EQ(stats.credit_approved, 1);
  EXPECT_EQ(stats.credit_declined, 1);
  EXPECT_EQ(stats.quotes, 2);

  // The held order reserved nothing and reached no warehouse; its timeline says why.
  EXPECT_EQ(Inventory("HS-10001", "wh-east").at("reserved").as_int64(), 0);
  EXPECT_EQ(east_->Stats().releases_received, 1);
  EXPECT_TRUE(TimelineShows(tight, {"order.priced", "order.credit_hold", "alert.credit_hold"}))
      << ::testing::PrintToString(EventTypes(tight));

  // Only an operator may release it (a channel's key may not), and then it ships.
  HttpResult denied = Send("POST", "/v1/orders/" + tight + "/credit-release", "{}");
  EXPECT_EQ(denied.status, 403) << denied.body;
  HttpResult released = Send("POST", "/v1/orders/" + tight + "/credit-release",
                             R"({"reason":"prepaid by wire"})", kOpsKey);
  ASSERT_EQ(released.status, 200) << released.body;
  ASSERT_TRUE(Reaches(tight, "invoiced"));
  HttpResult again = Send("POST", "/v1/orders/" + tight + "/credit-release", "{}", kOpsKey);
  EXPECT_EQ(again.status, 409) << again.body;
}

TEST_F(ErpLifecycleTest, WhileTheErpIsDownSmallOrdersGoOnAndLargeOnesWaitForIt) {
  StartErp();
  StartErpHub(
      "{ship_complete: no, credit: {check: true, on_erp_unavailable: accept_under_limit, "
      "accept_under_minor: 5000}}");
  Stock("wh-east", "HS-10002", 100);
  erp_sim_->partner().GoDown(absl::Seconds(3));
  std::string small = PlaceFor("b2b-portal", "ACME", {{"HS-10002", 2}}, "NY");   // 10.00
  std::string large = PlaceFor("b2b-portal", "ACME", {{"HS-10002", 20}}, "NY");  // 100.00
  // The large one waits for the ERP (held for at least the 3 s it is down) ...
  ASSERT_TRUE(Reaches(large, "credit_hold", absl::Seconds(5)));
  EXPECT_TRUE(TimelineShows(large, {"alert.credit_hold"}))
      << ::testing::PrintToString(EventTypes(large));
  // ... while the small one goes on to the warehouse without it (it may be invoiced
  // before a poll sees it released).
  ASSERT_TRUE(Reaches(small, "invoiced", absl::Seconds(5)));
  // Back up: the held order is asked about again, approved and shipped.
  ASSERT_TRUE(Reaches(large, "invoiced", absl::Seconds(20)));
  // The small order was accepted without asking; the ERP is told of it after the fact,
  // so its books count both.
  ASSERT_TRUE(WaitFor([&] { return erp_sim_->erp().CreditDecisions().size() == 2; }));
  std::map<std::string, bool> approved;
  for (const ErpCreditDecision& d : erp_sim_->erp().CreditDecisions())
    approved[d.order_id] = d.approved;
  EXPECT_EQ(approved, (std::map<std::string, bool>{{small, true}, {large, true}}));
  ASSERT_TRUE(TimelineShows(small, {"order.credit_checked"}));
  EXPECT_EQ(erp_sim_->erp().Exposure("ACME"), 1000 + 10000);
  HttpResult metrics = Send("GET", "/metrics", "", kReaderKey);
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("disthub_order_credit_fallbacks_total 1"));
}

// Carrier rates from the carriers' rate service: the hub fetches the card at start-up,
// prices releases by it, and a rate change reaches the next order once refreshed.
TEST_F(LifecycleTest, ReleasesArePricedByTheCarriersRateServiceAndFollowItsChanges) {
  auto card = [](int64_t zone3) {
    return orchestration::RateCard{
        .carrier = "parcel-ground",
        .version = StrCat("zone3-", zone3),
        .services = {{.service = "ground",
                      .transit_days = {1, 1, 2, 3, 4, 5, 5, 6},
                      .rates = {{.up_to_grams = 100'000,
                                 .by_zone = {800, 850, zone3, 950, 1050, 1150, 1250, 1400}}}}}};
  };
  auto carriers = StartCarrierSim({}, {card(900)});
  ASSERT_TRUE(carriers.ok()) << carriers.status();
  CarrierPartner& rates = **carriers;
  hub_ = std::make_unique<HubProcess>(StrCat(R"(
fulfillment:
  locations:
    - {name: wh-east, origin: NJ, ack_deadline_seconds: 30}
    - {name: wh-west, origin: NV, ack_deadline_seconds: 30}
  timer_tick_ms: 50
carriers:
  - name: parcel-ground
    rates_url: )",
                                             rates.RatesUrl("parcel-ground"), R"(
    refresh_seconds: 1
subscribers:
  - name: wms-east
    url: )",
                                             east_.partner->url(), R"(/wms
    events: ["fulfillment.release.wh-east", "fulfillment.cancel.wh-east"]
  - name: wms-west
    url: )",
                                             west_.partner->url(), R"(/wms
    events: ["fulfillment.release.wh-west", "fulfillment.cancel.wh-west"]
delivery:
  poll_interval_ms: 20
)"));
  ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
  client_ = std::make_unique<HttpClient>(hub_->url());
  Stock("wh-east", "HS-10001", 50);
  Stock("wh-west", "HS-10001", 50);

  // The release's carrier and shipping as wh-west received them.
  auto shipping = [this](const std::string& order_id) -> json::object {
    json::object found;
    WaitFor([&] {
      for (const PartnerMessage& m : west_.partner->Messages()) {
        const json::value v = json::parse(m.body);
        const json::object& p = v.as_object().at("payload").as_object();
        if (p.at("order_id").as_string() == order_id && p.contains("shipping")) {
          found = p.at("shipping").as_object();
          found["carrier"] = p.at("carrier");
          return true;
        }
      }
      return false;
    });
    return found;
  };
  // To CA: zone 3 from wh-west (NV), zone 8 from wh-east (NJ).
  std::string first = Place({{"HS-10001", 1}}, "CA");
  json::object s = shipping(first);
  ASSERT_FALSE(s.empty()) << "no release to wh-west for " << first;
  EXPECT_EQ(s.at("carrier").as_string(), "parcel-ground");
  EXPECT_EQ(s.at("zone").as_int64(), 3);
  EXPECT_EQ(s.at("cost_minor").as_int64(), 900);

  // A rate increase at the carrier; the hub's next refresh (every second) fetches it.
  ASSERT_TRUE(rates.carriers().SetCard(card(990)).ok());
  ASSERT_TRUE(WaitFor([&] { return rates.carriers().Stats().fetches >= 2; }, absl::Seconds(10)));
  std::string second = Place({{"HS-10001", 1}}, "CA");
  s = shipping(second);
  ASSERT_FALSE(s.empty()) << "no release to wh-west for " << second;
  EXPECT_EQ(s.at("cost_minor").as_int64(), 990);
  // Refreshes of an unchanged card are 304s.
  EXPECT_TRUE(
      WaitFor([&] { return rates.carriers().Stats().not_modified >= 1; }, absl::Seconds(5)));
  HttpResult metrics = Send("GET", "/metrics", "", kReaderKey);
  EXPECT_THAT(metrics.body,
              ::testing::HasSubstr("disthub_carrier_rate_fetches_total{carrier=\"parcel-ground\","
                                   "result=\"updated\"} 2"));
}

// ---- EDI partners trading X12 files ----------------------------------------------------------

// The edi-retail channel, hearing of the states its 855 and 856 follow.
constexpr char kEdiRetailChannel[] = R"(
  - name: edi-retail
    currencies: [USD]
    fulfillment: {status_updates: [allocated, backordered, partially_shipped, shipped]}
)";

// An x12-file-drop connector entry reading `in` and writing `out`; `role` adds its own
// keys (partner_id, channel or location, ...), each line indented four spaces.
std::string X12Connector(const std::string& name, const std::filesystem::path& in,
                         const std::filesystem::path& out, const std::string& role) {
  return StrCat("  - name: ", name, "\n    type: x12-file-drop\n    folder: ", in.string(),
                "\n    outbound_folder: ", out.string(),
                "\n    our_id: DISTHUB\n    poll_interval_ms: 20\n    settle_ms: 0\n", role);
}

// The retailer's 850 for 2 cases of HS-10001 at 110.40 and 5 eaches of HS-10002 at 8.25,
// shipping to `city, region postal`, in an interchange with control number `control`.
std::string RetailPo(int control, const std::string& po, const std::string& city,
                     const std::string& region, const std::string& postal) {
  const std::string isa13 = StrCat("0000000", control);
  return StrCat(
      "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTHUB        *261127*1000*U*"
      "00401*",
      isa13, "*0*P*>~\nGS*PO*RETAILER*DISTHUB*20261127*1000*", control,
      "*X*004010~\nST*850*0001~\nBEG*00*SA*", po,
      "**20261120~\nN1*ST*Harbor Retail*92*DC1~\nN3*1 Pier Rd~\nN4*", city, "*", region, "*",
      postal,
      "*US~\nPO1*1*2*CA*110.40**VN*HS-10001~\nPO1*2*5*EA*8.25**VN*HS-10002~\nCTT*2*7~\n"
      "SE*9*0001~\nGE*1*",
      control, "~\nIEA*1*", isa13, "~\n");
}

// Writes `text` into `dir` as NAME, complete before it appears (as partners should).
void DropX12(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / ("." + name)) << text;
  std::filesystem::rename(dir / ("." + name), dir / name);
}

// The retailer trading X12 files through its x12-file-drop connector, the order run by
// the lifecycle against the warehouse simulators: 850 in → 997 out → 855 once allocated
// → release, acknowledgement and shipment by the WMS → 856 → 810 after it.
TEST_F(LifecycleTest, AnEdiRetailersPurchaseOrderIsAcknowledgedShippedAndInvoicedInX12) {
  char tmpl[] = "/tmp/disthub-edi-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path edi = tmpl;
  std::filesystem::create_directories(edi / "in");
  // The connectors section rides after the subscribers (a top-level key of its own).
  StartHub(
      30, kEdiRetailChannel,
      StrCat("connectors:\n", X12Connector("edi-retail-x12", edi / "in", edi / "out",
                                           "    partner_id: RETAILER\n    channel: edi-retail\n"
                                           "    account_number: C-RETAIL-1\n")));
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  west_.Join(hub_->url(), {.location = "wh-west", .ship_delay_ms = 20});
  Stock("wh-east", "HS-10001", 480);  // 20 cases of 24
  Stock("wh-east", "HS-10002", 50);
  DropX12(edi / "in", "po.edi", RetailPo(77, "PO-EDI-1", "Brooklyn", "NY", "11201"));
  const std::string id = FirstOrderOf("edi-retail");
  ASSERT_FALSE(id.empty()) << hub_->Stderr();
  ASSERT_TRUE(Reaches(id, "invoiced"));
  // Files by kind; control numbers count up in the order they were written.
  std::map<std::string, std::pair<std::string, std::string>> by_kind;  // kind → (name, text)
  ASSERT_TRUE(WaitFor([&] {
    by_kind.clear();
    for (const auto& e : std::filesystem::directory_iterator(edi / "out")) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(".")) continue;
      by_kind[name.substr(0, name.find('-'))] = {name, *ReadFile(e.path().string())};
    }
    return by_kind.size() == 4;
  })) << "files: "
      << by_kind.size() << "\n"
      << hub_->Stderr();
  EXPECT_THAT(by_kind["ack"].second, ::testing::HasSubstr("AK2*850*0001~\nAK5*A~"));
  EXPECT_THAT(by_kind["855"].second,
              ::testing::AllOf(::testing::HasSubstr("PO-EDI-1"), ::testing::HasSubstr("ACK*IA")));
  EXPECT_THAT(
      by_kind["856"].second,
      ::testing::AllOf(::testing::HasSubstr("BSN*00*"), ::testing::HasSubstr("PO-EDI-1"),
                       ::testing::HasSubstr("SN1**2*CA"), ::testing::HasSubstr("SN1**5*EA")));
  EXPECT_THAT(
      by_kind["810"].second,
      ::testing::AllOf(::testing::HasSubstr("BIG*"), ::testing::HasSubstr("IT1*1*2*CA*110.4"),
                       ::testing::HasSubstr("TDS*26205~")));  // 2 × 110.40 + 5 × 8.25
  // Written in the flow's order, the invoice after the ship notice: control numbers rise.
  auto control = [&](const std::string& kind) {
    const std::string& name = by_kind[kind].first;
    return name.substr(name.rfind('-') + 1);
  };
  EXPECT_LT(control("ack"), control("855"));
  EXPECT_LT(control("855"), control("856"));
  EXPECT_LT(control("856"), control("810"));
  std::filesystem::remove_all(edi);
}

// Both EDI partners as files: the retailer's 850 becomes an order, stocked only at the
// 3PL; the release goes out as a 940, the 3PL simulator answers with a 997 (the
// acknowledgement) and a 945 one unit short (a partial shipment, the rest open at the
// 3PL), then a second 945 for the rest. The retailer gets its 997, 855, an 856 per
// shipment and the 810 after them.
TEST_F(LifecycleTest, ARetailersPurchaseOrderShipsThroughTheThreePlInX12FilesOneShortFirst) {
  char tmpl[] = "/tmp/disthub-edi-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path edi = tmpl;
  std::filesystem::create_directories(edi / "retail-in");
  std::filesystem::create_directories(edi / "3pl-in");
  auto tpl = X12ThreePlSim::Start({.from_hub = edi / "3pl-out",
                                   .to_hub = edi / "3pl-in",
                                   .short_first = true,
                                   .rest_after = absl::Milliseconds(200)});
  ASSERT_TRUE(tpl.ok()) << tpl.status();
  StartHub(30, kEdiRetailChannel,
           StrCat("connectors:\n",
                  X12Connector("edi-retail-x12", edi / "retail-in", edi / "retail-out",
                               "    partner_id: RETAILER\n    channel: edi-retail\n"),
                  X12Connector("3pl-central-x12", edi / "3pl-in", edi / "3pl-out",
                               "    partner_id: 3PLCENTRAL\n    location: 3pl-central\n")),
           R"(
    - name: 3pl-central
      ack_deadline_seconds: 30
      regions: [OH, KS]
)");
  Stock("3pl-central", "HS-10001", 480);
  Stock("3pl-central", "HS-10002", 50);
  DropX12(edi / "retail-in", "po.edi", RetailPo(78, "PO-EDI-2", "Solon", "OH", "44139"));
  const std::string id = FirstOrderOf("edi-retail");
  ASSERT_FALSE(id.empty()) << hub_->Stderr();
  ASSERT_TRUE(Reaches(id, "invoiced")) << hub_->Stderr();
  const X12ThreePlStats stats = (*tpl)->Stats();
  EXPECT_EQ(stats.orders_received, 1);
  EXPECT_EQ(stats.acknowledged, 1);
  EXPECT_EQ(stats.shipments, 2);
  EXPECT_EQ(stats.units_shipped, 53);  // 2 cases of 24 and 5 eaches

  // The retailer's files, by kind, in the order written.
  std::map<std::string, std::vector<std::string>> files;
  ASSERT_TRUE(WaitFor([&] {
    files.clear();
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(edi / "retail-out")) {
      if (!e.path().filename().string().starts_with(".")) names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.substr(a.rfind('-')) < b.substr(b.rfind('-'));
    });
    for (const std::string& n : names) {
      const std::string base = std::filesystem::path(n).filename().string();
      files[base.substr(0, base.find('-'))].push_back(*ReadFile(n));
    }
    return files["810"].size() == 1;
  })) << hub_->Stderr();
  ASSERT_EQ(files["ack"].size(), 1u);
  ASSERT_EQ(files["855"].size(), 1u);
  ASSERT_EQ(files["856"].size(), 2u);
  EXPECT_THAT(files["856"][0], ::testing::AllOf(::testing::HasSubstr("SN1**2*CA"),
                                                ::testing::HasSubstr("SN1**4*EA")));
  EXPECT_THAT(files["856"][1], ::testing::AllOf(::testing::HasSubstr("SN1**1*EA"),
                                                ::testing::Not(::testing::HasSubstr("*CA~"))));
  EXPECT_THAT(files["810"][0], ::testing::HasSubstr("TDS*26205~"));
  // The 3PL side: the 940 it took, in eaches.
  bool found = false;
  for (const auto& e : std::filesystem::directory_iterator(edi / "3pl-out" / "taken")) {
    const std::string text = *ReadFile(e.path().string());
    found |= text.find("W01*48*EA**VN*HS-10001~") != std::string::npos;
  }
  EXPECT_TRUE(found);
  (*tpl)->Stop();
  std::filesystem::remove_all(edi);
}

// A 3PL that never answers its 940s: no 997 comes, so the connector alerts
// (alert.edi_ack_overdue) and the acknowledgement deadline sends the release again (a
// second 940, a new control number), then reroutes the order to a warehouse that answers.
TEST_F(LifecycleTest, AThreePlThatSendsNo997IsReleasedToAgainThenReroutedAround) {
  char tmpl[] = "/tmp/disthub-edi-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path edi = tmpl;
  std::filesystem::create_directories(edi / "3pl-in");
  auto tpl =
      X12ThreePlSim::Start({.from_hub = edi / "3pl-out", .to_hub = edi / "3pl-in", .silent = true});
  ASSERT_TRUE(tpl.ok()) << tpl.status();
  StartHub(
      30, kEdiRetailChannel,
      StrCat("connectors:\n", X12Connector("3pl-central-x12", edi / "3pl-in", edi / "3pl-out",
                                           "    partner_id: 3PLCENTRAL\n    location: 3pl-central\n"
                                           "    ack_overdue_ms: 300\n")),
      R"(
    - name: 3pl-central
      ack_deadline_seconds: 1
      release_attempts: 2
      regions: [OH, KS]
)");
  east_.Join(hub_->url(), {.location = "wh-east", .ship_delay_ms = 20});
  Stock("3pl-central", "HS-10005", 40);
  Stock("wh-east", "HS-10005", 40);
  const std::string id = PlaceFor("edi-retail", "", {{"HS-10005", 3}}, "OH");
  ASSERT_TRUE(Reaches(id, "invoiced", absl::Seconds(20))) << hub_->Stderr();
  EXPECT_EQ((*tpl)->Stats().orders_received, 2) << "the release and its second attempt";
  EXPECT_EQ((*tpl)->Stats().acknowledged, 0);
  EXPECT_EQ(east_->Stats().units_shipped, 3);
  const std::string timeline = Send("GET", "/v1/orders/" + id + "/timeline").body;
  // The connector's own alert for each 940 whose 997 did not come, beside the lifecycle's.
  EXPECT_THAT(timeline, ::testing::AllOf(::testing::HasSubstr("fulfillment.ack_overdue"),
                                         ::testing::HasSubstr("rerouted"),
                                         ::testing::HasSubstr("alert.edi_ack_overdue")));
  (*tpl)->Stop();
  std::filesystem::remove_all(edi);
}

}  // namespace
}  // namespace disthub::testing
