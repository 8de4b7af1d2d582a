#include "tasks/metric.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tasks/task.h"

namespace lrb {
namespace {

// The list drives both directions: every enumerator has a distinct name that parses back to it.
TEST(MetricTest, EveryNameRoundTrips) {
  std::set<std::string> names;
  for (Metric m : AllMetrics()) {
    const std::string name = MetricName(m);
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    absl::StatusOr<Metric> back = ParseMetric(name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, m) << name;
  }
  EXPECT_EQ(names.size(), 11u);
  // The spellings committed records and specs use.
  EXPECT_STREQ(MetricName(Metric::kMatthewsCorrelation), "matthews_correlation");
  EXPECT_STREQ(MetricName(Metric::kSpearman), "spearmanr");
  EXPECT_STREQ(MetricName(Metric::kRougeLsum), "rougeLsum");
  EXPECT_STREQ(MetricName(Metric::kForwardMs), "forward_ms");
}

TEST(MetricTest, UnknownNamesAreRefusedByName) {
  for (const std::string name : {"", "Accuracy", "mcc", "rougel", "rouge1 "}) {
    absl::StatusOr<Metric> m = ParseMetric(name);
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_EQ(m.status().message().substr(0, 19 + name.size()), "unknown metric '" + name + "' (") << m.status();
  }
}

// Tasks score only real metrics; the latency ones come from "speed" rows.
TEST(MetricTest, TasksScoreNoLatencyMetric) {
  for (const TaskInfo& t : AllTasks()) {
    EXPECT_FALSE(t.metrics.empty()) << t.id;
    for (Metric m : t.metrics) EXPECT_FALSE(IsLatencyMetric(m)) << t.id << " " << MetricName(m);
  }
  EXPECT_TRUE(IsLatencyMetric(Metric::kSpeedup));
  EXPECT_FALSE(IsLatencyMetric(Metric::kAccuracy));
}

}  // namespace
}  // namespace lrb
