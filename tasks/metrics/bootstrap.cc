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

// One interval per statistic: each on all examples, then on each resample, summarised.
std::vector<BootstrapInterval> Run(int64_t n, const ResampledMetrics& statistics, const BootstrapOptions& o) {
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  const std::vector<double> estimates = statistics(all);
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<std::vector<double>> values(estimates.size(), std::vector<double>(o.resamples));  // [statistic][resample]
  std::vector<int64_t> indices(n);
  for (int r = 0; r < o.resamples; ++r) {
    for (int64_t& i : indices) i = pick(rng);
    const std::vector<double> v = statistics(indices);
    for (size_t k = 0; k < v.size(); ++k) values[k][r] = v[k];
  }
  std::vector<BootstrapInterval> out(estimates.size());
  for (size_t k = 0; k < out.size(); ++k) {
    out[k].estimate = estimates[k];
    const std::vector<double>& vk = values[k];
    out[k].undefined = static_cast<int>(std::count_if(vk.begin(), vk.end(), [](double v) { return !std::isfinite(v); }));
    if (out[k].undefined > 0 || !std::isfinite(out[k].estimate)) continue;
    const double mean = std::accumulate(vk.begin(), vk.end(), 0.0) / static_cast<double>(vk.size());
    double sum_sq = 0;
    for (double v : vk) sum_sq += (v - mean) * (v - mean);
    out[k].standard_error = vk.size() > 1 ? std::sqrt(sum_sq / static_cast<double>(vk.size() - 1)) : 0.0;
    const double tail = 100 * (1 - o.confidence) / 2;
    out[k].low = Percentile(vk, tail);
    out[k].high = Percentile(vk, 100 - tail);
  }
  return out;
}

// A single metric as a one-element list.
ResampledMetrics One(const ResampledMetric& metric) {
  return [&metric](const std::vector<int64_t>& indices) { return std::vector<double>{metric(indices)}; };
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
  return Run(n, One(metric), options).front();
}

absl::StatusOr<std::vector<BootstrapInterval>> BootstrapEach(int64_t n, const ResampledMetrics& metrics,
                                                             const BootstrapOptions& options) {
  if (absl::Status s = Check(n, options); !s.ok()) return s;
  return Run(n, metrics, options);
}

absl::StatusOr<BootstrapInterval> PairedBootstrap(int64_t n, const ResampledMetric& metric_a,
                                                  const ResampledMetric& metric_b, const BootstrapOptions& options) {
  if (absl::Status s = Check(n, options); !s.ok()) return s;
  const ResampledMetric difference = [&](const std::vector<int64_t>& indices) {
    return metric_b(indices) - metric_a(indices);
  };
  return Run(n, One(difference), options).front();
}

}  // namespace lrb
