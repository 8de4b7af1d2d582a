#include "methods/linalg/svd.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/QR>
#include <lapacke.h>

#include "absl/strings/str_format.h"

namespace lrb {
namespace {

// LAPACK reports the optimal workspace size as a float; above 2^24 the value can round down and the
// driver then rejects it ("parameter had an illegal value"), which LAPACKE's high-level wrappers
// trigger for n ~ 3000. Query, then round up with margin.
lapack_int WorkspaceSize(float query) { return static_cast<lapack_int>(static_cast<double>(query) * 1.001) + 64; }

}  // namespace

absl::StatusOr<Svd> ExactSvd(const Matrix& a) {
  if (a.size() == 0) return absl::InvalidArgumentError("SVD of an empty matrix");
  if (absl::Status s = CheckFinite(a, "matrix to decompose"); !s.ok()) return s;
  const lapack_int m = static_cast<lapack_int>(a.rows());
  const lapack_int n = static_cast<lapack_int>(a.cols());
  const lapack_int k = std::min(m, n);
  Matrix work = a;  // sgesdd overwrites its input
  Svd out;
  out.u.resize(m, k);
  out.s.resize(k);
  out.vt.resize(k, n);
  std::vector<lapack_int> iwork(8 * static_cast<size_t>(k));
  float query = 0;
  lapack_int info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, work.data(), m, out.s.data(), out.u.data(), m,
                                        out.vt.data(), k, &query, -1, iwork.data());
  if (info == 0) {
    std::vector<float> buffer(WorkspaceSize(query));
    info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, work.data(), m, out.s.data(), out.u.data(), m,
                               out.vt.data(), k, buffer.data(), static_cast<lapack_int>(buffer.size()), iwork.data());
  }
  if (info != 0) {
    return absl::InternalError(absl::StrFormat("LAPACK sgesdd failed on a %dx%d matrix (info %d)", m, n, info));
  }
  return out;
}

Svd Truncate(const Svd& svd, int64_t rank) {
  Svd out;
  out.u = svd.u.leftCols(rank);
  out.s = svd.s.head(rank);
  out.vt = svd.vt.topRows(rank);
  return out;
}

namespace {

// Orthonormal basis of the columns of y [rows, k], rows >= k: Q of a thin Householder QR (LAPACK
// sgeqrf + sorgqr, blocked and threaded, unlike Eigen's). R is written to *r when asked ([k, k]).
Matrix OrthonormalColumns(const Matrix& y, Matrix* r = nullptr) {
  const lapack_int m = static_cast<lapack_int>(y.rows()), k = static_cast<lapack_int>(y.cols());
  Matrix q = y;
  Vector tau(k);
  float query = 0;
  lapack_int info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, m, k, q.data(), m, tau.data(), &query, -1);
  std::vector<float> work(WorkspaceSize(query));
  if (info == 0) {
    info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, m, k, q.data(), m, tau.data(), work.data(),
                               static_cast<lapack_int>(work.size()));
  }
  if (r != nullptr) *r = q.topRows(k).triangularView<Eigen::Upper>();
  if (info == 0) info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, m, k, k, q.data(), m, tau.data(), &query, -1);
  if (info == 0) {
    work.resize(std::max<size_t>(work.size(), WorkspaceSize(query)));
    info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, m, k, k, q.data(), m, tau.data(), work.data(),
                               static_cast<lapack_int>(work.size()));
  }
  if (info == 0) return q;
  // LAPACK only fails here on invalid arguments or allocation; Eigen's QR is the slow, safe path.
  Eigen::HouseholderQR<Matrix> qr(y);
  if (r != nullptr) *r = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
  return qr.householderQ() * Matrix::Identity(m, k);
}

}  // namespace

absl::StatusOr<Svd> RandomizedSvd(const Matrix& a, int64_t rank, const RandomizedSvdOptions& options) {
  const int64_t m = a.rows(), n = a.cols();
  if (rank < 1 || rank > std::min(m, n)) {
    return absl::InvalidArgumentError(absl::StrFormat("rank %d is outside [1, %d] for a %dx%d matrix", rank,
                                                      std::min(m, n), m, n));
  }
  if (absl::Status s = CheckFinite(a, "matrix to decompose"); !s.ok()) return s;
  const int64_t l = std::min(rank + options.oversampling, std::min(m, n));
  // Range finder on the smaller side keeps the QRs thin: sample A's column space when m <= n,
  // otherwise work on A^T and swap the factors at the end.
  const bool transpose = m > n;
  auto apply = [&](const Matrix& x) -> Matrix { return transpose ? Matrix(a.transpose() * x) : Matrix(a * x); };
  auto apply_t = [&](const Matrix& x) -> Matrix { return transpose ? Matrix(a * x) : Matrix(a.transpose() * x); };
  const int64_t cols = transpose ? m : n;
  Matrix q = OrthonormalColumns(apply(GaussianMatrix(cols, l, options.seed)));
  for (int64_t i = 0; i < options.power_iterations; ++i) {
    q = OrthonormalColumns(apply(OrthonormalColumns(apply_t(q))));
  }
  // B = Q^T A is [l, cols], wide. Its SVD through the QR of B^T = Qb R: B = R^T Qb^T, and the SVD of the
  // small R^T [l, l] gives B = U S (Qb V)^T. Cheaper than LAPACK's SVD of the wide B directly.
  Matrix r;
  const Matrix qb = OrthonormalColumns(apply_t(q), &r);  // [cols, l], R [l, l]
  absl::StatusOr<Svd> small = ExactSvd(r.transpose());
  if (!small.ok()) return small.status();
  Svd out;
  const Matrix u = q * small->u.leftCols(rank);                          // [side, rank]
  const Matrix v = qb * small->vt.topRows(rank).transpose();             // [cols, rank]
  out.s = small->s.head(rank);
  if (transpose) {
    // A^T = U S V^T  =>  A = V S U^T.
    out.u = v;
    out.vt = u.transpose();
  } else {
    out.u = u;
    out.vt = v.transpose();
  }
  return out;
}

absl::StatusOr<SymmetricEigen> EigenSymmetric(const Matrix& a) {
  if (a.rows() != a.cols() || a.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("symmetric eigen-decomposition needs a square matrix, got %dx%d", a.rows(), a.cols()));
  }
  if (absl::Status s = CheckFinite(a, "symmetric matrix"); !s.ok()) return s;
  const lapack_int n = static_cast<lapack_int>(a.rows());
  Matrix v = a;
  Vector w(n);
  float query = 0;
  lapack_int iquery = 0;
  lapack_int info = LAPACKE_ssyevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, v.data(), n, w.data(), &query, -1, &iquery, -1);
  if (info == 0) {
    std::vector<float> buffer(WorkspaceSize(query));
    std::vector<lapack_int> ibuffer(iquery);
    info = LAPACKE_ssyevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, v.data(), n, w.data(), buffer.data(),
                               static_cast<lapack_int>(buffer.size()), ibuffer.data(), iquery);
  }
  if (info != 0) {
    return absl::InternalError(absl::StrFormat("LAPACK ssyevd failed on a %dx%d matrix (info %d)", n, n, info));
  }
  // LAPACK returns ascending order.
  SymmetricEigen out;
  out.values = w.reverse();
  out.vectors = v.rowwise().reverse();
  return out;
}

absl::StatusOr<LowRankFactors> WeightedSvd(const Matrix& w, const Vector& column_weights, int64_t rank) {
  const int64_t m = w.rows(), n = w.cols();
  if (column_weights.size() != n) {
    return absl::InvalidArgumentError(absl::StrFormat("column weights have %d entries for a matrix with %d columns",
                                                      column_weights.size(), n));
  }
  for (int64_t j = 0; j < n; ++j) {
    if (!(std::isfinite(column_weights[j]) && column_weights[j] > 0)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("column weight %d is %g; weights must be finite and positive", j, column_weights[j]));
    }
  }
  if (rank < 1 || rank > std::min(m, n)) {
    return absl::InvalidArgumentError(absl::StrFormat("rank %d is outside [1, %d] for a %dx%d matrix", rank,
                                                      std::min(m, n), m, n));
  }
  absl::StatusOr<Svd> svd = ExactSvd(w * column_weights.asDiagonal());
  if (!svd.ok()) return svd.status();
  LowRankFactors out;
  out.left = svd->u.leftCols(rank) * svd->s.head(rank).asDiagonal();
  out.right = svd->vt.topRows(rank) * column_weights.cwiseInverse().asDiagonal();
  return out;
}

absl::StatusOr<Whitening> WhiteningFromSecondMoment(const Matrix& second_moment, double relative_floor) {
  absl::StatusOr<SymmetricEigen> eig = EigenSymmetric(second_moment);
  if (!eig.ok()) return eig.status();
  const float top = eig->values.size() > 0 ? eig->values[0] : 0.0f;
  if (!(top > 0)) return absl::InvalidArgumentError("input second moment is zero: no data to whiten with");
  int64_t k = 0;
  while (k < eig->values.size() && eig->values[k] > relative_floor * top) ++k;
  Whitening out;
  out.dropped = eig->values.size() - k;
  const Vector sqrt_values = eig->values.head(k).cwiseSqrt();
  out.factor = eig->vectors.leftCols(k) * sqrt_values.asDiagonal();
  out.pinv = sqrt_values.cwiseInverse().asDiagonal() * eig->vectors.leftCols(k).transpose();
  return out;
}

}  // namespace lrb
