// The connector framework (DESIGN.md, connectors): a connector type is a factory with a
// name, a configuration schema and Create; instances come from the configuration file's
// `connectors:` list; src/app registers the types in one explicit list (app/connectors.cc).
// Adding a second instance of a known type is a configuration block, nothing more.
//
//   connectors:
//     - name: nightly-stock           # the instance: its metrics, logs and archived messages
//       type: csv-inventory-count     # the type: ConnectorType::name
//       folder: /srv/drop/stock       # the type's own settings, checked against its schema
//
// A connector talks to one outside system and hands what it receives to the hub through
// ConnectorHost, in the canonical model; it holds no business logic (DESIGN.md). Every
// type passes the shared conformance suite (connectors/conformance.h).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "model/entities.h"
#include "model/fields.h"

namespace disthub {
class Registry;
class YamlReader;  // base/yaml_reader.h
}  // namespace disthub
namespace disthub::mapping {
class Mapping;  // mapping/mapping.h
}  // namespace disthub::mapping

namespace disthub::connectors {

// ---- Configuration schema ----------------------------------------------------------------

enum class SettingType {
  kString,
  kPath,      // a file or folder; relative paths count from the configuration file's folder
  kInteger,   // a whole number ≥ 0
  kBool,      // true or false
  kDuration,  // whole milliseconds ≥ 0 (the configuration file's convention: *_ms keys)
  kChar,      // one character: a delimiter
};
std::string_view SettingTypeName(SettingType type);

// One key of a connector type's configuration.
struct SettingSpec {
  std::string key;
  SettingType type = SettingType::kString;
  std::string doc;                           // one sentence, for `disthub connectors` and the docs
  std::optional<std::string> default_value;  // nullopt: required
  // A valid value, for the documentation and the conformance suite; "{scratch}" stands
  // for a scratch folder the suite creates, "{source}" for the source tree.
  std::string example;
};

// An instance's settings, read against its type's schema: every key known, of its type,
// present (defaults filled in), paths resolved. Reading a key the schema lacks is a bug
// (asserts).
class Settings {
 public:
  const std::string& String(std::string_view key) const;
  int64_t Integer(std::string_view key) const;
  bool Bool(std::string_view key) const;
  absl::Duration Duration(std::string_view key) const;
  char Char(std::string_view key) const;

  // Sets a value as written (no checks): for ReadSettings and tests.
  void Set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// "" when `value` is valid for `type`, otherwise what is wrong with it.
std::string CheckSettingValue(SettingType type, const std::string& value);

// Reads the keys of `specs` from `reader` (which then reports any other key as unknown,
// with its line), checks each value's type, fills defaults and resolves paths against
// `config_file`. Problems go to the reader's error list, each with file, line and key.
Settings ReadSettings(const std::vector<SettingSpec>& specs, YamlReader& reader,
                      const std::string& config_file);

// ---- What connectors hand to the hub -----------------------------------------------------

// A full stock count (the nightly snapshot) to reconcile against.
struct InventoryCountItem {
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
};
struct InventoryCountMessage {
  std::string source;  // the connector instance
  std::string key;     // its idempotency key: the same count twice is taken once
  std::string name;    // what the partner called it: the file name
  std::string body;    // the bytes as received, for the inbound archive
  std::vector<InventoryCountItem> items;
  absl::Time as_of = absl::InfinitePast();  // positions updated since are not corrected
  bool apply = true;                        // correct drift, or only report it
};

// An order a connector fetched: mapped to the canonical model (not yet checked against
// the hub's catalog and channel rules), and the document it came as.
struct OrderMessage {
  std::string source;  // the connector instance
  std::string key;     // its idempotency key: the same order fetched again is taken once
  std::string body;    // the document as fetched, for the inbound archive
  Order order;
};

// What a warehouse or 3PL reports of a fulfillment order released to it, taken as the
// fulfillment API takes it (POST /v1/fulfillments/{id}/acknowledgement, .../shipments).
struct FulfillmentMessage {
  enum class Kind { kAcknowledged, kShipped };
  std::string source;  // the connector instance
  std::string key;     // its idempotency key (the lifecycle is idempotent by state as well)
  std::string body;    // the document as received, for the inbound archive
  Kind kind = Kind::kAcknowledged;
  std::string fulfillment_id;
  // kShipped: the shipment, its lines as (order line, eaches), and whether it is the
  // last (what it leaves out is short) or more will follow (the rest stays open).
  std::string shipment_id;
  std::string carrier;
  std::string tracking;
  std::vector<LineQuantity> lines;  // quantity in eaches
  bool final = true;
};

// What the hub made of a FulfillmentMessage: "applied", "unchanged" (a repeat, or a state
// it no longer applies to), "refused" or "not_found", and why.
struct FulfillmentTaken {
  std::string verdict;
  std::string reason;
};

// One entry of the hub's event log, as connectors that send partners documents read it.
struct HubEvent {
  int64_t seq = 0;      // the log's order: 1, 2, 3 ...
  std::string type;     // "order.status.edi-retail", "invoice.posted", ...
  std::string subject;  // the order id
  std::string payload;  // JSON (docs/api.md lists each type's)
  absl::Time occurred_at;
};

// What the hub made of an OrderMessage.
struct OrderTaken {
  std::string order_id;             // the order it is, new or taken before; "" if refused
  bool duplicate = false;           // taken before (same key, or same channel reference)
  std::vector<FieldError> refused;  // the hub's checks refused it (unknown SKU, ...): why
};

// The hub as connectors see it; src/app implements it over the core. Thread-safe.
class ConnectorHost {
 public:
  virtual ~ConnectorHost() = default;
  virtual const Clock& clock() const = 0;
  virtual Registry& metrics() = 0;
  // The value of the environment variable `name`, where secrets (tokens, shared keys) come
  // from; nullopt when it is not set. Never logged.
  virtual std::optional<std::string> Secret(const std::string& name) const = 0;
  // Whether `source` already delivered a message with idempotency key `key` (the inbound
  // archive), so a message seen again after a crash is not taken twice.
  virtual absl::StatusOr<bool> AlreadyReceived(const std::string& source,
                                               const std::string& key) = 0;
  // Starts reconciling against `count`: `done` gets the reconciliation's id once it is
  // durably started (its progress and report are then in the store), or why it could not.
  using CountDone = absl::AnyInvocable<void(absl::StatusOr<std::string>) &&>;
  virtual void SubmitInventoryCount(InventoryCountMessage count, CountDone done) = 0;

  // Takes an order in as POST /v1/orders would (checked, stored, archived with `source`).
  // `done` runs once it is durable, or with kUnavailable when it could not be stored.
  using OrderDone = absl::AnyInvocable<void(absl::StatusOr<OrderTaken>) &&>;
  virtual void SubmitOrder(OrderMessage order, OrderDone done) = 0;
  // Archives a message that could not be taken (a payload the mapping refuses), with the
  // reason, so it is seen (GET /v1/inbound, outcome "rejected") rather than lost.
  using Done = absl::AnyInvocable<void(absl::Status) &&>;
  virtual void RecordRefused(std::string source, std::string key, std::string body,
                             std::string reason, Done done) = 0;
  // Takes a warehouse's report on a fulfillment order to the order lifecycle; `done` runs
  // once it is durable (kFailedPrecondition when the hub runs no order lifecycle,
  // kUnavailable when it could not be stored).
  using FulfillmentDone = absl::AnyInvocable<void(absl::StatusOr<FulfillmentTaken>) &&>;
  virtual void SubmitFulfillment(FulfillmentMessage message, FulfillmentDone done) = 0;

  // Appends an alert event (`type` "alert.…", about the order `subject`, its JSON
  // `payload`) to the event log, routed like the lifecycle's alerts (the alert webhook).
  virtual void RaiseAlert(std::string type, std::string subject, std::string payload,
                          Done done) = 0;

  // The event log after `after_seq`, in order, at most `limit`; and the last seq (where a
  // connector that has read none starts: it sends documents for what happens from then on).
  virtual absl::StatusOr<std::vector<HubEvent>> EventsAfter(int64_t after_seq, int limit) = 0;
  virtual absl::StatusOr<int64_t> LastEventSeq() = 0;
  // An order as the hub holds it now (ids, status and all); nullopt when there is none.
  virtual absl::StatusOr<std::optional<Order>> GetOrder(const std::string& order_id) = 0;

  // A polling connector's cursor ("" when it has none yet), and saving it durably.
  virtual absl::StatusOr<std::string> LoadCursor(const std::string& connector) = 0;
  virtual void SaveCursor(const std::string& connector, std::string cursor, Done done) = 0;
};

// Calls `submit` with a callback and waits for what it is called with: for a connector's
// worker thread, which hands the hub one message at a time.
//   absl::Status s = AwaitHost<absl::Status>([&](auto done) { host.SaveCursor(n, c, done); });
template <typename T, typename Submit>
T AwaitHost(Submit submit) {
  std::promise<T> answer;
  std::future<T> result = answer.get_future();
  submit([&answer](T value) mutable { answer.set_value(std::move(value)); });
  return result.get();
}

// ---- Connectors and their types ----------------------------------------------------------

class Connector {
 public:
  virtual ~Connector() = default;
  // Begins work (threads, watchers, listeners). kFailedPrecondition (and nothing started)
  // when the outside system cannot be used: a folder that does not exist, say.
  virtual absl::Status Start() = 0;
  // Finishes the work in hand and stops; idempotent; safe without Start().
  virtual void Stop() = 0;
  // What it has done, for GET /v1/connectors: counts, the last error, the time of the last
  // poll. Thread-safe.
  virtual boost::json::object Describe() const = 0;

  // For a connector that takes orders in a partner's dialect: the inbound archive source
  // its messages are kept under, and the mapping and channel that make them orders, so
  // that reprocessing maps them again. nullopt for one that takes no orders.
  struct OrderSource {
    std::string source;
    std::shared_ptr<const mapping::Mapping> mapping;
    std::string channel;
  };
  virtual std::optional<OrderSource> order_source() const { return std::nullopt; }
};

struct ConnectorType {
  std::string name;     // "csv-inventory-count": the `type:` of configuration blocks
  std::string summary;  // one line
  std::vector<SettingSpec> settings;
  // Creates an instance named `instance` from settings read against `settings`. Checks
  // what the schema cannot (a combination of keys) but touches nothing outside: that is
  // Start()'s. `host` outlives the instance.
  std::function<absl::StatusOr<std::unique_ptr<Connector>>(
      const std::string& instance, const Settings& settings, ConnectorHost& host)>
      create;
};

}  // namespace disthub::connectors
