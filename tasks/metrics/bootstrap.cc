#include "tasks/metrics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_format.h"

namespace lrb {
namespace {

absl::Status Check(int64_t n, const BootstrapOptions& o) {
  if (n < 1) return absl::InvalidArgumentError(absl::StrFormat("bootstrap over %d examples: need at least 1", n));
  if (o.resamples < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("bootstrap resamples %d: expected >= 1", o.resamples));
  }
  if (!(o.confidence > 0 && o.confidence < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("bootstrap confidence %g: expected a number in (0, 1)", o.confidence));
  }
  return absl::OkStatus();
}

// `statistic` on all examples, then on each resample, summarised.
BootstrapInterval Run(int64_t n, const ResampledMetric& statistic, const BootstrapOptions& o) {
  BootstrapInterval out;
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  out.estimate = statistic(all);
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<double> values(o.resamples);
  std::vector<int64_t> indices(n);
  for (double& v : values) {
    for (int64_t& i : indices) i = pick(rng);
    v = statistic(indices);
  }
  out.undefined = static_cast<int>(std::count_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }));
  if (out.undefined > 0 || !std::isfinite(out.estimate)) return out;
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double sum_sq = 0;
  for (double v : values) sum_sq += (v - mean) * (v - mean);
  out.standard_error = values.size() > 1 ? std::sqrt(sum_sq / static_cast<double>(values.size() - 1)) : 0.0;
  const double tail = 100 * (1 - o.confidence) / 2;
  out.low = Percentile(values, tail);
  out.high = Percentile(values, 100 - tail);
  return out;
}

}  // namespace

double Percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double h = (static_cast<double>(values.size()) - 1) * q / 100;
  const size_t below = static_cast<size_t>(std::floor(h));
  if (below + 1 >= values.size()) return values.back();
  return values[below] + (h - static_cast<double>(below)) * (values[below + 1] - values[below]);
}

absl::StatusOr<BootstrapInterval> Bootstrap(int64_t n, const ResampledMetric& metric, const BootstrapOptions& options) {
  if (absl::Status s = Check(n, options); !s.ok()) return s;
  return Run(n, metric, options);
}

absl::StatusOr<BootstrapInterval> PairedBootstrap(int64_t n, const ResampledMetric& metric_a,
                                                  const ResampledMetric& metric_b, const BootstrapOptions& options) {
  if (absl::Status s = Check(n, options); !s.ok()) return s;
  return Run(n, [&](const std::vector<int64_t>& indices) { return metric_b(indices) - metric_a(indices); }, options);
}

}  // namespace lrb
