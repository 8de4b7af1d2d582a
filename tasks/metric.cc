#include "tasks/metric.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {

const std::vector<Metric>& AllMetrics() {
  static const std::vector<Metric>* const all = new std::vector<Metric>{
#define LRB_METRIC(enumerator, name) Metric::enumerator,
#include "tasks/metric.inc"
#undef LRB_METRIC
  };
  return *all;
}

const char* MetricName(Metric metric) {
  switch (metric) {
#define LRB_METRIC(enumerator, name) \
  case Metric::enumerator:           \
    return name;
#include "tasks/metric.inc"
#undef LRB_METRIC
  }
  return "?";
}

absl::StatusOr<Metric> ParseMetric(const std::string& name) {
  std::vector<std::string> names;
  for (Metric m : AllMetrics()) {
    if (name == MetricName(m)) return m;
    names.emplace_back(MetricName(m));
  }
  return absl::InvalidArgumentError(absl::StrFormat("unknown metric '%s' (%s)", name, absl::StrJoin(names, ", ")));
}

bool IsLatencyMetric(Metric metric) { return metric == Metric::kForwardMs || metric == Metric::kSpeedup; }

}  // namespace lrb
