#include "methods/drone/drone.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

class DroneMethod : public Method {
 public:
  std::string_view Id() const override { return "drone"; }
  std::string_view DisplayName() const override { return "DRONE"; }
  std::string_view Reference() const override {
    return "Chen et al., DRONE: Data-aware low-rank compression for large NLP models, NeurIPS 2021";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<Statistic> Needs() const override { return {Statistic::kInputSecondMoment}; }
  std::vector<OptionSpec> Options() const override {
    return {{"eigen_floor", "1e-6",
             "eigenvalues of C = X^T X below this fraction of the largest are dropped (directions the data "
             "never visits; M maps them to zero)"},
            {"damping", "0",
             "adds damping * mean(diag C) * I to C before factoring; > 0 keeps some of W on unseen directions "
             "at the price of exact optimality for the data"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    absl::StatusOr<int64_t> rank = LowRankRank(budget, w.rows(), w.cols());
    if (!rank.ok()) return rank.status();
    absl::StatusOr<double> floor = options.GetDouble(Option("eigen_floor"), 0);
    absl::StatusOr<double> damping = options.GetDouble(Option("damping"));
    if (!floor.ok()) return floor.status();
    if (!damping.ok()) return damping.status();
    if (*damping < 0) return absl::InvalidArgumentError(absl::StrFormat("option --damping=%g is negative", *damping));
    Matrix c = *in.input_second_moment;
    if (*damping > 0) c.diagonal().array() += static_cast<float>(*damping * c.diagonal().mean());
    // C = L L^T, then M = [W L]_r L^+ minimises ||(W - M) L||_F = ||W X^T - M X^T||_F (methods.md, DRONE).
    absl::StatusOr<Whitening> wh = WhiteningFromSecondMoment(c, *floor);
    if (!wh.ok()) return wh.status();
    absl::StatusOr<Svd> svd = ExactSvd(w * wh->factor);
    if (!svd.ok()) return svd.status();
    // The data spans only k = rank(C) directions: M never needs more than rank k.
    const int64_t r = std::min<int64_t>(*rank, svd->s.size());
    LowRank f{svd->u.leftCols(r) * svd->s.head(r).asDiagonal(), svd->vt.topRows(r) * wh->pinv};
    return Compressed{std::move(f),
                      {{"rank", static_cast<double>(r)}, {"eigenvalues_dropped", static_cast<double>(wh->dropped)}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeDroneMethod() { return std::make_unique<DroneMethod>(); }

}  // namespace lrb
