#include "tasks/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lrb {
namespace {

template <typename T>
absl::Status CheckSizes(const char* metric, const std::vector<T>& predictions,
                        const std::vector<T>& labels) {
  if (predictions.size() != labels.size()) {
    return absl::InvalidArgumentError(absl::StrCat(metric, ": ", predictions.size(),
                                                   " predictions but ", labels.size(), " labels"));
  }
  if (predictions.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(metric, ": empty input (0 predictions)"));
  }
  return absl::OkStatus();
}

absl::Status CheckFiniteValues(const char* metric, const char* name,
                               const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(metric, ": ", name, "[", i, "] is ", values[i], ", expected a finite value"));
    }
  }
  return absl::OkStatus();
}

// Pearson of already checked inputs, as scipy.stats.pearsonr: centred vectors normalized before
// the dot product, clipped to [-1, 1]; NaN when either side is constant.
double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  long double mean_x = 0.0L;
  long double mean_y = 0.0L;
  for (size_t i = 0; i < n; ++i) {
    mean_x += x[i];
    mean_y += y[i];
  }
  mean_x /= n;
  mean_y /= n;
  long double sxx = 0.0L;
  long double syy = 0.0L;
  long double sxy = 0.0L;
  for (size_t i = 0; i < n; ++i) {
    const long double dx = x[i] - mean_x;
    const long double dy = y[i] - mean_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx == 0.0L || syy == 0.0L) return std::numeric_limits<double>::quiet_NaN();
  const double r = static_cast<double>(sxy / (std::sqrt(sxx) * std::sqrt(syy)));
  return std::clamp(r, -1.0, 1.0);
}

}  // namespace

absl::StatusOr<double> Accuracy(const std::vector<int64_t>& predictions,
                                const std::vector<int64_t>& labels) {
  if (absl::Status s = CheckSizes("accuracy", predictions, labels); !s.ok()) return s;
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

absl::StatusOr<double> BinaryF1(const std::vector<int64_t>& predictions,
                                const std::vector<int64_t>& labels) {
  if (absl::Status s = CheckSizes("F1", predictions, labels); !s.ok()) return s;
  int64_t tp = 0;
  int64_t fp = 0;
  int64_t fn = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    for (const auto& [name, v] : {std::pair<const char*, int64_t>{"prediction", predictions[i]},
                                  std::pair<const char*, int64_t>{"label", labels[i]}}) {
      if (v != 0 && v != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("F1: ", name, " ", i, " is ", v, ", expected 0 or 1 (binary F1)"));
      }
    }
    tp += predictions[i] == 1 && labels[i] == 1;
    fp += predictions[i] == 1 && labels[i] == 0;
    fn += predictions[i] == 0 && labels[i] == 1;
  }
  const int64_t denominator = 2 * tp + fp + fn;
  return denominator == 0 ? 0.0 : 2.0 * tp / static_cast<double>(denominator);
}

absl::StatusOr<double> MatthewsCorrelation(const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels) {
  if (absl::Status s = CheckSizes("Matthews correlation", predictions, labels); !s.ok()) return s;
  // sklearn: t_k, p_k = true and predicted counts of class k, c = correct, s = samples;
  // MCC = (c s - sum t_k p_k) / sqrt((s^2 - sum p_k^2) (s^2 - sum t_k^2)).
  std::map<int64_t, int64_t> true_counts;
  std::map<int64_t, int64_t> predicted_counts;
  long double correct = 0.0L;
  for (size_t i = 0; i < labels.size(); ++i) {
    ++true_counts[labels[i]];
    ++predicted_counts[predictions[i]];
    correct += predictions[i] == labels[i];
  }
  const long double samples = static_cast<long double>(labels.size());
  long double tp_sum = 0.0L;
  long double pp_sum = 0.0L;
  long double tt_sum = 0.0L;
  for (const auto& [k, t] : true_counts) {
    tt_sum += static_cast<long double>(t) * t;
    auto it = predicted_counts.find(k);
    if (it != predicted_counts.end()) tp_sum += static_cast<long double>(t) * it->second;
  }
  for (const auto& [k, p] : predicted_counts) pp_sum += static_cast<long double>(p) * p;
  const long double cov_ytyp = correct * samples - tp_sum;
  const long double cov_ypyp = samples * samples - pp_sum;
  const long double cov_ytyt = samples * samples - tt_sum;
  if (cov_ypyp * cov_ytyt == 0.0L) return 0.0;
  return static_cast<double>(cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp));
}

absl::StatusOr<double> PearsonCorrelation(const std::vector<double>& predictions,
                                          const std::vector<double>& labels) {
  if (absl::Status s = CheckSizes("Pearson", predictions, labels); !s.ok()) return s;
  if (absl::Status s = CheckFiniteValues("Pearson", "predictions", predictions); !s.ok()) return s;
  if (absl::Status s = CheckFiniteValues("Pearson", "labels", labels); !s.ok()) return s;
  return Pearson(predictions, labels);
}

absl::StatusOr<double> SpearmanCorrelation(const std::vector<double>& predictions,
                                           const std::vector<double>& labels) {
  if (absl::Status s = CheckSizes("Spearman", predictions, labels); !s.ok()) return s;
  if (absl::Status s = CheckFiniteValues("Spearman", "predictions", predictions); !s.ok()) return s;
  if (absl::Status s = CheckFiniteValues("Spearman", "labels", labels); !s.ok()) return s;
  return Pearson(AverageRanks(predictions), AverageRanks(labels));
}

std::vector<double> AverageRanks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&values](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  size_t start = 0;
  while (start < order.size()) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of start+1 .. end
    for (size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

}  // namespace lrb
