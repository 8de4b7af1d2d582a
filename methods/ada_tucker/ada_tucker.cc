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

// Numbers stored by Tucker forms of these shapes at these ranks sharing one core (one shape: a plain Tucker form).
int64_t TuckerParams(const std::vector<std::vector<int64_t>>& shapes, const std::vector<int64_t>& ranks) {
  int64_t n = NumElements(ranks);
  for (const std::vector<int64_t>& shape : shapes) {
    for (size_t k = 0; k < shape.size(); ++k) n += shape[k] * ranks[k];
  }
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
            {"hooi_iterations", "5", "HOOI sweeps after the HOSVD initialisation (0 = HOSVD only); with --shared_core, "
                                     "the shared-core fit's sweeps"},
            {"shared_core", "0", "1: SCADA-Tucker, the layers compressed together share one core (ranks at most "
                                 "every layer's mode sizes; a ratio budget bounds their total)"}};
  }
  bool CompressesJointly(const MethodOptions& options) const override {
    absl::StatusOr<int64_t> shared = options.GetInt(Option("shared_core"));
    return shared.ok() && *shared == 1;
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    absl::StatusOr<std::vector<Compressed>> out = DoCompressLayers({in}, budget, options);
    if (!out.ok()) return out.status();
    return std::move(out->front());
  }

  // One layer: HOSVD + HOOI. Several (or --shared_core): every layer reshaped to the same order, one core.
  absl::StatusOr<std::vector<Compressed>> DoCompressLayers(const std::vector<LayerInputs>& layers, const Budget& budget,
                                                           const MethodOptions& options) const override {
    absl::StatusOr<int64_t> order = options.GetInt(Option("order"));
    absl::StatusOr<std::vector<int64_t>> given_shape = options.GetIntList(Option("shape"));
    absl::StatusOr<std::vector<int64_t>> given_ranks = options.GetIntList(Option("ranks"));
    absl::StatusOr<int64_t> sweeps = options.GetInt(Option("hooi_iterations"));
    absl::StatusOr<int64_t> shared = options.GetInt(Option("shared_core"));
    for (const absl::Status& s : {order.status(), given_shape.status(), given_ranks.status(), sweeps.status(), shared.status()}) {
      if (!s.ok()) return s;
    }
    if (*order < 2) return absl::InvalidArgumentError(absl::StrFormat("option --order=%d must be >= 2", *order));
    if (*shared != 0 && *shared != 1) {
      return absl::InvalidArgumentError(absl::StrFormat("option --shared_core=%d must be 0 or 1", *shared));
    }
    if (*shared == 0 && layers.size() > 1) return Method::DoCompressLayers(layers, budget, options);
    std::vector<std::vector<int64_t>> shapes;
    int64_t total_size = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      const int64_t m = layers[l].weight->rows(), n = layers[l].weight->cols();
      total_size += m * n;
      shapes.push_back(given_shape->empty() ? AdaTuckerShape(m, n, static_cast<int>(*order)) : *given_shape);
      if (NumElements(shapes[l]) != m * n) {
        return absl::InvalidArgumentError(absl::StrFormat("option --shape=%s has %d elements, the matrix %d",
                                                          absl::StrJoin(shapes[l], ","), NumElements(shapes[l]), m * n));
      }
      if (shapes[l].size() != shapes[0].size()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "layer %d (%dx%d) reshapes to order %d ([%s]), layer 0 to order %d: a shared core needs one order", l, m,
            n, shapes[l].size(), absl::StrJoin(shapes[l], ","), shapes[0].size()));
      }
    }
    std::vector<int64_t> smallest = shapes[0];  // every rank fits every layer's modes
    for (const std::vector<int64_t>& shape : shapes) {
      for (size_t k = 0; k < shape.size(); ++k) smallest[k] = std::min(smallest[k], shape[k]);
    }
    // A ratio budget's limit on the stored numbers: floor(p * the layers' total size), as for one [total, 1] matrix.
    const int64_t limit = ParamLimit(budget, total_size, 1);
    std::vector<int64_t> ranks;
    if (!given_ranks->empty()) {
      ranks = *given_ranks;
    } else if (budget.kind == Budget::Kind::kRank) {
      for (int64_t s : smallest) ranks.push_back(std::min(budget.rank(), s));
    } else {
      // Largest alpha whose proportional ranks fit the parameter limit (params grow with alpha).
      if (TuckerParams(shapes, ProportionalRanks(smallest, 0)) > limit) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s allows %d parameters; Tucker ranks of 1 on shape [%s] already need %d", BudgetToString(budget),
            limit, absl::StrJoin(smallest, ","), TuckerParams(shapes, ProportionalRanks(smallest, 0))));
      }
      double lo = 0, hi = 1;
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        (TuckerParams(shapes, ProportionalRanks(smallest, mid)) <= limit ? lo : hi) = mid;
      }
      ranks = ProportionalRanks(smallest, lo);
    }
    if (ranks.size() != smallest.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%d Tucker ranks for a tensor of order %d", ranks.size(), smallest.size()));
    }
    if (budget.kind == Budget::Kind::kParamRatio && TuckerParams(shapes, ranks) > limit) {
      return absl::InvalidArgumentError(absl::StrFormat("Tucker ranks [%s] need %d parameters, over %s",
                                                        absl::StrJoin(ranks, ","), TuckerParams(shapes, ranks),
                                                        BudgetToString(budget)));
    }
    std::vector<Tensor> xs;
    for (size_t l = 0; l < layers.size(); ++l) {
      Tensor x(shapes[l]);
      x.data = RowMajor(*layers[l].weight);
      xs.push_back(std::move(x));
    }
    std::vector<Compressed> out;
    auto add = [&](size_t l, TuckerTensor t) {
      Compressed c{Tucker{layers[l].weight->rows(), layers[l].weight->cols(), shapes[l], std::move(t)}, {}};
      for (size_t k = 0; k < ranks.size(); ++k) c.info.push_back({absl::StrFormat("rank_%d", k), ranks[k]});
      c.shares_tucker_core = *shared == 1;
      out.push_back(std::move(c));
    };
    if (*shared == 0) {
      absl::StatusOr<TuckerTensor> t = Hooi(xs[0], ranks, static_cast<int>(*sweeps));
      if (!t.ok()) return t.status();
      add(0, *std::move(t));
      return out;
    }
    absl::StatusOr<SharedCoreTucker> t = FitSharedCoreTucker(xs, ranks, static_cast<int>(*sweeps));
    if (!t.ok()) return t.status();
    for (size_t l = 0; l < layers.size(); ++l) {
      add(l, TuckerTensor{t->core, std::move(t->factors[l])});
      out.back().info.push_back({"shared_fit_error", std::sqrt(t->errors.back())});
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Method> MakeAdaTuckerMethod() { return std::make_unique<AdaTuckerMethod>(); }

}  // namespace lrb
