// The bootstrap against what it must give by construction: numpy's percentiles, the binomial standard error of an
// accuracy, nested intervals, determinism under a seed, and a paired difference that is exact when the two
// systems differ by the same amount on every example.
#include "tasks/metrics/bootstrap.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// Accuracy of a 0/1 correctness vector over the resampled examples.
ResampledMetric Accuracy(const std::vector<int>& correct) {
  return [&correct](const std::vector<int64_t>& indices) {
    double sum = 0;
    for (int64_t i : indices) sum += correct[i];
    return sum / static_cast<double>(indices.size());
  };
}

TEST(Bootstrap, PercentileIsNumpys) {
  // numpy.percentile([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], q) with numpy 1.24 (Debian's python3-numpy).
  const std::vector<double> v = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
  EXPECT_DOUBLE_EQ(Percentile(v, 2.5), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 25), 2.5);
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 4.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 97.5), 8.25);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 9.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1.0);
}

TEST(Bootstrap, AccuracyMatchesTheBinomialStandardError) {
  std::vector<int> correct(400);
  for (size_t i = 0; i < correct.size(); ++i) correct[i] = i % 10 < 7;  // accuracy 0.7
  absl::StatusOr<BootstrapInterval> b = Bootstrap(400, Accuracy(correct), {});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_DOUBLE_EQ(b->estimate, 0.7);
  // The bootstrap standard error of a mean of n Bernoulli(p) draws is sqrt(p (1 - p) / n) = 0.0229; with 1000
  // resamples its own relative error is about 1 / sqrt(2 * 1000) = 2.2 %, so 10 % is a safe band.
  const double expected = std::sqrt(0.7 * 0.3 / 400);
  EXPECT_NEAR(b->standard_error, expected, 0.1 * expected);
  // The 95 % interval is about +-1.96 standard errors around the estimate.
  EXPECT_LT(b->low, 0.7);
  EXPECT_GT(b->high, 0.7);
  EXPECT_NEAR(b->high - b->low, 2 * 1.96 * expected, 0.15 * 2 * 1.96 * expected);
  // A narrower confidence gives a nested interval; the same seed the same interval; another seed another one.
  BootstrapOptions ninety;
  ninety.confidence = 0.9;
  absl::StatusOr<BootstrapInterval> narrow = Bootstrap(400, Accuracy(correct), ninety);
  ASSERT_TRUE(narrow.ok());
  EXPECT_GE(narrow->low, b->low);
  EXPECT_LE(narrow->high, b->high);
  absl::StatusOr<BootstrapInterval> again = Bootstrap(400, Accuracy(correct), {});
  EXPECT_EQ(again->low, b->low);
  EXPECT_EQ(again->high, b->high);
  BootstrapOptions other_seed;
  other_seed.seed = 7;
  EXPECT_NE(Bootstrap(400, Accuracy(correct), other_seed)->standard_error, b->standard_error);
}

TEST(Bootstrap, PairedDifferencesSeeOnlyTheExamples) {
  std::vector<int> a(200), same(200), better(200);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = i % 4 != 0;         // 0.75
    same[i] = a[i];
    better[i] = a[i] || i % 8 == 0;  // right on half of a's misses: 0.875
  }
  absl::StatusOr<BootstrapInterval> none = PairedBootstrap(200, Accuracy(a), Accuracy(same), {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->low, 0);
  EXPECT_EQ(none->high, 0);
  EXPECT_EQ(none->standard_error, 0);
  absl::StatusOr<BootstrapInterval> gain = PairedBootstrap(200, Accuracy(a), Accuracy(better), {});
  ASSERT_TRUE(gain.ok());
  EXPECT_DOUBLE_EQ(gain->estimate, 0.125);
  EXPECT_GT(gain->low, 0);  // every resample gains: b is never worse on any example
  // Unpaired, each system's own interval is wider than the paired difference's spread.
  EXPECT_GT(Bootstrap(200, Accuracy(a), {})->standard_error, gain->standard_error);
}

TEST(Bootstrap, SeveralMetricsInOnePassGiveEachOnesInterval) {
  std::vector<int> a(150), b(150);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = i % 3 != 0;
    b[i] = i % 5 != 0;
  }
  const ResampledMetric acc_a = Accuracy(a), acc_b = Accuracy(b);
  absl::StatusOr<std::vector<BootstrapInterval>> both = BootstrapEach(
      150, [&](const std::vector<int64_t>& indices) { return std::vector<double>{acc_a(indices), acc_b(indices)}; }, {});
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_EQ(both->size(), 2u);
  for (const auto& [k, metric] : {std::make_pair(0, acc_a), std::make_pair(1, acc_b)}) {
    absl::StatusOr<BootstrapInterval> alone = Bootstrap(150, metric, {});
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*both)[k].estimate, alone->estimate);
    EXPECT_EQ((*both)[k].low, alone->low);
    EXPECT_EQ((*both)[k].high, alone->high);
    EXPECT_EQ((*both)[k].standard_error, alone->standard_error);
  }
}

TEST(Bootstrap, CountsResamplesWhereTheMetricIsUndefined) {
  // A metric undefined whenever example 0 is drawn: most resamples of 3 examples draw it.
  const ResampledMetric metric = [](const std::vector<int64_t>& indices) {
    for (int64_t i : indices) {
      if (i == 0) return std::nan("");
    }
    return 1.0;
  };
  absl::StatusOr<BootstrapInterval> b = Bootstrap(3, metric, {});
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->undefined, 500);  // 1 - (2/3)^3 = 70 % of 1000
  EXPECT_EQ(b->standard_error, 0);
}

TEST(Bootstrap, RefusesImpossibleSettings) {
  std::vector<int> c = {1, 0};
  BootstrapOptions o;
  EXPECT_EQ(Bootstrap(0, Accuracy(c), o).status().message(), "bootstrap over 0 examples: need at least 1");
  o.resamples = 0;
  EXPECT_EQ(Bootstrap(2, Accuracy(c), o).status().message(), "bootstrap resamples 0: expected >= 1");
  o = {};
  o.confidence = 1;
  EXPECT_EQ(Bootstrap(2, Accuracy(c), o).status().message(), "bootstrap confidence 1: expected a number in (0, 1)");
}

}  // namespace
}  // namespace lrb
