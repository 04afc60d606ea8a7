// The ERP simulator: the system of record for customers, credit, prices, tax, invoices
// and credit memos (../shared/SCENARIO.md, `erp`). It is a PartnerSim — same listener,
// faults, deduplication, control API and configuration keys — whose `handler` hook
// answers the ERP's synchronous REST endpoints (credit checks, quotes), and whose
// `on_message` hook keeps the books of the invoices and credit memos the hub delivers
// from its outbox. The books are the ground truth the demo checks "lost or doubled"
// against. docs/simulators.md, "The ERP simulator", documents the behaviour and
// examples/erp-sim.yaml the configuration.
//
//   PartnerSimOptions partner;                 // 127.0.0.1, a free port, no faults
//   ErpOptions erp;
//   erp.customers.push_back({.account = "ACME", .limit_minor = 100'000});
//   DISTHUB_ASSIGN_OR_RETURN(auto sim, StartErpSim(partner, erp));
//   ... POST sim->url() + "/credit-checks", the hub delivers invoice.posted ...
//   sim->erp().Stats().duplicate_invoices;
//   sim->erp().Exposure("ACME");
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/partner_sim.h"

namespace disthub {

// One customer account of the ERP.
struct ErpCustomer {
  std::string account;      // the account number, e.g. "ACME-001"
  int64_t limit_minor = 0;  // credit limit, in minor units of ErpOptions::currency
  bool on_hold = false;     // every credit check declines (reason "on_hold")
  bool tax_exempt = false;  // quotes carry no tax
};

struct ErpOptions {
  // The currency of limits and prices (ISO 4217). Credit checks and quotes in another
  // currency are answered 422.
  std::string currency = "USD";
  // Known customers. Accounts must be unique and non-empty.
  std::vector<ErpCustomer> customers;
  // The credit limit of an account not in `customers` (when not rejected).
  int64_t default_limit_minor = 0;
  // Accounts not in `customers`: false, checked against default_limit_minor and quoted
  // with tax; true, credit checks and quotes for them are answered 404.
  bool reject_unknown_accounts = false;
  // The price list: SKU → unit price in minor units.
  std::map<std::string, int64_t> prices;
  // A SKU not in `prices` costs min + H(seed, sku) mod (max - min + 1): the same price
  // for the same SKU on every run.
  int64_t default_price_min_minor = 100;
  int64_t default_price_max_minor = 10'000;
  // Tax rates (0..1) by ship-to region (`ship_to.region` of a quote, compared exactly).
  std::map<std::string, double> tax_rates;
  // The rate of a region not in `tax_rates`, or of a quote without a region.
  double default_tax_rate = 0;
  // Seed of the default prices.
  uint64_t seed = 1;
};

// kInvalidArgument naming the field ("erp.customers[1].account: ...").
absl::Status ValidateErpOptions(const ErpOptions& options);

// Counters. Money totals add minor units whatever the currency.
struct ErpStats {
  int64_t credit_checks = 0;           // credit checks answered 200 (repeats included)
  int64_t credit_approved = 0;         // first checks of an order approved
  int64_t credit_declined = 0;         // first checks of an order declined (over limit or on hold)
  int64_t credit_repeats = 0;          // checks of an order already checked: the first answer again
  int64_t quotes = 0;                  // quotes answered 200
  int64_t quote_lines = 0;             // lines in them
  int64_t unknown_accounts = 0;        // credit checks and quotes answered 404 (unknown account)
  int64_t bad_requests = 0;            // requests to the endpoints answered 400 or 422
  int64_t messages = 0;                // outbox deliveries handed over by the partner sim
  int64_t invoices = 0;                // distinct invoice ids booked
  int64_t duplicate_invoices = 0;      // deliveries of an invoice id already booked
  int64_t orders_invoiced_twice = 0;   // invoices for an order that already had another id
  int64_t credit_memos = 0;            // distinct credit memo ids booked
  int64_t duplicate_credit_memos = 0;  // deliveries of a credit memo id already booked
  int64_t invoiced_minor = 0;          // sum of the booked invoices' total_minor
  int64_t credited_minor = 0;          // sum of the booked credit memos' total_minor
  int64_t other_messages = 0;          // deliveries of other types, ignored
  int64_t malformed = 0;               // invoices or credit memos that could not be read

  std::string ToJson() const;
};

// A line of an invoice or credit memo, as the hub sent it (missing numbers are 0).
struct ErpDocumentLine {
  int64_t line = 0;
  std::string sku;
  int64_t quantity_each = 0;
  int64_t amount_minor = 0;
  int64_t tax_minor = 0;
};

// A booked invoice or credit memo.
struct ErpDocument {
  std::string id;  // invoice_id or credit_memo_id
  std::string order_id;
  std::string return_id;  // credit memos
  std::string account;
  std::string currency;
  std::vector<ErpDocumentLine> lines;
  int64_t subtotal_minor = 0;
  int64_t tax_minor = 0;
  int64_t total_minor = 0;
  absl::Time booked_at;           // first delivery
  std::vector<std::string> keys;  // the idempotency key of every delivery, first first
};

// The decision of a credit check (the first one for its order; repeats return it).
struct ErpCreditDecision {
  std::string order_id;
  std::string account;
  int64_t amount_minor = 0;
  bool approved = false;
  int64_t limit_minor = 0;
  int64_t exposure_minor = 0;   // before this check
  int64_t available_minor = 0;  // limit - exposure, before this check
  std::string reason;           // "approved", "on_hold" or "over_limit"
};

// Thread-safe: every method may be called from any thread. Holds no threads.
class ErpSim {
 public:
  // Validates the options.
  static absl::StatusOr<std::unique_ptr<ErpSim>> Create(const ErpOptions& options);
  ~ErpSim();
  ErpSim(const ErpSim&) = delete;
  ErpSim& operator=(const ErpSim&) = delete;

  // The PartnerSim handler hook: answers POST /credit-checks and POST /quotes (query
  // ignored); declines everything else.
  std::optional<PartnerReply> Handle(const PartnerRequest& request);
  // The PartnerSim on_message hook: books invoice.posted and credit_memo.posted.
  void OnMessage(const PartnerMessage& message);

  ErpStats Stats() const;
  // In order of first delivery.
  std::vector<ErpDocument> Invoices() const;
  std::vector<ErpDocument> CreditMemos() const;
  std::optional<ErpDocument> Invoice(const std::string& invoice_id) const;
  std::vector<ErpCreditDecision> CreditDecisions() const;
  // Approved credit checks minus credit memos received, never below 0.
  int64_t Exposure(const std::string& account) const;
  // The JSON of GET /_sim/erp: {"currency", "stats", "exposure": {account: minor},
  // "credit_checks", "invoices", "invoices_by_order", "credit_memos"}.
  std::string ToJson() const;

 private:
  class Impl;
  explicit ErpSim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A PartnerSim wired to an ErpSim. Thread-safe; destroying it stops the partner.
class ErpPartner {
 public:
  ErpPartner(std::unique_ptr<ErpSim> erp, std::unique_ptr<PartnerSim> partner);
  ~ErpPartner();
  ErpPartner(const ErpPartner&) = delete;
  ErpPartner& operator=(const ErpPartner&) = delete;

  // "http://127.0.0.1:PORT": the endpoints and where the hub delivers.
  std::string url() const { return partner_->url(); }
  PartnerSim& partner() { return *partner_; }
  ErpSim& erp() { return *erp_; }

  // Stops the partner. Idempotent.
  void Stop() { partner_->Stop(); }

 private:
  std::unique_ptr<ErpSim> erp_;  // declared first: outlives the partner
  std::unique_ptr<PartnerSim> partner_;
};

// Creates the ERP, then the partner serving it: `partner.handler`, `partner.on_message`
// and `partner.extra_control_json["erp"]` are set here (a handler or on_message already
// given is still called: the handler for requests the ERP declines, on_message after
// the ERP's). Errors as StartPartnerSim and ValidateErpOptions.
absl::StatusOr<std::unique_ptr<ErpPartner>> StartErpSim(PartnerSimOptions partner,
                                                        const ErpOptions& erp);

// The configuration file of `disthub sim erp`: the partner simulator's keys
// (ParsePartnerSimConfig) and an `erp:` section. Unknown keys are errors naming file:line.
struct ErpSimConfig {
  PartnerSimOptions partner;
  ErpOptions erp;
};
absl::StatusOr<ErpSimConfig> ParseErpSimConfig(const std::string& yaml, const std::string& file);

}  // namespace disthub
