// How a compressed linear layer y = x W^T + b is computed without forming W, for every Factorization
// format: a chain of products of the activations with small constant matrices, chosen to need the
// fewest multiply-adds. Both backends (onednn_linear.h, torch_linear.h) execute the same plans.
//
// A step views the activations as [P, a, Q] (P = numel / (a Q)) and multiplies the middle axis by a
// constant C [b, a]: [P, a, Q] -> [P, b, Q]. With Q = 1 that is one GEMM [P, a] x C^T; with Q > 1 a
// batched GEMM with C broadcast. Every format's forward is such a chain (derivations in README.md).
#ifndef LRB_RUNTIME_KERNELS_PLAN_H_
#define LRB_RUNTIME_KERNELS_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "methods/factorization.h"

namespace lrb {

struct ChainStep {
  int64_t a = 0;  // the axis contracted
  int64_t b = 0;  // its size afterwards
  int64_t q = 1;  // the trailing axis the step leaves alone
};

// The sizes a plan depends on, read from a Factorization (or from the tensors a model holds).
struct FactorShapes {
  std::string format;  // FormatName
  int64_t out = 0, in = 0;
  int64_t rank = 0;          // low_rank, low_rank_sparse: r
  int64_t sparse_rows = 0;   // low_rank_sparse: kept rows k
  int64_t terms = 0, m1 = 0, n1 = 0, m2 = 0, n2 = 0;  // kronecker
  std::vector<int64_t> modes, ranks;  // tucker: tensor shape and core ranks; tensor_train: see below
  std::vector<int64_t> row_modes, col_modes;  // tensor_train (ranks: r_0 .. r_d)
};
FactorShapes ShapesOf(const Factorization& f);

enum class PlanKind {
  kDense,           // one GEMM with W (dense, quantized: dequantized once; tucker/TT when that is cheapest)
  kLowRank,         // (x R^T) L^T
  kLowRankSparse,   // x [R; S]^T, then the first r columns times L^T, the last k scatter-added into y's kept rows
  kKroneckerAFirst, // per token A_cat X, then one GEMM with B_cat
  kKroneckerBFirst, // one GEMM X B_all^T, then per token A_cat2 Z
  kTuckerFactored,  // input modes by U_k^T, the core, output modes by U_k
  kTtLeftToRight,   // cores 1..d
  kTtRightToLeft,   // cores d..1
};

struct ForwardPlan {
  PlanKind kind = PlanKind::kDense;
  std::string description;       // one line for reports, e.g. "kronecker 1 term 2x4 (x) 384x192: A first"
  std::vector<ChainStep> steps;
  // tucker: which factor each step multiplies (index into the factors; -1 for the core step);
  // tensor_train: the core index of each step.
  std::vector<int> operands;
  double macs_per_token = 0;     // multiply-adds per token of this plan
  double dense_macs_per_token = 0;  // out * in, for the FLOP-ratio bound
};

// The plan with the fewest multiply-adds. Every plan's cost is linear in the token count (the dense
// weight of a reconstructed plan is computed once and cached), so the choice depends on the shapes only.
ForwardPlan PlanForward(const FactorShapes& s);

const char* PlanKindName(PlanKind kind);

}  // namespace lrb

#endif  // LRB_RUNTIME_KERNELS_PLAN_H_
