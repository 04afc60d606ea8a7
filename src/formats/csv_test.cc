// The CSV reader on hand-written edge cases and on every CSV in ../shared/fixtures
// (skipped without them).
#include "formats/csv.h"

#include <cstdlib>
#include <filesystem>
#include <random>

#include "base/files.h"
#include "fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::formats {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Read {
  std::vector<CsvRecord> records;
  std::vector<std::string> errors;
};

Read ReadAll(std::string_view text, CsvOptions options = {}) {
  Read out;
  CsvReader reader(text, options);
  CsvRecord record;
  for (int guard = 0; guard < 100000; ++guard) {
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) {
      out.errors.push_back(std::string(more.status().message()));
      continue;
    }
    if (!*more) return out;
    out.records.push_back(record);
  }
  ADD_FAILURE() << "the reader never reached the end";
  return out;
}

std::vector<std::string> Fields(std::initializer_list<const char*> f) {
  return {f.begin(), f.end()};
}

TEST(CsvReader, ReadsPlainRecordsWithTheirLines) {
  Read r = ReadAll("sku,location,on_hand\nA-1,wh-east,10\nB-2,wh-west,0\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].fields, Fields({"sku", "location", "on_hand"}));
  EXPECT_EQ(r.records[2].fields, Fields({"B-2", "wh-west", "0"}));
  EXPECT_EQ(r.records[2].line, 3);
}

TEST(CsvReader, CopesWithBomCrlfNoFinalLineEndAndBlankLines) {
  Read r = ReadAll("\xEF\xBB\xBFid,qty\r\n\r\n7,1\r\n8,2");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].fields, Fields({"id", "qty"}));  // the BOM is not part of "id"
  EXPECT_EQ(r.records[1].line, 3);
  EXPECT_EQ(r.records[2].fields, Fields({"8", "2"}));
  EXPECT_EQ(r.records[2].line, 4);
}

TEST(CsvReader, QuotedFieldsKeepDelimitersQuotesAndLineBreaks) {
  Read r = ReadAll("a,\"b,c\",\"say \"\"hi\"\"\"\n\"two\nlines\",x,\"\"\nlast,1,2\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].fields, Fields({"a", "b,c", "say \"hi\""}));
  EXPECT_EQ(r.records[1].fields, Fields({"two\nlines", "x", ""}));
  EXPECT_EQ(r.records[1].line, 2);
  EXPECT_EQ(r.records[2].line, 4);  // the line break inside the quotes counted
}

TEST(CsvReader, EmptyFieldsAndOtherDelimiters) {
  Read r = ReadAll("a;;c;\n", {.delimiter = ';'});
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, Fields({"a", "", "c", ""}));
  Read tabs = ReadAll("a\tb,c\n", {.delimiter = '\t'});
  EXPECT_EQ(tabs.records[0].fields, Fields({"a", "b,c"}));
}

TEST(CsvReader, AMalformedRecordIsOneErrorNamingItsLineAndReadingGoesOn) {
  Read r = ReadAll("h1,h2\nok,1\nbad\"quote,2\n\"closed\"then,3\nfine,4\n");
  EXPECT_THAT(r.errors, ElementsAre(HasSubstr("line 3: a quote inside unquoted field 0"),
                                    HasSubstr("line 4: text after the closing quote of field 0")));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2].fields, Fields({"fine", "4"}));
  EXPECT_EQ(r.records[2].line, 5);
}

TEST(CsvReader, AnUnclosedQuoteIsReportedWithTheLineItOpenedOn) {
  Read r = ReadAll("a,b\n1,\"never\nclosed\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_THAT(r.errors,
              ElementsAre(HasSubstr("line 2: the quoted field opened on line 2 is never closed")));
}

TEST(CsvReader, LimitsAreErrorsNotAllocations) {
  Read r = ReadAll("aaaaaaaaaa,b\nshort,c\n", {.max_field_bytes = 5});
  EXPECT_THAT(r.errors, ElementsAre(HasSubstr("line 1: a field longer than 5 bytes")));
  ASSERT_EQ(r.records.size(), 1u);
  Read q = ReadAll("\"aaaaaaaaaa\",b\n", {.max_field_bytes = 5});
  EXPECT_THAT(q.errors, ElementsAre(HasSubstr("a field longer than 5 bytes")));
  Read many = ReadAll("a,b,c,d\n", {.max_fields = 3});
  EXPECT_THAT(many.errors, ElementsAre(HasSubstr("more than 3 fields")));
}

TEST(CsvReader, NeverReadsPastItsInputOnAnyPrefix) {
  // Every prefix of a tricky text ends cleanly (ASan would see a read past the view).
  const std::string text = "\xEF\xBB\xBF\"a\"\"b\",\"c\r\nd\"\r\n,,\"\"\r\n\"x\"y,\"";
  for (size_t n = 0; n <= text.size(); ++n) {
    std::string prefix = text.substr(0, n);  // its own allocation, so ASan bounds it
    ReadAll(std::string_view(prefix));
  }
  std::mt19937 rng(7);
  const std::string alphabet = "ab,\"\r\n;";
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    Read r = ReadAll(s);
    for (const CsvRecord& rec : r.records) EXPECT_FALSE(rec.fields.empty());
  }
}

TEST(FindColumns, MatchesWithoutCaseAndNamesWhatIsMissing) {
  CsvRecord header{.line = 1, .fields = {"Handle", " SKU ", "Quantity"}};
  auto cols = FindColumns(header, {"sku", "quantity"});
  ASSERT_TRUE(cols.ok());
  EXPECT_THAT(*cols, ElementsAre(1u, 2u));
  EXPECT_THAT(FindColumns(header, {"sku", "location"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the header has no column \"location\"; it has: handle, sku, "
                                 "quantity")));
}

// ---- Published fixtures ----------------------------------------------------------------------

using ::disthub::testing::FixturesDir;

// Every CSV the fixtures hold reads without an error, every record as wide as its header.
TEST(CsvFixtures, EveryPublishedCsvReadsWithEveryRecordAsWideAsItsHeader) {
  if (!std::filesystem::exists(FixturesDir())) {
    GTEST_SKIP() << "no fixtures at " << FixturesDir() << " (../shared is absent in this clone)";
  }
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(FixturesDir())) {
    if (entry.path().extension() != ".csv") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    absl::StatusOr<std::string> text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    Read r = ReadAll(*text);
    EXPECT_TRUE(r.errors.empty()) << r.errors[0];
    ASSERT_GE(r.records.size(), 2u);
    EXPECT_NE(r.records[0].fields[0].substr(0, 3), "\xEF\xBB\xBF");
    for (const CsvRecord& rec : r.records) {
      EXPECT_EQ(rec.fields.size(), r.records[0].fields.size()) << "line " << rec.line;
    }
  }
  EXPECT_GE(files, 5);
}

}  // namespace
}  // namespace disthub::formats
