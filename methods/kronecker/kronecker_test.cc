#include "methods/kronecker/kronecker.h"

#include "gtest/gtest.h"
#include "methods/linalg/kronecker.h"

namespace lrb {
namespace {

TEST(KroneckerMethodTest, CheapestShape) {
  // 768 x 768: m1 n1 + m2 n2 is smallest at m1 n1 = m2 n2 = 768 (24 x 32 and 32 x 24).
  auto [m1, n1] = CheapestKroneckerShape(768, 768);
  EXPECT_EQ(m1 * n1, 768);
  EXPECT_EQ(m1 * n1 + (768 / m1) * (768 / n1), 1536);
}

TEST(KroneckerMethodTest, RecoversAKroneckerSumExactly) {
  const Matrix w = KroneckerProduct(GaussianMatrix(6, 8, 1), GaussianMatrix(5, 4, 2)) +
                   KroneckerProduct(GaussianMatrix(6, 8, 3), GaussianMatrix(5, 4, 4));
  absl::StatusOr<Compressed> r =
      MakeKroneckerMethod()->Compress({&w}, Budget::Rank(2), MethodOptions({{"m1", "6"}, {"n1", "8"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StoredParams(r->factorization), 2 * (48 + 20));
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1e-5 * w.norm());
}

// The embedding shape (KroneckerBERT's word embeddings): B has one row, so a table row is A[row] (x) B;
// giving B's shape is the same as giving A's.
TEST(KroneckerMethodTest, TheShapeOfBSetsTheShapeOfA) {
  const Matrix w = KroneckerProduct(GaussianMatrix(30, 4, 1), GaussianMatrix(1, 8, 2));
  absl::StatusOr<Compressed> r =
      MakeKroneckerMethod()->Compress({&w}, Budget::Rank(1), MethodOptions({{"m2", "1"}, {"n2", "8"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  const KroneckerSum& k = std::get<KroneckerSum>(r->factorization);
  EXPECT_EQ(k.a[0].rows(), 30);
  EXPECT_EQ(k.a[0].cols(), 4);
  EXPECT_EQ(StoredParams(r->factorization), 30 * 4 + 8);
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1e-5 * w.norm());
  EXPECT_FALSE(MakeKroneckerMethod()
                   ->Compress({&w}, Budget::Rank(1), MethodOptions({{"m1", "30"}, {"n1", "4"}, {"m2", "1"}, {"n2", "8"}}))
                   .ok());
  EXPECT_FALSE(MakeKroneckerMethod()->Compress({&w}, Budget::Rank(1), MethodOptions({{"m2", "7"}, {"n2", "8"}})).ok());
}

TEST(KroneckerMethodTest, RatioBuysWholeTerms) {
  const Matrix w = GaussianMatrix(768, 768, 5);
  absl::StatusOr<Compressed> r = MakeKroneckerMethod()->Compress({&w}, Budget::ParamRatio(0.01), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  // floor(0.01 * 589824) = 5898 parameters, 1536 per term: 3 terms.
  EXPECT_EQ(std::get<KroneckerSum>(r->factorization).a.size(), 3u);
}

TEST(KroneckerMethodTest, RefusesImpossibleBudgetsAndShapes) {
  const Matrix w = GaussianMatrix(768, 768, 5);
  absl::StatusOr<Compressed> r = MakeKroneckerMethod()->Compress({&w}, Budget::ParamRatio(0.001), MethodOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0 Kronecker terms"), std::string::npos) << r.status();
  EXPECT_FALSE(MakeKroneckerMethod()->Compress({&w}, Budget::Rank(1), MethodOptions({{"m1", "7"}, {"n1", "8"}})).ok());
  EXPECT_FALSE(MakeKroneckerMethod()->Compress({&w}, Budget::Rank(1), MethodOptions({{"m1", "8"}})).ok());
}

}  // namespace
}  // namespace lrb
