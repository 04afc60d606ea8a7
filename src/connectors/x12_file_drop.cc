#include "connectors/x12_file_drop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/strings.h"
#include "connectors/drop_folder.h"
#include "connectors/polling.h"
#include "formats/x12_envelope.h"
#include "formats/x12_writer.h"
#include "mapping/x12_documents.h"
#include "mapping/x12_orders.h"
#include "model/fields.h"
#include "observe/metrics.h"

namespace disthub::connectors {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using formats::X12Error;
using formats::X12Group;
using formats::X12Interchange;
using formats::X12Level;
using formats::X12Segment;
using formats::X12Set;

constexpr uint64_t kMaxControl = 999'999'999;

// `sets` or `send` as they apply: "auto" by the partner's role (a retailer has a
// channel, a 3PL a location), "none" nothing, else the list as written.
std::string Effective(const Settings& s, std::string_view key) {
  const std::string& value = s.String(key);
  if (value == "none") return "";
  if (value != "auto") return value;
  const bool retailer = !s.String("channel").empty(), logistics = !s.String("location").empty();
  std::vector<std::string> out;
  if (key == "sets") {
    if (retailer) out.push_back("850");
    if (logistics) out.insert(out.end(), {"945", "846"});
    out.insert(out.end(), {"997", "999"});
  } else {
    if (retailer) out.insert(out.end(), {"855", "856", "810"});
    if (logistics) out.push_back("940");
  }
  std::string joined;
  for (const std::string& v : out) joined += StrCat(joined.empty() ? "" : ",", v);
  return joined;
}

// The sets that mean something to the hub when the partner's `sets` list them.
const std::set<std::string> kTaken = {"850", "945", "846", "997", "999"};

X12Error InterchangeError(const X12Interchange& x, std::string code, int element, std::string data,
                          std::string message) {
  return {.level = X12Level::kInterchange,
          .code = std::move(code),
          .segment_id = "ISA",
          .position = 1,
          .line = x.line,
          .element = element,
          .component = 0,
          .data = std::move(data),
          .message = std::move(message)};
}

// A set as received, for the inbound archive: its segments with the interchange's
// delimiters (line breaks of a wrapped file are not kept).
std::string SetText(std::span<const X12Segment> segments, const formats::X12Delimiters& d) {
  std::string out;
  for (const X12Segment& s : segments) {
    for (size_t i = 0; i < s.elements.size(); ++i) {
      if (i > 0) out.push_back(d.element);
      out.append(s.elements[i]);
    }
    out.push_back(d.segment);
    if (d.segment != '\n') out.push_back('\n');
  }
  return out;
}

// The last `capacity` keys added, for "seen before?": the partner's interchanges, the
// shipments whose ship notice went out.
class RecentKeys {
 public:
  explicit RecentKeys(size_t capacity) : capacity_(capacity) {}
  bool contains(const std::string& key) const { return map_.contains(key); }
  // The value kept with `key`, nullopt when it is not (or no longer) kept.
  std::optional<std::string> Find(const std::string& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void Add(std::string key, std::string value = "") {
    auto [it, fresh] = map_.insert_or_assign(key, std::move(value));
    if (!fresh) return;
    order_.push_back(std::move(key));
    while (order_.size() > capacity_) {
      map_.erase(order_.front());
      order_.pop_front();
    }
  }
  void Clear() {
    map_.clear();
    order_.clear();
  }
  void Remove(const std::string& key) {
    if (map_.erase(key) == 0) return;
    order_.erase(std::find(order_.begin(), order_.end(), key));
  }
  size_t size() const { return map_.size(); }
  // Oldest first.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (const std::string& k : order_) fn(k, map_.at(k));
  }
  // Oldest first: a key alone, or [key, value].
  json::array ToJson() const {
    json::array out;
    for (const std::string& k : order_) {
      const std::string& v = map_.at(k);
      if (v.empty()) {
        out.emplace_back(k);
      } else {
        out.emplace_back(json::array{json::string(k), json::string(v)});
      }
    }
    return out;
  }
  void FromJson(const json::value* list) {
    if (list == nullptr || !list->is_array()) return;
    for (const json::value& k : list->as_array()) {
      if (k.is_string()) Add(std::string(k.as_string()));
      if (k.is_array() && k.as_array().size() == 2 && k.as_array()[0].is_string() &&
          k.as_array()[1].is_string()) {
        Add(std::string(k.as_array()[0].as_string()), std::string(k.as_array()[1].as_string()));
      }
    }
  }

 private:
  const size_t capacity_;
  std::map<std::string, std::string> map_;
  std::deque<std::string> order_;  // oldest first
};

// A group we sent, as kept until the partner's 997 answers it: "SET ORDER FULFILLMENT
// SENT STATE" (ids hold no spaces; "-" for none), STATE one of awaiting, overdue,
// accepted, rejected.
struct SentGroup {
  std::string set, order_id, fulfillment_id, state = "awaiting";
  int64_t sent = 0;  // unix milliseconds

  std::string Encode() const {
    return StrCat(set, " ", order_id.empty() ? "-" : order_id, " ",
                  fulfillment_id.empty() ? "-" : fulfillment_id, " ", sent, " ", state);
  }
  static SentGroup Decode(const std::string& text) {
    std::vector<std::string> f = absl::StrSplit(text, ' ');
    SentGroup g;
    if (f.size() < 5) return g;
    g.set = f[0];
    g.order_id = f[1] == "-" ? "" : f[1];
    g.fulfillment_id = f[2] == "-" ? "" : f[2];
    (void)absl::SimpleAtoi(f[3], &g.sent);
    g.state = f[4];
    return g;
  }
};

class X12FileDrop final : public Connector {
 public:
  X12FileDrop(std::string name, const Settings& s, ConnectorHost& host)
      : name_(std::move(name)),
        host_(host),
        drop_(name_, DropFolder::Options::From(s), host.clock()),
        claimed_(drop_.options().folder / ".claimed"),
        outbound_(s.String("outbound_folder")),
        partner_qualifier_(s.String("partner_qualifier")),
        partner_id_(s.String("partner_id")),
        our_qualifier_(s.String("our_qualifier")),
        our_id_(s.String("our_id")),
        acknowledge_(s.Bool("acknowledge")),
        ta1_(s.String("ta1")),
        check_segments_(s.Bool("check_segments")),
        location_(s.String("location")),
        ack_overdue_(s.Duration("ack_overdue_ms")),
        hold_invoices_(s.Bool("hold_invoice_until_asn_accepted")),
        seen_(static_cast<size_t>(s.Integer("remember_interchanges"))),
        sent_shipments_(static_cast<size_t>(s.Integer("remember_interchanges"))),
        released_(static_cast<size_t>(s.Integer("remember_interchanges"))),
        sent_groups_(static_cast<size_t>(s.Integer("remember_interchanges"))),
        held_(static_cast<size_t>(s.Integer("remember_interchanges"))),
        loop_("dh-x12drop", s.Duration("poll_interval_ms")) {
    for (absl::string_view doc :
         absl::StrSplit(Effective(s, "send"), ',', absl::SkipWhitespace())) {
      send_.insert(std::string(absl::StripAsciiWhitespace(doc)));
    }
    envelope_.sender_qualifier = our_qualifier_;
    envelope_.sender = our_id_;
    envelope_.receiver_qualifier = partner_qualifier_;
    envelope_.receiver = partner_id_;
    envelope_.version = s.String("version");
    envelope_.group_version = s.String("group_version");
    envelope_.usage = s.String("usage");
    envelope_.delimiters = {.element = s.Char("element_separator"),
                            .component = s.Char("component_separator"),
                            .repetition = s.Char("repetition_separator"),
                            .segment = s.Char("segment_terminator")};
    envelope_.line_breaks = s.Bool("line_breaks");
    dialect_.channel = s.String("channel");
    dialect_.account_number = s.String("account_number");
    dialect_.currency = s.String("currency");
    for (absl::string_view set :
         absl::StrSplit(Effective(s, "sets"), ',', absl::SkipWhitespace())) {
      sets_.insert(std::string(absl::StripAsciiWhitespace(set)));
    }
    Registry& m = host_.metrics();
    for (const char* outcome : {"processed", "rejected", "duplicate", "failed"}) {
      files_[outcome] = m.Counter("disthub_connector_files_total",
                                  "Files a file-drop connector took, by outcome.",
                                  {{"connector", name_}, {"outcome", outcome}});
    }
    for (const char* outcome : {"accepted", "rejected", "unmatched", "overdue"}) {
      acknowledged_[outcome] = m.Counter(
          "disthub_edi_acknowledgements_total",
          "The partner's 997/999 answers to our groups, by outcome: accepted (A or E), "
          "rejected (R, P), unmatched (a group we do not know, or no longer remember), overdue "
          "(none within ack_overdue_ms: alerted).",
          {{"connector", name_}, {"outcome", outcome}});
    }
    for (const char* outcome : {"sent", "refused"}) {
      documents_[outcome] = m.Counter(
          "disthub_edi_documents_total",
          "Documents an EDI connector wrote for its partner (855, 856, 810, 940), by outcome: "
          "sent, "
          "or refused (what the hub holds cannot be said in X12: see the connector's last "
          "error).",
          {{"connector", name_}, {"outcome", outcome}});
    }
    for (const char* outcome : {"taken", "duplicate", "refused", "rejected"}) {
      sets_total_[outcome] =
          m.Counter("disthub_edi_sets_total",
                    "Transaction sets an EDI connector read, by outcome: taken (became a "
                    "document of the hub), duplicate, refused (by the mapping or the hub's "
                    "checks), rejected (by the envelope or segment checks).",
                    {{"connector", name_}, {"outcome", outcome}});
    }
  }

  ~X12FileDrop() override { Stop(); }

  absl::Status Start() override {
    if (absl::Status s = drop_.Prepare(); !s.ok()) return s;
    std::error_code ec;
    for (const fs::path& dir : {claimed_, outbound_}) {
      fs::create_directories(dir, ec);
      if (ec) {
        return absl::FailedPreconditionError(
            StrCat(name_, ": cannot create ", dir.string(), ": ", ec.message()));
      }
    }
    if (absl::Status s = LoadState(); !s.ok()) {
      return absl::FailedPreconditionError(StrCat(name_, ": cannot read its state: ", s.message()));
    }
    if (!send_.empty() && events_after_ < 0) {
      // A new partner hears of what happens from now on, not of the hub's history.
      absl::StatusOr<int64_t> last = host_.LastEventSeq();
      if (!last.ok()) {
        return absl::FailedPreconditionError(
            StrCat(name_, ": cannot read the event log: ", last.status().message()));
      }
      {
        std::lock_guard lock(mu_);
        events_after_ = *last;
      }
      if (absl::Status s = SaveState(); !s.ok()) {
        return absl::FailedPreconditionError(
            StrCat(name_, ": cannot save its state: ", s.message()));
      }
    }
    loop_.Start([this] { PollOnce(); });
    return absl::OkStatus();
  }

  void Stop() override { loop_.Stop(); }

  json::object Describe() const override {
    std::lock_guard lock(mu_);
    json::object o{{"name", name_},
                   {"type", "x12-file-drop"},
                   {"folder", drop_.options().folder.string()},
                   {"outbound_folder", outbound_.string()},
                   {"partner", StrCat(partner_qualifier_, ":", partner_id_)},
                   {"channel", dialect_.channel},
                   {"location", location_},
                   {"polls", loop_.polls()},
                   {"last_control_number", control_},
                   {"events_after", events_after_},
                   {"invoices_held", static_cast<int64_t>(held_.size())}};
    json::object files, sets, documents;
    for (const auto& [outcome, counter] : files_) files[outcome] = counter->Value();
    for (const auto& [outcome, counter] : sets_total_) sets[outcome] = counter->Value();
    for (const auto& [outcome, counter] : documents_) documents[outcome] = counter->Value();
    json::object acks;
    for (const auto& [outcome, counter] : acknowledged_) acks[outcome] = counter->Value();
    o["acknowledgements"] = std::move(acks);
    o["files"] = std::move(files);
    o["sets"] = std::move(sets);
    o["documents"] = std::move(documents);
    if (!last_file_.empty()) o["last_file"] = last_file_;
    if (!last_error_.empty()) o["last_error"] = last_error_;
    return o;
  }

 private:
  // A set read from the file that means something to the hub (850, 945, 846, 997, 999),
  // mapped, waiting for its interchange to be accepted.
  struct PendingSet {
    size_t interchange = 0, group = 0, set = 0;  // indexes in what ReadX12 returns
    std::string id;                              // ST01
    std::string key;
    std::string text;
    absl::Status mapped;  // why it does not map, when it does not
    std::optional<Order> order;
    std::optional<mapping::X12ShippingAdvice> advice;
    std::optional<mapping::X12InventoryAdvice> inventory;
    std::vector<formats::X12AckedGroup> acks;
  };

  // Maps the set `id` into `p` (the caller checks the envelopes).
  void Map(PendingSet& p, std::span<const X12Segment> segments) {
    auto keep = [&](auto result, auto& into) {
      if (result.ok()) {
        into = *std::move(result);
      } else {
        p.mapped = result.status();
      }
    };
    if (p.id == "850") keep(mapping::OrderFrom850(segments, dialect_), p.order);
    if (p.id == "945") keep(mapping::ShippingAdviceFrom945(segments, dialect_), p.advice);
    if (p.id == "846") keep(mapping::InventoryAdviceFrom846(segments, dialect_), p.inventory);
    if (p.id == "997" || p.id == "999") {
      keep(formats::ReadFunctionalAcknowledgement(segments), p.acks);
    }
  }

  // ---- Durable state: our last control number and the partner's recent ones ----

  absl::Status LoadState() {
    absl::StatusOr<std::string> cursor = host_.LoadCursor(name_);
    if (!cursor.ok()) return cursor.status();
    std::lock_guard lock(mu_);
    control_ = 0;
    events_after_ = -1;
    seen_.Clear();
    sent_shipments_.Clear();
    released_.Clear();
    sent_groups_.Clear();
    held_.Clear();
    if (cursor->empty()) return absl::OkStatus();
    boost::system::error_code ec;
    json::value v = json::parse(*cursor, ec);
    if (ec || !v.is_object()) return absl::DataLossError(StrCat("not JSON: ", *cursor));
    const json::object& o = v.as_object();
    if (const json::value* c = o.if_contains("control"); c && c->is_int64()) {
      control_ = static_cast<uint64_t>(c->as_int64());
    }
    if (const json::value* e = o.if_contains("events_after"); e && e->is_int64()) {
      events_after_ = e->as_int64();
    }
    seen_.FromJson(o.if_contains("seen"));
    sent_shipments_.FromJson(o.if_contains("shipments_sent"));
    released_.FromJson(o.if_contains("released"));
    sent_groups_.FromJson(o.if_contains("groups_sent"));
    held_.FromJson(o.if_contains("held_invoices"));
    return absl::OkStatus();
  }

  absl::Status SaveState() {
    json::object o;
    {
      std::lock_guard lock(mu_);
      o["control"] = static_cast<int64_t>(control_);
      o["events_after"] = events_after_;
      o["seen"] = seen_.ToJson();
      o["shipments_sent"] = sent_shipments_.ToJson();
      o["released"] = released_.ToJson();
      o["groups_sent"] = sent_groups_.ToJson();
      o["held_invoices"] = held_.ToJson();
    }
    return AwaitHost<absl::Status>(
        [&](auto done) { host_.SaveCursor(name_, json::serialize(o), std::move(done)); });
  }

  // The next control number, saved before it is used: a crash loses one, never repeats it.
  absl::StatusOr<uint64_t> NextControl() {
    {
      std::lock_guard lock(mu_);
      control_ = control_ >= kMaxControl ? 1 : control_ + 1;
    }
    if (absl::Status s = SaveState(); !s.ok()) return s;
    std::lock_guard lock(mu_);
    return control_;
  }

  // ---- Files ----

  void PollOnce() {
    std::string error;
    // Files claimed before a crash (or whose orders the hub could not take) first.
    std::vector<fs::path> claimed;
    std::error_code ec;
    for (fs::directory_iterator it(claimed_, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->path().filename().string().starts_with(".")) {
        claimed.push_back(it->path());
      }
    }
    std::sort(claimed.begin(), claimed.end());
    for (const fs::path& path : claimed) {
      if (loop_.stopping()) return;
      Handle(path, /*resumed=*/true);
    }
    for (const DropFolder::File& file : drop_.Ready(&error)) {
      if (loop_.stopping()) return;
      if (std::optional<std::string> large = drop_.TooLarge(file.path)) {
        Reject(file.path, {*large}, "");
        continue;
      }
      std::optional<fs::path> at = drop_.Move(file.path, claimed_, &error);
      if (at) Handle(*at, /*resumed=*/false);
    }
    if (!error.empty()) Note(error);
    SendDocuments();
    ReleaseHeldInvoices();
    AlertOverdue();
  }

  // Groups we sent whose 997 has not come within ack_overdue_ms: one alert each
  // (alert.edi_ack_overdue, to the alert webhook), and the group marked overdue. A 997
  // that comes later still counts.
  void AlertOverdue() {
    if (ack_overdue_ == absl::ZeroDuration()) return;
    const absl::Time now = host_.clock().Now();
    std::vector<std::pair<std::string, SentGroup>> due;
    {
      std::lock_guard lock(mu_);
      sent_groups_.ForEach([&](const std::string& control, const std::string& value) {
        SentGroup g = SentGroup::Decode(value);
        if (g.state == "awaiting" && absl::FromUnixMillis(g.sent) + ack_overdue_ <= now) {
          due.emplace_back(control, std::move(g));
        }
      });
    }
    if (due.empty()) return;
    for (auto& [control, g] : due) {
      json::object payload{{"connector", name_},
                           {"partner", partner_id_},
                           {"set", g.set},
                           {"group_control", control},
                           {"order_id", g.order_id},
                           {"sent_at", disthub::FormatTime(absl::FromUnixMillis(g.sent))},
                           {"overdue_after_ms", absl::ToInt64Milliseconds(ack_overdue_)}};
      if (!g.fulfillment_id.empty()) payload["fulfillment_id"] = g.fulfillment_id;
      absl::Status s = AwaitHost<absl::Status>([&](auto done) {
        host_.RaiseAlert("alert.edi_ack_overdue", g.order_id, json::serialize(payload),
                         std::move(done));
      });
      if (!s.ok()) return Note(StrCat("cannot raise an overdue-997 alert: ", s.message()));
      acknowledged_["overdue"]->Inc();
      Note(StrCat("no 997 for our ", g.set, " of ", g.order_id, " (group ", control, ") after ",
                  absl::FormatDuration(ack_overdue_)));
      g.state = "overdue";
      std::lock_guard lock(mu_);
      sent_groups_.Add(control, g.Encode());
    }
    if (absl::Status s = SaveState(); !s.ok()) Note(StrCat("cannot save its state: ", s.message()));
  }

  // `resumed`: claimed before a crash, so its interchanges may be marked seen already by
  // this very file; they are not duplicates (and its orders' keys double nothing).
  void Handle(const fs::path& path, bool resumed) {
    const std::string file = path.filename().string();
    absl::StatusOr<std::string> bytes = ReadFile(path.string());
    if (!bytes.ok()) return Note(StrCat(file, ": ", bytes.status().message()));

    std::vector<PendingSet> pending;
    size_t interchange_index = 0;
    absl::StatusOr<std::vector<X12Interchange>> read = formats::ReadX12(
        *bytes,
        {.set =
             [&](const X12Interchange& x, const X12Group& g, const X12Set& set,
                 std::span<const X12Segment> segments) {
               if (!set.accepted() || !kTaken.contains(set.id) || !sets_.contains(set.id)) return;
               PendingSet& p = pending.emplace_back();
               p.interchange = interchange_index;
               p.group = x.groups.size() - 1;
               p.set = g.sets.size() - 1;
               p.id = set.id;
               p.key = StrCat(x.sender_qualifier, ":", x.sender, ":", x.control, ":", g.control,
                              ":", set.control);
               p.text = SetText(segments, x.delimiters);
               Map(p, segments);
             },
         .interchange = [&](const X12Interchange&) { ++interchange_index; }},
        {.check_segments = check_segments_, .max_errors_per_set = 100});
    if (!read.ok()) {
      files_["rejected"]->Inc();
      return Reject(path, {StrCat(file, ": not X12: ", read.status().message())}, "");
    }
    if (read->empty()) {
      files_["rejected"]->Inc();
      return Reject(path, {StrCat(file, ": holds no interchange")}, "");
    }

    // The partner's rules, then the sets: what is refused is marked where the
    // acknowledgement reports it.
    std::vector<std::string> report;
    bool duplicate_only = true;
    for (X12Interchange& x : *read) {
      CheckPartner(x, resumed);
      if (x.errors.empty() || x.errors.front().code != "025") duplicate_only = false;
      for (X12Group& g : x.groups) {
        for (X12Set& set : g.sets) {
          if (!sets_.contains(set.id)) {
            set.errors.push_back(
                {.level = X12Level::kSet,
                 .code = "1",
                 .segment_id = "ST",
                 .position = 1,
                 .line = set.line,
                 .element = 0,
                 .component = 0,
                 .data = "",
                 .message = StrCat("transaction set ", set.id,
                                   " is not one this partner trades (sets: ", JoinedSets(), ")")});
          }
        }
      }
    }

    // What accepted sets say, each durable before anything is acknowledged.
    size_t taken = 0, refused = 0;
    for (PendingSet& p : pending) {
      X12Interchange& x = (*read)[p.interchange];
      X12Set& set = x.groups[p.group].sets[p.set];
      if (!x.accepted() || !x.groups[p.group].errors.empty() || !set.accepted()) continue;
      absl::StatusOr<std::string> outcome = Take(p, file);
      if (!outcome.ok()) {
        files_["failed"]->Inc();
        return Note(StrCat(file, ": the hub did not take ", p.id, " set ", set.control, " (",
                           outcome.status().message(), "); the file is finished at the next poll"));
      }
      if (!outcome->empty()) {
        report.push_back(StrCat(p.id, " ", set.control, " (line ", set.line, "): ", *outcome));
        ++refused;
      } else {
        ++taken;
      }
    }
    for (const X12Interchange& x : *read) Report(x, report);

    // Acknowledgements: their control number saved first, then the file written.
    std::string ack;
    for (X12Interchange& x : *read) {
      const bool ta1 = ta1_ == "always" || (ta1_ == "requested" && x.ack_requested == "1");
      // Groups of 997s are not acknowledged: an interchange of only those gets nothing
      // (and uses no control number) unless a TA1 is due.
      const bool groups =
          acknowledge_ && std::any_of(x.groups.begin(), x.groups.end(),
                                      [](const X12Group& g) { return g.functional_id != "FA"; });
      if (!groups && !ta1 && x.accepted()) continue;
      X12Interchange answered = x;
      if (!acknowledge_) answered.groups.clear();
      absl::StatusOr<uint64_t> control = NextControl();
      if (!control.ok()) {
        files_["failed"]->Inc();
        return Note(StrCat(file, ": cannot save the control number (", control.status().message(),
                           "); the file is finished at the next poll"));
      }
      absl::StatusOr<std::string> written = formats::WriteAcknowledgements(
          answered, {.interchange = *control, .group = *control}, ta1, host_.clock().Now());
      if (!written.ok()) {
        report.push_back(StrCat("no acknowledgement for interchange ", x.control, ": ",
                                written.status().message()));
        continue;
      }
      if (written->empty()) continue;
      const fs::path out =
          outbound_ / StrCat("ack-", partner_id_, "-", formats::ZeroPadded(*control, 9), ".x12");
      if (absl::Status s = WriteFileAtomically(out, *written); !s.ok()) {
        files_["failed"]->Inc();
        return Note(StrCat(file, ": ", s.message(), "; the file is finished at the next poll"));
      }
      ack += *written;
    }
    {
      std::lock_guard lock(mu_);
      // Only what was taken: a refused interchange sent again, corrected, is not a duplicate.
      for (const X12Interchange& x : *read) {
        if (x.accepted()) seen_.Add(InterchangeKey(x));
      }
    }
    if (absl::Status s = SaveState(); !s.ok()) {
      files_["failed"]->Inc();
      return Note(StrCat(file, ": cannot save the interchanges seen (", s.message(),
                         "); the file is finished at the next poll"));
    }

    size_t accepted = 0;
    for (const X12Interchange& x : *read) accepted += x.accepted_sets();
    // Kept as rejected when nothing in it came to anything: every set refused, by the
    // envelopes, the segment checks, the mapping or the hub.
    if (accepted == refused) {
      files_[duplicate_only ? "duplicate" : "rejected"]->Inc();
      if (report.empty()) report.push_back(StrCat(file, ": no transaction set accepted"));
      return Reject(path, report, ack);
    }
    files_["processed"]->Inc();
    spdlog::info("{}: {}: {} set(s) accepted, {} taken{}", name_, file, accepted, taken,
                 report.empty() ? "" : StrCat("; ", report.size(), " problem(s)"));
    std::string error;
    if (!drop_.Done(path, &error)) Note(error);
    std::lock_guard lock(mu_);
    last_file_ = file;
    if (!report.empty()) last_error_ = report.front();
  }

  // ---- Documents to the partner, as its orders move ----

  // Reads the event log after the last event handled, writes the documents the events
  // call for, and saves where it got to. At least once: a crash before the save writes
  // the documents since again (the partner sees the same BAK03/BSN02/BIG02 under a new
  // control number).
  void SendDocuments() {
    if (send_.empty()) return;
    constexpr int kPage = 500;
    while (!loop_.stopping()) {
      int64_t after;
      {
        std::lock_guard lock(mu_);
        after = events_after_;
      }
      absl::StatusOr<std::vector<HubEvent>> events = host_.EventsAfter(after, kPage);
      if (!events.ok()) {
        return Note(StrCat("cannot read the event log: ", events.status().message()));
      }
      if (events->empty()) return;
      for (const HubEvent& e : *events) {
        if (loop_.stopping()) break;
        if (absl::Status s = Send(e); !s.ok()) {
          if (s.code() != absl::StatusCode::kInvalidArgument) {
            SaveState().IgnoreError();  // what was handled so far; this one again next poll
            return Note(StrCat("event ", e.seq, " (", e.type, " of ", e.subject, "): ", s.message(),
                               "; tried again at the next poll"));
          }
          // What the hub holds cannot be said in X12 (a unit with no code, a value holding
          // a delimiter): waiting would not change it, and the documents after it must go.
          documents_["refused"]->Inc();
          Note(StrCat("no document for event ", e.seq, " (", e.type, " of ", e.subject,
                      "): ", s.message()));
        }
        std::lock_guard lock(mu_);
        events_after_ = e.seq;
      }
      if (absl::Status s = SaveState(); !s.ok()) {
        return Note(StrCat("cannot save where the events got to: ", s.message()));
      }
      if (static_cast<int>(events->size()) < kPage) return;
    }
  }

  // One document to write: the set, its group's functional id, what it is about.
  struct Outbound {
    formats::X12OutSet set;
    std::string functional_id;
    std::string shipment_id;     // an 856's
    std::string fulfillment_id;  // a 940's
  };

  // Whether an 856 of `order_id` we sent is not yet accepted by the partner's 997.
  bool ShipNoticesUnanswered(const std::string& order_id) {
    bool waiting = false;
    std::lock_guard lock(mu_);
    sent_groups_.ForEach([&](const std::string&, const std::string& value) {
      const SentGroup g = SentGroup::Decode(value);
      waiting |= g.set == "856" && g.order_id == order_id && g.state != "accepted";
    });
    return waiting;
  }

  // Invoices held for their ship notices' 997s: each whose 856s are all accepted now is
  // written.
  void ReleaseHeldInvoices() {
    std::vector<std::pair<std::string, HubEvent>> ready;
    {
      std::lock_guard lock(mu_);
      held_.ForEach([&](const std::string& key, const std::string& value) {
        boost::system::error_code ec;
        json::value v = json::parse(value, ec);
        if (ec || !v.is_object()) return;
        const json::object& o = v.as_object();
        ready.push_back({key, HubEvent{.seq = Int(o, "seq"),
                                       .type = Str(o, "type"),
                                       .subject = Str(o, "subject"),
                                       .payload = Str(o, "payload"),
                                       .occurred_at = host_.clock().Now()}});
      });
    }
    bool changed = false;
    for (auto& [key, e] : ready) {
      if (ShipNoticesUnanswered(e.subject)) continue;
      absl::Status s = Send(e, /*held_release=*/true);
      if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) {
        Note(StrCat("the held invoice of ", e.subject, ": ", s.message(),
                    "; tried again at the next poll"));
        break;
      }
      if (!s.ok()) {
        documents_["refused"]->Inc();
        Note(StrCat("no document for the held invoice of ", e.subject, ": ", s.message()));
      }
      std::lock_guard lock(mu_);
      held_.Remove(key);
      changed = true;
    }
    if (changed) {
      if (absl::Status s = SaveState(); !s.ok())
        Note(StrCat("cannot save its state: ", s.message()));
    }
  }

  absl::Status Send(const HubEvent& e, bool held_release = false) {
    const bool status =
        !dialect_.channel.empty() && e.type == StrCat("order.status.", dialect_.channel);
    const bool invoice = !dialect_.channel.empty() && e.type == "invoice.posted";
    const bool release = !location_.empty() && send_.contains("940") &&
                         e.type == StrCat("fulfillment.release.", location_);
    if (!status && !invoice && !release) return absl::OkStatus();
    boost::system::error_code ec;
    json::value v = json::parse(e.payload, ec);
    if (ec || !v.is_object()) return absl::InvalidArgumentError("its payload is not JSON");
    const json::object& o = v.as_object();
    if (invoice && Str(o, "channel") != dialect_.channel) return absl::OkStatus();
    if (invoice && send_.contains("810") && hold_invoices_ && !held_release &&
        ShipNoticesUnanswered(e.subject)) {
      // The partner's rule: no invoice before it has accepted the ship notices.
      json::object held{
          {"seq", e.seq}, {"type", e.type}, {"subject", e.subject}, {"payload", e.payload}};
      std::lock_guard lock(mu_);
      held_.Add(std::to_string(e.seq), json::serialize(held));
      return absl::OkStatus();
    }
    const std::string what = status ? Str(o, "status") : invoice ? "invoiced" : "released";
    const bool acknowledged = what == "allocated" || what == "backordered";
    const bool shipped = what == "shipped" || what == "partially_shipped";
    if (!(send_.contains("855") && acknowledged) && !(send_.contains("856") && shipped) &&
        !(send_.contains("810") && invoice) && !release) {
      return absl::OkStatus();
    }
    absl::StatusOr<std::optional<Order>> order = host_.GetOrder(e.subject);
    if (!order.ok()) return order.status();
    if (!*order) {
      return absl::InvalidArgumentError(StrCat("order ", e.subject, " is not in the store"));
    }

    std::vector<Outbound> out;
    if (release) {
      absl::StatusOr<Outbound> order940 = ShippingOrder(**order, o);
      if (!order940.ok()) return order940.status();
      out.push_back(*std::move(order940));
    } else if (acknowledged) {
      absl::StatusOr<Outbound> ack = Acknowledgement(**order, what, Str(o, "from"), e.occurred_at);
      if (!ack.ok()) return ack.status();
      out.push_back(*std::move(ack));
    } else if (shipped) {
      const json::value* shipments = o.if_contains("shipments");
      if (shipments == nullptr || !shipments->is_array()) {
        return absl::InvalidArgumentError("a shipped status without its shipments");
      }
      for (const json::value& sv : shipments->as_array()) {
        if (!sv.is_object()) continue;
        bool sent = false;
        {
          std::lock_guard lock(mu_);
          sent = sent_shipments_.contains(Str(sv.as_object(), "shipment_id"));
        }
        if (sent) continue;  // an earlier partial shipment's notice went out already
        absl::StatusOr<Outbound> asn = ShipNotice(**order, sv.as_object());
        if (!asn.ok()) return asn.status();
        out.push_back(*std::move(asn));
      }
    } else {
      absl::StatusOr<Outbound> inv = InvoiceOf(**order, o);
      if (!inv.ok()) return inv.status();
      out.push_back(*std::move(inv));
    }

    for (Outbound& doc : out) {
      absl::StatusOr<uint64_t> control = NextControl();
      if (!control.ok()) return control.status();
      const std::vector<formats::X12OutGroup> groups = {
          {.functional_id = doc.functional_id, .sets = {doc.set}}};
      absl::StatusOr<std::string> text = formats::WriteX12Interchange(
          envelope_, {.interchange = *control, .group = *control}, groups, host_.clock().Now());
      if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
      const fs::path file = outbound_ / StrCat(doc.set.id, "-", partner_id_, "-",
                                               formats::ZeroPadded(*control, 9), ".x12");
      if (absl::Status s = WriteFileAtomically(file, *text); !s.ok()) return s;
      documents_["sent"]->Inc();
      spdlog::info("{}: {} for order {} → {}", name_, doc.set.id, e.subject,
                   file.filename().string());
      std::lock_guard lock(mu_);
      if (!doc.shipment_id.empty()) sent_shipments_.Add(doc.shipment_id);
      if (!doc.fulfillment_id.empty()) {
        released_.Add(Reference(doc.fulfillment_id, kW0502), doc.fulfillment_id);
      }
      sent_groups_.Add(std::to_string(*control),
                       SentGroup{.set = doc.set.id,
                                 .order_id = e.subject,
                                 .fulfillment_id = doc.fulfillment_id,
                                 .sent = absl::ToUnixMillis(host_.clock().Now())}
                           .Encode());
    }
    return absl::OkStatus();
  }

  // The 855: every line accepted once allocated; all backordered when stock is short (the
  // hub backorders the order, not single lines); a change (BAK01 04) when a backordered
  // order is allocated after all.
  absl::StatusOr<Outbound> Acknowledgement(const Order& order, const std::string& status,
                                           const std::string& from, absl::Time at) {
    std::vector<LineQuantity> accepted;
    if (status == "allocated") {
      for (const OrderLine& l : order.lines) {
        accepted.push_back({.line_no = l.line_no, .sku = l.sku, .quantity = l.quantity});
      }
    }
    absl::StatusOr<formats::X12OutSet> set =
        mapping::Ack855(order, accepted, mapping::X12Unaccepted::kBackordered, at, dialect_);
    if (!set.ok()) return set.status();
    if (from == "backordered" && !set->segments.empty() && set->segments[0].size() > 1) {
      set->segments[0][1] = "04";
    }
    return Outbound{.set = *std::move(set), .functional_id = "PR"};
  }

  // The 856 of one shipment of a status event. Quantities go in the order line's unit
  // where whole units of it shipped; a line shipped in eaches says EA.
  absl::StatusOr<Outbound> ShipNotice(Order order, const json::object& s) {
    Shipment shipment{.id = Reference(Str(s, "shipment_id"), kBsn02),
                      .order_id = order.id,
                      .fulfillment_order_id = "",
                      .carrier = Str(s, "carrier"),
                      .service = "",
                      .tracking_number = Str(s, "tracking"),
                      .shipped_at = host_.clock().Now(),
                      .lines = {}};
    if (absl::Time t; absl::ParseTime(absl::RFC3339_full, Str(s, "shipped_at"), &t, nullptr)) {
      shipment.shipped_at = t;
    }
    absl::Status lines = EachLine(
        order, s, StrCat("shipment ", shipment.id), [&](OrderLine& line, const json::object& l) {
          if (const std::string uom = Str(l, "uom"); !uom.empty()) line.uom = uom;
          shipment.lines.push_back({.line_no = line.line_no,
                                    .sku = line.sku,
                                    .quantity = l.contains("unit_quantity")
                                                    ? Int(l, "unit_quantity")
                                                    : Int(l, "quantity")});
        });
    if (!lines.ok()) return lines;
    absl::StatusOr<formats::X12OutSet> set = mapping::ShipNotice856(order, shipment, dialect_);
    if (!set.ok()) return set.status();
    return Outbound{.set = *std::move(set), .functional_id = "SH", .shipment_id = shipment.id};
  }

  // The 940 of a release to the 3PL, in eaches (the release's own quantities; the 945
  // answers in them). W0502 is the fulfillment order's id, shortened to its 22 characters.
  absl::StatusOr<Outbound> ShippingOrder(Order order, const json::object& o) {
    const std::string id = Str(o, "fulfillment_id");
    FulfillmentOrder fo{.id = Reference(id, kW0502),
                        .order_id = order.id,
                        .location = location_,
                        .status = FulfillmentStatus::kReleased,
                        .lines = {},
                        .created_at = host_.clock().Now(),
                        .updated_at = std::nullopt};
    absl::Status lines =
        EachLine(order, o, StrCat("release ", id), [&](OrderLine& line, const json::object& l) {
          line.uom = "each";
          fo.lines.push_back(
              {.line_no = line.line_no, .sku = line.sku, .quantity = Int(l, "quantity")});
        });
    if (!lines.ok()) return lines;
    absl::StatusOr<formats::X12OutSet> set = mapping::ShippingOrder940(order, fo, dialect_);
    if (!set.ok()) return set.status();
    return Outbound{.set = *std::move(set), .functional_id = "OW", .fulfillment_id = id};
  }

  // The 810 of an invoice.posted event, in the units it gives per line.
  absl::StatusOr<Outbound> InvoiceOf(Order order, const json::object& o) {
    const std::string currency = Str(o, "currency");
    auto money = [&](int64_t minor) { return Money{.minor = minor, .currency = currency}; };
    Invoice invoice{.id = Str(o, "invoice_id"),
                    .order_id = order.id,
                    .number = Reference(Str(o, "invoice_id"), kBig02),
                    .currency = currency,
                    .lines = {},
                    .totals = {.subtotal = money(Int(o, "subtotal_minor")),
                               .tax = money(Int(o, "tax_minor")),
                               .shipping = money(0),
                               .grand_total = money(Int(o, "total_minor"))},
                    .issued_at = host_.clock().Now(),
                    .due_at = std::nullopt};
    absl::Status lines = EachLine(
        order, o, StrCat("invoice ", invoice.id), [&](OrderLine& line, const json::object& l) {
          const int64_t quantity =
              l.contains("quantity") ? Int(l, "quantity") : Int(l, "quantity_each");
          const std::string uom = l.contains("uom") ? Str(l, "uom") : "each";
          const int64_t amount = Int(l, "amount_minor");
          Money unit_price = line.unit_price;
          if (uom != line.uom) {
            // Invoiced in eaches: the price of one, as the amount gives it.
            line.uom = uom;
            unit_price.minor = quantity > 0 ? amount / quantity : 0;
          }
          invoice.lines.push_back({.line_no = line.line_no,
                                   .sku = line.sku,
                                   .quantity = quantity,
                                   .unit_price = unit_price,
                                   .tax = money(Int(l, "tax_minor")),
                                   .total = money(amount)});
        });
    if (!lines.ok()) return lines;
    absl::StatusOr<formats::X12OutSet> set = mapping::Invoice810(order, invoice, dialect_);
    if (!set.ok()) return set.status();
    return Outbound{.set = *std::move(set), .functional_id = "IN"};
  }

  // The hub's ids are longer than some X12 document numbers allow: BSN02 (the ship
  // notice) takes 30 characters, BIG02 (the invoice) 22. An id that does not fit keeps its
  // last characters, the random part of its ULID, so the reference stays unique and the
  // same every time the document is written.
  static constexpr size_t kBsn02 = 30, kBig02 = 22, kW0502 = 22;
  static std::string Reference(std::string_view id, size_t max) {
    return std::string(id.size() <= max ? id : id.substr(id.size() - max));
  }

  // Calls `fn` with the order line each entry of `o`'s "lines" names (the copy of the
  // order a document is written from, which `fn` may adjust) and the entry.
  static absl::Status EachLine(Order& order, const json::object& o, const std::string& what,
                               const std::function<void(OrderLine&, const json::object&)>& fn) {
    const json::value* lines = o.if_contains("lines");
    if (lines == nullptr || !lines->is_array() || lines->as_array().empty()) {
      return absl::InvalidArgumentError(StrCat(what, " has no lines"));
    }
    for (const json::value& entry : lines->as_array()) {
      if (!entry.is_object())
        return absl::InvalidArgumentError(StrCat(what, ": a line is not an object"));
      const json::object& l = entry.as_object();
      auto line = std::find_if(order.lines.begin(), order.lines.end(),
                               [&](const OrderLine& ol) { return ol.line_no == Int(l, "line"); });
      if (line == order.lines.end()) {
        return absl::InvalidArgumentError(
            StrCat(what, " names line ", Int(l, "line"), ", which the order lacks"));
      }
      fn(*line, l);
    }
    return absl::OkStatus();
  }
  static std::string Str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  static int64_t Int(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? v->as_int64() : 0;
  }

  // Partner ids and duplicates, as TA1 errors of `x`.
  void CheckPartner(X12Interchange& x, bool resumed) {
    auto check = [&](bool ok, const char* code, int element, const std::string& value,
                     const std::string& what, const std::string& expected) {
      if (!ok) {
        x.errors.push_back(
            InterchangeError(x, code, element, value,
                             StrCat("ISA", element < 10 ? "0" : "", element, " ", what, " \"",
                                    value, "\" is not this partner's \"", expected, "\"")));
      }
    };
    check(x.sender_qualifier == partner_qualifier_, "005", 5, x.sender_qualifier,
          "sender qualifier", partner_qualifier_);
    check(x.sender == partner_id_, "006", 6, x.sender, "sender", partner_id_);
    check(x.receiver_qualifier == our_qualifier_, "007", 7, x.receiver_qualifier,
          "receiver qualifier", our_qualifier_);
    check(x.receiver == our_id_, "008", 8, x.receiver, "receiver", our_id_);
    bool seen = false;
    {
      std::lock_guard lock(mu_);
      seen = seen_.contains(InterchangeKey(x));
    }
    if (seen && !resumed) {
      // Before the rest: a TA1 carries the first error's code.
      x.errors.insert(
          x.errors.begin(),
          InterchangeError(x, "025", 13, x.control,
                           StrCat("duplicate interchange: ", x.sender, " sent control number ",
                                  x.control, " before; nothing in it is taken again")));
    }
  }

  // "" when taken (or taken before), else why it was refused.
  absl::StatusOr<std::string> Take(PendingSet& p, const std::string& file) {
    if (p.id == "850") return TakeOrder(p);
    if (!p.mapped.ok()) {
      sets_total_["refused"]->Inc();
      return std::string(p.mapped.message());
    }
    if (p.advice) return TakeShipment(p);
    if (p.inventory) return TakeCount(p, file);
    MatchAcknowledgements(p.acks);
    sets_total_["taken"]->Inc();
    return std::string();
  }

  // An 850: an order, or refused and archived as such.
  absl::StatusOr<std::string> TakeOrder(PendingSet& p) {
    if (!p.mapped.ok()) return Refuse(p, std::string(p.mapped.message()));
    OrderMessage m{.source = name_, .key = p.key, .body = p.text, .order = *std::move(p.order)};
    absl::StatusOr<OrderTaken> t = AwaitHost<absl::StatusOr<OrderTaken>>(
        [&](auto done) { host_.SubmitOrder(std::move(m), std::move(done)); });
    if (!t.ok()) return t.status();
    if (!t->refused.empty()) {
      return Refuse(p, std::string(ErrorsToStatus(t->refused).message()));
    }
    sets_total_[t->duplicate ? "duplicate" : "taken"]->Inc();
    return std::string();
  }

  // Whether a 945 is the last word on its shipping order. Complete, it is. Short, W1201
  // says what becomes of the shortfall (element 368): "considered no backorder" (CP), out of
  // stock (DS), cancelled or discontinued lines (IC, CU, CK, DI, DE) will not ship, so the
  // shipment is final and the lifecycle releases the short units to stock; any other code
  // (BP shipment partial, back order to ship later; BO, BK, BM back ordered; PR partial)
  // leaves the rest open at the 3PL, its backorder, for a later 945. One open line keeps
  // the whole shipping order open.
  static bool Final(const mapping::X12ShippingAdvice& a) {
    static const std::set<std::string> kNoBackorder = {"CP", "DS", "IC", "CU", "CK", "DI", "DE"};
    for (const mapping::X12AdvisedLine& l : a.lines) {
      if (l.shipped < l.ordered && !kNoBackorder.contains(l.status)) return false;
    }
    return true;
  }

  // A 945: the shipment of a fulfillment order we released by 940, in eaches as the 940
  // was; final or not as Final() reads it.
  absl::StatusOr<std::string> TakeShipment(PendingSet& p) {
    const mapping::X12ShippingAdvice& a = *p.advice;
    std::optional<std::string> fulfillment;
    {
      std::lock_guard lock(mu_);
      fulfillment = released_.Find(a.fulfillment_order_id);
    }
    if (!fulfillment) {
      sets_total_["refused"]->Inc();
      return StrCat("W0602 \"", a.fulfillment_order_id,
                    "\" is no shipping order this connector sent (or one too old to remember)");
    }
    FulfillmentMessage m{.source = name_,
                         .key = p.key,
                         .body = p.text,
                         .kind = FulfillmentMessage::Kind::kShipped,
                         .fulfillment_id = *fulfillment,
                         .shipment_id = a.shipment.id,
                         .carrier = a.shipment.carrier,
                         .tracking = a.shipment.tracking_number,
                         .lines = {},
                         .final = Final(a)};
    for (const mapping::X12AdvisedLine& l : a.lines) {
      if (l.uom != "each") {
        sets_total_["refused"]->Inc();
        return StrCat("W12 of line ", l.line_no, " ships in \"", l.uom,
                      "\": the 940s went out in eaches, and shipments are taken in eaches");
      }
      if (l.shipped > 0)
        m.lines.push_back({.line_no = l.line_no, .sku = l.sku, .quantity = l.shipped});
    }
    absl::StatusOr<FulfillmentTaken> t = AwaitHost<absl::StatusOr<FulfillmentTaken>>(
        [&](auto done) { host_.SubmitFulfillment(std::move(m), std::move(done)); });
    if (!t.ok()) return t.status();
    if (t->verdict == "refused" || t->verdict == "not_found") {
      sets_total_["refused"]->Inc();
      return StrCat("the shipment of ", *fulfillment, " was ", t->verdict, ": ", t->reason);
    }
    sets_total_[t->verdict == "unchanged" ? "duplicate" : "taken"]->Inc();
    return std::string();
  }

  // An 846: a full count of the 3PL's stock, reconciled (its items without a warehouse
  // count at the connector's location).
  absl::StatusOr<std::string> TakeCount(PendingSet& p, const std::string& file) {
    const mapping::X12InventoryAdvice& a = *p.inventory;
    InventoryCountMessage m{.source = name_,
                            .key = p.key,
                            .name = file,
                            .body = p.text,
                            .items = {},
                            .as_of = a.as_of,
                            .apply = true};
    for (const mapping::X12InventoryItem& item : a.items) {
      if (item.uom != "each") {
        sets_total_["refused"]->Inc();
        return StrCat("QTY of ", item.sku, " counts in \"", item.uom,
                      "\": stock is counted in eaches");
      }
      m.items.push_back({.sku = item.sku,
                         .location = item.location.empty() ? location_ : item.location,
                         .on_hand = item.on_hand});
    }
    absl::StatusOr<bool> seen = host_.AlreadyReceived(name_, p.key);
    if (!seen.ok()) return seen.status();
    if (*seen) {
      sets_total_["duplicate"]->Inc();
      return std::string();
    }
    absl::StatusOr<std::string> id = AwaitHost<absl::StatusOr<std::string>>(
        [&](auto done) { host_.SubmitInventoryCount(std::move(m), std::move(done)); });
    if (!id.ok()) return id.status();
    spdlog::info("{}: 846 {} → reconciliation {}", name_, p.key, *id);
    sets_total_["taken"]->Inc();
    return std::string();
  }

  // The partner's 997/999s: each group it answers matched to a group we sent. A 3PL's
  // acceptance of a 940 acknowledges the release to the lifecycle.
  void MatchAcknowledgements(const std::vector<formats::X12AckedGroup>& groups) {
    for (const formats::X12AckedGroup& g : groups) {
      const std::string control(formats::WithoutLeadingZeros(g.control));
      std::optional<std::string> sent;
      {
        std::lock_guard lock(mu_);
        sent = sent_groups_.Find(control);
      }
      if (!sent) {
        acknowledged_["unmatched"]->Inc();
        Note(StrCat("a ", g.functional_id, " acknowledgement of group ", g.control,
                    ", which this connector did not send or no longer remembers"));
        continue;
      }
      const bool accepted = g.code == "A" || g.code == "E";
      acknowledged_[accepted ? "accepted" : "rejected"]->Inc();
      SentGroup group = SentGroup::Decode(*sent);
      group.state = accepted ? "accepted" : "rejected";
      {
        std::lock_guard lock(mu_);
        sent_groups_.Add(control, group.Encode());
      }
      const std::string& set = group.set;
      const std::string& subject =
          group.fulfillment_id.empty() ? group.order_id : group.fulfillment_id;
      if (!accepted) {
        Note(StrCat("the partner rejected our ", set, " for ", subject, " (group ", control,
                    ", AK9 ", g.code, g.errors.empty() ? "" : StrCat(" ", g.errors.front()), ")"));
        continue;
      }
      if (set != "940") continue;
      FulfillmentMessage m{.source = name_,
                           .key = StrCat("997:", control),
                           .body = "",
                           .kind = FulfillmentMessage::Kind::kAcknowledged,
                           .fulfillment_id = subject};
      absl::StatusOr<FulfillmentTaken> t = AwaitHost<absl::StatusOr<FulfillmentTaken>>(
          [&](auto done) { host_.SubmitFulfillment(std::move(m), std::move(done)); });
      if (!t.ok() || t->verdict == "refused" || t->verdict == "not_found") {
        Note(StrCat("the 997 for the 940 of ", subject, " did not acknowledge it: ",
                    t.ok() ? t->reason : std::string(t.status().message())));
      }
    }
  }

  absl::StatusOr<std::string> Refuse(PendingSet& p, std::string reason) {
    sets_total_["refused"]->Inc();
    absl::Status s = AwaitHost<absl::Status>(
        [&](auto done) { host_.RecordRefused(name_, p.key, p.text, reason, std::move(done)); });
    if (!s.ok()) return s;
    return reason;
  }

  // Every envelope and segment error of `x`, one line each, for the errors file.
  void Report(const X12Interchange& x, std::vector<std::string>& report) {
    for (const X12Error& e : x.errors) {
      report.push_back(StrCat("interchange ", x.control, ": TA1 ", e.code, ": ", e.message));
    }
    for (const X12Group& g : x.groups) {
      for (const X12Error& e : g.errors) {
        report.push_back(StrCat("group ", g.control, ": AK9 ", e.code, ": ", e.message));
      }
      for (const X12Set& s : g.sets) {
        if (!s.accepted()) sets_total_["rejected"]->Inc();
        for (const X12Error& e : s.errors) {
          report.push_back(StrCat(s.id, " ", s.control, " line ", e.line, ": ",
                                  formats::X12LevelName(e.level), " code ", e.code, ": ",
                                  e.message));
        }
      }
    }
  }

  void Reject(const fs::path& path, std::vector<std::string> report, const std::string& ack) {
    spdlog::warn("{}: rejected {}: {}", name_, path.filename().string(), report.front());
    std::string error;
    std::vector<std::pair<std::string, std::string>> beside;
    if (!ack.empty()) beside.emplace_back(".ack.x12", ack);
    drop_.Reject(path, report, beside, &error);
    if (!error.empty()) Note(error);
    std::lock_guard lock(mu_);
    last_file_ = path.filename().string();
    last_error_ = report.front();
  }

  std::string InterchangeKey(const X12Interchange& x) const {
    // Numerically: "000000007" and "7" are the same control number.
    return StrCat(x.sender_qualifier, ":", x.sender, "#", formats::WithoutLeadingZeros(x.control));
  }

  std::string JoinedSets() const {
    std::string out;
    for (const std::string& s : sets_) out += StrCat(out.empty() ? "" : ", ", s);
    return out;
  }

  void Note(std::string error) {
    spdlog::warn("{}: {}", name_, error);
    std::lock_guard lock(mu_);
    last_error_ = std::move(error);
  }

  const std::string name_;
  ConnectorHost& host_;
  DropFolder drop_;  // worker thread only, but for its options
  const fs::path claimed_, outbound_;
  const std::string partner_qualifier_, partner_id_, our_qualifier_, our_id_;
  const bool acknowledge_;
  const std::string ta1_;
  const bool check_segments_;
  const std::string location_;  // the 3PL's location name; "" for a retailer
  const absl::Duration ack_overdue_;
  const bool hold_invoices_;
  mapping::X12Dialect dialect_;
  std::set<std::string> sets_;
  std::set<std::string> send_;     // documents written for the partner: 855, 856, 810
  formats::X12Envelope envelope_;  // ours to the partner
  std::map<std::string, Counter*> files_, sets_total_, documents_, acknowledged_;

  mutable std::mutex mu_;      // guards what follows
  uint64_t control_ = 0;       // the last control number we used
  RecentKeys seen_;            // the partner's interchanges taken
  RecentKeys sent_shipments_;  // shipments whose 856 went out
  RecentKeys released_;        // a 940's W0502 (the 3PL's W0602) → the fulfillment order
  RecentKeys sent_groups_;     // our GS06 → SentGroup, to match the partner's 997s
  RecentKeys held_;            // invoice events held for their 856s' 997s: seq → event
  int64_t events_after_ = -1;  // the last event handled (-1: none read yet)
  std::string last_file_, last_error_;
  PollingLoop loop_;  // last: joined before the members its polls use go
};

}  // namespace

const ConnectorType& X12FileDropType() {
  static const ConnectorType* type = new ConnectorType{
      .name = "x12-file-drop",
      .summary =
          "An EDI trading partner's folders: its X12 interchanges checked and acknowledged "
          "(997/999, TA1); a retailer's 850s become orders and it gets 855, 856, 810; a 3PL "
          "gets 940s and its 945s and 846s come back",
      .settings = DropFolder::Settings(
          "the partner's X12 files", "*", "*.edi",
          {
              {.key = "outbound_folder",
               .type = SettingType::kPath,
               .doc = "Where the files for the partner are written (acknowledgements and the "
                      "documents of send), each complete before it appears",
               .example = "{scratch}/out"},
              {.key = "partner_qualifier",
               .type = SettingType::kString,
               .doc = "The partner's interchange id qualifier (ISA05 of what it sends)",
               .default_value = "ZZ",
               .example = "01"},
              {.key = "partner_id",
               .type = SettingType::kString,
               .doc = "The partner's interchange id (ISA06 of what it sends, up to 15 "
                      "characters); interchanges from anyone else are refused",
               .example = "RETAILER"},
              {.key = "our_qualifier",
               .type = SettingType::kString,
               .doc = "Our interchange id qualifier (ISA07 of what it sends)",
               .default_value = "ZZ",
               .example = "ZZ"},
              {.key = "our_id",
               .type = SettingType::kString,
               .doc = "Our interchange id (ISA08 of what it sends); interchanges addressed to "
                      "anyone else are refused",
               .example = "DISTHUB"},
              {.key = "channel",
               .type = SettingType::kString,
               .doc = "For a retailer: the sales channel its purchase orders belong to, and "
                      "whose orders it hears of (855, 856, 810)",
               .default_value = "",
               .example = "edi-retail"},
              {.key = "location",
               .type = SettingType::kString,
               .doc = "For a 3PL: the shipping location it is. Its releases go out as 940s "
                      "(with send: 940), its 997s acknowledge them, its 945s record "
                      "shipments and its 846s are full counts of its stock",
               .default_value = "",
               .example = "3pl-central"},
              {.key = "account_number",
               .type = SettingType::kString,
               .doc = "The partner's ERP account, set as its orders' customer account",
               .default_value = "",
               .example = "C-RETAIL-1"},
              {.key = "currency",
               .type = SettingType::kString,
               .doc = "The currency of purchase orders without a CUR segment",
               .default_value = "USD",
               .example = "CAD"},
              {.key = "sets",
               .type = SettingType::kString,
               .doc = "The transaction sets taken from the partner, comma-separated: 850 from "
                      "a retailer, 945 and 846 from a 3PL, 997 and 999 from both; others are "
                      "rejected in the 997 as not supported (code 1). auto: by its role (850 "
                      "with a channel, 945 and 846 with a location, and 997 and 999)",
               .default_value = "auto",
               .example = "850,997"},
              {.key = "acknowledge",
               .type = SettingType::kBool,
               .doc = "Send a 997 (999 for 005010 groups) for every functional group read",
               .default_value = "true",
               .example = "false"},
              {.key = "ta1",
               .type = SettingType::kString,
               .doc = "When to send a TA1: requested (when ISA14 is 1, and for every refused "
                      "interchange), always, or never (but for refused interchanges)",
               .default_value = "requested",
               .example = "always"},
              {.key = "remember_interchanges",
               .type = SettingType::kInteger,
               .doc = "How many of the partner's interchange control numbers are kept to "
                      "recognise a duplicate",
               .default_value = "10000",
               .example = "100"},
              {.key = "send",
               .type = SettingType::kString,
               .doc = "The documents written for the partner as orders move, "
                      "comma-separated: for a retailer 855 (acknowledgement, when an order is "
                      "allocated or backordered), 856 (ship notice, per shipment), 810 "
                      "(invoice, after the ship notices), whose channel's status_updates must "
                      "include allocated, backordered, shipped and partially_shipped; for a "
                      "3PL 940 (each release to its location). auto: by its role (855, 856, "
                      "810 with a channel, 940 with a location); none: nothing",
               .default_value = "auto",
               .example = "856,810"},
              {.key = "version",
               .type = SettingType::kString,
               .doc = "ISA12 of what we send: 00401, 00501, ...",
               .default_value = "00401",
               .example = "00501"},
              {.key = "group_version",
               .type = SettingType::kString,
               .doc = "GS08 of what we send: 004010, 005010, ...",
               .default_value = "004010",
               .example = "005010"},
              {.key = "usage",
               .type = SettingType::kString,
               .doc = "ISA15 of what we send: P (production) or T (test)",
               .default_value = "P",
               .example = "T"},
              {.key = "element_separator",
               .type = SettingType::kChar,
               .doc = "The element separator of what we send",
               .default_value = "*",
               .example = "|"},
              {.key = "component_separator",
               .type = SettingType::kChar,
               .doc = "The component separator of what we send (ISA16)",
               .default_value = ">",
               .example = ":"},
              {.key = "repetition_separator",
               .type = SettingType::kChar,
               .doc = "The repetition separator of what we send (ISA11, 00402 and later)",
               .default_value = "^",
               .example = "!"},
              {.key = "segment_terminator",
               .type = SettingType::kChar,
               .doc = "The segment terminator of what we send",
               .default_value = "~",
               .example = "'"},
              {.key = "line_breaks",
               .type = SettingType::kBool,
               .doc = "A line break after each segment terminator of what we send",
               .default_value = "true",
               .example = "false"},
              {.key = "ack_overdue_ms",
               .type = SettingType::kDuration,
               .doc = "A group we send whose 997 has not come within this raises "
                      "alert.edi_ack_overdue (once); 0: never",
               .default_value = "3600000",
               .example = "60000"},
              {.key = "hold_invoice_until_asn_accepted",
               .type = SettingType::kBool,
               .doc = "The partner's rule that an invoice follows only ship notices it has "
                      "accepted: each 810 waits until the 997s for the order's 856s accept "
                      "them",
               .default_value = "false",
               .example = "true"},
              {.key = "check_segments",
               .type = SettingType::kBool,
               .doc = "Check every segment against the X12 dictionary (false: envelopes only, "
                      "for a partner known to bend the standard)",
               .default_value = "true",
               .example = "false"},
          }),
      .create = [](const std::string& instance, const Settings& settings,
                   ConnectorHost& host) -> absl::StatusOr<std::unique_ptr<Connector>> {
        const std::string& ta1 = settings.String("ta1");
        if (ta1 != "requested" && ta1 != "always" && ta1 != "never") {
          return absl::InvalidArgumentError(
              StrCat("ta1: \"", ta1, "\" is not one of requested, always, never"));
        }
        for (const char* key : {"partner_id", "our_id"}) {
          const std::string& id = settings.String(key);
          if (id.empty() || id.size() > 15) {
            return absl::InvalidArgumentError(
                StrCat(key, ": \"", id, "\" must be 1 to 15 characters"));
          }
        }
        for (const char* key : {"partner_qualifier", "our_qualifier"}) {
          if (settings.String(key).size() != 2) {
            return absl::InvalidArgumentError(StrCat(key, ": must be 2 characters"));
          }
        }
        if (settings.String("channel").empty() && settings.String("location").empty()) {
          return absl::InvalidArgumentError(
              "give the partner a channel (a retailer: its 850s become orders of it) or a "
              "location (a 3PL: the releases to it go out as 940s)");
        }
        bool retail = false, logistics = false;
        for (absl::string_view doc :
             absl::StrSplit(Effective(settings, "send"), ',', absl::SkipWhitespace())) {
          const absl::string_view d = absl::StripAsciiWhitespace(doc);
          if (d != "855" && d != "856" && d != "810" && d != "940") {
            return absl::InvalidArgumentError(
                StrCat("send: \"", d, "\" is not a document it writes (855, 856, 810, 940)"));
          }
          (d == "940" ? logistics : retail) = true;
        }
        for (absl::string_view set :
             absl::StrSplit(Effective(settings, "sets"), ',', absl::SkipWhitespace())) {
          const absl::string_view d = absl::StripAsciiWhitespace(set);
          if (d == "850") retail = true;
          if (d == "945" || d == "846") logistics = true;
        }
        if (retail && settings.String("channel").empty()) {
          return absl::InvalidArgumentError(
              "channel: is required for a partner that sends 850s or gets 855, 856 or 810 "
              "(a retailer)");
        }
        if (logistics && settings.String("location").empty()) {
          return absl::InvalidArgumentError(
              "location: is required for a partner that gets 940s or sends 945s or 846s (a "
              "3PL)");
        }
        const std::string& version = settings.String("version");
        const std::string& group_version = settings.String("group_version");
        if (version.size() != 5 || group_version.size() < 6 ||
            group_version.substr(0, 3) != version.substr(0, 3) ||
            !std::all_of(version.begin(), version.end(), absl::ascii_isdigit)) {
          return absl::InvalidArgumentError(
              StrCat("version \"", version, "\" and group_version \"", group_version,
                     "\" must be an ISA12 (00401) and a GS08 of the same release (004010)"));
        }
        if (settings.String("usage") != "P" && settings.String("usage") != "T") {
          return absl::InvalidArgumentError("usage: must be P or T");
        }
        const std::string delimiters = {
            settings.Char("element_separator"), settings.Char("component_separator"),
            settings.Char("repetition_separator"), settings.Char("segment_terminator")};
        for (size_t i = 0; i < delimiters.size(); ++i) {
          if (absl::ascii_isalnum(delimiters[i]) || delimiters[i] == ' ' ||
              delimiters.find(delimiters[i], i + 1) != std::string::npos) {
            return absl::InvalidArgumentError(
                "element_separator, component_separator, repetition_separator and "
                "segment_terminator must be four different characters, none a letter, digit "
                "or space");
          }
        }
        if (settings.Integer("remember_interchanges") < 1) {
          return absl::InvalidArgumentError("remember_interchanges: must be at least 1");
        }
        if (settings.String("pattern").empty()) {
          return absl::InvalidArgumentError("pattern must not be empty");
        }
        return std::make_unique<X12FileDrop>(instance, settings, host);
      }};
  return *type;
}

}  // namespace disthub::connectors
