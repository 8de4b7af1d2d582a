#include "tasks/metrics/metrics.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(AccuracyTest, HandComputed) {
  EXPECT_DOUBLE_EQ(*Accuracy({1, 0, 1, 1}, {1, 1, 1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(*Accuracy({2, 2}, {2, 2}), 1.0);
}

TEST(BinaryF1Test, HandComputed) {
  // tp = 2, fp = 1, fn = 1: F1 = 2 tp / (2 tp + fp + fn) = 4 / 6.
  EXPECT_DOUBLE_EQ(*BinaryF1({1, 0, 1, 1}, {1, 1, 1, 0}), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(*BinaryF1({0, 0, 1}, {1, 1, 0}), 0.0);
}

TEST(BinaryF1Test, NoPositivesAnywhereIsZeroAsSklearn) {
  EXPECT_DOUBLE_EQ(*BinaryF1({0, 0, 0}, {0, 0, 0}), 0.0);
}

TEST(BinaryF1Test, RejectsNonBinaryLabels) {
  absl::StatusOr<double> f1 = BinaryF1({0, 2}, {0, 1});
  ASSERT_FALSE(f1.ok());
  EXPECT_EQ(f1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f1.status().message(), HasSubstr("prediction 1 is 2"));
}

TEST(MatthewsCorrelationTest, Binary) {
  // tp = 2, tn = 0, fp = 1, fn = 1: (tp tn - fp fn) / sqrt(3 * 3 * 1 * 1) = -1/3.
  EXPECT_NEAR(*MatthewsCorrelation({1, 0, 1, 1}, {1, 1, 1, 0}), -1.0 / 3.0, 1e-15);
  EXPECT_NEAR(*MatthewsCorrelation({1, 0, 1, 0}, {1, 0, 1, 0}), 1.0, 1e-15);
  EXPECT_NEAR(*MatthewsCorrelation({0, 1, 0, 1}, {1, 0, 1, 0}), -1.0, 1e-15);
}

TEST(MatthewsCorrelationTest, MulticlassAsSklearn) {
  // c = 4, s = 7, t = (3, 2, 2), p = (2, 2, 3): (28 - 16) / sqrt((49 - 17) (49 - 17)) = 0.375.
  EXPECT_NEAR(*MatthewsCorrelation({0, 1, 2, 2, 1, 0, 2}, {0, 2, 2, 1, 1, 0, 0}), 0.375, 1e-15);
}

TEST(MatthewsCorrelationTest, ConstantPredictionsOrLabelsGiveZero) {
  EXPECT_EQ(*MatthewsCorrelation({1, 1, 1, 1}, {1, 0, 1, 0}), 0.0);
  EXPECT_EQ(*MatthewsCorrelation({1, 0, 1, 0}, {0, 0, 0, 0}), 0.0);
}

TEST(PearsonTest, HandComputed) {
  // Centred: x = (-1.5, -0.5, 0.5, 1.5), y = (-3, -1, 0, 4); r = 11 / sqrt(5 * 26).
  EXPECT_NEAR(*PearsonCorrelation({1, 2, 3, 4}, {2, 4, 5, 9}), 11.0 / std::sqrt(130.0), 1e-15);
  EXPECT_NEAR(*PearsonCorrelation({1, 2, 3}, {6, 4, 2}), -1.0, 1e-15);
}

TEST(PearsonTest, ConstantInputIsNanAsScipy) {
  EXPECT_TRUE(std::isnan(*PearsonCorrelation({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(*PearsonCorrelation({1, 2, 3}, {5, 5, 5})));
  EXPECT_TRUE(std::isnan(*PearsonCorrelation({1}, {2})));
}

TEST(SpearmanTest, AverageRanksForTies) {
  EXPECT_THAT(AverageRanks({10, 20, 20, 5}), ElementsAre(2.0, 3.5, 3.5, 1.0));
  EXPECT_THAT(AverageRanks({3, 3, 3}), ElementsAre(2.0, 2.0, 2.0));
  // Ranks x = (1, 2.5, 2.5, 4), y = (1, 3, 2, 4): r = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
  EXPECT_NEAR(*SpearmanCorrelation({1, 2, 2, 3}, {1, 3, 2, 4}), 3.0 / std::sqrt(10.0), 1e-15);
}

TEST(SpearmanTest, MonotoneIsOne) {
  EXPECT_NEAR(*SpearmanCorrelation({1, 2, 3, 4}, {1, 8, 27, 1000}), 1.0, 1e-15);
  EXPECT_NEAR(*SpearmanCorrelation({1, 2, 3, 4}, {4, 3, 2, -100}), -1.0, 1e-15);
}

TEST(SpearmanTest, ConstantInputIsNan) {
  EXPECT_TRUE(std::isnan(*SpearmanCorrelation({2, 2, 2}, {1, 2, 3})));
}

TEST(MetricsErrorsTest, LengthMismatchAndEmptyInput) {
  const std::vector<int64_t> none;
  absl::StatusOr<double> mismatch = Accuracy({1, 0}, {1});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("2 predictions but 1 labels"));
  EXPECT_FALSE(BinaryF1({1}, {1, 0}).ok());
  EXPECT_FALSE(MatthewsCorrelation({1}, {}).ok());
  EXPECT_FALSE(PearsonCorrelation({1.0}, {}).ok());
  EXPECT_FALSE(SpearmanCorrelation({1.0, 2.0}, {1.0}).ok());
  absl::StatusOr<double> empty = Accuracy(none, none);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("empty input"));
  EXPECT_FALSE(MatthewsCorrelation(none, none).ok());
  EXPECT_FALSE(PearsonCorrelation({}, {}).ok());
  EXPECT_FALSE(SpearmanCorrelation({}, {}).ok());
}

TEST(MetricsErrorsTest, NonFiniteCorrelationInput) {
  absl::StatusOr<double> r = PearsonCorrelation({1.0, NAN}, {1.0, 2.0});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("predictions[1] is nan"));
  EXPECT_FALSE(SpearmanCorrelation({1.0, 2.0}, {INFINITY, 2.0}).ok());
}

}  // namespace
}  // namespace lrb
