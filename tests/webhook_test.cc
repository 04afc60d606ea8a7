// Orders by signed webhook, end to end: the real hub takes a Shopify-style webhook at
// POST /v1/webhooks/{channel}, checks its HMAC, maps it with the channel's mapping and
// stores the order once however often the platform redelivers it; a bad signature or an
// unmappable payload gets a clear problem+json answer and changes nothing.
#include "connectors/webhook.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_process.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kSecret[] = "shpss_test_secret_0001";

// The Shopify webhook body of mappings/testdata with SKUs of Harbor's catalog, which the
// hub checks orders against.
json::value HarborShopifyOrder() {
  auto text = ReadFile(SourcePath("mappings/testdata/shopify-order.json"));
  EXPECT_TRUE(text.ok()) << text.status();
  json::value order = json::parse(text.ok() ? *text : "{\"line_items\":[{},{}]}");
  order.at("line_items").at(0).as_object()["sku"] = "HS-10001";
  order.at("line_items").at(1).as_object()["sku"] = "HS-10002";
  return order;
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TEST_SHOPIFY_SECRET", kSecret, 1);
    hub_ = std::make_unique<HubProcess>(
        "", StrCat("    webhook: {mapping: ", SourcePath("mappings/shopify-order.yaml"),
                   ", signature: shopify, secret_env: TEST_SHOPIFY_SECRET}\n"));
    ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
    order_ = HarborShopifyOrder();
  }

  absl::StatusOr<HttpResult> Deliver(const std::string& body, const std::string& webhook_id,
                                     const std::string& channel = "b2b-portal",
                                     std::string signature = "") {
    if (signature.empty())
      signature = connectors::Sign(*connectors::SignatureScheme("shopify"), kSecret, body);
    HttpClient client(hub_->url(), 10);
    return client.Send("POST", "/v1/webhooks/" + channel,
                       {{"Content-Type", "application/json"},
                        {"X-Shopify-Hmac-Sha256", signature},
                        {"X-Shopify-Webhook-Id", webhook_id},
                        {"X-Shopify-Topic", "orders/create"}},
                       body);
  }

  int64_t OrderCount() {
    HttpClient client(hub_->url(), 10);
    auto r = client.Get("/v1/orders?channel=b2b-portal&limit=500",
                        {{"Authorization", StrCat("Bearer ", kReaderKey)}});
    EXPECT_TRUE(r.ok() && r->status == 200);
    return r.ok() ? static_cast<int64_t>(json::parse(r->body).at("orders").as_array().size()) : -1;
  }

  // The value of disthub_webhook_deliveries_total for b2b-portal and `outcome`.
  std::string Deliveries(const std::string& outcome) {
    HttpClient client(hub_->url(), 10);
    auto m = client.Get("/metrics");
    if (!m.ok()) return "no metrics";
    const std::string series = StrCat(
        "disthub_webhook_deliveries_total{channel=\"b2b-portal\",outcome=\"", outcome, "\"} ");
    const size_t at = m->body.find(series);
    if (at == std::string::npos) return "absent";
    const size_t start = at + series.size();
    return m->body.substr(start, m->body.find('\n', start) - start);
  }

  std::unique_ptr<HubProcess> hub_;
  json::value order_;
};

TEST_F(WebhookTest, ASignedWebhookBecomesAnOrderOnceHoweverOftenItIsRedelivered) {
  const std::string body = json::serialize(order_);
  auto first = Deliver(body, "b54557e4-0001");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->status, 201) << first->body;
  const json::value created = json::parse(first->body);
  EXPECT_EQ(created.at("channel").as_string(), "b2b-portal");
  EXPECT_EQ(created.at("channel_order_ref").as_string(), "9007199254740993");
  EXPECT_EQ(created.at("totals").at("grand_total").at("amount_minor").as_int64(), 4937);
  // The platform retries: the same delivery id is the same order, answered as before.
  auto again = Deliver(body, "b54557e4-0001");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 201) << again->body;
  EXPECT_EQ(again->Header("idempotent-replayed"), "true");
  EXPECT_EQ(json::parse(again->body).at("id"), created.at("id"));
  EXPECT_EQ(OrderCount(), 1);
  EXPECT_EQ(Deliveries("created"), "1");
  EXPECT_EQ(Deliveries("replayed"), "1");
  // Kept as received, under the webhook's source.
  HttpClient ops(hub_->url(), 10);
  auto inbound = ops.Get("/v1/inbound?limit=10", {{"Authorization", StrCat("Bearer ", kOpsKey)}});
  ASSERT_TRUE(inbound.ok());
  EXPECT_THAT(inbound->body, HasSubstr(R"("source":"webhook:b2b-portal")")) << inbound->body;
}

TEST_F(WebhookTest, ABadSignatureIsRefusedAndChangesNothing) {
  const std::string body = json::serialize(order_);
  std::string forged =
      connectors::Sign(*connectors::SignatureScheme("shopify"), "not-the-secret", body);
  for (const std::string& signature : {forged, std::string("garbage")}) {
    auto r = Deliver(body, "b54557e4-0002", "b2b-portal", signature);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_THAT(r->body, HasSubstr("signature-mismatch"));
    EXPECT_THAT(r->body,
                HasSubstr("x-shopify-hmac-sha256 header is missing or is not the HMAC-SHA256"));
  }
  // Signed, but the body changed on the way.
  auto tampered = Deliver(body + " ", "b54557e4-0003", "b2b-portal",
                          connectors::Sign(*connectors::SignatureScheme("shopify"), kSecret, body));
  ASSERT_TRUE(tampered.ok());
  EXPECT_EQ(tampered->status, 401);
  EXPECT_EQ(OrderCount(), 0);
  EXPECT_EQ(Deliveries("bad_signature"), "3");
  EXPECT_EQ(Deliveries("created"), "0");
}

TEST_F(WebhookTest, AnUnmappableOrderGetsEveryProblemAndChangesNothing) {
  order_.at("line_items").at(1).as_object()["price"] = "5,00";
  order_.as_object().erase("created_at");
  auto r = Deliver(json::serialize(order_), "b54557e4-0004");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 422) << r->body;
  const json::value problem = json::parse(r->body);
  EXPECT_EQ(problem.at("type").as_string(), "https://disthub.dev/problems/unmappable-order")
      << r->body;
  EXPECT_THAT(r->body, HasSubstr("#/line_items/1/price"));
  EXPECT_THAT(
      r->body,
      HasSubstr("shopify-order v1: rule lines[].unit_price: \\\"5,00\\\" is not an amount in USD"));
  EXPECT_THAT(r->body, HasSubstr("rule placed_at: is missing"));
  // An SKU the catalog does not know is the hub's own check, after mapping.
  order_ = json::parse(json::serialize(order_));
  auto text = ReadFile(SourcePath("mappings/testdata/shopify-order.json"));
  ASSERT_TRUE(text.ok());
  auto unknown = Deliver(*text, "b54557e4-0005");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 422) << unknown->body;
  EXPECT_THAT(unknown->body, HasSubstr("canonical #/lines/0/sku"));
  EXPECT_EQ(OrderCount(), 0);
  EXPECT_EQ(Deliveries("unmappable"), "2");
}

TEST_F(WebhookTest, OnlyConfiguredChannelsTakeWebhooks) {
  auto r = Deliver(json::serialize(order_), "b54557e4-0006", "dtc-web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_THAT(r->body, HasSubstr("no channel dtc-web takes orders by webhook"));
}

// A channel on the configurable scheme with a signed timestamp: a delivery replayed after
// the window is refused even with its original signature.
TEST(WebhookReplayWindow, ADeliveryOutsideTheWindowIsRefused) {
  setenv("TEST_CUSTOM_SECRET", kSecret, 1);
  HubProcess hub("", StrCat("    webhook: {mapping: ", SourcePath("mappings/shopify-order.yaml"),
                            ", signature: hmac-sha256, header: X-Signature, encoding: hex, "
                            "id_header: X-Delivery, timestamp_header: X-Timestamp, "
                            "max_age_seconds: 60, secret_env: TEST_CUSTOM_SECRET}\n"));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  const std::string body = json::serialize(HarborShopifyOrder());
  auto scheme =
      connectors::SignatureScheme("hmac-sha256", "X-Signature", "hex", "X-Delivery", "X-Timestamp");
  ASSERT_TRUE(scheme.ok());
  auto post = [&](int64_t signed_at) {
    const std::string ts = StrCat(signed_at);
    HttpClient client(hub.url(), 10);
    return client.Send("POST", "/v1/webhooks/b2b-portal",
                       {{"X-Signature", connectors::Sign(*scheme, kSecret, body, ts)},
                        {"X-Timestamp", ts},
                        {"X-Delivery", "d-1"}},
                       body);
  };
  auto old = post(absl::ToUnixSeconds(absl::Now()) - 600);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, 401) << old->body;
  EXPECT_THAT(old->body, HasSubstr("outside the 1m replay window"));
  auto fresh = post(absl::ToUnixSeconds(absl::Now()));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->status, 201) << fresh->body;
}

// A changed mapping, tried on the archive before it is in effect (a dry run that shows what
// would change in each order), then put in effect and applied: the order is revised, never
// doubled, and applying again or the platform redelivering changes nothing more.
TEST(WebhookReprocessing, AChangedMappingIsTriedOnTheArchiveThenAppliedWithoutDuplicates) {
  setenv("TEST_SHOPIFY_SECRET", kSecret, 1);
  HubProcess hub("",
                 "    webhook: {mapping: shopify-order.yaml, signature: shopify, "
                 "secret_env: TEST_SHOPIFY_SECRET}\n");
  auto v1 = ReadFile(SourcePath("mappings/shopify-order.yaml"));
  ASSERT_TRUE(v1.ok());
  const std::string mapping_file = hub.folder() + "/shopify-order.yaml";
  std::ofstream(mapping_file) << *v1;
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();

  const std::string body = json::serialize(HarborShopifyOrder());
  auto deliver = [&] {
    HttpClient client(hub.url(), 10);
    return client.Send("POST", "/v1/webhooks/b2b-portal",
                       {{"Content-Type", "application/json"},
                        {"X-Shopify-Hmac-Sha256",
                         connectors::Sign(*connectors::SignatureScheme("shopify"), kSecret, body)},
                        {"X-Shopify-Webhook-Id", "c0ffee-0001"}},
                       body);
  };
  auto created = deliver();
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string order_id(json::parse(created->body).at("id").as_string());

  // Version 2 describes each line by its name, title and SKU.
  std::string v2 = *v1;
  const std::string from = "description: {first: [name, title], optional: true}";
  ASSERT_NE(v2.find(from), std::string::npos) << "the built-in mapping changed; update this test";
  v2.replace(v2.find(from), from.size(), "description: {join: [name, title, sku], optional: true}");
  v2.replace(v2.find("version: 1"), 10, "version: 2");

  HttpClient ops(hub.url(), 10);
  const Headers auth = {{"Authorization", StrCat("Bearer ", kOpsKey)},
                        {"Content-Type", "application/json"}};
  auto plan =
      ops.Send("POST", "/v1/inbound/reprocess", auth,
               json::serialize(json::object{{"source", "webhook:b2b-portal"}, {"mapping", v2}}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->status, 200) << plan->body;
  json::object report = json::parse(plan->body).as_object();
  EXPECT_EQ(report["counts"], (json::object{{"changed", 1}})) << plan->body;
  json::object first = report["reports"].as_array()[0].as_object();
  EXPECT_EQ(first["order_id"], order_id.c_str());
  EXPECT_THAT(
      plan->body,
      HasSubstr(
          R"({"pointer":"/lines/0/description","before":"\"Hose 25 ft\"","after":"\"Hose 25 ft HS-10001\""})"));
  EXPECT_THAT(plan->body, HasSubstr(R"("after":"\"Nozzle HS-10002\"")"));

  // A candidate that does not compile says why; one for a non-webhook source is refused.
  auto broken = ops.Send("POST", "/v1/inbound/reprocess", auth,
                         json::serialize(json::object{{"source", "webhook:b2b-portal"},
                                                      {"mapping", "mapping: x\nfields: 7\n"}}));
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->status, 422);
  EXPECT_THAT(broken->body, HasSubstr("candidate mapping"));
  auto wrong = ops.Send("POST", "/v1/inbound/reprocess", auth,
                        json::serialize(json::object{{"source", "b2b-portal"}, {"mapping", v2}}));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 422);

  // Nothing changed by the dry runs.
  auto get_order = [&] {
    HttpClient client(hub.url(), 10);
    auto r =
        client.Get("/v1/orders/" + order_id, {{"Authorization", StrCat("Bearer ", kReaderKey)}});
    EXPECT_TRUE(r.ok() && r->status == 200);
    return r.ok() ? json::parse(r->body).as_object() : json::object{};
  };
  EXPECT_EQ(get_order()["lines"].as_array()[0].at("description"), "Hose 25 ft");

  // Version 2 goes into effect (a restart), then the message is applied through it.
  std::ofstream(mapping_file, std::ios::trunc) << v2;
  ASSERT_EQ(hub.Stop(), 0);
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  HttpClient ops2(hub.url(), 10);
  const std::string id = StrCat(first["inbound_id"].as_int64());
  auto applied = ops2.Send("POST", "/v1/inbound/" + id + "/reprocess?dry_run=false", auth, "");
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->status, 200) << applied->body;
  EXPECT_THAT(applied->body, HasSubstr(R"("outcome":"changed")"));
  EXPECT_THAT(applied->body, HasSubstr(R"("applied":true)"));
  json::object revised = get_order();
  EXPECT_EQ(revised["lines"].as_array()[0].at("description"), "Hose 25 ft HS-10001");

  auto again = ops2.Send("POST", "/v1/inbound/" + id + "/reprocess?dry_run=false", auth, "");
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->body, HasSubstr(R"("outcome":"unchanged")"));
  auto redelivered = deliver();
  ASSERT_TRUE(redelivered.ok());
  EXPECT_EQ(redelivered->Header("idempotent-replayed"), "true");
  HttpClient reader(hub.url(), 10);
  auto list = reader.Get("/v1/orders?channel=b2b-portal&limit=10",
                         {{"Authorization", StrCat("Bearer ", kReaderKey)}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(json::parse(list->body).at("orders").as_array().size(), 1u) << "never doubled";
}

// A subscriber's mapping renders events for the partner: one for inbound orders stops the
// start, saying so.
TEST(WebhookConfig, ASubscriberMappingMustRenderForThePartner) {
  HubProcess hub(
      StrCat("subscribers:\n  - name: shop\n    url: http://127.0.0.1:9/x\n"
             "    events: [\"order.*\"]\n    mapping: ",
             SourcePath("mappings/shopify-order.yaml"), "\n"));
  EXPECT_FALSE(hub.Start().ok());
  EXPECT_THAT(hub.Stderr(), HasSubstr("subscribers[0].mapping"));
  EXPECT_THAT(hub.Stderr(), HasSubstr("maps to order; a subscriber's mapping renders events"));
}

// A channel takes orders: a mapping to anything else stops the start, saying so.
TEST(WebhookConfig, AChannelWhoseMappingIsNotForOrdersDoesNotStart) {
  setenv("TEST_SHOPIFY_SECRET", kSecret, 1);
  HubProcess hub("", StrCat("    webhook: {mapping: ", SourcePath("mappings/easypost-tracker.yaml"),
                            ", signature: shopify, secret_env: TEST_SHOPIFY_SECRET}\n"));
  EXPECT_FALSE(hub.Start().ok());
  EXPECT_THAT(hub.Stderr(), HasSubstr("maps to tracking; a channel takes orders"));
}

// A second store as a connector block (type signed-webhook): its own endpoint, secret,
// archive source and delivery counts; its orders on the channel it names.
TEST(WebhookConnectorIt, ASignedWebhookConnectorTakesItsChannelsOrdersAtItsOwnEndpoint) {
  setenv("TEST_EU_STORE_SECRET", "shpss_eu_store_0001", 1);
  HubProcess hub(
      StrCat("connectors:\n"
             "  - name: eu-store\n"
             "    type: signed-webhook\n"
             "    channel: b2b-portal\n"
             "    mapping: ",
             SourcePath("mappings/shopify-order.yaml"),
             "\n"
             "    secret_env: TEST_EU_STORE_SECRET\n"));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  const std::string body = json::serialize(HarborShopifyOrder());
  auto deliver = [&](const std::string& secret) {
    HttpClient client(hub.url(), 10);
    return client.Send("POST", "/v1/webhooks/eu-store",
                       {{"Content-Type", "application/json"},
                        {"X-Shopify-Hmac-Sha256",
                         connectors::Sign(*connectors::SignatureScheme("shopify"), secret, body)},
                        {"X-Shopify-Webhook-Id", "eu-0001"}},
                       body);
  };
  auto forged = deliver(kSecret);  // another store's secret
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->status, 401) << forged->body;
  auto taken = deliver("shpss_eu_store_0001");
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->status, 201) << taken->body;
  EXPECT_EQ(json::parse(taken->body).at("channel"), "b2b-portal");
  auto again = deliver("shpss_eu_store_0001");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Header("idempotent-replayed"), "true");

  HttpClient reader(hub.url(), 10);
  auto listed = reader.Get("/v1/connectors", {{"Authorization", StrCat("Bearer ", kReaderKey)}});
  ASSERT_TRUE(listed.ok());
  const json::object c = json::parse(listed->body).at("items").as_array()[0].as_object();
  EXPECT_EQ(c.at("name"), "eu-store");
  EXPECT_EQ(c.at("endpoint"), "/v1/webhooks/eu-store");
  EXPECT_EQ(c.at("deliveries").at("created"), 1);
  EXPECT_EQ(c.at("deliveries").at("replayed"), 1);
  EXPECT_EQ(c.at("deliveries").at("bad_signature"), 1);
  auto inbound =
      reader.Get("/v1/inbound?limit=10", {{"Authorization", StrCat("Bearer ", kOpsKey)}});
  ASSERT_TRUE(inbound.ok());
  EXPECT_THAT(inbound->body, HasSubstr(R"("source":"webhook:eu-store")")) << inbound->body;
  // Its archive (the delivery and its retry, each kept as received) is reprocessed with its
  // own mapping, which changes nothing.
  auto plan = reader.Send(
      "POST", "/v1/inbound/reprocess",
      {{"Authorization", StrCat("Bearer ", kOpsKey)}, {"Content-Type", "application/json"}},
      json::serialize(json::object{{"source", "webhook:eu-store"}}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->status, 200) << plan->body;
  EXPECT_EQ(json::parse(plan->body).at("counts"), (json::object{{"unchanged", 2}})) << plan->body;
}

// A webhook connector names a configured channel, and an endpoint of its own.
TEST(WebhookConnectorIt, AnUnknownChannelOrATakenEndpointStopsTheStart) {
  setenv("TEST_EU_STORE_SECRET", "shpss_eu_store_0001", 1);
  const std::string block =
      StrCat("    type: signed-webhook\n    mapping: ", SourcePath("mappings/shopify-order.yaml"),
             "\n    secret_env: TEST_EU_STORE_SECRET\n");
  HubProcess unknown(StrCat("connectors:\n  - name: eu-store\n    channel: nowhere\n", block));
  EXPECT_FALSE(unknown.Start().ok());
  EXPECT_THAT(unknown.Stderr(),
              HasSubstr("connectors eu-store: channel: \"nowhere\" is not a configured channel"));

  setenv("TEST_SHOPIFY_SECRET", kSecret, 1);
  HubProcess taken(StrCat("connectors:\n  - name: b2b-portal\n    channel: b2b-portal\n", block),
                   StrCat("    webhook: {mapping: ", SourcePath("mappings/shopify-order.yaml"),
                          ", signature: shopify, secret_env: TEST_SHOPIFY_SECRET}\n"));
  EXPECT_FALSE(taken.Start().ok());
  EXPECT_THAT(taken.Stderr(), HasSubstr("takes webhooks at /v1/webhooks/b2b-portal already"));
}

// XML by webhook: a connector whose mapping reads XML (Walmart's, formats: [json, xml])
// takes the partner's XML as it takes JSON; a malformed document is a 400 naming its line
// and column, and XML sent to an endpoint whose mapping reads only JSON is a 415.
TEST(WebhookConnectorIt, AnXmlOrderIsTakenByAMappingThatReadsXml) {
  setenv("TEST_XML_SECRET", "xml_secret_0001", 1);
  setenv("TEST_SHOPIFY_SECRET", kSecret, 1);
  const auto endpoint = [](const std::string& name, const std::string& mapping,
                           const std::string& secret_env) {
    return StrCat(
        "  - name: ", name,
        "\n    type: signed-webhook\n    channel: b2b-portal\n    mapping: ", SourcePath(mapping),
        "\n    signature: hmac-sha256\n    header: X-Signature\n"
        "    id_header: X-Delivery\n    secret_env: ",
        secret_env, "\n");
  };
  HubProcess hub(StrCat(
      "connectors:\n", endpoint("walmart-xml", "mappings/walmart-order.yaml", "TEST_XML_SECRET"),
      endpoint("shopify-json", "mappings/shopify-order.yaml", "TEST_XML_SECRET")));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  auto text = ReadFile(SourcePath("mappings/testdata/walmart-order.xml"));
  ASSERT_TRUE(text.ok());
  std::string xml = *text;  // SKUs of Harbor's catalog
  xml.replace(xml.find("WM-HOSE-25"), 10, "HS-10001");
  xml.replace(xml.find("WM-NOZ-1"), 8, "HS-10002");
  auto scheme = connectors::SignatureScheme("hmac-sha256", "X-Signature", "", "X-Delivery");
  ASSERT_TRUE(scheme.ok());
  auto post = [&](const std::string& name, const std::string& body, const std::string& id) {
    HttpClient client(hub.url(), 10);
    return client.Send("POST", "/v1/webhooks/" + name,
                       {{"Content-Type", "application/xml"},
                        {"X-Signature", connectors::Sign(*scheme, "xml_secret_0001", body)},
                        {"X-Delivery", id}},
                       body);
  };
  auto taken = post("walmart-xml", xml, "x-1");
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->status, 201) << taken->body;
  const json::value order = json::parse(taken->body);
  EXPECT_EQ(order.at("channel_order_ref"), "4792982839777");
  EXPECT_EQ(order.at("totals").at("grand_total").at("amount_minor"), 4921);
  EXPECT_EQ(order.at("lines").as_array().size(), 2u);

  auto broken = post("walmart-xml", "<order>\n<purchaseOrderId>1</order>", "x-2");
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->status, 400) << broken->body;
  EXPECT_THAT(broken->body, HasSubstr("malformed-xml"));
  EXPECT_THAT(broken->body, HasSubstr("not well-formed XML at line 2, column 21: mismatched tag"));

  auto unsupported = post("shopify-json", xml, "x-3");
  ASSERT_TRUE(unsupported.ok());
  EXPECT_EQ(unsupported->status, 415) << unsupported->body;
  EXPECT_THAT(unsupported->body, HasSubstr("mapping shopify-order reads JSON only"));

  // Kept as received, and reprocessed from the archive through the same reading of XML.
  HttpClient ops(hub.url(), 10);
  auto plan = ops.Send(
      "POST", "/v1/inbound/reprocess",
      {{"Authorization", StrCat("Bearer ", kOpsKey)}, {"Content-Type", "application/json"}},
      json::serialize(json::object{{"source", "webhook:walmart-xml"}}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->status, 200) << plan->body;
  EXPECT_EQ(json::parse(plan->body).at("counts"), (json::object{{"unchanged", 1}})) << plan->body;
}

}  // namespace
}  // namespace disthub::testing
