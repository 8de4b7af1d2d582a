// Singular value decompositions and the symmetric eigen-solver they rest on.
#ifndef LRB_METHODS_LINALG_SVD_H_
#define LRB_METHODS_LINALG_SVD_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

// Exact thin SVD through LAPACK's divide-and-conquer driver (sgesdd on OpenBLAS).
// Fails (not aborts) on NaN/Inf input or when LAPACK does not converge.
absl::StatusOr<Svd> ExactSvd(const Matrix& a);

// The first `rank` triplets of an Svd (rank <= its length).
Svd Truncate(const Svd& svd, int64_t rank);

struct RandomizedSvdOptions {
  int64_t oversampling = 10;
  int64_t power_iterations = 2;
  uint64_t seed = 0;
};

// Halko, Martinsson & Tropp (2011), Alg. 4.4 + 5.1: Gaussian range finder with `oversampling`
// extra columns and `power_iterations` subspace iterations (re-orthonormalised by QR each time),
// then the exact SVD of the small projected matrix. Returns the top `rank` triplets.
absl::StatusOr<Svd> RandomizedSvd(const Matrix& a, int64_t rank, const RandomizedSvdOptions& options = {});

// Symmetric eigen-decomposition A = Q diag(w) Q^T (LAPACK ssyevd), eigenvalues in decreasing order.
struct SymmetricEigen {
  Vector values;   // [n], decreasing
  Matrix vectors;  // [n, n], columns are eigenvectors
};
absl::StatusOr<SymmetricEigen> EigenSymmetric(const Matrix& a);

// Best rank-r approximation under per-column weights: minimises ||(W - W_r) diag(d)||_F by a plain
// SVD of W diag(d), truncated to r, mapped back by diag(d)^-1 (FWSVD, Hsu et al. 2022, Eq. 5).
// Returns W_r = left * right with left [m, r] = U_r S_r and right [r, n] = V_r^T diag(d)^-1.
// Every d_j must be finite and > 0.
struct LowRankFactors {
  Matrix left;   // [m, r]
  Matrix right;  // [r, n]
};
absl::StatusOr<LowRankFactors> WeightedSvd(const Matrix& w, const Vector& column_weights, int64_t rank);

// Whitening from an input second-moment matrix C = X^T X (n x n, symmetric PSD):
// C ~ L L^T with L = Q_k Lambda_k^{1/2}, keeping the k eigenvalues > relative_floor * lambda_max
// (the rest are treated as zero: directions the data never visits). pinv = Lambda_k^{-1/2} Q_k^T.
struct Whitening {
  Matrix factor;  // L [n, k]
  Matrix pinv;    // L^+ [k, n]
  int64_t dropped = 0;  // eigenvalues truncated
};
absl::StatusOr<Whitening> WhiteningFromSecondMoment(const Matrix& second_moment, double relative_floor);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_SVD_H_
