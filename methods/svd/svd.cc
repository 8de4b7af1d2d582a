#include "methods/svd/svd.h"

#include "absl/strings/str_format.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

class SvdMethod : public Method {
 public:
  std::string_view Id() const override { return "svd"; }
  std::string_view DisplayName() const override { return "SVD"; }
  std::string_view Reference() const override { return "truncated SVD (Eckart-Young); Halko et al. 2011 for the randomized solver"; }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<OptionSpec> Options() const override {
    return {{"solver", "exact", "exact (LAPACK sgesdd) or randomized (range finder + power iterations)"},
            {"oversampling", "10", "randomized: extra sample columns"},
            {"power_iterations", "2", "randomized: subspace iterations"},
            {"seed", "0", "randomized: Gaussian test matrix seed"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    absl::StatusOr<int64_t> rank = LowRankRank(budget, w.rows(), w.cols());
    if (!rank.ok()) return rank.status();
    const std::string solver = options.Get(Option("solver"));
    absl::StatusOr<Svd> svd;
    if (solver == "exact") {
      svd = ExactSvd(w);
      if (svd.ok()) *svd = Truncate(*svd, *rank);
    } else if (solver == "randomized") {
      absl::StatusOr<int64_t> p = options.GetInt(Option("oversampling"), 0);
      absl::StatusOr<int64_t> q = options.GetInt(Option("power_iterations"), 0);
      absl::StatusOr<int64_t> seed = options.GetInt(Option("seed"));
      for (const absl::Status& s : {p.status(), q.status(), seed.status()}) {
        if (!s.ok()) return s;
      }
      svd = RandomizedSvd(w, *rank, {*p, *q, static_cast<uint64_t>(*seed)});
    } else {
      return absl::InvalidArgumentError(absl::StrFormat("option --solver=%s: expected exact or randomized", solver));
    }
    if (!svd.ok()) return svd.status();
    // The HF convention of the seeds folds S into the left factor; any split stores the same count.
    LowRank f{svd->u * svd->s.asDiagonal(), svd->vt};
    return Compressed{std::move(f), {{"rank", static_cast<double>(*rank)}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeSvdMethod() { return std::make_unique<SvdMethod>(); }

}  // namespace lrb
