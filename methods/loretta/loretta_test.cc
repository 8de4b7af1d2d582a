#include "methods/loretta/loretta.h"

#include "gtest/gtest.h"
#include "methods/linalg/tensor_train.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

TEST(LorettaMethodTest, CappedRanks) {
  // Modes (m_k n_k) = 4, 6, 4: bond ranks are bounded by min(4, 24) and min(24, 4).
  EXPECT_EQ(CappedTtRanks({2, 2, 2}, {2, 3, 2}, 100), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(CappedTtRanks({2, 2, 2}, {2, 3, 2}, 3), (std::vector<int64_t>{3, 3}));
}

TEST(LorettaMethodTest, RecoversATtMatrixExactly) {
  TtMatrix truth;
  truth.row_modes = {4, 6, 4};
  truth.col_modes = {3, 5, 2};
  const std::vector<int64_t> r = {1, 3, 3, 1};
  for (int k = 0; k < 3; ++k) {
    truth.cores.push_back(testing::GaussianTensor({r[k], truth.row_modes[k], truth.col_modes[k], r[k + 1]}, 10 + k));
  }
  const Matrix w = TtMatrixToDense(truth);
  absl::StatusOr<Compressed> out = MakeLorettaMethod()->Compress(
      {&w}, Budget::Rank(3), MethodOptions({{"row_modes", "4,6,4"}, {"col_modes", "3,5,2"}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(StoredParams(out->factorization), TtMatrixParams({4, 6, 4}, {3, 5, 2}, {3, 3}));
  EXPECT_LT((w - Reconstruct(out->factorization)).norm(), 1e-5 * w.norm());
}

TEST(LorettaMethodTest, RatioPicksTheLargestFittingRank) {
  const Matrix w = GaussianMatrix(64, 64, 3);
  absl::StatusOr<Compressed> out = MakeLorettaMethod()->Compress({&w}, Budget::ParamRatio(0.1), MethodOptions());
  ASSERT_TRUE(out.ok()) << out.status();
  const int64_t limit = ParamLimit(Budget::ParamRatio(0.1), 64, 64);
  EXPECT_LE(StoredParams(out->factorization), limit);
  // One more bond rank would not fit.
  const auto& tt = std::get<TensorTrainMatrix>(out->factorization).tt;
  const int64_t cap = static_cast<int64_t>(out->info[0].second);
  EXPECT_GT(TtMatrixParams(tt.row_modes, tt.col_modes, CappedTtRanks(tt.row_modes, tt.col_modes, cap + 1)), limit);
}

TEST(LorettaMethodTest, RefusesModesThatDoNotMakeTheMatrix) {
  const Matrix w = GaussianMatrix(64, 64, 3);
  EXPECT_FALSE(MakeLorettaMethod()
                   ->Compress({&w}, Budget::Rank(2), MethodOptions({{"row_modes", "4,4,5"}, {"col_modes", "4,4,4"}}))
                   .ok());
}

}  // namespace
}  // namespace lrb
