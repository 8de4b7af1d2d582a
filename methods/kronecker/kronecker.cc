#include "methods/kronecker/kronecker.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "methods/linalg/kronecker.h"

namespace lrb {

std::pair<int64_t, int64_t> CheapestKroneckerShape(int64_t out, int64_t in) {
  std::pair<int64_t, int64_t> best{1, 1};
  int64_t best_cost = -1;
  for (int64_t m1 = 1; m1 <= out; ++m1) {
    if (out % m1 != 0) continue;
    for (int64_t n1 = 1; n1 <= in; ++n1) {
      if (in % n1 != 0) continue;
      const int64_t cost = m1 * n1 + (out / m1) * (in / n1);
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = {m1, n1};
      }
    }
  }
  return best;
}

namespace {

class KroneckerMethod : public Method {
 public:
  std::string_view Id() const override { return "kronecker"; }
  std::string_view DisplayName() const override { return "KroneckerBERT"; }
  std::string_view Reference() const override {
    return "Tahaei et al., KroneckerBERT: Learning Kronecker decomposition for pre-trained language models via "
           "knowledge distillation (arXiv 2109.06243); Van Loan & Pitsianis 1993 for the initialisation";
  }
  std::vector<Budget::Kind> Budgets() const override { return {Budget::Kind::kRank, Budget::Kind::kParamRatio}; }
  std::vector<OptionSpec> Options() const override {
    return {{"m1", "", "rows of each A_i (divides out); default: the cheapest shape per term"},
            {"n1", "", "columns of each A_i (divides in); default: the cheapest shape per term"},
            {"m2", "", "rows of each B_i instead (divides out; an embedding table [vocab, hidden] takes 1)"},
            {"n2", "", "columns of each B_i instead (divides in)"}};
  }

 protected:
  absl::StatusOr<Compressed> DoCompress(const LayerInputs& in, const Budget& budget,
                                        const MethodOptions& options) const override {
    const Matrix& w = *in.weight;
    const int64_t m = w.rows(), n = w.cols();
    auto [m1, n1] = CheapestKroneckerShape(m, n);
    const bool has_m1 = !options.Get(Option("m1")).empty(), has_n1 = !options.Get(Option("n1")).empty();
    const bool has_m2 = !options.Get(Option("m2")).empty(), has_n2 = !options.Get(Option("n2")).empty();
    if (has_m1 != has_n1) return absl::InvalidArgumentError("options --m1 and --n1 go together");
    if (has_m2 != has_n2) return absl::InvalidArgumentError("options --m2 and --n2 go together");
    if (has_m1 && has_m2) return absl::InvalidArgumentError("give the shape of A (--m1, --n1) or of B (--m2, --n2), not both");
    if (has_m1 || has_m2) {
      const char* rows = has_m1 ? "m1" : "m2";
      const char* cols = has_m1 ? "n1" : "n2";
      absl::StatusOr<int64_t> a = options.GetInt(Option(rows));
      absl::StatusOr<int64_t> b = options.GetInt(Option(cols));
      if (!a.ok()) return a.status();
      if (!b.ok()) return b.status();
      if (*a < 1 || *b < 1 || m % *a != 0 || n % *b != 0) {
        return absl::InvalidArgumentError(
            absl::StrFormat("--%s=%d --%s=%d do not divide the %dx%d matrix", rows, *a, cols, *b, m, n));
      }
      m1 = has_m1 ? *a : m / *a;
      n1 = has_m1 ? *b : n / *b;
    }
    const int64_t per_term = m1 * n1 + (m / m1) * (n / n1);
    // A rank budget is the number of terms; a ratio buys as many whole terms as fit.
    const int64_t terms = budget.kind == Budget::Kind::kRank ? budget.rank() : ParamLimit(budget, m, n) / per_term;
    const int64_t max_terms = std::min(m1 * n1, (m / m1) * (n / n1));
    if (terms < 1 || terms > max_terms) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s gives %d Kronecker terms of %dx%d (x) %dx%d (%d parameters each), outside [1, %d]",
          BudgetToString(budget), terms, m1, n1, m / m1, n / n1, per_term, max_terms));
    }
    absl::StatusOr<KroneckerFactors> f = NearestKroneckerSum(w, m1, n1, terms);
    if (!f.ok()) return f.status();
    return Compressed{KroneckerSum{std::move(f->a), std::move(f->b)},
                      {{"terms", static_cast<double>(terms)},
                       {"m1", static_cast<double>(m1)},
                       {"n1", static_cast<double>(n1)}}};
  }
};

}  // namespace

std::unique_ptr<Method> MakeKroneckerMethod() { return std::make_unique<KroneckerMethod>(); }

}  // namespace lrb
