#include "methods/testing/matrices.h"

#include <algorithm>
#include <cmath>

#include "methods/linalg/svd.h"

namespace lrb::testing {

Matrix Orthonormal(int64_t n, int64_t k, uint64_t seed) { return ExactSvd(GaussianMatrix(n, k, seed))->u; }

Tensor GaussianTensor(const std::vector<int64_t>& shape, uint64_t seed) {
  Tensor t(shape);
  const Matrix g = GaussianMatrix(t.size(), 1, seed);
  std::copy(g.data(), g.data() + t.size(), t.data.begin());
  return t;
}

Vector PowerLawSpectrum(int64_t k, double power) {
  Vector s(k);
  for (int64_t i = 0; i < k; ++i) s[i] = static_cast<float>(std::pow(i + 1.0, -power));
  return s;
}

Matrix WithSpectrum(int64_t m, int64_t n, const Vector& s, uint64_t seed) {
  return Orthonormal(m, s.size(), seed) * s.asDiagonal() * Orthonormal(n, s.size(), seed + 1).transpose();
}

}  // namespace lrb::testing
