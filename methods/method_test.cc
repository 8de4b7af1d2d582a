#include "methods/method.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "methods/budget.h"
#include "methods/factorization.h"
#include "methods/shapes.h"

namespace lrb {
namespace {

TEST(BudgetTest, LowRankRankFromRatio) {
  // floor(0.25 * 768 * 768 / 1536) = 96; a rank-96 pair stores 96 * 1536 = 0.25 * 768^2 parameters.
  EXPECT_EQ(*LowRankRank(Budget::ParamRatio(0.25), 768, 768), 96);
  EXPECT_EQ(*LowRankRank(Budget::Rank(192), 768, 3072), 192);
  absl::StatusOr<int64_t> zero = LowRankRank(Budget::ParamRatio(0.001), 768, 768);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("param_ratio=0.001 gives rank 0"), std::string::npos) << zero.status();
  EXPECT_FALSE(LowRankRank(Budget::Rank(769), 768, 3072).ok());
  EXPECT_FALSE(LowRankRank(Budget::Bits(4), 768, 768).ok());
}

// The flags and the specs' budget objects share this check: the same values pass and fail with the same words.
TEST(BudgetTest, MakeAndParseCheckTheValue) {
  using K = Budget::Kind;
  EXPECT_EQ(ParseBudget(K::kRank, "8")->rank(), 8);
  EXPECT_EQ(ParseBudget(K::kBits, "4")->bits(), 4);
  EXPECT_EQ(ParseBudget(K::kParamRatio, "0.25")->value, 0.25);
  EXPECT_EQ(ParseBudget(K::kParamRatio, "1")->value, 1.0);  // (0, 1] includes 1
  EXPECT_EQ(MakeBudget(K::kRank, 192)->kind, K::kRank);
  EXPECT_EQ(BudgetToString(*MakeBudget(K::kParamRatio, 0.494)), "param_ratio=0.494");
  for (const char* text : {"0", "-1", "2.5", "x", "", "1e3", "2147483648"}) {
    absl::StatusOr<Budget> bits = ParseBudget(K::kBits, text);
    ASSERT_FALSE(bits.ok()) << text;
    EXPECT_EQ(bits.status().message(), "expected a positive integer") << text;
  }
  for (const char* text : {"0", "-0.5", "1.5", "nan", "inf", "x", ""}) {
    absl::StatusOr<Budget> ratio = ParseBudget(K::kParamRatio, text);
    ASSERT_FALSE(ratio.ok()) << text;
    EXPECT_EQ(ratio.status().message(), "expected a number in (0, 1]") << text;
  }
  EXPECT_EQ(MakeBudget(K::kRank, 0).status().message(), "expected a positive integer");
  EXPECT_EQ(MakeBudget(K::kRank, 2.5).status().message(), "expected a positive integer");
  EXPECT_EQ(ParseBudget(K::kRank, "3000000000")->rank(), 3000000000);  // a rank is checked against the shape later
}

TEST(ShapesTest, BalancedFactors) {
  EXPECT_EQ(BalancedFactors(768, 3), (std::vector<int64_t>{8, 8, 12}));
  EXPECT_EQ(BalancedFactors(3072, 3), (std::vector<int64_t>{12, 16, 16}));
  EXPECT_EQ(BalancedFactors(768, 2), (std::vector<int64_t>{24, 32}));
  EXPECT_EQ(BalancedFactors(7, 2), (std::vector<int64_t>{1, 7}));
  EXPECT_EQ(BalancedFactors(5, 1), (std::vector<int64_t>{5}));
}

TEST(MethodOptionsTest, TypedGettersNameTheOption) {
  const OptionSpec rank{"rank_cap", "7", ""}, list{"modes", "", ""};
  MethodOptions o;
  EXPECT_EQ(*o.GetInt(rank), 7);
  EXPECT_TRUE(o.GetIntList(list)->empty());
  o.Set("rank_cap", "seven");
  o.Set("modes", "8,0,12");
  absl::StatusOr<int64_t> bad = o.GetInt(rank);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "option --rank_cap=seven is not an integer");
  EXPECT_FALSE(o.GetIntList(list).ok());
  o.Set("modes", "8,8,12");
  EXPECT_EQ(*o.GetIntList(list), (std::vector<int64_t>{8, 8, 12}));
  // Ranges: a value below the minimum, and a NaN or infinite double, name the option.
  const OptionSpec floor{"floor", "0.5", ""};
  EXPECT_EQ(*o.GetDouble(floor, 0), 0.5);
  o.Set("rank_cap", "-5");
  EXPECT_EQ(o.GetInt(rank, 0).status().message(), "option --rank_cap=-5: expected at least 0");
  EXPECT_EQ(*o.GetInt(rank), -5);
  for (const char* v : {"nan", "inf"}) {
    o.Set("floor", v);
    EXPECT_EQ(o.GetDouble(floor).status().message(), absl::StrCat("option --floor=", v, " is not a finite number"));
  }
  o.Set("floor", "-1");
  EXPECT_EQ(o.GetDouble(floor, 0).status().message(), "option --floor=-1: expected at least 0");
}

// The relative error is the same ratio at any float magnitude: float squares overflowed above about 1e19 (a
// weight scaled by 1e30 reported null) and underflowed below 1e-19 (1e-30 reported 0).
TEST(FactorizationTest, RelativeErrorHoldsAtAnyFloatMagnitude) {
  const Matrix w = GaussianMatrix(64, 64, 1);
  Matrix w_hat = w;
  w_hat.topRows(16).setZero();  // error^2 = the first 16 rows' share of ||W||^2, about 1/4
  const double want = RelativeError(w, w_hat);
  EXPECT_NEAR(want, 0.5, 0.1);
  for (float scale : {1e30f, 1e-30f}) {
    EXPECT_NEAR(RelativeError(w * scale, w_hat * scale), want, 1e-6 * want) << scale;
  }
  // Denormal weights (below 1.2e-38) keep only a few significant bits each: the ratio to about 1e-3.
  EXPECT_NEAR(RelativeError(w * 1e-40f, w_hat * 1e-40f), want, 1e-3);
  EXPECT_EQ(RelativeError(Matrix::Zero(2, 2), Matrix::Zero(2, 2)), 0.0);
  EXPECT_TRUE(std::isinf(RelativeError(Matrix::Zero(2, 2), Matrix::Ones(2, 2))));
}

TEST(FactorizationTest, CountsAndReconstructsEveryFormat) {
  LowRank lr{GaussianMatrix(6, 2, 1), GaussianMatrix(2, 5, 2)};
  EXPECT_EQ(StoredParams(lr), 22);
  EXPECT_EQ(StoredBits(lr), 22 * 32);
  EXPECT_EQ(MatrixShape(lr), std::make_pair(int64_t{6}, int64_t{5}));
  EXPECT_EQ(FormatName(lr), "low_rank");

  LowRankPlusSparse ls{lr, {1, 4}, GaussianMatrix(2, 5, 3)};
  const Matrix w = Reconstruct(ls);
  EXPECT_FLOAT_EQ(w(4, 2), (lr.left * lr.right)(4, 2) + ls.sparse_rows(1, 2));
  EXPECT_FLOAT_EQ(w(0, 2), (lr.left * lr.right)(0, 2));
  EXPECT_EQ(StoredParams(ls), 32);
  EXPECT_EQ(StoredBits(ls), 32 * 32 + 2 * 32);

  Quantized q;
  q.rows = 3;
  q.cols = 4;
  q.bits = 2;
  q.centroids = Matrix::Zero(2, 4);
  q.codes.assign(12, 1);
  EXPECT_EQ(StoredBits(q), 12 * 2 + 8 * 32 + 64);
  // Zero centroids compose to the zero matrix whatever the rotation.
  EXPECT_EQ(Reconstruct(q).norm(), 0.0f);

  std::vector<NamedArray> arrays = ExportArrays(ls);
  ASSERT_EQ(arrays.size(), 4u);
  EXPECT_EQ(arrays[2].name, "low_rank_sparse.rows");
  EXPECT_EQ(arrays[2].ints, (std::vector<int64_t>{1, 4}));
  // Row-major export: element [1, 3] of `left` (6 x 2) is at 1 * 2 + ... of a [6, 2] array.
  EXPECT_FLOAT_EQ(arrays[0].values[5 * 2 + 1], lr.left(5, 1));
}

}  // namespace
}  // namespace lrb
