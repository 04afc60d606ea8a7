// The inventory ledger: stock positions per SKU and location, the hub's reservations
// against them, and the per-channel allocation rules that say what each channel may
// sell. DESIGN.md (Inventory) is the model; this is its in-memory engine.
//
//   on hand    owned by the warehouse (WMS or 3PL): changed by adjustments, snapshots
//              and shipments (Consume)
//   reserved   owned by the hub: the sum of the active reservations at the location,
//              each one a ledger entry per order line and location, never a bare counter
//   safety     held back from every channel
//   ATP        on hand - reserved - safety stock, never below zero
//
// Every command is idempotent and valid only from the states where it makes sense: a
// command that would change nothing (a repeat, releasing a released reservation) returns
// kUnchanged with the reason, one that cannot be honoured (not enough stock, releasing a
// shipped line) returns kRefused with the reason; neither changes anything. The
// availability check and the reservation are one step of one allocator, per location,
// so a reservation is never taken from a location that does not have the units.
//
// Each result lists the positions and reservations it changed, so a durable layer can
// write exactly those rows in the same transaction as the command's events.
//
// Thread-safety: none; one thread owns a Ledger (the store's writer thread in the hub).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace disthub::inventory {

// One SKU at one location.
struct Position {
  std::string sku;
  std::string location;
  int64_t on_hand = 0;       // units in the building, as the warehouse last told us
  int64_t reserved = 0;      // sum of the active reservations here (kept equal by the ledger)
  int64_t safety_stock = 0;  // never promised to any channel
  int64_t inbound = 0;       // expected receipts, informational: not promised
  // The newest warehouse update applied here, by the source's own ordering. An update
  // older than these is recorded as stale and not applied.
  int64_t last_sequence = 0;                     // 0: none seen
  absl::Time last_as_of = absl::InfinitePast();  // InfinitePast: none seen

  // Available to promise: on hand - reserved - safety stock, never below zero.
  int64_t Atp() const {
    int64_t atp = on_hand - reserved - safety_stock;
    return atp > 0 ? atp : 0;
  }
  // Units reserved beyond what the location can hold back for them (shrink after the
  // reservations were taken); 0 in the normal case.
  int64_t Short() const {
    int64_t s = reserved - (on_hand - safety_stock);
    return s > 0 ? s : 0;
  }
  friend bool operator==(const Position&, const Position&) = default;
};

enum class ReservationState { kActive, kReleased, kConsumed };
std::string_view ReservationStateName(ReservationState s);
std::optional<ReservationState> ParseReservationState(std::string_view name);

// The reservation of one order line at one location.
struct Reservation {
  std::string order_id;
  int line = 0;  // the order line number, 1-based
  std::string sku;
  std::string location;
  std::string channel;
  int64_t quantity = 0;  // units reserved here
  int64_t consumed = 0;  // of which shipped (Consume); the rest is held while active
  ReservationState state = ReservationState::kActive;

  // "ord_01J.../2@wh-east": unique per order line and location.
  std::string Id() const;
  // Units this reservation holds at its location now.
  int64_t Held() const { return state == ReservationState::kActive ? quantity - consumed : 0; }
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

// What a channel may sell: a share of ATP across the locations it may sell from, never
// the last `holdback` units.
struct ChannelRule {
  std::string channel;
  int share_percent = 100;                      // 1-100: share of ATP offered
  int64_t holdback = 0;                         // units never offered ("never the last 5")
  std::vector<std::string> excluded_locations;  // locations this channel never sells from

  bool Excludes(std::string_view location) const;
};

// What `rule`'s channel may sell given every position of one SKU.
int64_t SellableFrom(const ChannelRule& rule, const std::vector<Position>& positions);

enum class Outcome { kApplied, kUnchanged, kRefused };
std::string_view OutcomeName(Outcome o);

// What a command did. `positions` and `reservations` are the rows it changed (their new
// values), empty unless kApplied.
struct Result {
  Outcome outcome = Outcome::kApplied;
  std::string reason;  // why it was unchanged or refused; for kApplied, a note or ""
  std::vector<Position> positions;
  std::vector<Reservation> reservations;
  bool ok() const { return outcome != Outcome::kRefused; }
};

struct ReserveRequest {
  std::string order_id;
  int line = 0;
  std::string sku;
  std::string channel;
  int64_t quantity = 0;
  // Locations to take from, in order of preference; empty: every location the channel
  // may sell from, the one with the most ATP first.
  std::vector<std::string> locations;
  // May the line be split across locations when no single one has it all?
  bool allow_split = false;
};

// A warehouse's report on one SKU at one location: a change (delta) or the absolute
// count (on_hand), ordered by the source's sequence number or its timestamp.
struct StockUpdate {
  std::string sku;
  std::string location;
  std::optional<int64_t> delta;  // exactly one of delta and on_hand
  std::optional<int64_t> on_hand;
  std::optional<int64_t> safety_stock;      // with on_hand: also sets safety stock
  std::optional<int64_t> inbound;           // with on_hand: also sets expected receipts
  int64_t sequence = 0;                     // the source's sequence number, or 0
  absl::Time as_of = absl::InfinitePast();  // the source's timestamp, or InfinitePast
};

// A difference between the hub's on hand and the system of record's count.
struct Drift {
  std::string sku;
  std::string location;
  int64_t expected = 0;  // on hand as the hub had it
  int64_t found = 0;     // as the system of record counted it
  int64_t reserved = 0;  // held here by the hub's reservations
  std::string likely_cause;
  bool corrected = false;
  std::string note;  // why it was not corrected, when it was not
  friend bool operator==(const Drift&, const Drift&) = default;
};

class Ledger {
 public:
  Ledger() = default;
  Ledger(const Ledger&) = default;
  Ledger& operator=(const Ledger&) = default;

  // Allocation rules; a channel without one may sell all ATP from every location.
  void SetChannelRules(std::vector<ChannelRule> rules);
  const ChannelRule& RuleFor(std::string_view channel) const;

  // Loading stored state (start-up, recovery). Reserved totals are recomputed from the
  // reservations; call LoadPosition for every position first, RetireFinishedLines last.
  void LoadPosition(Position p);
  void LoadReservation(Reservation r);
  // Lines that hold nothing any more (released or shipped) are kept only as a 16-byte
  // note (which SKU, whether it shipped), enough to answer repeats; their reservation
  // rows stay in the store. Commands retire lines as they finish; loading calls this.
  void RetireFinishedLines();
  void Clear();

  // --- Commands -------------------------------------------------------------------------
  // Reserves the line's quantity for its channel. Repeating an identical reservation is
  // kUnchanged; a different quantity for a line already reserved is refused.
  Result Reserve(const ReserveRequest& request);
  // Releases what the line still holds (every location, or only `location`).
  Result Release(std::string_view order_id, int line, std::string_view location = {});
  // Ships `quantity` of the line from `location`: the reservation is consumed and the
  // units leave on hand. Shipping more than is held is refused.
  Result Consume(std::string_view order_id, int line, std::string_view location, int64_t quantity);
  // Moves what the line holds at `from` to `to` (a reroute), if `to` has the ATP and the
  // line's channel may sell from it.
  Result Transfer(std::string_view order_id, int line, std::string_view from, std::string_view to);
  // Applies a warehouse update unless it is stale (older than the newest applied).
  Result ApplyUpdate(const StockUpdate& update);
  // Returned goods put back on the shelf: on hand grows by `units`. Not ordered like a
  // warehouse's updates (it leaves their sequence and timestamp alone); the warehouse's
  // next snapshot counts them anyway.
  Result Restock(std::string_view sku, std::string_view location, int64_t units);
  // Sets safety stock (configuration or ERP).
  Result SetSafetyStock(std::string_view sku, std::string_view location, int64_t units);

  // --- Reads ----------------------------------------------------------------------------
  const Position* FindPosition(std::string_view sku, std::string_view location) const;
  // Every position of the SKU, in location order.
  std::vector<Position> Positions(std::string_view sku) const;
  // The reservations of a line that still holds units (a finished line's are in the store).
  std::vector<Reservation> Reservations(std::string_view order_id, int line) const;
  // What `channel` may sell of `sku` now.
  int64_t Sellable(std::string_view channel, std::string_view sku) const;
  // Every SKU with a position, sorted.
  std::vector<std::string> Skus() const;
  size_t reservation_count() const;

  // What a command may change, saved so a failed write can put it back: every position
  // of one SKU and (if `order_id` is not empty) the reservations of one order line.
  struct Finished {
    uint64_t sku_hash = 0;
    bool shipped = false;  // some of it shipped (else it was all released)
  };
  struct Saved {
    std::string sku;
    bool had_sku = false;
    std::vector<Position> positions;
    std::string line_key;
    bool had_line = false;
    std::vector<Reservation> line;
    bool had_finished = false;
    Finished finished;
  };
  Saved Save(std::string_view sku, std::string_view order_id = {}, int line = 0) const;
  void Restore(Saved saved);
  // The SKU an order line is for, or "" if the ledger has no reservation for it.
  std::string LineSku(std::string_view order_id, int line) const;

  // Compares the hub's on hand of `sku` at `location` with `found`; nullopt when they
  // agree. Names the likely cause: reservations the warehouse has probably shipped
  // without telling us, a receipt not reported, or shrink.
  std::optional<Drift> Compare(std::string_view sku, std::string_view location,
                               int64_t found) const;
  // Every SKU with a position at `location`, sorted.
  std::vector<std::string> SkusAt(std::string_view location) const;

  // Checks the ledger's own invariants (reserved equals the sum of active reservations,
  // no negative quantity); an error names the first broken one. For tests and recovery.
  absl::Status CheckInvariants() const;

 private:
  struct Line {
    std::vector<Reservation> at;  // one per location
  };
  struct Sku {
    std::vector<Position> at;  // one per location, sorted by location
  };
  static std::string LineKey(std::string_view order_id, int line);
  static uint64_t Hash(std::string_view s);
  // Moves the line to finished_ if it holds nothing.
  void RetireIfFinished(const std::string& key);
  Position* MutablePosition(std::string_view sku, std::string_view location, bool create);
  Reservation* FindAt(Line& line, std::string_view location);

  absl::flat_hash_map<std::string, Sku> skus_;
  absl::flat_hash_map<std::string, Line> lines_;      // by LineKey: lines holding units
  absl::flat_hash_map<uint64_t, Finished> finished_;  // by Hash(LineKey): the rest
  absl::flat_hash_map<std::string, ChannelRule> rules_;
  ChannelRule default_rule_;
};

}  // namespace disthub::inventory
