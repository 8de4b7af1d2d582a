#include "methods/linalg/kronecker.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "methods/linalg/svd.h"

namespace lrb {

Matrix KroneckerRearrange(const Matrix& w, int64_t m1, int64_t n1) {
  const int64_t m2 = w.rows() / m1, n2 = w.cols() / n1;
  Matrix r(m1 * n1, m2 * n2);
  // Row (i1, j1) of R is the block W[i1*m2 : (i1+1)*m2, j1*n2 : (j1+1)*n2], flattened row-major.
  for (int64_t j1 = 0; j1 < n1; ++j1) {
    for (int64_t i1 = 0; i1 < m1; ++i1) {
      const int64_t row = i1 * n1 + j1;
      for (int64_t i2 = 0; i2 < m2; ++i2) {
        for (int64_t j2 = 0; j2 < n2; ++j2) r(row, i2 * n2 + j2) = w(i1 * m2 + i2, j1 * n2 + j2);
      }
    }
  }
  return r;
}

Matrix KroneckerProduct(const Matrix& a, const Matrix& b) {
  Matrix k(a.rows() * b.rows(), a.cols() * b.cols());
  for (int64_t j = 0; j < a.cols(); ++j) {
    for (int64_t i = 0; i < a.rows(); ++i) k.block(i * b.rows(), j * b.cols(), b.rows(), b.cols()) = a(i, j) * b;
  }
  return k;
}

absl::StatusOr<KroneckerFactors> NearestKroneckerSum(const Matrix& w, int64_t m1, int64_t n1, int64_t terms) {
  const int64_t m = w.rows(), n = w.cols();
  if (m1 < 1 || n1 < 1 || m % m1 != 0 || n % n1 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Kronecker factor shape %dx%d does not divide the %dx%d matrix", m1, n1, m, n));
  }
  const int64_t m2 = m / m1, n2 = n / n1;
  const int64_t max_terms = std::min(m1 * n1, m2 * n2);
  if (terms < 1 || terms > max_terms) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d Kronecker terms is outside [1, %d] for factors %dx%d and %dx%d", terms, max_terms, m1, n1, m2, n2));
  }
  absl::StatusOr<Svd> svd = ExactSvd(KroneckerRearrange(w, m1, n1));
  if (!svd.ok()) return svd.status();
  KroneckerFactors out;
  for (int64_t t = 0; t < terms; ++t) {
    const float scale = std::sqrt(svd->s[t]);
    // vec(A) = sqrt(s) u, vec(B) = sqrt(s) v, both row-major (see KroneckerRearrange).
    Matrix a(m1, n1), b(m2, n2);
    for (int64_t i = 0; i < m1; ++i)
      for (int64_t j = 0; j < n1; ++j) a(i, j) = scale * svd->u(i * n1 + j, t);
    for (int64_t i = 0; i < m2; ++i)
      for (int64_t j = 0; j < n2; ++j) b(i, j) = scale * svd->vt(t, i * n2 + j);
    out.a.push_back(std::move(a));
    out.b.push_back(std::move(b));
  }
  return out;
}

}  // namespace lrb
