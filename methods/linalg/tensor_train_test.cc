#include "methods/linalg/tensor_train.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

// Tolerances: all arithmetic is float32 (eps = 6e-8). An exact identity computed two ways (a GEMM
// chain against a dense product, reshapes) differs by a few eps * sqrt(inner dimension), far below
// 1e-5 relative for the sizes here. Exact recovery by TT-SVD also goes through ssyevd on the
// unfoldings' Gram matrices, which squares their condition number once; with Gaussian cores the
// measured relative error is ~1e-6, so 1e-5 keeps a 10x margin while any wrongly chosen subspace
// would leave an O(1) relative error.

Tensor RandomTensor(const std::vector<int64_t>& shape, uint64_t seed) {
  return testing::GaussianTensor(shape, seed);
}

double RelativeError(const Tensor& approx, const Tensor& exact) {
  EXPECT_EQ(approx.shape, exact.shape);
  double num = 0, den = 0;
  for (int64_t i = 0; i < exact.size(); ++i) {
    const double d = static_cast<double>(approx.data[i]) - exact.data[i];
    num += d * d;
    den += static_cast<double>(exact.data[i]) * exact.data[i];
  }
  return std::sqrt(num / den);
}

double RelativeError(const Matrix& approx, const Matrix& exact) {
  EXPECT_EQ(approx.rows(), exact.rows());
  EXPECT_EQ(approx.cols(), exact.cols());
  return (approx - exact).norm() / exact.norm();
}

TensorTrain RandomTrain(const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks, uint64_t seed) {
  TensorTrain tt;
  for (size_t k = 0; k < shape.size(); ++k) {
    const int64_t left = k == 0 ? 1 : ranks[k - 1];
    const int64_t right = k + 1 == shape.size() ? 1 : ranks[k];
    tt.cores.push_back(RandomTensor({left, shape[k], right}, seed + k));
  }
  return tt;
}

TtMatrix RandomTtMatrix(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes,
                        const std::vector<int64_t>& ranks, uint64_t seed) {
  TtMatrix tt;
  tt.row_modes = row_modes;
  tt.col_modes = col_modes;
  for (size_t k = 0; k < row_modes.size(); ++k) {
    const int64_t left = k == 0 ? 1 : ranks[k - 1];
    const int64_t right = k + 1 == row_modes.size() ? 1 : ranks[k];
    tt.cores.push_back(RandomTensor({left, row_modes[k], col_modes[k], right}, seed + k));
  }
  return tt;
}

TEST(TtReconstructTest, MatchesCoreProductDefinition) {
  // X[i_1, i_2, i_3] = G_1[0, i_1, :] G_2[:, i_2, :] G_3[:, i_3, 0], evaluated entry by entry.
  const std::vector<int64_t> shape = {3, 4, 2}, ranks = {2, 3};
  const TensorTrain tt = RandomTrain(shape, ranks, 1);
  const Tensor x = TtReconstruct(tt);
  ASSERT_EQ(x.shape, shape);
  for (int64_t i1 = 0; i1 < 3; ++i1) {
    for (int64_t i2 = 0; i2 < 4; ++i2) {
      for (int64_t i3 = 0; i3 < 2; ++i3) {
        double v = 0;
        for (int64_t a = 0; a < 2; ++a) {
          for (int64_t b = 0; b < 3; ++b) {
            v += static_cast<double>(tt.cores[0].data[i1 * 2 + a]) * tt.cores[1].data[(a * 4 + i2) * 3 + b] *
                 tt.cores[2].data[b * 2 + i3];
          }
        }
        EXPECT_NEAR(x.data[(i1 * 4 + i2) * 2 + i3], v, 1e-5 * (1 + std::abs(v)));
      }
    }
  }
}

// A tensor built from random cores has TT ranks exactly r (generically), so TT-SVD at caps r makes no
// truncation error (Oseledets 2011, Thm. 2.1) and returns left-orthonormal cores.
TEST(TtSvdTest, RecoversExactTensorTrain) {
  const std::vector<int64_t> shape = {5, 6, 4, 7, 3}, ranks = {3, 4, 5, 2};
  const Tensor x = TtReconstruct(RandomTrain(shape, ranks, 10));
  absl::StatusOr<TensorTrain> tt = TtSvd(x, ranks);
  ASSERT_TRUE(tt.ok()) << tt.status();
  ASSERT_EQ(tt->cores.size(), shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    const int64_t left = k == 0 ? 1 : ranks[k - 1];
    const int64_t right = k + 1 == shape.size() ? 1 : ranks[k];
    EXPECT_EQ(tt->cores[k].shape, (std::vector<int64_t>{left, shape[k], right})) << "core " << k;
    if (k + 1 < shape.size()) {
      // Core k as a column-major [r_k, r_{k-1} n_k] matrix is U_k^T: its rows are orthonormal.
      const Eigen::Map<const Matrix> ut(tt->cores[k].data.data(), right, left * shape[k]);
      EXPECT_LT((ut * ut.transpose() - Matrix::Identity(right, right)).norm(), 1e-5) << "core " << k;
    }
  }
  EXPECT_LT(RelativeError(TtReconstruct(*tt), x), 1e-5);
}

// Caps above min(rows, cols) of an unfolding are lowered to it; with every cap that large the train is
// exact whatever the tensor.
TEST(TtSvdTest, LargeCapsAreLoweredAndExact) {
  const Tensor x = RandomTensor({2, 3, 4}, 20);
  absl::StatusOr<TensorTrain> tt = TtSvd(x, {100, 100});
  ASSERT_TRUE(tt.ok()) << tt.status();
  EXPECT_EQ(tt->cores[0].shape, (std::vector<int64_t>{1, 2, 2}));  // min(2, 12)
  EXPECT_EQ(tt->cores[1].shape, (std::vector<int64_t>{2, 3, 4}));  // min(6, 4)
  EXPECT_EQ(tt->cores[2].shape, (std::vector<int64_t>{4, 4, 1}));
  EXPECT_LT(RelativeError(TtReconstruct(*tt), x), 1e-5);
}

// Oseledets (2011), Thm. 2.2: ||X - TT-SVD(X)||^2 <= sum_k eps_k^2, where eps_k is the Eckart-Young
// error of the rank-r_k truncation of the k-th unfolding X<k> [n_1..n_k, n_{k+1}..n_d]. The 1e-4
// relative slack covers float rounding of errors of order 0.5.
TEST(TtSvdTest, ErrorWithinOseledetsBound) {
  const std::vector<int64_t> shape = {4, 5, 6, 3};
  const std::vector<int64_t> caps = {3, 6, 2};
  const Tensor x = RandomTensor(shape, 30);
  absl::StatusOr<TensorTrain> tt = TtSvd(x, caps);
  ASSERT_TRUE(tt.ok()) << tt.status();
  double bound = 0, norm2 = 0;
  for (float v : x.data) norm2 += static_cast<double>(v) * v;
  int64_t left = 1;
  for (size_t k = 0; k + 1 < shape.size(); ++k) {
    left *= shape[k];
    // Row-major X<k> [left, rest] is column-major [rest, left]; both have the same singular values.
    const Eigen::Map<const Matrix> unfolding_t(x.data.data(), x.size() / left, left);
    absl::StatusOr<Svd> svd = ExactSvd(unfolding_t);
    ASSERT_TRUE(svd.ok()) << svd.status();
    const Vector& s = svd->s;
    bound += s.tail(s.size() - caps[k]).squaredNorm();
  }
  const double err = RelativeError(TtReconstruct(*tt), x);
  EXPECT_GT(err, 0.1);  // a generic tensor is far from these ranks, so the bound is not vacuous
  EXPECT_LE(err, std::sqrt(bound / norm2) * (1 + 1e-4));
}

TEST(TtMatrixTest, ToDenseMatchesCoreProductDefinition) {
  // W[(i_1 i_2), (j_1 j_2)] = sum_a G_1[0, i_1, j_1, a] G_2[a, i_2, j_2, 0], i_1 and j_1 the slow digits.
  const std::vector<int64_t> rows = {2, 3}, cols = {4, 2};
  const TtMatrix tt = RandomTtMatrix(rows, cols, {3}, 40);
  const Matrix w = TtMatrixToDense(tt);
  ASSERT_EQ(w.rows(), 6);
  ASSERT_EQ(w.cols(), 8);
  for (int64_t i1 = 0; i1 < 2; ++i1) {
    for (int64_t i2 = 0; i2 < 3; ++i2) {
      for (int64_t j1 = 0; j1 < 4; ++j1) {
        for (int64_t j2 = 0; j2 < 2; ++j2) {
          double v = 0;
          for (int64_t a = 0; a < 3; ++a) {
            v += static_cast<double>(tt.cores[0].data[(i1 * 4 + j1) * 3 + a]) *
                 tt.cores[1].data[(a * 3 + i2) * 2 + j2];
          }
          EXPECT_NEAR(w(i1 * 3 + i2, j1 * 2 + j2), v, 1e-5 * (1 + std::abs(v)));
        }
      }
    }
  }
}

TEST(TtMatrixTest, FromDenseRecoversTtMatrix) {
  const std::vector<int64_t> rows = {4, 3, 5}, cols = {2, 6, 3}, ranks = {3, 4};
  const Matrix w = TtMatrixToDense(RandomTtMatrix(rows, cols, ranks, 50));
  absl::StatusOr<TtMatrix> tt = TtMatrixFromDense(w, rows, cols, ranks);
  ASSERT_TRUE(tt.ok()) << tt.status();
  EXPECT_EQ(TtRanks(*tt), ranks);
  EXPECT_EQ(tt->row_modes, rows);
  EXPECT_EQ(tt->col_modes, cols);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(tt->cores[k].shape[1], rows[k]);
    EXPECT_EQ(tt->cores[k].shape[2], cols[k]);
  }
  EXPECT_LT(RelativeError(TtMatrixToDense(*tt), w), 1e-5);
}

// Y = X W^T contracted core by core must equal the dense product (a reassociation of the same sums).
TEST(TtMatrixTest, ApplyMatchesDenseProduct) {
  struct Case {
    std::vector<int64_t> rows, cols, ranks;
  };
  const std::vector<Case> cases = {
      {{7}, {5}, {}},                       // d = 1: a plain dense matrix
      {{4, 6}, {5, 3}, {4}},                // d = 2
      {{2, 3, 4}, {4, 2, 3}, {3, 5}},       // d = 3
      {{2, 2, 3, 2}, {3, 2, 2, 2}, {2, 3, 2}},  // d = 4
  };
  uint64_t seed = 60;
  for (const Case& c : cases) {
    const TtMatrix tt = RandomTtMatrix(c.rows, c.cols, c.ranks, seed);
    const Matrix w = TtMatrixToDense(tt);
    const Matrix x = GaussianMatrix(9, w.cols(), seed + 100);
    const Matrix y = TtMatrixApply(tt, x);
    EXPECT_LT(RelativeError(y, x * w.transpose()), 1e-5) << "order " << c.rows.size();
    seed += 10;
  }
}

TEST(TtMatrixTest, ParamsIsSumOfCoreSizes) {
  const std::vector<int64_t> rows = {4, 3, 5}, cols = {2, 6, 3};
  absl::StatusOr<TtMatrix> tt = TtMatrixFromDense(GaussianMatrix(60, 36, 70), rows, cols, {5, 7});
  ASSERT_TRUE(tt.ok()) << tt.status();
  const std::vector<int64_t> ranks = TtRanks(*tt);
  EXPECT_EQ(ranks, (std::vector<int64_t>{5, 7}));
  int64_t total = 0;
  for (const Tensor& g : tt->cores) total += g.size();
  EXPECT_EQ(TtMatrixParams(rows, cols, ranks), total);
  // 1*4*2*5 + 5*3*6*7 + 7*5*3*1
  EXPECT_EQ(TtMatrixParams(rows, cols, ranks), 40 + 630 + 105);
}

// Raising every cap enlarges the TT manifold searched. For d = 2 TT-SVD is the truncated SVD and the
// error is the Eckart-Young tail, monotone by construction; for d >= 3 the first interface subspaces
// are nested (leading eigenvectors) and on a generic matrix the error decreases in practice. The 1e-6
// absolute slack on errors of order 0.1-1 absorbs float rounding; at full caps the train is exact.
TEST(TtMatrixTest, ErrorNonIncreasingAsRankCapGrows) {
  const std::vector<int64_t> rows = {2, 3, 4}, cols = {3, 5, 2};
  const Matrix w = GaussianMatrix(24, 30, 80);
  double previous = 1.0;
  for (int64_t cap = 1; cap <= 40; ++cap) {
    absl::StatusOr<TtMatrix> tt = TtMatrixFromDense(w, rows, cols, {cap, cap});
    ASSERT_TRUE(tt.ok()) << tt.status();
    const double err = RelativeError(TtMatrixToDense(*tt), w);
    EXPECT_LE(err, previous + 1e-6) << "cap " << cap;
    previous = err;
  }
  EXPECT_LT(previous, 1e-5);
}

void ExpectInvalid(const absl::Status& status, const std::string& fragment) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status;
}

TEST(TtMatrixTest, RefusesBadShapesAndRanks) {
  const Matrix w = GaussianMatrix(12, 10, 90);
  // Mode products 3*4 = 12 rows and 2*5 = 10 columns are right; anything else is refused.
  ASSERT_TRUE(TtMatrixFromDense(w, {3, 4}, {2, 5}, {2}).ok());
  ExpectInvalid(TtMatrixFromDense(w, {3, 5}, {2, 5}, {2}).status(), "multiply to 15x10");
  ExpectInvalid(TtMatrixFromDense(w, {3, 4}, {2, 6}, {2}).status(), "multiply to 12x12");
  ExpectInvalid(TtMatrixFromDense(w, {3, 4}, {10}, {2}).status(), "1 column modes");
  ExpectInvalid(TtMatrixFromDense(w, {3, 4}, {2, 5}, {2, 2}).status(), "2 TT rank caps");
  ExpectInvalid(TtMatrixFromDense(w, {3, 4}, {2, 5}, {}).status(), "0 TT rank caps");
  ExpectInvalid(TtMatrixFromDense(w, {3, 4}, {2, 5}, {0}).status(), "cap 0");
  Matrix bad = w;
  bad(3, 4) = std::nanf("");
  ExpectInvalid(TtMatrixFromDense(bad, {3, 4}, {2, 5}, {2}).status(), "[3, 4]");
}

TEST(TtSvdTest, RefusesBadRanksAndNonFiniteInput) {
  const Tensor x = RandomTensor({3, 4, 2}, 95);
  ExpectInvalid(TtSvd(x, {2}).status(), "1 TT rank caps");
  ExpectInvalid(TtSvd(x, {2, 0}).status(), "cap 0 of bond 2");
  Tensor bad = x;
  bad.data[5] = std::nanf("");
  ExpectInvalid(TtSvd(bad, {2, 2}).status(), "flat index 5");
}

}  // namespace
}  // namespace lrb
