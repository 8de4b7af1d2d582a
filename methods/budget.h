// What a compression may keep: a rank, a share of the dense parameter count, or a bit width.
// Every method converts its budget to a concrete configuration and reports what it actually stored.
#ifndef LRB_METHODS_BUDGET_H_
#define LRB_METHODS_BUDGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace lrb {

struct Budget {
  enum class Kind { kRank, kParamRatio, kBits };
  Kind kind = Kind::kRank;
  double value = 0;

  static Budget Rank(int64_t r) { return {Kind::kRank, static_cast<double>(r)}; }
  static Budget ParamRatio(double p) { return {Kind::kParamRatio, p}; }
  static Budget Bits(int b) { return {Kind::kBits, static_cast<double>(b)}; }

  int64_t rank() const { return static_cast<int64_t>(value); }
  int bits() const { return static_cast<int>(value); }
};

// "rank", "param_ratio", "bits" (the command-line flag names).
std::string BudgetKindName(Budget::Kind kind);
// e.g. "rank=192", "param_ratio=0.25", "bits=4".
std::string BudgetToString(const Budget& b);

// The largest parameter count a ratio budget allows for an out x in matrix: floor(p * out * in).
int64_t ParamLimit(const Budget& b, int64_t rows, int64_t cols);

// Rank of a two-factor low-rank form: the rank itself, or floor(p * m * n / (m + n)) for a ratio,
// refused outside [1, min(m, n)] with a message naming the budget and the shape.
absl::StatusOr<int64_t> LowRankRank(const Budget& b, int64_t rows, int64_t cols);

}  // namespace lrb

#endif  // LRB_METHODS_BUDGET_H_
