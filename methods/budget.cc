#include "methods/budget.h"

#include <algorithm>
#include <cmath>

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
