// Test matrices with known structure, shared by the method tests.
#ifndef LRB_METHODS_TESTING_MATRICES_H_
#define LRB_METHODS_TESTING_MATRICES_H_

#include <cstdint>
#include <vector>

#include "methods/linalg/types.h"

namespace lrb::testing {

// [n, k] with orthonormal columns (left singular vectors of a seeded Gaussian).
Matrix Orthonormal(int64_t n, int64_t k, uint64_t seed);

// A tensor of the given shape with independent standard normal entries, deterministic for a seed.
Tensor GaussianTensor(const std::vector<int64_t>& shape, uint64_t seed);

// s_i = (i + 1)^-power, i < k.
Vector PowerLawSpectrum(int64_t k, double power);

// U diag(s) V^T [m, n] with random orthonormal U [m, k], V [n, k], k = s.size().
Matrix WithSpectrum(int64_t m, int64_t n, const Vector& s, uint64_t seed);

}  // namespace lrb::testing

#endif  // LRB_METHODS_TESTING_MATRICES_H_
