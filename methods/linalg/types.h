// Small value types shared by the linear-algebra routines and the factorization formats.
// Only <Eigen/Core> here: the decompositions' heavy headers stay in the .cc files.
#ifndef LRB_METHODS_LINALG_TYPES_H_
#define LRB_METHODS_LINALG_TYPES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "absl/status/status.h"

namespace lrb {

// Column-major float matrix. A weight is (out x in), the Hugging Face layout: y = x W^T + b.
using Matrix = Eigen::MatrixXf;
using Vector = Eigen::VectorXf;

// A dense tensor of any order, row-major (the last index varies fastest), as a reshaped
// weight or a Tucker core is laid out.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> s);
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  int order() const { return static_cast<int>(shape.size()); }
};

// Product of the entries of `dims`.
int64_t NumElements(const std::vector<int64_t>& dims);

// OK when every entry is finite; otherwise InvalidArgument naming `what` and the first bad entry.
absl::Status CheckFinite(const Matrix& m, std::string_view what);

// A [rows, cols] matrix of independent standard normal draws, deterministic for a seed on every
// machine (mt19937_64 and Box-Muller written out, not std::normal_distribution).
Matrix GaussianMatrix(int64_t rows, int64_t cols, uint64_t seed);

// Thin SVD A = U diag(S) Vt with singular values in decreasing order.
struct Svd {
  Matrix u;   // [m, k]
  Vector s;   // [k]
  Matrix vt;  // [k, n]
};

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_TYPES_H_
