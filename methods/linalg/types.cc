#include "methods/linalg/types.h"

#include <cmath>
#include <random>

#include "absl/strings/str_format.h"

namespace lrb {

Tensor::Tensor(std::vector<int64_t> s) : shape(std::move(s)), data(NumElements(shape), 0.0f) {}

int64_t NumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

absl::Status CheckFinite(const Matrix& m, std::string_view what) {
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(m(i, j))) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s has a non-finite value (%g) at [%d, %d]", what, m(i, j), i, j));
      }
    }
  }
  return absl::OkStatus();
}

Matrix GaussianMatrix(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 gen(seed);
  // 53-bit uniform in (0, 1]: never 0, so log() is finite.
  auto uniform = [&gen] { return (static_cast<double>(gen() >> 11) + 1.0) * (1.0 / 9007199254740992.0); };
  Matrix g(rows, cols);
  float* p = g.data();
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double t = 2.0 * M_PI * uniform();
    p[i] = static_cast<float>(r * std::cos(t));
    if (i + 1 < n) p[i + 1] = static_cast<float>(r * std::sin(t));
  }
  return g;
}

}  // namespace lrb
