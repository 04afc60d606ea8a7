// The partner simulator: a real HTTP/1.1 server that plays the partner at the other end
// of the hub's outbound deliveries. It takes POST/PUT messages on any path, drops
// duplicates by their idempotency key (and counts them), and injects the faults its
// configuration asks for: errors, timeouts, connection resets, lost acknowledgements,
// slow answers, a quota (429 with Retry-After), down windows and permanent rejections.
// A control API under /_sim/ reports what it received and changes faults at runtime;
// docs/simulators.md documents it all and examples/partner-sim.yaml shows every option.
//
//   PartnerSimOptions options;                 // listens on 127.0.0.1, a free port
//   options.faults.ack_loss_rate = 1;          // every first delivery loses its ack
//   DISTHUB_ASSIGN_OR_RETURN(auto sim, StartPartnerSim(options));
//   ... deliver to sim->url() + "/orders" ...
//   EXPECT_EQ(sim->Stats().duplicates, 1);
//
// Each request is handled in this order: down → missing key (400) → reset → timeout →
// quota (429) → error → reject → [handler] → dedupe and record → lost ack → slow → answer.
// (With a handler set, the method and missing-key checks move after it: see `handler`.)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace disthub {

class YamlReader;
struct PartnerMessage;

// A token bucket over all partner requests (control requests are exempt).
struct PartnerQuota {
  double rate = 0;                 // tokens added per second; 0: no quota
  double burst = 0;                // bucket size (and the tokens at start); 0: same as rate
  int retry_after_seconds = 1;     // the Retry-After header of a 429
};

// A period during which the partner is unreachable: the listening socket is closed
// (connections are refused) and open connections are closed.
struct PartnerDownWindow {
  double after_seconds = 0;  // start, relative to when the faults took effect
  double for_seconds = 0;    // length
};

// Permanent rejections: a message whose body contains any of the strings is answered
// `status` with a problem+json body and not recorded.
struct PartnerReject {
  std::vector<std::string> body_contains;  // empty: never reject
  int status = 422;                        // 4xx status to answer
};

// Fault injection. Rates are probabilities 0..1 drawn from the seeded generator (0 and 1
// draw nothing, so they are deterministic whatever the interleaving).
struct PartnerFaults {
  double error_rate = 0;              // answer `error_status`; the message is not recorded
  int error_status = 500;             // the status of an injected error (4xx or 5xx)
  double timeout_rate = 0;            // read the request and never answer
  double timeout_hold_seconds = 60;   // ... closing the connection after this long
  double reset_rate = 0;              // close with a TCP RST instead of answering
  double ack_loss_rate = 0;           // record a first delivery, then reset without answering
  double slow_rate = 0;               // answer after `slow_ms`
  int slow_ms = 1000;                 // the delay of a slow answer (on a timer)
  PartnerQuota quota;                 // 429 with Retry-After when the bucket is empty
  std::vector<PartnerDownWindow> down;  // unreachable periods
  PartnerReject reject;               // permanent rejections (4xx)
};

// A partner request as the `handler` hook sees it. The views are valid only during the call.
struct PartnerRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // the request target: path and query
  std::string_view key;     // the idempotency key header; empty when absent
  std::string_view body;
  std::string_view if_none_match;  // the If-None-Match header; empty when absent
};

// The `handler` hook's own answer to a request.
struct PartnerReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more, such as ETag
};

// A problem+json (RFC 9457) reply, for handlers.
PartnerReply ProblemReply(int status, std::string_view title, std::string_view detail);

struct PartnerSimOptions {
  // "HOST:PORT" to listen on; the host must be a loopback address (the control API has
  // no authentication). Port 0 picks a free port: read it back with port().
  std::string listen = "127.0.0.1:0";
  // Event-loop threads; connections are spread over them.
  int io_threads = 2;
  // The request header carrying the idempotency key (case-insensitive).
  std::string key_header = "Idempotency-Key";
  // Seed of the generator behind the fault rates.
  uint64_t seed = 1;
  // Request headers recorded with each message (case-insensitive); "*" records all but
  // Host, Content-Length, Connection, Transfer-Encoding, Expect and Keep-Alive.
  std::vector<std::string> record_headers = {"*"};
  // Whether recorded messages keep their bodies (false: PartnerMessage::body stays empty,
  // for load tests that need only keys and arrival times).
  bool record_bodies = true;
  // Unique messages kept for /_sim/messages; older ones are dropped first (their keys
  // are still remembered for deduplication).
  int64_t max_messages = 1'000'000;
  // Larger request bodies are answered 413 and the connection closed.
  int64_t max_body_bytes = 8 << 20;
  // Keep-alive connections idle this long are closed.
  int idle_timeout_seconds = 60;
  // HTTPS: with both set the sim speaks only TLS (1.2 or later; url() says https://),
  // presenting this PEM certificate chain and its unencrypted PEM private key.
  // `disthub sim tls-cert DIR` writes a self-signed pair for 127.0.0.1 and localhost.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: when set, only clients presenting a certificate signed by one of the CAs
  // in this PEM file get past the handshake.
  std::string tls_client_ca_file;
  // The faults in effect from the start.
  PartnerFaults faults;
  // The clock stamping received_at; nullptr: the real clock. Must outlive the sim.
  // (Quota refill, slow answers and down windows use the steady clock.)
  Clock* clock = nullptr;

  // Hooks for simulators built on this one (sim/wms_sim.h); not configurable from YAML.
  //
  // Called once for every first delivery recorded (never for duplicates, faults,
  // rejections or requests without a key), also when its acknowledgement is then lost,
  // before the answer is written. The message always carries its body, whatever
  // record_bodies and max_messages say. Runs on an I/O thread outside the sim's lock,
  // possibly on several threads at once: it must be thread-safe and quick (enqueue and
  // return). What it captures must outlive the sim, or at least Stop().
  std::function<void(const PartnerMessage&)> on_message;
  // More control paths: GET /_sim/NAME answers 200 with the JSON the function returns
  // (e.g. "warehouse" → /_sim/warehouse). Called on an I/O thread outside the sim's lock;
  // must be thread-safe. Names must not be one of the built-in control paths.
  std::map<std::string, std::function<std::string()>> extra_control_json;
  // Answers requests itself (e.g. the ERP simulator's synchronous endpoints). When set, it
  // is consulted for every partner request, whatever its method and with or without a
  // key, after the fault steps (reset, timeout, quota, error, reject: faults apply to
  // it) and before dedupe and record. A reply is sent as is (still subject to slow; never
  // recorded, deduplicated or passed to on_message); nullopt declines the request, which
  // then goes on as without a handler: a method other than POST/PUT gets 405, a missing
  // key 400, and the rest are deduplicated and recorded. Runs on an I/O thread outside
  // the sim's lock, possibly on several threads at once: it must be thread-safe and quick.
  // What it captures must outlive the sim, or at least Stop().
  std::function<std::optional<PartnerReply>(const PartnerRequest&)> handler;
};

struct PartnerSimStats {
  int64_t received = 0;       // partner requests (control requests not counted)
  int64_t accepted = 0;       // first deliveries recorded (unique keys)
  int64_t duplicates = 0;     // repeats of a recorded key, answered "duplicate"
  int64_t key_conflicts = 0;  // duplicates whose body differs from the first body: a hub bug
  int64_t missing_key = 0;    // requests without the key header (400)
  struct {
    int64_t error = 0, timeout = 0, reset = 0, ack_loss = 0, slow = 0, quota = 0,
            rejected = 0;
  } faults;
  bool down = false;  // unreachable right now

  // The JSON of GET /_sim/stats.
  std::string ToJson() const;
};

// One recorded first delivery.
struct PartnerMessage {
  uint64_t seq = 0;  // 1, 2, ... in arrival order (not reset by Clear)
  std::string key;
  std::string method;  // "POST" or "PUT"
  std::string path;    // the request target, query included
  absl::Time received_at;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
};

// Thread-safe: every method may be called from any thread, concurrently with the
// server's own threads. Destroying the object stops it (as Stop() does).
class PartnerSim {
 public:
  virtual ~PartnerSim() = default;

  // The port actually bound; stays the same across down windows.
  virtual int port() const = 0;
  // "http://127.0.0.1:PORT" ("https://..." with TLS).
  virtual std::string url() const = 0;

  virtual PartnerSimStats Stats() const = 0;
  // Recorded messages with seq > `after`, oldest first, at most `limit`.
  virtual std::vector<PartnerMessage> Messages(uint64_t after = 0, size_t limit = 1000) const = 0;
  // Forgets recorded messages, keys and counters.
  virtual void Clear() = 0;

  // Replaces the faults from now on; their down windows count from now. A down period
  // already running is not cut short.
  virtual absl::Status SetFaults(const PartnerFaults& faults) = 0;
  virtual PartnerFaults Faults() const = 0;

  // Goes down now for `d` (extends a down period already running). When this returns,
  // new connections are refused.
  virtual void GoDown(absl::Duration d) = 0;

  // Closes every connection and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// Binds, listens and starts serving. kInvalidArgument for bad options (naming the
// field), kUnavailable when the address cannot be bound.
absl::StatusOr<std::unique_ptr<PartnerSim>> StartPartnerSim(const PartnerSimOptions& options);

// The options of a YAML configuration file (docs/simulators.md); `file` names it in
// errors, which give file:line and the key path. Unknown keys are errors. `extra`, when
// given, reads more top-level keys of the same document with the same reader (e.g. the
// warehouse simulator's `warehouse:` section), so its errors name file:line too and the
// keys it reads are not unknown; errors it records there fail the parse.
absl::StatusOr<PartnerSimOptions> ParsePartnerSimConfig(
    const std::string& yaml, const std::string& file,
    const std::function<void(YamlReader& top)>& extra = nullptr);

// The `faults` section alone, as YAML or JSON (PUT /_sim/faults).
absl::StatusOr<PartnerFaults> ParsePartnerFaults(const std::string& yaml_or_json,
                                                 const std::string& source);

// Checks ranges (rates 0..1, statuses, durations); kInvalidArgument naming the field.
absl::Status ValidatePartnerFaults(const PartnerFaults& faults);

// The JSON of GET /_sim/faults (the same shape ParsePartnerFaults reads).
std::string PartnerFaultsToJson(const PartnerFaults& faults);

}  // namespace disthub
