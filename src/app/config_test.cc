#include "app/config.h"

#include "app/embedded.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
channels:
  - name: b2b-portal
partners:
  - name: portal
    scopes: [orders:write]
    api_keys:
      - id: k1
        key_env: PORTAL_KEY
)";

TEST(Config, DefaultsFillWhatTheFileLeavesOut) {
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(kMinimal, "hub.yaml"));
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.store.synchronous, "full");
  EXPECT_EQ(c.store.max_batch, 512);
  ASSERT_EQ(c.channels.size(), 1u);
  EXPECT_EQ(c.channels[0].kind, "api");
  EXPECT_FALSE(c.channels[0].inventory_feed.enabled);  // no inventory_feed section
  EXPECT_EQ(c.partners[0].api_keys[0].key_env, "PORTAL_KEY");
}

TEST(Config, UnknownKeysAreErrorsNamingFileLineAndKey) {
  std::string yaml = std::string("server:\n  lisen: 127.0.0.1:1\n") + kMinimal;
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("hub.yaml:2: server.lisen: unknown key"),
                             HasSubstr("listen"))));
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "colour: blue\n", "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour: unknown key")));
}

TEST(Config, WrongTypesAndValuesAreNamed) {
  std::string yaml = std::string("server:\n  io_threads: many\nstore:\n  synchronous: maybe\n") + kMinimal;
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hub.yaml:2: server.io_threads: must be an integer, not \"many\"")));
  yaml = std::string("store:\n  synchronous: maybe\n") + kMinimal;
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("store.synchronous: must be \"full\" or \"normal\"")));
}

TEST(Config, CrossReferencesAreChecked) {
  std::string yaml = R"(
channels:
  - name: b2b-portal
partners:
  - name: portal
    scopes: [orders:write, orders:delete]
    channels: [fax]
    api_keys:
      - id: k1
        key_env: A
        key_sha256: abc
)";
  auto c = ParseConfig(yaml, "hub.yaml");
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("partners[0].scopes: \"orders:delete\" is not a scope"),
                                HasSubstr("partners[0].channels: \"fax\" is not a configured channel"),
                                HasSubstr("partners[0].api_keys[0]: set exactly one of key_env"))));
}

TEST(Config, InvalidYamlNamesTheLine) {
  EXPECT_THAT(ParseConfig("server:\n  listen: [unclosed\n", "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.yaml:")));
}

TEST(Config, TheHarborExampleIsValid) {
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(std::string(embedded::HarborConfig()), "harbor.yaml"));
  EXPECT_EQ(c.channels.size(), 5u);
  EXPECT_EQ(c.catalog.products_file, "harbor-products.csv");
}

TEST(Config, CreditAndPricingPoliciesNeedTheErpAndValidValues) {
  std::string yaml = R"(
channels:
  - name: b2b-portal
    fulfillment: {credit: {check: true, on_erp_unavailable: shrug}, pricing: erp}
  - name: dtc-web
    fulfillment: {pricing: guess}
)";
  EXPECT_THAT(
      ParseConfig(yaml, "hub.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("channels[0].fulfillment.credit.on_erp_unavailable: \"shrug\" must "
                               "be hold or accept_under_limit"),
                     HasSubstr("channels[0].fulfillment: a credit check or ERP pricing needs "
                               "fulfillment.erp.url"),
                     HasSubstr("channels[1].fulfillment.pricing: \"guess\" must be channel or erp"))));
  yaml = R"(
channels:
  - name: b2b-portal
    fulfillment:
      credit: {check: true, on_erp_unavailable: accept_under_limit, accept_under_minor: 50000}
      pricing: erp
fulfillment:
  erp: {url: "http://127.0.0.1:9100", timeout_ms: 1500, workers: 8, retry_seconds: 30}
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml, "hub.yaml"));
  EXPECT_TRUE(c.channels[0].fulfillment.credit.check);
  EXPECT_EQ(c.channels[0].fulfillment.credit.on_erp_unavailable, "accept_under_limit");
  EXPECT_EQ(c.channels[0].fulfillment.credit.accept_under_minor, 50'000);
  EXPECT_EQ(c.channels[0].fulfillment.pricing, "erp");
  EXPECT_EQ(c.fulfillment.erp.timeout_ms, 1500);
  EXPECT_EQ(c.fulfillment.erp.workers, 8);
  EXPECT_EQ(c.fulfillment.erp.retry_seconds, 30);
  EXPECT_THAT(ParseConfig("fulfillment:\n  erp: {url: ftp://x, workers: 0}\n", "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("fulfillment.erp.url: \"ftp://x\" must start with http://"),
                             HasSubstr("fulfillment.erp.workers: must be 1 to 256"))));
}

TEST(Config, AlertRulesAreReadAndChecked) {
  std::string yaml = R"(
alerts:
  check_seconds: 5
  rules:
    - name: backorders
      metric: disthub_orders
      labels: {status: backordered}
      above: 100
      for_seconds: 300
      severity: critical
      description: orders wait for stock
    - name: promises-missed
      metric: disthub_orders_past_promise_total
      above: 5
      increase_over_seconds: 600
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml + kMinimal, "hub.yaml"));
  EXPECT_EQ(c.alerts.check_seconds, 5);
  ASSERT_EQ(c.alerts.rules.size(), 2u);
  EXPECT_EQ(c.alerts.rules[0].increase_over_seconds, 0);
  EXPECT_EQ(c.alerts.rules[1].increase_over_seconds, 600);
  EXPECT_EQ(c.alerts.rules[0].metric, "disthub_orders");
  ASSERT_EQ(c.alerts.rules[0].labels.size(), 1u);
  EXPECT_EQ(c.alerts.rules[0].labels[0], std::make_pair(std::string("status"), std::string("backordered")));
  EXPECT_EQ(c.alerts.rules[0].above, 100);
  EXPECT_EQ(c.alerts.rules[0].for_seconds, 300);
  EXPECT_EQ(c.alerts.rules[0].severity, "critical");
  yaml = R"(
alerts:
  rules:
    - {name: a, metric: orders, above: 1, severity: loud}
    - {name: a, metric: disthub_orders, above: 1, increase_over_seconds: -1}
)";
  EXPECT_THAT(ParseConfig(yaml + kMinimal, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("alerts.rules[0].metric: \"orders\" is not one of the hub's metrics"),
                             HasSubstr("alerts.rules[0].severity: \"loud\" must be info, warning or critical"),
                             HasSubstr("alerts.rules[1].name: \"a\" is defined twice"),
                             HasSubstr("alerts.rules[1].increase_over_seconds: must be 0 to 604800 (a week)"))));
  EXPECT_THAT(ParseConfig("alerts:\n  rules:\n    - {name: b, metric: disthub_orders}\n", "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alerts.rules[0].above: is required")));
}

TEST(Config, CarriersAndOriginsAreReadAndChecked) {
  ASSERT_OK_AND_ASSIGN(Config harbor,
                       ParseConfig(std::string(embedded::HarborConfig()), "harbor.yaml"));
  ASSERT_EQ(harbor.carriers.size(), 3u);
  EXPECT_EQ(harbor.carriers[1].name, "parcel-express");
  EXPECT_EQ(harbor.carriers[1].services[0].transit_days.size(), 8u);
  EXPECT_EQ(harbor.fulfillment.locations[0].origin, "NJ");
  std::string yaml = R"(
fulfillment:
  locations:
    - {name: a, origin: Jersey}
carriers:
  - name: x
    services:
      - name: s
        transit_days: [1, 2, 3]
        rates:
          - {up_to_grams: 5000, by_zone: [1, 2, 3, 4, 5, 6, 7, 8]}
          - {up_to_grams: 1000, by_zone: [1, 2, 3, 4, 5, 6, 7, -8]}
  - {name: x, services: []}
)";
  EXPECT_THAT(
      ParseConfig(yaml + kMinimal, "hub.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("fulfillment.locations[0].origin: \"Jersey\" must be a two-letter"),
                     HasSubstr("carriers[0].services[0].transit_days: list 8 values"),
                     HasSubstr("carriers[0].services[0].rates[1].up_to_grams: must be positive and "
                               "larger than the band before"),
                     HasSubstr("carriers[0].services[0].rates[1].by_zone: prices cannot be negative"),
                     HasSubstr("carriers[1].name: \"x\" is defined twice"),
                     HasSubstr("carriers[1].services: list at least one service, or give rates_url"))));
}

TEST(Config, CarriersFromARateServiceAreReadAndChecked) {
  std::string yaml = R"(
carriers:
  - name: parcel-ground
    rates_url: https://rates.example.com/parcel-ground
    token_env: GROUND_RATES_TOKEN
    refresh_seconds: 600
    retry_seconds: 15
    timeout_ms: 2000
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml + kMinimal, "hub.yaml"));
  ASSERT_EQ(c.carriers.size(), 1u);
  EXPECT_EQ(c.carriers[0].rates_url, "https://rates.example.com/parcel-ground");
  EXPECT_EQ(c.carriers[0].token_env, "GROUND_RATES_TOKEN");
  EXPECT_EQ(c.carriers[0].refresh_seconds, 600);
  EXPECT_EQ(c.carriers[0].retry_seconds, 15);
  EXPECT_EQ(c.carriers[0].timeout_ms, 2000);
  EXPECT_TRUE(c.carriers[0].services.empty());
  yaml = R"(
carriers:
  - name: a
    rates_url: ftp://rates
    refresh_seconds: 0
    retry_seconds: 0
    timeout_ms: 0
  - name: b
    rates_url: http://rates/b
    services:
      - {name: s, transit_days: [1, 1, 1, 1, 1, 1, 1, 1], rates: [{up_to_grams: 1, by_zone: [1, 1, 1, 1, 1, 1, 1, 1]}]}
)";
  EXPECT_THAT(ParseConfig(yaml + kMinimal, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("carriers[0].rates_url: must be an http:// or https:// URL"),
                             HasSubstr("carriers[0].refresh_seconds: must be at least 1"),
                             HasSubstr("carriers[0].retry_seconds: must be at least 1"),
                             HasSubstr("carriers[0].timeout_ms: must be 1 to 600000"),
                             HasSubstr("carriers[1].services: give the services or rates_url, not both"))));
}

TEST(Config, SubstitutesAreReadAndChecked) {
  ASSERT_OK_AND_ASSIGN(Config harbor,
                       ParseConfig(std::string(embedded::HarborConfig()), "harbor.yaml"));
  EXPECT_EQ(harbor.catalog.substitutes.at("HS-10001"), std::vector<std::string>{"HS-10021"});
  EXPECT_TRUE(harbor.channels[0].fulfillment.substitutions);
  std::string yaml = R"(
catalog:
  substitutes:
    A: [A]
    B: []
)";
  EXPECT_THAT(ParseConfig(yaml + kMinimal, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("catalog.substitutes.A: a SKU cannot substitute itself"),
                             HasSubstr("catalog.substitutes.B: list at least one substitute"))));
}

TEST(SplitListen, AcceptsHostPortAndRefusesTheRest) {
  EXPECT_THAT(SplitListen("127.0.0.1:0"),
              ::disthub::testing::IsOkAndHolds(std::make_pair(std::string("127.0.0.1"), 0)));
  EXPECT_THAT(SplitListen("[::1]:8080"),
              ::disthub::testing::IsOkAndHolds(std::make_pair(std::string("::1"), 8080)));
  EXPECT_THAT(SplitListen("localhost"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitListen("127.0.0.1:99999"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Config, SubscribersReadTheirDeliveryPolicy) {
  std::string yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: https://erp.example.com/hub
    events: ["order.*"]
    headers: [{name: Authorization, value_env: ERP_TOKEN}]
    delivery:
      concurrency: 4
      rate_per_second: 2.5
      burst: 5
      timeout_ms: 1500
      ordered: false
      retry: {initial_ms: 100, multiplier: 3, max_ms: 900, jitter: 0, max_attempts: 4, max_age_seconds: 60}
      circuit: {failure_threshold: 2, open_ms: 250, max_open_ms: 1000}
delivery: {max_in_memory: 1000, poll_interval_ms: 20}
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml, "hub.yaml"));
  ASSERT_EQ(c.subscribers.size(), 1u);
  const SubscriberConfig& s = c.subscribers[0].subscriber;
  EXPECT_EQ(s.url, "https://erp.example.com/hub");
  EXPECT_EQ(c.subscribers[0].headers[0].value_env, "ERP_TOKEN");
  EXPECT_EQ(s.policy.concurrency, 4);
  EXPECT_EQ(s.policy.rate_per_second, 2.5);
  EXPECT_EQ(s.policy.timeout, absl::Milliseconds(1500));
  EXPECT_FALSE(s.policy.ordered);
  EXPECT_EQ(s.policy.retry.multiplier, 3);
  EXPECT_EQ(s.policy.retry.max_age, absl::Seconds(60));
  EXPECT_EQ(s.policy.circuit.open_for, absl::Milliseconds(250));
  EXPECT_EQ(c.delivery.poll_interval_ms, 20);
}

TEST(Config, BadSubscribersAreErrorsNamingTheField) {
  std::string yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: ftp://erp
    events: []
    delivery: {concurrency: 0, retry: {jitter: 2}, circut: {}}
)";
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("subscribers[0].delivery.circut: unknown key")));
  yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: ftp://erp
    events: []
    delivery: {concurrency: 0, retry: {jitter: 2}}
)";
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("subscribers[0].url: \"ftp://erp\" must start with http"),
                             HasSubstr("subscribers[0].events: list the event types"),
                             HasSubstr("subscribers[0].delivery.concurrency: must be 1 to 1024"),
                             HasSubstr("subscribers[0].delivery.retry.jitter"))));
}

TEST(Config, OutboundHttpsClientsReadTheirTlsSettings) {
  std::string yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: https://erp.example.com/hub
    events: ["order.*"]
    tls: {ca_file: certs/erp-ca.pem, cert_file: /etc/disthub/hub.pem, key_file: /etc/disthub/hub.key}
fulfillment:
  erp: {url: https://erp.example.com, tls: {ca_file: erp-ca.pem}}
carriers:
  - name: parcel
    rates_url: https://rates.example.com/parcel
    tls: {ca_file: rates-ca.pem}
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml, "/etc/disthub/hub.yaml"));
  const TlsClientOptions& s = c.subscribers[0].subscriber.tls;
  EXPECT_EQ(s.ca_file, "certs/erp-ca.pem");  // as written; the hub resolves it at start
  EXPECT_EQ(s.cert_file, "/etc/disthub/hub.pem");
  EXPECT_EQ(s.key_file, "/etc/disthub/hub.key");
  EXPECT_EQ(ResolveTlsPaths(s, c.file).ca_file, "/etc/disthub/certs/erp-ca.pem");
  EXPECT_EQ(c.fulfillment.erp.tls.ca_file, "erp-ca.pem");
  EXPECT_EQ(c.carriers[0].tls.ca_file, "rates-ca.pem");
}

TEST(Config, TlsSettingsNeedHttpsAndACertificateWithItsKey) {
  std::string yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: http://erp.example.com/hub
    events: ["order.*"]
    tls: {ca_file: ca.pem, cert_file: hub.pem, ca: x}
)";
  EXPECT_THAT(ParseConfig(yaml, "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("subscribers[0].tls.ca: unknown key (known here: ca_file, cert_file, key_file)")));
  yaml = std::string(kMinimal) + R"(
subscribers:
  - name: erp
    url: http://erp.example.com/hub
    events: ["order.*"]
    tls: {ca_file: ca.pem, cert_file: hub.pem}
fulfillment:
  erp: {url: https://erp.example.com, tls: {key_file: hub.key}}
carriers:
  - name: parcel
    tls: {ca_file: rates-ca.pem}
    services:
      - name: ground
        transit_days: [1, 2, 3, 4, 5, 6, 7, 8]
        rates: [{up_to_grams: 1000, by_zone: [1, 2, 3, 4, 5, 6, 7, 8]}]
)";
  EXPECT_THAT(
      ParseConfig(yaml, "hub.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("hub.yaml: subscribers[0].tls: applies only to an https:// URL, and "
                               "\"http://erp.example.com/hub\" is not one"),
                     HasSubstr("subscribers[0].tls.key_file: a client certificate needs both "
                               "cert_file and key_file"),
                     HasSubstr("fulfillment.erp.tls.cert_file: a client certificate needs both"),
                     HasSubstr("carriers[0].tls: applies only with rates_url"))));
}

TEST(Config, ChannelsReadTheirWebhookAndCheckItsScheme) {
  std::string yaml = R"(
channels:
  - name: shopify-us
    webhook: {mapping: mappings/shopify-order.yaml, secret_env: SHOPIFY_SECRET}
  - name: custom
    webhook: {mapping: m.yaml, signature: hmac-sha256, header: X-Sig, encoding: hex, secret_env: S}
partners: [{name: p, scopes: [orders:write], api_keys: [{id: k, key_env: K}]}]
)";
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(yaml, "hub.yaml"));
  EXPECT_TRUE(c.channels[0].webhook.enabled);
  EXPECT_EQ(c.channels[0].webhook.signature, "shopify");
  EXPECT_EQ(c.channels[1].webhook.encoding, "hex");
  EXPECT_THAT(ParseConfig(R"(
channels:
  - name: a
    webhook: {mapping: m.yaml, signature: md5, secret_env: S}
  - name: b
    webhook: {mapping: m.yaml}
)",
                          "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("channels[1].webhook.secret_env: is required"))));
  EXPECT_THAT(ParseConfig(R"(
channels:
  - name: a
    webhook: {mapping: m.yaml, signature: md5, secret_env: S}
partners: [{name: p, scopes: [orders:write], api_keys: [{id: k, key_env: K}]}]
)",
                          "hub.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hub.yaml: channels[0].webhook: \"md5\" is not a signature scheme")));
}

TEST(Config, UnreadableTlsFilesAreNamedWithTheKey) {
  EXPECT_OK(CheckTlsFiles({.ca_file = ""}, "subscribers[0].tls"));
  EXPECT_THAT(CheckTlsFiles({.ca_file = "/nonexistent/ca.pem"}, "hub.yaml: subscribers[0].tls"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("hub.yaml: subscribers[0].tls.ca_file: cannot read /nonexistent/ca.pem "
                                 "(no such file)")));
}

}  // namespace
}  // namespace disthub
