// `disthub edi check` and `disthub edi to-json` as EDI analysts run them: the real binary on
// interchanges written here (and the published fixtures when ../shared is there), with its
// output and exit statuses.
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_run.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnvelope[] =
    "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTHUB        *261127*1000*U*00401*"
    "000000007*0*P*>~\nGS*PO*RETAILER*DISTHUB*20261127*1000*42*X*004010~\n";
constexpr char kPo[] =
    "ST*850*0001~\nBEG*00*SA*PO-1**20261127~\nN1*ST*DC 4~\nN3*1 Main St~\n"
    "N4*Solon*OH*44139~\nPO1*1*2*CA*10.50**VN*HB-100~\nCTT*1*2~\nSE*8*0001~\n";
constexpr char kTrailer[] = "GE*1*42~\nIEA*1*000000007~\n";

class EdiCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/disthub-edi-cli-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(EdiCli, CheckShowsEnvelopesAndSetsAndExitsZeroWhenAllIsAccepted) {
  CliRun r = RunDisthub("edi check " + Write("po.edi", std::string(kEnvelope) + kPo + kTrailer));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("interchange 000000007 from ZZ:RETAILER to ZZ:DISTHUB, version "
                              "00401, production, 2026-11-27 10:00 (line 1): accepted"),
                    HasSubstr("group 42 PO (004010) from RETAILER to DISTHUB, 1 set (line 2): "
                              "AK9 A, 1 accepted"),
                    HasSubstr("850 0001, 8 segments (line 3): accepted"),
                    HasSubstr("1 file, 1 interchange, 1 group, 1 set: 1 accepted, 0 rejected; "
                              "0 errors")));
}

TEST_F(EdiCli, CheckPrintsEachErrorWhereTheAcknowledgementPutsItAndExitsOne) {
  std::string bad(kPo);
  bad.replace(bad.find("VN*HB-100"), 9, "VN");  // PO106 without PO107
  bad.replace(bad.find("SE*8"), 4, "SE*9");
  CliRun r =
      RunDisthub("edi check --ack " + Write("bad.edi", std::string(kEnvelope) + bad + kTrailer));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("850 0001, 8 segments (line 3): rejected"),
                    HasSubstr("AK5 code 4 (line 10): SE01 says \"9\" segments, the set has 8"),
                    HasSubstr("AK3 PO1 at 6, AK4 element 7 code 2 (line 8): PO107: conditional "
                              "required data element missing (syntax note P0607"),
                    // The 997 back to the retailer, from us.
                    HasSubstr("*ZZ*DISTHUB        *ZZ*RETAILER       *"), HasSubstr("ST*997*0001~"),
                    HasSubstr("AK1*PO*42~"),
                    HasSubstr("AK2*850*0001~\nAK3*PO1*6**8~\nAK4*7**2~\nAK5*R*4*5~\n"
                              "AK9*R*1*1*0~"),
                    HasSubstr("TA1*000000007*261127*1000*A*000")));
  // --lenient: envelopes only; the count is still wrong.
  r = RunDisthub("edi check --lenient " + dir_ + "/bad.edi");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("AK5 code 4"), Not(HasSubstr("AK4"))));
}

TEST_F(EdiCli, CheckFindsInterchangesSentTwiceAndRefusesWhatIsNotX12) {
  const std::string po = std::string(kEnvelope) + kPo + kTrailer;
  CliRun r = RunDisthub("edi check " + Write("a.edi", po) + " " + Write("b.edi", po));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr("TA1 note 025 (line 1): duplicate interchange: RETAILER sent "
                               "control number 000000007 before, at " +
                               dir_ + "/a.edi line 1"));
  r = RunDisthub("edi check " + Write("c.txt", "hello") + " " + dir_ + "/missing.edi");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.out, HasSubstr("c.txt: not readable as X12: line 1: an interchange starts with "
                               "an ISA segment, not \"hel\""));
  EXPECT_THAT(r.err, HasSubstr("missing.edi"));
}

TEST_F(EdiCli, ToJsonPrintsTheCanonicalOrderEachPurchaseOrderBecomes) {
  CliRun r = RunDisthub("edi to-json --channel edi-retail --account C-1 " +
                        Write("po.edi", std::string(kEnvelope) + kPo + kTrailer));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr(R"("set":"850","control":"0001")"),
                           HasSubstr(R"("channel":"edi-retail","channel_order_ref":"PO-1")"),
                           HasSubstr(R"("account_number":"C-1")"), HasSubstr(R"("sku":"HB-100")"),
                           HasSubstr(R"("uom":"case")")));
  // A unit the defaults lack, then given with --unit.
  std::string kits(kPo);
  kits.replace(kits.find("*CA*"), 4, "*KI*");
  const std::string file = Write("kits.edi", std::string(kEnvelope) + kits + kTrailer);
  r = RunDisthub("edi to-json " + file);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr(R"(PO103 (segment 6 of the set, line 8): unit \"KI\" is not in )"
                               R"(the partner's unit table)"));
  r = RunDisthub("edi to-json --unit KI=kit " + file);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(R"("uom":"kit")"));
  EXPECT_EQ(RunDisthub("edi to-json --unit KI " + file).status, 2);
}

TEST_F(EdiCli, ToJsonReadsAcknowledgementsAndListsWhatItDoesNotTranslate) {
  const std::string text = std::string(kEnvelope) +
                           "ST*997*0001~\nAK1*PR*17~\nAK2*855*0001~\nAK5*A~\nAK9*A*1*1*1~\n"
                           "SE*6*0001~\nST*856*0002~\nBSN*00*SH-1*20261127*1000~\nSE*3*0002~\n"
                           "GE*2*42~\nIEA*1*000000007~\n";
  CliRun r = RunDisthub("edi to-json " + Write("mixed.edi", text));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out,
              AllOf(HasSubstr(R"("acknowledges":[{"functional_id":"PR","control":"17",)"
                              R"("code":"A","included":1,"received":1,"accepted":1,)"),
                    HasSubstr(R"("set":"856","control":"0002","line":9,"translated":false)")));
}

// Every published interchange through `edi check`: the summary counts them all, and the
// negative cases show their errors.
TEST_F(EdiCli, CheckTakesEveryPublishedFixture) {
  const std::string dir = Source("../shared/fixtures/x12");
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no fixtures at " << dir << " (../shared is absent in this clone)";
  }
  CliRun r = RunDisthub("edi check " + dir + "/*.edi " + dir + "/*.EDI");
  EXPECT_EQ(r.status, 2);  // the broken-ISA 855 is not X12 at all
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("stupidedi_004010_855_fail2_broken_isa.edi: not readable as X12"),
                    HasSubstr("38 files, 40 interchanges, 42 groups, 65 sets"),
                    HasSubstr("AK9 code 5 (line 8): GE01 says \"2\" transaction sets, the group "
                              "has 1"),
                    HasSubstr("are two segment terminators mixed in the file?")));
}

}  // namespace
}  // namespace disthub::testing
