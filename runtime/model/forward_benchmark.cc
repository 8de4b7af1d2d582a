// Forward throughput (sequences/s) of the LibTorch runtime on bert-mini-mlm and on a random BERT-base-shaped
// model, and fine-tuning throughput (examples/s) on bert-mini, on CPU. Run through tools/bench_forward.sh,
// which puts PyTorch eager's figures for the same models, shapes and threads beside these in one report.
//
// Names:
//   forward/lrbench/<model>/batch:<b>/seq:<s>/threads:<t>    Model::Forward (host tensors in and out), the
//                                                           linears on the oneDNN kernels (the default)
//   forward/lrbench_libtorch/<model>/...                     the same with LibTorch ops (--kernels=libtorch)
//   <model>: bert-mini, bert-base, and both with -svd33 (every encoder linear at a third of its rank)
//   overhead/lrbench/bert-mini/batch:1/seq:128/threads:<t>   what the host tensors cost (see BM_Overhead)
//   finetune/lrbench/bert-mini/batch:32/seq:64/threads:<t>   Finetune, one epoch of --finetune_steps steps
// Both models carry a sequence-classification head (pooler + 2-label classifier), the GLUE use; bert-mini's
// head is initialised (the checkpoint is an MLM one). Inputs: random ids, no padding, token types 0.
//
// Flags besides Google Benchmark's: --bert_mini_dir=DIR (else $LRB_BERT_MINI_DIR, else the embedded
// third_party/embedded/models/bert-mini-mlm relative to the workspace: $BUILD_WORKSPACE_DIRECTORY under
// `bazel run`, the current directory otherwise), --threads=1,2 (default: 1 and all cores; set with
// at::set_num_threads) and --finetune_steps=N (default 10).
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "base/bench/flags.h"
#include "base/bench/main.h"
#include "base/safetensors.h"
#include "runtime/model/model.h"
#include "runtime/model/model_impl.h"
#include "runtime/model/training.h"
#include "methods/registry.h"

namespace lrb {
namespace {

std::string& BertMiniDir() {
  static auto* dir = new std::string;
  return *dir;
}

int64_t& FinetuneSteps() {
  static int64_t steps = 10;
  return steps;
}

std::vector<int>& ThreadCounts() {
  static auto* counts = new std::vector<int>;
  return *counts;
}

// BERT-base (uncased) shapes: 110 M parameters.
ModelConfig BertBaseConfig() {
  ModelConfig c;
  c.family = ModelFamily::kBert;
  c.model_type = "bert";
  c.head = HeadKind::kSequenceClassification;
  c.architecture = "BertForSequenceClassification";
  c.vocab_size = 30522;
  c.hidden_size = 768;
  c.num_layers = 12;
  c.num_heads = 12;
  c.head_dim = 64;
  c.intermediate_size = 3072;
  c.max_position_embeddings = 512;
  c.type_vocab_size = 2;
  c.hidden_act = "gelu";
  c.num_labels = 2;
  return c;
}

// A fresh model of `name` ("bert-mini", "bert-base") with a 2-label classification head.
// "bert-mini" or "bert-base", with "-svd33": every encoder linear replaced by its truncated SVD at a third
// of its full rank (min(out, in) / 3: 256 for BERT-base, 85 for bert-mini); kernels "onednn" or "libtorch".
absl::StatusOr<std::unique_ptr<Model>> MakeModel(const std::string& name, const std::string& kernels) {
  LoadOptions options;
  options.head = HeadKind::kSequenceClassification;
  options.num_labels = 2;
  options.kernels = kernels;
  absl::StatusOr<std::unique_ptr<Model>> model = absl::StartsWith(name, "bert-mini")
                                                     ? Model::Load(BertMiniDir(), options)
                                                     : Model::Create(BertBaseConfig(), options);
  if (!model.ok() || !absl::EndsWith(name, "-svd33")) return model;
  absl::StatusOr<const Method*> method = FindMethod("svd");
  if (!method.ok()) return method.status();
  absl::StatusOr<std::vector<LinearReplacement>> replaced = (*model)->ReplaceLinears(
      "bert.encoder.**",
      [&](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
        absl::StatusOr<Compressed> c = (*method)->Compress({&w}, Budget::Rank(std::min(w.rows(), w.cols()) / 3), {});
        if (!c.ok()) return c.status();
        return c->factorization;
      },
      /*trainable=*/false);
  if (!replaced.ok()) return replaced.status();
  return model;
}

// Forward-only models are shared by all cases (creating BERT-base takes seconds).
absl::StatusOr<Model*> SharedModel(const std::string& name, const std::string& kernels) {
  static auto* cache = new std::map<std::string, absl::StatusOr<std::unique_ptr<Model>>>;
  const std::string key = name + "/" + kernels;
  auto it = cache->find(key);
  if (it == cache->end()) it = cache->emplace(key, MakeModel(name, kernels)).first;
  if (!it->second.ok()) return it->second.status();
  return it->second->get();
}

// Token ids drawn uniformly from [1000, vocab) (past BERT's special and unused tokens).
std::vector<int64_t> RandomIds(int64_t count, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> id(1000, vocab - 1);
  std::vector<int64_t> out(count);
  for (int64_t& v : out) v = id(rng);
  return out;
}

SafetensorsFile HostInputs(int64_t batch, int64_t seq, int64_t vocab) {
  SafetensorsFile in;
  const std::vector<int64_t> ones(batch * seq, 1), zeros(batch * seq, 0);
  (void)in.Add("input_ids", *HostTensorFromInt64({batch, seq}, RandomIds(batch * seq, vocab, batch)));
  (void)in.Add("attention_mask", *HostTensorFromInt64({batch, seq}, ones));
  (void)in.Add("token_type_ids", *HostTensorFromInt64({batch, seq}, zeros));
  return in;
}

void Skip(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.message()).c_str());
}

void BM_Forward(benchmark::State& state, const std::string& model_name, int64_t batch, int64_t seq, int threads,
                const std::string& kernels) {
  absl::StatusOr<Model*> model = SharedModel(model_name, kernels);
  if (!model.ok()) return Skip(state, model.status());
  at::set_num_threads(threads);
  const SafetensorsFile inputs = HostInputs(batch, seq, (*model)->config().vocab_size);
  // One untimed call per case (allocator, OpenMP pool), not per repetition: BERT-base at batch 32 takes seconds.
  static auto* warm = new std::set<std::tuple<std::string, std::string, int64_t, int64_t, int>>;
  if (warm->insert({model_name, kernels, batch, seq, threads}).second) {
    absl::StatusOr<SafetensorsFile> out = (*model)->Forward(inputs);
    if (!out.ok()) return Skip(state, out.status());
  }
  for (auto _ : state) {
    absl::StatusOr<SafetensorsFile> out = (*model)->Forward(inputs);
    if (!out.ok()) return Skip(state, out.status());
    benchmark::DoNotOptimize(out);
  }
  state.counters["sequences_per_second"] =
      benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
}

// What Model::Forward's host tensors (conversion in and out, input checks) cost over the module itself:
// Model::Forward, the module on torch tensors under the same NoGradGuard, and the module under
// c10::InferenceMode (what torch.inference_mode() is in Python), alternated call by call so that load from
// other processes hits all three alike. Counters: the median milliseconds per call of each.
void BM_Overhead(benchmark::State& state, const std::string& model_name, int64_t batch, int64_t seq, int threads,
                 int calls) {
  absl::StatusOr<Model*> model = SharedModel(model_name, "onednn");
  if (!model.ok()) return Skip(state, model.status());
  at::set_num_threads(threads);
  const int64_t vocab = (*model)->config().vocab_size;
  const SafetensorsFile inputs = HostInputs(batch, seq, vocab);
  Batch tensors;
  tensors.input_ids = torch::tensor(RandomIds(batch * seq, vocab, batch), torch::kLong).reshape({batch, seq});
  tensors.attention_mask = torch::ones({batch, seq}, torch::kLong);
  tensors.token_type_ids = torch::zeros({batch, seq}, torch::kLong);
  LanguageModelImpl& module = *(*model)->internals().module;
  const std::function<void()> variants[] = {
      [&] { benchmark::DoNotOptimize((*model)->Forward(inputs)); },
      [&] {
        torch::NoGradGuard guard;
        benchmark::DoNotOptimize(module.Forward(tensors));
      },
      [&] {
        c10::InferenceMode guard;
        benchmark::DoNotOptimize(module.Forward(tensors));
      }};
  std::vector<double> ms[3];
  for (auto _ : state) {
    for (int i = 0; i <= calls; ++i) {  // round 0 warms up
      for (int v = 0; v < 3; ++v) {
        const auto start = std::chrono::steady_clock::now();
        variants[v]();
        const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
        if (i > 0) ms[v].push_back(took.count());
      }
    }
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  state.counters["model_forward_ms"] = median(ms[0]);
  state.counters["module_ms"] = median(ms[1]);
  state.counters["module_inference_mode_ms"] = median(ms[2]);
}

// Synthetic classification examples of exactly `seq` tokens: [CLS] random ids [SEP], labels 0/1.
std::vector<Example> SyntheticExamples(int64_t count, int64_t seq, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Example> out(count);
  for (Example& e : out) {
    e.input_ids = RandomIds(seq, vocab, rng());
    e.input_ids.front() = 101;
    e.input_ids.back() = 102;
    e.token_type_ids.assign(seq, 0);
    e.label = static_cast<float>(rng() % 2);
  }
  return out;
}

// Each iteration is one Finetune call: a fresh AdamW, one epoch of FinetuneSteps() steps, no evaluation.
void BM_Finetune(benchmark::State& state, int64_t batch, int64_t seq, int threads) {
  absl::StatusOr<std::unique_ptr<Model>> model = MakeModel("bert-mini", "onednn");  // its own: training changes it
  if (!model.ok()) return Skip(state, model.status());
  at::set_num_threads(threads);
  const int64_t steps = FinetuneSteps();
  const int64_t vocab = (*model)->config().vocab_size;
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  recipe.batch_size = batch;
  recipe.learning_rate = 1e-4;
  recipe.log_every = 0;
  // Warm-up: one step (the first step allocates gradients and optimizer state).
  absl::StatusOr<FinetuneReport> report = Finetune(**model, SyntheticExamples(batch, seq, vocab, 1), {}, recipe, {});
  if (!report.ok()) return Skip(state, report.status());
  const std::vector<Example> train = SyntheticExamples(batch * steps, seq, vocab, 2);
  for (auto _ : state) {
    report = Finetune(**model, train, {}, recipe, {});
    if (!report.ok()) return Skip(state, report.status());
  }
  state.counters["examples_per_second"] =
      benchmark::Counter(static_cast<double>(batch * steps * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["steps"] = static_cast<double>(steps);
}

bool RegisterAll() {
  const int64_t seq = 128;
  for (int threads : ThreadCounts()) {
    for (const char* model : {"bert-mini", "bert-base", "bert-mini-svd33", "bert-base-svd33"}) {
      for (const std::string kernels : {"onednn", "libtorch"}) {
        for (int64_t batch : {1, 8, 32}) {
          const std::string name = absl::StrFormat("forward/%s/%s/batch:%d/seq:%d/threads:%d",
                                                   kernels == "onednn" ? "lrbench" : "lrbench_libtorch", model,
                                                   batch, seq, threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_Forward, std::string(model), batch, seq, threads, kernels)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime()
              ->MinTime(1.0);
        }
      }
    }
    const std::string overhead =
        absl::StrFormat("overhead/lrbench/bert-mini/batch:1/seq:%d/threads:%d", seq, threads);
    benchmark::RegisterBenchmark(overhead.c_str(), BM_Overhead, std::string("bert-mini"), 1, seq, threads, 50)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
    const std::string finetune = absl::StrFormat("finetune/lrbench/bert-mini/batch:32/seq:64/threads:%d", threads);
    benchmark::RegisterBenchmark(finetune.c_str(), BM_Finetune, 32, 64, threads)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
  }
  return true;
}

// Takes this binary's own flags out of argv (Google Benchmark refuses flags it does not know).
bool ParseOwnFlags(int& argc, char** argv) {
  const char* env = std::getenv("LRB_BERT_MINI_DIR");
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  BertMiniDir() = env != nullptr ? std::string(env)
                                 : (workspace != nullptr ? std::string(workspace) + "/" : std::string()) +
                                       "third_party/embedded/models/bert-mini-mlm";
  ThreadCounts() = DefaultThreadCounts();
  int kept = 1;
  bool error = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--bert_mini_dir=", 0) == 0) {
      BertMiniDir() = arg.substr(16);
    } else if (TakeThreadsFlag("forward_benchmark", arg, &ThreadCounts(), &error)) {
      if (error) return false;
    } else if (arg.rfind("--finetune_steps=", 0) == 0) {
      if (!absl::SimpleAtoi(arg.substr(17), &FinetuneSteps()) || FinetuneSteps() < 1) {
        std::fprintf(stderr, "forward_benchmark: %s: expected a step count >= 1\n", arg.c_str());
        return false;
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
