#include "methods/kashin/kashin.h"

#include "gtest/gtest.h"
#include "methods/linalg/kashin.h"

namespace lrb {
namespace {

TEST(KashinMethodTest, BitsAccountingAndCodesInRange) {
  const Matrix w = GaussianMatrix(48, 64, 1);
  absl::StatusOr<Compressed> r = MakeKashinMethod()->Compress({&w}, Budget::Bits(3), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& q = std::get<Quantized>(r->factorization);
  EXPECT_EQ(q.centroids.cols(), 8);
  for (uint16_t c : q.codes) ASSERT_LT(c, 8);
  EXPECT_EQ(StoredBits(r->factorization), 48 * 64 * 3 + 2 * 8 * 32 + 64);
}

TEST(KashinMethodTest, ErrorFallsWithBitsAndIsSmallAtEightBits) {
  const Matrix w = GaussianMatrix(64, 96, 2);
  double previous = 1e9;
  for (int bits : {1, 2, 4, 8}) {
    const Matrix w_hat = Reconstruct(MakeKashinMethod()->Compress({&w}, Budget::Bits(bits), MethodOptions())->factorization);
    const double err = (w - w_hat).norm() / w.norm();
    EXPECT_LT(err, previous) << bits << " bits";
    previous = err;
  }
  // 256 centroids for pairs of near-Gaussian values: a few percent at most.
  EXPECT_LT(previous, 0.05);
}

// Outliers are the reason for the Kashin basis: their energy spreads over all coefficients.
TEST(KashinMethodTest, QuantizesAMatrixWithOutliers) {
  Matrix w = GaussianMatrix(64, 64, 3);
  w(5, 5) = 60;
  w(40, 9) = -45;
  const Matrix w_hat = Reconstruct(MakeKashinMethod()->Compress({&w}, Budget::Bits(2), MethodOptions())->factorization);
  EXPECT_LT((w - w_hat).norm() / w.norm(), 1.0);
}

TEST(KashinMethodTest, RefusesBitsOutOfRange) {
  const Matrix w = GaussianMatrix(8, 8, 1);
  EXPECT_FALSE(MakeKashinMethod()->Compress({&w}, Budget::Bits(9), MethodOptions()).ok());
  EXPECT_FALSE(MakeKashinMethod()->Compress({&w}, Budget::ParamRatio(0.5), MethodOptions()).ok());
}

}  // namespace
}  // namespace lrb
