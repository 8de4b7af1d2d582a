#include "methods/losparse/losparse.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_format.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

class LoSparseMethod : public Method {
 public:
  std::string_view Id() const override { return "losparse"; }
  std::string_view DisplayName() const override { return "LoSparse"; }
  std::string_view Reference() const override {
    return "Li et al., LoSparse: Structured compression of LLMs based on low-rank and sparse approximation, "
           "ICML 2023 (arXiv 2306.11222)";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<OptionSpec> Options() const override {
    return {{"lowrank_share", "0.5",
             "param_ratio budgets: share of the kept parameters given to U and V; the rest keeps whole rows of S "
             "(each row costs its values plus one index)"},
            {"sparse_rows", "0", "rank budgets: rows of the residual S to keep"},
            {"keep_all_rows", "0",
             "1: keep every row of S whatever the budget (the start of pruning during fine-tuning, which prunes S "
             "to the budget: runtime/model/row_pruning.h); U and V get the budget's rank as usual"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    const int64_t m = w.rows(), n = w.cols();
    int64_t rank = 0, rows = 0;
    if (budget.kind == Budget::Kind::kParamRatio) {
      absl::StatusOr<double> share = options.GetDouble(Option("lowrank_share"));
      if (!share.ok()) return share.status();
      if (!(*share > 0 && *share <= 1)) {
        return absl::InvalidArgumentError(absl::StrFormat("option --lowrank_share=%g is outside (0, 1]", *share));
      }
      const int64_t limit = ParamLimit(budget, m, n);
      absl::StatusOr<int64_t> r = LowRankRank(Budget::ParamRatio(budget.value * *share), m, n);
      if (!r.ok()) return r.status();
      rank = *r;
      rows = (limit - rank * (m + n)) / (n + 1);  // a kept row costs its n values and its index
    } else {
      absl::StatusOr<int64_t> r = LowRankRank(budget, m, n);
      absl::StatusOr<int64_t> k = options.GetInt(Option("sparse_rows"));
      if (!r.ok()) return r.status();
      if (!k.ok()) return k.status();
      rank = *r;
      rows = *k;
    }
    absl::StatusOr<int64_t> all = options.GetInt(Option("keep_all_rows"));
    if (!all.ok()) return all.status();
    if (*all != 0 && *all != 1) return absl::InvalidArgumentError(absl::StrFormat("option --keep_all_rows=%d is not 0 or 1", *all));
    if (*all == 1) rows = m;
    if (rows < 0 || rows > m) {
      return absl::InvalidArgumentError(absl::StrFormat("%d sparse rows is outside [0, %d]", rows, m));
    }
    absl::StatusOr<Svd> svd = ExactSvd(w);
    if (!svd.ok()) return svd.status();
    LowRankPlusSparse f;
    f.low_rank.left = svd->u.leftCols(rank) * svd->s.head(rank).asDiagonal();
    f.low_rank.right = svd->vt.topRows(rank);
    const Matrix residual = w - f.low_rank.left * f.low_rank.right;
    // Before any gradient exists, a row's importance is its residual energy: keeping the largest rows
    // minimises ||W - U V - S||_F among row-structured S. Fine-tuning replaces this with the
    // |S * grad S| moving average (LoSparse, Sec. 3.2).
    const Vector energy = residual.rowwise().squaredNorm();
    std::vector<int64_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return energy[a] > energy[b]; });
    f.rows.assign(order.begin(), order.begin() + rows);
    std::sort(f.rows.begin(), f.rows.end());
    f.sparse_rows.resize(rows, n);
    for (int64_t k = 0; k < rows; ++k) f.sparse_rows.row(k) = residual.row(f.rows[k]);
    return Compressed{std::move(f), {{"rank", static_cast<double>(rank)}, {"sparse_rows", static_cast<double>(rows)}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeLoSparseMethod() { return std::make_unique<LoSparseMethod>(); }

}  // namespace lrb
