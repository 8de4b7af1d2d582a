#include "methods/ada_tucker/ada_tucker.h"

#include <cmath>
#include <memory>
#include <variant>

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

// SCADA-Tucker: layers of different shapes (one order) get one core; the budget bounds their total with the
// core counted once, and each layer's factorization reconstructs the shared fit.
TEST(AdaTuckerMethodTest, SharedCoreIsOneCoreWithinTheTotalBudget) {
  const Matrix a = GaussianMatrix(24, 30, 7), b = GaussianMatrix(30, 24, 8), c = GaussianMatrix(24, 24, 9);
  const MethodOptions options({{"order", "4"}, {"shared_core", "1"}});
  std::unique_ptr<Method> method = MakeAdaTuckerMethod();
  EXPECT_TRUE(method->CompressesJointly(options));
  EXPECT_FALSE(method->CompressesJointly(MethodOptions()));
  const Budget budget = Budget::ParamRatio(0.3);
  absl::StatusOr<std::vector<Compressed>> r = method->CompressLayers({{&a}, {&b}, {&c}}, budget, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  const Tucker& first = std::get<Tucker>((*r)[0].factorization);
  int64_t stored = 0;
  for (const Compressed& layer : *r) {
    EXPECT_TRUE(layer.shares_tucker_core);
    const Tucker& t = std::get<Tucker>(layer.factorization);
    EXPECT_EQ(t.tucker.core.shape, first.tucker.core.shape);
    EXPECT_EQ(t.tucker.core.data, first.tucker.core.data);
    stored += StoredParams(layer.factorization) - t.tucker.core.size();
  }
  stored += first.tucker.core.size();
  EXPECT_LE(stored, static_cast<int64_t>(0.3 * (24 * 30 + 30 * 24 + 24 * 24)));
  // Ranks at most every layer's mode sizes: [4, 6, 5, 6], [5, 6, 4, 6] and [4, 6, 4, 6] allow [4, 6, 4, 6].
  for (size_t k = 0; k < first.tucker.core.shape.size(); ++k) {
    EXPECT_LE(first.tucker.core.shape[k], (std::vector<int64_t>{4, 6, 4, 6})[k]);
  }
  // One layer alone, shared or not, is a plain Tucker form of its own budget.
  absl::StatusOr<Compressed> alone = method->Compress({&a}, budget, options);
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_LE(StoredParams(alone->factorization), ParamLimit(budget, 24, 30));
}

TEST(AdaTuckerMethodTest, SeparateLayersCompressAsCompressDoes) {
  const Matrix a = GaussianMatrix(24, 30, 10), b = GaussianMatrix(30, 24, 11);
  std::unique_ptr<Method> method = MakeAdaTuckerMethod();
  absl::StatusOr<std::vector<Compressed>> r = method->CompressLayers({{&a}, {&b}}, Budget::Rank(3), MethodOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  for (size_t l = 0; l < 2; ++l) {
    const Matrix& w = l == 0 ? a : b;
    absl::StatusOr<Compressed> one = method->Compress({&w}, Budget::Rank(3), MethodOptions());
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_FALSE((*r)[l].shares_tucker_core);
    EXPECT_EQ(Reconstruct((*r)[l].factorization), Reconstruct(one->factorization));
  }
}

TEST(AdaTuckerMethodTest, SharedCoreRefusesLayersItCannotShare) {
  const Matrix a = GaussianMatrix(24, 30, 12), prime = GaussianMatrix(7, 24, 13);
  Matrix bad = a;
  bad(3, 4) = std::nanf("");
  const MethodOptions options({{"order", "4"}, {"shared_core", "1"}});
  std::unique_ptr<Method> method = MakeAdaTuckerMethod();
  auto message = [&](const std::vector<LayerInputs>& layers, const MethodOptions& o) {
    absl::StatusOr<std::vector<Compressed>> r = method->CompressLayers(layers, Budget::Rank(2), o);
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_NE(message({{&a}, {&prime}}, options).find("a shared core needs one order"), std::string::npos);
  EXPECT_NE(message({{&a}, {&bad}}, options).find("layer 1: "), std::string::npos);
  EXPECT_NE(message({{&a}}, MethodOptions({{"shared_core", "2"}})).find("--shared_core=2 must be 0 or 1"), std::string::npos);
  EXPECT_EQ(message({}, options), "method ada_tucker got no layers");
}

}  // namespace
}  // namespace lrb
