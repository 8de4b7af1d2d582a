#include "methods/fwsvd/fwsvd.h"

#include "absl/strings/str_format.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

class FwsvdMethod : public Method {
 public:
  std::string_view Id() const override { return "fwsvd"; }
  std::string_view DisplayName() const override { return "FWSVD"; }
  std::string_view Reference() const override {
    return "Hsu et al., Language model compression with weighted low-rank factorization, ICLR 2022 (arXiv 2207.00112)";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<Statistic> Needs() const override { return {Statistic::kFisher}; }
  std::vector<OptionSpec> Options() const override {
    return {{"weight_floor", "1e-6",
             "input-feature importances d_j below this fraction of max_j d_j are raised to it (d_j = 0 would make "
             "diag(d)^-1 undefined)"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    absl::StatusOr<int64_t> rank = LowRankRank(budget, w.rows(), w.cols());
    if (!rank.ok()) return rank.status();
    absl::StatusOr<double> floor = options.GetDouble(Option("weight_floor"), 0);
    if (!floor.ok()) return floor.status();
    // Importance is shared along each input feature: sum the Fisher over the output dimension
    // (Hsu et al. 2022, Sec. 3.2; the HF weight is [out, in], so sum over rows).
    Vector d = in.fisher->colwise().sum().transpose().cwiseMax(0.0f).cwiseSqrt();
    const float top = d.maxCoeff();
    if (!(top > 0)) {
      return absl::InvalidArgumentError("statistic fisher is zero everywhere: no importance to weight with");
    }
    const float lower = static_cast<float>(*floor) * top;
    int64_t raised = 0;
    for (int64_t j = 0; j < d.size(); ++j) {
      if (d[j] < lower) {
        d[j] = lower;
        ++raised;
      }
    }
    absl::StatusOr<LowRankFactors> f = WeightedSvd(w, d, *rank);
    if (!f.ok()) return f.status();
    return Compressed{LowRank{std::move(f->left), std::move(f->right)},
                      {{"rank", static_cast<double>(*rank)}, {"weights_floored", static_cast<double>(raised)}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeFwsvdMethod() { return std::make_unique<FwsvdMethod>(); }

}  // namespace lrb
