#include "methods/budget.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace lrb {

std::string BudgetKindName(Budget::Kind kind) {
  switch (kind) {
    case Budget::Kind::kRank:
      return "rank";
    case Budget::Kind::kParamRatio:
      return "param_ratio";
    case Budget::Kind::kBits:
      return "bits";
  }
  return "?";
}

absl::StatusOr<Budget> MakeBudget(Budget::Kind kind, double value) {
  if (kind == Budget::Kind::kParamRatio) {
    if (!(value > 0 && value <= 1)) return absl::InvalidArgumentError("expected a number in (0, 1]");
    return Budget::ParamRatio(value);
  }
  // A rank below 2^53 is exact as a double; a bit width is an int.
  const double limit = kind == Budget::Kind::kRank ? 9007199254740992.0 : 2147483648.0;
  if (!(value >= 1 && value < limit) || value != std::floor(value)) {
    return absl::InvalidArgumentError("expected a positive integer");
  }
  return kind == Budget::Kind::kRank ? Budget::Rank(static_cast<int64_t>(value))
                                     : Budget::Bits(static_cast<int>(value));
}

absl::StatusOr<Budget> ParseBudget(Budget::Kind kind, absl::string_view text) {
  if (kind == Budget::Kind::kParamRatio) {
    double p = 0;
    if (!absl::SimpleAtod(text, &p)) return absl::InvalidArgumentError("expected a number in (0, 1]");
    return MakeBudget(kind, p);
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("expected a positive integer");
  return MakeBudget(kind, static_cast<double>(v));
}

std::string BudgetToString(const Budget& b) {
  return b.kind == Budget::Kind::kParamRatio ? absl::StrFormat("param_ratio=%g", b.value)
                                             : absl::StrFormat("%s=%d", BudgetKindName(b.kind),
                                                               static_cast<int64_t>(b.value));
}

int64_t ParamLimit(const Budget& b, int64_t rows, int64_t cols) {
  return static_cast<int64_t>(std::floor(b.value * static_cast<double>(rows) * static_cast<double>(cols)));
}

absl::StatusOr<int64_t> LowRankRank(const Budget& b, int64_t rows, int64_t cols) {
  int64_t r = 0;
  if (b.kind == Budget::Kind::kRank) {
    r = b.rank();
  } else if (b.kind == Budget::Kind::kParamRatio) {
    r = ParamLimit(b, rows, cols) / (rows + cols);
  } else {
    return absl::InvalidArgumentError(absl::StrFormat("a low-rank form takes a rank or a param_ratio, not %s",
                                                      BudgetToString(b)));
  }
  const int64_t max_rank = std::min(rows, cols);
  if (r < 1 || r > max_rank) {
    return absl::InvalidArgumentError(absl::StrFormat("%s gives rank %d, outside [1, %d] for a %dx%d matrix",
                                                      BudgetToString(b), r, max_rank, rows, cols));
  }
  return r;
}

}  // namespace lrb
