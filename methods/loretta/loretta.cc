#include "methods/loretta/loretta.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "methods/linalg/tensor_train.h"
#include "methods/shapes.h"

namespace lrb {

std::vector<int64_t> CappedTtRanks(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes,
                                   int64_t cap) {
  const size_t d = row_modes.size();
  std::vector<int64_t> ranks;
  for (size_t k = 0; k + 1 < d; ++k) {
    int64_t left = 1, right = 1;
    for (size_t i = 0; i <= k; ++i) left *= row_modes[i] * col_modes[i];
    for (size_t i = k + 1; i < d; ++i) right *= row_modes[i] * col_modes[i];
    ranks.push_back(std::min({left, right, cap}));
  }
  return ranks;
}

namespace {

class LorettaMethod : public Method {
 public:
  std::string_view Id() const override { return "loretta"; }
  std::string_view DisplayName() const override { return "LoRETTA"; }
  std::string_view Reference() const override {
    return "Yang et al., LoRETTA: Low-rank economic tensor-train adaptation for ultra-low-parameter fine-tuning of "
           "LLMs, NAACL 2024 (arXiv 2402.11417)";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<OptionSpec> Options() const override {
    return {{"order", "3", "number of TT cores (each row and column dimension split into this many factors)"},
            {"row_modes", "", "explicit row factors, comma-separated (product = rows)"},
            {"col_modes", "", "explicit column factors (product = cols, as many as row_modes)"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    const int64_t m = w.rows(), n = w.cols();
    absl::StatusOr<int64_t> order = options.GetInt(Option("order"));
    absl::StatusOr<std::vector<int64_t>> rows = options.GetIntList(Option("row_modes"));
    absl::StatusOr<std::vector<int64_t>> cols = options.GetIntList(Option("col_modes"));
    for (const absl::Status& s : {order.status(), rows.status(), cols.status()}) {
      if (!s.ok()) return s;
    }
    if (*order < 1) return absl::InvalidArgumentError(absl::StrFormat("option --order=%d must be >= 1", *order));
    if (rows->empty()) *rows = BalancedFactors(m, static_cast<int>(*order));
    if (cols->empty()) *cols = BalancedFactors(n, static_cast<int>(*order));
    if (NumElements(*rows) != m || NumElements(*cols) != n || rows->size() != cols->size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "TT modes [%s] x [%s] do not make a %dx%d matrix with as many row as column modes",
          absl::StrJoin(*rows, ","), absl::StrJoin(*cols, ","), m, n));
    }
    int64_t cap = 0;
    if (budget.kind == Budget::Kind::kRank) {
      cap = budget.rank();
    } else {
      // Largest uniform bond rank whose capped ranks fit the parameter limit.
      const int64_t limit = ParamLimit(budget, m, n);
      const int64_t most = std::max<int64_t>(1, m * n);
      for (int64_t r = 1; r <= most; ++r) {
        const std::vector<int64_t> ranks = CappedTtRanks(*rows, *cols, r);
        if (TtMatrixParams(*rows, *cols, ranks) > limit) break;
        cap = r;
        if (ranks == CappedTtRanks(*rows, *cols, most)) break;  // full rank reached
      }
      if (cap == 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s allows %d parameters; a TT matrix of rank 1 on modes [%s] x [%s] already needs %d",
            BudgetToString(budget), limit, absl::StrJoin(*rows, ","), absl::StrJoin(*cols, ","),
            TtMatrixParams(*rows, *cols, CappedTtRanks(*rows, *cols, 1))));
      }
    }
    absl::StatusOr<TtMatrix> tt = TtMatrixFromDense(w, *rows, *cols, CappedTtRanks(*rows, *cols, cap));
    if (!tt.ok()) return tt.status();
    Compressed out{TensorTrainMatrix{std::move(*tt)}, {{"tt_rank", static_cast<double>(cap)}}};
    return out;
  }
};

}  // namespace

std::unique_ptr<Method> MakeLorettaMethod() { return std::make_unique<LorettaMethod>(); }

}  // namespace lrb
