#include "orchestration/erp_gateway.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <utility>

#include "base/http_client.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"

namespace disthub::orchestration {
namespace {

namespace json = boost::json;

int64_t IntField(const json::object& o, std::string_view key, bool* ok) {
  const json::value* v = o.if_contains(key);
  if (v != nullptr && v->is_int64()) return v->get_int64();
  if (v != nullptr && v->is_uint64() && v->get_uint64() <= INT64_MAX)
    return static_cast<int64_t>(v->get_uint64());
  *ok = false;
  return 0;
}

class HttpErpGateway final : public ErpGateway {
 public:
  explicit HttpErpGateway(HttpErpOptions options) : options_(std::move(options)) {}

  absl::StatusOr<std::vector<QuotedLine>> Quote(const Order& order,
                                                const std::vector<int64_t>& eaches) override {
    json::array lines;
    for (size_t i = 0; i < order.lines.size(); ++i) {
      lines.push_back(json::object{
          {"line", order.lines[i].line_no}, {"sku", order.lines[i].sku}, {"quantity", eaches[i]}});
    }
    json::object body{{"account", ErpAccount(order)},
                      {"currency", order.currency},
                      {"ship_to", json::object{{"region", order.ship_to.region},
                                               {"country", order.ship_to.country}}},
                      {"lines", std::move(lines)}};
    DISTHUB_ASSIGN_OR_RETURN(json::object answer, Post("/quotes", body, ""));
    const json::value* list = answer.if_contains("lines");
    if (list == nullptr || !list->is_array()) return Malformed("/quotes", "no \"lines\" list");
    std::vector<QuotedLine> out;
    for (const json::value& v : list->get_array()) {
      if (!v.is_object()) return Malformed("/quotes", "a line is not an object");
      bool ok = true;
      QuotedLine q{.line = static_cast<int>(IntField(v.get_object(), "line", &ok)),
                   .unit_price_minor = IntField(v.get_object(), "unit_price_minor", &ok),
                   .tax_minor = IntField(v.get_object(), "tax_minor", &ok)};
      if (!ok || q.unit_price_minor < 0 || q.tax_minor < 0)
        return Malformed("/quotes", "a line lacks line, unit_price_minor or tax_minor");
      out.push_back(q);
    }
    return out;
  }

  absl::StatusOr<CreditAnswer> CheckCredit(const Order& order, const std::string& order_id,
                                           int64_t amount_minor) override {
    json::object body{{"account", ErpAccount(order)},
                      {"order_id", order_id},
                      {"amount_minor", amount_minor},
                      {"currency", order.currency}};
    DISTHUB_ASSIGN_OR_RETURN(json::object answer,
                             Post("/credit-checks", body, StrCat("credit:", order_id)));
    const json::value* approved = answer.if_contains("approved");
    if (approved == nullptr || !approved->is_bool())
      return Malformed("/credit-checks", "no boolean \"approved\"");
    CreditAnswer a{.approved = approved->get_bool()};
    if (const json::value* r = answer.if_contains("reason"); r != nullptr && r->is_string())
      a.reason = std::string(r->get_string());
    bool ok = true;
    a.limit_minor = IntField(answer, "limit_minor", &ok);
    a.available_minor = IntField(answer, "available_minor", &ok);
    return a;
  }

 private:
  static absl::Status Malformed(std::string_view path, std::string_view what) {
    return absl::UnavailableError(StrCat("the ERP's answer to ", path, " is malformed: ", what));
  }

  // Posts `body`; the answer's object, or why there is none.
  absl::StatusOr<json::object> Post(std::string_view path, const json::object& body,
                                    const std::string& idempotency_key) {
    DISTHUB_RETURN_IF_ERROR(CircuitAllows());
    std::unique_ptr<HttpClient> client = Take();
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (!options_.token.empty()) headers.emplace_back("Authorization", "Bearer " + options_.token);
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    absl::StatusOr<HttpResult> res = client->Send("POST", path, headers, json::serialize(body));
    absl::Status failure;
    if (!res.ok()) {
      failure = absl::UnavailableError(
          StrCat("the ERP did not answer ", path, ": ", res.status().message()));
    } else if (res->status >= 500 || res->status == 429 || res->status == 408) {
      failure = absl::UnavailableError(StrCat("the ERP answered ", path, " with ", res->status));
    }
    if (failure.ok() && res->status < 300) {
      json::error_code ec;
      json::value v = json::parse(res->body, ec);
      if (ec || !v.is_object()) failure = Malformed(path, "not a JSON object");
    }
    Record(failure.ok());  // a malformed answer counts against the circuit too
    if (!failure.ok()) return failure;  // the connection may be broken: not reused
    Give(std::move(client));
    if (res->status >= 300) {
      std::string detail = res->body.substr(0, 300);
      json::error_code ec;
      json::value v = json::parse(res->body, ec);
      if (!ec && v.is_object()) {
        if (const json::value* d = v.get_object().if_contains("detail"); d && d->is_string())
          detail = std::string(d->get_string());
      }
      return absl::FailedPreconditionError(
          StrCat("the ERP refused ", path, " (", res->status, "): ", detail));
    }
    json::error_code ec;
    json::value v = json::parse(res->body, ec);
    if (ec || !v.is_object()) return Malformed(path, "not a JSON object");
    return std::move(v.get_object());
  }

  absl::Status CircuitAllows() {
    std::lock_guard<std::mutex> lock(mu_);
    if (failures_ < options_.failures_to_open) return absl::OkStatus();
    const absl::Time now = absl::Now();
    if (now < open_until_) {
      return absl::UnavailableError(
          StrCat("the ERP circuit is open after ", failures_, " unanswered calls in a row"));
    }
    open_until_ = now + options_.open_for;  // this call probes; the others wait for it
    return absl::OkStatus();
  }

  void Record(bool answered) {
    std::lock_guard<std::mutex> lock(mu_);
    if (answered) {
      failures_ = 0;
    } else if (++failures_ == options_.failures_to_open) {
      open_until_ = absl::Now() + options_.open_for;
    }
  }

  std::unique_ptr<HttpClient> Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<HttpClient> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return std::make_unique<HttpClient>(options_.url, absl::ToDoubleSeconds(options_.timeout),
                                        options_.tls);
  }
  void Give(std::unique_ptr<HttpClient> client) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 32) idle_.push_back(std::move(client));
  }

  const HttpErpOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_ ABSL_GUARDED_BY(mu_);
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace

std::string ErpAccount(const Order& order) {
  return order.customer.account_number.empty() ? order.customer.external_ref
                                               : order.customer.account_number;
}

std::unique_ptr<ErpGateway> MakeHttpErpGateway(HttpErpOptions options) {
  return std::make_unique<HttpErpGateway>(std::move(options));
}

absl::Status ApplyQuote(Order& order, const std::vector<int64_t>& eaches,
                        const std::vector<QuotedLine>& quote) {
  std::map<int, const QuotedLine*> by_line;
  for (const QuotedLine& q : quote) by_line[q.line] = &q;
  int64_t subtotal = 0, discount = 0, tax = 0;
  for (size_t i = 0; i < order.lines.size(); ++i) {
    OrderLine& l = order.lines[i];
    auto it = by_line.find(l.line_no);
    if (it == by_line.end())
      return absl::FailedPreconditionError(StrCat("the ERP's quote has no line ", l.line_no));
    if (l.quantity <= 0 || eaches[i] % l.quantity != 0) {
      return absl::FailedPreconditionError(
          StrCat("line ", l.line_no, ": ", eaches[i], " eaches are not a whole number of ", l.uom));
    }
    const int64_t per_unit = eaches[i] / l.quantity;
    l.unit_price = Money{it->second->unit_price_minor * per_unit, order.currency};
    l.tax = Money{it->second->tax_minor, order.currency};
    const int64_t gross = l.unit_price.minor * l.quantity;
    int64_t off = 0;
    for (Discount& d : l.discounts) {
      d.amount.minor = std::min(d.amount.minor, gross - off);
      off += d.amount.minor;
    }
    subtotal += gross;
    discount += off;
    tax += l.tax.minor;
  }
  order.totals.subtotal = Money{subtotal, order.currency};
  order.totals.discount = Money{discount, order.currency};
  order.totals.tax = Money{tax, order.currency};
  order.totals.grand_total =
      Money{subtotal - discount + tax + order.totals.shipping.minor, order.currency};
  return absl::OkStatus();
}

ErpWorkers::ErpWorkers(int threads, std::function<void(const std::string&)> work)
    : work_(std::move(work)) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this, i] {
      NameThisThread(StrCat("dh-erp-", i));
      Run();
    });
  }
}

ErpWorkers::~ErpWorkers() { Stop(); }

bool ErpWorkers::Enqueue(const std::string& order_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !pending_.insert(order_id).second) return false;
    queue_.push_back(order_id);
  }
  cv_.notify_one();
  return true;
}

size_t ErpWorkers::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

void ErpWorkers::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work_(id);
    lock.lock();
    pending_.erase(id);
  }
}

void ErpWorkers::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  pending_.clear();
}

}  // namespace disthub::orchestration
