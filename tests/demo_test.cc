// `disthub demo` end to end: a small trading day of the reference scenario must pass every
// check it makes against the simulators' own records (nothing oversold, lost or doubled,
// every bad request refused, every order settled) — also when the hub is killed with
// kill -9 in the middle of it and started again.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::testing {
namespace {

using ::testing::HasSubstr;

// Runs `disthub demo ARGS`; its exit status and output (stdout and stderr).
std::pair<int, std::string> Demo(const std::string& args) {
  const char* env = std::getenv("DISTHUB_BINARY");
  std::string binary = env && *env ? env : DISTHUB_DEFAULT_BINARY;
  FILE* p = popen((binary + " demo " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Demo, ATradingDayRunsAndEveryCheckHolds) {
  auto [status, out] = Demo("--fast --orders 400 --connections 8");
  EXPECT_EQ(status, 0) << out;
  EXPECT_THAT(
      out,
      HasSubstr("new order                                        400 sent     400 as expected"));
  EXPECT_THAT(out, HasSubstr("Orders by final state per channel:"));
  EXPECT_THAT(out, HasSubstr("oversells     0"));
  EXPECT_THAT(out, HasSubstr("lost          0"));
  EXPECT_THAT(out, HasSubstr("doubled       0"));
  EXPECT_THAT(out, HasSubstr("a second count finds 0"));
  EXPECT_THAT(out, HasSubstr(" settled "));
  EXPECT_THAT(out, HasSubstr("All checks passed"));
}

// The restart test of the orchestration issue: kill -9 the hub mid-day, start it again on
// the same port and store; the day's invariants still hold at the end.
TEST(Demo, KillNineOfTheHubMidDayLosesAndDoublesNothing) {
  auto [status, out] = Demo("--fast --orders 800 --connections 8 --kill-hub-after 300");
  EXPECT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("kill -9 of the hub"));
  EXPECT_THAT(out, HasSubstr("restarted in"));
  EXPECT_THAT(out, HasSubstr("lost          0"));
  EXPECT_THAT(out, HasSubstr("doubled       0"));
  EXPECT_THAT(out, HasSubstr("oversells     0"));
  EXPECT_THAT(out, HasSubstr("All checks passed"));
}

TEST(Demo, AConfigurationWithoutLocationsIsAClearError) {
  char tmpl[] = "/tmp/disthub-demo-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string file = std::string(tmpl) + "/hub.yaml";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("channels:\n  - name: dtc-web\n", f);
  fclose(f);
  auto [status, out] = Demo("--fast --orders 10 --config " + file);
  EXPECT_EQ(status, 2) << out;
  EXPECT_THAT(out, HasSubstr("no fulfillment.locations"));
  std::remove(file.c_str());
  rmdir(tmpl);
}

}  // namespace
}  // namespace disthub::testing
