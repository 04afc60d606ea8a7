#include "formats/x12_envelope.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/strings.h"
#include "fixtures.h"
#include "formats/x12_dictionary.h"
#include "formats/x12_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::formats {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every error of every interchange, one line each, as "LEVEL CODE[ SEG@POS.ELEMENT]":
// "set 4", "element 2 PO1@12.7", "interchange 021".
std::vector<std::string> Errors(const std::vector<X12Interchange>& read) {
  std::vector<std::string> out;
  auto add = [&](const X12Error& e) {
    std::string line = StrCat(X12LevelName(e.level), " ", e.code);
    if (e.level == X12Level::kElement) {
      line += StrCat(" ", e.segment_id, "@", e.position, ".", e.element);
    }
    out.push_back(line);
  };
  for (const X12Interchange& x : read) {
    for (const X12Error& e : x.errors) add(e);
    for (const X12Group& g : x.groups) {
      for (const X12Error& e : g.errors) add(e);
      for (const X12Set& s : g.sets) {
        for (const X12Error& e : s.errors) add(e);
      }
    }
  }
  return out;
}

std::vector<std::string> ErrorsOf(std::string_view text) {
  absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(text);
  EXPECT_TRUE(read.ok()) << read.status();
  return read.ok() ? Errors(*read) : std::vector<std::string>{"unreadable"};
}

constexpr char kIsa[] =
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261127*1000*U*00401*"
    "000000007*0*P*>~\n";
constexpr char kGs[] = "GS*PO*SENDER*RECEIVER*20261127*1000*42*X*004010~\n";
constexpr char kPo[] =
    "ST*850*0001~\nBEG*00*SA*PO-1**20261127~\nPO1*1*2*CA*10.50**VN*ABC-1~\nCTT*1~\n"
    "SE*5*0001~\n";

std::string Interchange(std::string_view body, std::string_view ge = "GE*1*42~\n",
                        std::string_view iea = "IEA*1*000000007~\n") {
  return StrCat(kIsa, kGs, body, ge, iea);
}

TEST(X12Envelope, AWellFormedInterchangeIsReadWithItsEnvelopesAndEverySetHandedOver) {
  std::vector<std::string> seen;
  absl::StatusOr<std::vector<X12Interchange>> read =
      ReadX12(Interchange(kPo), {.set = [&](const X12Interchange& x, const X12Group& g,
                                            const X12Set& s, std::span<const X12Segment> segs) {
                EXPECT_EQ(x.control, "000000007");
                EXPECT_EQ(g.control, "42");
                for (const X12Segment& seg : segs) {
                  seen.push_back(StrCat(seg.line, ":", seg.id()));
                }
                EXPECT_TRUE(s.accepted());
              }});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  const X12Interchange& x = read->front();
  EXPECT_EQ(x.sender, "SENDER");
  EXPECT_EQ(x.sender_qualifier, "ZZ");
  EXPECT_EQ(x.receiver, "RECEIVER");
  EXPECT_EQ(x.version, "00401");
  EXPECT_EQ(x.usage, "P");
  ASSERT_EQ(x.groups.size(), 1u);
  EXPECT_EQ(x.groups[0].functional_id, "PO");
  EXPECT_EQ(x.groups[0].version, "004010");
  ASSERT_EQ(x.groups[0].sets.size(), 1u);
  EXPECT_EQ(x.groups[0].sets[0].id, "850");
  EXPECT_EQ(x.groups[0].sets[0].segments, 5u);
  EXPECT_EQ(x.groups[0].ack_code(), "A");
  EXPECT_EQ(x.accepted_sets(), 1u);
  EXPECT_THAT(Errors(*read), IsEmpty());
  EXPECT_THAT(seen, ElementsAre("3:ST", "4:BEG", "5:PO1", "6:CTT", "7:SE"));  // lines
}

TEST(X12Envelope, CountsAndControlNumbersAreCheckedAtEachLevelWithTheCodesAcksUse) {
  // SE01 and SE02.
  EXPECT_THAT(ErrorsOf(Interchange("ST*850*0001~\nBEG*00*SA*PO-1**20261127~\nSE*4*0002~\n")),
              ElementsAre("set 4", "set 3"));
  // GE01 and GE02.
  EXPECT_THAT(ErrorsOf(Interchange(kPo, "GE*2*43~\n")), ElementsAre("group 5", "group 4"));
  // IEA01 and IEA02 (control numbers compare as numbers: "7" is ISA13's "000000007").
  EXPECT_THAT(ErrorsOf(Interchange(kPo, "GE*1*42~\n", "IEA*2*8~\n")),
              ElementsAre("interchange 021", "interchange 001"));
  EXPECT_THAT(ErrorsOf(Interchange(kPo, "GE*1*42~\n", "IEA*1*7~\n")), IsEmpty());
  // Trailers missing: SE (the next ST shows it), GE (the IEA), IEA (the end).
  EXPECT_THAT(
      ErrorsOf(Interchange(StrCat("ST*850*0009~\nBEG*00*SA*PO-1**20261127~\n", kPo), "GE*2*42~\n")),
      ElementsAre("set 2"));
  EXPECT_THAT(ErrorsOf(StrCat(kIsa, kGs, kPo, "IEA*1*7~\n")), ElementsAre("group 3"));
  EXPECT_THAT(ErrorsOf(StrCat(kIsa, kGs, kPo, "GE*1*42~\n")), ElementsAre("interchange 023"));
  // A set outside a group, a repeated ST02.
  EXPECT_THAT(ErrorsOf(StrCat(kIsa, kPo, "IEA*0*7~\n")), ElementsAre("interchange 024"));
  EXPECT_THAT(ErrorsOf(Interchange(StrCat(kPo, kPo), "GE*2*42~\n")), ElementsAre("set 23"));
}

TEST(X12Envelope, TheIsaIsCheckedFieldByFieldWithTa1Codes) {
  std::string isa(kIsa);
  isa.replace(isa.find("261127"), 6, "261399");  // no 99th of a 13th month
  isa.replace(isa.find("*P*"), 3, "*Q*");
  EXPECT_THAT(ErrorsOf(StrCat(isa, kGs, kPo, "GE*1*42~\nIEA*1*7~\n")),
              ElementsAre("interchange 014", "interchange 020"));
}

TEST(X12Envelope, SegmentsAreCheckedAgainstTheDictionaryWithTheirPositionInTheSet) {
  // BEG03 missing (mandatory), PO1 with a product id qualifier but no id (P0607), an
  // impossible date, a quantity that is not a number, too many CTT elements.
  std::vector<std::string> errors = ErrorsOf(
      Interchange("ST*850*0001~\nBEG*00*SA***20260231~\nPO1*1*2x*CA*10.50**VN~\nCTT*1*******9~\n"
                  "SE*5*0001~\n"));
  EXPECT_THAT(errors, ElementsAre("set 5", "element 1 BEG@2.3", "element 8 BEG@2.5",
                                  "element 6 PO1@3.2", "element 2 PO1@3.7", "element 3 CTT@4.8"));
  absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(
      Interchange("ST*850*0001~\nBEG*00*SA***20260231~\nPO1*1*2x*CA*10.50**VN~\nCTT*1******9~\n"
                  "SE*5*0001~\n"));
  const X12Set& set = read->front().groups[0].sets[0];
  EXPECT_FALSE(set.accepted());
  EXPECT_EQ(read->front().groups[0].ack_code(), "R");
  EXPECT_THAT(set.errors[4].message, HasSubstr("PO107: conditional required data element missing "
                                               "(syntax note P0607"));
  EXPECT_EQ(set.errors[2].data, "20260231");
  // Checks off: envelopes only.
  absl::StatusOr<std::vector<X12Interchange>> lenient =
      ReadX12(Interchange("ST*850*0001~\nBEG*00*SA~\nSE*3*0001~\n"), {}, {.check_segments = false});
  EXPECT_THAT(Errors(*lenient), IsEmpty());
}

TEST(X12Envelope, ErrorsPerSetAreCappedAndTheRestCounted) {
  std::string body = "ST*850*0001~\n";
  for (int i = 0; i < 30; ++i) body += "BEG*00~\n";
  body += "SE*32*0001~\n";
  absl::StatusOr<std::vector<X12Interchange>> read =
      ReadX12(Interchange(body), {}, {.max_errors_per_set = 10});
  const X12Set& set = read->front().groups[0].sets[0];
  ASSERT_EQ(set.errors.size(), 12u);  // "5" summary, 10 listed, "5 ... more"
  EXPECT_THAT(set.errors.back().message, HasSubstr("80 more errors not listed"));
}

TEST(X12Envelope, WhatIsNotX12AtAllIsAnErrorAndCompletedInterchangesWereHandedOver) {
  int handed = 0;
  absl::StatusOr<std::vector<X12Interchange>> read =
      ReadX12(StrCat(Interchange(kPo), "ISA*00"),
              {.interchange = [&](const X12Interchange&) { ++handed; }});
  EXPECT_THAT(read.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ISA")));
  EXPECT_EQ(handed, 1);
  EXPECT_THAT(ReadX12(StrCat(Interchange(kPo), kGs)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("segment 10 (GS) at line 10 follows the IEA that closed its "
                                 "interchange")));
}

TEST(X12Dictionary, DatesAndTimes) {
  EXPECT_TRUE(IsX12Date("20240229"));
  EXPECT_FALSE(IsX12Date("20230229"));
  EXPECT_TRUE(IsX12Date("991231"));
  EXPECT_FALSE(IsX12Date("2024022"));
  EXPECT_TRUE(IsX12Time("2359"));
  EXPECT_TRUE(IsX12Time("235959"));
  EXPECT_TRUE(IsX12Time("23595901"));
  EXPECT_FALSE(IsX12Time("2400"));
  EXPECT_FALSE(IsX12Time("23599"));
}

// ---- Writer and acknowledgements ------------------------------------------------------------

X12Envelope Partner() {
  X12Envelope e;
  e.sender = "DISTHUB";
  e.receiver = "RETAILER";
  return e;
}

TEST(X12Writer, InterchangesHaveFixedWidthIsaCountsAndControlNumbersThatReadBack) {
  X12OutSet po{.id = "855",
               .implementation = "",
               .segments = {{"BAK", "00", "AD", "PO-1", "20261128"}, {"CTT", "1"}}};
  std::vector<X12OutGroup> groups = {{.functional_id = "PR", .sets = {po, po}},
                                     {.functional_id = "PR", .sets = {po}}};
  absl::StatusOr<std::string> edi = WriteX12Interchange(
      Partner(), {.interchange = 123, .group = 900}, groups, absl::FromUnixSeconds(1795000000));
  ASSERT_TRUE(edi.ok()) << edi.status();
  EXPECT_EQ(edi->find("~\n"), 105u);  // the ISA's fixed 106 characters
  EXPECT_THAT(*edi, HasSubstr("*000000123*0*P*>~\nGS*PR*DISTHUB*RETAILER*"));
  EXPECT_THAT(*edi, HasSubstr("ST*855*0002~\n"));
  EXPECT_THAT(*edi, HasSubstr("SE*4*0002~\nGE*2*900~\nGS*PR"));
  EXPECT_THAT(*edi, HasSubstr("GE*1*901~\nIEA*2*000000123~\n"));
  absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(*edi);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(Errors(*read), IsEmpty());
  EXPECT_EQ(read->front().accepted_sets(), 3u);
  EXPECT_EQ(read->front().delimiters.repetition, 0);  // ISA11 "U" before 00402
  X12Envelope v5 = Partner();
  v5.version = "00501";
  v5.group_version = "005010";
  edi = WriteX12Interchange(v5, {.interchange = 124, .group = 902}, groups, absl::UnixEpoch());
  ASSERT_TRUE(edi.ok()) << edi.status();
  read = ReadX12(*edi);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(Errors(*read), IsEmpty());
  EXPECT_EQ(read->front().delimiters.repetition, '^');
}

TEST(X12Writer, RefusesWhatX12CannotCarry) {
  X12OutSet bad{.id = "855", .implementation = "", .segments = {{"N1", "ST", "A*B"}}};
  std::vector<X12OutGroup> groups = {{.functional_id = "PR", .sets = {bad}}};
  EXPECT_THAT(WriteX12Interchange(Partner(), {}, groups, absl::UnixEpoch()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("N102 \"A*B\" holds '*', a delimiter of this partner's")));
  groups[0].sets[0].segments = {{"N1", "ST", "A~B"}};
  EXPECT_THAT(WriteX12Interchange(Partner(), {}, groups, absl::UnixEpoch()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'~'")));
  groups[0].sets[0].segments = {{"N1", "ST", "A\x01"}};
  EXPECT_THAT(
      WriteX12Interchange(Partner(), {}, groups, absl::UnixEpoch()).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a control character (byte 1)")));
  groups[0].sets[0].segments = {};
  EXPECT_THAT(
      WriteX12Interchange(Partner(), {.interchange = 1'000'000'000}, groups, absl::UnixEpoch())
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 1..999999999")));
  X12Envelope long_id = Partner();
  long_id.sender = "A-SENDER-ID-OF-20-CH";
  EXPECT_THAT(WriteX12Interchange(long_id, {}, groups, absl::UnixEpoch()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 to 15 characters")));
}

// The 997 for a group with errors names each, reads back as an interchange of ours with no
// errors, and ReadFunctionalAcknowledgement returns what it says.
TEST(X12Acknowledgement, A997ReportsEachErrorAndReadsBack) {
  absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(Interchange(
      StrCat(kPo, "ST*850*0002~\nBEG*00*SA*PO-2**20261127~\nPO1*1*2*CA*10.50**VN~\nSE*9*0002~\n"),
      "GE*2*42~\n"));
  ASSERT_TRUE(read.ok());
  const X12Group& group = read->front().groups[0];
  EXPECT_EQ(group.ack_code(), "P");
  X12OutSet ack = FunctionalAcknowledgement(group, read->front().delimiters);
  EXPECT_EQ(ack.id, "997");
  std::vector<std::string> lines;
  for (const auto& segment : ack.segments) {
    std::string line;
    for (size_t i = 0; i < segment.size(); ++i) line += StrCat(i == 0 ? "" : "*", segment[i]);
    lines.push_back(line);
  }
  EXPECT_THAT(lines, ElementsAre("AK1*PO*42", "AK2*850*0001", "AK5*A", "AK2*850*0002",
                                 "AK3*PO1*3**8", "AK4*7**2", "AK5*R*4*5", "AK9*P*2*2*1"));
  std::vector<X12OutGroup> groups = {{.functional_id = "FA", .sets = {ack}}};
  absl::StatusOr<std::string> edi =
      WriteX12Interchange(Partner(), {.interchange = 5, .group = 5}, groups, absl::UnixEpoch());
  ASSERT_TRUE(edi.ok()) << edi.status();
  std::vector<X12AckedGroup> acked;
  absl::StatusOr<std::vector<X12Interchange>> back =
      ReadX12(*edi, {.set = [&](const X12Interchange&, const X12Group&, const X12Set&,
                                std::span<const X12Segment> segments) {
        absl::StatusOr<std::vector<X12AckedGroup>> a = ReadFunctionalAcknowledgement(segments);
        ASSERT_TRUE(a.ok()) << a.status();
        acked = *a;
      }});
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(Errors(*back), IsEmpty());
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].control, "42");
  EXPECT_EQ(acked[0].code, "P");
  EXPECT_EQ(acked[0].accepted, 1);
  ASSERT_EQ(acked[0].sets.size(), 2u);
  EXPECT_EQ(acked[0].sets[1].code, "R");
  EXPECT_THAT(acked[0].sets[1].errors, ElementsAre("PO1 at 3: segment code 8", "element 7 code 2",
                                                   "set code 4", "set code 5"));
}

TEST(X12Acknowledgement, A999For005010GroupsAndATa1) {
  std::string text = Interchange(kPo);
  text.replace(text.find("004010"), 6, "005010");
  absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(text);
  ASSERT_TRUE(read.ok());
  X12OutSet ack = FunctionalAcknowledgement(read->front().groups[0], read->front().delimiters);
  EXPECT_EQ(ack.id, "999");
  EXPECT_EQ(ack.implementation, "005010X231A1");
  EXPECT_THAT(ack.segments.front(), ElementsAre("AK1", "PO", "42", "005010"));
  EXPECT_THAT(ack.segments[2], ElementsAre("IK5", "A"));
  EXPECT_THAT(InterchangeAcknowledgement(read->front()),
              ElementsAre("TA1", "000000007", "261127", "1000", "A", "000"));
}

TEST(X12Acknowledgement, MalformedAcknowledgementsAreRefused) {
  auto read = [](std::string body) {
    absl::StatusOr<absl::StatusOr<std::vector<X12AckedGroup>>> out = absl::InternalError("no set");
    absl::StatusOr<std::vector<X12Interchange>> r = ReadX12(
        Interchange(body),
        {.set = [&](const X12Interchange&, const X12Group&, const X12Set&,
                    std::span<const X12Segment> s) { out = ReadFunctionalAcknowledgement(s); }},
        {.check_segments = false});
    return out.ok() ? out->status() : out.status();
  };
  EXPECT_THAT(read("ST*997*0001~\nAK2*850*1~\nSE*3*0001~\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before any AK1")));
  EXPECT_THAT(read("ST*997*0001~\nAK1*PO*1~\nAK2*850*1~\nAK9*A*1*1*1~\nSE*5*0001~\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before the last set's AK5")));
  EXPECT_THAT(read("ST*997*0001~\nAK1*PO*1~\nSE*3*0001~\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no AK9")));
}

// ---- Published fixtures ----------------------------------------------------------------------

using ::disthub::testing::FixturesDir;

// Every published interchange, through the envelopes and the dictionary: the ones their
// sources publish as good have no error; the negative cases have exactly the errors their
// SOURCES.md entries predict, where an acknowledgement would put them. A file the table
// does not list fails the test.
TEST(X12EnvelopeFixtures, GoodOnesHaveNoErrorsAndNegativeOnesExactlyThePredictedOnes) {
  const std::string dir = FixturesDir() + "/x12";
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no fixtures at " << dir << " (../shared is absent in this clone)";
  }
  const std::map<std::string, std::vector<std::string>> expected = {
      // "violates segment syntax notes": PO1 with PO106 but no PO107, and a PO4 with a
      // weight qualifier but no weight (C0506), a unit but no weight (P0607).
      {"ediengine_850.SyntaxNotes.ERR.edi",
       {"set 5", "element 2 PO1@13.7", "element 2 PO4@30.6", "element 2 PO4@30.6"}},
      // "wrong IEA01 group count / GE01 transaction count".
      {"ediengine_WrongGroupsAndTranCount.edi", {"interchange 021", "group 5"}},
      // "a deliberately empty N9 qualifier", in one of three 940s.
      {"ediengine_AckTest.edi", {"set 5", "element 1 N9@7.1"}},
      // "'$' is the segment terminator but some segments end with '~'": three segments
      // read as one N1, so the set counts 22 where SE01 says 25, and that N1 has too many
      // elements, and an N105 and N106 too long.
      {"stupidedi_004010_856_fail2_mixed_terminators.edi",
       {"set 4", "set 5", "element 3 N1@11.7", "element 5 N1@11.5", "element 5 N1@11.6"}},
      // Published as good, wrong all the same: the X12 standard's IT1 note P020304 wants a
      // unit of measure (IT103) with a quantity; these book invoices leave it out.
      {"stupidedi_004010_810_pipe_pass1.edi", {"set 5", "element 2 IT1@7.3", "element 2 IT1@9.3"}},
      // IEA02 000000001 is not ISA13 000000055.
      {"edinet_x12.850.edi", {"interchange 001"}},
      // Two sets with the same ST02 "0001" in one group.
      {"edinet_x12.850.issue135.edi", {"set 23"}},
      // SE01 says 41 segments; the set has 38.
      {"edinet_204-MGCTLYST-SAMPLE.EDI", {"set 4"}},
      // SE01 says 17 segments; the set has 12.
      {"edinet_x12.832.edi", {"set 4"}},
  };
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".edi" && entry.path().extension() != ".EDI") continue;
    if (name == "stupidedi_004010_855_fail2_broken_isa.edi") continue;  // unreadable: x12_test
    ++seen;
    SCOPED_TRACE(name);
    absl::StatusOr<std::string> text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(*text);
    ASSERT_TRUE(read.ok()) << read.status();
    auto it = expected.find(name);
    std::vector<std::string> errors = Errors(*read);
    std::string messages;
    for (const X12Interchange& x : *read) {
      for (const X12Error& e : x.errors) messages += e.message + "\n";
      for (const X12Group& g : x.groups) {
        for (const X12Error& e : g.errors) messages += e.message + "\n";
        for (const X12Set& s : g.sets) {
          for (const X12Error& e : s.errors) messages += e.message + "\n";
        }
      }
    }
    SCOPED_TRACE(messages);
    if (it == expected.end()) {
      EXPECT_THAT(errors, IsEmpty());
    } else {
      EXPECT_EQ(errors, it->second);
    }
  }
  EXPECT_EQ(seen, 37u);
}

}  // namespace
}  // namespace disthub::formats
