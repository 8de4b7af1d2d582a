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

// SCADA-Tucker (Zhong et al. 2019): tensors of one order, mode sizes free, in Tucker form with ONE core,
// X_l ~ G x_1 U_1^(l) ... x_d U_d^(l). Each r_k must be in [1, n_k^(l)] for every tensor.
struct SharedCoreTucker {
  Tensor core;                                // G [r_1, ..., r_d]
  std::vector<std::vector<Matrix>> factors;   // per tensor l: U_k^(l) [n_k^(l), r_k]
  // sum_l ||X_l - X_hat_l||^2 / sum_l ||X_l||^2 after the initialisation, then after each sweep.
  std::vector<double> errors;
};

// Fits the shared core by block coordinate descent on sum_l ||X_l - G x_k U_k^(l)||^2, each step an exact
// minimiser of its block (the core's up to conjugate-gradient convergence, whose iterates never raise it), so
// `errors` never grows: (1) per-tensor HOSVD factors, then the unit G maximising sum_l <C_l, G>^2 over the
// projections C_l = X_l x_k U_k^(l)T, with each scale <C_l, G> folded into U_1^(l); (2) a sweep replaces
// every U_k^(l) by its least-squares solution, then the core by the solution of the normal equations
// sum_l G x_k U_k^(l)T U_k^(l) = sum_l C_l. Stops after `max_sweeps` or when the error changes by less than
// `tolerance` (relative). The factors are free (not orthonormal) after a sweep.
absl::StatusOr<SharedCoreTucker> FitSharedCoreTucker(const std::vector<Tensor>& xs, const std::vector<int64_t>& ranks,
                                                     int max_sweeps = 10, double tolerance = 1e-6);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_TUCKER_H_
