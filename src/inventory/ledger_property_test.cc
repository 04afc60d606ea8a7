// Random sequences of reserve, release, consume, transfer, deltas and snapshots —
// repeated and out of order — checked after every step against a deliberately simple
// model of what the ledger must hold.
#include <map>
#include <random>
#include <string>
#include <tuple>

#include "gtest/gtest.h"
#include "inventory/ledger.h"

namespace disthub::inventory {
namespace {

const char* const kSkus[] = {"A", "B", "C"};
const char* const kLocations[] = {"east", "west", "3pl"};
const char* const kChannels[] = {"b2b", "market", "edi"};

// The model: plain maps, no allocation logic. It follows what the ledger reports applied
// and checks that each report is possible.
struct Model {
  struct Pos {
    int64_t on_hand = 0, safety = 0, last_seq = 0;
  };
  struct Res {
    std::string sku;
    int64_t quantity = 0, consumed = 0;
    ReservationState state = ReservationState::kActive;
    int64_t Held() const { return state == ReservationState::kActive ? quantity - consumed : 0; }
  };
  std::map<std::pair<std::string, std::string>, Pos> pos;        // sku, location
  std::map<std::tuple<std::string, int, std::string>, Res> res;  // order, line, loc
  std::map<std::pair<std::string, std::string>, bool> shrunk;    // shrink seen

  int64_t Held(const std::string& sku, const std::string& loc) const {
    int64_t h = 0;
    for (const auto& [k, r] : res) {
      if (std::get<2>(k) == loc && r.sku == sku) h += r.Held();
    }
    return h;
  }
};

class LedgerPropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(LedgerPropertyTest, RandomCommandsKeepEveryInvariant) {
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()));
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Ledger ledger;
  ledger.SetChannelRules({{.channel = "market", .share_percent = 80, .holdback = 2},
                          {.channel = "edi", .excluded_locations = {"east"}}});
  Model model;
  std::map<std::pair<std::string, std::string>, int64_t> next_seq;
  int applied = 0, unchanged = 0, refused = 0;

  for (int step = 0; step < 3000; ++step) {
    SCOPED_TRACE(testing::Message() << "seed " << GetParam() << " step " << step);
    std::string sku = kSkus[pick(3)], loc = kLocations[pick(3)];
    std::string order = "o" + std::to_string(pick(40));
    int line = 1 + pick(2);
    Ledger before = ledger;
    Result r;
    int op = pick(10);
    // Reserve with the sellable and per-location ATP known beforehand, to check the grant.
    std::string channel = kChannels[pick(3)];
    int64_t sellable_before = ledger.Sellable(channel, sku);
    std::map<std::string, int64_t> atp_before;
    for (const Position& p : ledger.Positions(sku)) atp_before[p.location] = p.Atp();

    if (op <= 2) {
      ReserveRequest req{.order_id = order,
                         .line = line,
                         .sku = sku,
                         .channel = channel,
                         .quantity = 1 + pick(8),
                         .allow_split = pick(2) == 0};
      if (pick(3) == 0) {  // locations asked for, sometimes the same one twice
        for (int k = 1 + pick(3); k > 0; --k) req.locations.push_back(kLocations[pick(3)]);
      }
      r = ledger.Reserve(req);
      if (r.outcome == Outcome::kApplied) {
        EXPECT_LE(req.quantity, sellable_before);
        int64_t total = 0;
        for (const Reservation& x : r.reservations) {
          EXPECT_LE(x.quantity, atp_before[x.location]) << "took more than the location had";
          EXPECT_NE(channel == "edi" ? x.location : "", "east") << "excluded location";
          total += x.quantity;
          model.res[{order, line, x.location}] = {sku, x.quantity, 0, ReservationState::kActive};
        }
        EXPECT_EQ(total, req.quantity);
        if (!req.allow_split) {
          EXPECT_EQ(r.reservations.size(), 1u);
        }
      }
    } else if (op == 3) {
      r = ledger.Release(order, line);
      for (const Reservation& x : r.reservations) {
        auto& m = model.res.at({order, line, x.location});
        EXPECT_EQ(m.state, ReservationState::kActive);
        m.state = ReservationState::kReleased;
      }
    } else if (op == 4) {
      int64_t q = 1 + pick(4);
      r = ledger.Consume(order, line, loc, q);
      if (r.outcome == Outcome::kApplied) {
        auto& m = model.res.at({order, line, loc});
        EXPECT_LE(q, m.Held());
        m.consumed += q;
        if (m.consumed == m.quantity) m.state = ReservationState::kConsumed;
        auto& p = model.pos[{m.sku, loc}];
        p.on_hand = std::max<int64_t>(0, p.on_hand - q);
      }
    } else if (op == 5) {
      std::string to = kLocations[pick(3)];
      r = ledger.Transfer(order, line, loc, to);
      if (r.outcome == Outcome::kApplied) {
        auto& src = model.res.at({order, line, loc});
        int64_t units = src.Held();
        const Position* dst_before = before.FindPosition(src.sku, to);
        EXPECT_LE(units, dst_before == nullptr ? 0 : dst_before->Atp());
        src.quantity -= units;
        src.state = src.consumed > 0 ? ReservationState::kConsumed : ReservationState::kReleased;
        auto& dst = model.res[{order, line, to}];
        if (dst.sku.empty()) dst.sku = src.sku;
        if (dst.state == ReservationState::kReleased) dst.quantity = dst.consumed;
        dst.state = ReservationState::kActive;
        dst.quantity += units;
      }
    } else {
      // Deltas and snapshots, sometimes replayed late with an old sequence number.
      int64_t& seq = next_seq[{sku, loc}];
      bool late = seq > 2 && pick(4) == 0;
      int64_t s = late ? seq - 1 - pick(2) : ++seq;
      StockUpdate u{.sku = sku, .location = loc, .sequence = s};
      if (op <= 7) {
        u.delta = pick(5) == 0 ? -pick(6) : pick(12);
      } else {
        u.on_hand = pick(30);
        if (op == 9) u.safety_stock = pick(3);
      }
      r = ledger.ApplyUpdate(u);
      auto& p = model.pos[{sku, loc}];
      if (s <= p.last_seq) {
        EXPECT_EQ(r.outcome, Outcome::kUnchanged) << "stale update applied";
      } else {
        EXPECT_EQ(r.outcome, Outcome::kApplied) << r.reason;
        int64_t old = p.on_hand;
        p.on_hand = u.delta ? std::max<int64_t>(0, p.on_hand + *u.delta) : *u.on_hand;
        if (u.safety_stock) p.safety = *u.safety_stock;
        p.last_seq = s;
        if (p.on_hand < old || u.safety_stock) model.shrunk[{sku, loc}] = true;
      }
    }
    (r.outcome == Outcome::kApplied     ? applied
     : r.outcome == Outcome::kUnchanged ? unchanged
                                        : refused)++;
    if (r.outcome != Outcome::kApplied) {
      EXPECT_FALSE(r.reason.empty());
      for (const char* s : kSkus) EXPECT_EQ(ledger.Positions(s), before.Positions(s));
    }
    // The same command again (a duplicate message) must change nothing. Updates carry
    // their sequence, commands their line: both are idempotent.
    if (r.outcome == Outcome::kApplied && op != 4 && pick(3) == 0) {
      Ledger after = ledger;
      Result again;
      if (op <= 2) {
        again = ledger.Reserve(ReserveRequest{.order_id = order, .line = line, .sku = sku,
                                              .channel = channel,
                                              .quantity = r.reservations.empty() ? 1 : [&] {
                                                int64_t t = 0;
                                                for (auto& x : r.reservations) t += x.quantity;
                                                return t;
                                              }(),
                                              .allow_split = true});
      } else if (op == 3) {
        again = ledger.Release(order, line);
      } else if (op == 5) {
        again = Result{.outcome = Outcome::kUnchanged, .reason = "skipped"};
      } else {
        StockUpdate u{.sku = sku, .location = loc, .sequence = next_seq[{sku, loc}]};
        u.delta = 1;
        again = ledger.ApplyUpdate(u);
      }
      EXPECT_NE(again.outcome, Outcome::kApplied) << again.reason;
      for (const char* s : kSkus) EXPECT_EQ(ledger.Positions(s), after.Positions(s));
    }

    // Invariants, against the model.
    ASSERT_TRUE(ledger.CheckInvariants().ok()) << ledger.CheckInvariants();
    for (const char* s : kSkus) {
      for (const char* l : kLocations) {
        const Position* p = ledger.FindPosition(s, l);
        const auto it = model.pos.find({s, l});
        int64_t on_hand = it == model.pos.end() ? 0 : it->second.on_hand;
        int64_t held = model.Held(s, l);
        if (p == nullptr) {
          EXPECT_EQ(on_hand, 0);
          EXPECT_EQ(held, 0);
          continue;
        }
        EXPECT_EQ(p->on_hand, on_hand) << s << "@" << l;
        EXPECT_EQ(p->reserved, held) << s << "@" << l;
        EXPECT_GE(p->Atp(), 0);
        // Reservations never exceed what the location can give, unless the warehouse
        // itself took the stock away afterwards (shrink), which the ledger reports.
        if (p->reserved <= p->on_hand - p->safety_stock) {
          model.shrunk[{s, l}] = false;
        } else {
          EXPECT_TRUE((model.shrunk[{s, l}])) << s << "@" << l << ": reserved " << p->reserved
                                              << " beyond on hand less safety stock";
        }
      }
      for (const char* c : kChannels) {
        EXPECT_GE(ledger.Sellable(c, s), 0);
        int64_t atp = 0;
        for (const Position& p : ledger.Positions(s)) atp += p.Atp();
        EXPECT_LE(ledger.Sellable(c, s), atp);
      }
    }
  }
  // The random walk must exercise every outcome, or it proves little.
  EXPECT_GT(applied, 500);
  EXPECT_GT(unchanged, 50);
  EXPECT_GT(refused, 50);
}

INSTANTIATE_TEST_SUITE_P(Seeds, LedgerPropertyTest, ::testing::Range(1, 9));

}  // namespace
}  // namespace disthub::inventory
