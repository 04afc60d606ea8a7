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
std::string Interchange(int control, const std::vector<std::string>& sets,
                        std::string_view sender = "RETAILER", std::string_view ack = "0",
                        std::string_view set_id = "850") {
  const std::string isa13 = StrCat(std::string(9 - std::to_string(control).size(), '0'), control);
  std::string sender_field(sender);
  sender_field.resize(15, ' ');
  std::string out = StrCat("ISA*00*          *00*          *ZZ*", sender_field,
                           "*ZZ*DISTHUB        *261127*1000*U*00401*", isa13, "*", ack, "*P*>~\n",
                           "GS*PO*RETAILER*DISTHUB*20261127*1000*", control, "*X*004010~\n");
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

TEST_F(X12Drop, SettingsThatCannotWorkAreRefusedAtCreation) {
  EXPECT_THAT(Make({{"ta1", "sometimes"}}).message(), HasSubstr("ta1: \"sometimes\""));
  EXPECT_THAT(Make({{"partner_id", "A-PARTNER-ID-OVER-15"}}).message(),
              HasSubstr("partner_id: \"A-PARTNER-ID-OVER-15\" must be 1 to 15 characters"));
  EXPECT_THAT(Make({{"our_qualifier", "Z"}}).message(), HasSubstr("our_qualifier: must be 2"));
  EXPECT_THAT(Make({{"folder", (dir_ / "missing").string()}}).message(),
              HasSubstr("does not exist"));
}

}  // namespace
}  // namespace disthub::connectors
