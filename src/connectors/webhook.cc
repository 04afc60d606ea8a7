#include "connectors/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "absl/strings/numbers.h"
#include "base/strings.h"
#include "observe/metrics.h"

namespace disthub::connectors {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

absl::StatusOr<WebhookSignature> SignatureScheme(std::string_view scheme, std::string_view header,
                                                 std::string_view encoding,
                                                 std::string_view id_header,
                                                 std::string_view timestamp_header) {
  WebhookSignature s{.scheme = std::string(scheme)};
  if (scheme == "shopify") {
    s.header = "x-shopify-hmac-sha256";
    s.id_header = "x-shopify-webhook-id";
  } else if (scheme == "woocommerce") {
    s.header = "x-wc-webhook-signature";
    s.id_header = "x-wc-webhook-delivery-id";
  } else if (scheme == "hmac-sha256") {
    if (header.empty())
      return absl::InvalidArgumentError(
          "header: the hmac-sha256 scheme needs the signature's header");
  } else {
    return absl::InvalidArgumentError(
        StrCat("\"", scheme, "\" is not a signature scheme (shopify, woocommerce, hmac-sha256)"));
  }
  if (!timestamp_header.empty()) {
    if (scheme != "hmac-sha256") {
      return absl::InvalidArgumentError(
          StrCat("timestamp_header: the ", scheme,
                 " scheme signs the body alone, so a timestamp "
                 "header proves nothing; only hmac-sha256 signs one"));
    }
    s.timestamp_header = Lower(timestamp_header);
  }
  if (!header.empty()) s.header = Lower(header);
  if (!id_header.empty()) s.id_header = Lower(id_header);
  if (encoding == "hex") {
    s.encoding = WebhookSignature::Encoding::kHex;
  } else if (!encoding.empty() && encoding != "base64") {
    return absl::InvalidArgumentError(StrCat("encoding: \"", encoding, "\" must be base64 or hex"));
  }
  return s;
}

std::string Sign(const WebhookSignature& signature, std::string_view secret, std::string_view body,
                 std::string_view timestamp) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  std::string signed_text;
  if (!signature.timestamp_header.empty()) {
    signed_text = StrCat(timestamp, ".", body);
    body = signed_text;
  }
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n);
  return signature.encoding == WebhookSignature::Encoding::kHex ? Hex(mac, n) : Base64(mac, n);
}

absl::Status VerifySignature(const WebhookSignature& signature, std::string_view secret,
                             std::string_view body, std::string_view sent,
                             std::string_view timestamp, absl::Time now) {
  // Built only for a refusal: a good delivery costs no message.
  auto mismatch = [&] {
    return absl::UnauthenticatedError(
        StrCat("the ", signature.header, " header is missing or is not the HMAC-SHA256 of the ",
               signature.timestamp_header.empty()
                   ? "body"
                   : StrCat(signature.timestamp_header, " header, '.' and the body"),
               " under the channel's secret"));
  };
  if (sent.empty() || secret.empty()) return mismatch();
  int64_t signed_at = 0;
  if (!signature.timestamp_header.empty() &&
      !absl::SimpleAtoi(absl::string_view(timestamp.data(), timestamp.size()), &signed_at)) {
    return absl::UnauthenticatedError(StrCat(
        "the ", signature.timestamp_header, " header is missing or is not a Unix time in seconds"));
  }
  std::string expected = Sign(signature, secret, body, timestamp);
  std::string given(sent);
  if (signature.encoding == WebhookSignature::Encoding::kHex) given = Lower(given);
  // Lengths are not secret (every signature of a scheme has the same one).
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return mismatch();
  }
  if (!signature.timestamp_header.empty()) {
    const absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(signed_at));
    if (skew > signature.max_age) {
      return absl::UnauthenticatedError(
          StrCat("the delivery was signed ", absl::FormatDuration(skew),
                 " away from now, outside the ", absl::FormatDuration(signature.max_age),
                 " replay window (", signature.timestamp_header, ": ", signed_at, ")"));
    }
  }
  return absl::OkStatus();
}

Decoded<Order> MapWebhookOrder(const mapping::Mapping& mapping, const std::string& channel,
                               const boost::json::value& payload, mapping::PayloadFormat format) {
  mapping::MappedOrder mapped =
      mapping::MapOrder(mapping, payload, {.vars = {{"channel", channel}}, .format = format});
  Decoded<Order> out;
  for (const mapping::MappingError& e : mapped.errors) {
    const bool canonical = e.rule.starts_with("canonical");
    out.errors.push_back({.pointer = e.at.empty() ? "" : StrCat("#", e.at),
                          .detail = canonical ? StrCat(e.rule, ": ", e.message)
                                              : StrCat(mapping.name(), " v", mapping.version(),
                                                       ": rule ", e.rule, ": ", e.message)});
  }
  if (out.errors.empty()) out.value = std::move(mapped.order);
  return out;
}

absl::StatusOr<WebhookChannel> LoadWebhookChannel(
    const WebhookSettings& settings,
    const std::function<std::optional<std::string>(const std::string&)>& secret) {
  absl::StatusOr<mapping::Mapping> m =
      mapping::Mapping::Load(settings.mapping, "order", "a channel takes orders");
  if (!m.ok()) return absl::FailedPreconditionError(StrCat("mapping: ", m.status().message()));
  std::optional<std::string> value = secret(settings.secret_env);
  if (!value || value->empty()) {
    return absl::FailedPreconditionError(
        StrCat("secret_env: the environment variable ", settings.secret_env, " is not set"));
  }
  absl::StatusOr<WebhookSignature> signature =
      SignatureScheme(settings.signature, settings.header, settings.encoding, settings.id_header,
                      settings.timestamp_header);
  if (!signature.ok()) {
    return absl::InvalidArgumentError(StrCat("signature: ", signature.status().message()));
  }
  signature->max_age = settings.max_age;
  return WebhookChannel{.channel = settings.channel,
                        .secret = *std::move(value),
                        .signature = *std::move(signature),
                        .mapping = std::make_shared<const mapping::Mapping>(*std::move(m))};
}

WebhookConnector::WebhookConnector(std::string instance, WebhookChannel channel, Registry& metrics)
    : instance_(std::move(instance)), channel_(std::move(channel)) {
  // The API's own series (create-or-get), which it counts each delivery in.
  for (std::string_view outcome : kWebhookOutcomes) {
    outcomes_.emplace_back(
        std::string(outcome),
        metrics.Counter(kWebhookDeliveriesMetric, kWebhookDeliveriesHelp,
                        {{"channel", instance_}, {"outcome", std::string(outcome)}}));
  }
}

boost::json::object WebhookConnector::Describe() const {
  boost::json::object deliveries;
  for (const auto& [outcome, counter] : outcomes_) {
    deliveries[outcome] = static_cast<int64_t>(counter->Value());
  }
  return {{"name", instance_},
          {"type", SignedWebhookType().name},
          {"channel", channel_.channel},
          {"endpoint", StrCat("/v1/webhooks/", instance_)},
          {"mapping", channel_.mapping->name()},
          {"mapping_version", channel_.mapping->version()},
          {"signature", channel_.signature.scheme},
          {"deliveries", std::move(deliveries)}};
}

const ConnectorType& SignedWebhookType() {
  using T = SettingType;
  auto spec = [](std::string key, T type, std::string doc, std::optional<std::string> def,
                 std::string example) {
    return SettingSpec{.key = std::move(key),
                       .type = type,
                       .doc = std::move(doc),
                       .default_value = std::move(def),
                       .example = std::move(example)};
  };
  static const auto* type = new ConnectorType{
      .name = "signed-webhook",
      .summary =
          "A sales channel's orders by signed webhook at POST /v1/webhooks/NAME, mapped "
          "from its dialect",
      .settings =
          {
              spec("channel", T::kString,
                   "The configured channel (channels[].name) the orders belong to", std::nullopt,
                   "shopify-eu"),
              spec("mapping", T::kPath,
                   "The mapping from the platform's order to the canonical order (to: order)",
                   std::nullopt, "{source}/mappings/shopify-order.yaml"),
              spec("signature", T::kString,
                   "The signing scheme: shopify (X-Shopify-Hmac-Sha256), woocommerce "
                   "(X-WC-Webhook-Signature) or hmac-sha256 (HMAC-SHA256 of the body in header)",
                   "shopify", "shopify"),
              spec("header", T::kString,
                   "hmac-sha256: the header carrying the signature (others: their own)", "", ""),
              spec("encoding", T::kString, "hmac-sha256: base64 or hex (empty: base64)", "", ""),
              spec("id_header", T::kString,
                   "The header naming the delivery, repeated by its retries: the idempotency "
                   "key (empty: the scheme's; without one, the body's SHA-256)",
                   "", ""),
              spec("timestamp_header", T::kString,
                   "hmac-sha256: a header with the Unix time of signing, signed too, which "
                   "bounds replays to max_age_ms (empty: no replay window)",
                   "", ""),
              spec("max_age_ms", T::kDuration,
                   "How far from now a timestamp_header may be before the delivery is refused",
                   "300000", "60000"),
              spec("secret_env", T::kString,
                   "The environment variable holding the shared secret (never logged)",
                   std::nullopt, "SHOPIFY_EU_WEBHOOK_SECRET"),
          },
      .create = [](const std::string& instance, const Settings& s,
                   ConnectorHost& host) -> absl::StatusOr<std::unique_ptr<Connector>> {
        absl::StatusOr<WebhookChannel> channel =
            LoadWebhookChannel({.channel = s.String("channel"),
                                .mapping = s.String("mapping"),
                                .signature = s.String("signature"),
                                .header = s.String("header"),
                                .encoding = s.String("encoding"),
                                .id_header = s.String("id_header"),
                                .timestamp_header = s.String("timestamp_header"),
                                .max_age = s.Duration("max_age_ms"),
                                .secret_env = s.String("secret_env")},
                               [&host](const std::string& name) { return host.Secret(name); });
        if (!channel.ok()) return channel.status();
        return std::make_unique<WebhookConnector>(instance, *std::move(channel), host.metrics());
      }};
  return *type;
}

}  // namespace disthub::connectors
