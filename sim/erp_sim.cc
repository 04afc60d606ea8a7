#include "sim/erp_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/clock.h"
#include "base/strings.h"
#include "base/yaml_reader.h"

namespace disthub {
namespace {

namespace json = boost::json;

constexpr std::string_view kInvoicePosted = "invoice.posted";
constexpr std::string_view kCreditMemoPosted = "credit_memo.posted";
// Bounds that keep price × quantity, and the tax on it, within int64.
constexpr int64_t kMaxQuantity = 1'000'000;
constexpr int64_t kMaxPriceMinor = 1'000'000'000'000;

// Stable across runs and builds (std::hash promises neither): FNV-1a, then the
// splitmix64 finalizer.
uint64_t StableHash(uint64_t seed, std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 8; ++i) h = (h ^ ((seed >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  uint64_t z = h + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string JsonString(std::string_view s) {
  return json::serialize(json::string_view(s.data(), s.size()));
}

PartnerReply Problem(int status, std::string_view title, std::string_view detail) {
  return ProblemReply(status, title, detail);
}

PartnerReply Ok(const json::value& v) { return PartnerReply{.body = json::serialize(v)}; }

const json::value* Field(const json::object& o, std::string_view key) {
  return o.if_contains(json::string_view(key.data(), key.size()));
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) {
  const json::value* v = Field(o, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
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

// Collects what is wrong with a request body, field by field.
class Checker {
 public:
  explicit Checker(const json::object& o) : o_(o) {}

  std::string Str(std::string_view key, const json::object* in = nullptr,
                  std::string_view at = "") {
    std::optional<std::string> s = StringField(in != nullptr ? *in : o_, key);
    if (!s || s->empty()) Fail(at, key, "must be a non-empty string");
    return s.value_or("");
  }
  int64_t Int(std::string_view key, int64_t min, int64_t max, const json::object* in = nullptr,
              std::string_view at = "") {
    std::optional<int64_t> n = IntField(in != nullptr ? *in : o_, key);
    if (!n || *n < min || *n > max) {
      Fail(at, key, StrCat("must be an integer from ", min, " to ", max));
      return 0;
    }
    return *n;
  }
  void Fail(std::string_view at, std::string_view key, std::string_view message) {
    errors_ += StrCat(errors_.empty() ? "" : "; ", at, key, ": ", message);
  }
  const std::string& errors() const { return errors_; }

 private:
  const json::object& o_;
  std::string errors_;
};

// Parses a request body into a JSON object, or says why not.
std::optional<json::object> BodyObject(std::string_view body, std::string* error) {
  json::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) {
    *error = StrCat("the body is not JSON: ", ec.message());
    return std::nullopt;
  }
  if (!v.is_object()) {
    *error = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(v.get_object());
}

std::string MessageHeader(const PartnerMessage& m, std::string_view lower_name) {
  for (const auto& [k, v] : m.headers) {
    if (k == lower_name) return v;
  }
  return "";
}

json::object DecisionJson(const ErpCreditDecision& d) {
  return json::object{{"approved", d.approved},
                      {"account", d.account},
                      {"order_id", d.order_id},
                      {"amount_minor", d.amount_minor},
                      {"limit_minor", d.limit_minor},
                      {"exposure_minor", d.exposure_minor},
                      {"available_minor", d.available_minor},
                      {"reason", d.reason}};
}

json::object DocumentJson(const ErpDocument& d, std::string_view id_key) {
  json::array lines;
  for (const ErpDocumentLine& l : d.lines) {
    lines.push_back(json::object{{"line", l.line},
                                 {"sku", l.sku},
                                 {"quantity_each", l.quantity_each},
                                 {"amount_minor", l.amount_minor},
                                 {"tax_minor", l.tax_minor}});
  }
  json::array keys;
  for (const std::string& k : d.keys) keys.push_back(json::string(k));
  json::object o{{json::string_view(id_key.data(), id_key.size()), d.id},
                 {"order_id", d.order_id},
                 {"account", d.account},
                 {"currency", d.currency},
                 {"lines", std::move(lines)},
                 {"subtotal_minor", d.subtotal_minor},
                 {"tax_minor", d.tax_minor},
                 {"total_minor", d.total_minor},
                 {"booked_at", disthub::FormatTime(d.booked_at)},
                 {"deliveries", static_cast<int64_t>(d.keys.size())},
                 {"keys", std::move(keys)}};
  if (!d.return_id.empty()) o["return_id"] = d.return_id;
  return o;
}

// Reads an invoice.posted or credit_memo.posted payload; kInvalidArgument says why not.
absl::StatusOr<ErpDocument> ReadDocument(const json::object& payload, std::string_view id_key) {
  ErpDocument d;
  std::optional<std::string> id = StringField(payload, id_key);
  if (!id || id->empty()) {
    return absl::InvalidArgumentError(StrCat("payload.", id_key, " missing"));
  }
  d.id = *std::move(id);
  d.order_id = StringField(payload, "order_id").value_or("");
  d.return_id = StringField(payload, "return_id").value_or("");
  d.account = StringField(payload, "account").value_or("");
  d.currency = StringField(payload, "currency").value_or("");
  for (auto [key, out] :
       {std::pair<std::string_view, int64_t*>{"subtotal_minor", &d.subtotal_minor},
        {"tax_minor", &d.tax_minor},
        {"total_minor", &d.total_minor}}) {
    if (Field(payload, key) == nullptr) continue;
    std::optional<int64_t> n = IntField(payload, key);
    if (!n) return absl::InvalidArgumentError(StrCat("payload.", key, ": not an integer"));
    *out = *n;
  }
  if (const json::value* lines = Field(payload, "lines"); lines != nullptr && lines->is_array()) {
    for (const json::value& lv : lines->get_array()) {
      if (!lv.is_object()) return absl::InvalidArgumentError("payload.lines: not all objects");
      const json::object& lo = lv.get_object();
      d.lines.push_back(ErpDocumentLine{.line = IntField(lo, "line").value_or(0),
                                        .sku = StringField(lo, "sku").value_or(""),
                                        .quantity_each = IntField(lo, "quantity_each").value_or(0),
                                        .amount_minor = IntField(lo, "amount_minor").value_or(0),
                                        .tax_minor = IntField(lo, "tax_minor").value_or(0)});
    }
  }
  return d;
}

}  // namespace

class ErpSim::Impl {
 public:
  explicit Impl(ErpOptions options) : options_(std::move(options)) {
    for (size_t i = 0; i < options_.customers.size(); ++i) {
      customers_.emplace(options_.customers[i].account, i);
    }
    for (const auto& [region, rate] : options_.tax_rates) {
      tax_ppm_.emplace(region, std::llround(rate * 1e6));
    }
    default_tax_ppm_ = std::llround(options_.default_tax_rate * 1e6);
  }

  std::optional<PartnerReply> Handle(const PartnerRequest& request) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path != "/credit-checks" && path != "/quotes") return std::nullopt;
    if (request.method != "POST") {
      return Problem(405, "Method not allowed", StrCat(path, " takes POST"));
    }
    std::string error;
    std::optional<json::object> body = BodyObject(request.body, &error);
    if (!body) return BadRequest(400, error);
    return path == "/quotes" ? Quote(*body) : CreditCheck(*body);
  }

  void OnMessage(const PartnerMessage& m);

  ErpStats Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }
  std::vector<ErpDocument> Invoices() const {
    std::lock_guard<std::mutex> lock(mu_);
    return invoices_;
  }
  std::vector<ErpDocument> CreditMemos() const {
    std::lock_guard<std::mutex> lock(mu_);
    return credit_memos_;
  }
  std::optional<ErpDocument> Invoice(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = invoice_index_.find(id);
    if (it == invoice_index_.end()) return std::nullopt;
    return invoices_[it->second];
  }
  std::vector<ErpCreditDecision> CreditDecisions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return decisions_;
  }
  int64_t Exposure(const std::string& account) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = exposure_.find(account);
    return it == exposure_.end() ? 0 : it->second;
  }
  std::string ToJson() const;

 private:
  // The customer of `account`, or nullptr when unknown.
  const ErpCustomer* Customer(const std::string& account) const {
    auto it = customers_.find(account);
    return it == customers_.end() ? nullptr : &options_.customers[it->second];
  }

  PartnerReply BadRequest(int status, std::string_view detail) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.bad_requests;
    return Problem(status, status == 400 ? "Invalid request" : "Unprocessable request", detail);
  }

  PartnerReply UnknownAccount(const std::string& account) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.unknown_accounts;
    return Problem(404, "Unknown account", StrCat("no customer account ", account));
  }

  std::optional<PartnerReply> CheckCurrency(const std::string& currency) {
    if (currency == options_.currency) return std::nullopt;
    return BadRequest(
        422, StrCat("currency ", currency, ": this ERP keeps accounts in ", options_.currency));
  }

  PartnerReply CreditCheck(const json::object& body);
  PartnerReply Quote(const json::object& body);
  int64_t Price(const std::string& sku) const;

  const ErpOptions options_;
  absl::flat_hash_map<std::string, size_t> customers_;  // account → index in options_
  absl::flat_hash_map<std::string, int64_t> tax_ppm_;   // region → parts per million
  int64_t default_tax_ppm_ = 0;

  mutable std::mutex mu_;
  ErpStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<ErpCreditDecision> decisions_ ABSL_GUARDED_BY(mu_);  // in order of first check
  absl::flat_hash_map<std::string, size_t> decision_index_ ABSL_GUARDED_BY(mu_);  // by order
  std::map<std::string, int64_t> exposure_ ABSL_GUARDED_BY(mu_);                  // by account
  std::vector<ErpDocument> invoices_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> invoice_index_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> invoices_by_order_ ABSL_GUARDED_BY(mu_);
  std::vector<ErpDocument> credit_memos_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> credit_memo_index_ ABSL_GUARDED_BY(mu_);
};

PartnerReply ErpSim::Impl::CreditCheck(const json::object& body) {
  Checker c(body);
  const std::string account = c.Str("account");
  const std::string order_id = c.Str("order_id");
  const int64_t amount = c.Int("amount_minor", 0, INT64_MAX / 2);
  const std::string currency = c.Str("currency");
  if (!c.errors().empty()) return BadRequest(400, c.errors());
  if (auto bad = CheckCurrency(currency)) return *bad;
  const ErpCustomer* customer = Customer(account);
  if (customer == nullptr && options_.reject_unknown_accounts) return UnknownAccount(account);

  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.credit_checks;
  if (auto it = decision_index_.find(order_id); it != decision_index_.end()) {
    // The same order again (the hub's retry): the first answer, unchanged.
    ++stats_.credit_repeats;
    return Ok(DecisionJson(decisions_[it->second]));
  }
  ErpCreditDecision d;
  d.order_id = order_id;
  d.account = account;
  d.amount_minor = amount;
  d.limit_minor = customer != nullptr ? customer->limit_minor : options_.default_limit_minor;
  int64_t& exposure = exposure_[account];
  d.exposure_minor = exposure;
  d.available_minor = d.limit_minor - exposure;
  if (customer != nullptr && customer->on_hold) {
    d.reason = "on_hold";
  } else if (amount > d.available_minor) {
    d.reason = "over_limit";
  } else {
    d.approved = true;
    d.reason = "approved";
    exposure += amount;
  }
  ++(d.approved ? stats_.credit_approved : stats_.credit_declined);
  decision_index_.emplace(order_id, decisions_.size());
  decisions_.push_back(d);
  return Ok(DecisionJson(d));
}

int64_t ErpSim::Impl::Price(const std::string& sku) const {
  if (auto it = options_.prices.find(sku); it != options_.prices.end()) return it->second;
  const uint64_t span =
      static_cast<uint64_t>(options_.default_price_max_minor - options_.default_price_min_minor) +
      1;
  return options_.default_price_min_minor +
         static_cast<int64_t>(StableHash(options_.seed, sku) % span);
}

PartnerReply ErpSim::Impl::Quote(const json::object& body) {
  Checker c(body);
  const std::string account = c.Str("account");
  const std::string currency = c.Str("currency");
  std::string region;
  if (const json::value* ship_to = Field(body, "ship_to"); ship_to != nullptr) {
    if (!ship_to->is_object()) {
      c.Fail("", "ship_to", "must be an object");
    } else if (Field(ship_to->get_object(), "region") != nullptr) {
      region = c.Str("region", &ship_to->get_object(), "ship_to.");
    }
  }
  struct QuoteLine {
    int64_t line;
    std::string sku;
    int64_t quantity;
  };
  std::vector<QuoteLine> lines;
  const json::value* lv = Field(body, "lines");
  if (lv == nullptr || !lv->is_array() || lv->get_array().empty()) {
    c.Fail("", "lines", "must be a non-empty list of {line, sku, quantity}");
  } else {
    for (size_t i = 0; i < lv->get_array().size(); ++i) {
      const std::string at = StrCat("lines[", static_cast<int64_t>(i), "].");
      const json::value& l = lv->get_array()[i];
      if (!l.is_object()) {
        c.Fail("", StrCat("lines[", static_cast<int64_t>(i), "]"), "must be an object");
        continue;
      }
      const json::object& lo = l.get_object();
      QuoteLine q;
      q.line = c.Int("line", 1, 1'000'000, &lo, at);
      q.sku = c.Str("sku", &lo, at);
      q.quantity = c.Int("quantity", 1, kMaxQuantity, &lo, at);
      lines.push_back(std::move(q));
    }
  }
  if (!c.errors().empty()) return BadRequest(400, c.errors());
  if (auto bad = CheckCurrency(currency)) return *bad;
  const ErpCustomer* customer = Customer(account);
  if (customer == nullptr && options_.reject_unknown_accounts) return UnknownAccount(account);

  int64_t ppm = default_tax_ppm_;
  if (auto it = tax_ppm_.find(region); it != tax_ppm_.end()) ppm = it->second;
  if (customer != nullptr && customer->tax_exempt) ppm = 0;
  json::array out;
  int64_t subtotal = 0, tax = 0;
  for (const QuoteLine& q : lines) {
    const int64_t unit = Price(q.sku);
    const int64_t amount = unit * q.quantity;
    // amount × rate, rounded half up; split at 10^6 so that nothing overflows int64.
    const int64_t line_tax =
        amount / 1'000'000 * ppm + (amount % 1'000'000 * ppm + 500'000) / 1'000'000;
    subtotal += amount;
    tax += line_tax;
    out.push_back(json::object{{"line", q.line},
                               {"sku", q.sku},
                               {"quantity", q.quantity},
                               {"unit_price_minor", unit},
                               {"amount_minor", amount},
                               {"tax_minor", line_tax}});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.quotes;
    stats_.quote_lines += static_cast<int64_t>(lines.size());
  }
  return Ok(json::object{{"account", account},
                         {"currency", currency},
                         {"region", region},
                         {"tax_rate_ppm", ppm},
                         {"lines", std::move(out)},
                         {"subtotal_minor", subtotal},
                         {"tax_minor", tax},
                         {"total_minor", subtotal + tax}});
}

void ErpSim::Impl::OnMessage(const PartnerMessage& m) {
  json::error_code ec;
  json::value root = json::parse(json::string_view(m.body.data(), m.body.size()), ec);
  const json::object* envelope = !ec && root.is_object() ? &root.get_object() : nullptr;
  std::string type;
  if (envelope != nullptr) type = StringField(*envelope, "type").value_or("");
  if (type.empty()) type = MessageHeader(m, "x-disthub-message-type");
  const bool invoice = type == kInvoicePosted;
  const bool memo = type == kCreditMemoPosted;

  absl::StatusOr<ErpDocument> doc = absl::InvalidArgumentError("not an object");
  if (invoice || memo) {
    const json::value* p = envelope != nullptr ? Field(*envelope, "payload") : nullptr;
    if (envelope == nullptr) {
      doc = absl::InvalidArgumentError("body is not a JSON object");
    } else if (p == nullptr || !p->is_object()) {
      doc = absl::InvalidArgumentError("payload: not an object");
    } else {
      doc = ReadDocument(p->get_object(), invoice ? "invoice_id" : "credit_memo_id");
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.messages;
  if (!invoice && !memo) {
    ++stats_.other_messages;
    return;
  }
  if (!doc.ok()) {
    ++stats_.malformed;
    spdlog::warn("erp-sim: {} {} ignored: {}", type, m.key, doc.status().message());
    return;
  }
  doc->booked_at = m.received_at;
  doc->keys.push_back(m.key);
  auto& index = invoice ? invoice_index_ : credit_memo_index_;
  auto& books = invoice ? invoices_ : credit_memos_;
  auto [it, inserted] = index.try_emplace(doc->id, books.size());
  if (!inserted) {
    // The same document under another key: a second delivery, which the books must show.
    ++(invoice ? stats_.duplicate_invoices : stats_.duplicate_credit_memos);
    books[it->second].keys.push_back(m.key);
    spdlog::warn("erp-sim: {} {} delivered again under key {}", type, doc->id, m.key);
    return;
  }
  if (invoice) {
    ++stats_.invoices;
    stats_.invoiced_minor += doc->total_minor;
    if (!doc->order_id.empty()) {
      std::vector<std::string>& ids = invoices_by_order_[doc->order_id];
      if (!ids.empty()) ++stats_.orders_invoiced_twice;
      ids.push_back(doc->id);
    }
  } else {
    ++stats_.credit_memos;
    stats_.credited_minor += doc->total_minor;
    if (!doc->account.empty()) {
      int64_t& exposure = exposure_[doc->account];
      exposure = std::max<int64_t>(0, exposure - doc->total_minor);
    }
  }
  books.push_back(*std::move(doc));
}

std::string ErpSim::Impl::ToJson() const {
  json::object exposure;
  json::array checks, invoices, memos;
  json::object by_order;
  ErpStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
    for (const ErpCustomer& c : options_.customers) exposure[c.account] = 0;
    for (const auto& [account, minor] : exposure_) exposure[account] = minor;
    for (const ErpCreditDecision& d : decisions_) checks.push_back(DecisionJson(d));
    for (const ErpDocument& d : invoices_) invoices.push_back(DocumentJson(d, "invoice_id"));
    for (const auto& [order, ids] : invoices_by_order_) {
      json::array a;
      for (const std::string& id : ids) a.push_back(json::string(id));
      by_order[order] = std::move(a);
    }
    for (const ErpDocument& d : credit_memos_) memos.push_back(DocumentJson(d, "credit_memo_id"));
  }
  return StrCat("{\"currency\":", JsonString(options_.currency), ",\"stats\":", stats.ToJson(),
                ",\"exposure\":", json::serialize(exposure),
                ",\"credit_checks\":", json::serialize(checks),
                ",\"invoices\":", json::serialize(invoices),
                ",\"invoices_by_order\":", json::serialize(by_order),
                ",\"credit_memos\":", json::serialize(memos), "}");
}

std::string ErpStats::ToJson() const {
  return StrCat("{\"credit_checks\":", credit_checks, ",\"credit_approved\":", credit_approved,
                ",\"credit_declined\":", credit_declined, ",\"credit_repeats\":", credit_repeats,
                ",\"quotes\":", quotes, ",\"quote_lines\":", quote_lines,
                ",\"unknown_accounts\":", unknown_accounts, ",\"bad_requests\":", bad_requests,
                ",\"messages\":", messages, ",\"invoices\":", invoices,
                ",\"duplicate_invoices\":", duplicate_invoices,
                ",\"orders_invoiced_twice\":", orders_invoiced_twice,
                ",\"credit_memos\":", credit_memos,
                ",\"duplicate_credit_memos\":", duplicate_credit_memos,
                ",\"invoiced_minor\":", invoiced_minor, ",\"credited_minor\":", credited_minor,
                ",\"other_messages\":", other_messages, ",\"malformed\":", malformed, "}");
}

absl::Status ValidateErpOptions(const ErpOptions& o) {
  auto fail = [](std::string_view field, std::string_view message) {
    return absl::InvalidArgumentError(StrCat("erp.", field, ": ", message));
  };
  if (o.currency.size() != 3 || !std::all_of(o.currency.begin(), o.currency.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return fail("currency", "must be an ISO 4217 code, e.g. USD");
  }
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < o.customers.size(); ++i) {
    const ErpCustomer& c = o.customers[i];
    const std::string at = StrCat("customers[", static_cast<int64_t>(i), "]");
    if (c.account.empty()) return fail(StrCat(at, ".account"), "must not be empty");
    if (!seen.emplace(c.account, i).second) {
      return fail(StrCat(at, ".account"), StrCat("\"", c.account, "\" is listed twice"));
    }
    if (c.limit_minor < 0) return fail(StrCat(at, ".limit_minor"), "must not be negative");
  }
  if (o.default_limit_minor < 0) return fail("default_limit_minor", "must not be negative");
  for (const auto& [sku, price] : o.prices) {
    if (price < 0 || price > kMaxPriceMinor) {
      return fail(StrCat("prices.", sku), StrCat("must be 0 to ", kMaxPriceMinor));
    }
  }
  if (o.default_price_min_minor < 0 || o.default_price_min_minor > kMaxPriceMinor) {
    return fail("default_price_min_minor", StrCat("must be 0 to ", kMaxPriceMinor));
  }
  if (o.default_price_max_minor < o.default_price_min_minor ||
      o.default_price_max_minor > kMaxPriceMinor) {
    return fail("default_price_max_minor",
                StrCat("must be default_price_min_minor to ", kMaxPriceMinor));
  }
  for (const auto& [region, rate] : o.tax_rates) {
    if (!(rate >= 0 && rate <= 1)) return fail(StrCat("tax_rates.", region), "must be 0 to 1");
  }
  if (!(o.default_tax_rate >= 0 && o.default_tax_rate <= 1)) {
    return fail("default_tax_rate", "must be 0 to 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ErpSim>> ErpSim::Create(const ErpOptions& options) {
  if (absl::Status s = ValidateErpOptions(options); !s.ok()) return s;
  return std::unique_ptr<ErpSim>(new ErpSim(std::make_unique<Impl>(options)));
}

ErpSim::ErpSim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ErpSim::~ErpSim() = default;
std::optional<PartnerReply> ErpSim::Handle(const PartnerRequest& request) {
  return impl_->Handle(request);
}
void ErpSim::OnMessage(const PartnerMessage& message) { impl_->OnMessage(message); }
ErpStats ErpSim::Stats() const { return impl_->Stats(); }
std::vector<ErpDocument> ErpSim::Invoices() const { return impl_->Invoices(); }
std::vector<ErpDocument> ErpSim::CreditMemos() const { return impl_->CreditMemos(); }
std::optional<ErpDocument> ErpSim::Invoice(const std::string& id) const {
  return impl_->Invoice(id);
}
std::vector<ErpCreditDecision> ErpSim::CreditDecisions() const { return impl_->CreditDecisions(); }
int64_t ErpSim::Exposure(const std::string& account) const { return impl_->Exposure(account); }
std::string ErpSim::ToJson() const { return impl_->ToJson(); }

ErpPartner::ErpPartner(std::unique_ptr<ErpSim> erp, std::unique_ptr<PartnerSim> partner)
    : erp_(std::move(erp)), partner_(std::move(partner)) {}

ErpPartner::~ErpPartner() { Stop(); }

absl::StatusOr<std::unique_ptr<ErpPartner>> StartErpSim(PartnerSimOptions partner,
                                                        const ErpOptions& erp) {
  absl::StatusOr<std::unique_ptr<ErpSim>> sim = ErpSim::Create(erp);
  if (!sim.ok()) return sim.status();
  ErpSim* e = sim->get();  // outlives the partner (ErpPartner's member order)
  partner.handler = [e, also = std::move(partner.handler)](
                        const PartnerRequest& r) -> std::optional<PartnerReply> {
    if (std::optional<PartnerReply> reply = e->Handle(r)) return reply;
    return also ? also(r) : std::nullopt;
  };
  partner.on_message = [e, also = std::move(partner.on_message)](const PartnerMessage& m) {
    e->OnMessage(m);
    if (also) also(m);
  };
  partner.extra_control_json["erp"] = [e] { return e->ToJson(); };
  absl::StatusOr<std::unique_ptr<PartnerSim>> p = StartPartnerSim(partner);
  if (!p.ok()) return p.status();
  spdlog::info("erp-sim: {} customers, {} prices, {} tax regions ({})", erp.customers.size(),
               erp.prices.size(), erp.tax_rates.size(), erp.currency);
  return std::make_unique<ErpPartner>(*std::move(sim), *std::move(p));
}

absl::StatusOr<ErpSimConfig> ParseErpSimConfig(const std::string& yaml, const std::string& file) {
  ErpSimConfig config;
  ErpOptions& e = config.erp;
  auto non_negative = [](const int64_t& v) {
    return v >= 0 ? std::string() : std::string("must not be negative");
  };
  auto rate = [](const double& v) {
    return v >= 0 && v <= 1 ? std::string() : std::string("must be a rate from 0 to 1");
  };
  auto read_erp = [&](YamlReader& r) {
    r.Get<std::string>("currency", e.currency);
    r.List("customers", e.customers, [&](YamlReader& c, ErpCustomer& customer) {
      c.Required<std::string>("account", customer.account, [](const std::string& v) {
        return v.empty() ? std::string("must not be empty") : std::string();
      });
      c.Get<int64_t>("limit_minor", customer.limit_minor, non_negative);
      c.Get<bool>("on_hold", customer.on_hold);
      c.Get<bool>("tax_exempt", customer.tax_exempt);
    });
    r.Get<int64_t>("default_limit_minor", e.default_limit_minor, non_negative);
    std::string unknown = "default";
    r.Get<std::string>("unknown_accounts", unknown, [](const std::string& v) {
      return v == "default" || v == "reject" ? std::string()
                                             : std::string("must be default or reject");
    });
    e.reject_unknown_accounts = unknown == "reject";
    // Mappings of free keys: each key is read (so none is "unknown") with its own line.
    r.Section("prices", [&](YamlReader& p) {
      p.ForEachKey([&](const std::string& sku) {
        int64_t price = -1;
        p.Get<int64_t>(sku, price, non_negative);
        if (price >= 0) e.prices[sku] = price;
      });
    });
    r.Get<int64_t>("default_price_min_minor", e.default_price_min_minor, non_negative);
    r.Get<int64_t>("default_price_max_minor", e.default_price_max_minor, non_negative);
    r.Section("tax_rates", [&](YamlReader& t) {
      t.ForEachKey([&](const std::string& region) {
        double value = -1;
        t.Get<double>(region, value, rate);
        if (value >= 0) e.tax_rates[region] = value;
      });
    });
    r.Get<double>("default_tax_rate", e.default_tax_rate, rate);
    r.Get<uint64_t>("seed", e.seed);
  };
  absl::StatusOr<PartnerSimOptions> partner =
      ParsePartnerSimConfig(yaml, file, [&](YamlReader& top) { top.Section("erp", read_erp); });
  if (!partner.ok()) return partner.status();
  config.partner = *std::move(partner);
  if (absl::Status s = ValidateErpOptions(e); !s.ok()) {
    return absl::InvalidArgumentError(StrCat(file, ": ", s.message()));
  }
  return config;
}

}  // namespace disthub
