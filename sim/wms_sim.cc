#include "sim/wms_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/clock.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "base/yaml_reader.h"
#include "fmt/format.h"

namespace disthub {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kReleasePrefix = "fulfillment.release.";
constexpr std::string_view kCancelPrefix = "fulfillment.cancel.";
constexpr std::string_view kReturnPrefix = "return.expected.";
constexpr size_t kMaxProblems = 100;

// Stable across runs and builds (std::hash promises neither): FNV-1a, then the
// splitmix64 finalizer to spread the bits of similar ids.
class Hasher {
 public:
  explicit Hasher(uint64_t seed) { Add(std::string_view(reinterpret_cast<const char*>(&seed), 8)); }
  Hasher& Add(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * 0x100000001b3ULL;
    h_ = (h_ ^ 0xff) * 0x100000001b3ULL;  // separator: ("ab","c") != ("a","bc")
    return *this;
  }
  Hasher& Add(int64_t n) { return Add(std::to_string(n)); }
  uint64_t Done() const {
    uint64_t z = h_ + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Rates of 0 and 1 are decided without the hash, so they hold for every id.
bool Draw(double rate, uint64_t hash) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return static_cast<double>(hash >> 11) * 0x1.0p-53 < rate;
}

std::string JsonString(std::string_view s) {
  return json::serialize(json::string_view(s.data(), s.size()));
}

// Percent-encodes all but RFC 3986 unreserved characters: ids go into URL paths.
std::string PathEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

const json::value* Field(const json::object& o, std::string_view key) {
  return o.if_contains(json::string_view(key.data(), key.size()));
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = Field(o, key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// An integral JSON number (1 and 1.0 alike), or nullopt.
std::optional<int64_t> IntField(const json::object& o, std::string_view key) {
  const json::value* v = Field(o, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  json::error_code ec;
  int64_t n = v->to_number<int64_t>(ec);
  if (ec) return std::nullopt;
  return n;
}

// A release or cancel as read from the hub's envelope.
struct Inbound {
  enum class Kind { kRelease, kCancel, kReturn, kOther } kind = Kind::kOther;
  std::string type;
  std::string fulfillment_id;  // kReturn: the return id
  std::string reference;       // kReturn
  std::string order_id;
  std::string location;
  std::string carrier;
  int64_t attempt = 1;
  std::vector<WarehouseLine> lines;
};

std::string MessageHeader(const PartnerMessage& m, std::string_view lower_name) {
  for (const auto& [k, v] : m.headers) {
    if (k == lower_name) return v;
  }
  return "";
}

// Reads the envelope; kInvalidArgument says what is wrong with a release or cancel.
// Unknown fields are ignored: the hub may add some.
absl::StatusOr<Inbound> ReadInbound(const PartnerMessage& m) {
  Inbound in;
  json::error_code ec;
  json::value root = json::parse(json::string_view(m.body.data(), m.body.size()), ec);
  const json::object* envelope = !ec && root.is_object() ? &root.get_object() : nullptr;
  if (envelope != nullptr) in.type = StringField(*envelope, "type");
  if (in.type.empty()) in.type = MessageHeader(m, "x-disthub-message-type");
  std::string_view type = in.type;
  if (type.starts_with(kReleasePrefix)) {
    in.kind = Inbound::Kind::kRelease;
    in.location = std::string(type.substr(kReleasePrefix.size()));
  } else if (type.starts_with(kCancelPrefix)) {
    in.kind = Inbound::Kind::kCancel;
    in.location = std::string(type.substr(kCancelPrefix.size()));
  } else if (type.starts_with(kReturnPrefix)) {
    in.kind = Inbound::Kind::kReturn;
    in.location = std::string(type.substr(kReturnPrefix.size()));
  } else {
    return in;
  }
  if (envelope == nullptr) {
    return absl::InvalidArgumentError(ec ? StrCat("body is not JSON: ", ec.message())
                                         : std::string("body is not a JSON object"));
  }
  const json::value* p = Field(*envelope, "payload");
  if (p == nullptr || !p->is_object()) return absl::InvalidArgumentError("payload: not an object");
  const json::object& payload = p->get_object();
  const std::string_view id_key =
      in.kind == Inbound::Kind::kReturn ? "return_id" : "fulfillment_id";
  in.fulfillment_id = StringField(payload, id_key);
  if (in.fulfillment_id.empty()) {
    in.fulfillment_id = StringField(*envelope, "subject");
    if (in.fulfillment_id.empty())
      return absl::InvalidArgumentError(StrCat("payload.", id_key, " missing"));
  }
  in.reference = StringField(payload, "reference");
  in.order_id = StringField(payload, "order_id");
  if (std::string location = StringField(payload, "location"); !location.empty()) {
    in.location = std::move(location);
  }
  if (in.kind == Inbound::Kind::kCancel) return in;

  in.carrier = StringField(payload, "carrier");
  if (Field(payload, "attempt") != nullptr) {
    std::optional<int64_t> attempt = IntField(payload, "attempt");
    if (!attempt || *attempt < 1)
      return absl::InvalidArgumentError("payload.attempt: not a positive integer");
    in.attempt = *attempt;
  }
  const json::value* lines = Field(payload, "lines");
  if (lines == nullptr || !lines->is_array() || lines->get_array().empty()) {
    return absl::InvalidArgumentError("payload.lines: not a non-empty array");
  }
  for (const json::value& lv : lines->get_array()) {
    const std::string at = StrCat("payload.lines[", static_cast<int64_t>(in.lines.size()), "]");
    if (!lv.is_object()) return absl::InvalidArgumentError(StrCat(at, ": not an object"));
    const json::object& lo = lv.get_object();
    WarehouseLine line;
    std::optional<int64_t> number = IntField(lo, "line");
    std::optional<int64_t> quantity = IntField(lo, "quantity");
    if (!number || *number < 1)
      return absl::InvalidArgumentError(StrCat(at, ".line: not a positive integer"));
    // 0 is allowed: the hub releases what is left of each line, and a line may be done.
    if (!quantity || *quantity < 0) {
      return absl::InvalidArgumentError(StrCat(at, ".quantity: not a non-negative integer"));
    }
    line.line = *number;
    line.ordered = *quantity;
    line.sku = StringField(lo, "sku");
    in.lines.push_back(std::move(line));
  }
  if (std::none_of(in.lines.begin(), in.lines.end(),
                   [](const WarehouseLine& l) { return l.ordered > 0; })) {
    return absl::InvalidArgumentError(in.kind == Inbound::Kind::kReturn
                                          ? "payload.lines: no units to return"
                                          : "payload.lines: no units to ship");
  }
  return in;
}

enum class ActionKind { kReceive, kAck, kShip, kCancelAnswer, kReturnReceipt, kReturnInspection };

// A call to the hub, built once when its action first runs and resent unchanged (same
// Idempotency-Key, same body) on retries.
struct Call {
  std::string path;
  std::string key;
  std::string body;
};

struct Action {
  SteadyClock::time_point due;
  uint64_t order = 0;  // ties broken by arrival
  ActionKind kind = ActionKind::kReceive;
  std::string fulfillment_id;
  SteadyClock::time_point received;               // when the release or cancel arrived
  int64_t attempt = 0;                            // kAck
  bool then_ship = false;                         // kAck: schedule the first shipment after it
  int shipment_no = 0;                            // kShip: 1, 2
  std::string return_id;                          // kReturnReceipt, kReturnInspection
  std::shared_ptr<const PartnerMessage> message;  // kReceive
  std::optional<Call> call;
  SteadyClock::time_point first_try;
  int tries = 0;
};

// Min-heap order for std::push_heap (which builds a max-heap).
struct DueLater {
  bool operator()(const Action& a, const Action& b) const {
    return std::tie(a.due, a.order) > std::tie(b.due, b.order);
  }
};

enum class Plan { kNone, kFull, kPartial, kShort };

struct State {
  WarehouseFulfillment record;
  Plan plan = Plan::kNone;
  std::string carrier;  // of its shipments: the first release's, or the default
  bool acked = false;
  bool cancelled = false;
  std::optional<bool> cancel_answer;  // decided by the first cancel answer that ran
};

std::string StateName(const State& s) {
  if (s.cancelled) return "cancelled";
  for (const WarehouseShipment& sh : s.record.shipments) {
    if (sh.final) return "shipped";
  }
  if (!s.record.shipments.empty()) return "partially_shipped";
  if (s.acked) return "acknowledged";
  return "received";
}

std::chrono::milliseconds Ms(int64_t ms) { return std::chrono::milliseconds(ms); }

}  // namespace

class WarehouseSim::Impl {
 public:
  explicit Impl(WarehouseOptions options) : options_(std::move(options)) {
    while (!options_.hub_url.empty() && options_.hub_url.back() == '/') options_.hub_url.pop_back();
  }
  ~Impl() { Stop(); }

  void StartWorkers() {
    for (int i = 0; i < options_.worker_threads; ++i) {
      workers_.emplace_back([this, i] { Work(i); });
    }
  }

  void OnMessage(const PartnerMessage& message) {
    Action a;
    a.kind = ActionKind::kReceive;
    a.received = SteadyClock::now();
    a.due = a.received;
    a.message = std::make_shared<const PartnerMessage>(message);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    ++stats_.messages;
    Push(std::move(a));
  }

  WarehouseStats Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  std::vector<WarehouseFulfillment> Fulfillments() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<WarehouseFulfillment> out;
    out.reserve(states_.size());
    for (const State& s : states_) out.push_back(Snapshot(s));
    return out;
  }

  std::optional<WarehouseFulfillment> Fulfillment(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    return Snapshot(states_[it->second]);
  }

  std::vector<WarehouseProblem> Problems() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {problems_.begin(), problems_.end()};
  }

  std::vector<WarehouseReturn> Returns() const {
    std::lock_guard<std::mutex> lock(mu_);
    return returns_;
  }

  std::string ToJson() const;

  bool WaitIdle(absl::Duration timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return idle_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [&] { return queue_.empty() && running_ == 0; });
  }

  void Stop() {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      queue_.clear();
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    idle_cv_.notify_all();
  }

 private:
  static WarehouseFulfillment Snapshot(const State& s) {
    WarehouseFulfillment f = s.record;
    f.state = StateName(s);
    f.cancel_accepted = s.cancel_answer;
    return f;
  }

  void Push(Action a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stopping_) return;
    a.order = next_order_++;
    queue_.push_back(std::move(a));
    std::push_heap(queue_.begin(), queue_.end(), DueLater());
    work_cv_.notify_one();
  }

  void Work(int index) {
    NameThisThread(StrCat("wh-sim-", index));
    HttpClient client(options_.hub_url, options_.call_timeout_ms / 1000.0);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (queue_.empty()) {
        work_cv_.wait(lock);
        continue;
      }
      const SteadyClock::time_point due = queue_.front().due;
      if (due > SteadyClock::now()) {
        work_cv_.wait_until(lock, due);
        continue;
      }
      std::pop_heap(queue_.begin(), queue_.end(), DueLater());
      Action a = std::move(queue_.back());
      queue_.pop_back();
      ++running_;
      lock.unlock();
      Run(std::move(a), client);
      lock.lock();
      --running_;
      if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
    }
  }

  State& FindOrAdd(const std::string& id, bool* fresh) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [it, inserted] = index_.try_emplace(id, states_.size());
    if (inserted) {
      states_.emplace_back();
      states_.back().record.fulfillment_id = id;
    }
    if (fresh != nullptr) *fresh = inserted;
    return states_[it->second];
  }

  bool ForThisLocation(const std::string& location) const {
    return options_.location.empty() || location.empty() || location == options_.location;
  }

  // Drops the queued acknowledgements and shipments of a cancelled fulfillment now rather
  // than when they come due, so WaitIdle() need not wait for them.
  void DropQueued(const std::string& fulfillment_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::erase_if(queue_, [&](const Action& q) {
      return q.fulfillment_id == fulfillment_id &&
             (q.kind == ActionKind::kAck || q.kind == ActionKind::kShip);
    });
    std::make_heap(queue_.begin(), queue_.end(), DueLater());
  }

  void Run(Action a, HttpClient& client);
  void Receive(const Action& a);
  void ReceiveReturn(const Action& a, Inbound& in) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Prepare() and Finish() for the return actions.
  bool PrepareReturn(Action& a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishReturn(const Action& a, bool accepted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds the action's call on its first run (deciding what to ship or answer);
  // false when the action is dropped instead.
  bool Prepare(Action& a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The action's call is over (accepted, rejected or given up): schedules what follows.
  void Finish(const Action& a, bool accepted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddProblem(const Action& a, int status, std::string detail)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string ShipBody(State& s, int shipment_no, bool* final) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  WarehouseOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable work_cv_;         // the queue changed, or stopping
  mutable std::condition_variable idle_cv_;         // the queue ran empty with nothing running
  std::vector<Action> queue_ ABSL_GUARDED_BY(mu_);  // a min-heap on (due, order)
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WarehouseStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<State> states_ ABSL_GUARDED_BY(mu_);  // in order of first receipt
  absl::flat_hash_map<std::string, size_t> index_ ABSL_GUARDED_BY(mu_);
  std::deque<WarehouseProblem> problems_ ABSL_GUARDED_BY(mu_);
  std::vector<WarehouseReturn> returns_ ABSL_GUARDED_BY(mu_);  // in order of first message
  absl::flat_hash_map<std::string, size_t> return_index_ ABSL_GUARDED_BY(mu_);

  std::mutex stop_mu_;  // serializes Stop() (joining twice is undefined)
  std::vector<std::thread> workers_;
};

void WarehouseSim::Impl::Run(Action a, HttpClient& client) {
  if (a.kind == ActionKind::kReceive) return Receive(a);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !Prepare(a)) return;
    if (a.tries > 0) ++stats_.callbacks_retried;
  }
  const SteadyClock::time_point now = SteadyClock::now();
  if (a.tries++ == 0) a.first_try = now;
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"},
                                                              {"Idempotency-Key", a.call->key}};
  if (!options_.api_key.empty())
    headers.emplace_back("Authorization", StrCat("Bearer ", options_.api_key));
  absl::StatusOr<HttpResult> result = client.Send("POST", a.call->path, headers, a.call->body);

  std::lock_guard<std::mutex> lock(mu_);
  if (result.ok() && result->status >= 200 && result->status < 300) return Finish(a, true);
  const bool retryable = !result.ok() || result->status == 429 || result->status >= 500;
  if (!retryable) {
    ++stats_.callbacks_rejected;
    spdlog::warn("warehouse-sim: POST {} ({}) answered {}: {}", a.call->path, a.call->key,
                 result->status, result->body);
    AddProblem(a, result->status, result->body);
    return Finish(a, false);
  }
  // Exponential backoff, stretched to the hub's Retry-After when it asks for longer.
  int64_t backoff_ms = options_.retry_initial_ms;
  for (int i = 1; i < a.tries && backoff_ms < options_.retry_max_ms; ++i) backoff_ms *= 2;
  backoff_ms = std::min<int64_t>(backoff_ms, options_.retry_max_ms);
  if (result.ok()) {
    const std::string retry_after = result->Header("retry-after");
    char* end = nullptr;
    const long long seconds = std::strtoll(retry_after.c_str(), &end, 10);
    if (!retry_after.empty() && *end == '\0' && seconds > 0) {
      backoff_ms = std::max<int64_t>(backoff_ms, std::min<long long>(seconds, 86'400) * 1000);
    }
  }
  a.due = SteadyClock::now() + Ms(backoff_ms);
  if (a.due - a.first_try > Ms(options_.give_up_after_ms)) {
    ++stats_.callbacks_failed;
    std::string detail = result.ok() ? StrCat(result->status, " ", result->body)
                                     : std::string(View(result.status().message()));
    spdlog::warn("warehouse-sim: gave up POST {} ({}) after {} tries: {}", a.call->path,
                 a.call->key, a.tries, detail);
    AddProblem(a, result.ok() ? result->status : 0,
               result.ok() ? result->body : std::string(View(result.status().message())));
    return Finish(a, false);
  }
  Push(std::move(a));
}

void WarehouseSim::Impl::Receive(const Action& a) {
  absl::StatusOr<Inbound> read = ReadInbound(*a.message);  // outside the lock: parsing
  std::lock_guard<std::mutex> lock(mu_);
  if (!read.ok()) {
    ++stats_.malformed;
    spdlog::warn("warehouse-sim: message {} ignored: {}", a.message->key, read.status().message());
    return;
  }
  Inbound& in = *read;
  if (in.kind == Inbound::Kind::kOther) {
    ++stats_.other_messages;
    return;
  }
  if (in.kind == Inbound::Kind::kReturn) return ReceiveReturn(a, in);
  if (in.kind == Inbound::Kind::kCancel) {
    ++stats_.cancels_received;
    if (!ForThisLocation(in.location)) {
      ++stats_.cancels_ignored;
      return;
    }
    // A cancel may come before its release (deliveries can be reordered): the record it
    // creates keeps a late release from shipping once the cancel is accepted.
    State& s = FindOrAdd(in.fulfillment_id, nullptr);
    if (s.record.order_id.empty()) s.record.order_id = in.order_id;
    if (s.record.location.empty()) s.record.location = in.location;
    Action answer;
    answer.kind = ActionKind::kCancelAnswer;
    answer.fulfillment_id = in.fulfillment_id;
    answer.received = a.received;
    answer.due = a.received + Ms(options_.ack_delay_ms);
    return Push(std::move(answer));
  }

  ++stats_.releases_received;
  if (!ForThisLocation(in.location)) {
    ++stats_.releases_ignored;
    spdlog::warn("warehouse-sim ({}): release of {} for location {} ignored", options_.location,
                 in.fulfillment_id, in.location);
    return;
  }
  bool fresh = false;
  State& s = FindOrAdd(in.fulfillment_id, &fresh);
  if (!s.record.attempts.empty()) ++stats_.re_releases;
  s.record.attempts.push_back(in.attempt);
  if (s.record.lines.empty()) {
    // The first release defines the order; retries repeat it.
    s.record.order_id = in.order_id;
    s.record.location = in.location;
    s.record.lines = std::move(in.lines);
  }
  if (s.cancelled) {
    ++stats_.releases_ignored;
    return;
  }
  const std::string& id = in.fulfillment_id;
  if (Draw(options_.silent_rate,
           Hasher(options_.seed).Add("silent").Add(id).Add(in.attempt).Done())) {
    ++stats_.silent_drops;
    return;
  }
  Action ack;
  ack.kind = ActionKind::kAck;
  ack.fulfillment_id = id;
  ack.received = a.received;
  ack.attempt = in.attempt;
  ack.due = a.received + Ms(options_.ack_delay_ms);
  if (s.plan == Plan::kNone) {
    // The first release acted on decides how the fulfillment ships; retries only re-ack.
    ack.then_ship = true;
    if (Draw(options_.partial_rate, Hasher(options_.seed).Add("partial").Add(id).Done())) {
      s.plan = Plan::kPartial;
      ++stats_.partial_fulfillments;
    } else if (Draw(options_.short_rate, Hasher(options_.seed).Add("short").Add(id).Done()) &&
               std::any_of(s.record.lines.begin(), s.record.lines.end(),
                           [](const WarehouseLine& l) { return l.ordered > 1; })) {
      s.plan = Plan::kShort;
      ++stats_.short_fulfillments;
    } else {
      s.plan = Plan::kFull;
    }
    s.carrier = in.carrier.empty() ? options_.carrier : in.carrier;
  }
  Push(std::move(ack));
}

void WarehouseSim::Impl::ReceiveReturn(const Action& a, Inbound& in) {
  ++stats_.returns_expected;
  if (!ForThisLocation(in.location)) {
    ++stats_.returns_ignored;
    spdlog::warn("warehouse-sim ({}): return {} for location {} ignored", options_.location,
                 in.fulfillment_id, in.location);
    return;
  }
  auto [it, inserted] = return_index_.try_emplace(in.fulfillment_id, returns_.size());
  if (!inserted) {  // the hub told us twice (another key): the goods come once
    ++stats_.returns_ignored;
    return;
  }
  WarehouseReturn r;
  r.return_id = in.fulfillment_id;
  r.order_id = in.order_id;
  r.reference = in.reference;
  r.location = in.location;
  r.state = "expected";
  for (const WarehouseLine& l : in.lines) {
    r.lines.push_back(WarehouseReturnLine{.line = l.line, .sku = l.sku, .expected = l.ordered});
  }
  returns_.push_back(std::move(r));
  Action receipt;
  receipt.kind = ActionKind::kReturnReceipt;
  receipt.return_id = in.fulfillment_id;
  receipt.received = a.received;
  receipt.due = a.received + Ms(options_.return_delay_ms);
  Push(std::move(receipt));
}

bool WarehouseSim::Impl::PrepareReturn(Action& a) {
  auto it = return_index_.find(a.return_id);
  if (it == return_index_.end()) return false;
  WarehouseReturn& r = returns_[it->second];
  const std::string base = StrCat("/v1/returns/", PathEscape(a.return_id));
  std::string lines;
  auto add = [&](std::string line) { lines += StrCat(lines.empty() ? "" : ",", line); };
  if (a.kind == ActionKind::kReturnReceipt) {
    // Everything the hub said to expect arrives.
    r.state = "received";
    ++stats_.returns_received;
    for (WarehouseReturnLine& l : r.lines) {
      if (l.expected <= 0) continue;
      l.received = l.expected;
      stats_.units_returned += l.received;
      add(StrCat("{\"line\":", l.line, ",\"quantity\":", l.received, "}"));
    }
    a.call = Call{StrCat(base, "/receipt"), StrCat("return-receipt:", a.return_id),
                  StrCat("{\"lines\":[", lines, "]}")};
    return true;
  }
  // Inspection: every unit received is accepted; damaged ones are not restocked.
  r.state = "inspected";
  ++stats_.returns_inspected;
  for (WarehouseReturnLine& l : r.lines) {
    if (l.received <= 0) continue;
    int64_t damaged = 0;
    for (int64_t unit = 0; unit < l.received; ++unit) {
      damaged +=
          Draw(options_.damaged_rate,
               Hasher(options_.seed).Add("damaged").Add(a.return_id).Add(l.line).Add(unit).Done());
    }
    l.accepted = l.received;
    l.restocked = l.received - damaged;
    stats_.units_restocked += l.restocked;
    stats_.units_damaged += damaged;
    if (l.restocked > 0) {
      add(StrCat("{\"line\":", l.line, ",\"accepted\":", l.restocked, ",\"restock\":true}"));
    }
    if (damaged > 0) {
      add(StrCat("{\"line\":", l.line, ",\"accepted\":", damaged,
                 ",\"restock\":false,\"note\":\"damaged\"}"));
    }
  }
  a.call = Call{StrCat(base, "/inspection"), StrCat("return-inspection:", a.return_id),
                StrCat("{\"lines\":[", lines, "]}")};
  return true;
}

void WarehouseSim::Impl::FinishReturn(const Action& a, bool accepted) {
  auto it = return_index_.find(a.return_id);
  if (it == return_index_.end()) return;
  WarehouseReturn& r = returns_[it->second];
  if (accepted) ++stats_.return_calls_sent;
  if (a.kind == ActionKind::kReturnInspection) {
    r.inspection_confirmed = accepted;
    return;
  }
  r.receipt_confirmed = accepted;
  // Inspected whether or not the hub heard of the receipt (it implies one).
  Action inspection;
  inspection.kind = ActionKind::kReturnInspection;
  inspection.return_id = a.return_id;
  inspection.received = a.received;
  inspection.due = std::max(SteadyClock::now(), a.received + Ms(2 * options_.return_delay_ms));
  Push(std::move(inspection));
}

bool WarehouseSim::Impl::Prepare(Action& a) {
  if (a.call) return true;  // a retry: resent as first built
  if (a.kind == ActionKind::kReturnReceipt || a.kind == ActionKind::kReturnInspection) {
    return PrepareReturn(a);
  }
  auto it = index_.find(a.fulfillment_id);
  if (it == index_.end()) return false;
  State& s = states_[it->second];
  const std::string& id = a.fulfillment_id;
  const std::string base = StrCat("/v1/fulfillments/", PathEscape(id));
  switch (a.kind) {
    case ActionKind::kReceive:
    case ActionKind::kReturnReceipt:
    case ActionKind::kReturnInspection:
      return false;
    case ActionKind::kAck: {
      if (s.cancelled) return false;
      s.acked = true;
      const std::string& location =
          options_.location.empty() ? s.record.location : options_.location;
      a.call = Call{StrCat(base, "/acknowledgement"), StrCat("ack:", id, ":", a.attempt),
                    StrCat("{\"message_id\":", JsonString(StrCat("ack-", id, "-", a.attempt)),
                           ",\"location\":", JsonString(location), "}")};
      return true;
    }
    case ActionKind::kShip: {
      // Pending shipments of a cancelled fulfillment are dropped here, when they come due.
      if (s.cancelled) return false;
      bool final = true;
      std::string body = ShipBody(s, a.shipment_no, &final);
      a.call = Call{StrCat(base, "/shipments"),
                    StrCat("ship:", s.record.shipments.back().shipment_id), std::move(body)};
      return true;
    }
    case ActionKind::kCancelAnswer: {
      // Decided when the answer is due, not when the cancel arrived: a shipment that left
      // in between makes it a refusal, as in a real warehouse.
      if (!s.cancel_answer) {
        s.cancel_answer = s.record.shipments.empty();
        if (*s.cancel_answer) {
          s.cancelled = true;
          ++stats_.cancels_accepted;
          DropQueued(id);
        } else {
          ++stats_.cancels_refused;
        }
      }
      a.call =
          Call{StrCat(base, "/cancellation"), StrCat("cancel:", id),
               *s.cancel_answer ? std::string(R"({"accepted":true})")
                                : std::string(R"({"accepted":false,"reason":"already shipped"})")};
      return true;
    }
  }
  return false;
}

std::string WarehouseSim::Impl::ShipBody(State& s, int shipment_no, bool* final) {
  WarehouseShipment shipment;
  shipment.shipment_id = StrCat("shp-", s.record.fulfillment_id, "-", shipment_no);
  shipment.carrier = s.carrier.empty() ? options_.carrier : s.carrier;
  shipment.tracking = fmt::format(
      "TRK{:016X}", Hasher(options_.seed).Add("tracking").Add(shipment.shipment_id).Done());
  bool short_taken = false;
  bool rest_left = false;
  bool first_with_units = true;
  for (WarehouseLine& l : s.record.lines) {
    int64_t q = l.ordered - l.shipped;
    if (s.plan == Plan::kPartial && shipment_no == 1) {
      q = l.ordered / 2;
      // The first part is never empty: at least one unit of the first line with units.
      if (first_with_units && l.ordered > 0) q = std::max<int64_t>(q, 1);
      if (l.ordered > 0) first_with_units = false;
      if (q < l.ordered) rest_left = true;
    } else if (s.plan == Plan::kShort && !short_taken && q > 1) {
      q -= 1;
      short_taken = true;
    }
    if (q <= 0) continue;
    l.shipped += q;
    stats_.units_shipped += q;
    shipment.lines.emplace_back(l.line, q);
  }
  // A partial plan whose first half already holds everything (one unit) ships once.
  shipment.final = !rest_left;
  *final = shipment.final;
  ++stats_.shipments_made;
  std::string lines;
  for (const auto& [line, quantity] : shipment.lines) {
    lines += StrCat(lines.empty() ? "" : ",", "{\"line\":", line, ",\"quantity\":", quantity, "}");
  }
  std::string body = StrCat("{\"shipment_id\":", JsonString(shipment.shipment_id), ",\"lines\":[",
                            lines, "],\"carrier\":", JsonString(shipment.carrier),
                            ",\"tracking\":", JsonString(shipment.tracking),
                            ",\"final\":", shipment.final ? "true" : "false", "}");
  s.record.shipments.push_back(std::move(shipment));
  return body;
}

void WarehouseSim::Impl::Finish(const Action& a, bool accepted) {
  if (a.kind == ActionKind::kReturnReceipt || a.kind == ActionKind::kReturnInspection) {
    return FinishReturn(a, accepted);
  }
  auto it = index_.find(a.fulfillment_id);
  if (it == index_.end()) return;
  State& s = states_[it->second];
  const SteadyClock::time_point now = SteadyClock::now();
  switch (a.kind) {
    case ActionKind::kReceive:
    case ActionKind::kReturnReceipt:
    case ActionKind::kReturnInspection:
      return;
    case ActionKind::kAck:
      if (accepted) ++stats_.acks_sent;
      // The goods ship whether or not the hub heard the acknowledgement.
      if (a.then_ship && !s.cancelled) {
        Action ship;
        ship.kind = ActionKind::kShip;
        ship.fulfillment_id = a.fulfillment_id;
        ship.received = a.received;
        ship.shipment_no = 1;
        ship.due = std::max(now, a.received + Ms(options_.ship_delay_ms));
        Push(std::move(ship));
      }
      return;
    case ActionKind::kShip: {
      const std::string id = StrCat("shp-", a.fulfillment_id, "-", a.shipment_no);
      bool final = true;
      for (WarehouseShipment& sh : s.record.shipments) {
        if (sh.shipment_id != id) continue;
        sh.confirmed = accepted;
        final = sh.final;
      }
      if (accepted) ++stats_.shipments_sent;
      if (!final) {
        Action next;
        next.kind = ActionKind::kShip;
        next.fulfillment_id = a.fulfillment_id;
        next.received = a.received;
        next.shipment_no = a.shipment_no + 1;
        next.due = now + Ms(options_.ship_delay_ms);
        Push(std::move(next));
      }
      return;
    }
    case ActionKind::kCancelAnswer:
      if (accepted) ++stats_.cancel_answers_sent;
      return;
  }
}

void WarehouseSim::Impl::AddProblem(const Action& a, int status, std::string detail) {
  WarehouseProblem p;
  p.at = Clock::Real()->Now();
  p.idempotency_key = a.call->key;
  p.path = a.call->path;
  p.status = status;
  p.detail = std::move(detail);
  problems_.push_back(std::move(p));
  if (problems_.size() > kMaxProblems) problems_.pop_front();
}

std::string WarehouseSim::Impl::ToJson() const {
  json::array fulfillments;
  json::array problems;
  json::array returns;
  WarehouseStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
    fulfillments.reserve(states_.size());
    for (const State& st : states_) {
      const WarehouseFulfillment f = Snapshot(st);
      json::array attempts;
      for (int64_t n : f.attempts) attempts.push_back(n);
      json::array lines;
      for (const WarehouseLine& l : f.lines) {
        lines.push_back(json::object{
            {"line", l.line}, {"sku", l.sku}, {"ordered", l.ordered}, {"shipped", l.shipped}});
      }
      json::array shipments;
      for (const WarehouseShipment& sh : f.shipments) {
        json::array sl;
        for (const auto& [line, quantity] : sh.lines) {
          sl.push_back(json::object{{"line", line}, {"quantity", quantity}});
        }
        shipments.push_back(json::object{{"shipment_id", sh.shipment_id},
                                         {"lines", std::move(sl)},
                                         {"final", sh.final},
                                         {"carrier", sh.carrier},
                                         {"tracking", sh.tracking},
                                         {"confirmed", sh.confirmed}});
      }
      json::value cancel = nullptr;
      if (f.cancel_accepted) cancel = *f.cancel_accepted;
      fulfillments.push_back(json::object{{"fulfillment_id", f.fulfillment_id},
                                          {"order_id", f.order_id},
                                          {"location", f.location},
                                          {"state", f.state},
                                          {"attempts", std::move(attempts)},
                                          {"lines", std::move(lines)},
                                          {"shipments", std::move(shipments)},
                                          {"cancel_accepted", std::move(cancel)}});
    }
    for (const WarehouseReturn& r : returns_) {
      json::array lines;
      for (const WarehouseReturnLine& l : r.lines) {
        lines.push_back(json::object{{"line", l.line},
                                     {"sku", l.sku},
                                     {"expected", l.expected},
                                     {"received", l.received},
                                     {"accepted", l.accepted},
                                     {"restocked", l.restocked}});
      }
      returns.push_back(json::object{{"return_id", r.return_id},
                                     {"order_id", r.order_id},
                                     {"reference", r.reference},
                                     {"location", r.location},
                                     {"state", r.state},
                                     {"lines", std::move(lines)},
                                     {"receipt_confirmed", r.receipt_confirmed},
                                     {"inspection_confirmed", r.inspection_confirmed}});
    }
    for (const WarehouseProblem& p : problems_) {
      problems.push_back(json::object{{"at", disthub::FormatTime(p.at)},
                                      {"idempotency_key", p.idempotency_key},
                                      {"path", p.path},
                                      {"status", p.status},
                                      {"detail", p.detail}});
    }
  }
  return StrCat("{\"location\":", JsonString(options_.location),
                ",\"hub_url\":", JsonString(options_.hub_url), ",\"stats\":", stats.ToJson(),
                ",\"fulfillments\":", json::serialize(fulfillments),
                ",\"returns\":", json::serialize(returns),
                ",\"problems\":", json::serialize(problems), "}");
}

std::string WarehouseStats::ToJson() const {
  return StrCat(
      "{\"messages\":", messages, ",\"releases_received\":", releases_received,
      ",\"re_releases\":", re_releases, ",\"releases_ignored\":", releases_ignored,
      ",\"silent_drops\":", silent_drops, ",\"acks_sent\":", acks_sent,
      ",\"shipments_made\":", shipments_made, ",\"shipments_sent\":", shipments_sent,
      ",\"units_shipped\":", units_shipped, ",\"partial_fulfillments\":", partial_fulfillments,
      ",\"short_fulfillments\":", short_fulfillments, ",\"cancels_received\":", cancels_received,
      ",\"cancels_ignored\":", cancels_ignored, ",\"cancels_accepted\":", cancels_accepted,
      ",\"cancels_refused\":", cancels_refused, ",\"cancel_answers_sent\":", cancel_answers_sent,
      ",\"callbacks_retried\":", callbacks_retried, ",\"callbacks_failed\":", callbacks_failed,
      ",\"callbacks_rejected\":", callbacks_rejected, ",\"other_messages\":", other_messages,
      ",\"malformed\":", malformed, ",\"returns_expected\":", returns_expected,
      ",\"returns_ignored\":", returns_ignored, ",\"returns_received\":", returns_received,
      ",\"returns_inspected\":", returns_inspected, ",\"units_returned\":", units_returned,
      ",\"units_restocked\":", units_restocked, ",\"units_damaged\":", units_damaged,
      ",\"return_calls_sent\":", return_calls_sent, "}");
}

absl::Status ValidateWarehouseOptions(const WarehouseOptions& o) {
  auto fail = [](std::string_view field, std::string_view message) {
    return absl::InvalidArgumentError(StrCat("warehouse.", field, ": ", message));
  };
  std::string_view url = o.hub_url;
  if (!(url.starts_with("http://") && url.size() > 7) &&
      !(url.starts_with("https://") && url.size() > 8)) {
    return fail("hub_url", "must be the hub's base URL, http://HOST:PORT or https://HOST:PORT");
  }
  if (o.api_key.find_first_of("\r\n") != std::string::npos) {
    return fail("api_key", "must not contain line breaks");
  }
  if (o.ack_delay_ms < 0) return fail("ack_delay_ms", "must not be negative");
  if (o.ship_delay_ms < 0) return fail("ship_delay_ms", "must not be negative");
  if (o.return_delay_ms < 0) return fail("return_delay_ms", "must not be negative");
  for (auto [name, rate] : {std::pair<std::string_view, double>{"silent_rate", o.silent_rate},
                            {"partial_rate", o.partial_rate},
                            {"short_rate", o.short_rate},
                            {"damaged_rate", o.damaged_rate}}) {
    if (!(rate >= 0 && rate <= 1)) return fail(name, "must be a probability from 0 to 1");
  }
  if (o.carrier.empty()) return fail("carrier", "must not be empty");
  if (o.worker_threads < 1 || o.worker_threads > 16)
    return fail("worker_threads", "must be 1 to 16");
  if (o.retry_initial_ms < 1) return fail("retry_initial_ms", "must be at least 1");
  if (o.retry_max_ms < o.retry_initial_ms)
    return fail("retry_max_ms", "must be at least retry_initial_ms");
  if (o.give_up_after_ms < 0) return fail("give_up_after_ms", "must not be negative");
  if (o.call_timeout_ms < 1) return fail("call_timeout_ms", "must be at least 1");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WarehouseSim>> WarehouseSim::Start(const WarehouseOptions& options) {
  if (absl::Status s = ValidateWarehouseOptions(options); !s.ok()) return s;
  auto impl = std::make_unique<Impl>(options);
  impl->StartWorkers();
  spdlog::info("warehouse-sim: {} calling the hub at {} ({} workers)",
               options.location.empty() ? std::string("any location") : options.location,
               options.hub_url, options.worker_threads);
  return std::unique_ptr<WarehouseSim>(new WarehouseSim(std::move(impl)));
}

WarehouseSim::WarehouseSim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WarehouseSim::~WarehouseSim() { Stop(); }
void WarehouseSim::OnMessage(const PartnerMessage& message) { impl_->OnMessage(message); }
WarehouseStats WarehouseSim::Stats() const { return impl_->Stats(); }
std::vector<WarehouseFulfillment> WarehouseSim::Fulfillments() const {
  return impl_->Fulfillments();
}
std::optional<WarehouseFulfillment> WarehouseSim::Fulfillment(const std::string& id) const {
  return impl_->Fulfillment(id);
}
std::vector<WarehouseProblem> WarehouseSim::Problems() const { return impl_->Problems(); }
std::vector<WarehouseReturn> WarehouseSim::Returns() const { return impl_->Returns(); }
std::string WarehouseSim::ToJson() const { return impl_->ToJson(); }
bool WarehouseSim::WaitIdle(absl::Duration timeout) const { return impl_->WaitIdle(timeout); }
void WarehouseSim::Stop() { impl_->Stop(); }

WarehousePartner::WarehousePartner(std::unique_ptr<WarehouseSim> warehouse,
                                   std::unique_ptr<PartnerSim> partner)
    : warehouse_(std::move(warehouse)), partner_(std::move(partner)) {}

WarehousePartner::~WarehousePartner() { Stop(); }

void WarehousePartner::Stop() {
  // The partner's hooks point at the warehouse: after partner_->Stop() no I/O thread runs.
  partner_->Stop();
  warehouse_->Stop();
}

absl::StatusOr<std::unique_ptr<WarehousePartner>> StartWarehouseSim(
    PartnerSimOptions partner, const WarehouseOptions& warehouse) {
  absl::StatusOr<std::unique_ptr<WarehouseSim>> wh = WarehouseSim::Start(warehouse);
  if (!wh.ok()) return wh.status();
  WarehouseSim* w = wh->get();  // outlives the partner (WarehousePartner's member order)
  partner.on_message = [w, also = std::move(partner.on_message)](const PartnerMessage& m) {
    w->OnMessage(m);
    if (also) also(m);
  };
  partner.extra_control_json["warehouse"] = [w] { return w->ToJson(); };
  absl::StatusOr<std::unique_ptr<PartnerSim>> sim = StartPartnerSim(partner);
  if (!sim.ok()) return sim.status();  // *wh stops as it goes
  return std::make_unique<WarehousePartner>(*std::move(wh), *std::move(sim));
}

absl::StatusOr<WarehouseSimConfig> ParseWarehouseSimConfig(
    const std::string& yaml, const std::string& file,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  WarehouseSimConfig config;
  WarehouseOptions& w = config.warehouse;
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (getenv) return getenv(name);
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  auto non_negative = [](const int& v) {
    return v >= 0 ? std::string() : std::string("must not be negative");
  };
  auto at_least_one = [](const int& v) {
    return v >= 1 ? std::string() : std::string("must be at least 1");
  };
  auto rate = [](const double& v) {
    return v >= 0 && v <= 1 ? std::string() : std::string("must be a probability from 0 to 1");
  };
  auto read_warehouse = [&](YamlReader& r) {
    r.Get<std::string>("hub_url", w.hub_url, [](const std::string& v) {
      return v.starts_with("http://") || v.starts_with("https://")
                 ? std::string()
                 : std::string("must be the hub's base URL, http://HOST:PORT");
    });
    std::string inline_key;
    r.Get<std::string>("api_key", inline_key);
    if (r.node() && r.node().IsMap() && r.node()["api_key"]) {
      r.Error(r.node()["api_key"], StrCat(r.path(), ".api_key"),
              "keys never go in the file: put it in an environment variable and name that in "
              "api_key_env");
    }
    std::string api_key_env;
    r.Get<std::string>("api_key_env", api_key_env);
    if (!api_key_env.empty()) {
      std::optional<std::string> key = lookup(api_key_env);
      if (!key || key->empty()) {
        r.Error(r.node()["api_key_env"], StrCat(r.path(), ".api_key_env"),
                StrCat("the environment variable ", api_key_env,
                       " (which should hold the hub's API key) is not set"));
      } else {
        w.api_key = *std::move(key);
      }
    }
    r.Get<std::string>("location", w.location);
    r.Get<std::string>("carrier", w.carrier, [](const std::string& v) {
      return v.empty() ? std::string("must not be empty") : std::string();
    });
    r.Get<int>("ack_delay_ms", w.ack_delay_ms, non_negative);
    r.Get<int>("ship_delay_ms", w.ship_delay_ms, non_negative);
    r.Get<double>("silent_rate", w.silent_rate, rate);
    r.Get<double>("partial_rate", w.partial_rate, rate);
    r.Get<double>("short_rate", w.short_rate, rate);
    r.Get<int>("return_delay_ms", w.return_delay_ms, non_negative);
    r.Get<double>("damaged_rate", w.damaged_rate, rate);
    r.Get<uint64_t>("seed", w.seed);
    r.Get<int>("worker_threads", w.worker_threads, [](const int& v) {
      return v >= 1 && v <= 16 ? std::string() : std::string("must be 1 to 16");
    });
    r.Get<int>("retry_initial_ms", w.retry_initial_ms, at_least_one);
    r.Get<int>("retry_max_ms", w.retry_max_ms, at_least_one);
    r.Get<int>("give_up_after_ms", w.give_up_after_ms, non_negative);
    r.Get<int>("call_timeout_ms", w.call_timeout_ms, at_least_one);
  };
  absl::StatusOr<PartnerSimOptions> partner = ParsePartnerSimConfig(
      yaml, file, [&](YamlReader& top) { top.Section("warehouse", read_warehouse); });
  if (!partner.ok()) return partner.status();
  config.partner = *std::move(partner);
  if (w.retry_max_ms < w.retry_initial_ms) {
    return absl::InvalidArgumentError(
        StrCat(file, ": warehouse.retry_max_ms: must be at least retry_initial_ms"));
  }
  return config;
}

}  // namespace disthub
