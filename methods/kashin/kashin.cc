#include "methods/kashin/kashin.h"

#include "absl/strings/str_format.h"
#include "methods/linalg/kashin.h"
#include "methods/linalg/kmeans.h"

namespace lrb {
namespace {

constexpr int kMaxBits = 8;

class KashinMethod : public Method {
 public:
  std::string_view Id() const override { return "kashin"; }
  std::string_view DisplayName() const override { return "Kashin"; }
  std::string_view Reference() const override {
    return "Kashin representation quantization (seed 002; MerkulovDaniil/kquantize); Lyubarskii & Vershynin 2010";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kBits}; }
  std::vector<OptionSpec> Options() const override {
    return {{"max_iterations", "100", "cap on the greedy Kashin steps"},
            {"tolerance", "1e-4", "stop when ||W - U - Q1 V Q2^T||_F <= tolerance ||W||_F"},
            {"seed", "0", "seed of Q1 (Q2 uses seed + 1); stored with the codes"},
            {"kmeans_restarts", "1", "k-means++ restarts (the lowest objective wins)"},
            {"kmeans_iterations", "30", "Lloyd iterations per restart"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    if (budget.bits() < 1 || budget.bits() > kMaxBits) {
      return absl::InvalidArgumentError(absl::StrFormat("--bits=%d is outside [1, %d]", budget.bits(), kMaxBits));
    }
    absl::StatusOr<int64_t> iterations = options.GetInt(Option("max_iterations"), 0);
    absl::StatusOr<double> tolerance = options.GetDouble(Option("tolerance"), 0);
    absl::StatusOr<int64_t> seed = options.GetInt(Option("seed"));
    absl::StatusOr<int64_t> restarts = options.GetInt(Option("kmeans_restarts"), 1);
    absl::StatusOr<int64_t> lloyd = options.GetInt(Option("kmeans_iterations"), 0);
    for (const absl::Status& s :
         {iterations.status(), tolerance.status(), seed.status(), restarts.status(), lloyd.status()}) {
      if (!s.ok()) return s;
    }
    KashinOptions ko;
    ko.max_iterations = static_cast<int>(*iterations);
    ko.tolerance = *tolerance;
    ko.seed = static_cast<uint64_t>(*seed);
    absl::StatusOr<KashinResult> k = KashinDecompose(w, ko);
    if (!k.ok()) return k.status();
    // One 2-D k-means over the pairs (U_ij, V_ij), as the authors' code does; a pair costs `bits` bits.
    Matrix points(2, w.size());
    points.row(0) = Eigen::Map<const Eigen::RowVectorXf>(k->u.data(), w.size());
    points.row(1) = Eigen::Map<const Eigen::RowVectorXf>(k->v.data(), w.size());
    KMeansOptions km;
    km.clusters = int64_t{1} << budget.bits();
    km.restarts = static_cast<int>(*restarts);
    km.max_iterations = static_cast<int>(*lloyd);
    km.seed = static_cast<uint64_t>(*seed);
    absl::StatusOr<KMeansResult> clusters = KMeans(points, km);
    if (!clusters.ok()) return clusters.status();
    Quantized q;
    q.rows = w.rows();
    q.cols = w.cols();
    q.bits = budget.bits();
    q.seed = ko.seed;
    q.centroids = std::move(clusters->centroids);
    q.codes.assign(clusters->assignment.begin(), clusters->assignment.end());
    return Compressed{std::move(q),
                      {{"kashin_converged", k->converged ? 1.0 : 0.0},
                       {"kashin_iterations", static_cast<double>(k->iterations)},
                       {"kashin_residual", k->relative_residual},
                       {"kmeans_objective", clusters->objective}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeKashinMethod() { return std::make_unique<KashinMethod>(); }

}  // namespace lrb
