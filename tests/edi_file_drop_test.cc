// The x12-file-drop connector inside the real `disthub serve`: a retailer's 850 dropped in
// its folder becomes an order of its channel (cases and all), a 997 appears in its
// outbound folder once the order is durable, and the same interchange dropped again after
// a kill -9 and a restart is refused as a duplicate (TA1 025) with nothing doubled; our
// control numbers carry on across the restart.
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_process.h"

namespace disthub::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kConnectors[] = R"(
connectors:
  - name: edi-retail-x12
    type: x12-file-drop
    folder: edi/in
    outbound_folder: edi/out
    partner_id: RETAILER
    our_id: DISTHUB
    channel: edi-retail
    account_number: C-RETAIL-1
    poll_interval_ms: 20
    settle_ms: 0
)";

constexpr char kChannel[] = R"(
  - name: edi-retail
    currencies: [USD]
)";

std::string Interchange(std::string_view isa13, std::string_view po) {
  return StrCat(
      "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTHUB        *261127*1000*U*00401*",
      isa13, "*0*P*>~\nGS*PO*RETAILER*DISTHUB*20261127*1000*", isa13.substr(5),
      "*X*004010~\nST*850*0001~\nBEG*00*SA*", po,
      "**20261120~\nN1*BY*Harbor Retail*92*HR-1~\nN1*ST*Harbor Retail DC 4*92*DC4~\n"
      "N3*31875 Solon Rd~\nN4*Solon*OH*44139*US~\nPO1*1*2*CA*110.40**VN*HS-10001~\n"
      "PO1*2*5*EA*8.25**VN*HS-10002~\nCTT*2*7~\nSE*10*0001~\nGE*1*",
      isa13.substr(5), "~\nIEA*1*", isa13, "~\n");
}

class EdiFileDropTest : public ::testing::Test {
 protected:
  EdiFileDropTest() : hub_(kConnectors, "", kChannel) {}
  void SetUp() override {
    in_ = fs::path(hub_.folder()) / "edi" / "in";
    out_ = fs::path(hub_.folder()) / "edi" / "out";
    fs::create_directories(in_);
    ASSERT_TRUE(hub_.Start().ok()) << hub_.Stderr();
  }
  json::object Get(const std::string& path, const char* key = kWriterKey) {
    HttpClient client(hub_.url());
    auto r = client.Send("GET", path, {{"Authorization", StrCat("Bearer ", key)}}, "");
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    boost::system::error_code ec;
    json::value v = json::parse(r->body, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  json::array Orders() { return Get("/v1/orders?channel=edi-retail")["orders"].as_array(); }
  void Drop(const std::string& name, const std::string& text) {
    std::ofstream(in_ / ("." + name)) << text;
    fs::rename(in_ / ("." + name), in_ / name);
  }
  template <typename Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
  std::string Read(const fs::path& p) {
    absl::StatusOr<std::string> t = ReadFile(p.string());
    return t.ok() ? *t : "";
  }

  HubProcess hub_;
  fs::path in_, out_;
};

TEST_F(EdiFileDropTest, A850BecomesAnOrderIsAcknowledgedAndItsDuplicateIsRefusedAfterARestart) {
  Drop("po-7731.edi", Interchange("000000042", "PO-7731"));
  ASSERT_TRUE(Eventually([&] { return fs::exists(in_ / "processed" / "po-7731.edi"); }))
      << hub_.Stderr();
  const json::array orders = Orders();
  ASSERT_EQ(orders.size(), 1u);
  const json::object& order = orders[0].as_object();
  EXPECT_EQ(order.at("channel_order_ref").as_string(), "PO-7731");
  EXPECT_EQ(order.at("customer").at("account_number").as_string(), "C-RETAIL-1");
  const json::array& lines = order.at("lines").as_array();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("sku").as_string(), "HS-10001");
  EXPECT_EQ(lines[0].at("quantity").as_int64(), 2);
  EXPECT_EQ(lines[0].at("uom").as_string(), "case");
  EXPECT_EQ(lines[1].at("quantity").as_int64(), 5);
  // Archived as received, under the connector, with the set's key.
  const json::array inbound =
      Get("/v1/inbound?source=edi-retail-x12", kOpsKey)["messages"].as_array();
  ASSERT_EQ(inbound.size(), 1u);
  EXPECT_EQ(inbound[0].at("key").as_string(), "ZZ:RETAILER:000000042:0042:0001");

  const fs::path ack = out_ / "ack-RETAILER-000000001.x12";
  ASSERT_TRUE(fs::exists(ack));
  EXPECT_THAT(Read(ack), AllOf(HasSubstr("*ZZ*DISTHUB        *ZZ*RETAILER       *"),
                               HasSubstr("AK1*PO*0042~\nAK2*850*0001~\nAK5*A~\nAK9*A*1*1*1~")));

  hub_.Kill();
  ASSERT_TRUE(hub_.Start().ok()) << hub_.Stderr();
  Drop("po-7731-resent.edi", Interchange("000000042", "PO-7731"));
  const fs::path rejected = in_ / "rejected" / "po-7731-resent.edi";
  ASSERT_TRUE(Eventually([&] { return fs::exists(rejected.string() + ".ack.x12"); }))
      << hub_.Stderr();
  EXPECT_THAT(Read(rejected.string() + ".ack.x12"), HasSubstr("TA1*000000042*261127*1000*R*025~"));
  EXPECT_THAT(Read(rejected.string() + ".errors.txt"), HasSubstr("duplicate interchange"));
  EXPECT_TRUE(fs::exists(out_ / "ack-RETAILER-000000002.x12")) << "control numbers carry on";
  EXPECT_EQ(Orders().size(), 1u);

  const json::object connectors = Get("/v1/connectors", kReaderKey);
  EXPECT_THAT(json::serialize(connectors), AllOf(HasSubstr("\"type\":\"x12-file-drop\""),
                                                 HasSubstr("\"last_control_number\":2")));
}

}  // namespace
}  // namespace disthub::testing
