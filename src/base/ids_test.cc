#include "base/ids.h"

#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace disthub {
namespace {

TEST(IdGenerator, IdsCarryPrefixAndTwentySixSortableCharacters) {
  FakeClock clock;
  IdGenerator ids(&clock);
  std::string id = ids.Next("ord");
  ASSERT_EQ(id.size(), 4u + 26u);
  EXPECT_EQ(id.substr(0, 4), "ord_");
  EXPECT_EQ(IdMillis(id), absl::ToUnixMillis(clock.Now()));
}

TEST(IdGenerator, IdsStrictlyIncreaseWithinAMillisecondAndWhenTheClockStepsBack) {
  FakeClock clock;
  IdGenerator ids(&clock);
  std::string prev = ids.Next("x");
  for (int i = 0; i < 10'000; ++i) {
    if (i == 5'000) clock.Advance(absl::Seconds(-30));  // the clock steps backwards
    if (i % 1'000 == 0) clock.Advance(absl::Milliseconds(1));
    std::string next = ids.Next("x");
    ASSERT_LT(prev, next) << "at " << i;
    prev = next;
  }
}

TEST(IdGenerator, LaterTimesSortLater) {
  FakeClock clock;
  IdGenerator a(&clock), b(&clock);
  std::string first = a.Next("ord");
  clock.Advance(absl::Milliseconds(1));
  EXPECT_LT(first, b.Next("ord"));  // even across generators
}

TEST(IdGenerator, ConcurrentCallersNeverGetTheSameId) {
  IdGenerator ids;
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 5'000; ++i) out.push_back(ids.Next("o"));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& out : got) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 20'000u);
}

TEST(IdMillis, RejectsStringsThatAreNotIds) {
  EXPECT_EQ(IdMillis("ord_short"), -1);
  EXPECT_EQ(IdMillis("ord_0000000000000000000000000!"), -1);
}

}  // namespace
}  // namespace disthub
