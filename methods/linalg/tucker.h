// Tucker decompositions of dense tensors: HOSVD and HOOI (De Lathauwer et al. 2000).
#ifndef LRB_METHODS_LINALG_TUCKER_H_
#define LRB_METHODS_LINALG_TUCKER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

// X ~ G x_1 U_1 x_2 U_2 ... x_d U_d with core G [r_1, ..., r_d] and factors U_k [n_k, r_k]
// (orthonormal columns after HOSVD/HOOI).
struct TuckerTensor {
  Tensor core;
  std::vector<Matrix> factors;
};

// Mode-k unfolding X_(k) [n_k, prod_{j != k} n_j] (remaining indices in their original order).
Matrix Unfold(const Tensor& x, int mode);

// Mode-k product X x_k M: replaces mode k (size n_k) by M's row count; M is [p, n_k].
Tensor ModeProduct(const Tensor& x, const Matrix& m, int mode);

// Dense tensor from a Tucker form.
Tensor TuckerReconstruct(const TuckerTensor& t);

// Truncated HOSVD: U_k = leading r_k left singular vectors of X_(k), G = X x_k U_k^T.
// Each r_k must be in [1, n_k].
absl::StatusOr<TuckerTensor> Hosvd(const Tensor& x, const std::vector<int64_t>& ranks);

// HOOI (alternating least squares), initialised by HOSVD; stops after `max_iterations` sweeps or when
// the fit ||G||_F changes by less than `tolerance` (relative) between sweeps.
absl::StatusOr<TuckerTensor> Hooi(const Tensor& x, const std::vector<int64_t>& ranks, int max_iterations = 10,
                                  double tolerance = 1e-6);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_TUCKER_H_
