// Canonical order bodies for POST /v1/orders, cheap enough to send tens of thousands a
// second from a load generator that shares the CPU with the server it measures.
//
// Templates are made once; each request copies one and stamps a unique reference into
// it in place:
//
//   std::vector<std::string> pool = MakeOrderTemplates(4096, /*seed=*/1);
//   std::string body = pool[i % pool.size()];
//   StampOrderRef(body, run_id, i);              // 22 bytes written, no allocation
//   std::string_view key = OrderRef(body);        // also the Idempotency-Key
//
// Every template is valid JSON, starts with its channel_order_ref (so the reference sits
// at a fixed offset) and has consistent totals: subtotal = sum of quantity * unit price,
// discount = sum of line discounts, tax = sum of line tax, grand_total = subtotal -
// discount + tax + shipping. Channels, customers, addresses and SKUs (HS-10001 ...
// HS-12000, some hot) are drawn from a generator seeded with `seed`, so the same seed
// gives the same bytes. Mostly 1-5 lines, some up to 12; about 2 KB on average.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace disthub {

// Every body starts with `{"channel_order_ref":"` followed by the reference, which is
// kOrderRefSize characters: "LD-" + 8 hex digits of run id + "-" + 10 decimal digits of
// sequence, e.g. "LD-0000beef-0000000042".
inline constexpr size_t kOrderRefOffset = 22;
inline constexpr size_t kOrderRefSize = 22;

// `n` distinct valid orders. REQUIRES: n >= 1.
std::vector<std::string> MakeOrderTemplates(int n, uint64_t seed);

// `n` orders that are valid JSON of the same size and shape but that a validating
// server must reject before any write, having parsed and checked all of it: the
// grand_total is off by one minor unit (one field error). REQUIRES: n >= 1.
std::vector<std::string> MakeInvalidOrderTemplates(int n, uint64_t seed);

// Shopify `orders/create` webhook bodies (what mappings/shopify-order.yaml reads), with the
// same SKUs, prices, discounts and tax as the canonical ones, consistent totals, prices as
// strings. Every body starts with `{"id":"` and the reference (Shopify's order id, here
// a string), so it sits at kWebhookRefOffset. REQUIRES: n >= 1.
inline constexpr size_t kWebhookRefOffset = 7;
std::vector<std::string> MakeShopifyWebhookTemplates(int n, uint64_t seed);

// Writes the reference for (run_id, seq) into `body` at `offset`; seq is taken modulo
// 10^10. REQUIRES: `body` comes from one of the functions above, `offset` its kind's.
void StampRef(std::string& body, size_t offset, uint32_t run_id, uint64_t seq);
inline void StampOrderRef(std::string& body, uint32_t run_id, uint64_t seq) {
  StampRef(body, kOrderRefOffset, run_id, seq);
}

// The reference currently in `body`. REQUIRES: as StampOrderRef.
inline std::string_view OrderRef(std::string_view body) {
  return body.substr(kOrderRefOffset, kOrderRefSize);
}

}  // namespace disthub
