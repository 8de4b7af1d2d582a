// Parity of every format's forward, on every backend, with the dense product of its reconstruction:
// y = x W_hat^T + b computed in double. Float32 GEMMs over at most a few hundred terms of size ~1 err
// by ~1e-6 relative; 1e-4 of the output's scale leaves a wide margin, while a wrong index order,
// transposition or missing term is off by O(1).
#include <cmath>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "runtime/kernels/onednn_linear.h"
#include "runtime/kernels/plan.h"
#include "runtime/kernels/torch_linear.h"
#include "methods/registry.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

Matrix Gaussian(int64_t rows, int64_t cols, uint64_t seed) { return GaussianMatrix(rows, cols, seed); }

// The LibTorch backend's tests run once per device: CPU, and CUDA, skipped (with the reason) where no CUDA
// device is available (Debian's LibTorch is CPU-only; a build with --config=cuda on a GPU runs both).
class TorchKernelTest : public ::testing::TestWithParam<torch::DeviceType> {
 protected:
  void SetUp() override {
    if (GetParam() == torch::kCUDA && !torch::cuda::is_available()) {
      GTEST_SKIP() << "CUDA is not available (a CPU-only LibTorch, or no GPU; see --config=cuda in .bazelrc)";
    }
  }
  torch::Device device() const { return torch::Device(GetParam()); }
};

struct Case {
  std::string name;
  Factorization f;
  PlanKind expected_plan;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back({"dense", Dense{Gaussian(17, 13, 1)}, PlanKind::kDense});
  cases.push_back({"low_rank", LowRank{Gaussian(24, 5, 2), Gaussian(5, 20, 3)}, PlanKind::kLowRank});
  cases.push_back({"low_rank_sparse",
                   LowRankPlusSparse{{Gaussian(24, 5, 4), Gaussian(5, 20, 5)}, {1, 7, 8, 23}, Gaussian(4, 20, 6)},
                   PlanKind::kLowRankSparse});
  // Small A and large B: A first is cheaper; the transposed shapes make B first cheaper.
  cases.push_back({"kronecker_a_first",
                   KroneckerSum{{Gaussian(2, 4, 7), Gaussian(2, 4, 8)}, {Gaussian(6, 5, 9), Gaussian(6, 5, 10)}},
                   PlanKind::kKroneckerAFirst});
  cases.push_back({"kronecker_b_first",
                   KroneckerSum{{Gaussian(6, 5, 11), Gaussian(6, 5, 12)}, {Gaussian(2, 4, 13), Gaussian(2, 4, 14)}},
                   PlanKind::kKroneckerBFirst});
  {
    // W [48, 40] as an 8x6x5x8 tensor (modes 8x6 make the output, 5x8 the input), ranks 2.
    Tucker t{48, 40, {8, 6, 5, 8}, {testing::GaussianTensor({2, 2, 2, 2}, 15), {}}};
    for (int k = 0; k < 4; ++k) t.tucker.factors.push_back(Gaussian(t.shape[k], 2, 16 + k));
    cases.push_back({"tucker_factored", t, PlanKind::kTuckerFactored});
    // W [8, 15] as 4x6x5: no prefix of the modes multiplies to 8, so only the reconstruction serves.
    Tucker u{8, 15, {4, 6, 5}, {testing::GaussianTensor({2, 3, 2}, 20), {}}};
    for (int k = 0; k < 3; ++k) u.tucker.factors.push_back(Gaussian(u.shape[k], u.tucker.core.shape[k], 21 + k));
    cases.push_back({"tucker_unsplittable", u, PlanKind::kDense});
  }
  auto tt = [](std::vector<int64_t> rows, std::vector<int64_t> cols, std::vector<int64_t> ranks, uint64_t seed) {
    TensorTrainMatrix m;
    m.tt.row_modes = rows;
    m.tt.col_modes = cols;
    for (size_t k = 0; k < rows.size(); ++k) {
      m.tt.cores.push_back(testing::GaussianTensor({ranks[k], rows[k], cols[k], ranks[k + 1]}, seed + k));
    }
    return m;
  };
  cases.push_back({"tt_right_to_left", tt({8, 6}, {5, 8}, {1, 2, 1}, 30), PlanKind::kTtRightToLeft});
  cases.push_back({"tt_left_to_right", tt({6, 8}, {8, 5}, {1, 2, 1}, 40), PlanKind::kTtLeftToRight});
  cases.push_back({"tt_three_cores", tt({4, 3, 4}, {2, 5, 4}, {1, 2, 3, 1}, 50), PlanKind::kTtRightToLeft});
  {
    const Matrix w = Gaussian(16, 24, 60);
    cases.push_back({"quantized",
                     (*FindMethod("kashin"))->Compress({&w}, Budget::Bits(3), MethodOptions())->factorization,
                     PlanKind::kDense});
  }
  return cases;
}

// x W_hat^T + b in double, [tokens, out] row-major.
std::vector<double> Reference(const Factorization& f, const std::vector<float>& x, int64_t tokens,
                              const std::vector<float>& bias) {
  const Matrix w = Reconstruct(f);
  std::vector<double> y(tokens * w.rows());
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t o = 0; o < w.rows(); ++o) {
      double s = bias.empty() ? 0.0 : bias[o];
      for (int64_t i = 0; i < w.cols(); ++i) s += static_cast<double>(x[t * w.cols() + i]) * w(o, i);
      y[t * w.rows() + o] = s;
    }
  }
  return y;
}

void ExpectClose(const std::vector<double>& want, const float* got, const std::string& what) {
  double scale = 1.0, worst = 0.0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(want[i] - got[i]));
  EXPECT_LT(worst, 1e-4 * scale) << what << ": max error " << worst << " at scale " << scale;
}

// One input per case: with and without bias, 1 and 7 tokens.
struct Input {
  std::string what;
  std::vector<float> x, bias;
  int64_t tokens;
  std::vector<double> want;
};

std::vector<Input> Inputs(const Case& c) {
  std::vector<Input> inputs;
  const auto [out, in] = MatrixShape(c.f);
  for (const bool with_bias : {false, true}) {
    const std::vector<float> bias = with_bias ? RowMajor(Gaussian(1, out, 70)) : std::vector<float>();
    for (const int64_t tokens : {1, 7}) {
      const std::vector<float> x = RowMajor(Gaussian(tokens, in, 80 + tokens));
      inputs.push_back({c.name + (with_bias ? " +bias" : "") + " tokens " + std::to_string(tokens), x, bias, tokens,
                        Reference(c.f, x, tokens, bias)});
    }
  }
  return inputs;
}

TEST(KernelTest, EveryFormatHasItsPlanAndMatchesItsReconstructionOnOneDnn) {
  for (const Case& c : Cases()) {
    const ForwardPlan plan = PlanForward(ShapesOf(c.f));
    EXPECT_EQ(PlanKindName(plan.kind), std::string(PlanKindName(c.expected_plan))) << c.name << ": " << plan.description;
    const int64_t out = MatrixShape(c.f).first;
    for (const Input& input : Inputs(c)) {
      absl::StatusOr<std::unique_ptr<OneDnnLinear>> onednn = OneDnnLinear::Create(c.f, input.bias);
      ASSERT_TRUE(onednn.ok()) << onednn.status();
      std::vector<float> y(input.tokens * out, std::nanf(""));
      (*onednn)->Forward(input.x.data(), input.tokens, y.data());
      ExpectClose(input.want, y.data(), input.what + " onednn");
      (*onednn)->Forward(input.x.data(), input.tokens, y.data());  // the cached primitives give the same again
      ExpectClose(input.want, y.data(), input.what + " onednn (cached)");
    }
  }
}

TEST_P(TorchKernelTest, EveryFormatMatchesItsReconstruction) {
  for (const Case& c : Cases()) {
    const auto [out, in] = MatrixShape(c.f);
    const TorchFactors t = ToTorchFactors(c.f, device());
    for (const Input& input : Inputs(c)) {
      torch::NoGradGuard no_grad;
      const torch::Tensor xt =
          torch::from_blob(const_cast<float*>(input.x.data()), {input.tokens, in}, torch::kFloat32).to(device());
      const torch::Tensor bt =
          input.bias.empty()
              ? torch::Tensor()
              : torch::from_blob(const_cast<float*>(input.bias.data()), {out}, torch::kFloat32).to(device());
      const torch::Tensor yt = TorchLinearForward(t, xt, bt).to(torch::kCPU).contiguous();
      ExpectClose(input.want, yt.data_ptr<float>(), input.what + " torch " + device().str());
    }
  }
}

// The oneDNN kernel keeps primitives for 32 token counts; counts beyond that evict the oldest, which
// must then be rebuilt correctly (its packed weights are shared, not freed).
TEST(KernelTest, OneDnnKernelStaysRightAcrossManyTokenCounts) {
  const LowRank f{Gaussian(12, 3, 1), Gaussian(3, 10, 2)};
  const std::vector<float> bias = RowMajor(Gaussian(1, 12, 3));
  std::unique_ptr<OneDnnLinear> k = *OneDnnLinear::Create(f, bias);
  for (int64_t tokens : {1, 2, 3, 5, 8, 13, 21, 34, 40, 39, 38, 37, 36, 35, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24,
                         23, 22, 20, 19, 18, 17, 16, 15, 14, 12, 11, 1, 2, 3}) {
    const std::vector<float> x = RowMajor(Gaussian(tokens, 10, 100 + tokens));
    std::vector<float> y(tokens * 12);
    k->Forward(x.data(), tokens, y.data());
    ExpectClose(Reference(f, x, tokens, bias), y.data(), "tokens " + std::to_string(tokens));
  }
}

TEST_P(TorchKernelTest, ForwardKeepsLeadingDimensionsAndIsDifferentiable) {
  const LowRank f{Gaussian(12, 3, 1), Gaussian(3, 10, 2)};
  TorchFactors t = ToTorchFactors(f, device());
  for (torch::Tensor& v : t.factors) v.requires_grad_(true);
  const torch::Tensor x = torch::randn({2, 5, 10}).to(device());
  const torch::Tensor y = TorchLinearForward(t, x, torch::Tensor());
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, 5, 12}));
  y.sum().backward();
  for (const torch::Tensor& v : t.factors) ASSERT_TRUE(v.grad().defined());
  // d sum(y) / dL = sum over tokens of (x R^T): a closed form to compare with.
  const torch::Tensor xr = torch::matmul(x.reshape({-1, 10}), t.factors[1].detach().t()).sum(0);  // [3]
  EXPECT_TRUE(torch::allclose(t.factors[0].grad().cpu(), xr.unsqueeze(0).expand({12, 3}).cpu(), 1e-4, 1e-4));
}

TEST(KernelTest, PlansTakeTheFewestMultiplyAdds) {
  // Kronecker: both orders' counts by hand for A 2x4, B 384x192 (KroneckerBERT-like one term).
  FactorShapes k;
  k.format = "kronecker";
  k.out = 768, k.in = 768, k.terms = 1, k.m1 = 2, k.n1 = 4, k.m2 = 384, k.n2 = 192;
  const ForwardPlan kp = PlanForward(k);
  EXPECT_EQ(kp.kind, PlanKind::kKroneckerAFirst);
  EXPECT_DOUBLE_EQ(kp.macs_per_token, 2.0 * 4 * 192 + 2.0 * 192 * 384);  // vs 4*192*384 + 2*4*384 B first
  // Low rank at r (m + n) >= m n is cheaper dense.
  FactorShapes l;
  l.format = "low_rank";
  l.out = 64, l.in = 64, l.rank = 40;
  EXPECT_EQ(PlanForward(l).kind, PlanKind::kDense);
  l.rank = 31;
  EXPECT_EQ(PlanForward(l).kind, PlanKind::kLowRank);
  EXPECT_DOUBLE_EQ(PlanForward(l).macs_per_token, 31.0 * 128);
}

TEST(KernelTest, BadInputsAreErrors) {
  const LowRank f{Gaussian(12, 3, 1), Gaussian(3, 10, 2)};
  absl::StatusOr<std::unique_ptr<OneDnnLinear>> wrong_bias = OneDnnLinear::Create(f, std::vector<float>(11, 0.f));
  ASSERT_FALSE(wrong_bias.ok());
  EXPECT_NE(wrong_bias.status().message().find("bias has 11 values"), std::string::npos) << wrong_bias.status();
  LowRank nan = f;
  nan.left(3, 1) = std::nanf("");
  absl::StatusOr<std::unique_ptr<OneDnnLinear>> with_nan = OneDnnLinear::Create(nan, {});
  ASSERT_FALSE(with_nan.ok());
  EXPECT_NE(with_nan.status().message().find("non-finite"), std::string::npos) << with_nan.status();
}

INSTANTIATE_TEST_SUITE_P(Devices, TorchKernelTest, ::testing::Values(torch::kCPU, torch::kCUDA),
                         [](const ::testing::TestParamInfo<torch::DeviceType>& info) {
                           return info.param == torch::kCUDA ? std::string("cuda") : std::string("cpu");
                         });

}  // namespace
}  // namespace lrb
