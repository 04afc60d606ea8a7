// The ERP's synchronous answers the order lifecycle needs before it accepts an order
// (DESIGN.md, Order lifecycle: "credit check against the ERP (with a timeout and a
// fallback policy), tax and pricing from the ERP"):
//
//   POST {url}/quotes         {"account","currency","ship_to":{"region","country"},
//                              "lines":[{"line","sku","quantity"}]}   quantity in eaches
//                          →  {"lines":[{"line","sku","unit_price_minor","tax_minor"}]}
//   POST {url}/credit-checks  {"account","order_id","amount_minor","currency"}
//                          →  {"approved":bool,"reason","limit_minor","available_minor"}
//
// These calls block for up to the ERP's timeout, so they never run on the writer: the
// lifecycle hands orders to ErpWorkers, whose threads ask the ERP and submit the answer
// as the order's next step. Errors: kUnavailable when the ERP did not answer (refused,
// timed out, 5xx, 408, 429, a malformed answer, an open circuit) — the fallback policy applies and the call is
// tried again later; anything else (4xx: unknown account, bad request) is the ERP's
// considered refusal and is not retried.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/tls.h"
#include "model/entities.h"

namespace disthub::orchestration {

// One line of a quote: the ERP's price per each and the tax for the whole line.
struct QuotedLine {
  int line = 0;
  int64_t unit_price_minor = 0;  // per each
  int64_t tax_minor = 0;         // for the line's quantity
};

struct CreditAnswer {
  bool approved = false;
  std::string reason;  // the ERP's: "approved", "over_limit", "on_hold", ...
  int64_t limit_minor = 0;
  int64_t available_minor = 0;
};

// The ERP account an order is charged to: the customer's account number, else the
// channel's customer id.
std::string ErpAccount(const Order& order);

class ErpGateway {
 public:
  virtual ~ErpGateway() = default;
  // `eaches` are the quantities of `order`'s lines in eaches, in line order.
  virtual absl::StatusOr<std::vector<QuotedLine>> Quote(const Order& order,
                                                        const std::vector<int64_t>& eaches) = 0;
  virtual absl::StatusOr<CreditAnswer> CheckCredit(const Order& order, const std::string& order_id,
                                                   int64_t amount_minor) = 0;
};

struct HttpErpOptions {
  std::string url;  // "http://127.0.0.1:9100"
  absl::Duration timeout = absl::Seconds(3);
  std::string token;  // sent as "Authorization: Bearer TOKEN" when not empty
  TlsClientOptions tls;  // for an https url
  // After this many calls in a row went unanswered the circuit opens: calls fail at once
  // (kUnavailable) until `open_for` has passed, then one call probes the ERP.
  int failures_to_open = 5;
  absl::Duration open_for = absl::Seconds(10);
};

// The ERP over HTTP (libcurl, keep-alive connections pooled). Thread-safe.
std::unique_ptr<ErpGateway> MakeHttpErpGateway(HttpErpOptions options);

// Prices `order` from a quote: each line's unit price (the quote's price per each times
// the eaches in one unit of the line's measure) and tax, its discounts capped at its new
// gross, then the totals. kFailedPrecondition when the quote lacks a line or disagrees on
// a line's quantity.
absl::Status ApplyQuote(Order& order, const std::vector<int64_t>& eaches,
                        const std::vector<QuotedLine>& quote);

// Threads that run `work(order_id)` for the orders handed to them, each order at most
// once at a time (handing over an order already waiting or running does nothing).
class ErpWorkers {
 public:
  ErpWorkers(int threads, std::function<void(const std::string&)> work);
  // Stop().
  ~ErpWorkers();
  // False when the order was already waiting or running, or the workers stopped.
  bool Enqueue(const std::string& order_id);
  // Orders waiting or running.
  size_t Pending() const;
  // Finishes the running calls, drops those waiting (their orders' durable timers hand
  // them over again) and joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  const std::function<void(const std::string&)> work_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace disthub::orchestration
