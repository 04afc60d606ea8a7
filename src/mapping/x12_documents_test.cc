#include "mapping/x12_documents.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/money.h"
#include "base/strings.h"
#include "formats/x12_envelope.h"
#include "formats/x12_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/mapping_testing.h"
#include "status_matchers.h"

namespace disthub::mapping {
namespace {

using ::disthub::testing::StatusIs;
using formats::X12Segment;
using test::FixturesDir;
using test::Utc;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Strings = std::vector<std::string>;
using Set = std::vector<Strings>;  // segments, ST..SE, as text

X12Dialect Retail() {
  X12Dialect d;
  d.channel = "edi-retail";
  d.account_number = "C-RETAIL-1";
  d.carriers = {{"UPSN", "ups"}};
  return d;
}

Address Dock() {
  return {.name = "Receiving",
          .company = "Harbor Retail DC 4",
          .line1 = "31875 Solon Rd",
          .line2 = "Dock 7",
          .city = "Solon",
          .region = "OH",
          .postal_code = "44139",
          .country = "US"};
}

// An order as OrderFrom850 makes it: 10 cases of HB-100 at 54.00, 24 eaches of HB-200.
Order Po7731() {
  Order o;
  o.id = "ord-1";
  o.channel = "edi-retail";
  o.channel_order_ref = "PO-7731";
  o.placed_at = Utc(2026, 11, 20, 0, 0, 0);
  o.currency = "USD";
  o.ship_to = Dock();
  o.bill_to = Address{.company = "Harbor Retail",
                      .line1 = "1 Main St",
                      .city = "Akron",
                      .region = "OH",
                      .postal_code = "44308",
                      .country = "US"};
  o.lines = {{.line_no = 1,
              .sku = "HB-100",
              .channel_line_ref = "1",
              .quantity = 10,
              .uom = "case",
              .unit_price = {5400, "USD"}},
             {.line_no = 2,
              .sku = "HB-200",
              .channel_line_ref = "2",
              .quantity = 24,
              .uom = "each",
              .unit_price = {125, "USD"}}};
  return o;
}

// Calls `f` with the segments of every set `set_id` in `text`; `strict`: each must be
// accepted at every level (envelopes and the dictionary's segment checks).
template <class F>
auto EachSet(std::string_view text, std::string_view set_id, F f, bool strict = true) {
  std::vector<decltype(f(std::span<const X12Segment>()))> out;
  absl::StatusOr<std::vector<formats::X12Interchange>> read = formats::ReadX12(
      text,
      {.set =
           [&](const formats::X12Interchange& x, const formats::X12Group& g,
               const formats::X12Set& set, std::span<const X12Segment> segments) {
             if (strict) {
               EXPECT_TRUE(x.accepted() && g.errors.empty() && set.accepted())
                   << (set.errors.empty() ? "envelope error" : set.errors[0].message);
             }
             if (set.id == set_id) out.push_back(f(segments));
           }},
      {.check_segments = true});
  EXPECT_TRUE(read.ok()) << read.status();
  return out;
}

// `set` written in an interchange and read back with every check on.
Set WrittenAndRead(const absl::StatusOr<formats::X12OutSet>& set, std::string functional_id) {
  EXPECT_TRUE(set.ok()) << set.status();
  if (!set.ok()) return {};
  const std::vector<formats::X12OutGroup> groups = {
      {.functional_id = std::move(functional_id), .sets = {*set}}};
  absl::StatusOr<std::string> edi = formats::WriteX12Interchange(
      {.sender = "DISTHUB", .receiver = "RETAILER"}, {.interchange = 7, .group = 7}, groups,
      Utc(2026, 11, 27, 10, 0, 0));
  EXPECT_TRUE(edi.ok()) << edi.status();
  std::vector<Set> read = EachSet(edi.value_or(""), set->id, [](std::span<const X12Segment> s) {
    Set out;
    for (const X12Segment& segment : s)
      out.emplace_back(segment.elements.begin(), segment.elements.end());
    return out;
  });
  EXPECT_EQ(read.size(), 1u);
  return read.empty() ? Set{} : read[0];
}

// The segments of `set` with id `id`, in order.
Set All(const Set& set, std::string_view id) {
  Set out;
  for (const Strings& s : set) {
    if (s[0] == id) out.push_back(s);
  }
  return out;
}

// A hand-written set in an interchange from a 3PL.
std::string Interchange(std::string_view functional_id, std::string_view set_id,
                        std::string_view body) {
  size_t segments = 2;
  for (char c : body) segments += c == '~';
  return StrCat(
      "ISA*00*          *00*          *ZZ*3PLCENTRAL     *ZZ*DISTHUB        *261127*1000*U*"
      "00401*000000009*0*P*>~\nGS*",
      functional_id, "*3PLCENTRAL*DISTHUB*20261127*1000*9*X*004010~\nST*", set_id, "*0001~\n", body,
      "SE*", segments, "*0001~\nGE*1*9~\nIEA*1*000000009~\n");
}

// ---- 855 -------------------------------------------------------------------------------------

TEST(Ack855, EverythingAcceptedIsAcknowledgedWithDetailAndNoChange) {
  const Order o = Po7731();
  const std::vector<LineQuantity> accepted = {{1, "HB-100", 10}, {2, "HB-200", 24}};
  Set set = WrittenAndRead(
      Ack855(o, accepted, X12Unaccepted::kBackordered, Utc(2026, 11, 21, 9, 0, 0), Retail()), "PR");
  ASSERT_FALSE(set.empty());
  EXPECT_EQ(set[1],
            (Strings{"BAK", "00", "AD", "PO-7731", "20261120", "", "", "", "ord-1", "20261121"}));
  EXPECT_THAT(All(set, "PO1"),
              ElementsAre(Strings{"PO1", "1", "10", "CA", "54.00", "", "VN", "HB-100"},
                          Strings{"PO1", "2", "24", "EA", "1.25", "", "VN", "HB-200"}));
  EXPECT_THAT(All(set, "ACK"),
              ElementsAre(Strings{"ACK", "IA", "10", "CA"}, Strings{"ACK", "IA", "24", "EA"}));
  EXPECT_THAT(All(set, "CTT"), ElementsAre(Strings{"CTT", "2", "34"}));
  EXPECT_THAT(All(set, "CUR"), IsEmpty());  // USD is the partner's default
}

TEST(Ack855, WhatIsNotAcceptedIsBackorderedOrRejectedAsTheCallerSays) {
  const Order o = Po7731();
  // Line 1 in two parts (two locations); line 2 not at all.
  const std::vector<LineQuantity> part = {{1, "HB-100", 4}, {1, "HB-100", 2}};
  Set set = WrittenAndRead(
      Ack855(o, part, X12Unaccepted::kBackordered, Utc(2026, 11, 21, 9, 0, 0), Retail()), "PR");
  ASSERT_FALSE(set.empty());
  EXPECT_EQ(set[1][2], "AC");
  // Each line's ACKs follow its PO1.
  EXPECT_EQ(set[2][0], "PO1");
  EXPECT_EQ(set[3], (Strings{"ACK", "IA", "6", "CA"}));
  EXPECT_EQ(set[4], (Strings{"ACK", "IB", "4", "CA"}));
  EXPECT_EQ(set[5][0], "PO1");
  EXPECT_EQ(set[6], (Strings{"ACK", "IB", "24", "EA"}));

  Set none = WrittenAndRead(
      Ack855(o, {}, X12Unaccepted::kRejected, Utc(2026, 11, 21, 9, 0, 0), Retail()), "PR");
  ASSERT_FALSE(none.empty());
  EXPECT_EQ(none[1][2], "RD");
  EXPECT_THAT(All(none, "ACK"),
              ElementsAre(Strings{"ACK", "IR", "10", "CA"}, Strings{"ACK", "IR", "24", "EA"}));

  // The hub's backorder: nothing ships now, all of it later.
  Set later = WrittenAndRead(
      Ack855(o, {}, X12Unaccepted::kBackordered, Utc(2026, 11, 21, 9, 0, 0), Retail()), "PR");
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later[1][2], "AC");
  EXPECT_THAT(All(later, "ACK"),
              ElementsAre(Strings{"ACK", "IB", "10", "CA"}, Strings{"ACK", "IB", "24", "EA"}));

  // Part rejected: line 1 in full, line 2 not at all.
  const std::vector<LineQuantity> first = {{1, "HB-100", 10}};
  Set cut = WrittenAndRead(
      Ack855(o, first, X12Unaccepted::kRejected, Utc(2026, 11, 21, 9, 0, 0), Retail()), "PR");
  ASSERT_FALSE(cut.empty());
  EXPECT_EQ(cut[1][2], "AC");
  EXPECT_THAT(All(cut, "ACK"),
              ElementsAre(Strings{"ACK", "IA", "10", "CA"}, Strings{"ACK", "IR", "24", "EA"}));
}

TEST(Ack855, AcceptedQuantitiesMustBeThoseOfTheOrder) {
  const std::vector<LineQuantity> wrong = {{1, "HB-100", 11}, {7, "X", 1}, {2, "HB-200", -1}};
  EXPECT_THAT(Ack855(Po7731(), wrong, X12Unaccepted::kRejected, absl::Now(), Retail()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("the 855 cannot be written"),
                             HasSubstr("accepted[1].line_no 7 is not a line of the order"),
                             HasSubstr("accepted[2].quantity -1 is below 0"),
                             HasSubstr("accepted quantity 11 of line 1 is more than the 10"))));
}

// ---- 856 -------------------------------------------------------------------------------------

Shipment Parcel() {
  return {.id = "SHP-1",
          .order_id = "ord-1",
          .fulfillment_order_id = "fo-1",
          .carrier = "ups",
          .service = "ground",
          .tracking_number = "1Z999AA10123456784",
          .shipped_at = Utc(2026, 11, 22, 14, 5, 0),
          .lines = {{1, "HB-100", 6}, {2, "HB-200", 24}}};
}

TEST(ShipNotice856, ShipmentOrderPackItemHierarchyWithCarrierAndQuantities) {
  Set set = WrittenAndRead(ShipNotice856(Po7731(), Parcel(), Retail()), "SH");
  ASSERT_FALSE(set.empty());
  EXPECT_EQ(set[1], (Strings{"BSN", "00", "SHP-1", "20261122", "1405", "0001"}));
  // Every HL's parent comes before it, one level up: S ← O ← P ← I.
  std::map<std::string, std::string> level;
  const std::map<std::string, std::string> parent_level = {{"O", "S"}, {"P", "O"}, {"I", "P"}};
  Set hls = All(set, "HL");
  ASSERT_EQ(hls.size(), 5u);
  for (size_t i = 0; i < hls.size(); ++i) {
    const Strings& hl = hls[i];
    EXPECT_EQ(hl[1], std::to_string(i + 1));
    if (hl[3] == "S") {
      EXPECT_EQ(hl.size(), 5u);
      EXPECT_EQ(hl[2], "");
    } else {
      ASSERT_TRUE(level.contains(hl[2])) << "HL " << hl[1] << " names a later parent";
      EXPECT_EQ(level[hl[2]], parent_level.at(hl[3]));
    }
    EXPECT_EQ(hl[4], hl[3] == "I" ? "0" : "1");  // HL04: children below
    level[hl[1]] = hl[3];
  }
  EXPECT_THAT(All(set, "TD5"), ElementsAre(Strings{"TD5", "B", "2", "UPSN", "", "ups ground"}));
  EXPECT_THAT(All(set, "REF"), ElementsAre(Strings{"REF", "CN", "1Z999AA10123456784"}));
  EXPECT_THAT(All(set, "DTM"), ElementsAre(Strings{"DTM", "011", "20261122", "1405"}));
  EXPECT_THAT(All(set, "PRF"), ElementsAre(Strings{"PRF", "PO-7731", "", "", "20261120"}));
  EXPECT_THAT(All(set, "MAN"), ElementsAre(Strings{"MAN", "CP", "1Z999AA10123456784"}));
  EXPECT_THAT(All(set, "LIN"), ElementsAre(Strings{"LIN", "1", "VN", "HB-100"},
                                           Strings{"LIN", "2", "VN", "HB-200"}));
  EXPECT_THAT(All(set, "SN1"),
              ElementsAre(Strings{"SN1", "", "6", "CA"}, Strings{"SN1", "", "24", "EA"}));
  EXPECT_THAT(All(set, "CTT"), ElementsAre(Strings{"CTT", "5", "30"}));
  EXPECT_THAT(All(set, "N1"), ElementsAre(Strings{"N1", "ST", "Harbor Retail DC 4"}));
}

TEST(ShipNotice856, ACarrierWithoutAScacIsNamedInWords) {
  Shipment s = Parcel();
  s.carrier = "parcel-ground";
  s.service = "";
  s.tracking_number = "";
  Set set = WrittenAndRead(ShipNotice856(Po7731(), s, Retail()), "SH");
  EXPECT_THAT(All(set, "TD5"), ElementsAre(Strings{"TD5", "B", "", "", "", "parcel-ground"}));
  EXPECT_THAT(All(set, "MAN"), IsEmpty());
  EXPECT_THAT(All(set, "REF"), IsEmpty());
}

TEST(ShipNotice856, WhatX12CannotCarryIsRefusedNamingTheField) {
  Shipment s = Parcel();
  s.id = std::string(31, 'S');  // BSN02 holds 30
  s.lines.push_back({9, "ZZ", 1});
  Order o = Po7731();
  o.lines[1].uom = "kilo";
  EXPECT_THAT(ShipNotice856(o, s, Retail()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("shipment.lines[2].line_no 9 is not a line of the order"),
                             HasSubstr("order.lines[1].uom \"kilo\" has no X12 code in the "
                                       "partner's unit table (BX box, CA case"))));
  // Once the input makes sense, the standard's limits are checked too.
  EXPECT_THAT(
      ShipNotice856(Po7731(), {.id = std::string(31, 'S'), .lines = {{1, "HB-100", 1}}}, Retail()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("BSN02: \"SSSSSSSSSSSSSSSSSSSSSSSSSSSSSS\" is longer than its "
                         "maximum of 30 (segment 2 of the set)")));
}

TEST(ShipNotice856, AValueHoldingADelimiterIsRefusedByTheWriter) {
  Shipment s = Parcel();
  s.tracking_number = "1Z*99";
  absl::StatusOr<formats::X12OutSet> asn = ShipNotice856(Po7731(), s, Retail());
  ASSERT_TRUE(asn.ok()) << asn.status();
  const std::vector<formats::X12OutGroup> groups = {{.functional_id = "SH", .sets = {*asn}}};
  EXPECT_THAT(formats::WriteX12Interchange({.sender = "DISTHUB", .receiver = "RETAILER"}, {},
                                           groups, absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("REF02 \"1Z*99\" holds '*', a delimiter")));
}

// ---- 810 -------------------------------------------------------------------------------------

Invoice Inv(std::string currency = "USD") {
  Invoice i;
  i.number = "INV-900";
  i.currency = currency;
  i.issued_at = Utc(2026, 11, 23, 8, 0, 0);
  i.lines = {{.line_no = 1, .sku = "HB-100", .quantity = 6, .unit_price = {5400, currency}},
             {.line_no = 2, .sku = "HB-200", .quantity = 24, .unit_price = {125, currency}}};
  i.totals = {.subtotal = {35400, currency},
              .tax = {2124, currency},
              .shipping = {1500, currency},
              .grand_total = {39024, currency}};
  return i;
}

// TDS01 as the lines, the summary's charges and allowances (SAC after TDS) and tax of an
// 810 add up, in hundredths: what a retailer's translator checks.
int64_t AddedUp(std::span<const X12Segment> set) {
  int64_t hundredths = 0;
  bool summary = false;  // item-level SACs are summed again at the summary level
  const auto cents = [](std::string_view decimal) {
    absl::StatusOr<Money> m = ParseDecimal(decimal, "USD");
    EXPECT_TRUE(m.ok()) << decimal;
    return m.ok() ? m->minor : 0;
  };
  for (const X12Segment& s : set) {
    if (s.id() == "IT1") {
      hundredths += std::stoll(std::string(s.element(2))) * cents(s.element(4));
    } else if (s.id() == "TDS") {
      summary = true;
    } else if (s.id() == "SAC" && summary && !s.element(5).empty()) {
      const int64_t amount = std::stoll(std::string(s.element(5)));
      if (s.element(1) == "C") hundredths += amount;
      if (s.element(1) == "A") hundredths -= amount;
    } else if (s.id() == "TXI") {
      hundredths += cents(s.element(2));
    }
  }
  return hundredths;
}

TEST(Invoice810, LinesTotalsAndPartiesInTheStandardsLayout) {
  Set set = WrittenAndRead(Invoice810(Po7731(), Inv(), Retail()), "IN");
  ASSERT_FALSE(set.empty());
  EXPECT_EQ(set[1], (Strings{"BIG", "20261123", "INV-900", "20261120", "PO-7731"}));
  EXPECT_THAT(All(set, "N1"), ElementsAre(Strings{"N1", "ST", "Harbor Retail DC 4"},
                                          Strings{"N1", "BT", "Harbor Retail"}));
  EXPECT_THAT(All(set, "N3"),
              ElementsAre(Strings{"N3", "31875 Solon Rd", "Dock 7"}, Strings{"N3", "1 Main St"}));
  EXPECT_THAT(All(set, "IT1"),
              ElementsAre(Strings{"IT1", "1", "6", "CA", "54.00", "", "VN", "HB-100"},
                          Strings{"IT1", "2", "24", "EA", "1.25", "", "VN", "HB-200"}));
  EXPECT_THAT(All(set, "TDS"), ElementsAre(Strings{"TDS", "39024"}));
  EXPECT_THAT(All(set, "TXI"), ElementsAre(Strings{"TXI", "TX", "21.24"}));
  EXPECT_THAT(All(set, "SAC"), ElementsAre(Strings{"SAC", "C", "G830", "", "", "1500"}));
  EXPECT_THAT(All(set, "CTT"), ElementsAre(Strings{"CTT", "2", "30"}));
  EXPECT_THAT(All(set, "CUR"), IsEmpty());
  // The total is what the segments add up to.
  absl::StatusOr<formats::X12OutSet> written = Invoice810(Po7731(), Inv(), Retail());
  ASSERT_TRUE(written.ok());
  std::string edi = *formats::WriteX12Interchange(
      {.sender = "DISTHUB", .receiver = "RETAILER"}, {},
      std::vector<formats::X12OutGroup>{{.functional_id = "IN", .sets = {*written}}}, absl::Now());
  EXPECT_THAT(EachSet(edi, "810", AddedUp), ElementsAre(39024));
}

TEST(Invoice810, TotalsAreHundredthsWhateverTheCurrencysDecimals) {
  Order yen = Po7731();
  yen.currency = "JPY";
  for (OrderLine& l : yen.lines) l.unit_price.currency = "JPY";
  Invoice i = Inv("JPY");
  i.lines[0].unit_price = {5400, "JPY"};
  i.lines[1].unit_price = {125, "JPY"};
  Set set = WrittenAndRead(Invoice810(yen, i, Retail()), "IN");
  EXPECT_THAT(All(set, "CUR"), ElementsAre(Strings{"CUR", "SE", "JPY"}));
  EXPECT_THAT(All(set, "TDS"), ElementsAre(Strings{"TDS", "3902400"}));  // ¥39024
  EXPECT_EQ(All(set, "IT1")[0][4], "5400");

  // Dinars have three decimals: whole fils in tens are carried, anything finer is refused.
  Invoice kwd = Inv("KWD");
  kwd.totals = {.subtotal = {35400, "KWD"},
                .tax = {0, "KWD"},
                .shipping = {0, "KWD"},
                .grand_total = {35400, "KWD"}};
  EXPECT_THAT(All(WrittenAndRead(Invoice810(Po7731(), kwd, Retail()), "IN"), "TDS"),
              ElementsAre(Strings{"TDS", "3540"}));
  kwd.totals.grand_total.minor = 35401;
  EXPECT_THAT(Invoice810(Po7731(), kwd, Retail()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invoice.totals.grand_total 35.401 KWD has more decimals than "
                                 "the two X12 carries")));
}

TEST(Invoice810, AnInvoiceThatCannotBeExpressedIsRefusedNamingTheField) {
  Invoice i = Inv();
  i.lines.clear();
  i.number = "";
  i.totals.tax.currency = "EUR";
  EXPECT_THAT(
      Invoice810(Po7731(), i, Retail()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("the 810 cannot be written"), HasSubstr("invoice.lines is empty"),
                     HasSubstr("invoice.number is empty"),
                     HasSubstr("invoice.totals.tax is in \"EUR\", the document in USD"))));
  Order no_ref = Po7731();
  no_ref.channel_order_ref = "";
  EXPECT_THAT(
      Invoice810(no_ref, Inv(), Retail()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order.channel_order_ref is empty")));
}

// ---- 940 and 945 -----------------------------------------------------------------------------

FulfillmentOrder Release() {
  return {.id = "fo-1",
          .order_id = "ord-1",
          .location = "3pl-central",
          .lines = {{1, "HB-100", 10}, {2, "HB-200", 24}}};
}

TEST(ShippingOrder940, ReleasesTheLinesToTheShipTo) {
  Set set = WrittenAndRead(ShippingOrder940(Po7731(), Release(), Retail()), "OW");
  ASSERT_FALSE(set.empty());
  EXPECT_EQ(set[1], (Strings{"W05", "N", "fo-1", "PO-7731"}));
  EXPECT_EQ(set[2], (Strings{"N1", "ST", "Harbor Retail DC 4"}));
  EXPECT_EQ(set[3], (Strings{"N2", "Receiving"}));
  EXPECT_EQ(set[4], (Strings{"N3", "31875 Solon Rd", "Dock 7"}));
  EXPECT_EQ(set[5], (Strings{"N4", "Solon", "OH", "44139", "US"}));
  EXPECT_THAT(All(set, "LX"), ElementsAre(Strings{"LX", "1"}, Strings{"LX", "2"}));
  EXPECT_THAT(All(set, "W01"), ElementsAre(Strings{"W01", "10", "CA", "", "VN", "HB-100"},
                                           Strings{"W01", "24", "EA", "", "VN", "HB-200"}));
  EXPECT_THAT(All(set, "W76"), ElementsAre(Strings{"W76", "34"}));
}

constexpr char k945[] =
    "W06*F*fo-1*20261122*SHP-77**PO-7731~\n"
    "N1*ST*Harbor Retail DC 4~\n"
    "N9*BM*BOL-55~\nN9*2I*1Z999AA10123456784~\n"
    "G62*11*20261122*8*1430~\n"
    "W27*U*UPSN*UPS GROUND~\n"
    "LX*1~\nW12*CP*10*7*3*CA**VN*HB-100~\n"
    "LX*2~\nW12*CC*24*24**EA**VN*HB-200~\n"
    "W03*31~\n";

std::vector<absl::StatusOr<X12ShippingAdvice>> Advices(std::string_view body) {
  return EachSet(Interchange("SW", "945", body), "945",
                 [](std::span<const X12Segment> s) { return ShippingAdviceFrom945(s, Retail()); });
}

TEST(ShippingAdviceFrom945, AShortLineIsReportedWithItsShortfall) {
  std::vector<absl::StatusOr<X12ShippingAdvice>> advices = Advices(k945);
  ASSERT_EQ(advices.size(), 1u);
  ASSERT_TRUE(advices[0].ok()) << advices[0].status();
  const X12ShippingAdvice& a = *advices[0];
  EXPECT_EQ(a.fulfillment_order_id, "fo-1");
  EXPECT_EQ(a.po_number, "PO-7731");
  EXPECT_EQ(a.shipment.id, "SHP-77");
  EXPECT_EQ(a.shipment.fulfillment_order_id, "fo-1");
  EXPECT_EQ(a.shipment.carrier, "ups");
  EXPECT_EQ(a.shipment.tracking_number, "1Z999AA10123456784");  // 2I before the BOL
  EXPECT_EQ(a.shipment.shipped_at, Utc(2026, 11, 22, 14, 30, 0));
  EXPECT_THAT(a.shipment.lines,
              ElementsAre(LineQuantity{1, "HB-100", 7}, LineQuantity{2, "HB-200", 24}));
  EXPECT_THAT(a.short_lines, ElementsAre(LineQuantity{1, "HB-100", 3}));
  EXPECT_THAT(a.lines, ElementsAre(X12AdvisedLine{1, "HB-100", "CP", 10, 7, "case"},
                                   X12AdvisedLine{2, "HB-200", "CC", 24, 24, "each"}));
}

TEST(ShippingAdviceFrom945, WithoutLxOrG62LinesArePositionsAndTheDateIsW0603) {
  std::vector<absl::StatusOr<X12ShippingAdvice>> advices = Advices(
      "W06*F*fo-1*20261122**AG-1*PO-7731~\nW27*M*ODFL~\n"
      "W12*CC*10*10**CA**VN*HB-100~\nW12*CC*24*24**EA**VN*HB-200~\n");
  ASSERT_TRUE(advices[0].ok()) << advices[0].status();
  EXPECT_EQ(advices[0]->shipment.id, "AG-1");
  EXPECT_EQ(advices[0]->shipment.carrier, "ODFL");  // not in the table: as sent
  EXPECT_EQ(advices[0]->shipment.shipped_at, Utc(2026, 11, 22, 0, 0, 0));
  EXPECT_THAT(advices[0]->shipment.lines,
              ElementsAre(LineQuantity{1, "HB-100", 10}, LineQuantity{2, "HB-200", 24}));
  EXPECT_THAT(advices[0]->short_lines, IsEmpty());
}

TEST(ShippingAdviceFrom945, BadQuantitiesAreNamedWithTheirW12Element) {
  std::vector<absl::StatusOr<X12ShippingAdvice>> advices = Advices(
      "W06*F*fo-1*20261122*SHP-77~\nLX*1~\nW12*CC*10*7.5**CA**VN*HB-100~\n"
      "LX*2~\nW12*CC*2*3**GR**ZZ*MUTUAL-1~\nW03*99~\n");
  ASSERT_EQ(advices.size(), 1u);
  EXPECT_THAT(
      advices[0].status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("the 945 cannot become a shipping advice"),
                     HasSubstr("W1203 (segment 4 of the set, line 6): shipped quantity \"7.5\" "
                               "is not a whole number"),
                     HasSubstr("W1203 (segment 6 of the set, line 8): shipped 3 is more than the "
                               "2 ordered"),
                     HasSubstr("W1205 (segment 6 of the set, line 8): unit \"GR\""),
                     HasSubstr("W1207 (segment 6 of the set, line 8): no product id"),
                     HasSubstr("W0301 (segment 7 of the set, line 9): total \"99\" is not what "
                               "the W12s shipped, 3"))));
  EXPECT_THAT(Advices("W12*CC*1*1**EA**VN*A~\n")[0].status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no W06 segment")));
}

// A 3PL that ships everything it was sent: the 945 answering a 940, element by element.
std::string Answer940(const Set& w940) {
  std::string body;
  for (const Strings& s : w940) {
    if (s[0] == "W05") body += StrCat("W06*F*", s[2], "*20261122*SHP-", s[2], "**", s[3], "~\n");
    if (s[0] == "LX") body += StrCat("LX*", s[1], "~\n");
    if (s[0] == "W01") {
      body += StrCat("W12*CC*", s[1], "*", s[1], "**", s[2], "**", s[4], "*", s[5], "~\n");
    }
    if (s[0] == "W76") body += StrCat("W03*", s[1], "~\n");
  }
  return body;
}

TEST(ShippingAdviceFrom945, TheAnswerToOurOwn940MatchesTheFulfillmentOrder) {
  const FulfillmentOrder fo = Release();
  Set w940 = WrittenAndRead(ShippingOrder940(Po7731(), fo, Retail()), "OW");
  std::vector<absl::StatusOr<X12ShippingAdvice>> advices = Advices(Answer940(w940));
  ASSERT_EQ(advices.size(), 1u);
  ASSERT_TRUE(advices[0].ok()) << advices[0].status();
  EXPECT_EQ(advices[0]->fulfillment_order_id, fo.id);
  EXPECT_EQ(advices[0]->po_number, "PO-7731");
  EXPECT_EQ(advices[0]->shipment.lines, fo.lines);
  EXPECT_THAT(advices[0]->short_lines, IsEmpty());
  EXPECT_EQ(advices[0]->lines[0].uom, "case");
}

// ---- 846 -------------------------------------------------------------------------------------

std::vector<absl::StatusOr<X12InventoryAdvice>> InventoryAdvices(std::string_view body) {
  return EachSet(Interchange("IB", "846", body), "846",
                 [](std::span<const X12Segment> s) { return InventoryAdviceFrom846(s, Retail()); });
}

TEST(InventoryAdviceFrom846, ItemsPerSkuAndWarehouseWithOnHandBeforeAvailable) {
  std::vector<absl::StatusOr<X12InventoryAdvice>> advices = InventoryAdvices(
      "BIA*00*SI*SNAP-1*20261127*0600~\n"
      "N1*WH*Central DC*91*CENTRAL~\n"
      "LIN**UP*012345678905*VN*HB-100~\nQTY*33*40*CA~\nQTY*17*42*CA~\n"
      "LIN**VN*HB-200~\nQTY*33*-3*EA~\n"
      "LIN**VN*HB-300~\nN1*WH*East overflow~\nQTY*17*5*EA~\nN1*WH*West*91*WEST~\nQTY*17*6*EA~\n"
      "CTT*3~\n");
  ASSERT_EQ(advices.size(), 1u);
  ASSERT_TRUE(advices[0].ok()) << advices[0].status();
  EXPECT_EQ(advices[0]->reference, "SNAP-1");
  EXPECT_EQ(advices[0]->as_of, Utc(2026, 11, 27, 6, 0, 0));
  EXPECT_THAT(advices[0]->items, ElementsAre(X12InventoryItem{"HB-100", "CENTRAL", 42, "case"},
                                             X12InventoryItem{"HB-200", "CENTRAL", -3, "each"},
                                             X12InventoryItem{"HB-300", "East overflow", 5, "each"},
                                             X12InventoryItem{"HB-300", "WEST", 6, "each"}));
}

TEST(InventoryAdviceFrom846, LinesWithoutAKnownQualifierOrQuantityAreNamed) {
  std::vector<absl::StatusOr<X12InventoryAdvice>> advices = InventoryAdvices(
      "BIA*00*SI*SNAP-1*20261127~\n"
      "LIN**ZZ*MUTUAL-1~\nQTY*17*1*EA~\n"
      "LIN**VN*HB-200~\nQTY*02*5*EA~\n"
      "LIN**VN*HB-300~\nQTY*17*5*GR~\nQTY*33*5~\n"
      "CTT*4~\n");
  ASSERT_EQ(advices.size(), 1u);
  EXPECT_THAT(
      advices[0].status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("the 846 cannot become an inventory advice"),
                     HasSubstr("LIN02 (segment 3 of the set, line 5): no product id with a "
                               "qualifier the partner's SKUs use (VN, VP"),
                     HasSubstr("LIN (segment 5 of the set, line 7): SKU \"HB-200\" has no QTY*17"),
                     HasSubstr("QTY03 (segment 8 of the set, line 10): unit \"GR\""),
                     HasSubstr("QTY03 (segment 9 of the set, line 11): no unit"),
                     HasSubstr("CTT01 (segment 10 of the set, line 12): \"4\" is not the number "
                               "of LIN segments, 3"))));
}

// ---- The published documents -----------------------------------------------------------------

// What the writers assume of each document's layout, checked against real ones: the 940's
// W76 totals its W01s (W0101 quantity, W0102 unit, product ids from W0104); an 856's HLs
// point at earlier parents one level up, end with CTT01 counting them, and carry SN102
// quantities and SN103 units; an 855's ACK02/ACK03 are quantity and unit and BAK04 the PO
// date; an 810's TDS01 is its IT1s, charges and tax in hundredths.
TEST(X12DocumentsFixtures, TheLayoutsWrittenHoldInPublishedDocuments) {
  const std::string dir = FixturesDir() + "/x12";
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no fixtures at " << dir << " (../shared is absent in this clone)";
  }
  const auto text = [&](const std::string& file) {
    absl::StatusOr<std::string> t = ReadFile(dir + "/" + file);
    EXPECT_TRUE(t.ok()) << file;
    return t.value_or("");
  };

  const auto w01_total = [](std::span<const X12Segment> set) {
    int64_t sum = 0, stated = -1;
    for (const X12Segment& s : set) {
      if (s.id() == "W01") {
        EXPECT_EQ(s.element(4), "VN");
        EXPECT_EQ(s.element(2), "CA");
        sum += std::stoll(std::string(s.element(1)));
      }
      if (s.id() == "W76") stated = std::stoll(std::string(s.element(1)));
    }
    return std::make_pair(sum, stated);
  };
  EXPECT_THAT(EachSet(text("ediengine_940.OK.edi"), "940", w01_total, false),
              ElementsAre(std::make_pair(int64_t{56}, int64_t{56})));

  const auto hierarchy = [](std::span<const X12Segment> set) {
    std::map<std::string, std::string> level;
    const std::map<std::string, std::string> up = {{"O", "S"}, {"P", "O"}, {"I", "P|O"}};
    size_t hls = 0;
    int64_t shipped = 0, ctt = -1;
    for (const X12Segment& s : set) {
      if (s.id() == "HL") {
        ++hls;
        if (s.element(3) != "S") {
          EXPECT_TRUE(level.contains(std::string(s.element(2)))) << s.element(1);
          EXPECT_THAT(up.at(std::string(s.element(3))),
                      HasSubstr(level[std::string(s.element(2))]));
        }
        level[std::string(s.element(1))] = std::string(s.element(3));
      } else if (s.id() == "SN1") {
        EXPECT_EQ(s.element(3), "EA");
        shipped += std::stoll(std::string(s.element(2)));
      } else if (s.id() == "CTT") {
        ctt = std::stoll(std::string(s.element(1)));
      }
    }
    EXPECT_EQ(ctt, static_cast<int64_t>(hls));
    return shipped;
  };
  EXPECT_THAT(EachSet(text("ediengine_856.Crossdock.OK.edi"), "856", hierarchy, false),
              ElementsAre(60));
  // Item under order, without a pack: the I level's parent may be an O.
  EXPECT_THAT(EachSet(text("x12types_004060_856_newline_terminated.edi"), "856", hierarchy, false),
              ElementsAre(30));

  const auto acks = [](std::span<const X12Segment> set) {
    std::string bak04;
    std::vector<std::string> acks;
    for (const X12Segment& s : set) {
      if (s.id() == "BAK") bak04 = std::string(s.element(4));
      if (s.id() == "ACK")
        acks.push_back(StrCat(s.element(1), " ", s.element(2), " ", s.element(3)));
    }
    return std::make_pair(bak04, acks);
  };
  EXPECT_THAT(EachSet(text("nodex12_855.edi"), "855", acks, false),
              ElementsAre(std::make_pair(
                  std::string("20201015"),
                  std::vector<std::string>{"IA 3 UN", "IR 0 UN", "IR 0 UN", "IA 2 UN"})));
  EXPECT_THAT(EachSet(text("stupidedi_004010_855_pass1.edi"), "855", acks, false),
              ElementsAre(std::make_pair(std::string("20170502"), std::vector<std::string>{})));

  const auto tds = [](std::span<const X12Segment> set) {
    int64_t stated = -1;
    for (const X12Segment& s : set) {
      if (s.id() == "TDS") stated = std::stoll(std::string(s.element(1)));
    }
    return std::make_pair(AddedUp(set), stated);
  };
  EXPECT_THAT(EachSet(text("edinet_x12.810a.edi"), "810", tds, false),
              ElementsAre(std::make_pair(int64_t{36596}, int64_t{36596})));
  EXPECT_THAT(EachSet(text("stupidedi_004010X348_810_basic_invoice.edi"), "810", tds, false),
              ElementsAre(std::make_pair(int64_t{17060}, int64_t{17060})));
  // The second invoice of this file repeats the first one's TDS (a copy-paste in the
  // published sample): only the first is evidence.
  std::vector<std::pair<int64_t, int64_t>> staedi =
      EachSet(text("staedi_simple810.edi"), "810", tds, false);
  ASSERT_EQ(staedi.size(), 2u);
  EXPECT_EQ(staedi[0], std::make_pair(int64_t{255438}, int64_t{255438}));
}

// ---- An independent check --------------------------------------------------------------------

// What our writers write, read by a parser that shares no code with ours: Debian's
// X12::Parser (libx12-parser-perl, which scripts/setup.sh installs) splits it, and
// tests/x12/check.pl checks every envelope count and control number. One interchange of
// each document, with other delimiters and a 005010 997 with errors among them.
TEST(IndependentCheck, WhatTheWritersWriteReadsRightInDebiansX12Parser) {
  if (std::system("perl -MX12::Parser -e1 2>/dev/null") != 0) {
    GTEST_SKIP() << "perl's X12::Parser is not installed (apt-get install libx12-parser-perl; "
                    "scripts/setup.sh does)";
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / StrCat("disthub-x12-check-", ::getpid());
  std::filesystem::create_directories(dir);
  const Order o = Po7731();
  const std::vector<LineQuantity> accepted = {{1, "HB-100", 10}};
  struct Doc {
    std::string name, functional_id;
    absl::StatusOr<formats::X12OutSet> set;
  };
  std::vector<Doc> docs;
  docs.push_back(
      {"855", "PR",
       Ack855(o, accepted, X12Unaccepted::kBackordered, Utc(2026, 11, 21, 9, 0, 0), Retail())});
  docs.push_back({"856", "SH", ShipNotice856(o, Parcel(), Retail())});
  docs.push_back({"810", "IN", Invoice810(o, Inv(), Retail())});
  docs.push_back({"940", "OW", ShippingOrder940(o, Release(), Retail())});
  std::string files;
  uint64_t control = 100;
  for (const formats::X12Delimiters& d :
       {formats::X12Delimiters{.element = '*', .component = '>', .repetition = '^', .segment = '~'},
        formats::X12Delimiters{
            .element = '|', .component = ':', .repetition = '!', .segment = '\''}}) {
    for (const Doc& doc : docs) {
      ASSERT_TRUE(doc.set.ok()) << doc.name << ": " << doc.set.status();
      formats::X12Envelope envelope{.sender = "DISTHUB", .receiver = "RETAILER"};
      envelope.delimiters = d;
      envelope.line_breaks = d.element == '*';
      const std::vector<formats::X12OutGroup> groups = {
          {.functional_id = doc.functional_id, .sets = {*doc.set, *doc.set}}};
      absl::StatusOr<std::string> text =
          formats::WriteX12Interchange(envelope, {.interchange = ++control, .group = control},
                                       groups, Utc(2026, 11, 27, 10, 0, 0));
      ASSERT_TRUE(text.ok()) << text.status();
      const std::filesystem::path file = dir / StrCat(doc.name, "-", control, ".x12");
      std::ofstream(file) << *text;
      files += " " + file.string();
    }
  }
  // Acknowledgements of a partner's interchange with errors: a 999 with IK3/IK4, a TA1.
  const std::string broken =
      "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTHUB        *261127*1000*^*00501*"
      "000000009*1*P*>~GS*PO*RETAILER*DISTHUB*20261127*1000*9*X*005010~ST*850*0001~"
      "BEG*00*SA*PO-1**2026112~PO1*1*2*CA*1.00**VN~SE*4*0001~GE*1*9~IEA*1*000000009~";
  absl::StatusOr<std::vector<formats::X12Interchange>> read = formats::ReadX12(broken);
  ASSERT_TRUE(read.ok() && read->size() == 1) << read.status();
  ASSERT_FALSE((*read)[0].groups[0].sets[0].errors.empty());
  absl::StatusOr<std::string> acks = formats::WriteAcknowledgements(
      (*read)[0], {.interchange = 500, .group = 500}, true, Utc(2026, 11, 27, 10, 0, 0));
  ASSERT_TRUE(acks.ok()) << acks.status();
  EXPECT_THAT(*acks, AllOf(HasSubstr("ST*999*0001*005010X231A1~"), HasSubstr("IK3*"),
                           HasSubstr("TA1*000000009*")));
  std::ofstream(dir / "999-500.x12") << *acks;
  files += " " + (dir / "999-500.x12").string();

  const std::string check =
      StrCat("perl ", test::SourceDir(), "/tests/x12/check.pl ", test::SourceDir(),
             "/tests/x12/envelope.cf", files, " > ", (dir / "out.txt").string(), " 2>&1");
  const int status = std::system(check.c_str());
  const std::string out = ReadFile((dir / "out.txt").string()).value_or("");
  EXPECT_EQ(status, 0) << out;
  EXPECT_THAT(out, AllOf(HasSubstr("856-102.x12: ok, 1 groups, 2 sets"),
                         HasSubstr("940-108.x12: ok, 1 groups, 2 sets"),
                         HasSubstr("999-500.x12: ok, 1 groups, 1 sets")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace disthub::mapping
