#include "connectors/webhook.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
                              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=").ok());
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing!",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=").ok());
  EXPECT_FALSE(VerifySignature(*s, "jefe", "what do ya want for nothing?",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=").ok());
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
  EXPECT_THAT(SignatureScheme("hmac-sha256"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(SignatureScheme("hmac-sha256", "X-S", "base32"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64 or hex")));
  EXPECT_THAT(SignatureScheme("md5"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shopify")));
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
  EXPECT_THAT(VerifySignature(*s, "k", body, sig, "1800000000", now + absl::Minutes(6)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("outside the 5m replay window")));
  // A replay with a fresh time fails the signature.
  EXPECT_THAT(VerifySignature(*s, "k", body, sig, "1800000360", now + absl::Minutes(6)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("is not the HMAC-SHA256")));
  EXPECT_THAT(VerifySignature(*s, "k", body, sig, "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("x-timestamp header is missing")));
  EXPECT_THAT(SignatureScheme("shopify", "", "", "", "X-Shopify-Triggered-At"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signs the body alone")));
}

}  // namespace
}  // namespace disthub::connectors
