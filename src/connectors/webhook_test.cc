#include "connectors/webhook.h"

#include "connectors/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observe/metrics.h"
#include "status_matchers.h"

namespace disthub::connectors {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Webhook, ShopifySignaturesAreBase64HmacSha256OfTheRawBody) {
  auto s = SignatureScheme("shopify");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->header, "x-shopify-hmac-sha256");
  EXPECT_EQ(s->id_header, "x-shopify-webhook-id");
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(Sign(*s, "Jefe", "what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  EXPECT_TRUE(VerifySignature(*s, "Jefe", "what do ya want for nothing?",
                              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")
                  .ok());
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing!",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")
                   .ok());
  EXPECT_FALSE(VerifySignature(*s, "jefe", "what do ya want for nothing?",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")
                   .ok());
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", "").ok());
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", "W9zB").ok());
}

TEST(Webhook, ACustomSchemeNamesItsHeaderAndEncoding) {
  auto s = SignatureScheme("hmac-sha256", "X-Signature", "hex", "X-Delivery");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->header, "x-signature");
  EXPECT_EQ(s->id_header, "x-delivery");
  const std::string hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(Sign(*s, "Jefe", "what do ya want for nothing?"), hex);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", upper).ok());
  EXPECT_THAT(SignatureScheme("hmac-sha256"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(SignatureScheme("hmac-sha256", "X-S", "base32"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64 or hex")));
  EXPECT_THAT(SignatureScheme("md5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shopify")));
  EXPECT_EQ(SignatureScheme("woocommerce")->header, "x-wc-webhook-signature");
}

TEST(Webhook, ASignedTimestampBoundsReplays) {
  auto s = SignatureScheme("hmac-sha256", "X-Signature", "hex", "X-Delivery", "X-Timestamp");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->timestamp_header, "x-timestamp");
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const std::string body = R"({"id":1})";
  const std::string sig = Sign(*s, "k", body, "1800000000");
  EXPECT_NE(sig, Sign(*s, "k", body, "1800000001"));  // the time is signed
  EXPECT_TRUE(VerifySignature(*s, "k", body, sig, "1800000000", now).ok());
  EXPECT_TRUE(VerifySignature(*s, "k", body, sig, "1800000000", now + absl::Minutes(5)).ok());
  EXPECT_THAT(
      VerifySignature(*s, "k", body, sig, "1800000000", now + absl::Minutes(6)),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("outside the 5m replay window")));
  // A replay with a fresh time fails the signature.
  EXPECT_THAT(VerifySignature(*s, "k", body, sig, "1800000360", now + absl::Minutes(6)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("is not the HMAC-SHA256")));
  EXPECT_THAT(
      VerifySignature(*s, "k", body, sig, "", now),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("x-timestamp header is missing")));
  EXPECT_THAT(SignatureScheme("shopify", "", "", "", "X-Shopify-Triggered-At"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signs the body alone")));
}

// The signed-webhook type: an instance is the endpoint, its mapping compiled, its secret
// from the environment and its scheme resolved; each mistake is named by its setting.
class SignedWebhookTypeTest : public ::testing::Test {
 protected:
  SignedWebhookTypeTest() : settings_(testing::DefaultSettings(SignedWebhookType())) {
    settings_.Set("channel", "shopify-eu");
    settings_.Set("mapping",
                  std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/shopify-order.yaml");
    settings_.Set("secret_env", "EU_SECRET");
    host_.secrets["EU_SECRET"] = "shpss_eu";
  }
  absl::StatusOr<std::unique_ptr<Connector>> Create() {
    return SignedWebhookType().create("eu-store", settings_, host_);
  }

  Settings settings_;
  testing::FakeConnectorHost host_;
};

TEST_F(SignedWebhookTypeTest, AnInstanceIsTheEndpointAndCountsWhatItsDeliveriesBecame) {
  absl::StatusOr<std::unique_ptr<Connector>> made = Create();
  ASSERT_TRUE(made.ok()) << made.status();
  auto* w = dynamic_cast<WebhookConnector*>(made->get());
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->channel().channel, "shopify-eu");
  EXPECT_EQ(w->channel().secret, "shpss_eu");
  EXPECT_EQ(w->channel().signature.header, "x-shopify-hmac-sha256");
  EXPECT_EQ(w->channel().signature.max_age, absl::Minutes(5));
  EXPECT_EQ(w->channel().mapping->name(), "shopify-order");
  // The API counts into the same series, by the instance's name.
  host_.metrics()
      .Counter(kWebhookDeliveriesMetric, kWebhookDeliveriesHelp,
               {{"channel", "eu-store"}, {"outcome", "created"}})
      ->Inc(3);
  const boost::json::object d = w->Describe();
  EXPECT_EQ(d.at("endpoint"), "/v1/webhooks/eu-store");
  EXPECT_EQ(d.at("channel"), "shopify-eu");
  EXPECT_EQ(d.at("type"), "signed-webhook");
  EXPECT_EQ(d.at("signature"), "shopify");
  EXPECT_EQ(d.at("deliveries").at("created"), 3);
  EXPECT_EQ(d.at("deliveries").at("bad_signature"), 0);
}

TEST_F(SignedWebhookTypeTest, AMissingSecretIsRefusedNamingItsVariable) {
  host_.secrets["EU_SECRET"] = std::nullopt;
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("secret_env: the environment variable EU_SECRET")));
  host_.secrets["EU_SECRET"] = "";
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("EU_SECRET")));
}

TEST_F(SignedWebhookTypeTest, AMappingThatIsNotForOrdersOrAnUnknownSchemeIsRefused) {
  settings_.Set("mapping",
                std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/easypost-tracker.yaml");
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("maps to tracking; a channel takes orders")));
  settings_.Set("mapping", "/nonexistent/shopify-order.yaml");
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("mapping: ")));
  settings_.Set("mapping",
                std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/shopify-order.yaml");
  settings_.Set("signature", "md5");
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature: ")));
  settings_.Set("signature", "hmac-sha256");
  settings_.Set("header", "X-Signature");
  settings_.Set("encoding", "hex");
  settings_.Set("timestamp_header", "X-Signed-At");
  settings_.Set("max_age_ms", "60000");
  absl::StatusOr<std::unique_ptr<Connector>> made = Create();
  ASSERT_TRUE(made.ok()) << made.status();
  const WebhookChannel& c = dynamic_cast<WebhookConnector&>(**made).channel();
  EXPECT_EQ(c.signature.encoding, WebhookSignature::Encoding::kHex);
  EXPECT_EQ(c.signature.timestamp_header, "x-signed-at");
  EXPECT_EQ(c.signature.max_age, absl::Minutes(1));
}

}  // namespace
}  // namespace disthub::connectors
