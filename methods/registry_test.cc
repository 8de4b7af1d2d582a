// Properties every registered method must have, run over the whole registry: a new method in
// methods.inc is tested here without writing anything.
#include "methods/registry.h"

#include <cmath>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

// A weight with the slowly decaying spectrum of a trained BERT layer (s_i ~ i^-0.5, not low rank),
// its per-weight Fisher, and the second moment of correlated inputs.
struct Layer {
  Matrix weight, fisher, second_moment;
};

Layer MakeLayer(int64_t out, int64_t in) {
  Layer l;
  l.weight = testing::WithSpectrum(out, in, testing::PowerLawSpectrum(std::min(out, in), 0.5), 1);
  l.fisher = GaussianMatrix(out, in, 3).cwiseAbs2();
  // in + 256 samples x_t = A z_t with a random mixing A: a full-rank, anisotropic second moment.
  const Matrix x =
      GaussianMatrix(in + 256, in, 4) * (Matrix::Identity(in, in) + 0.3f * GaussianMatrix(in, in, 5));
  l.second_moment = x.transpose() * x;
  return l;
}

const Layer& CachedLayer(int64_t out, int64_t in) {
  static auto* cache = new std::map<std::pair<int64_t, int64_t>, Layer>;
  auto it = cache->find({out, in});
  if (it == cache->end()) it = cache->emplace(std::make_pair(out, in), MakeLayer(out, in)).first;
  return it->second;
}

// Three growing budgets of the kind the method takes.
std::vector<Budget> GrowingBudgets(const Method& m) {
  if (m.Budgets()[0] == Budget::Kind::kBits) return {Budget::Bits(2), Budget::Bits(3), Budget::Bits(4)};
  return {Budget::ParamRatio(0.1), Budget::ParamRatio(0.25), Budget::ParamRatio(0.5)};
}

// The most a budget lets a method store, in bits: 32 per kept parameter for ratios; for bit widths
// `bits` per weight plus the codebook and seed (a 2-D centroid table of 2^bits entries: 64 * 2^bits + 64).
int64_t BitLimit(const Budget& b, int64_t out, int64_t in) {
  if (b.kind == Budget::Kind::kBits) return out * in * b.bits() + 64 * (int64_t{1} << b.bits()) + 64;
  return 32 * ParamLimit(b, out, in);
}

struct Case {
  std::string method;
  int64_t out, in;
};

class RegistryTest : public ::testing::TestWithParam<Case> {};

TEST(RegistryListTest, EightMethodsWithUniqueIdsInFixedOrder) {
  std::vector<std::string> ids;
  for (const Method* m : AllMethods()) ids.emplace_back(m->Id());
  EXPECT_EQ(ids, (std::vector<std::string>{"svd", "fwsvd", "drone", "losparse", "kronecker", "ada_tucker", "loretta",
                                           "kashin"}));
  EXPECT_TRUE(FindMethod("kashin").ok());
  absl::StatusOr<const Method*> missing = FindMethod("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("svd, fwsvd"), std::string::npos);
}

TEST_P(RegistryTest, RoundTripWithinBudgetAndErrorShrinksAsBudgetGrows) {
  const Case& c = GetParam();
  const Method* method = *FindMethod(c.method);
  const Layer& layer = CachedLayer(c.out, c.in);
  LayerInputs in{&layer.weight, &layer.fisher, &layer.second_moment};
  double previous = INFINITY;
  for (const Budget& b : GrowingBudgets(*method)) {
    absl::StatusOr<Compressed> r = method->Compress(in, b, MethodOptions());
    ASSERT_TRUE(r.ok()) << BudgetToString(b) << ": " << r.status();
    EXPECT_EQ(MatrixShape(r->factorization), std::make_pair(c.out, c.in));
    EXPECT_LE(StoredBits(r->factorization), BitLimit(b, c.out, c.in)) << BudgetToString(b);
    if (b.kind == Budget::Kind::kParamRatio) {
      EXPECT_LE(StoredParams(r->factorization), ParamLimit(b, c.out, c.in)) << BudgetToString(b);
    }
    const Matrix w_hat = Reconstruct(r->factorization);
    // What a file stores is the factorization itself: importing the exported arrays gives the same matrix.
    absl::StatusOr<Factorization> imported = ImportArrays(ExportArrays(r->factorization));
    ASSERT_TRUE(imported.ok()) << imported.status();
    EXPECT_EQ(StoredBits(*imported), StoredBits(r->factorization));
    EXPECT_EQ((Reconstruct(*imported) - w_hat).norm(), 0.0f);
    ASSERT_EQ(w_hat.rows(), c.out);
    ASSERT_EQ(w_hat.cols(), c.in);
    const double err = (layer.weight - w_hat).norm() / layer.weight.norm();
    EXPECT_TRUE(std::isfinite(err));
    EXPECT_LT(err, 1.0) << BudgetToString(b);  // better than storing nothing
    // A larger budget may not give a larger error. Float noise in the decompositions is ~1e-6
    // relative; 1e-4 leaves room for the local optima of k-means and HOOI.
    EXPECT_LE(err, previous + 1e-4) << BudgetToString(b);
    previous = err;
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const Method* m : AllMethods()) {
    for (auto [out, in] : {std::pair<int64_t, int64_t>{768, 768}, {768, 3072}}) {
      cases.push_back({std::string(m->Id()), out, in});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllMethods, RegistryTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.method + "_" + std::to_string(info.param.out) + "x" +
                                  std::to_string(info.param.in);
                         });

// Bad input is refused with a message, never a crash.
TEST(RegistryBadInputTest, EveryMethodRefusesNaNWrongBudgetAndUnknownOption) {
  Matrix w = GaussianMatrix(32, 48, 1);
  const Matrix fisher = Matrix::Ones(32, 48), c = Matrix::Identity(48, 48);
  for (const Method* m : AllMethods()) {
    LayerInputs in{&w, &fisher, &c};
    const Budget good = m->Budgets()[0] == Budget::Kind::kBits ? Budget::Bits(2) : Budget::ParamRatio(0.5);
    ASSERT_TRUE(m->Compress(in, good, MethodOptions()).ok()) << m->Id();
    MethodOptions unknown({{"no_such_option", "1"}});
    absl::StatusOr<Compressed> r = m->Compress(in, good, unknown);
    ASSERT_FALSE(r.ok()) << m->Id();
    EXPECT_NE(r.status().message().find("no_such_option"), std::string::npos) << r.status();
    const Budget wrong = m->Budgets()[0] == Budget::Kind::kBits ? Budget::Rank(4) : Budget::Bits(4);
    EXPECT_FALSE(m->Compress(in, wrong, MethodOptions()).ok()) << m->Id();
    Matrix bad = w;
    bad(3, 4) = INFINITY;
    LayerInputs bad_in{&bad, &fisher, &c};
    r = m->Compress(bad_in, good, MethodOptions());
    ASSERT_FALSE(r.ok()) << m->Id();
    EXPECT_NE(r.status().message().find("[3, 4]"), std::string::npos) << r.status();
  }
}

}  // namespace
}  // namespace lrb
