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
                              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="));
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing!",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="));
  EXPECT_FALSE(VerifySignature(*s, "jefe", "what do ya want for nothing?",
                               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="));
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", ""));
  EXPECT_FALSE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", "W9zB"));
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
  EXPECT_TRUE(VerifySignature(*s, "Jefe", "what do ya want for nothing?", upper));
  EXPECT_THAT(SignatureScheme("hmac-sha256"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(SignatureScheme("hmac-sha256", "X-S", "base32"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64 or hex")));
  EXPECT_THAT(SignatureScheme("md5"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shopify")));
  EXPECT_EQ(SignatureScheme("woocommerce")->header, "x-wc-webhook-signature");
}

}  // namespace
}  // namespace disthub::connectors
