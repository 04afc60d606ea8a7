// `disthub demo` end to end: a small run of the reference scenario must pass every
// check it makes (nothing lost, nothing doubled, every bad request refused).
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::testing {
namespace {

TEST(Demo, TheScenarioRunsAndEveryCheckHolds) {
  const char* env = std::getenv("DISTHUB_BINARY");
  std::string binary = env && *env ? env : DISTHUB_DEFAULT_BINARY;
  FILE* p = popen((binary + " demo --orders 400 --connections 8 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("accepted (201, new order)                 400"));
  EXPECT_THAT(out, ::testing::HasSubstr("lost 0   doubled 0"));
  EXPECT_THAT(out, ::testing::HasSubstr("All checks passed"));
}

}  // namespace
}  // namespace disthub::testing
