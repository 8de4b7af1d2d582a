#include "methods/drone/drone.h"

#include "gtest/gtest.h"
#include "methods/linalg/svd.h"
#include "methods/svd/svd.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

// Inputs concentrated on a few directions: where DRONE's data awareness pays off.
Matrix AnisotropicInputs(int64_t samples, int64_t dim, uint64_t seed) {
  Matrix x = GaussianMatrix(samples, dim, seed);
  for (int64_t j = 0; j < dim; ++j) x.col(j) *= std::pow(0.8f, static_cast<float>(j % 16));
  return x * testing::Orthonormal(dim, dim, seed + 1).transpose();
}

double DataError(const Matrix& w, const Matrix& m, const Matrix& x) { return (x * (w - m).transpose()).norm(); }

TEST(DroneMethodTest, DataErrorNoLargerThanSvdAtTheSameRank) {
  const Matrix w = testing::WithSpectrum(48, 64, testing::PowerLawSpectrum(48, 0.3), 2);
  const Matrix x = AnisotropicInputs(500, 64, 9);  // [samples, in]
  const Matrix c = x.transpose() * x;
  for (int64_t r : {4, 12, 32}) {
    const LayerInputs in{&w, nullptr, &c};
    const Matrix drone = Reconstruct(MakeDroneMethod()->Compress(in, Budget::Rank(r), MethodOptions())->factorization);
    const Matrix svd = Reconstruct(MakeSvdMethod()->Compress(in, Budget::Rank(r), MethodOptions())->factorization);
    // DRONE is the optimum of this objective over rank-r M, and SVD's M is one candidate. Float slack 1e-4.
    EXPECT_LE(DataError(w, drone, x), DataError(w, svd, x) * (1 + 1e-4)) << "rank " << r;
  }
}

TEST(DroneMethodTest, MatchesTheClosedFormWithThinSvdsOfX) {
  // With full-rank data every rank-r matrix is some M X^T, so the optimum is the Eckart-Young tail of
  // W X^T (the closed form of methods.md, M = U_W Z_r S_X^+ U_X^T, attains it).
  const Matrix w = GaussianMatrix(20, 30, 1);
  const Matrix x = GaussianMatrix(100, 30, 2);
  const Matrix c = x.transpose() * x;
  const LayerInputs in{&w, nullptr, &c};
  const Matrix m = Reconstruct(MakeDroneMethod()->Compress(in, Budget::Rank(6), MethodOptions())->factorization);
  const Vector s = ExactSvd(w * x.transpose())->s;
  EXPECT_NEAR(DataError(w, m, x), s.tail(s.size() - 6).norm(), 1e-3 * s.norm());
}

TEST(DroneMethodTest, RankDeficientDataGivesAtMostItsRank) {
  const Matrix w = GaussianMatrix(16, 24, 3);
  const Matrix x = GaussianMatrix(5, 24, 4);  // 5 samples span 5 directions
  const Matrix c = x.transpose() * x;
  absl::StatusOr<Compressed> r = MakeDroneMethod()->Compress({&w, nullptr, &c}, Budget::Rank(10), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<LowRank>(r->factorization).left.cols(), 5);
  EXPECT_LT(DataError(w, Reconstruct(r->factorization), x), 1e-3 * (x * w.transpose()).norm());
}

}  // namespace
}  // namespace lrb
