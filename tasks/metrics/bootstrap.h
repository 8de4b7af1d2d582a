// Bootstrap confidence intervals over evaluation examples (issue #24): a metric recomputed on `resamples` sets
// of n examples drawn with replacement (seeded), the interval read off the resampled values' percentiles as
// numpy.percentile does (linear interpolation; what rouge_score's BootstrapAggregator uses), and the standard
// deviation of the resampled values as the standard error. The paired form draws the same examples for two
// systems and bootstraps the difference, so the interval of a delta to a baseline reflects only the examples.
#ifndef LRB_TASKS_METRICS_BOOTSTRAP_H_
#define LRB_TASKS_METRICS_BOOTSTRAP_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

struct BootstrapOptions {
  int resamples = 1000;
  double confidence = 0.95;  // in (0, 1)
  uint64_t seed = 42;
};

struct BootstrapInterval {
  double estimate = 0;  // the metric on all examples
  double low = 0, high = 0;
  double standard_error = 0;
  // Resamples on which the metric is undefined (not finite: e.g. Matthews or Pearson on a resample whose
  // predictions are all one value). When any is, or the estimate itself is undefined, low, high and
  // standard_error are not computed (0): the interval is not reported.
  int undefined = 0;
};

// The metric of the examples at `indices` (an index may repeat).
using ResampledMetric = std::function<double(const std::vector<int64_t>& indices)>;
// Several metrics of the examples at `indices`, always as many and in the same order.
using ResampledMetrics = std::function<std::vector<double>(const std::vector<int64_t>& indices)>;

// InvalidArgument for n < 1, resamples < 1 or a confidence outside (0, 1), naming the value.
absl::StatusOr<BootstrapInterval> Bootstrap(int64_t n, const ResampledMetric& metric, const BootstrapOptions& options);
// One interval per metric of `metrics`, all from the same resamples (each set of examples drawn once): what
// Bootstrap gives for each metric alone, at the cost of one pass.
absl::StatusOr<std::vector<BootstrapInterval>> BootstrapEach(int64_t n, const ResampledMetrics& metrics,
                                                             const BootstrapOptions& options);
// The interval of metric_b - metric_a, both evaluated on the same resampled examples.
absl::StatusOr<BootstrapInterval> PairedBootstrap(int64_t n, const ResampledMetric& metric_a,
                                                  const ResampledMetric& metric_b, const BootstrapOptions& options);

// numpy.percentile(values, q) with the default linear interpolation; q in [0, 100], values not empty.
double Percentile(std::vector<double> values, double q);

}  // namespace lrb

#endif  // LRB_TASKS_METRICS_BOOTSTRAP_H_
