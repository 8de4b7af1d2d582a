#include "methods/linalg/kashin.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/QR>
#include <lapacke.h>

#include "absl/strings/str_format.h"

namespace lrb {

namespace {

// Q of the QR of `g` through Eigen's Householder QR: only a fallback for when LAPACKE refuses (it
// returns an error code only on a failed workspace allocation for valid arguments). With the
// sign correction below, the Q of a full-rank matrix is unique, so both paths agree up to rounding.
Matrix SlowOrthogonalFactor(const Matrix& g, Vector* r_diagonal) {
  Eigen::HouseholderQR<Matrix> qr(g);
  *r_diagonal = qr.matrixQR().diagonal();
  return qr.householderQ() * Matrix::Identity(g.rows(), g.cols());
}

// Statistics of one residual-like matrix in a single pass, accumulated in double: the entrywise L1
// norm, the number of non-zero entries (the squared Frobenius norm of sign(.)), and the squared
// Frobenius norm.
struct EntryStats {
  double l1 = 0;
  double nonzero = 0;
  double squared = 0;
};

EntryStats Stats(const Matrix& a) {
  EntryStats s;
  const float* p = a.data();
  const Eigen::Index n = a.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double v = p[i];
    s.l1 += std::abs(v);
    s.squared += v * v;
    s.nonzero += (v != 0.0) ? 1.0 : 0.0;
  }
  return s;
}

// The rotations of a matrix-form decomposition of an [m, n] matrix. A single column (n == 1) is the
// vector form x ~ u + Q v, whose only rotation is Q1: Q2 is then the 1x1 identity rather than
// RandomOrthogonal(1, seed + 1) (which is a random sign), so that KashinDecompose on an [m, 1] matrix,
// KashinDecomposeVector and KashinCompose all agree.
struct Rotations {
  Matrix q1;  // [m, m]
  Matrix q2;  // [n, n]
};

Rotations MakeRotations(int64_t m, int64_t n, uint64_t seed) {
  Rotations r;
  r.q1 = RandomOrthogonal(m, seed);
  r.q2 = (n == 1) ? Matrix::Identity(1, 1) : RandomOrthogonal(n, seed + 1);
  return r;
}

// The greedy loop shared by the matrix and vector forms. Invariants, kept exactly up to rounding:
//   R = X - U - Q1 V Q2^T   (the residual, original frame)
//   B = Q1^T R Q2           (the same residual in the rotated frame)
// A step projects R onto Y = sign(R) (a direction for U) or onto Y = Q1 sign(B) Q2^T (a direction for
// V, stored as sign(B) in the rotated frame). The orthogonal projection pi_R(Y) = <R,Y>/||Y||^2 Y has
// coefficient c = ||R||_1 / nnz(R) (resp. ||B||_1 / nnz(B), using <R, Q1 S Q2^T> = <B, S> and
// ||Q1 S Q2^T||_F = ||S||_F), and lowers ||R||_F^2 by <R,Y>^2/||Y||^2 = c * ||.||_1, so the residual
// never grows. Choosing the frame with the larger L1 norm is the greedy rule of the Kashin quantization
// method; for dense residuals (nnz = mn in both frames) it is also the step with the larger decrease
// ||.||_1^2 / (mn). A spiky residual has a small L1 norm for its energy but is dense and flat after the
// rotation, so its energy goes to V and neither U nor V inherits the spikes. Each step updates the other
// frame's copy of the residual with one pair of GEMMs.
absl::StatusOr<KashinResult> Greedy(const Matrix& x, const Rotations& rot, const KashinOptions& options) {
  if (options.max_iterations < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_iterations must be >= 0, got %d", options.max_iterations));
  }
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tolerance must be finite and >= 0, got %g", options.tolerance));
  }
  if (absl::Status s = CheckFinite(x, "matrix for the Kashin decomposition"); !s.ok()) return s;

  const Eigen::Index m = x.rows(), n = x.cols();
  KashinResult out;
  out.u = Matrix::Zero(m, n);
  out.v = Matrix::Zero(m, n);
  const double x_norm = std::sqrt(Stats(x).squared);
  const double target = options.tolerance * x_norm;

  Matrix r = x;
  Matrix b(m, n);
  {
    Matrix t(m, n);
    t.noalias() = rot.q1.transpose() * x;
    b.noalias() = t * rot.q2;
  }
  Matrix sign(m, n), t(m, n);
  EntryStats rs = Stats(r);
  while (true) {
    if (std::sqrt(rs.squared) <= target) {
      out.converged = true;
      break;
    }
    if (out.iterations >= options.max_iterations) break;
    const EntryStats bs = Stats(b);
    if (rs.l1 >= bs.l1) {
      // pi_R(sign(R)): U += c sign(R); R -= c sign(R); B -= c Q1^T sign(R) Q2.
      const float c = static_cast<float>(rs.l1 / rs.nonzero);
      sign = r.array().sign().matrix();
      out.u.noalias() += c * sign;
      r.noalias() -= c * sign;
      t.noalias() = rot.q1.transpose() * sign;
      b.noalias() -= c * (t * rot.q2);
    } else {
      // pi_R(Q1 sign(B) Q2^T): V += c sign(B); B -= c sign(B); R -= c Q1 sign(B) Q2^T.
      const float c = static_cast<float>(bs.l1 / bs.nonzero);
      sign = b.array().sign().matrix();
      out.v.noalias() += c * sign;
      b.noalias() -= c * sign;
      t.noalias() = rot.q1 * sign;
      r.noalias() -= c * (t * rot.q2.transpose());
    }
    ++out.iterations;
    rs = Stats(r);
  }
  out.relative_residual = x_norm > 0 ? std::sqrt(rs.squared) / x_norm : 0.0;
  return out;
}

}  // namespace

Matrix RandomOrthogonal(int64_t n, uint64_t seed) {
  if (n <= 0) return Matrix(0, 0);
  // Mezzadri (2007), "How to generate random matrices from the classical compact groups": Q of the QR of
  // a Gaussian matrix is Haar-distributed once each column is multiplied by the sign of R's diagonal
  // entry (otherwise the distribution depends on the QR routine's sign convention).
  Matrix q = GaussianMatrix(n, n, seed);
  Vector r_diagonal(n);
  const lapack_int ln = static_cast<lapack_int>(n);
  std::vector<float> tau(n);
  lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, ln, ln, q.data(), ln, tau.data());
  if (info == 0) {
    r_diagonal = q.diagonal();
    info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, ln, ln, ln, q.data(), ln, tau.data());
  }
  if (info != 0) q = SlowOrthogonalFactor(GaussianMatrix(n, n, seed), &r_diagonal);
  for (int64_t j = 0; j < n; ++j) {
    // A zero diagonal has probability zero for Gaussian input; treat it as positive.
    if (r_diagonal[j] < 0) q.col(j) *= -1.0f;
  }
  return q;
}

absl::StatusOr<KashinResult> KashinDecompose(const Matrix& x, const KashinOptions& options) {
  if (x.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Kashin decomposition of an empty %dx%d matrix", x.rows(), x.cols()));
  }
  return Greedy(x, MakeRotations(x.rows(), x.cols(), options.seed), options);
}

absl::StatusOr<KashinResult> KashinDecomposeVector(const Vector& x, const KashinOptions& options) {
  if (x.size() == 0) return absl::InvalidArgumentError("Kashin decomposition of an empty vector");
  const Matrix column = x;
  return Greedy(column, MakeRotations(column.rows(), 1, options.seed), options);
}

// u and v must have the same shape (as KashinResult's do); a single column is the vector form.
Matrix KashinCompose(const Matrix& u, const Matrix& v, uint64_t seed) {
  const Rotations rot = MakeRotations(v.rows(), v.cols(), seed);
  Matrix t(v.rows(), v.cols());
  t.noalias() = rot.q1 * v;
  Matrix out = u;
  out.noalias() += t * rot.q2.transpose();
  return out;
}

}  // namespace lrb
