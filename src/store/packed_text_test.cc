#include "store/packed_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

std::string Order(int lines) {
  std::string s = R"({"channel":"b2b-portal","channel_order_ref":"PO-88231","lines":[)";
  for (int i = 0; i < lines; ++i) {
    if (i) s += ',';
    s +=
        R"({"sku":"HBR-)" + std::to_string(1000 + i) +
        R"(","quantity":{"value":12,"uom":"each"},"unit_price":{"amount_minor":1299,"currency":"USD"}})";
  }
  return s + "]}";
}

TEST(PackedText, ATypicalOrderPacksToLessThanHalfAndUnpacksToTheSameBytes) {
  const std::string order = Order(20);
  std::string packed;
  ASSERT_TRUE(PackText(order, packed));
  EXPECT_LT(packed.size(), order.size() / 2);
  ASSERT_OK_AND_ASSIGN(std::string back, UnpackText(packed));
  EXPECT_EQ(back, order);
}

TEST(PackedText, ShortTextAndTextThatDoesNotShrinkAreKeptAsText) {
  std::string packed = "untouched";
  EXPECT_FALSE(PackText(R"({"id":"ord_1"})", packed));
  std::string noise;
  uint64_t x = 0x9e3779b97f4a7c15;
  for (int i = 0; i < 4096; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    noise += static_cast<char>(x & 0xff);
  }
  EXPECT_FALSE(PackText(noise, packed));
}

TEST(PackedText, TheBufferIsReusedAcrossCalls) {
  std::string packed;
  ASSERT_TRUE(PackText(Order(40), packed));
  const std::string big = packed;
  ASSERT_TRUE(PackText(Order(5), packed));
  EXPECT_LT(packed.size(), big.size());
  ASSERT_OK_AND_ASSIGN(std::string back, UnpackText(packed));
  EXPECT_EQ(back, Order(5));
}

// PackText remembers the last text it packed (an order's body is packed again as its
// event's payload): a repeat gives the same bytes, and a different text is never mistaken
// for it.
TEST(PackedText, ARepeatGivesTheSameBytesAndAnotherTextItsOwn) {
  const std::string a = Order(20), b = Order(21);
  std::string first, again, other, small = "kept";
  ASSERT_TRUE(PackText(a, first));
  ASSERT_TRUE(PackText(a, again));
  EXPECT_EQ(again, first);
  ASSERT_TRUE(PackText(b, other));
  EXPECT_NE(other, first);
  ASSERT_OK_AND_ASSIGN(std::string back, UnpackText(other));
  EXPECT_EQ(back, b);
  std::string same_size = a;
  same_size[same_size.size() / 2] = 'X';
  ASSERT_TRUE(PackText(a, first));
  ASSERT_TRUE(PackText(same_size, other));
  ASSERT_OK_AND_ASSIGN(back, UnpackText(other));
  EXPECT_EQ(back, same_size);
  EXPECT_FALSE(PackText(R"({"id":"ord_1"})", small));  // too short, whatever came before
  EXPECT_EQ(small, "kept");
}

TEST(PackedText, PackedAheadIsWhatTheWriterWouldStoreAndChecksAgainstItsTextOnly) {
  const std::string order = Order(20);
  const std::string ahead = PackAhead(order);
  std::string on_the_writer;
  ASSERT_TRUE(PackText(order, on_the_writer));
  EXPECT_EQ(ahead, on_the_writer);
  EXPECT_TRUE(PacksTo(ahead, order));
  std::string other = order;  // same length, one byte different
  other[other.size() / 2] = 'X';
  EXPECT_FALSE(PacksTo(ahead, other));
  EXPECT_FALSE(PacksTo(ahead, Order(21)));
  EXPECT_FALSE(PacksTo(ahead.substr(0, ahead.size() - 3), order));
  EXPECT_FALSE(PacksTo("", order));
  EXPECT_EQ(PackAhead(R"({"id":"ord_1"})"), "");  // kept as text
}

TEST(PackedText, DamageIsDataLossNotGarbage) {
  std::string packed;
  ASSERT_TRUE(PackText(Order(20), packed));
  EXPECT_THAT(UnpackText("\x07whatever"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not a packed document")));
  EXPECT_THAT(UnpackText(packed.substr(0, packed.size() / 2)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not unpack")));
  std::string lying = packed;
  lying[1] = static_cast<char>(lying[1] + 1);  // a length one byte off
  EXPECT_THAT(UnpackText(lying), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(UnpackText(""), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace disthub
