#include "inventory/ledger.h"

#include <algorithm>
#include <utility>

#include "base/strings.h"

namespace disthub::inventory {
namespace {

Result Unchanged(std::string reason) {
  return Result{.outcome = Outcome::kUnchanged, .reason = std::move(reason)};
}
Result Refused(std::string reason) {
  return Result{.outcome = Outcome::kRefused, .reason = std::move(reason)};
}

std::string LineName(std::string_view order_id, int line) {
  return StrCat(order_id, " line ", line);
}

}  // namespace

std::string_view ReservationStateName(ReservationState s) {
  switch (s) {
    case ReservationState::kActive:
      return "active";
    case ReservationState::kReleased:
      return "released";
    case ReservationState::kConsumed:
      return "consumed";
  }
  return "?";
}

std::optional<ReservationState> ParseReservationState(std::string_view name) {
  if (name == "active") return ReservationState::kActive;
  if (name == "released") return ReservationState::kReleased;
  if (name == "consumed") return ReservationState::kConsumed;
  return std::nullopt;
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kApplied:
      return "applied";
    case Outcome::kUnchanged:
      return "unchanged";
    case Outcome::kRefused:
      return "refused";
  }
  return "?";
}

std::string Reservation::Id() const { return StrCat(order_id, "/", line, "@", location); }

bool ChannelRule::Excludes(std::string_view location) const {
  return std::find(excluded_locations.begin(), excluded_locations.end(), location) !=
         excluded_locations.end();
}

void Ledger::SetChannelRules(std::vector<ChannelRule> rules) {
  rules_.clear();
  for (ChannelRule& r : rules) {
    std::string name = r.channel;
    rules_[name] = std::move(r);
  }
}

const ChannelRule& Ledger::RuleFor(std::string_view channel) const {
  auto it = rules_.find(ToAbsl(channel));
  return it == rules_.end() ? default_rule_ : it->second;
}

std::string Ledger::LineKey(std::string_view order_id, int line) {
  return StrCat(order_id, "/", line);
}

void Ledger::Clear() {
  skus_.clear();
  lines_.clear();
  finished_.clear();
}

uint64_t Ledger::Hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

void Ledger::RetireIfFinished(const std::string& key) {
  auto it = lines_.find(key);
  if (it == lines_.end() || it->second.at.empty()) return;
  bool shipped = false;
  for (const Reservation& r : it->second.at) {
    if (r.Held() > 0) return;
    shipped = shipped || r.consumed > 0;
  }
  finished_[Hash(key)] = Finished{.sku_hash = Hash(it->second.at[0].sku), .shipped = shipped};
  lines_.erase(it);
}

void Ledger::RetireFinishedLines() {
  std::vector<std::string> keys;
  for (const auto& [key, line] : lines_) keys.push_back(key);
  for (const std::string& key : keys) RetireIfFinished(key);
}

Position* Ledger::MutablePosition(std::string_view sku, std::string_view location, bool create) {
  auto it = skus_.find(ToAbsl(sku));
  if (it == skus_.end()) {
    if (!create) return nullptr;
    it = skus_.emplace(std::string(sku), Sku{}).first;
  }
  std::vector<Position>& at = it->second.at;
  auto pos = std::lower_bound(at.begin(), at.end(), location,
                              [](const Position& p, std::string_view l) { return p.location < l; });
  if (pos != at.end() && pos->location == location) return &*pos;
  if (!create) return nullptr;
  pos = at.insert(pos, Position{.sku = std::string(sku), .location = std::string(location)});
  return &*pos;
}

const Position* Ledger::FindPosition(std::string_view sku, std::string_view location) const {
  return const_cast<Ledger*>(this)->MutablePosition(sku, location, /*create=*/false);
}

Reservation* Ledger::FindAt(Line& line, std::string_view location) {
  for (Reservation& r : line.at) {
    if (r.location == location) return &r;
  }
  return nullptr;
}

void Ledger::LoadPosition(Position p) {
  Position* slot = MutablePosition(p.sku, p.location, /*create=*/true);
  p.reserved = 0;  // recomputed from the reservations
  *slot = std::move(p);
}

void Ledger::LoadReservation(Reservation r) {
  Position* p = MutablePosition(r.sku, r.location, /*create=*/true);
  p->reserved += r.Held();
  Line& line = lines_[LineKey(r.order_id, r.line)];
  if (Reservation* existing = FindAt(line, r.location)) {
    *existing = std::move(r);
  } else {
    line.at.push_back(std::move(r));
  }
}

int64_t SellableFrom(const ChannelRule& rule, const std::vector<Position>& positions) {
  int64_t atp = 0;
  for (const Position& p : positions) {
    if (!rule.Excludes(p.location)) atp += p.Atp();
  }
  int64_t share = atp * rule.share_percent / 100;
  int64_t sellable = std::min(share, atp - rule.holdback);
  return sellable > 0 ? sellable : 0;
}

int64_t Ledger::Sellable(std::string_view channel, std::string_view sku) const {
  auto it = skus_.find(ToAbsl(sku));
  if (it == skus_.end()) return 0;
  return SellableFrom(RuleFor(channel), it->second.at);
}

Ledger::Saved Ledger::Save(std::string_view sku, std::string_view order_id, int line) const {
  Saved saved;
  saved.sku = std::string(sku);
  if (auto it = skus_.find(ToAbsl(sku)); it != skus_.end()) {
    saved.had_sku = true;
    saved.positions = it->second.at;
  }
  if (!order_id.empty()) {
    saved.line_key = LineKey(order_id, line);
    if (auto it = lines_.find(saved.line_key); it != lines_.end()) {
      saved.had_line = true;
      saved.line = it->second.at;
    }
    if (auto it = finished_.find(Hash(saved.line_key)); it != finished_.end()) {
      saved.had_finished = true;
      saved.finished = it->second;
    }
  }
  return saved;
}

void Ledger::Restore(Saved saved) {
  if (saved.had_sku) {
    skus_[saved.sku].at = std::move(saved.positions);
  } else {
    skus_.erase(saved.sku);
  }
  if (saved.line_key.empty()) return;
  if (saved.had_line) {
    lines_[saved.line_key].at = std::move(saved.line);
  } else {
    lines_.erase(saved.line_key);
  }
  if (saved.had_finished) {
    finished_[Hash(saved.line_key)] = saved.finished;
  } else {
    finished_.erase(Hash(saved.line_key));
  }
}

std::string Ledger::LineSku(std::string_view order_id, int line) const {
  auto it = lines_.find(LineKey(order_id, line));
  return it == lines_.end() || it->second.at.empty() ? std::string() : it->second.at[0].sku;
}

Result Ledger::Reserve(const ReserveRequest& req) {
  if (req.quantity <= 0) return Refused(StrCat("quantity must be positive, not ", req.quantity));
  const std::string key = LineKey(req.order_id, req.line);
  if (auto it = lines_.find(key); it != lines_.end()) {
    int64_t held = 0, consumed = 0;
    for (const Reservation& r : it->second.at) {
      if (r.sku != req.sku) {
        return Refused(
            StrCat(LineName(req.order_id, req.line), " is for ", r.sku, ", not ", req.sku));
      }
      held += r.Held();
      consumed += r.consumed;
    }
    if (consumed > 0) {
      return Refused(StrCat(LineName(req.order_id, req.line), " has already shipped ", consumed,
                            " units; it cannot be reserved again"));
    }
    if (held == req.quantity) {
      return Unchanged(
          StrCat(LineName(req.order_id, req.line), " already holds ", held, " units of ", req.sku));
    }
    if (held > 0) {
      return Refused(StrCat(LineName(req.order_id, req.line), " already holds ", held,
                            " units; release it before reserving ", req.quantity));
    }
    // Released earlier: it may be reserved again (a backorder re-check).
  } else if (auto f = finished_.find(Hash(key)); f != finished_.end()) {
    if (f->second.sku_hash != Hash(req.sku)) {
      return Refused(
          StrCat(LineName(req.order_id, req.line), " was reserved for another SKU, not ", req.sku));
    }
    if (f->second.shipped) {
      return Refused(StrCat(LineName(req.order_id, req.line),
                            " has already shipped; it cannot be reserved again"));
    }
    // Released earlier: it may be reserved again (a backorder re-check).
  }

  const ChannelRule& rule = RuleFor(req.channel);
  int64_t sellable = Sellable(req.channel, req.sku);
  if (req.quantity > sellable) {
    return Refused(StrCat("channel ", req.channel, " may sell ", sellable, " of ", req.sku, "; ",
                          req.quantity, " asked"));
  }
  // Candidate locations: those asked for (in that order) or every location the channel may
  // sell from, most ATP first. Each takes at most its own ATP.
  std::vector<Position*> candidates;
  Sku& sku = skus_.find(req.sku)->second;  // Sellable > 0 means it exists
  if (req.locations.empty()) {
    for (Position& p : sku.at) {
      if (!rule.Excludes(p.location) && p.Atp() > 0) candidates.push_back(&p);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Position* a, const Position* b) { return a->Atp() > b->Atp(); });
  } else {
    for (const std::string& l : req.locations) {
      Position* p = MutablePosition(req.sku, l, /*create=*/false);
      // A location named twice is one candidate: it cannot give its ATP twice.
      if (p != nullptr && !rule.Excludes(l) && p->Atp() > 0 &&
          std::find(candidates.begin(), candidates.end(), p) == candidates.end()) {
        candidates.push_back(p);
      }
    }
  }
  std::vector<std::pair<Position*, int64_t>> takes;
  for (Position* p : candidates) {
    if (p->Atp() >= req.quantity) {
      takes.emplace_back(p, req.quantity);
      break;
    }
  }
  if (takes.empty()) {
    if (!req.allow_split) {
      int64_t best = 0;
      std::string where = "no location";
      for (Position* p : candidates) {
        if (p->Atp() > best) best = p->Atp(), where = p->location;
      }
      return Refused(StrCat("no single location has ", req.quantity, " of ", req.sku,
                            " (most: ", best, " at ", where, ") and the line may not be split"));
    }
    int64_t left = req.quantity;
    for (Position* p : candidates) {
      int64_t take = std::min(left, p->Atp());
      if (take > 0) takes.emplace_back(p, take), left -= take;
      if (left == 0) break;
    }
    if (left > 0) {
      return Refused(StrCat("the locations asked for have ", req.quantity - left, " of ", req.sku,
                            "; ", req.quantity, " asked"));
    }
  }

  Result result;
  finished_.erase(Hash(key));
  Line& line = lines_[key];
  for (auto& [p, take] : takes) {
    p->reserved += take;
    Reservation* r = FindAt(line, p->location);
    if (r == nullptr) {
      line.at.push_back(Reservation{.order_id = req.order_id,
                                    .line = req.line,
                                    .sku = req.sku,
                                    .location = p->location,
                                    .channel = req.channel});
      r = &line.at.back();
    }
    r->channel = req.channel;
    r->quantity = take;
    r->consumed = 0;
    r->state = ReservationState::kActive;
    result.positions.push_back(*p);
    result.reservations.push_back(*r);
  }
  return result;
}

Result Ledger::Release(std::string_view order_id, int line_no, std::string_view location) {
  const std::string key = LineKey(order_id, line_no);
  auto it = lines_.find(key);
  if (it == lines_.end()) {
    if (auto f = finished_.find(Hash(key)); f != finished_.end()) {
      return Unchanged(StrCat(LineName(order_id, line_no),
                              f->second.shipped ? " has shipped; there is nothing to release"
                                                : " was already released"));
    }
    return Unchanged(StrCat(LineName(order_id, line_no), " holds no reservation"));
  }
  Result result;
  bool any = false, consumed = false;
  for (Reservation& r : it->second.at) {
    if (!location.empty() && r.location != location) continue;
    any = true;
    if (r.state == ReservationState::kConsumed) consumed = true;
    if (r.state != ReservationState::kActive) continue;
    Position* p = MutablePosition(r.sku, r.location, /*create=*/true);
    p->reserved -= r.Held();
    r.state = ReservationState::kReleased;
    result.positions.push_back(*p);
    result.reservations.push_back(r);
  }
  if (!result.reservations.empty()) {
    RetireIfFinished(key);
    return result;
  }
  std::string where = location.empty() ? "" : StrCat(" at ", location);
  if (!any) return Unchanged(StrCat(LineName(order_id, line_no), " holds no reservation", where));
  if (consumed) {
    return Unchanged(
        StrCat(LineName(order_id, line_no), where, " has shipped; there is nothing to release"));
  }
  return Unchanged(StrCat(LineName(order_id, line_no), where, " was already released"));
}

Result Ledger::Consume(std::string_view order_id, int line_no, std::string_view location,
                       int64_t quantity) {
  if (quantity <= 0) return Refused(StrCat("quantity must be positive, not ", quantity));
  const std::string key = LineKey(order_id, line_no);
  auto it = lines_.find(key);
  Reservation* r = it == lines_.end() ? nullptr : FindAt(it->second, location);
  if (auto f = finished_.find(Hash(key)); r == nullptr && f != finished_.end()) {
    if (f->second.shipped) {
      return Unchanged(StrCat(LineName(order_id, line_no), " has shipped all it held already"));
    }
    return Refused(StrCat(LineName(order_id, line_no), " at ", location,
                          " was released; it cannot be shipped"));
  }
  if (r == nullptr) {
    return Refused(StrCat(LineName(order_id, line_no), " holds no reservation at ", location));
  }
  if (r->state == ReservationState::kReleased) {
    return Refused(StrCat(LineName(order_id, line_no), " at ", location,
                          " was released; it cannot be shipped"));
  }
  if (r->state == ReservationState::kConsumed) {
    return Unchanged(StrCat(LineName(order_id, line_no), " at ", location, " has shipped all ",
                            r->consumed, " units already"));
  }
  if (quantity > r->Held()) {
    return Refused(StrCat(LineName(order_id, line_no), " holds ", r->Held(), " at ", location, "; ",
                          quantity, " cannot ship"));
  }
  Position* p = MutablePosition(r->sku, r->location, /*create=*/true);
  p->reserved -= quantity;
  p->on_hand = std::max<int64_t>(0, p->on_hand - quantity);
  r->consumed += quantity;
  if (r->consumed == r->quantity) r->state = ReservationState::kConsumed;
  Result result;
  result.positions.push_back(*p);
  result.reservations.push_back(*r);
  RetireIfFinished(key);
  return result;
}

Result Ledger::Transfer(std::string_view order_id, int line_no, std::string_view from,
                        std::string_view to) {
  if (from == to) return Unchanged(StrCat("the line is already at ", to));
  auto it = lines_.find(LineKey(order_id, line_no));
  Reservation* src = it == lines_.end() ? nullptr : FindAt(it->second, from);
  if (src == nullptr || src->Held() == 0) {
    Reservation* dst = it == lines_.end() ? nullptr : FindAt(it->second, to);
    if (dst != nullptr && dst->Held() > 0) {
      return Unchanged(
          StrCat(LineName(order_id, line_no), " already holds ", dst->Held(), " at ", to));
    }
    return Refused(StrCat(LineName(order_id, line_no), " holds nothing at ", from, " to move"));
  }
  const ChannelRule& rule = RuleFor(src->channel);
  if (rule.Excludes(to)) {
    return Refused(StrCat("channel ", src->channel, " may not sell from ", to));
  }
  int64_t units = src->Held();
  Position* dst_pos = MutablePosition(src->sku, to, /*create=*/false);
  if (dst_pos == nullptr || dst_pos->Atp() < units) {
    return Refused(StrCat(to, " has ", dst_pos == nullptr ? 0 : dst_pos->Atp(), " of ", src->sku,
                          "; ", units, " needed"));
  }
  Line& line = it->second;
  std::string sku = src->sku, channel = src->channel;
  Position* src_pos = MutablePosition(sku, from, /*create=*/false);  // exists: it holds units
  src_pos->reserved -= units;
  src->quantity -= units;  // what stays at `from` is what it already shipped
  src->state = src->consumed > 0 ? ReservationState::kConsumed : ReservationState::kReleased;
  Reservation moved_from = *src;  // `line.at` may reallocate below
  dst_pos->reserved += units;
  Reservation* dst = FindAt(line, to);
  if (dst == nullptr) {
    line.at.push_back(Reservation{.order_id = std::string(order_id),
                                  .line = line_no,
                                  .sku = sku,
                                  .location = std::string(to),
                                  .channel = channel});
    dst = &line.at.back();
  }
  if (dst->state != ReservationState::kActive) {
    // A released slot is reused; a consumed one keeps what it shipped.
    if (dst->state == ReservationState::kReleased) dst->quantity = dst->consumed;
    dst->state = ReservationState::kActive;
  }
  dst->quantity += units;
  Result result;
  result.positions.push_back(*src_pos);
  result.positions.push_back(*dst_pos);
  result.reservations.push_back(moved_from);
  result.reservations.push_back(*dst);
  return result;
}

Result Ledger::ApplyUpdate(const StockUpdate& u) {
  if (u.delta.has_value() == u.on_hand.has_value()) {
    return Refused("an update carries exactly one of delta and on_hand");
  }
  if (u.sequence == 0 && u.as_of == absl::InfinitePast()) {
    return Refused("an update carries the source's sequence or timestamp");
  }
  if (u.on_hand && *u.on_hand < 0) return Refused("on_hand cannot be negative");
  Position* p = MutablePosition(u.sku, u.location, /*create=*/true);
  if (u.sequence != 0 && u.sequence <= p->last_sequence) {
    return Unchanged(StrCat("stale: sequence ", u.sequence, " is not after ", p->last_sequence,
                            ", already applied for ", u.sku, " at ", u.location));
  }
  if (u.as_of != absl::InfinitePast() && u.as_of < p->last_as_of) {
    return Unchanged(StrCat("stale: as of ", absl::FormatTime(u.as_of, absl::UTCTimeZone()),
                            ", older than ", absl::FormatTime(p->last_as_of, absl::UTCTimeZone()),
                            " for ", u.sku, " at ", u.location));
  }
  Result result;
  if (u.delta) {
    int64_t next = p->on_hand + *u.delta;
    if (next < 0) {
      result.reason = StrCat("on hand would be ", next, "; kept at 0");
      next = 0;
    }
    p->on_hand = next;
  } else {
    p->on_hand = *u.on_hand;
    if (u.safety_stock) p->safety_stock = std::max<int64_t>(0, *u.safety_stock);
    if (u.inbound) p->inbound = std::max<int64_t>(0, *u.inbound);
  }
  if (u.sequence != 0) p->last_sequence = u.sequence;
  if (u.as_of != absl::InfinitePast()) p->last_as_of = u.as_of;
  if (p->Short() > 0 && result.reason.empty()) {
    result.reason = StrCat(p->Short(), " reserved units are no longer on hand");
  }
  result.positions.push_back(*p);
  return result;
}

Result Ledger::Restock(std::string_view sku, std::string_view location, int64_t units) {
  if (units <= 0) return Refused(StrCat("units to restock must be positive, not ", units));
  Position* p = MutablePosition(sku, location, /*create=*/true);
  p->on_hand += units;
  Result result;
  result.positions.push_back(*p);
  return result;
}

Result Ledger::SetSafetyStock(std::string_view sku, std::string_view location, int64_t units) {
  if (units < 0) return Refused("safety stock cannot be negative");
  Position* p = MutablePosition(sku, location, /*create=*/true);
  if (p->safety_stock == units) return Unchanged(StrCat("safety stock is already ", units));
  p->safety_stock = units;
  Result result;
  result.positions.push_back(*p);
  return result;
}

std::vector<Position> Ledger::Positions(std::string_view sku) const {
  auto it = skus_.find(ToAbsl(sku));
  return it == skus_.end() ? std::vector<Position>{} : it->second.at;
}

std::vector<Reservation> Ledger::Reservations(std::string_view order_id, int line) const {
  auto it = lines_.find(LineKey(order_id, line));
  return it == lines_.end() ? std::vector<Reservation>{} : it->second.at;
}

std::optional<Drift> Ledger::Compare(std::string_view sku, std::string_view location,
                                     int64_t found) const {
  const Position* p = FindPosition(sku, location);
  Drift d{.sku = std::string(sku), .location = std::string(location), .found = found};
  if (p != nullptr) d.expected = p->on_hand, d.reserved = p->reserved;
  if (d.expected == d.found) return std::nullopt;
  int64_t missing = d.expected - d.found;
  if (missing > 0 && d.reserved >= missing) {
    d.likely_cause = StrCat("shipped without confirmation: ", d.reserved,
                            " units are reserved here for orders the warehouse has probably "
                            "shipped already (",
                            missing, " missing)");
  } else if (missing > 0) {
    d.likely_cause =
        StrCat("shrink or an unreported movement: ", missing, " fewer units than the hub knows of");
  } else {
    d.likely_cause =
        StrCat("a receipt or return not reported: ", -missing, " more units than the hub knows of");
  }
  if (d.reserved > d.found - (p == nullptr ? 0 : p->safety_stock) && d.reserved > 0) {
    d.likely_cause += StrCat("; the ", d.reserved, " reserved units are no longer all covered");
  }
  return d;
}

std::vector<std::string> Ledger::SkusAt(std::string_view location) const {
  std::vector<std::string> out;
  for (const auto& [sku, s] : skus_) {
    for (const Position& p : s.at) {
      if (p.location == location) out.push_back(sku);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Ledger::Skus() const {
  std::vector<std::string> out;
  out.reserve(skus_.size());
  for (const auto& [sku, _] : skus_) out.push_back(sku);
  std::sort(out.begin(), out.end());
  return out;
}

size_t Ledger::reservation_count() const {
  size_t n = 0;
  for (const auto& [_, line] : lines_) n += line.at.size();
  return n;
}

absl::Status Ledger::CheckInvariants() const {
  absl::flat_hash_map<std::string, int64_t> held;  // "sku@location" -> sum of Held()
  for (const auto& [key, line] : lines_) {
    for (const Reservation& r : line.at) {
      if (r.quantity < 0 || r.consumed < 0 || r.consumed > r.quantity) {
        return absl::InternalError(StrCat("reservation ", r.Id(), " has quantity ", r.quantity,
                                          " and consumed ", r.consumed));
      }
      held[StrCat(r.sku, "@", r.location)] += r.Held();
    }
  }
  for (const auto& [sku, s] : skus_) {
    for (const Position& p : s.at) {
      auto it = held.find(StrCat(sku, "@", p.location));
      int64_t want = it == held.end() ? 0 : it->second;
      if (p.reserved != want) {
        return absl::InternalError(StrCat(sku, " at ", p.location, ": reserved is ", p.reserved,
                                          " but its reservations hold ", want));
      }
      if (p.on_hand < 0 || p.safety_stock < 0) {
        return absl::InternalError(StrCat(sku, " at ", p.location, ": on hand ", p.on_hand,
                                          ", safety stock ", p.safety_stock));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace disthub::inventory
