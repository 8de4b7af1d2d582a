// What a compression may keep: a rank, a share of the dense parameter count, or a bit width.
// Every method converts its budget to a concrete configuration and reports what it actually stored.
#ifndef LRB_METHODS_BUDGET_H_
#define LRB_METHODS_BUDGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

// "rank", "param_ratio", "bits" (the command-line flag names and the specs' budget keys).
std::string BudgetKindName(Budget::Kind kind);

// The one check of a budget's value, shared by the flags (--rank=R, --param_ratio=P, --bits=B) and the specs'
// "budget" objects: a param_ratio is a number in (0, 1], a rank or a bit width a positive integer. Otherwise
// InvalidArgument "expected a number in (0, 1]" or "expected a positive integer", which the caller prefixes
// with where the value came from ("--rank=0: ...", "t1.json: grid.rows[0].budget.rank: ...").
absl::StatusOr<Budget> MakeBudget(Budget::Kind kind, double value);
// The same from a flag's text: a decimal number for param_ratio, an integer for rank and bits.
absl::StatusOr<Budget> ParseBudget(Budget::Kind kind, absl::string_view text);
// e.g. "rank=192", "param_ratio=0.25", "bits=4".
std::string BudgetToString(const Budget& b);

// The largest parameter count a ratio budget allows for an out x in matrix: floor(p * out * in).
int64_t ParamLimit(const Budget& b, int64_t rows, int64_t cols);

// Rank of a two-factor low-rank form: the rank itself, or floor(p * m * n / (m + n)) for a ratio,
// refused outside [1, min(m, n)] with a message naming the budget and the shape.
absl::StatusOr<int64_t> LowRankRank(const Budget& b, int64_t rows, int64_t cols);

}  // namespace lrb

#endif  // LRB_METHODS_BUDGET_H_
