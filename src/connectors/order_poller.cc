#include "connectors/order_poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "base/http_client.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "connectors/polling.h"
#include "connectors/webhook.h"
#include "mapping/mapping.h"
#include "mapping/transforms.h"
#include "model/json.h"
#include "observe/metrics.h"

namespace disthub::connectors {
namespace {

namespace json = boost::json;

// The value at JSON Pointer `pointer`, or nullptr.
const json::value* At(const json::value& v, std::string_view pointer) {
  boost::system::error_code ec;
  const json::value* found = v.find_pointer(json::string_view(pointer.data(), pointer.size()), ec);
  return ec ? nullptr : found;
}

std::string WithParam(const std::string& path, std::string_view name, std::string_view value) {
  return StrCat(path, path.find('?') == std::string::npos ? "?" : "&", name, "=",
                PercentEncode(value));
}

class RestOrderPoller final : public Connector {
 public:
  RestOrderPoller(std::string name, const Settings& s, ConnectorHost& host,
                  std::shared_ptr<const mapping::Mapping> mapping, std::string token)
      : name_(std::move(name)),
        host_(host),
        mapping_(std::move(mapping)),
        token_(std::move(token)),
        url_(s.String("url")),
        orders_path_(s.String("orders_path")),
        cursor_param_(s.String("cursor_param")),
        start_cursor_(s.String("start_cursor")),
        cursor_field_(s.String("cursor_field")),
        list_pointer_(s.String("list_pointer")),
        next_token_pointer_(s.String("next_token_pointer")),
        next_token_param_(s.String("next_token_param")),
        id_field_(s.String("id_field")),
        items_path_(s.String("items_path")),
        items_pointer_(s.String("items_pointer")),
        channel_(s.String("channel")),
        token_header_(s.String("token_header")),
        timeout_(s.Duration("timeout_ms")),
        per_minute_(static_cast<double>(s.Integer("requests_per_minute"))),
        burst_(static_cast<double>(std::max<int64_t>(1, s.Integer("burst")))),
        max_pages_(s.Integer("max_pages_per_poll")),
        loop_("dh-poller", s.Duration("poll_interval_ms")) {
    tokens_ = burst_;
    Registry& m = host_.metrics();
    for (const char* outcome : {"ok", "throttled", "failed"}) {
      requests_[outcome] = m.Counter("disthub_connector_requests_total",
                                     "Requests a polling connector made, by outcome.",
                                     {{"connector", name_}, {"outcome", outcome}});
    }
    for (const char* outcome : {"created", "duplicate", "refused"}) {
      orders_[outcome] =
          m.Counter("disthub_connector_orders_total",
                    "Orders a polling connector fetched, by what the hub made of them.",
                    {{"connector", name_}, {"outcome", outcome}});
    }
  }

  ~RestOrderPoller() override { Stop(); }

  absl::Status Start() override {
    absl::StatusOr<std::string> saved = host_.LoadCursor(name_);
    if (!saved.ok()) return saved.status();
    {
      std::lock_guard lock(mu_);
      cursor_ = saved->empty() ? start_cursor_ : *saved;
    }
    loop_.Start([this] { PollOnce(); });
    return absl::OkStatus();
  }

  void Stop() override { loop_.Stop(); }

  std::optional<OrderSource> order_source() const override {
    return OrderSource{.source = name_, .mapping = mapping_, .channel = channel_};
  }

  json::object Describe() const override {
    std::lock_guard lock(mu_);
    json::object o{{"name", name_},       {"type", "rest-order-poller"}, {"url", url_},
                   {"channel", channel_}, {"cursor", cursor_},           {"polls", loop_.polls()}};
    json::object orders, requests;
    for (const auto& [k, c] : orders_) orders[k] = c->Value();
    for (const auto& [k, c] : requests_) requests[k] = c->Value();
    o["orders"] = std::move(orders);
    o["requests"] = std::move(requests);
    if (!last_error_.empty()) o["last_error"] = last_error_;
    return o;
  }

 private:
  // One request within the quota: 429s wait their Retry-After (up to 5 times).
  absl::StatusOr<json::value> Get(const std::string& target) {
    for (int attempt = 0; attempt < 6; ++attempt) {
      // A token of the bucket, refilled at per_minute_ / 60 a second.
      while (per_minute_ > 0) {
        auto now = std::chrono::steady_clock::now();
        tokens_ =
            std::min(burst_, tokens_ + std::chrono::duration<double>(now - refilled_).count() *
                                           per_minute_ / 60);
        refilled_ = now;
        if (tokens_ >= 1) break;
        if (!loop_.Sleep(absl::Seconds((1 - tokens_) * 60 / per_minute_))) {
          return absl::CancelledError("stopping");
        }
      }
      tokens_ -= 1;
      std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
      if (!token_.empty()) headers.emplace_back(token_header_, token_);
      if (!client_) client_ = std::make_unique<HttpClient>(url_, absl::ToDoubleSeconds(timeout_));
      absl::StatusOr<HttpResult> r = client_->Get(target, headers);
      if (!r.ok()) {
        requests_["failed"]->Inc();
        return r.status();
      }
      if (r->status == 429) {
        requests_["throttled"]->Inc();
        int wait = 1;
        std::string after = r->Header("retry-after");
        if (!after.empty()) wait = std::clamp(std::atoi(after.c_str()), 1, 60);
        if (!loop_.Sleep(absl::Seconds(wait))) return absl::CancelledError("stopping");
        continue;
      }
      if (r->status != 200) {
        requests_["failed"]->Inc();
        return absl::UnavailableError(
            StrCat("GET ", target, " answered ", r->status, ": ", r->body.substr(0, 200)));
      }
      requests_["ok"]->Inc();
      boost::system::error_code ec;
      json::value v = json::parse(r->body, ec);
      if (ec) return absl::DataLossError(StrCat("GET ", target, ": not JSON (", ec.message(), ")"));
      return v;
    }
    return absl::UnavailableError(StrCat("GET ", target, ": still throttled after 5 waits"));
  }

  void PollOnce() {
    std::string cursor;
    {
      std::lock_guard lock(mu_);
      cursor = cursor_;
    }
    // A backlog longer than one poll reads goes on where the last poll stopped (by its
    // token), so the cursor still moves once the whole backlog is taken.
    std::string newest = resume_newest_.empty() ? cursor : resume_newest_;
    std::optional<absl::Time> newest_time = ParseTime(newest);
    std::string next_token = std::move(resume_token_);
    resume_token_.clear();
    resume_newest_.clear();
    for (int64_t page_no = 0; page_no < max_pages_; ++page_no) {
      if (loop_.stopping()) return;
      const std::string target = next_token.empty()
                                     ? WithParam(orders_path_, cursor_param_, cursor)
                                     : WithParam(orders_path_, next_token_param_, next_token);
      absl::StatusOr<json::value> page = Get(target);
      if (!page.ok()) return Note(std::string(page.status().message()));
      const json::value* list = At(*page, list_pointer_);
      if (list == nullptr || !list->is_array()) {
        return Note(StrCat("GET ", target, ": no list at ", list_pointer_));
      }
      for (const json::value& order : list->as_array()) {
        if (!Take(order)) return;  // the hub could not take it: ask again next poll
        if (const json::value* at = At(order, cursor_field_); at != nullptr && at->is_string()) {
          std::optional<absl::Time> t = ParseTime(std::string_view(at->as_string()));
          if (t && (!newest_time || *t > *newest_time)) {
            newest_time = t;
            newest = std::string(at->as_string());
          }
        }
      }
      const json::value* token = At(*page, next_token_pointer_);
      next_token = token != nullptr && token->is_string() ? std::string(token->as_string()) : "";
      if (next_token.empty()) break;
    }
    if (!next_token.empty()) {  // more pages than one poll reads: the next poll goes on
      resume_token_ = std::move(next_token);
      resume_newest_ = std::move(newest);
      return;
    }
    if (newest == cursor) return;
    std::promise<absl::Status> saved;
    host_.SaveCursor(name_, newest, [&saved](absl::Status s) mutable { saved.set_value(s); });
    if (absl::Status s = saved.get_future().get(); !s.ok()) {
      return Note(StrCat("saving the cursor: ", s.message()));
    }
    std::lock_guard lock(mu_);
    cursor_ = newest;
  }

  // Fetches the order's items, maps and hands the order to the hub. False when the hub (or
  // the marketplace) could not be reached: the poll stops and the cursor stays.
  bool Take(const json::value& order) {
    absl::StatusOr<std::string> id =
        At(order, id_field_) ? mapping::ScalarText(*At(order, id_field_), "an order id")
                             : absl::StatusOr<std::string>(absl::InvalidArgumentError("missing"));
    if (!id.ok() || id->empty()) {
      Refuse("", json::serialize(order), StrCat("the order has no ", id_field_));
      return true;
    }
    json::value document = order;
    if (!items_path_.empty()) {
      std::string path = items_path_;
      if (size_t at = path.find("{id}"); at != std::string::npos) {
        path.replace(at, 4, PercentEncode(*id));
      }
      absl::StatusOr<json::value> items = Get(path);
      if (!items.ok()) {
        Note(std::string(items.status().message()));
        return false;
      }
      const json::value* list = At(*items, items_pointer_);
      document = json::object{
          {"order", order}, {"items", list != nullptr && list->is_array() ? *list : json::array()}};
    }
    const std::string body = json::serialize(document);
    Decoded<Order> mapped = MapWebhookOrder(*mapping_, channel_, document);
    if (!mapped.ok()) {
      Refuse(*id, body, Reasons(mapped.errors));
      return true;
    }
    std::promise<absl::StatusOr<OrderTaken>> taken;
    host_.SubmitOrder(
        {.source = name_, .key = *id, .body = body, .order = *std::move(mapped.value)},
        [&taken](absl::StatusOr<OrderTaken> t) mutable { taken.set_value(std::move(t)); });
    absl::StatusOr<OrderTaken> t = taken.get_future().get();
    if (!t.ok()) {
      Note(StrCat("order ", *id, ": the hub did not take it (", t.status().message(), ")"));
      return false;
    }
    if (!t->refused.empty()) {
      Refuse(*id, body, Reasons(t->refused));
      return true;
    }
    orders_[t->duplicate ? "duplicate" : "created"]->Inc();
    return true;
  }

  static std::string Reasons(const std::vector<FieldError>& errors) {
    std::string all;
    for (const FieldError& e : errors) {
      all += StrCat(all.empty() ? "" : "; ", e.pointer.empty() ? "" : StrCat(e.pointer, ": "),
                    e.detail);
    }
    return all;
  }

  void Refuse(const std::string& id, std::string body, const std::string& reason) {
    orders_["refused"]->Inc();
    spdlog::warn("{}: order {} refused: {}", name_, id, reason);
    std::promise<absl::Status> recorded;
    host_.RecordRefused(name_, id, std::move(body), reason,
                        [&recorded](absl::Status s) mutable { recorded.set_value(s); });
    absl::Status s = recorded.get_future().get();
    Note(StrCat("order ", id, " refused: ", reason,
                s.ok() ? "" : StrCat(" (and not archived: ", s.message(), ")")));
  }

  void Note(std::string error) {
    spdlog::warn("{}: {}", name_, error);
    std::lock_guard lock(mu_);
    last_error_ = std::move(error);
  }

  const std::string name_;
  ConnectorHost& host_;
  const std::shared_ptr<const mapping::Mapping> mapping_;
  const std::string token_;
  const std::string url_, orders_path_, cursor_param_, start_cursor_, cursor_field_, list_pointer_,
      next_token_pointer_, next_token_param_, id_field_, items_path_, items_pointer_, channel_,
      token_header_;
  const absl::Duration timeout_;
  const double per_minute_, burst_;
  const int64_t max_pages_;
  std::map<std::string, Counter*> requests_, orders_;

  // Worker thread only.
  std::unique_ptr<HttpClient> client_;
  std::string resume_token_, resume_newest_;  // where a poll cut short by max_pages stopped
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();

  mutable std::mutex mu_;  // guards cursor_ and last_error_
  std::string cursor_;
  std::string last_error_;
  PollingLoop loop_;  // last: joined before the members its polls use go
};

}  // namespace

const ConnectorType& RestOrderPollerType() {
  auto spec = [](std::string key, SettingType type, std::string doc,
                 std::optional<std::string> default_value, std::string example) {
    return SettingSpec{.key = std::move(key),
                       .type = type,
                       .doc = std::move(doc),
                       .default_value = std::move(default_value),
                       .example = std::move(example)};
  };
  using T = SettingType;
  static const ConnectorType* type = new ConnectorType{
      .name = "rest-order-poller",
      .summary =
          "Asks a marketplace's REST API for new orders (Amazon SP-API Orders v0 by "
          "default), with a durable cursor and the marketplace's quota",
      .settings =
          {
              spec("url", T::kString, "The marketplace API's base URL", std::nullopt,
                   "http://127.0.0.1:1"),
              spec("channel", T::kString, "The channel the orders belong to", std::nullopt,
                   "amazon-us"),
              spec("mapping", T::kPath, "The mapping of one order document (to: order)",
                   std::nullopt, "{source}/mappings/amazon-order.yaml"),
              spec("token_env", T::kString,
                   "The environment variable holding the access token; empty: none sent", "", ""),
              spec("token_header", T::kString, "The header the token is sent in",
                   "x-amz-access-token", "Authorization"),
              spec("orders_path", T::kString, "The order list's path (and fixed query)",
                   "/orders/v0/orders", "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER"),
              spec("cursor_param", T::kString, "The query parameter carrying the cursor",
                   "LastUpdatedAfter", "CreatedAfter"),
              spec("cursor_field", T::kString,
                   "JSON Pointer to each order's RFC 3339 time the cursor follows",
                   "/LastUpdateDate", "/PurchaseDate"),
              spec("start_cursor", T::kString, "The cursor of the first poll",
                   "1970-01-01T00:00:00Z", "2026-11-01T00:00:00Z"),
              spec("list_pointer", T::kString, "JSON Pointer to the page's list of orders",
                   "/payload/Orders", "/orders"),
              spec("next_token_pointer", T::kString,
                   "JSON Pointer to the next page's token in a page", "/payload/NextToken",
                   "/next"),
              spec("next_token_param", T::kString, "The query parameter carrying that token",
                   "NextToken", "page_token"),
              spec("id_field", T::kString, "JSON Pointer to an order's id", "/AmazonOrderId",
                   "/id"),
              spec("items_path", T::kString,
                   "The path of an order's items, {id} its id; empty: the list carries them",
                   "/orders/v0/orders/{id}/orderItems", ""),
              spec("items_pointer", T::kString, "JSON Pointer to the items in that answer",
                   "/payload/OrderItems", "/items"),
              spec("poll_interval_ms", T::kDuration, "Time between polls", "60000", "50"),
              spec("timeout_ms", T::kDuration, "How long one request may take", "10000", "2000"),
              spec("requests_per_minute", T::kInteger,
                   "The marketplace's quota: requests a minute (0: unlimited)", "60", "600"),
              spec("burst", T::kInteger, "Requests that may go at once before the rate applies",
                   "20", "5"),
              spec("max_pages_per_poll", T::kInteger,
                   "Pages one poll reads at most; the next goes on from there (the cursor moves "
                   "once the whole backlog is read)",
                   "100", "10"),
          },
      .create = [](const std::string& instance, const Settings& s,
                   ConnectorHost& host) -> absl::StatusOr<std::unique_ptr<Connector>> {
        absl::StatusOr<mapping::Mapping> m =
            mapping::Mapping::Load(s.String("mapping"), "order", "an order poller takes orders");
        if (!m.ok()) return m.status();
        std::string token;
        if (const std::string& env = s.String("token_env"); !env.empty()) {
          std::optional<std::string> v = host.Secret(env);
          if (!v || v->empty()) {
            return absl::FailedPreconditionError(
                StrCat("the environment variable ", env, " (token_env) is not set"));
          }
          token = *std::move(v);
        }
        return std::make_unique<RestOrderPoller>(
            instance, s, host, std::make_shared<const mapping::Mapping>(*std::move(m)),
            std::move(token));
      }};
  return *type;
}

}  // namespace disthub::connectors
