// X12 transaction sets to and from the canonical model (issue 7), starting with the 850
// purchase order in. The envelopes were checked already (formats/x12_envelope.h); this
// layer knows what the segments mean. The documents after the 850 (855, 856, 810 out; 940
// out, 945 and 846 in) are x12_documents.h's, with the same dialect.
//
//   ReadX12(bytes, {.set = [&](const X12Interchange&, const X12Group&, const X12Set& set,
//                              std::span<const X12Segment> segments) {
//     if (set.id == "850") absl::StatusOr<Order> order = OrderFrom850(segments, dialect);
//   }});
//
// What an 850 becomes:
//   channel_order_ref  BEG03, the purchase order number (BEG01 must be 00, an original)
//   placed_at          BEG05, at midnight UTC
//   currency           CUR02 (buyer's, CUR01 BY) or the dialect's
//   customer           N1*BY: name N102, external_ref N104; account_number the dialect's
//   ship_to, bill_to   the N1*ST and N1*BT loops: company N102, name N201, lines N3,
//                      city/region/postal/country N4 (alpha-3 countries as alpha-2); an
//                      850 without N1*ST ships to its buyer (N1*BY) when that has an address
//   lines              one per PO1: line_no in order, channel_line_ref PO101, quantity PO102
//                      (whole), uom PO103 through the dialect's unit table (CA → "case":
//                      orchestration turns cases into eaches with the product's units),
//                      unit_price PO104, sku the first of PO106..PO125 whose qualifier the
//                      dialect prefers, description PID05 (PID01 F)
//   totals             from the lines; CTT01 (line count), CTT02 (quantity hash total) and
//                      AMT*TT/AMT*1 must agree with them when the document carries them
//   payment_state      on_terms (a purchase order is billed by invoice)
//   attributes         x12.po_type (BEG02), x12.requested_delivery (DTM*002), x12.department
//                      (REF*DP), x12.vendor (REF*IA)
//
// Thread-safe: pure functions.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "formats/x12.h"
#include "model/entities.h"

namespace disthub::mapping {

// How one trading partner's documents read, beyond the standard.
struct X12Dialect {
  std::string channel;         // the sales channel its orders belong to: "edi-retail"
  std::string account_number;  // the partner's ERP account, for the orders' customer
  // PO1 product id qualifiers in the order a SKU is taken from: the vendor's own number
  // first (we are the vendor), then SKU, UPC/GTIN, the buyer's numbers last.
  std::vector<std::string> sku_qualifiers = {"VN", "VP", "VC", "SK", "MG", "UP",
                                             "UK", "EN", "IN", "BP", "CB"};
  // X12 unit of measure codes (355) to the model's units.
  std::map<std::string, std::string> units = {{"EA", "each"}, {"CA", "case"},   {"BX", "box"},
                                              {"PK", "pack"}, {"PL", "pallet"}, {"DZ", "dozen"}};
  // Standard Carrier Alpha Codes (SCAC, as TD5 and W27 carry them) to the model's carriers:
  // {"UPSN", "ups"}. A carrier without one is named in words (TD505) on the way out.
  std::map<std::string, std::string> carriers;
  std::string currency = "USD";  // when the document has no CUR
  std::string country = "US";    // when an N4 has no country
};

// The canonical order an 850 (its segments from ST to SE) becomes. kInvalidArgument listing
// every problem, each naming its segment, position in the set, line and element: a missing
// BEG or PO1, a quantity that is not whole, a unit the dialect has no entry for, a price
// with more decimals than the currency, no SKU among the product ids, totals that disagree
// with CTT or AMT. kUnimplemented for a BEG01 other than 00 (changes and cancellations by
// 850 are not taken yet).
absl::StatusOr<Order> OrderFrom850(std::span<const formats::X12Segment> set,
                                   const X12Dialect& dialect);

}  // namespace disthub::mapping
