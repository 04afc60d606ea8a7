// Signed webhooks from sales channels (DESIGN.md, connectors): the signature schemes the
// platforms use, checked in constant time, and a channel's webhook settings. The API's
// POST /v1/webhooks/{channel} verifies a delivery with these, maps it with the channel's
// mapping (src/mapping) and takes the order in like any other.
//
//   WebhookSignature s = *SignatureScheme("shopify");       // X-Shopify-Hmac-Sha256, base64
//   if (!VerifySignature(s, secret, body, req.Header(s.header))) → 401
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/connector.h"
#include "mapping/mapping.h"
#include "model/json.h"

namespace disthub {
class Counter;  // observe/metrics.h
}  // namespace disthub

namespace disthub::connectors {

// HMAC-SHA256 of the raw body with the channel's secret, sent in `header`.
struct WebhookSignature {
  enum class Encoding { kBase64, kHex };
  std::string scheme;  // "shopify", "woocommerce", "hmac-sha256"
  std::string header;  // the request header carrying the signature (lower case)
  Encoding encoding = Encoding::kBase64;
  std::string id_header;  // the header naming the delivery (its retries repeat it), lower case
  // hmac-sha256 only: a header with the Unix time of signing, which is then signed too
  // (the HMAC covers "TIMESTAMP.BODY"), so a captured delivery replayed later than
  // `max_age` is refused. Empty: no replay window (the delivery id still stops repeats).
  std::string timestamp_header;
  absl::Duration max_age = absl::Minutes(5);
};

// The settings of a named scheme: "shopify" (X-Shopify-Hmac-Sha256, base64; delivery id
// X-Shopify-Webhook-Id), "woocommerce" (X-WC-Webhook-Signature, base64;
// X-WC-Webhook-Delivery-ID), or "hmac-sha256" with the given header, encoding ("base64"
// or "hex") and id header. kInvalidArgument naming what is wrong.
absl::StatusOr<WebhookSignature> SignatureScheme(std::string_view scheme,
                                                 std::string_view header = "",
                                                 std::string_view encoding = "",
                                                 std::string_view id_header = "",
                                                 std::string_view timestamp_header = "");

// The signature of `body` (with `timestamp`, for a scheme with a timestamp header) under
// `secret`, encoded as the scheme sends it.
std::string Sign(const WebhookSignature& signature, std::string_view secret, std::string_view body,
                 std::string_view timestamp = "");

// OK when `sent` is the signature of `body` under `secret`, compared in constant time (the
// time taken tells an attacker nothing about how much of a guess was right), and, for a
// scheme with a timestamp header, `timestamp` is within max_age of `now`.
// kUnauthenticated saying which check failed, naming the headers (never the secret).
absl::Status VerifySignature(const WebhookSignature& signature, std::string_view secret,
                             std::string_view body, std::string_view sent,
                             std::string_view timestamp = "", absl::Time now = absl::Now());

// A channel that takes orders by webhook.
// A webhook body mapped to an order by `mapping` for `channel` (mapping.h, MapOrder): the
// order, or every problem, each a FieldError whose pointer is into the payload
// ("#/line_items/1/price") and whose detail names the mapping, its version and the rule;
// the model's own checks have no pointer into the payload ("canonical #/totals/tax: ...").
// The same for webhooks taken in and for archived ones reprocessed.
Decoded<Order> MapWebhookOrder(const mapping::Mapping& mapping, const std::string& channel,
                               const boost::json::value& payload,
                               mapping::PayloadFormat format = mapping::PayloadFormat::kJson);

// disthub_webhook_deliveries_total{channel, outcome}: what became of each delivery, by
// the endpoint's name (its channel's, or its connector instance's).
inline constexpr std::string_view kWebhookDeliveriesMetric = "disthub_webhook_deliveries_total";
inline constexpr std::string_view kWebhookDeliveriesHelp =
    "Webhook deliveries by channel and outcome.";
inline constexpr std::string_view kWebhookOutcomes[] = {"created",   "replayed",   "bad_signature",
                                                        "malformed", "unmappable", "unavailable"};

struct WebhookChannel {
  std::string channel;
  std::string secret;  // from the environment; never logged
  WebhookSignature signature;
  std::shared_ptr<const mapping::Mapping> mapping;
};

// What a webhook endpoint is configured with: a channel's `webhook:` block, or a
// signed-webhook connector's settings.
struct WebhookSettings {
  std::string channel;
  std::string mapping;  // the mapping file's path, resolved
  std::string signature = "shopify";
  std::string header, encoding, id_header, timestamp_header;  // SignatureScheme's
  absl::Duration max_age = absl::Minutes(5);
  std::string secret_env;  // the environment variable with the shared secret
};

// The endpoint made ready: its mapping compiled (it must map to orders), its secret read
// with `secret` (an environment lookup), its scheme resolved. Errors name the setting at
// fault ("mapping: ...", "secret_env: ...", "signature: ...").
absl::StatusOr<WebhookChannel> LoadWebhookChannel(
    const WebhookSettings& settings,
    const std::function<std::optional<std::string>(const std::string&)>& secret);

// The `signed-webhook` connector type: a channel's orders by signed webhook at
// POST /v1/webhooks/INSTANCE, in the channel's dialect. The hub's API server is the
// listener; an instance holds the endpoint (channel(): its mapping, secret and scheme),
// and describes what its deliveries became (disthub_webhook_deliveries_total).
// A second store of a known platform is a second block of this type.
const ConnectorType& SignedWebhookType();

class WebhookConnector final : public Connector {
 public:
  WebhookConnector(std::string instance, WebhookChannel channel, Registry& metrics);
  absl::Status Start() override { return absl::OkStatus(); }  // the API server listens
  void Stop() override {}
  boost::json::object Describe() const override;
  // Archived as "webhook:INSTANCE", as a channel's own webhooks are "webhook:CHANNEL".
  std::optional<OrderSource> order_source() const override {
    return OrderSource{
        .source = "webhook:" + instance_, .mapping = channel_.mapping, .channel = channel_.channel};
  }
  const WebhookChannel& channel() const { return channel_; }

 private:
  std::string instance_;
  WebhookChannel channel_;
  std::vector<std::pair<std::string, Counter*>> outcomes_;
};

}  // namespace disthub::connectors
