#include "methods/linalg/kronecker.h"

#include "gtest/gtest.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

Matrix SumOfProducts(const KroneckerFactors& f) {
  Matrix w = Matrix::Zero(f.a[0].rows() * f.b[0].rows(), f.a[0].cols() * f.b[0].cols());
  for (size_t i = 0; i < f.a.size(); ++i) w += KroneckerProduct(f.a[i], f.b[i]);
  return w;
}

TEST(KroneckerTest, ProductMatchesDefinition) {
  const Matrix a = GaussianMatrix(2, 3, 1), b = GaussianMatrix(4, 5, 2);
  const Matrix k = KroneckerProduct(a, b);
  EXPECT_EQ(k.rows(), 8);
  EXPECT_EQ(k.cols(), 15);
  EXPECT_FLOAT_EQ(k(1 * 4 + 3, 2 * 5 + 4), a(1, 2) * b(3, 4));
}

// R(A (x) B) = vec(A) vec(B)^T, a rank-one matrix.
TEST(KroneckerTest, RearrangementOfAProductIsRankOne) {
  const Matrix a = GaussianMatrix(6, 4, 3), b = GaussianMatrix(5, 7, 4);
  const Matrix r = KroneckerRearrange(KroneckerProduct(a, b), 6, 4);
  const Vector s = ExactSvd(r)->s;
  EXPECT_LT(s[1], 1e-5 * s[0]);
  EXPECT_NEAR(r(2 * 4 + 3, 1 * 7 + 6), a(2, 3) * b(1, 6), 1e-6);
}

// Exact recovery: W = A1 (x) B1 + A2 (x) B2 is reproduced by the 2-term nearest sum.
TEST(KroneckerTest, RecoversSumOfTwoProductsExactly) {
  KroneckerFactors truth;
  truth.a = {GaussianMatrix(8, 12, 5), GaussianMatrix(8, 12, 6)};
  truth.b = {GaussianMatrix(16, 4, 7), GaussianMatrix(16, 4, 8)};
  const Matrix w = SumOfProducts(truth);
  absl::StatusOr<KroneckerFactors> f = NearestKroneckerSum(w, 8, 12, 2);
  ASSERT_TRUE(f.ok()) << f.status();
  // float32 SVD of a 96x64 rearrangement: backward error ~ 1e-6 relative.
  EXPECT_LT((SumOfProducts(*f) - w).norm() / w.norm(), 1e-5);
}

// The k-term error is the SVD tail of the rearranged matrix (Van Loan & Pitsianis), so it never grows with k.
TEST(KroneckerTest, ErrorIsTailOfRearrangementAndShrinksWithTerms) {
  const Matrix w = GaussianMatrix(24, 30, 9);
  const Vector s = ExactSvd(KroneckerRearrange(w, 4, 5))->s;
  double previous = w.norm();
  for (int64_t k : {1, 3, 8, 20}) {
    const double err = (SumOfProducts(*NearestKroneckerSum(w, 4, 5, k)) - w).norm();
    EXPECT_NEAR(err, s.tail(s.size() - k).norm(), 1e-4 * w.norm());
    EXPECT_LE(err, previous + 1e-5 * w.norm());
    previous = err;
  }
}

TEST(KroneckerTest, RefusesBadShapes) {
  const Matrix w = GaussianMatrix(12, 12, 1);
  EXPECT_FALSE(NearestKroneckerSum(w, 5, 3, 1).ok());   // 5 does not divide 12
  EXPECT_FALSE(NearestKroneckerSum(w, 3, 3, 0).ok());   // no terms
  EXPECT_FALSE(NearestKroneckerSum(w, 3, 3, 10).ok());  // more than min(9, 16) terms
}

}  // namespace
}  // namespace lrb
