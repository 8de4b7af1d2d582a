// Speed of the compressed linear layer per format and backend (issue #6): BERT-base shapes (768x768,
// 3072x768 and 768x3072 as out x in) at 1, 128, 1024 and 4096 tokens, factors of random values in the
// shapes the methods produce, sized to 10, 25 and 50 % of the dense parameters.
//
// Names: <format>/<backend>/out:<m>/in:<n>/<size>/tokens:<t>/threads:<k>, with format dense, lowrank,
// lowrank_sparse, kronecker, tucker or tt; backend onednn, torch (LibTorch CPU) or torch_cuda (when CUDA is
// available); size e.g. rank:192, rank:154/rows:38, a:2x4/terms:1, ranks:12x16x16x12, ranks:1x24x24x1.
// Every case but dense has a dense twin with the same backend, out, in, tokens and threads, so a report
// (tools/kernel_report.py) pairs them. Counters: gflops (2 x the plan's multiply-adds x tokens per second),
// flop_ratio (the plan's multiply-adds over the dense layer's: 1 / flop_ratio bounds the speedup),
// param_ratio (stored parameters over out x in). The plan each case ran is in its label.
//
// Flags: --threads=1,2 (default: 1 and all cores), --tokens=1,128,1024,4096, and Google Benchmark's own.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "base/bench/flags.h"
#include "base/bench/main.h"
#include "runtime/kernels/onednn_linear.h"
#include "runtime/kernels/plan.h"
#include "runtime/kernels/torch_linear.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

struct Flags {
  std::vector<int> threads = DefaultThreadCounts();
  std::vector<int64_t> tokens = {1, 128, 1024, 4096};
};
Flags& GetFlags() {
  static Flags flags;
  return flags;
}

struct Case {
  std::string format;  // benchmark name's format
  std::string size;    // benchmark name's size part
  Factorization f;
};

Matrix Random(int64_t rows, int64_t cols, uint64_t seed) {
  return GaussianMatrix(rows, cols, seed) / std::sqrt(static_cast<float>(cols));
}

// Two factors as close to sqrt(n) as divisors allow (768 -> 24 x 32).
std::vector<int64_t> TwoModes(int64_t n) {
  int64_t a = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  while (n % a != 0) --a;
  return {a, n / a};
}

// Three factors for a tensor-train matrix (768 -> 8 x 8 x 12, 3072 -> 12 x 16 x 16).
std::vector<int64_t> ThreeModes(int64_t n) {
  int64_t a = static_cast<int64_t>(std::cbrt(static_cast<double>(n)));
  while (n % a != 0) --a;
  std::vector<int64_t> rest = TwoModes(n / a);
  return {a, rest[0], rest[1]};
}

std::vector<Case> Cases(int64_t m, int64_t n) {
  std::vector<Case> cases;
  const double mn = static_cast<double>(m) * n;
  cases.push_back({"dense", "", Dense{Random(m, n, 1)}});
  for (const double fraction : {0.10, 0.25, 0.50}) {
    const int64_t r = std::lround(fraction * mn / (m + n));
    cases.push_back({"lowrank", absl::StrFormat("rank:%d", r), LowRank{Random(m, r, 2), Random(r, n, 3)}});
  }
  {
    // LoSparse-like: 25 % of the parameters, 5 % of the rows kept as sparse rows, the rest low rank.
    const int64_t k = m / 20, r = std::lround((0.25 * mn - static_cast<double>(k) * n) / (m + n));
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < k; ++i) rows.push_back(i * (m / k));
    cases.push_back({"lowrank_sparse", absl::StrFormat("rank:%d/rows:%d", r, k),
                     LowRankPlusSparse{{Random(m, r, 4), Random(r, n, 5)}, rows, Random(k, n, 6)}});
  }
  // One Kronecker term with A of 8, 4 and 2 elements: 12.5 % (KroneckerBERT8's ~8x per matrix), 25, 50 %.
  for (const auto& [m1, n1] : std::vector<std::pair<int64_t, int64_t>>{{2, 4}, {2, 2}, {1, 2}}) {
    const int64_t a1 = m > n ? n1 : m1, b1 = m > n ? m1 : n1;  // the larger factor of A on the larger side
    cases.push_back({"kronecker", absl::StrFormat("a:%dx%d/terms:1", a1, b1),
                     KroneckerSum{{Random(a1, b1, 7)}, {Random(m / a1, n / b1, 8)}}});
  }
  // Tucker of W reshaped to out modes x in modes (ADA-Tucker's balanced reshape), ranks a common
  // fraction of each mode, the largest that fits the budget.
  const std::vector<int64_t> out_modes = TwoModes(m), in_modes = TwoModes(n);
  std::vector<int64_t> modes = out_modes;
  modes.insert(modes.end(), in_modes.begin(), in_modes.end());
  for (const double fraction : {0.10, 0.25, 0.50}) {
    std::vector<int64_t> ranks;
    for (double g = 1.0; g > 0.01; g -= 0.005) {
      ranks.clear();
      double params = 1;
      for (int64_t s : modes) ranks.push_back(std::max<int64_t>(1, std::lround(g * s)));
      for (int64_t r : ranks) params *= r;
      for (size_t k = 0; k < modes.size(); ++k) params += static_cast<double>(modes[k]) * ranks[k];
      if (params <= fraction * mn) break;
    }
    Tucker t{m, n, modes, {testing::GaussianTensor(ranks, 9), {}}};
    for (size_t k = 0; k < modes.size(); ++k) t.tucker.factors.push_back(Random(modes[k], ranks[k], 10 + k));
    cases.push_back({"tucker", "ranks:" + absl::StrJoin(ranks, "x"), t});
  }
  // Tensor-train matrices with 3 cores and equal inner ranks, the largest that fits the budget.
  const std::vector<int64_t> rm = ThreeModes(m), cm = ThreeModes(n);
  for (const double fraction : {0.10, 0.25, 0.50}) {
    int64_t r = 1;
    auto params = [&](int64_t q) { return static_cast<double>(rm[0] * cm[0] * q + q * rm[1] * cm[1] * q + q * rm[2] * cm[2]); };
    while (params(r + 1) <= fraction * mn) ++r;
    TensorTrainMatrix tt;
    tt.tt.row_modes = rm;
    tt.tt.col_modes = cm;
    const std::vector<int64_t> ranks = {1, r, r, 1};
    for (int k = 0; k < 3; ++k) {
      tt.tt.cores.push_back(testing::GaussianTensor({ranks[k], rm[k], cm[k], ranks[k + 1]}, 20 + k));
    }
    cases.push_back({"tt", "ranks:" + absl::StrJoin(ranks, "x"), tt});
  }
  return cases;
}

void SetCounters(benchmark::State& state, const ForwardPlan& plan, const Factorization& f, int64_t tokens) {
  const auto [m, n] = MatrixShape(f);
  state.counters["gflops"] = benchmark::Counter(2.0 * plan.macs_per_token * tokens * state.iterations() * 1e-9,
                                                benchmark::Counter::kIsRate);
  state.counters["flop_ratio"] = plan.macs_per_token / plan.dense_macs_per_token;
  state.counters["param_ratio"] = static_cast<double>(StoredParams(f)) / (static_cast<double>(m) * n);
  state.SetLabel(plan.description);
}

void BM_OneDnn(benchmark::State& state, const Factorization* f, int64_t tokens, int threads) {
  const auto [m, n] = MatrixShape(*f);
  absl::StatusOr<std::unique_ptr<OneDnnLinear>> kernel = OneDnnLinear::Create(*f, RowMajor(Random(1, m, 30)), threads);
  if (!kernel.ok()) {
    state.SkipWithError(std::string(kernel.status().message()).c_str());
    return;
  }
  const std::vector<float> x = RowMajor(GaussianMatrix(tokens, n, 31));
  std::vector<float> y(tokens * m);
  (*kernel)->Forward(x.data(), tokens, y.data());  // primitives made outside the timing
  for (auto _ : state) {
    (*kernel)->Forward(x.data(), tokens, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, (*kernel)->plan(), *f, tokens);
}

void BM_Torch(benchmark::State& state, const Factorization* f, int64_t tokens, int threads, torch::Device device) {
  c10::InferenceMode inference;
  at::set_num_threads(threads);
  const auto [m, n] = MatrixShape(*f);
  const TorchFactors factors = ToTorchFactors(*f, device);
  const ForwardPlan plan = PlanForward(factors.shapes);
  const std::vector<torch::Tensor> matrices = PlanMatrices(factors, plan);  // once, as a deployed model would
  const torch::Tensor bias = ToTorch(Random(1, m, 30)).reshape({m}).to(device);
  const torch::Tensor x = ToTorch(GaussianMatrix(tokens, n, 31)).to(device);
  torch::Tensor y = RunPlan(plan, matrices, factors.rows, x, bias);
  for (auto _ : state) {
    y = RunPlan(plan, matrices, factors.rows, x, bias);
    if (device.is_cuda()) torch::cuda::synchronize();
    benchmark::DoNotOptimize(y.data_ptr());
  }
  SetCounters(state, plan, *f, tokens);
}

bool RegisterAll() {
  static std::vector<std::unique_ptr<Case>> cases;  // alive while the benchmarks run
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{768, 768}, {3072, 768}, {768, 3072}};
  const bool cuda = torch::cuda::is_available();
  for (const auto& [m, n] : shapes) {
    for (Case& c : Cases(m, n)) cases.push_back(std::make_unique<Case>(std::move(c)));
  }
  for (const std::unique_ptr<Case>& c : cases) {
    const auto [m, n] = MatrixShape(c->f);
    const std::string size = c->size.empty() ? "" : c->size + "/";
    for (const int64_t tokens : GetFlags().tokens) {
      for (const int threads : GetFlags().threads) {
        auto name = [&](const char* backend) {
          return absl::StrFormat("%s/%s/out:%d/in:%d/%stokens:%d/threads:%d", c->format, backend, m, n, size, tokens, threads);
        };
        benchmark::RegisterBenchmark(name("onednn").c_str(), BM_OneDnn, &c->f, tokens, threads)
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(name("torch").c_str(), BM_Torch, &c->f, tokens, threads, torch::Device(torch::kCPU))
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        if (cuda && threads == GetFlags().threads.back()) {
          benchmark::RegisterBenchmark(name("torch_cuda").c_str(), BM_Torch, &c->f, tokens, threads,
                                       torch::Device(torch::kCUDA))
              ->Unit(benchmark::kMicrosecond)->UseRealTime();
        }
      }
    }
  }
  return true;
}

bool ParseOwnFlags(int& argc, char** argv) {
  Flags& flags = GetFlags();
  int kept = 1;
  bool error = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (TakeThreadsFlag("linear_benchmark", arg, &flags.threads, &error)) {
      if (error) return false;
    } else if (arg.rfind("--tokens=", 0) == 0) {
      flags.tokens.clear();
      for (absl::string_view part : absl::StrSplit(arg.substr(9), ',')) {
        int64_t t = 0;
        if (!absl::SimpleAtoi(part, &t) || t < 1) {
          std::fprintf(stderr, "linear_benchmark: %s: expected token counts >= 1, comma-separated\n", arg.c_str());
          return false;
        }
        flags.tokens.push_back(t);
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return true;
}

}  // namespace
}  // namespace lrb

int main(int argc, char** argv) { return lrb::BenchmarkMain(argc, argv, lrb::ParseOwnFlags, lrb::RegisterAll); }
