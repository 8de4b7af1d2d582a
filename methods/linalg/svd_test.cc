#include "methods/linalg/svd.h"

#include <cmath>

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

using ::lrb::testing::WithSpectrum;
Vector Decaying(int64_t k, double power) { return ::lrb::testing::PowerLawSpectrum(k, power); }

TEST(ExactSvdTest, ReconstructsAndOrdersValues) {
  const Matrix a = GaussianMatrix(70, 40, 1);
  absl::StatusOr<Svd> svd = ExactSvd(a);
  ASSERT_TRUE(svd.ok()) << svd.status();
  EXPECT_EQ(svd->u.cols(), 40);
  const Matrix back = svd->u * svd->s.asDiagonal() * svd->vt;
  // Backward-stable: error of order n * eps * ||A||.
  EXPECT_LT((back - a).norm() / a.norm(), 1e-5);
  for (int i = 1; i < svd->s.size(); ++i) EXPECT_GE(svd->s[i - 1], svd->s[i]);
  EXPECT_LT((svd->u.transpose() * svd->u - Matrix::Identity(40, 40)).norm(), 1e-4);
}

// Eckart-Young: the error of the rank-r truncation is the root of the sum of the squared tail.
TEST(ExactSvdTest, TruncationErrorIsEckartYoungTail) {
  const Vector s = Decaying(96, 0.8);
  const Matrix a = WithSpectrum(128, 96, s, 7);
  for (int64_t r : {1, 10, 48, 95}) {
    Svd t = Truncate(*ExactSvd(a), r);
    const double err = (a - t.u * t.s.asDiagonal() * t.vt).norm();
    const double tail = s.tail(96 - r).norm();
    EXPECT_NEAR(err, tail, 1e-4 * s.norm()) << "rank " << r;
  }
}

TEST(ExactSvdTest, RefusesNonFinite) {
  Matrix a = GaussianMatrix(5, 4, 3);
  a(2, 1) = std::nanf("");
  absl::StatusOr<Svd> svd = ExactSvd(a);
  ASSERT_FALSE(svd.ok());
  EXPECT_NE(svd.status().message().find("[2, 1]"), std::string::npos) << svd.status();
}

// Halko et al. (2011), Thm. 10.6 + power iterations: on a decaying spectrum the randomized error is within a
// small factor of the optimum. With q = 2 and p = 10 the factor is below 1.05 here; we assert 1.1.
TEST(RandomizedSvdTest, NearOptimalOnDecayingSpectrum) {
  const Vector s = Decaying(300, 1.0);
  for (auto [m, n] : {std::pair<int64_t, int64_t>{300, 500}, {500, 300}}) {
    const Matrix a = WithSpectrum(m, n, s, 11);
    const int64_t r = 40;
    absl::StatusOr<Svd> rs = RandomizedSvd(a, r, {.oversampling = 10, .power_iterations = 2, .seed = 5});
    ASSERT_TRUE(rs.ok()) << rs.status();
    EXPECT_EQ(rs->u.rows(), m);
    EXPECT_EQ(rs->vt.cols(), n);
    const double err = (a - rs->u * rs->s.asDiagonal() * rs->vt).norm();
    const double optimum = s.tail(300 - r).norm();
    EXPECT_LT(err, 1.1 * optimum);
    EXPECT_GE(err, optimum * (1 - 1e-4));  // never beats Eckart-Young
  }
}

TEST(RandomizedSvdTest, SeededIsDeterministic) {
  const Matrix a = GaussianMatrix(60, 80, 2);
  Svd x = *RandomizedSvd(a, 5, {.seed = 9});
  Svd y = *RandomizedSvd(a, 5, {.seed = 9});
  EXPECT_EQ((x.s - y.s).norm(), 0.0f);
}

TEST(RandomizedSvdTest, RefusesBadRank) {
  EXPECT_FALSE(RandomizedSvd(GaussianMatrix(10, 20, 1), 0).ok());
  EXPECT_FALSE(RandomizedSvd(GaussianMatrix(10, 20, 1), 11).ok());
}

// n = 3072 needs a workspace above 2^24 floats, where LAPACK's float-valued size query rounds down.
TEST(EigenSymmetricTest, LargeWorkspaceQueryIsRoundedUp) {
  const Matrix g = GaussianMatrix(3072, 64, 8);
  const Matrix c = g * g.transpose();  // rank 64
  absl::StatusOr<SymmetricEigen> e = EigenSymmetric(c);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_LT(e->values[64], 1e-4 * e->values[0]);
}

TEST(EigenSymmetricTest, DecreasingAndReconstructs) {
  const Matrix g = GaussianMatrix(30, 50, 4);
  const Matrix c = g * g.transpose();
  SymmetricEigen e = *EigenSymmetric(c);
  for (int i = 1; i < 30; ++i) EXPECT_GE(e.values[i - 1], e.values[i]);
  EXPECT_LT((e.vectors * e.values.asDiagonal() * e.vectors.transpose() - c).norm() / c.norm(), 1e-5);
}

// The weighted optimum: ||(W - W_r) D||_F equals the tail of the singular values of W D, and plain SVD
// (optimal for the unweighted norm) does no better in the weighted one.
TEST(WeightedSvdTest, AttainsWeightedOptimumAndBeatsPlainSvd) {
  const Matrix w = WithSpectrum(64, 96, Decaying(64, 0.5), 3);
  Vector d(96);
  for (int j = 0; j < 96; ++j) d[j] = 0.1f + static_cast<float>(j % 7);  // uneven importance
  const int64_t r = 16;
  LowRankFactors f = *WeightedSvd(w, d, r);
  const double weighted_err = ((w - f.left * f.right) * d.asDiagonal()).norm();
  const Vector sw = ExactSvd(w * d.asDiagonal())->s;
  EXPECT_NEAR(weighted_err, sw.tail(64 - r).norm(), 1e-4 * sw.norm());
  Svd plain = Truncate(*ExactSvd(w), r);
  const double plain_weighted_err = ((w - plain.u * plain.s.asDiagonal() * plain.vt) * d.asDiagonal()).norm();
  EXPECT_LT(weighted_err, plain_weighted_err);
}

TEST(WeightedSvdTest, RefusesZeroWeight) {
  Vector d = Vector::Ones(8);
  d[3] = 0;
  absl::StatusOr<LowRankFactors> f = WeightedSvd(GaussianMatrix(4, 8, 1), d, 2);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("column weight 3"), std::string::npos);
}

TEST(WhiteningTest, FactorsTheSecondMomentAndDropsNullDirections) {
  // 20 samples in 30 dimensions: C has rank 20.
  const Matrix x = GaussianMatrix(20, 30, 6);
  const Matrix c = x.transpose() * x;
  Whitening wh = *WhiteningFromSecondMoment(c, 1e-6);
  EXPECT_EQ(wh.factor.cols(), 20);
  EXPECT_EQ(wh.dropped, 10);
  EXPECT_LT((wh.factor * wh.factor.transpose() - c).norm() / c.norm(), 1e-5);
  EXPECT_LT((wh.pinv * wh.factor - Matrix::Identity(20, 20)).norm(), 1e-3);
}

}  // namespace
}  // namespace lrb
