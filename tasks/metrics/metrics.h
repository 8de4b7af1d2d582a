// The GLUE metrics as the Hugging Face GLUE metric computes them (scikit-learn and SciPy):
//   Accuracy              sklearn.metrics.accuracy_score
//   BinaryF1              sklearn.metrics.f1_score (average="binary", pos_label=1); 0 when there is
//                         no true and no predicted positive (sklearn's zero_division result, 0.0)
//   MatthewsCorrelation   sklearn.metrics.matthews_corrcoef (CoLA), multiclass form over the
//                         confusion matrix; 0 when the denominator is 0 (e.g. constant predictions)
//   PearsonCorrelation    scipy.stats.pearsonr(...)[0] (STS-B)
//   SpearmanCorrelation   scipy.stats.spearmanr(...)[0]: Pearson of the ranks, tied values getting
//                         their average rank (STS-B)
// Pearson and Spearman of a constant input (zero variance on either side) are NaN, as SciPy
// returns (with a warning); callers reporting a table should treat NaN as "undefined".
// Errors (InvalidArgument): different lengths, empty input; BinaryF1 also rejects labels other
// than 0 and 1 (sklearn rejects more than two classes with average="binary"); Pearson and
// Spearman reject non-finite values. Results are fractions; x100 is left to the caller.
#ifndef LRBENCH_TASKS_METRICS_METRICS_H_
#define LRBENCH_TASKS_METRICS_METRICS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

absl::StatusOr<double> Accuracy(const std::vector<int64_t>& predictions,
                                const std::vector<int64_t>& labels);

absl::StatusOr<double> BinaryF1(const std::vector<int64_t>& predictions,
                                const std::vector<int64_t>& labels);

absl::StatusOr<double> MatthewsCorrelation(const std::vector<int64_t>& predictions,
                                           const std::vector<int64_t>& labels);

absl::StatusOr<double> PearsonCorrelation(const std::vector<double>& predictions,
                                          const std::vector<double>& labels);

absl::StatusOr<double> SpearmanCorrelation(const std::vector<double>& predictions,
                                           const std::vector<double>& labels);

// Ranks 1..n of `values`, ties getting the average of their ranks (scipy.stats.rankdata
// method="average").
std::vector<double> AverageRanks(const std::vector<double>& values);

}  // namespace lrb

#endif  // LRBENCH_TASKS_METRICS_METRICS_H_
