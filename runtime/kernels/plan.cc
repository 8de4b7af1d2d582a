#include "runtime/kernels/plan.h"

#include <algorithm>
#include <numeric>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lrb {
namespace {

int64_t Product(const std::vector<int64_t>& v, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= v[i];
  return p;
}

ForwardPlan DensePlan(const FactorShapes& s, const std::string& why) {
  ForwardPlan p;
  p.kind = PlanKind::kDense;
  p.steps = {{s.in, s.out, 1}};
  p.macs_per_token = p.dense_macs_per_token = static_cast<double>(s.out) * s.in;
  p.description = why;
  return p;
}

// Mode products over `modes` (current sizes `sizes`, products to sizes `to`) in the order with the fewest
// multiply-adds (exhaustive up to 8 modes, else in the given order). Appends steps and operands.
double ModeSteps(std::vector<int64_t> sizes, const std::vector<int64_t>& to, const std::vector<int>& operand_of,
                 ForwardPlan* plan) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  auto cost = [&](const std::vector<size_t>& o) {
    std::vector<int64_t> cur = sizes;
    double macs = 0;
    for (size_t j : o) {
      macs += static_cast<double>(Product(cur, 0, cur.size())) * to[j];
      cur[j] = to[j];
    }
    return macs;
  };
  std::vector<size_t> best = order;
  double best_cost = cost(order);
  if (order.size() <= 8) {
    while (std::next_permutation(order.begin(), order.end())) {
      const double c = cost(order);
      if (c < best_cost) best_cost = c, best = order;
    }
  }
  for (size_t j : best) {
    plan->steps.push_back({sizes[j], to[j], Product(sizes, j + 1, sizes.size())});
    plan->operands.push_back(operand_of[j]);
    sizes[j] = to[j];
  }
  return best_cost;
}

ForwardPlan TuckerPlan(const FactorShapes& s) {
  const size_t d = s.modes.size();
  size_t split = 0;
  while (split < d && Product(s.modes, 0, split) != s.out) ++split;
  if (split == 0 || split >= d || Product(s.modes, 0, split) != s.out) {
    return DensePlan(s, absl::StrCat("tucker ", absl::StrJoin(s.modes, "x"),
                                     ": dense (reconstructed once; the tensor's modes do not split into output and input modes)"));
  }
  ForwardPlan p;
  p.kind = PlanKind::kTuckerFactored;
  std::vector<int64_t> in_modes(s.modes.begin() + split, s.modes.end()), in_ranks(s.ranks.begin() + split, s.ranks.end());
  std::vector<int64_t> out_ranks(s.ranks.begin(), s.ranks.begin() + split), out_modes(s.modes.begin(), s.modes.begin() + split);
  std::vector<int> in_ops, out_ops;
  for (size_t k = split; k < d; ++k) in_ops.push_back(static_cast<int>(k));
  for (size_t k = 0; k < split; ++k) out_ops.push_back(static_cast<int>(k));
  double macs = ModeSteps(in_modes, in_ranks, in_ops, &p);
  const int64_t r_in = Product(in_ranks, 0, in_ranks.size()), r_out = Product(out_ranks, 0, out_ranks.size());
  p.steps.push_back({r_in, r_out, 1});
  p.operands.push_back(-1);
  macs += static_cast<double>(r_in) * r_out;
  macs += ModeSteps(out_ranks, out_modes, out_ops, &p);
  p.macs_per_token = macs;
  p.dense_macs_per_token = static_cast<double>(s.out) * s.in;
  p.description = absl::StrCat("tucker ", absl::StrJoin(s.modes, "x"), " ranks ", absl::StrJoin(s.ranks, "x"),
                               ": input modes, core, output modes");
  if (macs >= p.dense_macs_per_token) {
    return DensePlan(s, absl::StrCat(p.description, " would cost more than dense: dense (reconstructed once)"));
  }
  return p;
}

ForwardPlan TtPlan(const FactorShapes& s) {
  const size_t d = s.row_modes.size();
  const std::vector<int64_t>& m = s.row_modes;
  const std::vector<int64_t>& n = s.col_modes;
  const std::vector<int64_t>& r = s.ranks;  // r_0 .. r_d
  ForwardPlan lr, rl;
  lr.kind = PlanKind::kTtLeftToRight;
  rl.kind = PlanKind::kTtRightToLeft;
  for (size_t k = 0; k < d; ++k) {
    // [prod m_<k, r_{k} n_k, prod n_>k] -> [.., m_k r_{k+1}, ..] (0-based cores: [r_k, m_k, n_k, r_{k+1}])
    const ChainStep step{r[k] * n[k], m[k] * r[k + 1], Product(n, k + 1, d)};
    lr.steps.push_back(step);
    lr.operands.push_back(static_cast<int>(k));
    lr.macs_per_token += static_cast<double>(Product(m, 0, k)) * step.a * step.b * step.q;
  }
  for (size_t k = d; k-- > 0;) {
    const ChainStep step{n[k] * r[k + 1], r[k] * m[k], Product(m, k + 1, d)};
    rl.steps.push_back(step);
    rl.operands.push_back(static_cast<int>(k));
    rl.macs_per_token += static_cast<double>(Product(n, 0, k)) * step.a * step.b * step.q;
  }
  const std::string name = absl::StrCat("tensor train ", absl::StrJoin(m, "x"), " by ", absl::StrJoin(n, "x"),
                                        " ranks ", absl::StrJoin(r, ","));
  lr.description = name + ": cores left to right";
  rl.description = name + ": cores right to left";
  ForwardPlan best = lr.macs_per_token <= rl.macs_per_token ? lr : rl;
  best.dense_macs_per_token = static_cast<double>(s.out) * s.in;
  if (best.macs_per_token >= best.dense_macs_per_token) {
    return DensePlan(s, name + ": dense (reconstructed once; cheaper than either contraction order)");
  }
  return best;
}

}  // namespace

FactorShapes ShapesOf(const Factorization& f) {
  FactorShapes s;
  s.format = std::string(FormatName(f));
  std::tie(s.out, s.in) = MatrixShape(f);
  if (const auto* l = std::get_if<LowRank>(&f)) {
    s.rank = l->left.cols();
  } else if (const auto* ls = std::get_if<LowRankPlusSparse>(&f)) {
    s.rank = ls->low_rank.left.cols();
    s.sparse_rows = static_cast<int64_t>(ls->rows.size());
  } else if (const auto* k = std::get_if<KroneckerSum>(&f)) {
    s.terms = static_cast<int64_t>(k->a.size());
    s.m1 = k->a[0].rows(), s.n1 = k->a[0].cols(), s.m2 = k->b[0].rows(), s.n2 = k->b[0].cols();
  } else if (const auto* t = std::get_if<Tucker>(&f)) {
    s.modes = t->shape;
    s.ranks = t->tucker.core.shape;
  } else if (const auto* tt = std::get_if<TensorTrainMatrix>(&f)) {
    s.row_modes = tt->tt.row_modes;
    s.col_modes = tt->tt.col_modes;
    s.ranks.push_back(tt->tt.cores[0].shape[0]);
    for (const Tensor& c : tt->tt.cores) s.ranks.push_back(c.shape[3]);
  }
  return s;
}

ForwardPlan PlanForward(const FactorShapes& s) {
  const double dense = static_cast<double>(s.out) * s.in;
  if (s.format == "dense" || s.format.empty()) return DensePlan(s, "dense");
  if (s.format == "quantized") return DensePlan(s, "quantized: dequantized once, then dense");
  ForwardPlan p;
  p.dense_macs_per_token = dense;
  if (s.format == "low_rank") {
    p.kind = PlanKind::kLowRank;
    p.steps = {{s.in, s.rank, 1}, {s.rank, s.out, 1}};
    p.macs_per_token = static_cast<double>(s.rank) * (s.in + s.out);
    p.description = absl::StrCat("low rank ", s.rank, ": (x R^T) L^T");
  } else if (s.format == "low_rank_sparse") {
    p.kind = PlanKind::kLowRankSparse;
    p.steps = {{s.in, s.rank + s.sparse_rows, 1}, {s.rank, s.out, 1}};
    p.macs_per_token = static_cast<double>(s.rank + s.sparse_rows) * s.in + static_cast<double>(s.rank) * s.out;
    p.description = absl::StrCat("low rank ", s.rank, " + ", s.sparse_rows, " sparse rows: x [R; S]^T, then L^T and a row scatter");
  } else if (s.format == "kronecker") {
    const double a_first = static_cast<double>(s.m1) * s.terms * s.n1 * s.n2 + static_cast<double>(s.m1) * s.terms * s.n2 * s.m2;
    const double b_first = static_cast<double>(s.n1) * s.n2 * s.terms * s.m2 + static_cast<double>(s.m1) * s.n1 * s.terms * s.m2;
    const std::string name = absl::StrCat("kronecker ", s.terms, " term", s.terms == 1 ? "" : "s", " ", s.m1, "x", s.n1,
                                          " (x) ", s.m2, "x", s.n2);
    if (a_first <= b_first) {
      p.kind = PlanKind::kKroneckerAFirst;
      p.steps = {{s.n1, s.m1 * s.terms, s.n2}, {s.terms * s.n2, s.m2, 1}};
      p.macs_per_token = a_first;
      p.description = name + ": A first";
    } else {
      p.kind = PlanKind::kKroneckerBFirst;
      p.steps = {{s.n2, s.terms * s.m2, 1}, {s.n1 * s.terms, s.m1, s.m2}};
      p.macs_per_token = b_first;
      p.description = name + ": B first";
    }
  } else if (s.format == "tucker") {
    return TuckerPlan(s);
  } else if (s.format == "tensor_train") {
    return TtPlan(s);
  }
  if (p.macs_per_token >= dense) {
    return DensePlan(s, absl::StrCat(p.description, " would cost more than dense: dense (reconstructed once)"));
  }
  return p;
}

const char* PlanKindName(PlanKind kind) {
  switch (kind) {
    case PlanKind::kDense: return "dense";
    case PlanKind::kLowRank: return "low_rank";
    case PlanKind::kLowRankSparse: return "low_rank_sparse";
    case PlanKind::kKroneckerAFirst: return "kronecker_a_first";
    case PlanKind::kKroneckerBFirst: return "kronecker_b_first";
    case PlanKind::kTuckerFactored: return "tucker_factored";
    case PlanKind::kTtLeftToRight: return "tt_left_to_right";
    case PlanKind::kTtRightToLeft: return "tt_right_to_left";
  }
  return "?";
}

}  // namespace lrb
