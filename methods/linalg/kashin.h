// Kashin representations by the greedy alternating projection of the Kashin-quantization method
// (seed 002; MerkulovDaniil/kquantize): X = U + Q1 V Q2^T with U and V of small infinity norm.
#ifndef LRB_METHODS_LINALG_KASHIN_H_
#define LRB_METHODS_LINALG_KASHIN_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

// A random orthogonal matrix [n, n]: Q of the QR of a Gaussian matrix drawn from `seed`, with the signs
// of R's diagonal folded in (Haar-distributed). Deterministic across runs and machines for a seed.
Matrix RandomOrthogonal(int64_t n, uint64_t seed);

struct KashinOptions {
  int max_iterations = 100;
  double tolerance = 1e-4;  // stop when ||X - U - Q1 V Q2^T||_F <= tolerance * ||X||_F
  uint64_t seed = 0;        // Q1 from seed, Q2 from seed + 1 (vector form: Q from seed)
};

struct KashinResult {
  Matrix u;  // [m, n] (vector form: [n, 1])
  Matrix v;  // [m, n], in the rotated frame: X ~ U + Q1 V Q2^T
  int iterations = 0;
  double relative_residual = 0;
  bool converged = false;
};

// Greedy loop: at each step compare ||R||_1 with ||Q1^T R Q2||_1 for the residual R; project R onto
// sign(R) (added to U) or onto Q1 sign(Q1^T R Q2) Q2^T (added to V), with pi_R(Y) = <R,Y>/||Y||^2 Y.
// Not converging within max_iterations is reported in the result, not an error. Fails on NaN/Inf.
absl::StatusOr<KashinResult> KashinDecompose(const Matrix& x, const KashinOptions& options);

// Vector form: x [n] ~ u + Q v with one random orthogonal Q [n, n] from options.seed.
absl::StatusOr<KashinResult> KashinDecomposeVector(const Vector& x, const KashinOptions& options);

// U + Q1 V Q2^T (Q1, Q2 regenerated from the seed).
Matrix KashinCompose(const Matrix& u, const Matrix& v, uint64_t seed);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_KASHIN_H_
