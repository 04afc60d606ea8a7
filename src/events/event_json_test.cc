#include "events/event_json.h"

#include <boost/json.hpp>

#include "gtest/gtest.h"

namespace disthub {
namespace {

TEST(EventJson, PageCarriesEveryFieldAndTheNextCursor) {
  EventRecord e{.seq = 7,
                .type = "order.received",
                .subject = "ord_1",
                .correlation_id = "ord_1",
                .causation_id = "req_\"quoted\"",
                .occurred_at = absl::FromUnixMillis(1'767'225'600'123),
                .recorded_at = absl::FromUnixMillis(1'767'225'600'456),
                .payload = R"({"id":"ord_1","n":18446744073709551615})"};
  boost::json::value page = boost::json::parse(EventPageJson({e}, 6));
  const auto& ev = page.at("events").at(0);
  EXPECT_EQ(ev.at("seq").as_int64(), 7);
  EXPECT_EQ(ev.at("type").as_string(), "order.received");
  EXPECT_EQ(ev.at("causation_id").as_string(), "req_\"quoted\"");
  EXPECT_EQ(ev.at("occurred_at").as_string(), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(ev.at("recorded_at").as_string(), "2026-01-01T00:00:00.456Z");
  EXPECT_EQ(ev.at("payload").at("n").as_uint64(), 18446744073709551615u);  // spliced, exact
  EXPECT_EQ(page.at("next_after").as_int64(), 7);
}

TEST(EventJson, EmptyPageKeepsTheCursor) {
  boost::json::value page = boost::json::parse(EventPageJson({}, 42));
  EXPECT_TRUE(page.at("events").as_array().empty());
  EXPECT_EQ(page.at("next_after").as_int64(), 42);
}

}  // namespace
}  // namespace disthub
