// Reading and tokenizing task data: IMDB's train split (max_length 512) and SST-2's train split
// (max_length 64) with the bert-base-uncased WordPiece vocabulary, on one thread and on all cores.
//
// Names:
//   read/<data>                                   ReadSplit (open, parse, validate UTF-8), one thread
//   tokenize/<data>/max_length:<n>/threads:<t>    EncodeText on the examples already in memory
//   read_tokenize/<data>/max_length:<n>/threads:<t>   both, as `lrbench finetune` does before training
// <data> is imdb_train (the 25,000 reviews) when a data root holds it, else imdb_train_10k (the embedded
// default's 10,000-review subset), and sst2_train (67,349 sentences). Reading is single-threaded; <t> is
// EncodeOptions::threads (OpenMP inside EncodeText).
//
// Counters: items_per_second = examples/s; bytes_per_second = bytes of the split's file per second (the
// same denominator for all three kinds, so their rates compare directly); tokens_per_second = ids produced
// ([CLS] and [SEP] included, after truncation). The file is read once, untimed, before any case, so every
// timed read finds it in the page cache. Wall-clock time.
//
// Flags besides Google Benchmark's: --data_dir=DIR (a data root searched first, as lrbench's flag),
// --vocab=PATH (default: the embedded bert-base-uncased vocab.txt in the runfiles, else under
// $BUILD_WORKSPACE_DIRECTORY) and --threads=1,2 (default: 1 and all cores). The JSON context records
// each file used, its size and example count, and the vocabulary.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "base/bench/flags.h"
#include "base/bench/main.h"
#include "base/runfiles.h"
#include "tasks/data.h"
#include "tasks/encode.h"
#include "tasks/reader.h"
#include "tasks/task.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {
namespace {

struct Flags {
  std::optional<std::string> data_dir;
  std::string vocab;
  std::vector<int> threads;
};

Flags& GetFlags() {
  static auto* flags = new Flags;
  return *flags;
}

// One split as measured: where it is, how big, and its examples (read once, untimed).
struct Dataset {
  std::string name;  // "imdb_train", "imdb_train_10k", "sst2_train"
  const TaskInfo* task = nullptr;
  std::string split;
  int64_t max_length = 0;
  std::string path;
  int64_t file_bytes = 0;
  int64_t text_bytes = 0;  // sum of the examples' text and text_pair
  std::vector<TextExample> examples;
};

const WordPieceTokenizer* GetTokenizer() {
  static const absl::StatusOr<WordPieceTokenizer>* tokenizer =
      new absl::StatusOr<WordPieceTokenizer>(WordPieceTokenizer::Load(GetFlags().vocab));
  return tokenizer->ok() ? &**tokenizer : nullptr;
}

// Bytes of a file, or of every regular file under a directory (the aclImdb tree).
int64_t SizeOnDisk(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return static_cast<int64_t>(fs::file_size(path, ec));
  int64_t total = 0;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

absl::StatusOr<ReadResult> ReadData(const Dataset& d, const std::vector<std::string>& roots) {
  return ReadSplit(*d.task, d.split, roots, ReadOptions());
}

void Skip(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.message()).c_str());
}

int64_t CountIds(const std::vector<Example>& encoded) {
  int64_t n = 0;
  for (const Example& e : encoded) n += static_cast<int64_t>(e.input_ids.size());
  return n;
}

void SetRates(benchmark::State& state, const Dataset& d, int64_t tokens) {
  const int64_t iterations = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * static_cast<int64_t>(d.examples.size()));
  state.SetBytesProcessed(iterations * d.file_bytes);
  if (tokens > 0) {
    state.counters["tokens_per_second"] =
        benchmark::Counter(static_cast<double>(tokens * iterations), benchmark::Counter::kIsRate);
  }
}

void BM_Read(benchmark::State& state, const Dataset* d, std::vector<std::string> roots) {
  for (auto _ : state) {
    absl::StatusOr<ReadResult> read = ReadData(*d, roots);
    if (!read.ok()) return Skip(state, read.status());
    benchmark::DoNotOptimize(read->examples.data());
  }
  SetRates(state, *d, 0);
}

void BM_Tokenize(benchmark::State& state, const Dataset* d, int threads) {
  const WordPieceTokenizer* tokenizer = GetTokenizer();
  if (tokenizer == nullptr) return Skip(state, absl::NotFoundError("cannot load vocabulary " + GetFlags().vocab));
  EncodeOptions options;
  options.max_length = d->max_length;
  options.threads = threads;
  int64_t tokens = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<Example>> encoded = EncodeText(*d->task, d->examples, *tokenizer, options);
    if (!encoded.ok()) return Skip(state, encoded.status());
    tokens = CountIds(*encoded);
    benchmark::DoNotOptimize(encoded->data());
  }
  SetRates(state, *d, tokens);
}

void BM_ReadTokenize(benchmark::State& state, const Dataset* d, std::vector<std::string> roots, int threads) {
  const WordPieceTokenizer* tokenizer = GetTokenizer();
  if (tokenizer == nullptr) return Skip(state, absl::NotFoundError("cannot load vocabulary " + GetFlags().vocab));
  EncodeOptions options;
  options.max_length = d->max_length;
  options.threads = threads;
  int64_t tokens = 0;
  for (auto _ : state) {
    absl::StatusOr<ReadResult> read = ReadData(*d, roots);
    if (!read.ok()) return Skip(state, read.status());
    absl::StatusOr<std::vector<Example>> encoded = EncodeText(*d->task, read->examples, *tokenizer, options);
    if (!encoded.ok()) return Skip(state, encoded.status());
    tokens = CountIds(*encoded);
    benchmark::DoNotOptimize(encoded->data());
  }
  SetRates(state, *d, tokens);
}

// Locates and reads one split (untimed); nullopt with a message on stderr when it cannot.
std::optional<Dataset> LoadDataset(const std::string& name, const std::string& task_id, const std::string& split,
                                   int64_t max_length, const std::vector<std::string>& roots) {
  absl::StatusOr<const TaskInfo*> task = FindTask(task_id);
  if (!task.ok()) {
    std::fprintf(stderr, "encode_benchmark: %s\n", std::string(task.status().message()).c_str());
    return std::nullopt;
  }
  Dataset d;
  d.name = name;
  d.task = *task;
  d.split = split;
  d.max_length = max_length;
  absl::StatusOr<ReadResult> read = ReadSplit(**task, split, roots, ReadOptions());
  if (!read.ok()) {
    std::fprintf(stderr, "encode_benchmark: %s: %s\n", name.c_str(), std::string(read.status().message()).c_str());
    return std::nullopt;
  }
  d.path = read->path;
  d.file_bytes = SizeOnDisk(d.path);
  d.examples = std::move(read->examples);
  for (const TextExample& e : d.examples) d.text_bytes += static_cast<int64_t>(e.text.size() + e.text_pair.size());
  return d;
}

bool RegisterAll() {
  const std::vector<std::string> roots = DataRoots(GetFlags().data_dir);
  benchmark::AddCustomContext("data_roots", absl::StrJoin(roots, ":"));
  benchmark::AddCustomContext("vocab", GetFlags().vocab);
  benchmark::AddCustomContext("nproc", absl::StrCat(omp_get_num_procs()));
  // The allocator policy changes the reading figures by 1.5x (see docs/performance.md): record it.
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  benchmark::AddCustomContext("glibc_tunables", tunables != nullptr ? tunables : "");
  if (GetTokenizer() == nullptr) {
    std::fprintf(stderr, "encode_benchmark: cannot load vocabulary %s (give --vocab=PATH)\n", GetFlags().vocab.c_str());
    return false;
  }

  // IMDB: the full 25k train split when a root has it, else the embedded 10k subset, named for what it is.
  absl::StatusOr<const TaskInfo*> imdb = FindTask("imdb");
  std::string imdb_split = "train_10k";
  if (imdb.ok()) {
    absl::StatusOr<const SplitInfo*> train = (*imdb)->Split("train");
    if (train.ok() && LocateSplit(**imdb, **train, roots).ok()) imdb_split = "train";
  }
  static auto* datasets = new std::vector<std::unique_ptr<Dataset>>;
  for (auto [name, task, split, max_length] :
       {std::tuple<std::string, std::string, std::string, int64_t>{"imdb_" + imdb_split, "imdb", imdb_split, 512},
        {"sst2_train", "glue/sst2", "train", 64}}) {
    std::optional<Dataset> d = LoadDataset(name, task, split, max_length, roots);
    if (!d) return false;
    datasets->push_back(std::make_unique<Dataset>(std::move(*d)));
  }

  for (const auto& d : *datasets) {
    benchmark::AddCustomContext(d->name + "_path", d->path);
    benchmark::AddCustomContext(d->name + "_file_bytes", absl::StrCat(d->file_bytes));
    benchmark::AddCustomContext(d->name + "_text_bytes", absl::StrCat(d->text_bytes));
    benchmark::AddCustomContext(d->name + "_examples", absl::StrCat(d->examples.size()));
    benchmark::AddCustomContext(d->name + "_max_length", absl::StrCat(d->max_length));
    std::fprintf(stderr, "encode_benchmark: %s: %s, %lld bytes, %zu examples, max_length %lld\n", d->name.c_str(),
                 d->path.c_str(), static_cast<long long>(d->file_bytes), d->examples.size(),
                 static_cast<long long>(d->max_length));
  }

  for (const auto& d : *datasets) {
    benchmark::RegisterBenchmark(("read/" + d->name).c_str(), BM_Read, d.get(), roots)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    for (int threads : GetFlags().threads) {
      const std::string suffix = absl::StrFormat("%s/max_length:%d/threads:%d", d->name, d->max_length, threads);
      benchmark::RegisterBenchmark(("tokenize/" + suffix).c_str(), BM_Tokenize, d.get(), threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("read_tokenize/" + suffix).c_str(), BM_ReadTokenize, d.get(), roots, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}

// Takes this binary's own flags out of argv (Google Benchmark refuses flags it does not know).
bool ParseOwnFlags(int& argc, char** argv) {
  Flags& flags = GetFlags();
  const std::string vocab_rel = "third_party/embedded/vocab/bert-base-uncased/vocab.txt";
  flags.vocab = FindRunfile(vocab_rel);
  if (flags.vocab.empty()) {
    const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    flags.vocab = (workspace != nullptr ? std::string(workspace) + "/" : std::string()) + vocab_rel;
  }
  flags.threads = DefaultThreadCounts();
  int kept = 1;
  bool error = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--data_dir=", 0) == 0) {
      flags.data_dir = arg.substr(11);
      const absl::Status ok = CheckDataDir(*flags.data_dir);
      if (!ok.ok()) {
        std::fprintf(stderr, "encode_benchmark: %s\n", std::string(ok.message()).c_str());
        return false;
      }
    } else if (arg.rfind("--vocab=", 0) == 0) {
      flags.vocab = arg.substr(8);
    } else if (TakeThreadsFlag("encode_benchmark", arg, &flags.threads, &error)) {
      if (error) return false;
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
