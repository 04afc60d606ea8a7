#include "api/auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;

Principal Portal() {
  return {.partner = "b2b-portal", .key_id = "primary", .scopes = {"orders:write"},
          .channels = {"b2b-portal"}};
}

TEST(Sha256Hex, MatchesTheKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeys, AuthenticatesABearerKeyByItsDigest) {
  ApiKeys keys;
  ASSERT_OK(keys.Add(Sha256Hex("s3cret"), Portal()));
  ASSERT_OK_AND_ASSIGN(const Principal* p, keys.Authenticate("Bearer s3cret"));
  EXPECT_EQ(p->partner, "b2b-portal");
  EXPECT_TRUE(p->HasScope("orders:write"));
  EXPECT_FALSE(p->HasScope("orders:read"));
  EXPECT_TRUE(p->MayUseChannel("b2b-portal"));
  EXPECT_FALSE(p->MayUseChannel("dtc-web"));
  EXPECT_OK(keys.Authenticate("bearer s3cret"));  // the scheme is case-insensitive
}

TEST(ApiKeys, RefusesMissingMalformedAndUnknownKeys) {
  ApiKeys keys;
  ASSERT_OK(keys.Add(Sha256Hex("s3cret"), Portal()));
  EXPECT_THAT(keys.Authenticate(""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(keys.Authenticate("Basic czNjcmV0"),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::HasSubstr("Bearer")));
  EXPECT_THAT(keys.Authenticate("Bearer wrong"),
              StatusIs(absl::StatusCode::kUnauthenticated, "the API key is not valid"));
}

TEST(ApiKeys, RefusesTheSameKeyTwiceAndMalformedDigests) {
  ApiKeys keys;
  ASSERT_OK(keys.Add(Sha256Hex("s3cret"), Portal()));
  EXPECT_THAT(keys.Add(Sha256Hex("s3cret"), Portal()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(keys.Add("abc", Portal()), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace disthub
