// Every registered connector type passes the conformance suite, and connector blocks in
// the configuration file are checked against their type's schema.
#include "app/connectors.h"

#include "app/config.h"
#include "connectors/connector_conformance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::ConnectorConformance;
using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

INSTANTIATE_TEST_SUITE_P(Registered, ConnectorConformance, ::testing::ValuesIn(ConnectorTypes()),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param->name) name += c == '-' ? '_' : c;
                           return name;
                         });

TEST(ConnectorConfig, ABlockIsReadAgainstItsTypesSchemaWithDefaultsAndResolvedPaths) {
  auto c = ParseConfig(R"(
channels:
  - name: web
connectors:
  - name: nightly-stock
    type: csv-inventory-count
    folder: drop/stock
    location: wh-east
  - name: west-stock
    type: csv-inventory-count
    folder: /srv/west
    apply: false
)",
                       "/etc/disthub/hub.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->connectors.size(), 2u);
  const connectors::Settings& s = c->connectors[0].settings;
  EXPECT_EQ(c->connectors[0].type, "csv-inventory-count");
  EXPECT_EQ(s.String("folder"), "/etc/disthub/drop/stock");
  EXPECT_EQ(s.String("location"), "wh-east");
  EXPECT_EQ(s.String("pattern"), "*.csv");
  EXPECT_TRUE(s.Bool("apply"));
  EXPECT_FALSE(c->connectors[1].settings.Bool("apply"));
  EXPECT_EQ(c->connectors[1].settings.String("folder"), "/srv/west");
}

TEST(ConnectorConfig, MistakesAreNamedWithTheirLine) {
  auto c = ParseConfig(R"(
connectors:
  - name: a
    type: csv-inventory-cuont
    folder: x
  - name: b
    type: csv-inventory-count
    folder: y
    poll_interval_ms: soon
    folder_typo: z
  - name: b
    type: csv-inventory-count
)",
                       "hub.yaml");
  ASSERT_FALSE(c.ok());
  const std::string errors(c.status().message());
  EXPECT_THAT(errors, HasSubstr("hub.yaml:4: connectors[0].type: \"csv-inventory-cuont\" is not a "
                                "connector type (known: csv-inventory-count, rest-order-poller, signed-webhook, x12-file-drop)"));
  EXPECT_THAT(errors, HasSubstr("hub.yaml:9: connectors[1].poll_interval_ms: must be whole "
                                "milliseconds ≥ 0, not \"soon\""));
  EXPECT_THAT(errors, HasSubstr("hub.yaml:10: connectors[1].folder_typo: unknown key"));
  EXPECT_THAT(errors, HasSubstr("connectors[2].folder: is required"));
  EXPECT_THAT(errors, ::testing::Not(HasSubstr("connectors[0].folder")))
      << "the keys of an unknown type are not reported one by one";
}

TEST(ConnectorConfig, TwoInstancesCannotShareAName) {
  auto c = ParseConfig(R"(
channels:
  - name: web
connectors:
  - {name: b, type: csv-inventory-count, folder: x}
  - {name: b, type: csv-inventory-count, folder: y}
)",
                       "hub.yaml");
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("connectors[1].name: \"b\" is defined twice")));
}

TEST(ConnectorTypes, TheListingDocumentsEverySetting) {
  std::string listing = DescribeConnectorTypes();
  for (const connectors::ConnectorType* t : ConnectorTypes()) {
    EXPECT_THAT(listing, HasSubstr(t->name + ": " + t->summary));
    for (const connectors::SettingSpec& s : t->settings) {
      EXPECT_THAT(listing, HasSubstr("  " + s.key + " (")) << s.key;
    }
  }
  EXPECT_THAT(listing, HasSubstr("folder (path, required)"));
  EXPECT_THAT(listing, HasSubstr("pattern (string, default \"*.csv\")"));
  EXPECT_EQ(FindConnectorType("no-such-type"), nullptr);
}

}  // namespace
}  // namespace disthub
