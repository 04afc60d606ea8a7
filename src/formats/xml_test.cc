#include "formats/xml.h"

#include <boost/json.hpp>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::formats {
namespace {

namespace json = boost::json;
using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

json::value Read(std::string_view xml) {
  absl::StatusOr<json::value> v = ParseXml(xml);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : json::value();
}

TEST(Xml, ElementsBecomeMembersTextAndAttributesAsDocumented) {
  const json::value v = Read(R"(<?xml version="1.0" encoding="UTF-8"?>
<ns:order xmlns:ns="urn:example:orders" id="7">
  <line><sku>A</sku></line>
  <line><sku>B</sku><qty>2</qty></line>
  <note/>
  <amount currency="USD">12.50</amount>
  <memo>Fish &amp; chips <![CDATA[<not markup>]]> &#233;t&#xE9;</memo>
</ns:order>)");
  EXPECT_EQ(v, json::parse(R"({"order": {
      "@id": "7",
      "line": [{"sku": "A"}, {"sku": "B", "qty": "2"}],
      "note": "",
      "amount": {"@currency": "USD", "#text": "12.50"},
      "memo": "Fish & chips <not markup> \u00e9t\u00e9"}})"));
}

TEST(Xml, OneElementAloneIsNotAListAndRepeatsKeepTheirOrder) {
  EXPECT_EQ(Read("<a><b>1</b></a>"), json::parse(R"({"a": {"b": "1"}})"));
  EXPECT_EQ(Read("<a><b>1</b><c/><b>2</b><b>3</b></a>"),
            json::parse(R"({"a": {"b": ["1", "2", "3"], "c": ""}})"));
  // Nested lists stay lists of their own.
  EXPECT_EQ(Read("<a><b><c>1</c><c>2</c></b><b><c>3</c></b></a>"),
            json::parse(R"({"a": {"b": [{"c": ["1", "2"]}, {"c": "3"}]}})"));
}

TEST(Xml, NamespacesAreDroppedFromElementsAndAttributes) {
  EXPECT_EQ(Read(R"(<p:a xmlns:p="urn:p" xmlns:q="urn:q" q:kind="x"><q:b>1</q:b></p:a>)"),
            json::parse(R"({"a": {"@kind": "x", "b": "1"}})"));
}

TEST(Xml, MixedContentKeepsItsTextAndDropsIndentation) {
  EXPECT_EQ(Read("<a>\n  <b>1</b>\n</a>"), json::parse(R"({"a": {"b": "1"}})"));
  EXPECT_EQ(Read("<a>before<b>1</b>after</a>"),
            json::parse(R"({"a": {"b": "1", "#text": "beforeafter"}})"));
}

TEST(Xml, ByteOrderMarksAndOtherEncodingsAreRead) {
  EXPECT_EQ(Read("\xEF\xBB\xBF<a>\xC3\xA9</a>"), json::parse(R"({"a": "\u00e9"})"));
  EXPECT_EQ(Read("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9</a>"),
            json::parse(R"({"a": "\u00e9"})"));
  const std::string utf16("\xFF\xFE<\0a\0/\0>\0", 10);
  EXPECT_TRUE(LooksLikeXml(utf16));
  EXPECT_EQ(Read(utf16), json::parse(R"({"a": ""})"));
}

TEST(Xml, MalformedDocumentsAreRefusedWithLineAndColumn) {
  EXPECT_THAT(ParseXml("<a>\n<b></a>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not well-formed XML at line 2, column 6: mismatched tag")));
  EXPECT_THAT(ParseXml(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParseXml("<a>1</a><b/>"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("junk after")));
  EXPECT_THAT(ParseXml("<a>&undefined;</a>"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("undefined entity")));
  EXPECT_THAT(ParseXml("{\"not\": \"xml\"}"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// No document type definitions: an entity bomb or an external entity never gets read.
TEST(Xml, ADoctypeIsRefusedSoNoEntityIsEverExpanded) {
  const std::string bomb = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>)";
  EXPECT_THAT(ParseXml(bomb),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("XML refused at line 2, column 16: a DOCTYPE is not accepted")));
  EXPECT_THAT(ParseXml(R"(<!DOCTYPE a SYSTEM "file:///etc/passwd"><a>&x;</a>)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DOCTYPE")));
}

TEST(Xml, LimitsAreErrorsNotAllocations) {
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "<a>";
  EXPECT_THAT(ParseXml(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("nested deeper than 64 levels")));
  EXPECT_THAT(ParseXml("<a>" + std::string(100, 'x') + "</a>", {}, {.max_text_bytes = 50}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 50 bytes")));
  EXPECT_THAT(ParseXml("<a>1</a>", {}, {.max_bytes = 4}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than 4 bytes")));
}

TEST(Xml, TheTreeIsBuiltInTheStorageGiven) {
  json::monotonic_resource arena;
  json::storage_ptr sp(&arena);
  absl::StatusOr<json::value> v = ParseXml("<a x=\"1\"><b>1</b><b>2</b></a>", sp);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->storage().get(), sp.get());
  EXPECT_EQ(v->at("a").at("b").as_array().storage().get(), sp.get());
}

TEST(Xml, LooksLikeXmlSkipsAByteOrderMarkAndWhiteSpace) {
  EXPECT_TRUE(LooksLikeXml("\xEF\xBB\xBF  \n<a/>"));
  EXPECT_FALSE(LooksLikeXml(" {\"a\": 1}"));
  EXPECT_FALSE(LooksLikeXml(""));
}

}  // namespace
}  // namespace disthub::formats
