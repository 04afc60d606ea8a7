// `disthub mapping test` as users run it: the real binary on the built-in mappings and
// their test payloads, with its output and exit statuses.
#include <string>

#include "cli_run.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

CliRun Mapping(const std::string& args, const std::string& stdin_text = "") {
  return RunDisthub("mapping test " + args, stdin_text);
}

TEST(MappingCli, PrintsTheCanonicalOrderAndASummary) {
  CliRun r = Mapping(Source("mappings/shopify-order.yaml") + " " +
                     Source("mappings/testdata/shopify-order.json") + " --var channel=shopify-us");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr(R"("channel":"shopify-us")"),
                           HasSubstr(R"("channel_order_ref":"9007199254740993")")));
  EXPECT_THAT(r.err, HasSubstr("shopify-order v1: ok, order 9007199254740993 with 2 lines, grand "
                               "total 49.37 USD"));
}

TEST(MappingCli, APayloadThatDoesNotMapExitsOneNamingEachError) {
  CliRun r = Mapping(Source("mappings/shopify-order.yaml") + " -",
                     R"({"id": 1, "currency": "USD", "line_items": [{"price": "1,00"}]})");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("shopify-order.yaml: rule placed_at at /created_at: is missing"),
                    HasSubstr("rule lines[].unit_price at /line_items/0/price: \"1,00\" is "
                              "not an amount in USD"),
                    HasSubstr("shopify-order v1: ")));
}

TEST(MappingCli, ListsAreMappedElementByElement) {
  CliRun r = Mapping(Source("mappings/woocommerce-order.yaml") + " - --list /orders",
                     R"({"orders": [{"id": 1}, {"id": 2}]})");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("[1] "), HasSubstr("woocommerce-order v2: 0 of 2 mapped")));
}

TEST(MappingCli, PrintsDocumentsOfOtherTargets) {
  CliRun r = Mapping(Source("mappings/easypost-tracker.yaml") + " " +
                     Source("mappings/testdata/easypost-tracker.json"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr(R"("tracking_number":"1Z999AA10123456784")"),
                           HasSubstr(R"("status":"out_for_delivery")")));
  EXPECT_THAT(r.err, HasSubstr("easypost-tracker v1: ok, tracking 1Z999AA10123456784 (ups): "
                               "out_for_delivery at 2026-11-28T15:02:10.000Z, 3 events"));
  r = Mapping(Source("mappings/shopify-fulfillment.yaml") + " -",
              R"({"id": 1, "order_id": 2, "status": "failure"})");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("rule checks.status at /status: \"failure\" is not in table"));
}

TEST(MappingCli, AnUnusableMappingOrPayloadExitsTwo) {
  EXPECT_EQ(Mapping("/nonexistent/m.yaml " + Source("mappings/testdata/shopify-order.json")).status,
            2);
  CliRun r = Mapping(Source("mappings/shopify-order.yaml") + " -", "{not json");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
  r = Mapping(Source("mappings/shopify-order.yaml") + " -", "<order/>");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("the payload is XML; mapping shopify-order reads JSON only"));
  r = Mapping(Source("mappings/walmart-order.yaml") + " -", "<order><id>1</order>");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("not well-formed XML at line 1, column 15: mismatched tag"));
}

// A mapping with formats: [xml] reads the partner's XML.
TEST(MappingCli, MapsXmlPayloadsForMappingsThatReadXml) {
  CliRun r = Mapping(Source("mappings/walmart-order.yaml") + " " +
                     Source("mappings/testdata/walmart-order.xml") + " --var channel=walmart-us");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("channel_order_ref":"4792982839777")"));
  EXPECT_THAT(r.err,
              HasSubstr("walmart-order v3: ok, order 4792982839777 with 2 lines, grand total "
                        "49.21 USD"));
}

}  // namespace
}  // namespace disthub::testing
