#include "orchestration/order_checks.h"

#include <algorithm>

#include "base/strings.h"

namespace disthub {

OrderChecks::OrderChecks(const std::vector<ChannelRules>& channels, const Catalog* catalog)
    : catalog_(catalog) {
  for (const ChannelRules& c : channels) channels_.insert_or_assign(c.name, c);
}

bool OrderChecks::KnownChannel(std::string_view channel) const {
  return channels_.contains(absl::string_view(channel.data(), channel.size()));
}

std::vector<FieldError> OrderChecks::Check(const Order& order) const {
  std::vector<FieldError> errors;
  auto it = channels_.find(order.channel);
  if (it == channels_.end()) {
    std::string known;
    for (const auto& [name, _] : channels_) known += (known.empty() ? "" : ", ") + name;
    errors.push_back({"#/channel", StrCat("\"", order.channel,
                                          "\" is not a configured channel (configured: ", known,
                                          ")")});
  } else {
    const auto& allowed = it->second.currencies;
    if (std::find(allowed.begin(), allowed.end(), order.currency) == allowed.end()) {
      std::string list;
      for (const auto& c : allowed) list += (list.empty() ? "" : ", ") + c;
      errors.push_back({"#/currency", StrCat("channel ", order.channel, " trades in ", list,
                                             ", not ", order.currency)});
    }
  }
  if (catalog_ != nullptr) {
    for (size_t i = 0; i < order.lines.size(); ++i) {
      const OrderLine& line = order.lines[i];
      const Product* product = catalog_->Find(line.sku);
      std::string at = StrCat("#/lines/", static_cast<int64_t>(i));
      if (product == nullptr) {
        errors.push_back({at + "/sku", StrCat("unknown SKU \"", line.sku, "\"")});
        continue;
      }
      if (auto eaches = ToEaches(*product, line.quantity, line.uom); !eaches.ok()) {
        errors.push_back({at + "/uom", std::string(eaches.status().message())});
      }
    }
  }
  return errors;
}

}  // namespace disthub
