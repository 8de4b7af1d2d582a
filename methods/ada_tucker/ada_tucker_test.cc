#include "methods/ada_tucker/ada_tucker.h"

#include "gtest/gtest.h"
#include "methods/linalg/tucker.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

TEST(AdaTuckerMethodTest, BalancedShape) {
  EXPECT_EQ(AdaTuckerShape(768, 3072, 6), (std::vector<int64_t>{8, 8, 12, 12, 16, 16}));
  EXPECT_EQ(AdaTuckerShape(768, 768, 4), (std::vector<int64_t>{24, 32, 24, 32}));
}

TEST(AdaTuckerMethodTest, RecoversATuckerTensorExactly) {
  // A 48 x 60 matrix whose reshape to [6, 8, 6, 10] has Tucker ranks [2, 3, 2, 4].
  TuckerTensor t;
  t.core = testing::GaussianTensor({2, 3, 2, 4}, 1);
  t.factors = {GaussianMatrix(6, 2, 2), GaussianMatrix(8, 3, 3), GaussianMatrix(6, 2, 4), GaussianMatrix(10, 4, 5)};
  const Tensor x = TuckerReconstruct(t);
  const Matrix w = FromRowMajor(x.data.data(), 48, 60);
  absl::StatusOr<Compressed> r = MakeAdaTuckerMethod()->Compress(
      {&w}, Budget::Rank(1), MethodOptions({{"shape", "6,8,6,10"}, {"ranks", "2,3,2,4"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StoredParams(r->factorization), 48 + 12 + 24 + 12 + 40);
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1e-5 * w.norm());
}

TEST(AdaTuckerMethodTest, RatioBudgetIsRespectedAndImpossibleOnesRefused) {
  const Matrix w = GaussianMatrix(96, 128, 6);
  absl::StatusOr<Compressed> r = MakeAdaTuckerMethod()->Compress({&w}, Budget::ParamRatio(0.2), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LE(StoredParams(r->factorization), ParamLimit(Budget::ParamRatio(0.2), 96, 128));
  r = MakeAdaTuckerMethod()->Compress({&w}, Budget::ParamRatio(0.0001), MethodOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Tucker ranks of 1"), std::string::npos) << r.status();
  EXPECT_FALSE(MakeAdaTuckerMethod()->Compress({&w}, Budget::Rank(2), MethodOptions({{"shape", "5,5"}})).ok());
}

}  // namespace
}  // namespace lrb
