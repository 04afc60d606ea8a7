#include "api/auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;

Principal Portal() {
  return {.partner = "b2b-portal",
          .key_id = "primary",
          .scopes = {"orders:write"},
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
  EXPECT_THAT(keys.Add(Sha256Hex("s3cret"), Portal()), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(keys.Add("abc", Portal()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ApiKeys, AKeyRememberedAsValidStaysValidOnlyForItsOwnSetOfKeys) {
  ApiKeys first;
  ASSERT_OK(first.Add(Sha256Hex("s3cret"), Portal()));
  ASSERT_OK(first.Authenticate("Bearer s3cret"));  // now remembered by this thread
  ASSERT_OK_AND_ASSIGN(const Principal* again, first.Authenticate("Bearer s3cret"));
  EXPECT_EQ(again->partner, "b2b-portal");

  ApiKeys other;
  ASSERT_OK(other.Add(Sha256Hex("another"), Portal()));
  EXPECT_THAT(other.Authenticate("Bearer s3cret"),
              StatusIs(absl::StatusCode::kUnauthenticated, "the API key is not valid"));
  EXPECT_THAT(first.Authenticate("Bearer s3creT"),
              StatusIs(absl::StatusCode::kUnauthenticated, "the API key is not valid"));
  EXPECT_THAT(first.Authenticate("Bearer s3cre"),
              StatusIs(absl::StatusCode::kUnauthenticated, "the API key is not valid"));

  // A moved set answers with its own principals, never with the source's.
  ApiKeys moved = std::move(first);
  ASSERT_OK_AND_ASSIGN(const Principal* p, moved.Authenticate("Bearer s3cret"));
  EXPECT_EQ(p->key_id, "primary");
  ASSERT_OK(moved.Add(Sha256Hex("third"), Principal{.partner = "p3", .key_id = "k3"}));
  ASSERT_OK_AND_ASSIGN(p, moved.Authenticate("Bearer s3cret"));
  EXPECT_EQ(p->partner, "b2b-portal");
  ASSERT_OK_AND_ASSIGN(p, moved.Authenticate("Bearer third"));
  EXPECT_EQ(p->partner, "p3");
}

}  // namespace
}  // namespace disthub
