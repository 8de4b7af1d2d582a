// Compression time of every registered method on BERT-base shapes, and the SVD solvers against each
// other. Run through tools/bench_compress.sh, which puts PyTorch's timings for the same shapes and
// threads beside these in one report. Names: compress/<method>/out:<m>/in:<n>/<budget>/threads:<t>.
#include <omp.h>

#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "methods/linalg/svd.h"
#include "methods/registry.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

struct Layer {
  Matrix weight, fisher, second_moment;
  Vector spectrum;
};

// The synthetic layer of the registry test: s_i ~ i^-0.5 (the slow decay of trained BERT weights).
const Layer& GetLayer(int64_t out, int64_t in) {
  static auto* cache = new std::map<std::pair<int64_t, int64_t>, Layer>;
  auto it = cache->find({out, in});
  if (it != cache->end()) return it->second;
  Layer l;
  l.spectrum = testing::PowerLawSpectrum(std::min(out, in), 0.5);
  l.weight = testing::WithSpectrum(out, in, l.spectrum, 1);
  l.fisher = GaussianMatrix(out, in, 3).cwiseAbs2();
  const Matrix x = GaussianMatrix(in + 256, in, 4);
  l.second_moment = x.transpose() * x;
  return cache->emplace(std::make_pair(out, in), std::move(l)).first->second;
}

// OpenBLAS's OpenMP build takes its thread count from omp_get_max_threads() at each call.
void SetThreads(int threads) { omp_set_num_threads(threads); }

void BM_Compress(benchmark::State& state, const Method* method, int64_t out, int64_t in, Budget budget,
                 int threads, MethodOptions options) {
  const Layer& layer = GetLayer(out, in);
  SetThreads(threads);
  const LayerInputs inputs{&layer.weight, &layer.fisher, &layer.second_moment};
  double err = 0;
  int64_t params = 0;
  for (auto _ : state) {
    absl::StatusOr<Compressed> r = method->Compress(inputs, budget, options);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    params = StoredParams(r->factorization);
    state.PauseTiming();
    err = (layer.weight - Reconstruct(r->factorization)).norm() / layer.weight.norm();
    state.ResumeTiming();
  }
  state.counters["rel_error"] = err;
  state.counters["stored_params"] = static_cast<double>(params);
  if (budget.kind == Budget::Kind::kRank) {
    // Eckart-Young: the best any rank-r form can do in Frobenius norm.
    const int64_t r = budget.rank();
    state.counters["err_over_optimal"] =
        err / (layer.spectrum.tail(layer.spectrum.size() - r).norm() / layer.spectrum.norm());
  }
}

void RegisterAll() {
  const int all = omp_get_num_procs();
  for (auto [out, in] : {std::pair<int64_t, int64_t>{768, 768}, {768, 3072}, {3072, 768}}) {
    for (double share : {0.25, 0.5}) {
      const int64_t rank = static_cast<int64_t>(share * std::min(out, in));
      // The parameter count of that rank, for the methods whose budget is not a rank.
      const double ratio = static_cast<double>(rank * (out + in)) / static_cast<double>(out * in);
      for (int threads : {1, all}) {
        for (const Method* m : AllMethods()) {
          Budget budget = Budget::Rank(rank);
          std::string budget_name = absl::StrFormat("rank:%d", rank);
          const bool low_rank = m->Id() == "svd" || m->Id() == "fwsvd" || m->Id() == "drone";
          if (m->Id() == "kashin") {
            budget = Budget::Bits(share == 0.25 ? 4 : 8);
            budget_name = absl::StrFormat("bits:%d", budget.bits());
          } else if (!low_rank) {
            budget = Budget::ParamRatio(std::min(ratio, 1.0));
            budget_name = absl::StrFormat("param_ratio:%.3f", budget.value);
          }
          const std::string base =
              absl::StrFormat("compress/%s/out:%d/in:%d/%s/threads:%d", m->Id(), out, in, budget_name, threads);
          auto* b = benchmark::RegisterBenchmark(base.c_str(), BM_Compress, m, out, in, budget, threads,
                                                 MethodOptions());
          b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
          if (m->Id() == "svd") {
            const std::string name = absl::StrFormat("compress/svd_randomized/out:%d/in:%d/%s/threads:%d", out,
                                                     in, budget_name, threads);
            benchmark::RegisterBenchmark(name.c_str(), BM_Compress, m, out, in, budget, threads,
                                         MethodOptions({{"solver", "randomized"}}))
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime()
                ->MinTime(0.5);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace lrb

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  lrb::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
