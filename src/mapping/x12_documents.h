// The X12 documents of the trading flow after the 850 (x12_orders.h): what the hub sends a
// retail partner (855 acknowledgement, 856 ship notice, 810 invoice) and a 3PL (940 shipping
// order), and what a 3PL sends back (945 shipping advice, 846 inventory advice). Writers
// return a set's body for formats::WriteX12Interchange; readers take the segments of one set
// as ReadX12's set handler gets them.
//
//   absl::StatusOr<formats::X12OutSet> asn = ShipNotice856(order, shipment, dialect);
//   WriteX12Interchange(envelope, controls, {{.functional_id = "SH", .sets = {*asn}}}, now);
//   ...
//   if (set.id == "945") absl::StatusOr<X12ShippingAdvice> a = ShippingAdviceFrom945(segs, d);
//
// Written the same way by every writer:
//   units      the order line's uom through the reverse of dialect.units ("case" → CA; when
//              several codes name one unit, the first in code order)
//   SKUs       with qualifier VN (the vendor's item number: the hub is the vendor)
//   line refs  PO101 / LIN01 / IT101 carry the order line's channel_line_ref (the 850's
//              PO101) and, for an order that did not come by 850, its line_no
//   dates      CCYYMMDD and HHMM in UTC
//   currency   CUR*SE when the order's (invoice's) currency is not the dialect's
// Each writer checks its output against the segment dictionary (formats/x12_dictionary.h)
// before returning it: kInvalidArgument listing every problem, naming the canonical field
// ("order.lines[1].uom") where the input cannot be expressed in X12, or the X12 element
// and its value where the standard refuses it (a shipment id longer than BSN02's 30).
// Values holding the partner's delimiters are refused later, by the writer.
//
// 855  BAK*00*type*PO number*PO date***seller's order (order.id)*ack date; one PO1 per order
//      line (ref, quantity, unit, price, VN sku), then its ACKs: IA with what `accepted`
//      holds for the line (several entries for a line add up), then the rest as `rest`
//      says: IB (backordered) or IR (rejected). BAK02 by the standard's codes: AD
//      (acknowledge with detail, no change) when every line is accepted in full, RD
//      (reject with detail) when nothing is accepted and the rest is rejected, else AC
//      (with detail and change).
//      CTT: PO1 count, quantity hash.
// 856  BSN*00*shipment.id*date*time*0001 (shipped_at), then the pick-and-pack hierarchy:
//      HL S (TD5 carrier: TD503 the SCAC from dialect.carriers when it has one, TD505 the
//      carrier and service in words; REF*CN tracking; DTM*011 shipped; N1*ST) → HL O
//      (PRF PO number and date) → one HL P (MAN*CP tracking, when there is one) → one HL I
//      per shipment line (LIN ref*VN*sku, SN1 quantity and unit of the order line).
//      CTT: HL count, quantity hash.
// 810  BIG*issued*invoice number*PO date*PO number; CUR; N1*ST, N1*BT (when the order has
//      one) with N3/N4; one IT1 per invoice line (unit from the order line it names); TDS01
//      the grand total in hundredths (implied two decimals: a currency with fewer decimals
//      is scaled up, one with more is refused unless its extra digits are zeros); TXI*TX
//      the tax and SAC*C*G830 the shipping, when not zero. CTT: IT1 count, quantity hash.
// 940  W05*N*fo.id*PO number; N1*ST with N3/N4; per line LX (the order line_no, which the
//      3PL echoes in its 945) and W01 quantity, unit, VN sku; W76 total quantity.
//
// 945  → X12ShippingAdvice. W06 as the standard lays it out: W0602 depositor order number
//      (our W05 order: the fulfillment order id), W0603 shipped date, W0604 shipment id
//      (W0605, the agent's, when it has none), W0606 PO number. shipped_at is G62*11 with
//      its time when present, else W0603 at midnight UTC. Carrier: W2702's SCAC through
//      dialect.carriers, as sent when the table has no entry. Tracking: MAN*CP, else
//      N9 (or REF) 2I tracking number, CN carrier's reference, BM bill of lading, in that
//      order. Each W12: status W1201, ordered W1202 (the shipped quantity when empty),
//      shipped W1203, unit W1205 through dialect.units, SKU the dialect's preferred
//      qualifier among W1207/08, W1213/14, W1215/16, W1220/21; line_no is the LX01 of its
//      loop (our 940 puts the order line number there), else its position among the W12s.
//      W0301, when present, must be the shipped total.
// 846  → X12InventoryAdvice. as_of BIA04 and BIA05; per LIN (SKU as for PO1) and warehouse
//      an item: the location is the N1*WH that precedes the item's quantities inside its
//      LIN loop, else the heading's N1*WH, else ""; its N104 (code) or, without one, N102.
//      on_hand is QTY*17 (quantity on hand) when the item has one, else QTY*33 (available
//      for sale): the hub takes its own reservations off on_hand, and a 3PL's "available"
//      has usually taken off what our released 940s already hold, so 17 avoids counting
//      them twice. Negative quantities are taken. The unit is QTY03's, through
//      dialect.units. CTT01, when present, must be the LIN count.
// Both readers return kInvalidArgument listing every problem with its segment, position in
// the set, line and element, as OrderFrom850 does.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "formats/x12.h"
#include "formats/x12_writer.h"
#include "mapping/x12_orders.h"
#include "model/entities.h"

namespace disthub::mapping {

// What an 855 says of the part of a line that is not accepted.
enum class X12Unaccepted {
  kBackordered,  // ACK IB: it will ship later (the hub's backorder)
  kRejected,     // ACK IR: it will not ship
};

// The 855 for `order`: `accepted` holds what will ship of each line now (in the line's
// unit), `rest` what the remainder is. kInvalidArgument for an accepted line the order
// does not have or more than its quantity.
absl::StatusOr<formats::X12OutSet> Ack855(const Order& order,
                                          std::span<const LineQuantity> accepted,
                                          X12Unaccepted rest, absl::Time at,
                                          const X12Dialect& dialect);

// The 856 for `shipment` of `order`; its lines name the order's lines by line_no.
absl::StatusOr<formats::X12OutSet> ShipNotice856(const Order& order, const Shipment& shipment,
                                                 const X12Dialect& dialect);

// The 810 for `invoice` of `order` (its PO number, date and parties). kInvalidArgument for
// an invoice without lines or number, or amounts in another currency than the invoice's.
absl::StatusOr<formats::X12OutSet> Invoice810(const Order& order, const Invoice& invoice,
                                              const X12Dialect& dialect);

// The 940 that releases `fo` of `order` to a 3PL.
absl::StatusOr<formats::X12OutSet> ShippingOrder940(const Order& order, const FulfillmentOrder& fo,
                                                    const X12Dialect& dialect);

// One W12 of a 945, as the 3PL reported it.
struct X12AdvisedLine {
  int line_no = 0;      // LX01, else the W12's position (1-based)
  std::string sku;      // the preferred product id
  std::string status;   // W1201: "CC" complete, "CP" partial, ...
  int64_t ordered = 0;  // W1202
  int64_t shipped = 0;  // W1203
  std::string uom;      // W1205 as a model unit: "case"

  friend bool operator==(const X12AdvisedLine&, const X12AdvisedLine&) = default;
};

struct X12ShippingAdvice {
  std::string fulfillment_order_id;  // W0602
  std::string po_number;             // W0606
  // id, fulfillment_order_id, carrier, tracking_number, shipped_at and lines (one per W12
  // that shipped something, its shipped quantity); order_id and service are left for the
  // caller, who knows the fulfillment order.
  Shipment shipment;
  std::vector<X12AdvisedLine> lines;      // every W12, in order
  std::vector<LineQuantity> short_lines;  // per W12 shipped below ordered: the shortfall
};

absl::StatusOr<X12ShippingAdvice> ShippingAdviceFrom945(std::span<const formats::X12Segment> set,
                                                        const X12Dialect& dialect);

// One SKU at one location, as an 846 reports it.
struct X12InventoryItem {
  std::string sku;
  std::string location;  // the warehouse's N104 (or N102); "" when the document names none
  int64_t on_hand = 0;   // QTY*17, else QTY*33
  std::string uom;       // QTY03 as a model unit

  friend bool operator==(const X12InventoryItem&, const X12InventoryItem&) = default;
};

struct X12InventoryAdvice {
  std::string reference;  // BIA03
  absl::Time as_of;       // BIA04 and BIA05, UTC
  std::vector<X12InventoryItem> items;
};

absl::StatusOr<X12InventoryAdvice> InventoryAdviceFrom846(std::span<const formats::X12Segment> set,
                                                          const X12Dialect& dialect);

}  // namespace disthub::mapping
