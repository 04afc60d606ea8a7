#include "inventory/ledger.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::inventory {
namespace {

using ::testing::HasSubstr;

absl::Time At(int seconds) { return absl::FromUnixSeconds(1'800'000'000 + seconds); }

StockUpdate OnHand(std::string sku, std::string location, int64_t units, int64_t seq) {
  return StockUpdate{
      .sku = std::move(sku), .location = std::move(location), .on_hand = units, .sequence = seq};
}
StockUpdate Delta(std::string sku, std::string location, int64_t units, int64_t seq) {
  return StockUpdate{
      .sku = std::move(sku), .location = std::move(location), .delta = units, .sequence = seq};
}
ReserveRequest Req(std::string order, int line, int64_t qty, std::string channel = "b2b") {
  return ReserveRequest{.order_id = std::move(order),
                        .line = line,
                        .sku = "HS-1",
                        .channel = std::move(channel),
                        .quantity = qty};
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ledger_.ApplyUpdate(OnHand("HS-1", "wh-east", 10, 1)).outcome, Outcome::kApplied);
    ASSERT_EQ(ledger_.ApplyUpdate(OnHand("HS-1", "wh-west", 4, 1)).outcome, Outcome::kApplied);
  }
  void TearDown() override {
    EXPECT_TRUE(ledger_.CheckInvariants().ok()) << ledger_.CheckInvariants();
  }
  int64_t Reserved(const std::string& location) {
    return ledger_.FindPosition("HS-1", location)->reserved;
  }
  int64_t OnHandAt(const std::string& location) {
    return ledger_.FindPosition("HS-1", location)->on_hand;
  }
  Ledger ledger_;
};

TEST_F(LedgerTest, AtpIsOnHandLessReservedLessSafetyNeverBelowZero) {
  ASSERT_EQ(ledger_.SetSafetyStock("HS-1", "wh-east", 3).outcome, Outcome::kApplied);
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 5)).outcome, Outcome::kApplied);
  EXPECT_EQ(ledger_.FindPosition("HS-1", "wh-east")->Atp(), 2);
  ASSERT_EQ(ledger_.ApplyUpdate(Delta("HS-1", "wh-east", -6, 2)).outcome, Outcome::kApplied);
  const Position* p = ledger_.FindPosition("HS-1", "wh-east");
  EXPECT_EQ(p->on_hand, 4);
  EXPECT_EQ(p->Atp(), 0);
  EXPECT_EQ(p->Short(), 4);  // 5 reserved, 4 on hand, 3 held as safety stock
}

TEST_F(LedgerTest, ReserveTakesOneLocationThatHasItAll) {
  Result r = ledger_.Reserve(Req("o1", 1, 6));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  ASSERT_EQ(r.reservations.size(), 1u);
  EXPECT_EQ(r.reservations[0].location, "wh-east");
  EXPECT_EQ(r.reservations[0].Id(), "o1/1@wh-east");
  EXPECT_EQ(Reserved("wh-east"), 6);
  EXPECT_EQ(Reserved("wh-west"), 0);
  ASSERT_EQ(r.positions.size(), 1u);
  EXPECT_EQ(r.positions[0].reserved, 6);
}

TEST_F(LedgerTest, ReserveNeverSumsAcrossLocationsUnlessSplitIsAllowed) {
  // 14 in total, but no single location has 12.
  Result r = ledger_.Reserve(Req("o1", 1, 12));
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("no single location has 12"));
  EXPECT_EQ(Reserved("wh-east"), 0);

  ReserveRequest split = Req("o1", 1, 12);
  split.allow_split = true;
  r = ledger_.Reserve(split);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  ASSERT_EQ(r.reservations.size(), 2u);
  EXPECT_EQ(Reserved("wh-east"), 10);
  EXPECT_EQ(Reserved("wh-west"), 2);
}

TEST_F(LedgerTest, ReserveFollowsTheLocationsAskedFor) {
  ReserveRequest req = Req("o1", 1, 3);
  req.locations = {"wh-west", "wh-east"};
  Result r = ledger_.Reserve(req);
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.reservations[0].location, "wh-west");
  req = Req("o2", 1, 5);
  req.locations = {"wh-west"};
  r = ledger_.Reserve(req);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("no single location has 5 of HS-1 (most: 1 at wh-west)"));
  req.quantity = 1;
  EXPECT_EQ(ledger_.Reserve(req).outcome, Outcome::kApplied);
}

TEST_F(LedgerTest, ALocationNamedTwiceGivesItsStockOnce) {
  // Found by the concurrency test: west (4) was split-taken twice for 6 units.
  ReserveRequest req = Req("o1", 1, 6);
  req.locations = {"wh-west", "wh-west"};
  req.allow_split = true;
  Result r = ledger_.Reserve(req);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "the locations asked for have 4 of HS-1; 6 asked");
  EXPECT_EQ(Reserved("wh-west"), 0);
  req = Req("o1", 1, 12);
  req.locations = {"wh-west", "wh-east", "wh-west"};
  req.allow_split = true;
  ASSERT_EQ(ledger_.Reserve(req).outcome, Outcome::kApplied);
  EXPECT_EQ(Reserved("wh-west"), 4);
  EXPECT_EQ(Reserved("wh-east"), 8);
}

TEST_F(LedgerTest, ReserveMoreThanTheChannelMaySellIsRefusedWithTheNumbers) {
  Result r = ledger_.Reserve(Req("o1", 1, 15));
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "channel b2b may sell 14 of HS-1; 15 asked");
  EXPECT_EQ(ledger_.Reserve(Req("o1", 1, 0)).outcome, Outcome::kRefused);
  r = ledger_.Reserve(
      ReserveRequest{.order_id = "o1", .line = 1, .sku = "NOPE", .channel = "b2b", .quantity = 1});
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("may sell 0 of NOPE"));
}

TEST_F(LedgerTest, ChannelRulesShareHoldbackAndExclusion) {
  ledger_.SetChannelRules({
      {.channel = "marketplace-a", .share_percent = 80, .holdback = 5},
      {.channel = "marketplace-b", .share_percent = 60},
      {.channel = "edi", .excluded_locations = {"wh-east"}},
  });
  EXPECT_EQ(ledger_.Sellable("marketplace-a", "HS-1"), 9);  // min(80% of 14 = 11, 14 - 5)
  EXPECT_EQ(ledger_.Sellable("marketplace-b", "HS-1"), 8);  // 60% of 14, rounded down
  EXPECT_EQ(ledger_.Sellable("edi", "HS-1"), 4);            // wh-west only
  EXPECT_EQ(ledger_.Sellable("anyone-else", "HS-1"), 14);
  ReserveRequest req = Req("o1", 1, 4, "edi");
  req.allow_split = true;
  Result r = ledger_.Reserve(req);
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.reservations[0].location, "wh-west");
  EXPECT_EQ(ledger_.Sellable("edi", "HS-1"), 0);
  EXPECT_EQ(ledger_.Sellable("marketplace-a", "HS-1"), 5);  // min(8, 10 - 5)
  ledger_.SetChannelRules({{.channel = "marketplace-a", .share_percent = 80, .holdback = 5}});
  EXPECT_EQ(ledger_.Reserve(Req("o2", 1, 6, "marketplace-a")).outcome, Outcome::kRefused);
  EXPECT_EQ(ledger_.Reserve(Req("o2", 1, 5, "marketplace-a")).outcome, Outcome::kApplied);
}

// --- Every command from every state of a line ---------------------------------------------

enum class LineState { kNone, kActive, kPartlyShipped, kShipped, kReleased };

class LineStateTest : public LedgerTest, public ::testing::WithParamInterface<LineState> {
 protected:
  // Puts o1 line 1 in the state under test: 4 units of HS-1 at wh-east.
  void Enter(LineState s) {
    if (s == LineState::kNone) return;
    ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 4)).outcome, Outcome::kApplied);
    if (s == LineState::kPartlyShipped) {
      ASSERT_EQ(ledger_.Consume("o1", 1, "wh-east", 1).outcome, Outcome::kApplied);
    }
    if (s == LineState::kShipped) {
      ASSERT_EQ(ledger_.Consume("o1", 1, "wh-east", 4).outcome, Outcome::kApplied);
    }
    if (s == LineState::kReleased) {
      ASSERT_EQ(ledger_.Release("o1", 1).outcome, Outcome::kApplied);
    }
  }
};

INSTANTIATE_TEST_SUITE_P(AllStates, LineStateTest,
                         ::testing::Values(LineState::kNone, LineState::kActive,
                                           LineState::kPartlyShipped, LineState::kShipped,
                                           LineState::kReleased),
                         [](const auto& info) {
                           switch (info.param) {
                             case LineState::kNone:
                               return std::string("None");
                             case LineState::kActive:
                               return std::string("Active");
                             case LineState::kPartlyShipped:
                               return std::string("PartlyShipped");
                             case LineState::kShipped:
                               return std::string("Shipped");
                             case LineState::kReleased:
                               return std::string("Released");
                           }
                           return std::string("Unknown");
                         });

// Runs `command` and, unless it was applied, checks that nothing changed.
template <typename Command>
Result RunAndCheckUnchangedUnlessApplied(Ledger& ledger, Command command) {
  Ledger before = ledger;
  Result r = command();
  if (r.outcome != Outcome::kApplied) {
    EXPECT_FALSE(r.reason.empty());
    EXPECT_TRUE(r.positions.empty());
    EXPECT_TRUE(r.reservations.empty());
    EXPECT_EQ(ledger.Positions("HS-1"), before.Positions("HS-1"));
    EXPECT_EQ(ledger.Reservations("o1", 1), before.Reservations("o1", 1));
  }
  return r;
}

TEST_P(LineStateTest, ReserveSameQuantity) {
  Enter(GetParam());
  Result r =
      RunAndCheckUnchangedUnlessApplied(ledger_, [&] { return ledger_.Reserve(Req("o1", 1, 4)); });
  switch (GetParam()) {
    case LineState::kNone:
    case LineState::kReleased:  // a released line may be reserved again (backorder re-check)
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 4);
      break;
    case LineState::kActive:
      EXPECT_EQ(r.outcome, Outcome::kUnchanged);
      EXPECT_THAT(r.reason, HasSubstr("already holds 4"));
      break;
    case LineState::kPartlyShipped:
    case LineState::kShipped:
      EXPECT_EQ(r.outcome, Outcome::kRefused);
      EXPECT_THAT(r.reason, HasSubstr("already shipped"));
      break;
  }
}

TEST_P(LineStateTest, ReserveDifferentQuantity) {
  Enter(GetParam());
  Result r =
      RunAndCheckUnchangedUnlessApplied(ledger_, [&] { return ledger_.Reserve(Req("o1", 1, 2)); });
  if (GetParam() == LineState::kNone || GetParam() == LineState::kReleased) {
    EXPECT_EQ(r.outcome, Outcome::kApplied);
    EXPECT_EQ(Reserved("wh-east"), 2);
  } else {
    EXPECT_EQ(r.outcome, Outcome::kRefused);
  }
}

TEST_P(LineStateTest, Release) {
  Enter(GetParam());
  Result r = RunAndCheckUnchangedUnlessApplied(ledger_, [&] { return ledger_.Release("o1", 1); });
  switch (GetParam()) {
    case LineState::kNone:
      EXPECT_EQ(r.outcome, Outcome::kUnchanged);
      EXPECT_THAT(r.reason, HasSubstr("holds no reservation"));
      break;
    case LineState::kActive:
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 0);
      EXPECT_EQ(r.reservations[0].state, ReservationState::kReleased);
      break;
    case LineState::kPartlyShipped:  // the 3 not shipped go back; the 1 shipped stays shipped
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 0);
      EXPECT_EQ(OnHandAt("wh-east"), 9);
      EXPECT_EQ(r.reservations[0].consumed, 1);
      break;
    case LineState::kShipped:
      EXPECT_EQ(r.outcome, Outcome::kUnchanged);
      EXPECT_THAT(r.reason, HasSubstr("has shipped; there is nothing to release"));
      break;
    case LineState::kReleased:
      EXPECT_EQ(r.outcome, Outcome::kUnchanged);
      EXPECT_THAT(r.reason, HasSubstr("was already released"));
      break;
  }
}

TEST_P(LineStateTest, Consume) {
  Enter(GetParam());
  Result r = RunAndCheckUnchangedUnlessApplied(
      ledger_, [&] { return ledger_.Consume("o1", 1, "wh-east", 2); });
  switch (GetParam()) {
    case LineState::kNone:
      EXPECT_EQ(r.outcome, Outcome::kRefused);
      EXPECT_THAT(r.reason, HasSubstr("holds no reservation at wh-east"));
      break;
    case LineState::kActive:
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 2);
      EXPECT_EQ(OnHandAt("wh-east"), 8);
      EXPECT_EQ(r.reservations[0].state, ReservationState::kActive);
      break;
    case LineState::kPartlyShipped:
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 1);
      EXPECT_EQ(OnHandAt("wh-east"), 7);
      break;
    case LineState::kShipped:
      EXPECT_EQ(r.outcome, Outcome::kUnchanged);
      EXPECT_THAT(r.reason, HasSubstr("has shipped all"));
      break;
    case LineState::kReleased:
      EXPECT_EQ(r.outcome, Outcome::kRefused);
      EXPECT_THAT(r.reason, HasSubstr("was released; it cannot be shipped"));
      break;
  }
}

TEST_P(LineStateTest, ConsumeMoreThanHeldIsRefused) {
  Enter(GetParam());
  Result r = RunAndCheckUnchangedUnlessApplied(
      ledger_, [&] { return ledger_.Consume("o1", 1, "wh-east", 5); });
  EXPECT_NE(r.outcome, Outcome::kApplied);
}

TEST_P(LineStateTest, Transfer) {
  Enter(GetParam());
  Result r = RunAndCheckUnchangedUnlessApplied(
      ledger_, [&] { return ledger_.Transfer("o1", 1, "wh-east", "wh-west"); });
  switch (GetParam()) {
    case LineState::kNone:
    case LineState::kShipped:
    case LineState::kReleased:
      EXPECT_EQ(r.outcome, Outcome::kRefused);
      EXPECT_THAT(r.reason, HasSubstr("holds nothing at wh-east"));
      break;
    case LineState::kActive:
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 0);
      EXPECT_EQ(Reserved("wh-west"), 4);
      // Repeating it changes nothing.
      EXPECT_EQ(ledger_.Transfer("o1", 1, "wh-east", "wh-west").outcome, Outcome::kUnchanged);
      break;
    case LineState::kPartlyShipped:  // the 3 still held move; the shipped one stays east
      EXPECT_EQ(r.outcome, Outcome::kApplied);
      EXPECT_EQ(Reserved("wh-east"), 0);
      EXPECT_EQ(Reserved("wh-west"), 3);
      EXPECT_EQ(ledger_.Reservations("o1", 1)[0].state, ReservationState::kConsumed);
      break;
  }
}

TEST_F(LedgerTest, TransferNeedsAtpAtTheDestinationAndAChannelAllowedThere) {
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 5)).outcome, Outcome::kApplied);
  Result r = ledger_.Transfer("o1", 1, "wh-east", "wh-west");
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "wh-west has 4 of HS-1; 5 needed");
  ledger_.SetChannelRules({{.channel = "b2b", .excluded_locations = {"wh-west"}}});
  ASSERT_EQ(ledger_.Release("o1", 1).outcome, Outcome::kApplied);
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 2)).outcome, Outcome::kApplied);
  r = ledger_.Transfer("o1", 1, "wh-east", "wh-west");
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "channel b2b may not sell from wh-west");
}

// --- Warehouse updates ------------------------------------------------------------------

TEST_F(LedgerTest, StaleUpdatesBySequenceAreNotApplied) {
  EXPECT_EQ(ledger_.ApplyUpdate(Delta("HS-1", "wh-east", 5, 3)).outcome, Outcome::kApplied);
  EXPECT_EQ(OnHandAt("wh-east"), 15);
  Result late = ledger_.ApplyUpdate(Delta("HS-1", "wh-east", -2, 2));  // arrived after 3
  EXPECT_EQ(late.outcome, Outcome::kUnchanged);
  EXPECT_THAT(late.reason, HasSubstr("stale: sequence 2 is not after 3"));
  EXPECT_EQ(ledger_.ApplyUpdate(Delta("HS-1", "wh-east", 5, 3)).outcome, Outcome::kUnchanged);
  EXPECT_EQ(OnHandAt("wh-east"), 15);
  EXPECT_EQ(ledger_.ApplyUpdate(OnHand("HS-1", "wh-east", 7, 4)).outcome, Outcome::kApplied);
  EXPECT_EQ(OnHandAt("wh-east"), 7);
}

TEST_F(LedgerTest, StaleUpdatesByTimestampAreNotApplied) {
  StockUpdate snap{.sku = "HS-1", .location = "3pl", .on_hand = 50, .as_of = At(100)};
  ASSERT_EQ(ledger_.ApplyUpdate(snap).outcome, Outcome::kApplied);
  // A delta from before the snapshot is already counted in it.
  StockUpdate old{.sku = "HS-1", .location = "3pl", .delta = -3, .as_of = At(90)};
  Result r = ledger_.ApplyUpdate(old);
  EXPECT_EQ(r.outcome, Outcome::kUnchanged);
  EXPECT_THAT(r.reason, HasSubstr("stale: as of"));
  StockUpdate newer{.sku = "HS-1", .location = "3pl", .delta = -3, .as_of = At(110)};
  EXPECT_EQ(ledger_.ApplyUpdate(newer).outcome, Outcome::kApplied);
  EXPECT_EQ(ledger_.FindPosition("HS-1", "3pl")->on_hand, 47);
}

TEST_F(LedgerTest, MalformedUpdatesAreRefused) {
  EXPECT_EQ(
      ledger_.ApplyUpdate(StockUpdate{.sku = "HS-1", .location = "wh-east", .sequence = 9}).outcome,
      Outcome::kRefused);
  EXPECT_EQ(
      ledger_.ApplyUpdate(StockUpdate{.sku = "HS-1", .location = "wh-east", .delta = 1}).outcome,
      Outcome::kRefused);
  EXPECT_EQ(ledger_.ApplyUpdate(OnHand("HS-1", "wh-east", -1, 9)).outcome, Outcome::kRefused);
  EXPECT_EQ(OnHandAt("wh-east"), 10);
}

TEST_F(LedgerTest, ADeltaBelowZeroKeepsOnHandAtZeroAndSaysSo) {
  Result r = ledger_.ApplyUpdate(Delta("HS-1", "wh-west", -9, 2));
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_THAT(r.reason, HasSubstr("on hand would be -5; kept at 0"));
  EXPECT_EQ(OnHandAt("wh-west"), 0);
}

TEST_F(LedgerTest, ALineKeepsItsSku) {
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 2)).outcome, Outcome::kApplied);
  ReserveRequest other{.order_id = "o1", .line = 1, .sku = "HS-2", .channel = "b2b", .quantity = 2};
  Result r = ledger_.Reserve(other);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "o1 line 1 is for HS-1, not HS-2");
  ASSERT_EQ(ledger_.Release("o1", 1).outcome, Outcome::kApplied);
  r = ledger_.Reserve(other);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.reason, "o1 line 1 was reserved for another SKU, not HS-2");
}

TEST_F(LedgerTest, FinishedLinesLeaveMemoryButStillAnswerRepeats) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ledger_.Reserve(Req("o" + std::to_string(i), 1, 1)).outcome, Outcome::kApplied);
  }
  EXPECT_EQ(ledger_.reservation_count(), 3u);
  ASSERT_EQ(ledger_.Release("o0", 1).outcome, Outcome::kApplied);
  ASSERT_EQ(ledger_.Consume("o1", 1, "wh-east", 1).outcome, Outcome::kApplied);
  EXPECT_EQ(ledger_.reservation_count(), 1u);  // only o2 still holds units
  EXPECT_THAT(ledger_.Release("o0", 1).reason, HasSubstr("was already released"));
  EXPECT_THAT(ledger_.Release("o1", 1).reason, HasSubstr("has shipped"));
  EXPECT_EQ(ledger_.Consume("o1", 1, "wh-east", 1).outcome, Outcome::kUnchanged);
  EXPECT_EQ(ledger_.Consume("o0", 1, "wh-east", 1).outcome, Outcome::kRefused);
  EXPECT_EQ(ledger_.Reserve(Req("o1", 1, 1)).outcome, Outcome::kRefused);
  EXPECT_EQ(ledger_.Reserve(Req("o0", 1, 1)).outcome, Outcome::kApplied);  // re-reserved
  EXPECT_EQ(ledger_.reservation_count(), 2u);
  // Loading keeps only lines that hold units.
  Ledger loaded;
  for (const Position& p : ledger_.Positions("HS-1")) loaded.LoadPosition(p);
  loaded.LoadReservation({.order_id = "x",
                          .line = 1,
                          .sku = "HS-1",
                          .location = "wh-east",
                          .quantity = 2,
                          .consumed = 2,
                          .state = ReservationState::kConsumed});
  loaded.RetireFinishedLines();
  EXPECT_EQ(loaded.reservation_count(), 0u);
  EXPECT_EQ(loaded.Reserve(Req("x", 1, 1)).outcome, Outcome::kRefused);
}

TEST_F(LedgerTest, SaveAndRestorePutBackWhatACommandChanged) {
  Ledger before = ledger_;
  Ledger::Saved saved = ledger_.Save("HS-1", "o1", 1);
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 3)).outcome, Outcome::kApplied);
  ledger_.Restore(std::move(saved));
  EXPECT_EQ(ledger_.Positions("HS-1"), before.Positions("HS-1"));
  EXPECT_TRUE(ledger_.Reservations("o1", 1).empty());
  saved = ledger_.Save("NEW");
  ASSERT_EQ(ledger_.ApplyUpdate(OnHand("NEW", "wh-east", 1, 1)).outcome, Outcome::kApplied);
  ledger_.Restore(std::move(saved));
  EXPECT_EQ(ledger_.FindPosition("NEW", "wh-east"), nullptr);
}

TEST_F(LedgerTest, LoadingRebuildsReservedFromTheReservations) {
  Ledger copy;
  for (const Position& p : ledger_.Positions("HS-1")) copy.LoadPosition(p);
  ASSERT_EQ(ledger_.Reserve(Req("o1", 1, 3)).outcome, Outcome::kApplied);
  for (const Reservation& r : ledger_.Reservations("o1", 1)) copy.LoadReservation(r);
  EXPECT_TRUE(copy.CheckInvariants().ok());
  EXPECT_EQ(copy.FindPosition("HS-1", "wh-east")->reserved, 3);
  EXPECT_EQ(copy.Sellable("b2b", "HS-1"), ledger_.Sellable("b2b", "HS-1"));
}

}  // namespace
}  // namespace disthub::inventory
