#include "methods/linalg/tucker.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

// Tolerances: every quantity below is a float32 computation whose rounding error is a small multiple of
// eps = 6e-8 times a few sqrt(n) factors from the inner products (n <= a few hundred here) and, for the
// decompositions, a condition factor of the random factors / core (the unfolding's Gram squares it once
// before ssyevd). 1e-5 relative covers exact identities with a 10-100x margin; exact recovery measures
// about 1e-6 over 20 seeds, so 1e-5 keeps a 10x margin and stays orders of magnitude below the
// truncation error that a wrong subspace would leave (O(1) relative for these Gaussian tensors).

Tensor RandomTensor(const std::vector<int64_t>& shape, uint64_t seed) {
  return testing::GaussianTensor(shape, seed);
}

double Norm(const Tensor& t) {
  double s = 0;
  for (float v : t.data) s += static_cast<double>(v) * v;
  return std::sqrt(s);
}

double RelativeError(const Tensor& approx, const Tensor& exact) {
  EXPECT_EQ(approx.shape, exact.shape);
  double s = 0;
  for (int64_t i = 0; i < exact.size(); ++i) {
    const double d = static_cast<double>(approx.data[i]) - exact.data[i];
    s += d * d;
  }
  return std::sqrt(s) / Norm(exact);
}

// Row-major flat index of a multi-index.
int64_t Flat(const std::vector<int64_t>& shape, const std::vector<int64_t>& index) {
  int64_t f = 0;
  for (size_t k = 0; k < shape.size(); ++k) f = f * shape[k] + index[k];
  return f;
}

TEST(UnfoldTest, MatchesIndexDefinition) {
  // X_(1)[i, a * n_2 + b] = X[a, i, b]: remaining indices in their original order, the last fastest.
  const std::vector<int64_t> shape = {2, 3, 4};
  const Tensor x = RandomTensor(shape, 1);
  for (int mode = 0; mode < 3; ++mode) {
    const Matrix u = Unfold(x, mode);
    ASSERT_EQ(u.rows(), shape[mode]);
    ASSERT_EQ(u.cols(), 24 / shape[mode]);
    for (int64_t i0 = 0; i0 < 2; ++i0) {
      for (int64_t i1 = 0; i1 < 3; ++i1) {
        for (int64_t i2 = 0; i2 < 4; ++i2) {
          const std::vector<int64_t> idx = {i0, i1, i2};
          std::vector<int64_t> rest_shape, rest_idx;
          for (int j = 0; j < 3; ++j) {
            if (j == mode) continue;
            rest_shape.push_back(shape[j]);
            rest_idx.push_back(idx[j]);
          }
          EXPECT_EQ(u(idx[mode], Flat(rest_shape, rest_idx)), x.data[Flat(shape, idx)]);
        }
      }
    }
  }
}

// Kolda & Bader (2009), n-mode product: Y = X x_k M  <=>  Y_(k) = M X_(k).
TEST(ModeProductTest, UnfoldingOfProductIsMatrixTimesUnfolding) {
  const Tensor x = RandomTensor({3, 4, 5, 2}, 2);
  for (int mode = 0; mode < 4; ++mode) {
    const Matrix m = GaussianMatrix(6, x.shape[mode], 10 + mode);
    const Tensor y = ModeProduct(x, m, mode);
    EXPECT_EQ(y.shape[mode], 6);
    const Matrix expected = m * Unfold(x, mode);
    EXPECT_LT((Unfold(y, mode) - expected).norm() / expected.norm(), 1e-5) << "mode " << mode;
  }
}

// Products in distinct modes commute, and consecutive products in one mode compose:
// X x_k A x_k B = X x_k (B A) (Kolda & Bader 2009).
TEST(ModeProductTest, DistinctModesCommuteAndSameModeComposes) {
  const Tensor x = RandomTensor({4, 5, 6}, 3);
  const Matrix a = GaussianMatrix(3, 4, 4);
  const Matrix b = GaussianMatrix(7, 6, 5);
  EXPECT_LT(RelativeError(ModeProduct(ModeProduct(x, a, 0), b, 2), ModeProduct(ModeProduct(x, b, 2), a, 0)), 1e-5);
  const Matrix c = GaussianMatrix(2, 5, 6);
  const Matrix d = GaussianMatrix(5, 2, 7);
  EXPECT_LT(RelativeError(ModeProduct(ModeProduct(x, c, 1), d, 1), ModeProduct(x, d * c, 1)), 1e-5);
}

// A tensor of exact multilinear rank r: random Gaussian core [r_1..r_d] times Gaussian (not orthonormal)
// factors [n_k, r_k]. Its unfoldings have rank exactly r_k, so the truncated HOSVD at ranks r spans
// the same subspaces and reproduces it up to rounding.
TEST(HosvdTest, RecoversExactTuckerTensor) {
  const std::vector<int64_t> shape = {12, 10, 8, 6};
  const std::vector<int64_t> ranks = {4, 3, 5, 2};
  TuckerTensor truth;
  truth.core = RandomTensor(ranks, 20);
  for (int k = 0; k < 4; ++k) truth.factors.push_back(GaussianMatrix(shape[k], ranks[k], 21 + k));
  const Tensor x = TuckerReconstruct(truth);
  ASSERT_EQ(x.shape, shape);

  absl::StatusOr<TuckerTensor> t = Hosvd(x, ranks);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->core.shape, ranks);
  for (int k = 0; k < 4; ++k) {
    ASSERT_EQ(t->factors[k].rows(), shape[k]);
    ASSERT_EQ(t->factors[k].cols(), ranks[k]);
    const Matrix gram = t->factors[k].transpose() * t->factors[k];
    EXPECT_LT((gram - Matrix::Identity(ranks[k], ranks[k])).norm(), 1e-5) << "factor " << k;
  }
  EXPECT_LT(RelativeError(TuckerReconstruct(*t), x), 1e-5);
}

// Full ranks: the HOSVD is exact (U_k square orthogonal), whatever the tensor.
TEST(HosvdTest, FullRanksAreExact) {
  const Tensor x = RandomTensor({5, 3, 4}, 30);
  absl::StatusOr<TuckerTensor> t = Hosvd(x, {5, 3, 4});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_LT(RelativeError(TuckerReconstruct(*t), x), 1e-5);
}

double HosvdError(const Tensor& x, const std::vector<int64_t>& ranks) {
  absl::StatusOr<TuckerTensor> t = Hosvd(x, ranks);
  EXPECT_TRUE(t.ok()) << t.status();
  return RelativeError(TuckerReconstruct(*t), x);
}

// With nested leading subspaces the HOSVD approximation is the orthogonal projection of X onto
// span(U_1) (x) ... (x) span(U_d); growing every rank enlarges that space, so the error cannot grow.
// The 1e-6 slack absorbs rounding between two nearly equal float errors.
TEST(HosvdTest, ErrorNonIncreasingAsRanksGrow) {
  const std::vector<int64_t> shape = {9, 7, 8};
  const Tensor x = RandomTensor(shape, 40);
  double previous = 1.0;
  for (int64_t r = 1; r <= 9; ++r) {
    std::vector<int64_t> ranks;
    for (int64_t n : shape) ranks.push_back(std::min(r, n));
    const double err = HosvdError(x, ranks);
    EXPECT_LE(err, previous + 1e-6) << "rank " << r;
    previous = err;
  }
  EXPECT_LT(previous, 1e-5);  // all ranks full at r = 9
}

// HOOI starts from the HOSVD and each factor update maximises ||G|| with the others fixed
// (De Lathauwer et al. 2000, HOOI, Sec. 4), so it ends no worse. A generic Gaussian tensor has no low
// multilinear rank, so the two differ; 1e-6 absorbs float rounding of two errors near 0.9.
TEST(HooiTest, NoWorseThanHosvdOnGenericTensor) {
  const Tensor x = RandomTensor({10, 9, 8}, 50);
  const std::vector<int64_t> ranks = {3, 4, 2};
  absl::StatusOr<TuckerTensor> hooi = Hooi(x, ranks, /*max_iterations=*/20, /*tolerance=*/1e-7);
  ASSERT_TRUE(hooi.ok()) << hooi.status();
  EXPECT_EQ(hooi->core.shape, ranks);
  const double hosvd_err = HosvdError(x, ranks);
  const double hooi_err = RelativeError(TuckerReconstruct(*hooi), x);
  EXPECT_LE(hooi_err, hosvd_err + 1e-6);
  // Orthonormal factors: ||X - X_hat||^2 = ||X||^2 - ||G||^2 (De Lathauwer et al. 2000, Sec. 4).
  const double nx = Norm(x), ng = Norm(hooi->core);
  EXPECT_NEAR(hooi_err * hooi_err, (nx * nx - ng * ng) / (nx * nx), 1e-5);
}

TEST(HooiTest, ZeroIterationsIsHosvd) {
  const Tensor x = RandomTensor({6, 5, 4}, 60);
  absl::StatusOr<TuckerTensor> hooi = Hooi(x, {2, 2, 2}, /*max_iterations=*/0);
  absl::StatusOr<TuckerTensor> hosvd = Hosvd(x, {2, 2, 2});
  ASSERT_TRUE(hooi.ok() && hosvd.ok());
  EXPECT_EQ(hooi->core.data, hosvd->core.data);
}

void ExpectInvalid(const absl::StatusOr<TuckerTensor>& t, const std::string& fragment) {
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(fragment), std::string::npos) << t.status();
}

TEST(HosvdTest, RefusesBadRanksAndNonFiniteInput) {
  const Tensor x = RandomTensor({4, 3, 2}, 70);
  ExpectInvalid(Hosvd(x, {2, 0, 1}), "rank 0 of mode 1");
  ExpectInvalid(Hosvd(x, {5, 2, 1}), "rank 5 of mode 0");
  ExpectInvalid(Hosvd(x, {2, 2}), "2 Tucker ranks");
  ExpectInvalid(Hooi(x, {2, 2, 3}), "rank 3 of mode 2");
  Tensor bad = x;
  bad.data[7] = std::nanf("");
  ExpectInvalid(Hosvd(bad, {2, 2, 1}), "flat index 7");
  ExpectInvalid(Hooi(bad, {2, 2, 1}), "non-finite");
  ExpectInvalid(Hooi(x, {2, 2, 1}, /*max_iterations=*/-1), "-1");
}

// sum_l ||X_l - X_hat_l||^2 / sum_l ||X_l||^2 of a shared-core fit, from the reconstructions.
double SharedError(const SharedCoreTucker& t, const std::vector<Tensor>& xs) {
  double err = 0, total = 0;
  for (size_t l = 0; l < xs.size(); ++l) {
    const double e = RelativeError(TuckerReconstruct({t.core, t.factors[l]}), xs[l]) * Norm(xs[l]);
    err += e * e;
    total += Norm(xs[l]) * Norm(xs[l]);
  }
  return err / total;
}

// Every step of the fit is an exact minimiser of its block (HOSVD factors fixed: the leading singular
// vector; Procrustes: the polar factor), so the error sequence cannot grow; 1e-6 absorbs float rounding
// of errors near 0.5. The reported error is computed from the projections (sum ||X||^2 - sum s^2): it must
// equal the one the stored factors reconstruct, scales folded in (1e-4: a difference of squares in float).
TEST(SharedCoreTuckerTest, ErrorNeverGrowsAndMatchesTheReconstructions) {
  const std::vector<Tensor> xs = {RandomTensor({6, 5, 8}, 80), RandomTensor({4, 7, 8}, 81),
                                  RandomTensor({5, 5, 6}, 82)};
  const std::vector<int64_t> ranks = {3, 3, 2};
  absl::StatusOr<SharedCoreTucker> t = FitSharedCoreTucker(xs, ranks, /*max_sweeps=*/20, /*tolerance=*/0);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->core.shape, ranks);
  ASSERT_EQ(t->factors.size(), 3u);
  for (size_t l = 0; l < xs.size(); ++l) {
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(t->factors[l][k].rows(), xs[l].shape[k]);
      EXPECT_EQ(t->factors[l][k].cols(), ranks[k]);
    }
  }
  ASSERT_EQ(t->errors.size(), 21u);
  for (size_t i = 1; i < t->errors.size(); ++i) EXPECT_LE(t->errors[i], t->errors[i - 1] + 1e-6) << "sweep " << i;
  EXPECT_LT(t->errors.back(), t->errors.front());  // the sweeps do something on generic tensors
  EXPECT_NEAR(SharedError(*t, xs), t->errors.back(), 1e-4);
}

// Tensors that do share a core (X_l = G x_k A_k^(l), Gaussian factors of exact rank, different scales): the
// HOSVD finds each tensor's subspaces exactly but leaves every tensor's core in its own basis, so the start
// is far off (~0.2). The sweeps must close most of that gap; they need not reach zero: alternating least
// squares on Tucker models creeps through "swamps" (here 8e-4 after 200 sweeps, 3e-4 after 3000), so the
// test asks for a 100-fold reduction in 200 sweeps (2.7x margin on this instance), not exact recovery.
TEST(SharedCoreTuckerTest, SweepsApproachTensorsThatShareACore) {
  const std::vector<int64_t> ranks = {2, 3, 2};
  const Tensor core = RandomTensor(ranks, 90);
  const std::vector<std::vector<int64_t>> shapes = {{6, 5, 4}, {4, 7, 5}, {5, 6, 6}};
  std::vector<Tensor> xs;
  for (size_t l = 0; l < shapes.size(); ++l) {
    TuckerTensor t{core, {}};
    for (int k = 0; k < 3; ++k) t.factors.push_back(GaussianMatrix(shapes[l][k], ranks[k], 100 + 10 * l + k));
    t.factors[0] *= static_cast<float>(l + 1);
    xs.push_back(TuckerReconstruct(t));
  }
  absl::StatusOr<SharedCoreTucker> t = FitSharedCoreTucker(xs, ranks, /*max_sweeps=*/200, /*tolerance=*/0);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_GT(t->errors.front(), 0.1);
  EXPECT_LT(SharedError(*t, xs), t->errors.front() / 100);
}

// One tensor: the initial fit is the HOSVD itself (G = C / ||C||, s = ||C||), and the sweeps can only improve it.
TEST(SharedCoreTuckerTest, OneTensorStartsAtItsHosvd) {
  const Tensor x = RandomTensor({7, 6, 5}, 95);
  const std::vector<int64_t> ranks = {3, 2, 2};
  absl::StatusOr<SharedCoreTucker> t = FitSharedCoreTucker({x}, ranks, /*max_sweeps=*/10);
  ASSERT_TRUE(t.ok()) << t.status();
  const double hosvd = HosvdError(x, ranks);
  EXPECT_NEAR(t->errors.front(), hosvd * hosvd, 1e-5);
  EXPECT_LE(SharedError(*t, {x}), hosvd * hosvd + 1e-6);
}

TEST(SharedCoreTuckerTest, RefusesTensorsThatCannotShareTheCore) {
  const Tensor a = RandomTensor({4, 3, 2}, 96), b = RandomTensor({2, 3, 4}, 97), c = RandomTensor({4, 6}, 98);
  auto message = [](const absl::StatusOr<SharedCoreTucker>& t) { return t.ok() ? std::string("ok") : std::string(t.status().message()); };
  EXPECT_EQ(message(FitSharedCoreTucker({}, {1})), "shared Tucker core of no tensors");
  EXPECT_NE(message(FitSharedCoreTucker({a, b}, {3, 2, 2})).find("tensor 1: Tucker rank 3 of mode 0"), std::string::npos);
  EXPECT_NE(message(FitSharedCoreTucker({a, c}, {2, 2, 2})).find("tensor 1: 3 Tucker ranks"), std::string::npos);
  EXPECT_NE(message(FitSharedCoreTucker({a}, {2, 2, 2}, -1)).find("max_sweeps is -1"), std::string::npos);
}

}  // namespace
}  // namespace lrb
