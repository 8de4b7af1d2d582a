#include "methods/linalg/kashin.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace lrb {
namespace {

float MaxAbs(const Matrix& a) { return a.cwiseAbs().maxCoeff(); }

// A Gaussian matrix with a few huge entries: the input Kashin representations are meant for.
Matrix Spiky(int64_t m, int64_t n, uint64_t seed) {
  Matrix x = GaussianMatrix(m, n, seed);
  x(3, 7) = 100.0f;
  x(m / 2, 2) = -80.0f;
  x(m - 1, n - 1) = 120.0f;
  return x;
}

TEST(RandomOrthogonalTest, IsOrthogonal) {
  for (int64_t n : {1, 2, 17, 128}) {
    const Matrix q = RandomOrthogonal(n, 5);
    ASSERT_EQ(q.rows(), n);
    ASSERT_EQ(q.cols(), n);
    // Householder QR is backward stable: ||Q^T Q - I|| = O(n eps) with eps = 6e-8, i.e. ~1e-5 at n = 128.
    EXPECT_LT(MaxAbs(q.transpose() * q - Matrix::Identity(n, n)), 1e-5) << "n " << n;
    EXPECT_LT(MaxAbs(q * q.transpose() - Matrix::Identity(n, n)), 1e-5) << "n " << n;
  }
}

TEST(RandomOrthogonalTest, IsDeterministicPerSeed) {
  const Matrix a = RandomOrthogonal(64, 11);
  const Matrix b = RandomOrthogonal(64, 11);
  EXPECT_TRUE(a == b);  // bitwise: same draws, same LAPACK calls
  EXPECT_GT(MaxAbs(a - RandomOrthogonal(64, 12)), 0.1f);
}

// The sign correction (Mezzadri 2007) makes Q the orthogonal factor with a positive-diagonal R:
// Q^T G = R must be upper triangular with R_jj > 0 for the Gaussian G drawn from the same seed.
TEST(RandomOrthogonalTest, IsTheQFactorWithPositiveDiagonal) {
  const int64_t n = 48;
  const uint64_t seed = 9;
  const Matrix r = RandomOrthogonal(n, seed).transpose() * GaussianMatrix(n, n, seed);
  for (int64_t j = 0; j < n; ++j) {
    EXPECT_GT(r(j, j), 0.0f) << "j " << j;
    // Below-diagonal entries are rounding noise relative to ||G|| ~ sqrt(n) * n^0.5 = n.
    for (int64_t i = j + 1; i < n; ++i) EXPECT_NEAR(r(i, j), 0.0f, 1e-4) << i << ", " << j;
  }
}

TEST(KashinTest, ConvergesOnWellConditionedMatrix) {
  const Matrix x = GaussianMatrix(64, 96, 1);
  KashinOptions options;
  options.tolerance = 1e-4;
  options.seed = 3;
  absl::StatusOr<KashinResult> k = KashinDecompose(x, options);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->converged);
  EXPECT_LE(k->relative_residual, options.tolerance);
  EXPECT_GT(k->iterations, 0);
  EXPECT_LT(k->iterations, options.max_iterations);
  ASSERT_EQ(k->u.rows(), 64);
  ASSERT_EQ(k->u.cols(), 96);
  ASSERT_EQ(k->v.rows(), 64);
  ASSERT_EQ(k->v.cols(), 96);
  // Recomputing from scratch differs from the tracked residual only by rounding: O(iterations * eps)
  // relative, i.e. a few 1e-6 here; 1e-5 of slack on top of the tolerance covers it.
  const double err = (KashinCompose(k->u, k->v, options.seed) - x).norm();
  EXPECT_LE(err, (options.tolerance + 1e-5) * x.norm());
  EXPECT_NEAR(err / x.norm(), k->relative_residual, 1e-5);
}

TEST(KashinTest, ComposeIsURotatedV) {
  const Matrix x = GaussianMatrix(20, 30, 2);
  KashinOptions options;
  options.seed = 7;
  absl::StatusOr<KashinResult> k = KashinDecompose(x, options);
  ASSERT_TRUE(k.ok()) << k.status();
  const Matrix q1 = RandomOrthogonal(20, 7);
  const Matrix q2 = RandomOrthogonal(30, 8);
  const Matrix manual = k->u + q1 * k->v * q2.transpose();
  // Two float GEMMs of length <= 30 on O(1) entries: error well below 1e-5.
  EXPECT_LT(MaxAbs(KashinCompose(k->u, k->v, 7) - manual), 1e-5);
}

// The point of the representation (Lyubarskii & Vershynin 2010): the coefficients are spread out, so
// ||U||_inf and ||V||_inf are of order ||X||_F / sqrt(mn) (the "Kashin level"), not of order ||X||_inf.
// The greedy loop converges much more slowly on spiky input than on Gaussian input (the spikes' residual
// stays concentrated in both frames; ~250 steps to 1e-3 here against ~15 for a Gaussian matrix), hence
// the looser tolerance and the higher cap.
TEST(KashinTest, SpreadsOutliers) {
  const Matrix x = Spiky(64, 96, 4);
  KashinOptions options;
  options.tolerance = 1e-3;
  options.max_iterations = 400;
  absl::StatusOr<KashinResult> k = KashinDecompose(x, options);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->converged);
  const float x_max = MaxAbs(x);
  const double level = x.norm() / std::sqrt(64.0 * 96.0);  // ~2.3 here, against x_max = 120
  EXPECT_LT(MaxAbs(k->u), x_max);
  EXPECT_LT(MaxAbs(k->v), x_max);
  // The observed constant is about 2; 4 leaves room for another seed while still being ~20x below x_max.
  EXPECT_LT(MaxAbs(k->u), 4 * level);
  EXPECT_LT(MaxAbs(k->v), 4 * level);
  EXPECT_LE((KashinCompose(k->u, k->v, options.seed) - x).norm(), (options.tolerance + 1e-5) * x.norm());
}

// Each step is an orthogonal projection of the residual, which removes <R,Y>^2/||Y||^2 >= 0 of
// ||R||_F^2. The run capped at t + 1 steps extends the run capped at t (the loop is deterministic), so the
// residual after each step can be read off capped runs.
TEST(KashinTest, ResidualNeverIncreases) {
  const Matrix x = Spiky(24, 40, 6);
  KashinOptions options;
  options.tolerance = 0;
  double previous = 1.0;  // with no step the residual is X itself
  for (int steps = 0; steps <= 25; ++steps) {
    options.max_iterations = steps;
    absl::StatusOr<KashinResult> k = KashinDecompose(x, options);
    ASSERT_TRUE(k.ok()) << k.status();
    ASSERT_EQ(k->iterations, steps);
    // Relative float slack for the tracked residual's rounding.
    EXPECT_LE(k->relative_residual, previous * (1 + 1e-6)) << "step " << steps;
    if (steps > 0) {
      EXPECT_LT(k->relative_residual, previous) << "no progress at step " << steps;
    }
    previous = k->relative_residual;
  }
  EXPECT_LT(previous, 0.2);  // and it goes somewhere (slowly: the input is spiky)
}

TEST(KashinTest, IterationCapIsReportedNotAnError) {
  const Matrix x = GaussianMatrix(32, 32, 8);
  KashinOptions options;
  options.max_iterations = 3;
  options.tolerance = 1e-6;
  absl::StatusOr<KashinResult> k = KashinDecompose(x, options);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_FALSE(k->converged);
  EXPECT_EQ(k->iterations, 3);
  EXPECT_GT(k->relative_residual, options.tolerance);
  EXPECT_LT(k->relative_residual, 1.0);
}

TEST(KashinTest, SameSeedSameResult) {
  const Matrix x = Spiky(30, 50, 10);
  KashinOptions options;
  options.seed = 42;
  absl::StatusOr<KashinResult> a = KashinDecompose(x, options);
  absl::StatusOr<KashinResult> b = KashinDecompose(x, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->u == b->u);
  EXPECT_TRUE(a->v == b->v);
  EXPECT_EQ(a->iterations, b->iterations);
}

TEST(KashinTest, ZeroMatrixConvergesImmediately) {
  absl::StatusOr<KashinResult> k = KashinDecompose(Matrix::Zero(5, 6), KashinOptions{});
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->converged);
  EXPECT_EQ(k->iterations, 0);
  EXPECT_EQ(k->relative_residual, 0.0);
  EXPECT_EQ(MaxAbs(k->u), 0.0f);
  EXPECT_EQ(MaxAbs(k->v), 0.0f);
}

TEST(KashinVectorTest, ConvergesAndSpreadsOutliers) {
  Vector x = GaussianMatrix(256, 1, 12);
  x[5] = 60.0f;
  x[200] = -50.0f;
  KashinOptions options;
  options.seed = 13;
  options.tolerance = 1e-4;
  absl::StatusOr<KashinResult> k = KashinDecomposeVector(x, options);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->converged);
  ASSERT_EQ(k->u.rows(), 256);
  ASSERT_EQ(k->u.cols(), 1);
  ASSERT_EQ(k->v.rows(), 256);
  ASSERT_EQ(k->v.cols(), 1);
  // x ~ u + Q v with Q from the seed itself.
  const Vector back = k->u + RandomOrthogonal(256, 13) * k->v;
  EXPECT_LE((back - x).norm(), (options.tolerance + 1e-5) * x.norm());
  EXPECT_LT(MaxAbs((KashinCompose(k->u, k->v, 13) - back).eval()), 1e-5);
  const float x_max = x.cwiseAbs().maxCoeff();
  EXPECT_LT(MaxAbs(k->u), x_max);
  EXPECT_LT(MaxAbs(k->v), x_max);
}

TEST(KashinVectorTest, MatchesSingleColumnMatrixForm) {
  const Matrix x = GaussianMatrix(40, 1, 14);
  KashinOptions options;
  options.seed = 2;
  absl::StatusOr<KashinResult> a = KashinDecomposeVector(x.col(0), options);
  absl::StatusOr<KashinResult> b = KashinDecompose(x, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->u == b->u);
  EXPECT_TRUE(a->v == b->v);
}

TEST(KashinTest, RefusesNonFiniteAndBadOptions) {
  Matrix x = GaussianMatrix(6, 5, 15);
  x(4, 2) = std::nanf("");
  absl::StatusOr<KashinResult> k = KashinDecompose(x, KashinOptions{});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(k.status().message().find("[4, 2]"), std::string::npos) << k.status();

  x(4, 2) = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(KashinDecompose(x, KashinOptions{}).ok());
  Vector v = Vector::Ones(8);
  v[3] = std::nanf("");
  EXPECT_FALSE(KashinDecomposeVector(v, KashinOptions{}).ok());

  EXPECT_FALSE(KashinDecompose(Matrix(0, 4), KashinOptions{}).ok());
  EXPECT_FALSE(KashinDecomposeVector(Vector(0), KashinOptions{}).ok());
  KashinOptions bad;
  bad.max_iterations = -1;
  absl::StatusOr<KashinResult> b = KashinDecompose(GaussianMatrix(4, 4, 1), bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("-1"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace lrb
