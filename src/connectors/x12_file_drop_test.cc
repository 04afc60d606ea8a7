// The x12-file-drop connector against real folders and a fake hub: purchase orders in,
// acknowledgements out, duplicates and strangers refused, nothing doubled after a crash.
#include "connectors/x12_file_drop.h"

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/files.h"
#include "base/strings.h"
#include "connectors/testing.h"
#include "formats/x12_envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::connectors {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::disthub::testing::DefaultSettings;
using ::disthub::testing::FakeConnectorHost;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// An interchange from RETAILER to DISTHUB with control number `control` holding `sets`
// (each a body without ST/SE) in one PO group.
// GS01 of a group of `set_id`s.
std::string FunctionalId(std::string_view set_id) {
  if (set_id == "997") return "FA";
  if (set_id == "945") return "SW";
  if (set_id == "846") return "IB";
  if (set_id == "810") return "IN";
  return "PO";
}

std::string Interchange(int control, const std::vector<std::string>& sets,
                        std::string_view sender = "RETAILER", std::string_view ack = "0",
                        std::string_view set_id = "850") {
  const std::string isa13 = StrCat(std::string(9 - std::to_string(control).size(), '0'), control);
  std::string sender_field(sender);
  sender_field.resize(15, ' ');
  std::string out =
      StrCat("ISA*00*          *00*          *ZZ*", sender_field,
             "*ZZ*DISTHUB        *261127*1000*U*00401*", isa13, "*", ack, "*P*>~\n", "GS*",
             FunctionalId(set_id), "*RETAILER*DISTHUB*20261127*1000*", control, "*X*004010~\n");
  int n = 0;
  for (const std::string& body : sets) {
    const std::string st02 = StrCat("000", ++n);
    size_t segments = 2;
    for (char c : body) segments += c == '~';
    out += StrCat("ST*", set_id, "*", st02, "~\n", body, "SE*", segments, "*", st02, "~\n");
  }
  return out + StrCat("GE*", sets.size(), "*", control, "~\nIEA*1*", isa13, "~\n");
}

std::string Po(std::string_view number, std::string_view sku = "HB-100") {
  return StrCat("BEG*00*SA*", number,
                "**20261120~\nN1*ST*Harbor Retail DC 4*92*DC4~\nN3*31875 Solon Rd~\n"
                "N4*Solon*OH*44139*US~\nPO1*1*2*CA*24.50**VN*",
                sku, "~\nCTT*1*2~\n");
}

class X12Drop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-x12drop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "in");
  }
  void TearDown() override {
    if (connector_) connector_->Stop();
    fs::remove_all(dir_);
  }

  absl::Status Make(std::map<std::string, std::string> overrides = {}) {
    if (connector_) connector_->Stop();
    Settings s = DefaultSettings(X12FileDropType());
    s.Set("folder", (dir_ / "in").string());
    s.Set("outbound_folder", (dir_ / "out").string());
    s.Set("poll_interval_ms", "10");
    s.Set("settle_ms", "0");
    s.Set("partner_id", "RETAILER");
    s.Set("our_id", "DISTHUB");
    s.Set("channel", "edi-retail");
    s.Set("account_number", "C-RETAIL-1");
    for (auto& [k, v] : overrides) s.Set(k, v);
    auto made = X12FileDropType().create("edi-retail", s, host_);
    if (!made.ok()) return made.status();
    connector_ = *std::move(made);
    return connector_->Start();
  }

  void Drop(const std::string& name, const std::string& text) {
    fs::path tmp = dir_ / "in" / ("." + name);
    std::ofstream(tmp) << text;
    fs::rename(tmp, dir_ / "in" / name);
  }

  template <typename Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  // The acknowledgement files written so far, by name.
  std::map<std::string, std::string> Acks() {
    std::map<std::string, std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "out", ec)) {
      if (e.path().filename().string().starts_with(".")) continue;
      out[e.path().filename().string()] = *ReadFile(e.path().string());
    }
    return out;
  }
  std::string Text(const fs::path& p) {
    absl::StatusOr<std::string> t = ReadFile(p.string());
    return t.ok() ? *t : "";
  }

  fs::path dir_;
  FakeConnectorHost host_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(X12Drop, APurchaseOrderBecomesAnOrderAndA997GoesBack) {
  ASSERT_TRUE(Make().ok());
  Drop("po-1.edi", Interchange(7, {Po("PO-1")}));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "po-1.edi"); }));
  std::vector<OrderMessage> orders = host_.orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].source, "edi-retail");
  EXPECT_EQ(orders[0].key, "ZZ:RETAILER:000000007:7:0001");
  EXPECT_EQ(orders[0].order.channel, "edi-retail");
  EXPECT_EQ(orders[0].order.channel_order_ref, "PO-1");
  EXPECT_EQ(orders[0].order.customer.account_number, "C-RETAIL-1");
  ASSERT_EQ(orders[0].order.lines.size(), 1u);
  EXPECT_EQ(orders[0].order.lines[0].uom, "case");
  EXPECT_THAT(orders[0].body, HasSubstr("BEG*00*SA*PO-1"));

  std::map<std::string, std::string> acks = Acks();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks.begin()->first, "ack-RETAILER-000000001.x12");
  EXPECT_THAT(acks.begin()->second, AllOf(HasSubstr("*ZZ*DISTHUB        *ZZ*RETAILER       *"),
                                          HasSubstr("*000000001*0*P*>~"),
                                          HasSubstr("ST*997*0001~\nAK1*PO*7~\n"
                                                    "AK2*850*0001~\nAK5*A~\nAK9*A*1*1*1~"),
                                          Not(HasSubstr("TA1"))));
  // Nothing half-written, nothing left claimed.
  EXPECT_TRUE(fs::is_empty(dir_ / "in" / ".claimed"));
  EXPECT_THAT(host_.cursor("edi-retail"),
              AllOf(HasSubstr("\"control\":1"), HasSubstr("ZZ:RETAILER#7")));
}

TEST_F(X12Drop, TheSameInterchangeSentAgainIsADuplicateAndChangesNothing) {
  ASSERT_TRUE(Make().ok());
  Drop("po-1.edi", Interchange(7, {Po("PO-1")}));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "po-1.edi"); }));
  // Same control number, other bytes (a new PO number): still the same interchange.
  Drop("po-1-again.edi", Interchange(7, {Po("PO-2")}));
  const fs::path rejected = dir_ / "in" / "rejected" / "po-1-again.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".ack.x12"); }));
  EXPECT_EQ(host_.orders().size(), 1u);
  EXPECT_THAT(Text(rejected.string() + ".errors.txt"),
              HasSubstr("TA1 025: duplicate interchange: RETAILER sent control number "
                        "000000007 before"));
  EXPECT_THAT(Text(rejected.string() + ".ack.x12"),
              AllOf(HasSubstr("TA1*000000007*261127*1000*R*025~"), Not(HasSubstr("ST*997"))));
  EXPECT_EQ(Acks().size(), 2u);
  // The duplicate is counted as one, not as a rejection.
  EXPECT_THAT(json::serialize(connector_->Describe()), HasSubstr("\"duplicate\":1"));
}

TEST_F(X12Drop, InterchangesFromStrangersOrForSomeoneElseAreRefusedWithTheirTa1Code) {
  ASSERT_TRUE(Make().ok());
  Drop("stranger.edi", Interchange(8, {Po("PO-1")}, "SOMEONE"));
  const fs::path rejected = dir_ / "in" / "rejected" / "stranger.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".ack.x12"); }));
  EXPECT_TRUE(host_.orders().empty());
  EXPECT_THAT(Text(rejected.string() + ".errors.txt"),
              HasSubstr("TA1 006: ISA06 sender \"SOMEONE\" is not this partner's \"RETAILER\""));
  EXPECT_THAT(Text(rejected.string() + ".ack.x12"), HasSubstr("TA1*000000008*261127*1000*R*006~"));
  // Refused interchanges are not remembered: corrected and sent again, it is taken.
  Drop("corrected.edi", Interchange(8, {Po("PO-1")}));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "corrected.edi"); }));
  EXPECT_EQ(host_.orders().size(), 1u);
}

TEST_F(X12Drop, BadSetsAreRejectedInThe997AndTheGoodOnesInTheSameGroupTaken) {
  ASSERT_TRUE(Make().ok());
  std::string broken = Po("PO-BAD");
  broken.replace(broken.find("VN*HB-100"), 9, "VN");  // PO106 without PO107
  Drop("mixed.edi", Interchange(9, {Po("PO-GOOD"), broken}, "RETAILER", "1"));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "mixed.edi"); }));
  ASSERT_EQ(host_.orders().size(), 1u);
  EXPECT_EQ(host_.orders()[0].order.channel_order_ref, "PO-GOOD");
  std::map<std::string, std::string> acks = Acks();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_THAT(acks.begin()->second,
              AllOf(HasSubstr("TA1*000000009*261127*1000*A*000~"),  // ISA14 asked for it
                    HasSubstr("AK2*850*0001~\nAK5*A~\nAK2*850*0002~\nAK3*PO1*6**8~\n"
                              "AK4*7**2~\nAK5*R*5~\nAK9*P*2*2*1~")));
}

TEST_F(X12Drop, SetsThePartnerDoesNotTradeAreRejectedAsNotSupported) {
  ASSERT_TRUE(Make().ok());
  Drop("invoice.edi", Interchange(10, {"BIG*20261127*INV-1~\n"}, "RETAILER", "0", "810"));
  const fs::path rejected = dir_ / "in" / "rejected" / "invoice.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".ack.x12"); }));
  EXPECT_THAT(Text(rejected.string() + ".ack.x12"), HasSubstr("AK2*810*0001~\nAK5*R*1~"));
  EXPECT_THAT(
      Text(rejected.string() + ".errors.txt"),
      HasSubstr("transaction set 810 is not one this partner trades (sets: 850, 997, 999)"));
}

TEST_F(X12Drop, APurchaseOrderTheMappingRefusesIsArchivedWithTheReasonNotDropped) {
  ASSERT_TRUE(Make().ok());
  std::string po = Po("PO-KG");
  po.replace(po.find("*2*CA*"), 6, "*2*KG*");  // a unit the partner's table lacks
  Drop("kg.edi", Interchange(11, {po}));
  const fs::path rejected = dir_ / "in" / "rejected" / "kg.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".errors.txt"); }));
  EXPECT_TRUE(host_.orders().empty());
  ASSERT_EQ(host_.refused().size(), 1u);
  EXPECT_EQ(host_.refused()[0][1], "ZZ:RETAILER:000000011:11:0001");
  EXPECT_THAT(host_.refused()[0][2], HasSubstr("KG"));
  // The document was well-formed: the 997 accepts it; the refusal is the hub's.
  EXPECT_THAT(Text(rejected.string() + ".ack.x12"), HasSubstr("AK5*A~"));
  EXPECT_THAT(Text(rejected.string() + ".errors.txt"), HasSubstr("850 0001 (line 3): "));
}

TEST_F(X12Drop, BytesThatAreNotX12AreRejectedWithTheReason) {
  ASSERT_TRUE(Make().ok());
  Drop("hello.txt", "hello, world\n");
  const fs::path rejected = dir_ / "in" / "rejected" / "hello.txt";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".errors.txt"); }));
  EXPECT_THAT(Text(rejected.string() + ".errors.txt"), HasSubstr("hello.txt: not X12: "));
  EXPECT_TRUE(Acks().empty());
}

TEST_F(X12Drop, WhenTheHubCannotTakeTheOrderTheFileWaitsClaimedAndIsFinishedLater) {
  host_.SetFailure(absl::UnavailableError("store down"));
  ASSERT_TRUE(Make().ok());
  Drop("po-1.edi", Interchange(12, {Po("PO-1")}));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / ".claimed" / "po-1.edi"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(Acks().empty()) << "nothing is acknowledged before it is durable";
  EXPECT_THAT(json::serialize(connector_->Describe()), HasSubstr("store down"));
  host_.SetFailure(absl::OkStatus());
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "po-1.edi"); }));
  EXPECT_EQ(host_.orders().size(), 1u);
  EXPECT_EQ(Acks().size(), 1u);
}

TEST_F(X12Drop, AFileClaimedBeforeACrashIsFinishedNotTakenForADuplicate) {
  ASSERT_TRUE(Make().ok());
  Drop("po-1.edi", Interchange(13, {Po("PO-1")}));
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "po-1.edi"); }));
  connector_->Stop();
  // As if the hub died after remembering the interchange, before moving the file on.
  fs::rename(dir_ / "in" / "processed" / "po-1.edi", dir_ / "in" / ".claimed" / "po-1.edi");
  ASSERT_TRUE(Make().ok());
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "in" / "processed" / "po-1.edi"); }));
  EXPECT_EQ(host_.orders().size(), 1u) << "the order's key doubles nothing";
  EXPECT_FALSE(fs::exists(dir_ / "in" / "rejected" / "po-1.edi"));
  // Control numbers carry on from the durable state after the restart: 1, then 2.
  EXPECT_EQ(Acks().size(), 2u);
  EXPECT_TRUE(Acks().contains("ack-RETAILER-000000002.x12"));
}

// An order of the partner's channel as the hub holds it: 2 cases and 5 eaches.
Order HeldOrder() {
  Order o;
  o.id = "ord_1";
  o.channel = "edi-retail";
  o.channel_order_ref = "PO-7731";
  o.currency = "USD";
  o.customer.name = "Harbor Retail";
  o.customer.account_number = "C-RETAIL-1";
  o.ship_to = {.name = "Receiving",
               .company = "Harbor Retail DC 4",
               .line1 = "31875 Solon Rd",
               .city = "Solon",
               .region = "OH",
               .postal_code = "44139",
               .country = "US"};
  o.placed_at = absl::FromUnixSeconds(1795132800);  // 2026-11-20
  o.lines = {{.line_no = 1,
              .sku = "HS-10001",
              .channel_line_ref = "1",
              .quantity = 2,
              .uom = "case",
              .unit_price = {.minor = 11040, .currency = "USD"}},
             {.line_no = 2,
              .sku = "HS-10002",
              .channel_line_ref = "2",
              .quantity = 5,
              .uom = "each",
              .unit_price = {.minor = 825, .currency = "USD"}}};
  return o;
}

// Every interchange of `text` read back with its segments checked: none may have an error.
void ExpectClean(const std::string& text) {
  absl::StatusOr<std::vector<formats::X12Interchange>> read = formats::ReadX12(text);
  ASSERT_TRUE(read.ok()) << read.status();
  for (const formats::X12Interchange& x : *read) {
    EXPECT_TRUE(x.errors.empty()) << x.errors.front().message;
    for (const formats::X12Group& g : x.groups) {
      EXPECT_TRUE(g.errors.empty()) << g.errors.front().message;
      for (const formats::X12Set& set : g.sets) {
        EXPECT_TRUE(set.errors.empty()) << set.id << ": " << set.errors.front().message;
      }
    }
  }
}

TEST_F(X12Drop, AsItsOrdersMoveThePartnerGetsThe855EachShipNoticeOnceAndThe810) {
  host_.AddEvent("order.status.edi-retail", "ord_0", R"({"status":"allocated"})");  // before
  ASSERT_TRUE(Make().ok());
  host_.PutOrder(HeldOrder());
  host_.AddEvent("order.status.edi-retail", "ord_1",
                 R"({"order_id":"ord_1","status":"allocated","from":"accepted"})");
  host_.AddEvent("order.status.dtc-web", "ord_1", R"({"status":"allocated"})");  // not ours
  ASSERT_TRUE(Eventually([&] { return Acks().size() == 1; }));
  const std::string ack = Acks().begin()->second;
  EXPECT_EQ(Acks().begin()->first, "855-RETAILER-000000001.x12") << "history is not sent";
  ExpectClean(ack);
  EXPECT_THAT(
      ack, AllOf(HasSubstr("*ZZ*DISTHUB        *ZZ*RETAILER       *"),
                 HasSubstr("GS*PR*DISTHUB*RETAILER*"), HasSubstr("BAK*00*"), HasSubstr("*PO-7731*"),
                 HasSubstr("ACK*IA*2*CA"), HasSubstr("ACK*IA*5*EA")));

  // A partial shipment, then the rest: each shipment's notice goes once.
  constexpr char kFirst[] =
      R"({"shipment_id":"SH-1","carrier":"UPS","tracking":"1Z999","shipped_at":"2026-11-27T15:00:00Z",)"
      R"("lines":[{"line":1,"quantity":24,"unit_quantity":2,"uom":"case"}]})";
  host_.AddEvent("order.status.edi-retail", "ord_1",
                 StrCat(R"({"status":"partially_shipped","shipments":[)", kFirst, "]}"));
  host_.AddEvent(
      "order.status.edi-retail", "ord_1",
      StrCat(
          R"({"status":"shipped","shipments":[)", kFirst,
          R"(,{"shipment_id":"SH-2","carrier":"UPS","tracking":"1Z998","lines":[{"line":2,"quantity":3,"unit_quantity":3,"uom":"each"}]}]})"));
  host_.AddEvent(
      "invoice.posted", "ord_1",
      R"({"invoice_id":"inv_1","order_id":"ord_1","channel":"edi-retail","currency":"USD",)"
      R"("lines":[{"line":1,"sku":"HS-10001","quantity":2,"uom":"case","quantity_each":24,"amount_minor":22080,"tax_minor":0},)"
      R"({"line":2,"sku":"HS-10002","quantity":3,"uom":"each","quantity_each":3,"amount_minor":2475,"tax_minor":0}],)"
      R"("subtotal_minor":24555,"tax_minor":0,"total_minor":24555})");
  ASSERT_TRUE(Eventually([&] { return Acks().size() == 4; }));
  std::map<std::string, std::string> files = Acks();
  ASSERT_TRUE(files.contains("856-RETAILER-000000002.x12"));
  ASSERT_TRUE(files.contains("856-RETAILER-000000003.x12"));
  ASSERT_TRUE(files.contains("810-RETAILER-000000004.x12"));
  const std::string asn1 = files["856-RETAILER-000000002.x12"];
  const std::string asn2 = files["856-RETAILER-000000003.x12"];
  const std::string invoice = files["810-RETAILER-000000004.x12"];
  for (const std::string& text : {asn1, asn2, invoice}) ExpectClean(text);
  EXPECT_THAT(asn1, AllOf(HasSubstr("BSN*00*SH-1*20261127*"), HasSubstr("1Z999"),
                          HasSubstr("SN1**2*CA"), HasSubstr("PO-7731"), Not(HasSubstr("SH-2"))));
  EXPECT_THAT(asn2, AllOf(HasSubstr("BSN*00*SH-2*"), HasSubstr("SN1**3*EA")));
  EXPECT_THAT(invoice, AllOf(HasSubstr("BIG*"), HasSubstr("*inv_1*"), HasSubstr("*PO-7731"),
                             HasSubstr("IT1*1*2*CA*110.4"), HasSubstr("IT1*2*3*EA*8.25"),
                             HasSubstr("TDS*24555~")));
  EXPECT_THAT(host_.cursor("edi-retail"), HasSubstr("\"events_after\":6"));
}

TEST_F(X12Drop, ADocumentTheHubsDataCannotMakeIsReportedAndTheNextOnesStillGo) {
  ASSERT_TRUE(Make().ok());
  Order odd = HeldOrder();
  odd.lines[0].uom = "pallet-of-9";  // no X12 code in the partner's unit table
  host_.PutOrder(odd);
  Order fine = HeldOrder();
  fine.id = "ord_2";
  fine.channel_order_ref = "PO-7732";
  host_.PutOrder(fine);
  host_.AddEvent("order.status.edi-retail", "ord_1", R"({"status":"allocated"})");
  host_.AddEvent("order.status.edi-retail", "ord_2", R"({"status":"backordered"})");
  ASSERT_TRUE(Eventually([&] { return Acks().size() == 1; }));
  EXPECT_THAT(Acks().begin()->second, AllOf(HasSubstr("PO-7732"), HasSubstr("ACK*IB*")));
  const std::string described = json::serialize(connector_->Describe());
  EXPECT_THAT(described, AllOf(HasSubstr("\"refused\":1"), HasSubstr("pallet-of-9"),
                               HasSubstr("no document for event 1")));
}

// The 3PL's side: a release goes out as a 940 in eaches, its 997 acknowledges it, its 945
// ships it (short: the rest stays open), its 846 is a count of its stock.
TEST_F(X12Drop, AThreePlGetsItsReleasesAs940sAndIts997945And846ReachTheHub) {
  // sets and send by its role (auto): 945, 846, 997, 999 in, 940 out.
  ASSERT_TRUE(Make({{"channel", ""}, {"location", "3pl-central"}}).ok());
  host_.PutOrder(HeldOrder());
  const std::string fulfillment = "ful_01M8GNYVWM2X4XYR2FWDH2AB";  // 30 characters
  host_.AddEvent("fulfillment.release.3pl-central", "ord_1",
                 StrCat(R"({"fulfillment_id":")", fulfillment,
                        R"(","order_id":"ord_1","location":"3pl-central","attempt":1,)"
                        R"("lines":[{"line":1,"sku":"HS-10001","quantity":48},)"
                        R"({"line":2,"sku":"HS-10002","quantity":5}]})"));
  host_.AddEvent("fulfillment.release.wh-east", "ord_1", R"({"fulfillment_id":"ful_x"})");
  ASSERT_TRUE(Eventually([&] { return Acks().size() == 1; }));
  const std::string order940 = Acks()["940-RETAILER-000000001.x12"];
  ExpectClean(order940);
  const std::string ref = fulfillment.substr(fulfillment.size() - 22);
  EXPECT_THAT(order940, AllOf(HasSubstr("GS*OW*DISTHUB*RETAILER*"),
                              HasSubstr(StrCat("W05*N*", ref, "*PO-7731~")), HasSubstr("LX*1~"),
                              HasSubstr("W01*48*EA**VN*HS-10001~"), HasSubstr("W76*53~")));

  // Its 997 for our group 1 acknowledges the release.
  Drop("997.edi", Interchange(21, {"AK1*OW*1~\nAK2*940*0001~\nAK5*A~\nAK9*A*1*1*1~\n"}, "RETAILER",
                              "0", "997"));
  ASSERT_TRUE(Eventually([&] { return host_.fulfillments().size() == 1; }));
  EXPECT_EQ(host_.fulfillments()[0].kind, FulfillmentMessage::Kind::kAcknowledged);
  EXPECT_EQ(host_.fulfillments()[0].fulfillment_id, fulfillment);

  // A 945 shipping line 1 in full and 3 of line 2's 5: a partial shipment, the rest open.
  Drop("945.edi",
       Interchange(22,
                   {StrCat("W06*N*", ref,
                           "*20261127*SHIP-9**PO-7731~\nN1*ST*Harbor Retail DC 4~\n"
                           "W27*M*UPSN~\nN9*2I*1Z945~\nLX*1~\nW12*CC*48*48**EA**VN*HS-10001~\n"
                           "LX*2~\nW12*BP*5*3*2*EA**VN*HS-10002~\nW03*51~\n")},
                   "RETAILER", "0", "945"));
  ASSERT_TRUE(Eventually([&] { return host_.fulfillments().size() == 2; }));
  const FulfillmentMessage shipped = host_.fulfillments()[1];
  EXPECT_EQ(shipped.kind, FulfillmentMessage::Kind::kShipped);
  EXPECT_EQ(shipped.fulfillment_id, fulfillment);
  EXPECT_EQ(shipped.shipment_id, "SHIP-9");
  EXPECT_EQ(shipped.tracking, "1Z945");
  EXPECT_FALSE(shipped.final) << "BP: the rest is back ordered, to ship later";
  ASSERT_EQ(shipped.lines.size(), 2u);
  EXPECT_EQ(shipped.lines[0].line_no, 1);
  EXPECT_EQ(shipped.lines[0].quantity, 48);
  EXPECT_EQ(shipped.lines[1].quantity, 3);
  EXPECT_THAT(shipped.body, HasSubstr("W06*N*"));

  // CP: partial, considered no backorder: the shipping order is done, the rest short.
  Drop("945-cp.edi",
       Interchange(25,
                   {StrCat("W06*N*", ref,
                           "*20261127*SHIP-11**PO-7731~\nLX*2~\nW12*CP*2*1*1*EA**VN*HS-10002~\n")},
                   "RETAILER", "0", "945"));
  ASSERT_TRUE(Eventually([&] { return host_.fulfillments().size() == 3; }));
  EXPECT_TRUE(host_.fulfillments()[2].final);
  EXPECT_EQ(host_.fulfillments()[2].shipment_id, "SHIP-11");

  // An 846: a count of its stock, at the warehouse it names.
  Drop("846.edi",
       Interchange(23,
                   {"BIA*00*MM*INV-1*20261127*1200~\nN1*WH*3PL Central*91*3pl-central~\n"
                    "LIN**VN*HS-10001~\nQTY*17*100*EA~\nLIN**VN*HS-10002~\nQTY*17*7*EA~\n"},
                   "RETAILER", "0", "846"));
  ASSERT_TRUE(Eventually([&] { return host_.counts().size() == 1; }));
  const InventoryCountMessage count = host_.counts()[0];
  ASSERT_EQ(count.items.size(), 2u);
  EXPECT_EQ(count.items[0].sku, "HS-10001");
  EXPECT_EQ(count.items[0].location, "3pl-central");
  EXPECT_EQ(count.items[0].on_hand, 100);
  EXPECT_EQ(count.name, "846.edi");

  // A 945 for a shipping order we never sent is refused with the reason.
  Drop("stray-945.edi",
       Interchange(24, {"W06*N*NOT-OURS*20261127*SHIP-10~\nLX*1~\nW12*CC*1*1**EA**VN*X~\n"},
                   "RETAILER", "0", "945"));
  const fs::path rejected = dir_ / "in" / "rejected" / "stray-945.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".errors.txt"); }));
  EXPECT_THAT(Text(rejected.string() + ".errors.txt"),
              HasSubstr("W0602 \"NOT-OURS\" is no shipping order this connector sent"));
  EXPECT_EQ(host_.fulfillments().size(), 3u);
  EXPECT_THAT(json::serialize(connector_->Describe()), HasSubstr("\"accepted\":1"));
}

TEST_F(X12Drop, AGroupWhose997DoesNotComeInTimeRaisesOneAlertAndALate997StillCounts) {
  ASSERT_TRUE(Make({{"ack_overdue_ms", "100"}}).ok());
  host_.PutOrder(HeldOrder());
  host_.AddEvent("order.status.edi-retail", "ord_1", R"({"status":"allocated"})");
  ASSERT_TRUE(Eventually([&] { return !host_.alerts().empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::vector<std::vector<std::string>> alerts = host_.alerts();
  ASSERT_EQ(alerts.size(), 1u) << "one alert per group";
  EXPECT_EQ(alerts[0][0], "alert.edi_ack_overdue");
  EXPECT_EQ(alerts[0][1], "ord_1");
  EXPECT_THAT(alerts[0][2],
              AllOf(HasSubstr("\"set\":\"855\""), HasSubstr("\"group_control\":\"1\""),
                    HasSubstr("\"partner\":\"RETAILER\"")));
  Drop("late-997.edi", Interchange(30, {"AK1*PR*1~\nAK2*855*0001~\nAK5*A~\nAK9*A*1*1*1~\n"},
                                   "RETAILER", "0", "997"));
  ASSERT_TRUE(Eventually([&] {
    return json::serialize(connector_->Describe()).find("\"accepted\":1") != std::string::npos;
  }));
  EXPECT_THAT(json::serialize(connector_->Describe()), HasSubstr("\"overdue\":1"));
  EXPECT_EQ(host_.alerts().size(), 1u);
}

TEST_F(X12Drop, WithThePartnersRuleTheInvoiceWaitsForItsShipNoticeToBeAccepted) {
  ASSERT_TRUE(Make({{"hold_invoice_until_asn_accepted", "true"}}).ok());
  host_.PutOrder(HeldOrder());
  host_.AddEvent(
      "order.status.edi-retail", "ord_1",
      R"({"status":"shipped","shipments":[{"shipment_id":"SH-1","carrier":"UPS","tracking":"1Z1",)"
      R"("lines":[{"line":1,"quantity":48,"unit_quantity":2,"uom":"case"}]}]})");
  host_.AddEvent(
      "invoice.posted", "ord_1",
      R"({"invoice_id":"inv_1","channel":"edi-retail","currency":"USD",)"
      R"("lines":[{"line":1,"quantity":2,"uom":"case","amount_minor":22080,"tax_minor":0}],)"
      R"("subtotal_minor":22080,"tax_minor":0,"total_minor":22080})");
  ASSERT_TRUE(Eventually([&] {
    return json::serialize(connector_->Describe()).find("\"invoices_held\":1") != std::string::npos;
  }));
  EXPECT_EQ(Acks().size(), 1u) << "the 856 only";
  EXPECT_TRUE(Acks().contains("856-RETAILER-000000001.x12"));
  // The 997 accepting the 856's group lets the invoice go.
  Drop("997.edi", Interchange(40, {"AK1*SH*1~\nAK2*856*0001~\nAK5*A~\nAK9*A*1*1*1~\n"}, "RETAILER",
                              "0", "997"));
  ASSERT_TRUE(Eventually([&] { return Acks().contains("810-RETAILER-000000002.x12"); }))
      << "a 997 is not acknowledged, so it takes no control number";
  EXPECT_THAT(json::serialize(connector_->Describe()), HasSubstr("\"invoices_held\":0"));
}

TEST_F(X12Drop, SettingsThatCannotWorkAreRefusedAtCreation) {
  EXPECT_THAT(Make({{"send", "855,997"}}).message(),
              HasSubstr("send: \"997\" is not a document it writes (855, 856, 810, 940)"));
  EXPECT_THAT(Make({{"send", "940"}}).message(), HasSubstr("location: is required"));
  EXPECT_THAT(Make({{"channel", ""}}).message(),
              HasSubstr("give the partner a channel (a retailer"));
  EXPECT_THAT(Make({{"sets", "850"}, {"channel", ""}, {"location", "3pl-central"}}).message(),
              HasSubstr("channel: is required"));
  EXPECT_THAT(Make({{"version", "00501"}}).message(),
              HasSubstr("must be an ISA12 (00401) and a GS08 of the same release"));
  EXPECT_THAT(Make({{"segment_terminator", "*"}}).message(),
              HasSubstr("must be four different characters"));
  EXPECT_THAT(Make({{"ta1", "sometimes"}}).message(), HasSubstr("ta1: \"sometimes\""));
  EXPECT_THAT(Make({{"partner_id", "A-PARTNER-ID-OVER-15"}}).message(),
              HasSubstr("partner_id: \"A-PARTNER-ID-OVER-15\" must be 1 to 15 characters"));
  EXPECT_THAT(Make({{"our_qualifier", "Z"}}).message(), HasSubstr("our_qualifier: must be 2"));
  EXPECT_THAT(Make({{"folder", (dir_ / "missing").string()}}).message(),
              HasSubstr("does not exist"));
}

}  // namespace
}  // namespace disthub::connectors
