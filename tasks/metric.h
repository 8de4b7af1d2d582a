// Metric names as a type: every metric a task scores or a table column names, from the one list in
// tasks/metric.inc, with the conversions to and from the names records and specs spell.
#ifndef LRB_TASKS_METRIC_H_
#define LRB_TASKS_METRIC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

enum class Metric {
#define LRB_METRIC(enumerator, name) enumerator,
#include "tasks/metric.inc"
#undef LRB_METRIC
};

// Every metric, in tasks/metric.inc's order.
const std::vector<Metric>& AllMetrics();

// "accuracy", "matthews_correlation", "forward_ms", ...
const char* MetricName(Metric metric);

// The metric spelled `name`; InvalidArgument "unknown metric '<name>' (accuracy, f1, ...)" otherwise.
absl::StatusOr<Metric> ParseMetric(const std::string& name);

// forward_ms and speedup: measured by the runner's "speed" rows, not scored against labels.
bool IsLatencyMetric(Metric metric);

}  // namespace lrb

#endif  // LRB_TASKS_METRIC_H_
