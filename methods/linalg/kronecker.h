// Nearest sums of Kronecker products (Van Loan & Pitsianis 1993).
#ifndef LRB_METHODS_LINALG_KRONECKER_H_
#define LRB_METHODS_LINALG_KRONECKER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

// The rearrangement R(W) [m1*n1, m2*n2] with R[i1*n1 + j1, i2*n2 + j2] = W[i1*m2 + i2, j1*n2 + j2],
// so that W = sum_i A_i (x) B_i  <=>  R(W) = sum_i vec(A_i) vec(B_i)^T (vec row-major).
Matrix KroneckerRearrange(const Matrix& w, int64_t m1, int64_t n1);

// Dense A (x) B.
Matrix KroneckerProduct(const Matrix& a, const Matrix& b);

// The best sum of `terms` Kronecker products A_i [m1, n1] (x) B_i [m2, n2] in Frobenius norm:
// the top singular triplets of R(W), with sqrt(s_i) folded into both factors.
struct KroneckerFactors {
  std::vector<Matrix> a;  // each [m1, n1]
  std::vector<Matrix> b;  // each [m2, n2]
};
absl::StatusOr<KroneckerFactors> NearestKroneckerSum(const Matrix& w, int64_t m1, int64_t n1, int64_t terms);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_KRONECKER_H_
