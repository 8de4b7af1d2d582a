#include "methods/ada_tucker/ada_tucker.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "methods/linalg/tucker.h"
#include "methods/shapes.h"

namespace lrb {

std::vector<int64_t> AdaTuckerShape(int64_t rows, int64_t cols, int order) {
  std::vector<int64_t> shape;
  for (int64_t f : BalancedFactors(rows, order / 2)) {
    if (f > 1) shape.push_back(f);
  }
  for (int64_t f : BalancedFactors(cols, order - order / 2)) {
    if (f > 1) shape.push_back(f);
  }
  return shape;
}

namespace {

int64_t TuckerParams(const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks) {
  int64_t n = NumElements(ranks);
  for (size_t k = 0; k < shape.size(); ++k) n += shape[k] * ranks[k];
  return n;
}

// Ranks proportional to the mode sizes, r_k = clamp(ceil(alpha n_k), 1, n_k).
std::vector<int64_t> ProportionalRanks(const std::vector<int64_t>& shape, double alpha) {
  std::vector<int64_t> ranks;
  for (int64_t n : shape) {
    ranks.push_back(std::clamp<int64_t>(static_cast<int64_t>(std::ceil(alpha * n - 1e-9)), 1, n));
  }
  return ranks;
}

class AdaTuckerMethod : public Method {
 public:
  std::string_view Id() const override { return "ada_tucker"; }
  std::string_view DisplayName() const override { return "ADA-Tucker"; }
  std::string_view Reference() const override {
    return "Zhong et al., ADA-Tucker: Compressing deep neural networks via adaptive dimension adjustment Tucker "
           "decomposition, Neural Networks 2019 (arXiv 1906.07671)";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<OptionSpec> Options() const override {
    return {{"order", "6", "order of the reshaped tensor (half the modes split the rows, half the columns)"},
            {"shape", "", "explicit tensor shape, comma-separated (product = rows * cols, row modes first)"},
            {"ranks", "", "explicit Tucker ranks, one per mode (overrides the budget's choice)"},
            {"hooi_iterations", "5", "HOOI sweeps after the HOSVD initialisation (0 = HOSVD only)"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    const int64_t m = w.rows(), n = w.cols();
    absl::StatusOr<int64_t> order = options.GetInt(Option("order"));
    absl::StatusOr<std::vector<int64_t>> shape = options.GetIntList(Option("shape"));
    absl::StatusOr<std::vector<int64_t>> given_ranks = options.GetIntList(Option("ranks"));
    absl::StatusOr<int64_t> sweeps = options.GetInt(Option("hooi_iterations"));
    for (const absl::Status& s : {order.status(), shape.status(), given_ranks.status(), sweeps.status()}) {
      if (!s.ok()) return s;
    }
    if (*order < 2) return absl::InvalidArgumentError(absl::StrFormat("option --order=%d must be >= 2", *order));
    if (shape->empty()) *shape = AdaTuckerShape(m, n, static_cast<int>(*order));
    if (NumElements(*shape) != m * n) {
      return absl::InvalidArgumentError(absl::StrFormat("option --shape=%s has %d elements, the matrix %d",
                                                        absl::StrJoin(*shape, ","), NumElements(*shape), m * n));
    }
    std::vector<int64_t> ranks;
    if (!given_ranks->empty()) {
      ranks = *given_ranks;
    } else if (budget.kind == Budget::Kind::kRank) {
      for (int64_t s : *shape) ranks.push_back(std::min(budget.rank(), s));
    } else {
      // Largest alpha whose proportional ranks fit the parameter limit (params grow with alpha).
      const int64_t limit = ParamLimit(budget, m, n);
      if (TuckerParams(*shape, ProportionalRanks(*shape, 0)) > limit) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s allows %d parameters; Tucker ranks of 1 on shape [%s] already need %d", BudgetToString(budget),
            limit, absl::StrJoin(*shape, ","), TuckerParams(*shape, ProportionalRanks(*shape, 0))));
      }
      double lo = 0, hi = 1;
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        (TuckerParams(*shape, ProportionalRanks(*shape, mid)) <= limit ? lo : hi) = mid;
      }
      ranks = ProportionalRanks(*shape, lo);
    }
    if (ranks.size() != shape->size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%d Tucker ranks for a tensor of order %d", ranks.size(), shape->size()));
    }
    if (budget.kind == Budget::Kind::kParamRatio && TuckerParams(*shape, ranks) > ParamLimit(budget, m, n)) {
      return absl::InvalidArgumentError(absl::StrFormat("Tucker ranks [%s] need %d parameters, over %s",
                                                        absl::StrJoin(ranks, ","), TuckerParams(*shape, ranks),
                                                        BudgetToString(budget)));
    }
    Tensor x(*shape);
    const std::vector<float> flat = RowMajor(w);
    x.data = flat;
    absl::StatusOr<TuckerTensor> t = Hooi(x, ranks, static_cast<int>(*sweeps));
    if (!t.ok()) return t.status();
    Compressed out{Tucker{m, n, *shape, std::move(*t)}, {}};
    for (size_t k = 0; k < ranks.size(); ++k) out.info.push_back({absl::StrFormat("rank_%d", k), ranks[k]});
    return out;
  }
};

}  // namespace

std::unique_ptr<Method> MakeAdaTuckerMethod() { return std::make_unique<AdaTuckerMethod>(); }

}  // namespace lrb
