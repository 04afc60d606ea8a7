#include "observe/metrics.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub {
namespace {

using ::testing::HasSubstr;

TEST(Registry, RendersPrometheusTextFormat) {
  Registry r;
  r.Counter("disthub_http_requests_total", "HTTP requests served.",
            {{"route", "/v1/orders"}, {"method", "POST"}, {"status", "201"}})
      ->Inc(3);
  r.Counter("disthub_http_requests_total", "ignored: help comes from the first call",
            {{"status", "400"}, {"route", "/v1/orders"}, {"method", "POST"}})
      ->Inc();
  r.Gauge("disthub_outbox_pending", "Events waiting for delivery.")->Set(7);
  r.GaugeFn("disthub_build_info", "Build information.", {{"version", "0.1.0"}}, [] { return 1.0; });
  ::disthub::Histogram* h =
      r.Histogram("disthub_batch_size", "Commands per group commit.", {}, {1, 2.5, 10});
  h->Observe(1);
  h->Observe(2);
  h->Observe(2.5);
  h->Observe(100);

  EXPECT_EQ(r.Render(),
            "# HELP disthub_batch_size Commands per group commit.\n"
            "# TYPE disthub_batch_size histogram\n"
            "disthub_batch_size_bucket{le=\"1\"} 1\n"
            "disthub_batch_size_bucket{le=\"2.5\"} 3\n"
            "disthub_batch_size_bucket{le=\"10\"} 3\n"
            "disthub_batch_size_bucket{le=\"+Inf\"} 4\n"
            "disthub_batch_size_sum 105.5\n"
            "disthub_batch_size_count 4\n"
            "# HELP disthub_build_info Build information.\n"
            "# TYPE disthub_build_info gauge\n"
            "disthub_build_info{version=\"0.1.0\"} 1\n"
            "# HELP disthub_http_requests_total HTTP requests served.\n"
            "# TYPE disthub_http_requests_total counter\n"
            "disthub_http_requests_total{method=\"POST\",route=\"/v1/orders\",status=\"201\"} 3\n"
            "disthub_http_requests_total{method=\"POST\",route=\"/v1/orders\",status=\"400\"} 1\n"
            "# HELP disthub_outbox_pending Events waiting for delivery.\n"
            "# TYPE disthub_outbox_pending gauge\n"
            "disthub_outbox_pending 7\n");
}

TEST(Registry, ReturnsTheSamePointerForTheSameSeriesWhateverTheLabelOrder) {
  Registry r;
  Counter* a = r.Counter("c_total", "c", {{"x", "1"}, {"y", "2"}});
  Counter* b = r.Counter("c_total", "c", {{"y", "2"}, {"x", "1"}});
  Counter* other = r.Counter("c_total", "c", {{"x", "1"}, {"y", "3"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  EXPECT_EQ(r.Histogram("h", "h", {}, LatencyBuckets()),
            r.Histogram("h", "h", {}, LatencyBuckets()));
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.Counter("errors_total", "Errors, by \"reason\"\\path\nsecond line",
            {{"reason", "say \"hi\"\\ now\nplease"}})
      ->Inc();
  EXPECT_EQ(r.Render(),
            "# HELP errors_total Errors, by \"reason\"\\\\path\\nsecond line\n"
            "# TYPE errors_total counter\n"
            "errors_total{reason=\"say \\\"hi\\\"\\\\ now\\nplease\"} 1\n");
}

TEST(Registry, RendersHistogramLabelsBeforeLe) {
  Registry r;
  r.Histogram("lat_seconds", "l", {{"route", "/a"}}, {0.5})->Observe(0.25);
  EXPECT_THAT(r.Render(), HasSubstr("lat_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
                                    "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
                                    "lat_seconds_sum{route=\"/a\"} 0.25\n"
                                    "lat_seconds_count{route=\"/a\"} 1\n"));
}

TEST(Registry, RendersSpecialGaugeValues) {
  Registry r;
  r.GaugeFn("g", "g", {{"k", "inf"}}, [] { return INFINITY; });
  r.GaugeFn("g", "g", {{"k", "nan"}}, [] { return NAN; });
  r.Gauge("g", "g", {{"k", "neg"}})->Add(-0.5);
  EXPECT_THAT(r.Render(), HasSubstr("g{k=\"inf\"} +Inf\n"
                                    "g{k=\"nan\"} NaN\n"
                                    "g{k=\"neg\"} -0.5\n"));
}

TEST(Registry, GaugeFnIsEvaluatedAtRenderTimeAndCanBeReplaced) {
  Registry r;
  double depth = 1;
  r.GaugeFn("queue_depth", "q", {}, [&] { return depth; });
  EXPECT_THAT(r.Render(), HasSubstr("queue_depth 1\n"));
  depth = 42;
  EXPECT_THAT(r.Render(), HasSubstr("queue_depth 42\n"));
  r.GaugeFn("queue_depth", "q", {}, [] { return 5.0; });
  EXPECT_THAT(r.Render(), HasSubstr("queue_depth 5\n"));
}

TEST(Histogram, CountsEachObservationInTheFirstBucketWhoseBoundIsAtLeastIt) {
  Histogram h({1, 2, 4});
  for (double v : {0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 1e9}) h.Observe(v);
  h.Observe(NAN);                   // ignored
  EXPECT_EQ(h.BucketCount(0), 2u);  // 0, 1
  EXPECT_EQ(h.BucketCount(1), 2u);  // 1.5, 2
  EXPECT_EQ(h.BucketCount(2), 2u);  // 3, 4
  EXPECT_EQ(h.BucketCount(3), 2u);  // +Inf: 4.5, 1e9
  EXPECT_EQ(h.Count(), 8u);
  EXPECT_DOUBLE_EQ(h.Sum(), 0 + 1 + 1.5 + 2 + 3 + 4 + 4.5 + 1e9);
}

TEST(Histogram, DropsATrailingInfiniteBound) {
  Histogram h({1, INFINITY});
  EXPECT_EQ(h.upper_bounds(), std::vector<double>{1});
}

TEST(Buckets, AreStrictlyIncreasingAndSpanTheDocumentedRange) {
  const std::vector<double> lat = LatencyBuckets();
  EXPECT_EQ(lat.front(), 0.0001);
  EXPECT_EQ(lat.back(), 10);
  EXPECT_TRUE(std::is_sorted(lat.begin(), lat.end()));
  EXPECT_EQ(SizeBuckets(),
            (std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}));
}

TEST(Metrics, ConcurrentUpdatesFromFourThreadsAddUp) {
  Registry r;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r] {
      // Each thread looks the series up itself, racing on creation too.
      Counter* c = r.Counter("ops_total", "ops", {{"kind", "x"}});
      Gauge* g = r.Gauge("level", "level");
      Histogram* h = r.Histogram("size", "size", {}, SizeBuckets());
      for (int i = 0; i < kPerThread; ++i) {
        c->Inc();
        g->Add(1);
        h->Observe(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.Counter("ops_total", "ops", {{"kind", "x"}})->Value(), kThreads * kPerThread);
  EXPECT_EQ(r.Gauge("level", "level")->Value(), kThreads * kPerThread);
  Histogram* h = r.Histogram("size", "size", {}, SizeBuckets());
  EXPECT_EQ(h->BucketCount(2), uint64_t{kThreads * kPerThread});  // le=4
  EXPECT_EQ(h->Sum(), 3.0 * kThreads * kPerThread);
}

TEST(RegistryDeathTest, RejectsMisuse) {
  Registry r;
  r.Counter("x_total", "x");
  EXPECT_DEATH(r.Gauge("x_total", "x"), "another metric type");
  EXPECT_DEATH(r.Counter("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(r.Counter("y_total", "y", {{"a", "1"}, {"a", "2"}}), "given twice");
  EXPECT_DEATH(r.Histogram("h", "h", {{"le", "1"}}, {1}), "reserve the label 'le'");
  r.Histogram("h2", "h", {}, {1, 2});
  EXPECT_DEATH(r.Histogram("h2", "h", {}, {1, 3}), "other buckets");
  EXPECT_DEATH(Histogram({2, 1}), "strictly increasing");
}

}  // namespace
}  // namespace disthub
