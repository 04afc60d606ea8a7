// The conformance suite every connector type passes (connectors/connector.h). src/app
// instantiates it over the registration list, so a type added there is checked without
// another line (a binary includes this header once: the tests are defined here):
//
//   INSTANTIATE_TEST_SUITE_P(Registered, ConnectorConformance,
//                            ::testing::ValuesIn(ConnectorTypes()));
//
// What it holds every type to: a complete schema (documented keys, valid defaults and
// examples); its example configuration reads cleanly and an unknown key, a missing
// required key or a value of the wrong type is refused naming the key and line; an
// instance made from the examples starts, describes itself, stops promptly, stops twice,
// and can be stopped without being started.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/yaml_reader.h"
#include "connectors/connector.h"
#include "connectors/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observe/metrics.h"

namespace disthub::testing {

inline void PrintTo(const connectors::ConnectorType* t, std::ostream* os) { *os << t->name; }

class ConnectorConformance : public ::testing::TestWithParam<const connectors::ConnectorType*> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-connector-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }

  const connectors::ConnectorType& type() const { return *GetParam(); }

  // A value with {scratch} (created as a folder for paths) and {source} (the source tree)
  // replaced.
  std::string Example(const connectors::SettingSpec& s) const {
    std::string v = s.example;
    if (size_t at = v.find("{source}"); at != std::string::npos) {
      v.replace(at, 8, DISTHUB_DEFAULT_SOURCE_DIR);
      return v;
    }
    if (size_t at = v.find("{scratch}"); at != std::string::npos) {
      v.replace(at, 9, scratch_);
      if (s.type == connectors::SettingType::kPath) std::filesystem::create_directories(v);
    }
    return v;
  }

  // The YAML block of an instance: every example, minus `leave_out`, plus `extra`.
  std::string Block(const std::string& leave_out = "", const std::string& extra = "") const {
    std::string yaml = StrCat("name: conformance\ntype: ", type().name, "\n");
    for (const connectors::SettingSpec& s : type().settings) {
      if (s.key == leave_out) continue;
      yaml += StrCat(s.key, ": \"", Example(s), "\"\n");
    }
    return yaml + extra;
  }

  // Reads `yaml` as a connectors[] block would be read; returns the errors.
  std::vector<std::string> Read(const std::string& yaml,
                                connectors::Settings* out = nullptr) const {
    std::vector<std::string> errors;
    YAML::Node node = YAML::Load(yaml);
    {
      const std::string file = "conformance.yaml";  // the reader keeps a reference
      YamlReader r(node, "connectors[0]", file, &errors);
      std::string name, type_name;
      r.Required("name", name);
      r.Required("type", type_name);
      connectors::Settings s = connectors::ReadSettings(type().settings, r, scratch_ + "/x.yaml");
      if (out != nullptr) *out = std::move(s);
    }
    return errors;
  }

  // An instance made from the examples (nullptr, with a test failure, if it cannot be).
  std::unique_ptr<connectors::Connector> MakeFromExamples() {
    connectors::Settings settings;
    std::vector<std::string> errors = Read(Block(), &settings);
    EXPECT_THAT(errors, ::testing::IsEmpty());
    absl::StatusOr<std::unique_ptr<connectors::Connector>> made =
        type().create("conformance", settings, host_);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *std::move(made) : nullptr;
  }

  std::string scratch_;
  FakeConnectorHost host_;
};

TEST_P(ConnectorConformance, ItsSchemaIsCompleteAndDocumented) {
  EXPECT_FALSE(type().name.empty());
  EXPECT_EQ(type().name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"),
            std::string::npos)
      << "type names are lower-case words joined by '-'";
  EXPECT_FALSE(type().summary.empty());
  ASSERT_TRUE(type().create != nullptr);
  std::set<std::string> keys;
  for (const connectors::SettingSpec& s : type().settings) {
    SCOPED_TRACE(s.key);
    EXPECT_TRUE(keys.insert(s.key).second) << "a key listed twice";
    EXPECT_NE(s.key, "name");
    EXPECT_NE(s.key, "type");
    EXPECT_FALSE(s.doc.empty()) << "every setting says what it is for";
    if (!s.default_value) {
      EXPECT_FALSE(s.example.empty()) << "a required setting shows a value";
    }
    EXPECT_EQ(connectors::CheckSettingValue(s.type, Example(s)), "");
    if (s.default_value && !s.default_value->empty()) {
      EXPECT_EQ(connectors::CheckSettingValue(s.type, *s.default_value), "");
    }
  }
}

TEST_P(ConnectorConformance, ItsExampleConfigurationReadsCleanly) {
  connectors::Settings settings;
  EXPECT_THAT(Read(Block(), &settings), ::testing::IsEmpty());
  for (const connectors::SettingSpec& s : type().settings) {
    EXPECT_TRUE(settings.values().count(s.key)) << s.key;
  }
}

TEST_P(ConnectorConformance, AnUnknownKeyIsRefusedWithItsLine) {
  std::string yaml = Block("", "no_such_setting: 1\n");
  int line = static_cast<int>(std::count(yaml.begin(), yaml.end(), '\n'));
  EXPECT_THAT(Read(yaml),
              ::testing::ElementsAre(::testing::HasSubstr(StrCat(
                  "conformance.yaml:", line, ": connectors[0].no_such_setting: unknown key"))));
}

TEST_P(ConnectorConformance, EachRequiredKeyLeftOutIsNamed) {
  for (const connectors::SettingSpec& s : type().settings) {
    if (s.default_value) continue;
    EXPECT_THAT(Read(Block(s.key)), ::testing::ElementsAre(::testing::HasSubstr(
                                        StrCat("connectors[0].", s.key, ": is required"))));
  }
}

TEST_P(ConnectorConformance, AValueOfTheWrongTypeIsNamed) {
  for (const connectors::SettingSpec& s : type().settings) {
    if (s.type == connectors::SettingType::kString || s.type == connectors::SettingType::kPath) {
      continue;
    }
    std::string yaml =
        Block(s.key, StrCat(s.key, ": \"not-a-", connectors::SettingTypeName(s.type), "\"\n"));
    EXPECT_THAT(Read(yaml), ::testing::ElementsAre(
                                ::testing::HasSubstr(StrCat("connectors[0].", s.key, ": must be"))))
        << s.key;
  }
}

TEST_P(ConnectorConformance, StartsDescribesItselfAndStopsPromptlyAndTwice) {
  std::unique_ptr<connectors::Connector> c = MakeFromExamples();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Start().ok());
  boost::json::object d = c->Describe();
  EXPECT_EQ(d["name"], "conformance");
  EXPECT_EQ(d["type"], boost::json::value(type().name));
  auto t0 = std::chrono::steady_clock::now();
  c->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  c->Stop();
  EXPECT_EQ(c->Describe()["name"], "conformance");
}

TEST_P(ConnectorConformance, CanBeStoppedAndDestroyedWithoutStarting) {
  std::unique_ptr<connectors::Connector> c = MakeFromExamples();
  ASSERT_NE(c, nullptr);
  c->Stop();
  c.reset();
}

}  // namespace disthub::testing
