#include "methods/svd/svd.h"

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

TEST(SvdMethodTest, ExactSolverAttainsEckartYoung) {
  const Vector s = testing::PowerLawSpectrum(64, 0.7);
  const Matrix w = testing::WithSpectrum(96, 64, s, 3);
  absl::StatusOr<Compressed> r = MakeSvdMethod()->Compress({&w}, Budget::Rank(16), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StoredParams(r->factorization), 16 * (96 + 64));
  EXPECT_NEAR((w - Reconstruct(r->factorization)).norm(), s.tail(48).norm(), 1e-4 * s.norm());
}

TEST(SvdMethodTest, RandomizedSolverIsCloseToExact) {
  const Vector s = testing::PowerLawSpectrum(200, 1.0);
  const Matrix w = testing::WithSpectrum(200, 300, s, 5);
  absl::StatusOr<Compressed> r =
      MakeSvdMethod()->Compress({&w}, Budget::Rank(20), MethodOptions({{"solver", "randomized"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  // Halko et al. with q = 2 power iterations: within a few percent of the optimum on this spectrum.
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1.1 * s.tail(180).norm());
}

TEST(SvdMethodTest, RefusesUnknownSolverAndTooLargeRank) {
  const Matrix w = GaussianMatrix(10, 8, 1);
  EXPECT_FALSE(MakeSvdMethod()->Compress({&w}, Budget::Rank(2), MethodOptions({{"solver", "qr"}})).ok());
  absl::StatusOr<Compressed> r = MakeSvdMethod()->Compress({&w}, Budget::Rank(9), MethodOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("outside [1, 8]"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace lrb
