#include "methods/losparse/losparse.h"

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

TEST(LoSparseMethodTest, RatioBudgetSplitsBetweenLowRankAndRows) {
  const Matrix w = testing::WithSpectrum(64, 96, testing::PowerLawSpectrum(64, 0.5), 1);
  absl::StatusOr<Compressed> r = MakeLoSparseMethod()->Compress({&w}, Budget::ParamRatio(0.4), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& f = std::get<LowRankPlusSparse>(r->factorization);
  // Half of floor(0.4 * 6144) = 2457 parameters buys rank floor(1228 / 160) = 7; the rest buys whole
  // rows of 96 values plus an index each.
  EXPECT_EQ(f.low_rank.left.cols(), 7);
  EXPECT_EQ(static_cast<int64_t>(f.rows.size()), (2457 - 7 * 160) / 97);
  EXPECT_LE(StoredBits(r->factorization), 32 * 2457);
}

TEST(LoSparseMethodTest, KeepsTheLargestResidualRowsAndBeatsItsLowRankPart) {
  const Matrix w = testing::WithSpectrum(40, 50, testing::PowerLawSpectrum(40, 0.3), 2);
  absl::StatusOr<Compressed> r =
      MakeLoSparseMethod()->Compress({&w}, Budget::Rank(4), MethodOptions({{"sparse_rows", "2"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& f = std::get<LowRankPlusSparse>(r->factorization);
  // The kept rows are the two with the largest residual after the low-rank part.
  const Vector energy = (w - f.low_rank.left * f.low_rank.right).rowwise().squaredNorm();
  for (int64_t i = 0; i < 40; ++i) {
    if (i == f.rows[0] || i == f.rows[1]) continue;
    EXPECT_LE(energy[i], std::min(energy[f.rows[0]], energy[f.rows[1]])) << "row " << i;
  }
  const double low_rank_only = (w - f.low_rank.left * f.low_rank.right).norm();
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), low_rank_only);
}

TEST(LoSparseMethodTest, AllRowsKeptIsExact) {
  const Matrix w = GaussianMatrix(12, 20, 5);
  absl::StatusOr<Compressed> r =
      MakeLoSparseMethod()->Compress({&w}, Budget::Rank(3), MethodOptions({{"sparse_rows", "12"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1e-5 * w.norm());
}

// The start of pruning during fine-tuning: the ratio budget's rank, every row of S, hence exact.
TEST(LoSparseMethodTest, KeepAllRowsKeepsTheBudgetsRankAndEveryRow) {
  const Matrix w = GaussianMatrix(12, 20, 5);
  absl::StatusOr<Compressed> r = MakeLoSparseMethod()->Compress(
      {&w}, Budget::ParamRatio(0.5), MethodOptions({{"lowrank_share", "0.5"}, {"keep_all_rows", "1"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& f = std::get<LowRankPlusSparse>(r->factorization);
  EXPECT_EQ(f.low_rank.left.cols(), 60 / 32);  // floor(0.25 * 240 / 32)
  EXPECT_EQ(f.rows.size(), 12u);
  EXPECT_LT((w - Reconstruct(r->factorization)).norm(), 1e-5 * w.norm());
  EXPECT_FALSE(MakeLoSparseMethod()->Compress({&w}, Budget::Rank(3), MethodOptions({{"keep_all_rows", "2"}})).ok());
}

TEST(LoSparseMethodTest, RefusesBadSplit) {
  const Matrix w = GaussianMatrix(12, 20, 5);
  EXPECT_FALSE(
      MakeLoSparseMethod()->Compress({&w}, Budget::ParamRatio(0.5), MethodOptions({{"lowrank_share", "0"}})).ok());
  EXPECT_FALSE(MakeLoSparseMethod()->Compress({&w}, Budget::Rank(3), MethodOptions({{"sparse_rows", "13"}})).ok());
}

}  // namespace
}  // namespace lrb
