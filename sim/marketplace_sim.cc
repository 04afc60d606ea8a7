#include "sim/marketplace_sim.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <optional>

#include "base/strings.h"

namespace disthub {
namespace {

namespace json = boost::json;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> Query(std::string_view target) {
  std::map<std::string, std::string> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    out[PercentDecode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return out;
}

PartnerReply JsonReply(const json::object& o) {
  return PartnerReply{.status = 200, .body = json::serialize(o)};
}

}  // namespace

struct MarketplaceSim::State {
  MarketplaceSimOptions options;
  mutable std::mutex mu;
  // By AmazonOrderId; each with its items.
  std::map<std::string, std::pair<json::object, json::array>> orders;
  std::vector<std::string> list_requests;
  int64_t item_requests = 0;

  std::optional<PartnerReply> Handle(const PartnerRequest& r) {
    constexpr std::string_view kOrders = "/orders/v0/orders";
    std::string_view path = r.target.substr(0, r.target.find('?'));
    if (!path.starts_with(kOrders)) return std::nullopt;
    if (r.method != "GET") return ProblemReply(405, "Method not allowed", "GET only");
    if (!options.access_token.empty() && r.key != options.access_token) {
      return ProblemReply(403, "Forbidden", "x-amz-access-token is missing or not valid");
    }
    std::lock_guard lock(mu);
    if (path == kOrders) {
      std::map<std::string, std::string> q = Query(r.target);
      const std::string after = q["LastUpdatedAfter"];
      if (after.empty() && q["NextToken"].empty()) {
        return ProblemReply(400, "Bad request", "LastUpdatedAfter or NextToken is required");
      }
      // NextToken "OFFSET~AFTER": where the previous page ended, for the same query.
      size_t offset = 0;
      std::string since = after;
      if (const std::string& token = q["NextToken"]; !token.empty()) {
        size_t tilde = token.find('~');
        if (tilde == std::string::npos) return ProblemReply(400, "Bad request", "bad NextToken");
        offset = std::stoul(token.substr(0, tilde));
        since = token.substr(tilde + 1);
      }
      std::vector<const json::object*> hits;
      for (const auto& [id, o] : orders) {
        const json::value* updated = o.first.if_contains("LastUpdateDate");
        if (updated != nullptr && updated->is_string() && updated->as_string() >= since) {
          hits.push_back(&o.first);
        }
      }
      std::stable_sort(hits.begin(), hits.end(), [](const json::object* a, const json::object* b) {
        return a->at("LastUpdateDate").as_string() < b->at("LastUpdateDate").as_string();
      });
      json::array page;
      const size_t end = std::min(hits.size(), offset + static_cast<size_t>(options.page_size));
      for (size_t i = offset; i < end; ++i) page.push_back(*hits[i]);
      json::object payload{{"Orders", std::move(page)}};
      if (end < hits.size()) payload["NextToken"] = StrCat(static_cast<int64_t>(end), "~", since);
      list_requests.emplace_back(r.target);
      return JsonReply({{"payload", std::move(payload)}});
    }
    // /orders/v0/orders/{id}/orderItems
    std::string_view rest = path.substr(kOrders.size());
    constexpr std::string_view kItems = "/orderItems";
    if (!rest.starts_with("/") || !rest.ends_with(kItems)) {
      return ProblemReply(404, "Not found", StrCat("no route ", path));
    }
    std::string id(rest.substr(1, rest.size() - 1 - kItems.size()));
    auto it = orders.find(id);
    if (it == orders.end()) return ProblemReply(404, "Not found", StrCat("no order ", id));
    ++item_requests;
    return JsonReply(
        {{"payload", json::object{{"AmazonOrderId", id}, {"OrderItems", it->second.second}}}});
  }
};

absl::StatusOr<std::unique_ptr<MarketplaceSim>> MarketplaceSim::Start(
    PartnerSimOptions partner, MarketplaceSimOptions options) {
  std::unique_ptr<MarketplaceSim> sim(new MarketplaceSim());
  sim->state_ = std::make_shared<State>();
  sim->state_->options = std::move(options);
  // The access token arrives where the sim reads its key header.
  partner.key_header = "x-amz-access-token";
  partner.handler = [state = sim->state_, also = std::move(partner.handler)](
                        const PartnerRequest& r) -> std::optional<PartnerReply> {
    if (std::optional<PartnerReply> reply = state->Handle(r)) return reply;
    return also ? also(r) : std::nullopt;
  };
  absl::StatusOr<std::unique_ptr<PartnerSim>> p = StartPartnerSim(partner);
  if (!p.ok()) return p.status();
  sim->partner_ = *std::move(p);
  return sim;
}

MarketplaceSim::~MarketplaceSim() {
  if (partner_) partner_->Stop();
}

void MarketplaceSim::AddOrder(json::object order, json::array items) {
  std::string id(order.at("AmazonOrderId").as_string());
  std::lock_guard lock(state_->mu);
  state_->orders[id] = {std::move(order), std::move(items)};
}

std::vector<std::string> MarketplaceSim::ListRequests() const {
  std::lock_guard lock(state_->mu);
  return state_->list_requests;
}

int64_t MarketplaceSim::item_requests() const {
  std::lock_guard lock(state_->mu);
  return state_->item_requests;
}

}  // namespace disthub
