#include "harness/run/runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/io/file.h"
#include "harness/io/sha256.h"
#include "harness/model/model.h"
#include "harness/model/row_pruning.h"
#include "harness/model/training.h"
#include "harness/run/family_names.h"
#include "harness/run/provenance.h"
#include "harness/run/task_model.h"
#include "methods/registry.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string Hash16(const std::string& text) { return Sha256Hex(text).substr(0, 16); }

FinetuneRecipe ToRecipe(const RecipeSpec& r) {
  FinetuneRecipe recipe;
  recipe.epochs = r.epochs;
  recipe.learning_rate = r.lr;
  recipe.batch_size = r.batch_size;
  recipe.weight_decay = r.weight_decay;
  recipe.warmup_ratio = r.warmup_ratio;
  recipe.max_grad_norm = r.max_grad_norm;
  recipe.seed = r.seed;
  recipe.log_every = 100;
  return recipe;
}

// The recipe that fixes the run's tokenization lengths: the base fine-tuning's, else the re-fine-tuning's.
const RecipeSpec* LengthRecipe(const RunSpec& run) {
  if (run.finetune_base) return &*run.finetune_base;
  if (run.refinetune) return &*run.refinetune;
  return nullptr;
}

// A model cache entry (OUT/cache/<kind>/<key>/): the saved model and a DONE file with the seconds it took.
// The seconds of a finished entry (0 when DONE is unreadable), or nullopt when there is none.
std::optional<double> CachedSeconds(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/DONE")) return std::nullopt;
  absl::StatusOr<std::string> done = ReadFile(dir + "/DONE");
  return done.ok() ? std::atof(done->c_str()) : 0.0;
}

// Saves `model` as the entry `dir`: written to a temporary directory and renamed, so a killed run never
// leaves a half-saved model; when another shard finished it first, its entry stays.
absl::Status SaveCached(const Model& model, const std::string& dir, double seconds) {
  const std::string tmp = absl::StrCat(dir, ".tmp-", getpid());
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp);
  if (absl::Status s = model.Save(tmp, false); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(tmp + "/DONE", absl::StrCat(seconds), false); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);
  if (ec) std::filesystem::remove_all(tmp);
  return absl::OkStatus();
}

// An exclusive flock(2) on OUT/runs/<table>/<id>.json.lock while a run executes, so that two reproduce
// processes on one output directory never run (or record) the same run at once. The kernel drops it when
// the process ends, killed or not, so no stale lock outlives a run. The (empty) lock files stay: removing
// one while another process has it open would let a third lock a new file of the same name.
class RunLock {
 public:
  enum class State { kHeld, kBusy, kUnavailable };
  // kBusy when another process holds the lock; kUnavailable (with `error`) when this file system or
  // directory cannot lock, and the run goes ahead unlocked.
  static RunLock TryAcquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return RunLock(-1, State::kUnavailable, std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return RunLock(-1, State::kBusy, "");
      return RunLock(-1, State::kUnavailable, std::strerror(err));
    }
    return RunLock(fd, State::kHeld, "");
  }
  RunLock(RunLock&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), state_(other.state_), error_(std::move(other.error_)) {}
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  State state() const { return state_; }
  const std::string& error() const { return error_; }

 private:
  RunLock(int fd, State state, std::string error) : fd_(fd), state_(state), error_(std::move(error)) {}
  int fd_;
  State state_;
  std::string error_;
};

}  // namespace

absl::StatusOr<LinearsCompression> CompressModelLinears(Model& model, const std::vector<Example>& train,
                                                        const LinearsCompressionSpec& spec, const ProgressSink& progress) {
  absl::StatusOr<const Method*> method = FindMethod(spec.method);
  if (!method.ok()) return method.status();
  LinearsCompression out;
  const std::vector<Statistic> needs = (*method)->Needs();
  auto needs_stat = [&](Statistic s) { return std::find(needs.begin(), needs.end(), s) != needs.end(); };
  std::map<std::string, LayerStatistics> stats;
  if (!needs.empty()) {
    const auto start = Clock::now();
    const size_t n = std::min<size_t>(train.size(), static_cast<size_t>(std::max<int64_t>(1, spec.statistics_examples)));
    if (n == 0) return absl::InvalidArgumentError("no train examples for the statistics the method needs");
    const std::vector<Example> sample(train.begin(), train.begin() + n);
    if (progress) progress(absl::StrFormat("collecting statistics over %d train examples (%s)", n, spec.method));
    for (const std::string& pattern : spec.linears) {
      StatisticsOptions so;
      so.pattern = pattern;
      so.fisher = needs_stat(Statistic::kFisher);
      so.input_second_moment = needs_stat(Statistic::kInputSecondMoment);
      absl::StatusOr<std::map<std::string, LayerStatistics>> s = CollectStatistics(model, sample, so);
      if (!s.ok()) return s.status();
      stats.insert(s->begin(), s->end());
    }
    out.statistics_seconds = Since(start);
  }
  const MethodOptions method_options(spec.options);
  const Budget& budget = spec.budget;
  // A layer's weight with the statistics the method needs.
  auto inputs_of = [&](const std::string& name, const Matrix& weight) {
    LayerInputs in{&weight};
    if (auto it = stats.find(name); it != stats.end()) {
      if (needs_stat(Statistic::kFisher)) in.fisher = &it->second.fisher;
      if (needs_stat(Statistic::kInputSecondMoment)) in.input_second_moment = &it->second.input_second_moment;
    }
    return in;
  };
  // ReplaceLinears names the layer in an error.
  const LinearCompressor compress = [&](const std::string& name, const Matrix& weight) -> absl::StatusOr<Factorization> {
    absl::StatusOr<Compressed> c = (*method)->Compress(inputs_of(name, weight), budget, method_options);
    if (!c.ok()) return c.status();
    return std::move(c->factorization);
  };
  const auto start = Clock::now();
  // Methods that compress the layers together (SCADA-Tucker's shared core) see every matching weight at once.
  const bool joint = (*method)->CompressesJointly(method_options);
  std::map<std::string, Compressed> jointly;
  std::vector<std::string> shared_core;  // layers whose Tucker cores become one parameter
  if (joint) {
    std::vector<std::pair<std::string, Matrix>> weights;
    for (const std::string& pattern : spec.linears) {
      absl::StatusOr<std::vector<std::pair<std::string, Matrix>>> w = model.LinearWeights(pattern);
      if (!w.ok()) return w.status();
      weights.insert(weights.end(), std::make_move_iterator(w->begin()), std::make_move_iterator(w->end()));
    }
    std::vector<LayerInputs> layers;
    for (const auto& [name, w] : weights) layers.push_back(inputs_of(name, w));
    if (progress) progress(absl::StrFormat("compressing %d linears together (%s)", layers.size(), spec.method));
    absl::StatusOr<std::vector<Compressed>> c = (*method)->CompressLayers(layers, budget, method_options);
    if (!c.ok()) return c.status();
    for (size_t i = 0; i < weights.size(); ++i) {
      if ((*c)[i].shares_tucker_core) shared_core.push_back(weights[i].first);
      jointly[weights[i].first] = std::move((*c)[i]);
    }
  }
  const LinearCompressor take_joint = [&](const std::string& name, const Matrix&) -> absl::StatusOr<Factorization> {
    auto it = jointly.find(name);
    if (it == jointly.end()) return absl::InternalError(name + ": not among the jointly compressed layers");
    return it->second.factorization;
  };
  for (const std::string& pattern : spec.linears) {
    absl::StatusOr<std::vector<LinearReplacement>> replaced =
        model.ReplaceLinears(pattern, joint ? take_joint : compress, spec.trainable);
    if (!replaced.ok()) return replaced.status();
    out.layers.insert(out.layers.end(), replaced->begin(), replaced->end());
  }
  if (shared_core.size() > 1) {
    absl::StatusOr<int64_t> freed = model.ShareTuckerCore(shared_core);
    if (!freed.ok()) return freed.status();
    out.shared_core_freed = *freed;
    out.shared_core_layers = shared_core.size();
  }
  double error_sum = 0;
  for (const LinearReplacement& r : out.layers) {
    out.params_before += r.params_before;
    out.params_after += r.params_after;
    out.bits_after += r.bits_after;
    error_sum += r.rel_error;
  }
  out.params_after -= out.shared_core_freed;  // the core is stored once
  out.bits_after -= 32 * out.shared_core_freed;
  if (!out.layers.empty()) out.mean_rel_error = error_sum / static_cast<double>(out.layers.size());
  out.compression_seconds = Since(start);
  return out;
}

namespace {

class Runner {
 public:
  explicit Runner(const RunnerOptions& options)
      : options_(options), provenance_(CollectProvenance(options.workspace, options.device)) {}

  void Progress(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }

  // The progress lines of a run's stages (training, evaluation), indented under the run's line.
  ProgressSink StageProgress() const {
    return [this](const std::string& line) { Progress("      " + line); };
  }

  std::string ModelDir(const RunSpec& run) const {
    if (run.model.empty() || run.model[0] == '/') return run.model;
    return options_.workspace + "/" + run.model;
  }

  // The task data of a run, read and tokenized once per distinct set of inputs.
  absl::StatusOr<TaskData*> Data(const RunSpec& run, const TaskInfo& task, ModelFamily family,
                                 const std::string& model_dir) {
    TaskDataOptions o;
    o.data_dir = options_.data_dir;
    o.train_split = run.train_split;
    o.eval_split = run.eval_split;
    o.max_train_examples = run.max_train_examples;
    o.max_eval_examples = run.max_eval_examples;
    const bool seq2seq = task.kind == TaskKind::kSequenceToSequence;
    const RecipeSpec* lengths = LengthRecipe(run);
    o.encode.max_length = lengths != nullptr ? lengths->max_length : (seq2seq ? 512 : 128);
    o.encode.max_target_length = lengths != nullptr ? lengths->max_target_length : 128;
    o.encode.source_prefix = seq2seq ? run.source_prefix : "";
    o.encode.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::string key = absl::StrCat(task.id, "|", model_dir, "|", o.train_split, "|", o.eval_split, "|",
                                         o.max_train_examples, "|", o.max_eval_examples, "|", o.encode.max_length,
                                         "|", o.encode.max_target_length, "|", o.encode.source_prefix);
    auto it = data_.find(key);
    if (it != data_.end()) return it->second.get();
    absl::StatusOr<TaskData> data = LoadTaskData(task, family, model_dir, o);
    if (!data.ok()) return data.status();
    data_.clear();  // keep one task's data in memory at a time
    auto owned = std::make_unique<TaskData>(std::move(*data));
    TaskData* raw = owned.get();
    data_[key] = std::move(owned);
    return raw;
  }

  // Fills record.provenance.files and returns (base key, run id).
  absl::StatusOr<std::pair<std::string, std::string>> Keys(const RunSpec& run, const std::string& model_dir,
                                                           const TaskData& data, RunRecord* record) {
    absl::StatusOr<FileHash> checkpoint = HashCheckpoint(model_dir);
    if (!checkpoint.ok()) return checkpoint.status();
    record->provenance.files["checkpoint"] = *checkpoint;
    for (auto [name, path] : {std::make_pair("train", data.train_path), std::make_pair("eval", data.eval_path),
                              std::make_pair("tokenizer", data.tokenizer_path)}) {
      if (path.empty()) continue;
      absl::StatusOr<FileHash> h = HashFile(path);
      if (!h.ok()) return h.status();
      record->provenance.files[name] = *h;
    }
    const auto& files = record->provenance.files;
    auto sha = [&](const char* name) { return files.count(name) ? files.at(name).sha256 : std::string(); };
    Json base = {{"version", kRunnerVersion},  {"checkpoint", checkpoint->sha256}, {"task", run.task},
                 {"train_split", data.train_split}, {"train", sha("train")}, {"tokenizer", sha("tokenizer")},
                 {"max_train_examples", run.max_train_examples}};
    base["recipe"] = run.finetune_base ? Json::parse(RecipeJson(*run.finetune_base)) : Json(nullptr);
    // Tokenizer settings beyond the file's bytes (tokenizer_config.json's do_lower_case = false, ...); absent
    // when none, so that the ids of runs on a default tokenizer stay as they were.
    if (!data.tokenizer_settings.empty()) base["tokenizer_settings"] = data.tokenizer_settings;
    // The tokenizer's other files (merges.txt beside a vocab.json), tokenizer_config.json aside (its effect
    // is in the settings).
    for (size_t i = 1; i < data.tokenizer_files.size(); ++i) {
      const std::string name = std::filesystem::path(data.tokenizer_files[i]).filename().string();
      if (name == "tokenizer_config.json") continue;
      absl::StatusOr<FileHash> h = HashFile(data.tokenizer_files[i]);
      if (!h.ok()) return h.status();
      base["tokenizer_" + name] = h->sha256;
    }
    Json id = {{"version", kRunnerVersion}, {"base", base}, {"eval", sha("eval")},
               {"spec", Json::parse(RunSpecJson(run))}, {"device", options_.device.ToString()}};
    return std::make_pair(Hash16(base.dump()), Hash16(id.dump()));
  }

  // The base model: the checkpoint fine-tuned on the task (cached under OUT/cache/base/KEY), or the
  // checkpoint itself when the spec fine-tunes nothing.
  absl::StatusOr<std::unique_ptr<Model>> BaseModel(const RunSpec& run, const TaskInfo& task,
                                                   const std::string& model_dir, const TaskData& data,
                                                   const std::string& base_key, RunRecord* record) {
    const uint64_t seed = run.finetune_base ? run.finetune_base->seed : 42;
    LoadOptions load = TaskLoadOptions(task, options_.device, seed);
    load.kernels = options_.kernels;
    if (!run.finetune_base) return Model::Load(model_dir, load);
    const std::string dir = options_.out_dir + "/cache/base/" + base_key;
    if (const std::optional<double> seconds = CachedSeconds(dir)) {
      record->base_cached = true;
      record->base_finetune_seconds = *seconds;
      return Model::Load(dir, load);
    }
    absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(model_dir, load);
    if (!model.ok()) return model.status();
    if (data.train.empty()) return absl::InvalidArgumentError("no train examples to fine-tune the base model on");
    Progress(absl::StrFormat("    fine-tuning the base model on %s (%d examples, cached as %s)", task.id,
                             data.train.size(), base_key));
    const auto start = Clock::now();
    absl::StatusOr<FinetuneReport> report = Finetune(**model, data.train, {}, ToRecipe(*run.finetune_base),
                                                     StageProgress());
    if (!report.ok()) return report.status();
    record->base_finetune_seconds = Since(start);
    if (absl::Status s = SaveCached(**model, dir, record->base_finetune_seconds); !s.ok()) return s;
    return model;
  }

  // Compresses the run's linears (statistics first when the method needs them), then re-fine-tunes
  // (pruning while it does when asked). Distillation rows re-fine-tune in DistilledStudent, parameter-
  // efficient ones in Adapt instead.
  absl::Status Compress(const RunSpec& run, const TaskData& data, Model& model, RunRecord* record) {
    if (absl::Status s = CompressLinears(run, data, model, record); !s.ok()) return s;
    if (!run.refinetune || run.distill || run.peft) return absl::OkStatus();
    return Refinetune(run, data, model, record);
  }

  absl::Status CompressLinears(const RunSpec& run, const TaskData& data, Model& model, RunRecord* record) {
    LinearsCompressionSpec spec;
    spec.method = run.method;
    spec.budget = *run.budget;
    spec.options = run.options;
    spec.linears = run.linears;
    spec.statistics_examples = run.statistics_examples;
    spec.trainable = run.refinetune.has_value();
    absl::StatusOr<LinearsCompression> c =
        CompressModelLinears(model, data.train, spec, [this](const std::string& line) { Progress("    " + line); });
    if (!c.ok()) return c.status();
    record->linear_params_before += c->params_before;
    record->linear_params_after += c->params_after;
    record->linear_bits_after += c->bits_after;
    record->compressed_linears += static_cast<int64_t>(c->layers.size());
    if (c->shared_core_layers > 1) {
      record->method_info["shared_core_params"] =
          static_cast<double>(c->shared_core_freed) / static_cast<double>(c->shared_core_layers - 1);
    }
    if (c->statistics_seconds > 0) record->statistics_seconds = c->statistics_seconds;
    record->compression_seconds = c->compression_seconds;
    record->mean_rel_error = c->mean_rel_error;
    if (run.embeddings) return CompressEmbeddings(run, model, record);
    return absl::OkStatus();
  }

  // The token-embedding tables by the row's embeddings method (no statistics), trainable when the run trains.
  absl::Status CompressEmbeddings(const RunSpec& run, Model& model, RunRecord* record) {
    absl::StatusOr<const Method*> method = FindMethod(run.embeddings->method);
    if (!method.ok()) return method.status();
    const MethodOptions method_options(run.embeddings->options);
    const LinearCompressor compress = [&](const std::string& name, const Matrix& table) -> absl::StatusOr<Factorization> {
      absl::StatusOr<Compressed> c = (*method)->Compress({&table}, run.embeddings->budget, method_options);
      if (!c.ok()) return absl::Status(c.status().code(), name + ": " + std::string(c.status().message()));
      return std::move(c->factorization);
    };
    const auto start = Clock::now();
    absl::StatusOr<std::vector<LinearReplacement>> replaced =
        model.ReplaceEmbeddings("**", compress, /*trainable=*/run.refinetune.has_value());
    if (!replaced.ok()) return replaced.status();
    double before = 0, after = 0;
    for (const LinearReplacement& r : *replaced) {
      before += static_cast<double>(r.params_before);
      after += static_cast<double>(r.params_after);
    }
    record->method_info["embedding_params_before"] = before;
    record->method_info["embedding_params_after"] = after;
    record->compression_seconds += Since(start);
    return absl::OkStatus();
  }

  absl::Status Refinetune(const RunSpec& run, const TaskData& data, Model& model, RunRecord* record) {
    const ProgressSink progress = StageProgress();
    const auto refine_start = Clock::now();
    if (run.pruning) {
      Progress(absl::StrFormat("    fine-tuning while pruning the sparse parts to %g of their entries", run.pruning->keep));
      RowPruningOptions o;
      o.keep = run.pruning->keep;
      o.beta = run.pruning->beta;
      o.delta_t = run.pruning->delta_t;
      o.initial_warmup = run.pruning->initial_warmup;
      o.final_warmup = run.pruning->final_warmup;
      absl::StatusOr<RowPruningReport> report = FinetuneWithRowPruning(model, data.train, {}, ToRecipe(*run.refinetune), o, progress);
      if (!report.ok()) return report.status();
      // What the layers store now: the kept rows only.
      record->linear_params_after = 0;
      record->linear_bits_after = 0;
      for (const PrunedLayer& l : report->layers) {
        record->linear_params_after += l.params_after;
        record->linear_bits_after += l.bits_after;
      }
      record->method_info["sparse_entries_kept_share"] =
          static_cast<double>(report->entries_kept) / std::max<int64_t>(1, report->entries_before);
      record->method_info["maskings"] = report->maskings;
    } else {
      Progress("    re-fine-tuning the compressed model");
      absl::StatusOr<FinetuneReport> report = Finetune(model, data.train, {}, ToRecipe(*run.refinetune), progress);
      if (!report.ok()) return report.status();
    }
    record->refinetune_seconds = Since(refine_start);
    return absl::OkStatus();
  }

  // Parameter-efficient fine-tuning: adapters on the run's peft linears, everything frozen but them and the
  // peft train patterns, then the row's recipe. Records the trainable count.
  absl::Status Adapt(const RunSpec& run, const TaskData& data, Model& model, RunRecord* record) {
    const PeftSpec& peft = *run.peft;
    if (peft.adapter) {
      AdapterOptions o = *peft.adapter;
      o.seed = run.refinetune->seed;
      for (const std::string& pattern : peft.linears) {
        if (absl::StatusOr<int> n = model.AddAdapters(pattern, o); !n.ok()) return n.status();
      }
    }
    absl::StatusOr<int64_t> trainable = model.SetTrainable(peft.train);
    if (!trainable.ok()) return trainable.status();
    record->trainable_params = *trainable;
    Progress(absl::StrFormat("    fine-tuning %d of the model's %d parameters", *trainable, model.ParameterCount()));
    const auto start = Clock::now();
    absl::StatusOr<FinetuneReport> report = Finetune(model, data.train, {}, ToRecipe(*run.refinetune), StageProgress());
    if (!report.ok()) return report.status();
    record->refinetune_seconds = Since(start);
    return absl::OkStatus();
  }

  // The text of the train splits of every encoder task that has one (GLUE's shipped ones; IMDB's full train
  // split only when --data_dir holds it), tokenized for the model at
  // `max_length`, labels dropped: KroneckerBERT's general-distillation corpus on the embedded default (the
  // paper's is 10 % of English Wikipedia). A seeded subset of `cap` examples when cap > 0. Read and
  // tokenized once per process for every run that asks for the same one.
  struct Corpus {
    std::vector<Example> examples;
    std::string sha256;  // of every example's token ids, in order: what a cached general stage depends on
  };
  absl::StatusOr<const Corpus*> GeneralCorpus(const std::string& model_dir, ModelFamily family, int64_t max_length,
                                              int64_t cap) {
    const std::string key = absl::StrCat(model_dir, "|", max_length, "|", cap);
    if (auto it = corpora_.find(key); it != corpora_.end()) return &it->second;
    std::vector<Example> corpus;
    for (const TaskInfo& task : AllTasks()) {
      if (task.kind == TaskKind::kSequenceToSequence) continue;
      TaskDataOptions o;
      o.data_dir = options_.data_dir;
      o.train_split = task.train_split;
      o.eval_split = task.train_split;  // only the train file is needed
      o.encode.max_length = max_length;
      o.encode.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      absl::StatusOr<TaskData> data = LoadTaskData(task, family, model_dir, o);
      if (!data.ok()) {
        if (data.status().code() == absl::StatusCode::kNotFound) continue;  // no train split shipped
        return data.status();
      }
      for (Example& e : data->train) {
        e.label = 0;
        corpus.push_back(std::move(e));
      }
    }
    if (corpus.empty()) return absl::NotFoundError("no train split to build the general-distillation corpus from");
    if (cap > 0 && static_cast<int64_t>(corpus.size()) > cap) {
      std::mt19937_64 rng(kSubsetSeed);
      std::shuffle(corpus.begin(), corpus.end(), rng);
      corpus.resize(cap);
    }
    std::string ids;
    for (const Example& e : corpus) {
      for (int64_t id : e.input_ids) absl::StrAppend(&ids, id, " ");
      ids += "\n";
    }
    return &(corpora_[key] = Corpus{std::move(corpus), Sha256Hex(ids)});
  }

  // KroneckerBERT's stage 1: the compressed `student` distilled from the pretrained checkpoint on the general
  // corpus, layers only. The result does not depend on the task (the head is not trained; the task's
  // teacher replaces it), so the backbone is cached under OUT/cache/general/KEY, KEY hashing the checkpoint,
  // the compression, the recipe and the corpus's token ids: runs of other tasks copy it instead.
  absl::Status GeneralStage(const RunSpec& run, const std::string& model_dir, const LoadOptions& load, Model& student,
                            RunRecord* record) {
    const RecipeSpec& general = *run.distill->general;
    int64_t cap = run.distill->general_examples;
    if (run.max_train_examples > 0 && (cap == 0 || run.max_train_examples < cap)) cap = run.max_train_examples;
    absl::StatusOr<ModelFamily> family = CheckpointFamily(model_dir);
    if (!family.ok()) return family.status();
    absl::StatusOr<const Corpus*> corpus = GeneralCorpus(model_dir, *family, general.max_length, cap);
    if (!corpus.ok()) return corpus.status();
    const std::string backbone = std::string(BaseModelPrefix(*family)) + ".**";
    Json key = {{"version", kRunnerVersion},
                {"checkpoint", record->provenance.files.count("checkpoint") ? record->provenance.files.at("checkpoint").sha256 : ""},
                {"method", run.method}, {"budget", run.budget ? BudgetToString(*run.budget) : ""},
                {"options", run.options}, {"linears", run.linears}, {"recipe", Json::parse(RecipeJson(general))},
                {"embeddings", Json::parse(RunSpecJson(run)).value("embeddings", Json(nullptr))},
                {"corpus", (*corpus)->sha256}, {"device", options_.device.ToString()}, {"kernels", options_.kernels}};
    const std::string dir = options_.out_dir + "/cache/general/" + Hash16(key.dump());
    record->method_info["general_examples"] = static_cast<double>((*corpus)->examples.size());
    if (const std::optional<double> seconds = CachedSeconds(dir)) {
      LoadOptions plain;  // as saved, whatever head the first run had
      plain.device = load.device;
      plain.kernels = load.kernels;
      absl::StatusOr<std::unique_ptr<Model>> cached = Model::Load(dir, plain);
      if (!cached.ok()) return cached.status();
      if (absl::StatusOr<int> n = student.CopyParametersFrom(**cached, backbone); !n.ok()) return n.status();
      record->method_info["general_distillation_seconds"] = *seconds;
      record->method_info["general_cached"] = 1;
      Progress("    general distillation: cached (" + dir + ")");
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<Model>> pretrained = Model::Load(model_dir, load);
    if (!pretrained.ok()) return pretrained.status();
    Progress(absl::StrFormat("    general distillation from the checkpoint (%d examples of the train splits)",
                             (*corpus)->examples.size()));
    DistillationWeights intermediate;
    intermediate.logits = 0;  // the checkpoint's head is untrained: layers only
    const auto start = Clock::now();
    absl::StatusOr<FinetuneReport> r =
        Distill(student, **pretrained, (*corpus)->examples, ToRecipe(general), intermediate, StageProgress());
    if (!r.ok()) return r.status();
    const double seconds = Since(start);
    record->method_info["general_distillation_seconds"] = seconds;
    record->method_info["general_cached"] = 0;
    return SaveCached(student, dir, seconds);
  }

  // KroneckerBERT's training: the checkpoint compressed (trainable), distilled from the pretrained
  // checkpoint on the general corpus (stage 1, when asked), its head copied from the fine-tuned `teacher`,
  // then distilled from `teacher` on the task (stage 2) or fine-tuned on it (the ablation without task KD).
  absl::StatusOr<std::unique_ptr<Model>> DistilledStudent(const RunSpec& run, const TaskInfo& task,
                                                          const std::string& model_dir, const TaskData& data,
                                                          Model& teacher, RunRecord* record) {
    const uint64_t seed = run.refinetune->seed;
    LoadOptions load = TaskLoadOptions(task, options_.device, seed);
    load.kernels = options_.kernels;
    absl::StatusOr<std::unique_ptr<Model>> student = Model::Load(model_dir, load);
    if (!student.ok()) return student.status();
    if (absl::Status s = CompressLinears(run, data, **student, record); !s.ok()) return s;
    const ProgressSink progress = StageProgress();
    if (run.distill->general) {
      if (absl::Status s = GeneralStage(run, model_dir, load, **student, record); !s.ok()) return s;
    }
    for (const char* head : {"classifier.**", "bert.pooler.**", "pre_classifier.**"}) {
      if (absl::StatusOr<int> n = (*student)->CopyParametersFrom(teacher, head); !n.ok()) return n.status();
    }
    const auto task_start = Clock::now();
    if (run.distill->task) {
      Progress("    task distillation from the fine-tuned base");
      DistillationWeights weights;
      weights.labels = run.distill->labels;
      absl::StatusOr<FinetuneReport> r = Distill(**student, teacher, data.train, ToRecipe(*run.refinetune), weights, progress);
      if (!r.ok()) return r.status();
    } else {
      Progress("    fine-tuning the student on the task (no task distillation)");
      absl::StatusOr<FinetuneReport> r = Finetune(**student, data.train, {}, ToRecipe(*run.refinetune), progress);
      if (!r.ok()) return r.status();
    }
    record->refinetune_seconds = Since(task_start);
    return student;
  }

  // Median latency of Forward on a batch of 8 evaluation examples padded to 128 tokens.
  absl::StatusOr<double> Latency(Model& model, const TaskData& data, RunRecord* record) {
    const int64_t batch = 8, seq = 128;
    if (data.eval.empty()) return absl::InvalidArgumentError("no evaluation examples to time");
    std::vector<int64_t> ids(batch * seq, 0), mask(batch * seq, 0), types(batch * seq, 0);
    for (int64_t b = 0; b < batch; ++b) {
      const Example& e = data.eval[b % data.eval.size()];
      for (int64_t t = 0; t < seq && t < static_cast<int64_t>(e.input_ids.size()); ++t) {
        ids[b * seq + t] = e.input_ids[t];
        mask[b * seq + t] = 1;
        types[b * seq + t] = t < static_cast<int64_t>(e.token_type_ids.size()) ? e.token_type_ids[t] : 0;
      }
    }
    SafetensorsFile inputs;
    (void)inputs.Add("input_ids", *HostTensorFromInt64({batch, seq}, ids));
    (void)inputs.Add("attention_mask", *HostTensorFromInt64({batch, seq}, mask));
    (void)inputs.Add("token_type_ids", *HostTensorFromInt64({batch, seq}, types));
    std::vector<double> ms;
    for (int rep = 0; rep < 6; ++rep) {
      const auto start = Clock::now();
      absl::StatusOr<SafetensorsFile> out = model.Forward(inputs);
      if (!out.ok()) return out.status();
      if (rep > 0) ms.push_back(Since(start) * 1e3);  // the first call warms up
    }
    std::sort(ms.begin(), ms.end());
    record->forward_batch = batch;
    record->forward_seq = seq;
    return ms[ms.size() / 2];
  }

  absl::Status Execute(const RunSpec& run, const TaskInfo& task, const std::string& model_dir, TaskData& data,
                       const std::string& base_key, RunRecord* record) {
    absl::StatusOr<std::unique_ptr<Model>> model = BaseModel(run, task, model_dir, data, base_key, record);
    if (!model.ok()) return model.status();
    record->params_before = (*model)->ParameterCount();
    if (run.speed) {  // the uncompressed latency, on this machine in this run: the speedup's denominator
      absl::StatusOr<double> ms = Latency(**model, data, record);
      if (!ms.ok()) return ms.status();
      record->base_forward_ms = *ms;
    }
    if (run.distill) {  // the fine-tuned base teaches a compressed student of the checkpoint
      absl::StatusOr<std::unique_ptr<Model>> student = DistilledStudent(run, task, model_dir, data, **model, record);
      if (!student.ok()) return student.status();
      model = std::move(student);
    } else if (!run.method.empty()) {
      if (absl::Status s = Compress(run, data, **model, record); !s.ok()) return s;
    }
    if (run.peft) {
      if (absl::Status s = Adapt(run, data, **model, record); !s.ok()) return s;
    }
    record->params_after = (*model)->ParameterCount();
    TaskEvalOptions eval;
    eval.batch_size = 64;
    eval.progress = StageProgress();
    eval.generation.generate = task.kind == TaskKind::kSequenceToSequence ? run.max_new_tokens : 0;
    eval.generation.num_beams = run.num_beams;
    absl::StatusOr<TaskEvaluation> result = EvaluateOnTask(**model, data, eval);
    if (!result.ok()) return result.status();
    record->metrics = result->scores.metrics;
    record->eval_count = result->scores.count;
    record->evaluation_seconds = result->seconds;
    if (run.speed) {
      if (run.method.empty() && !run.peft) {  // nothing changed: one measurement serves both
        record->forward_ms = record->base_forward_ms;
        return absl::OkStatus();
      }
      absl::StatusOr<double> ms = Latency(**model, data, record);
      if (!ms.ok()) return ms.status();
      record->forward_ms = *ms;
    }
    return absl::OkStatus();
  }

  // Runs (or skips) one run; returns the record written.
  RunRecord RunOne(const RunSpec& run) {
    RunRecord record;
    record.table = run.table;
    record.row = run.row;
    record.task = run.task;
    record.profile = options_.profile;
    record.spec_json = RunSpecJson(run);
    record.provenance = provenance_;
    record.backend = options_.device.is_cuda() ? "libtorch-cuda"
                     : options_.kernels == "onednn"         ? "onednn-cpu"
                                                            : "libtorch-cpu";
    record.status = RunStatus::kOk;
    auto fail = [&](const absl::Status& s) {
      const bool missing = s.code() == absl::StatusCode::kNotFound && absl::StrContains(s.message(), "no data for");
      record.status = missing ? RunStatus::kNoData : RunStatus::kFailed;
      record.error = std::string(s.message());
    };
    const std::string model_dir = ModelDir(run);
    absl::StatusOr<const TaskInfo*> task = FindTask(run.task);
    record.eval_split = run.eval_split.empty() && task.ok() ? (*task)->eval_split : run.eval_split;
    absl::StatusOr<ModelFamily> family = task.ok() ? CheckpointFamily(model_dir) : absl::StatusOr<ModelFamily>(task.status());
    absl::StatusOr<TaskData*> data = family.ok() ? Data(run, **task, *family, model_dir) : family.status();
    if (!data.ok()) {
      fail(data.status());
      record.run_id = Hash16(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.eval_split = (*data)->eval_split;
    record.train_count = static_cast<int64_t>((*data)->train.size());
    absl::StatusOr<std::pair<std::string, std::string>> keys = Keys(run, model_dir, **data, &record);
    if (!keys.ok()) {
      fail(keys.status());
      record.run_id = Hash16(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.run_id = keys->second;
    // The spec names BERT's modules; the checkpoint's family may name them otherwise (the id keeps the spec's).
    absl::StatusOr<RunSpec> renamed = RunForFamily(run, *family);
    if (!renamed.ok()) {
      fail(renamed.status());
      return record;
    }
    if (absl::Status s = Execute(*renamed, **task, model_dir, **data, keys->first, &record); !s.ok()) fail(s);
    return record;
  }

  std::string RecordPath(const std::string& table, const std::string& run_id) const {
    return absl::StrCat(options_.out_dir, "/runs/", table, "/", run_id, ".json");
  }

  // A finished record of this run exists (same content hash): nothing to do.
  bool Done(const RunSpec& run, std::string* run_id) {
    const std::string model_dir = ModelDir(run);
    absl::StatusOr<const TaskInfo*> task = FindTask(run.task);
    if (!task.ok()) return false;
    absl::StatusOr<ModelFamily> family = CheckpointFamily(model_dir);
    if (!family.ok()) return false;
    absl::StatusOr<TaskData*> data = Data(run, **task, *family, model_dir);
    if (!data.ok()) return false;
    RunRecord scratch;
    absl::StatusOr<std::pair<std::string, std::string>> keys = Keys(run, model_dir, **data, &scratch);
    if (!keys.ok()) return false;
    *run_id = keys->second;
    absl::StatusOr<std::string> text = ReadFile(RecordPath(run.table, *run_id));
    if (!text.ok()) return false;
    absl::StatusOr<RunRecord> existing = RecordFromJson(*text, RecordPath(run.table, *run_id));
    return existing.ok() && existing->status == RunStatus::kOk;
  }

  absl::StatusOr<RunnerSummary> Run(const std::vector<TableSpec>& tables) {
    std::vector<RunSpec> runs;
    for (const TableSpec& table : tables) {
      if (table.status != "measured") continue;
      absl::StatusOr<std::vector<RunSpec>> expanded = ExpandRuns(table, options_.profile, options_.model_override);
      if (!expanded.ok()) return expanded.status();
      for (size_t i = 0; i < expanded->size(); ++i) {
        if (!options_.tasks.empty() &&
            std::find(options_.tasks.begin(), options_.tasks.end(), (*expanded)[i].task) == options_.tasks.end()) {
          continue;
        }
        const size_t global = runs.size();
        if (static_cast<int>(global % options_.shard_count) == options_.shard_index) runs.push_back((*expanded)[i]);
        else runs.emplace_back();  // placeholder keeps the global numbering; skipped below
      }
    }
    RunnerSummary summary;
    std::vector<const RunSpec*> mine;
    for (const RunSpec& r : runs) {
      if (!r.table.empty()) mine.push_back(&r);
    }
    summary.total = static_cast<int>(mine.size());
    const auto start = Clock::now();
    const auto process_start = std::filesystem::file_time_type::clock::now();
    bool warned_unlocked = false;
    double executed_seconds = 0;
    int executed = 0;
    for (size_t i = 0; i < mine.size(); ++i) {
      const RunSpec& run = *mine[i];
      const std::string head = absl::StrFormat("[%d/%d] %s · %s · %s", i + 1, mine.size(), run.table, run.row, run.task);
      std::string run_id;
      if (Done(run, &run_id)) {
        ++summary.done;
        Progress(head + " · done earlier (" + run_id + ")");
        continue;
      }
      std::optional<RunLock> lock;
      if (!run_id.empty()) {
        const std::string path = RecordPath(run.table, run_id);
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
        lock.emplace(RunLock::TryAcquire(path + ".lock"));
        if (lock->state() == RunLock::State::kUnavailable && !warned_unlocked) {
          warned_unlocked = true;
          Progress("warning: runs go ahead unlocked (" + path + ".lock: " + lock->error() +
                   "); do not start two reproduce processes on " + options_.out_dir);
        }
        // Run elsewhere: running now, or recorded (ok or failed) since this process started.
        std::error_code mtime_ec;
        const bool recorded_since = std::filesystem::exists(path, mtime_ec) &&
                                    std::filesystem::last_write_time(path, mtime_ec) >= process_start;
        if (lock->state() == RunLock::State::kBusy || (!mtime_ec && recorded_since)) {
          ++summary.busy;
          Progress(head + (lock->state() == RunLock::State::kBusy ? " · running in another process ("
                                                                   : " · ran in another process (") +
                   run_id + "), skipped");
          continue;
        }
      }
      Progress(head + " ...");
      const auto run_start = Clock::now();
      RunRecord record = RunOne(run);
      const double seconds = Since(run_start);
      ++executed;
      executed_seconds += seconds;
      ++summary.ran;
      if (record.status == RunStatus::kFailed) ++summary.failed;
      if (record.status == RunStatus::kNoData) ++summary.no_data;
      const std::string path = RecordPath(run.table, record.run_id);
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      if (absl::Status s = WriteFileAtomically(path, RecordToJson(record), /*overwrite=*/true); !s.ok()) return s;
      std::string what = RunStatusName(record.status);
      if (record.status == RunStatus::kOk) {
        for (const auto& [name, value] : record.metrics) absl::StrAppend(&what, " ", name, "=", absl::StrFormat("%.4f", value));
      } else {
        absl::StrAppend(&what, ": ", record.error);
      }
      const int remaining = static_cast<int>(mine.size() - i - 1);
      Progress(absl::StrFormat("%s · %s · %.1fs · elapsed %s · eta %s", head, what, seconds, FormatDuration(Since(start)),
                               FormatDuration(executed_seconds / executed * remaining)));
    }
    summary.seconds = Since(start);
    return summary;
  }

 private:
  RunnerOptions options_;
  Provenance provenance_;
  std::map<std::string, std::unique_ptr<TaskData>> data_;
  std::map<std::string, Corpus> corpora_;  // GeneralCorpus, by checkpoint, length and cap
};

}  // namespace

absl::Status ValidateTable(const TableSpec& table) {
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError(table.path + ": " + what); };
  for (const ColumnSpec& c : table.columns) {
    if (c.task.empty()) continue;
    absl::StatusOr<const TaskInfo*> task = FindTask(c.task);
    if (!task.ok()) return bad(absl::StrCat("column ", c.name, ": ", task.status().message()));
    const auto& metrics = (*task)->metrics;
    const absl::StatusOr<Metric> metric = ParseMetric(c.metric);
    if (!metric.ok() ||
        (std::find(metrics.begin(), metrics.end(), *metric) == metrics.end() && !IsLatencyMetric(*metric))) {
      return bad(absl::StrFormat("column %s: %s has no metric '%s'", c.name, c.task, c.metric));
    }
    if (!c.split.empty()) {
      if (absl::StatusOr<const SplitInfo*> s = (*task)->Split(c.split); !s.ok()) {
        return bad(absl::StrCat("column ", c.name, ": ", s.status().message()));
      }
    }
  }
  if (!table.grid) return absl::OkStatus();
  for (const RowSpec& row : table.grid->rows) {
    if (row.method.empty()) continue;
    const absl::StatusOr<const Method*> method = FindMethod(row.method);
    if (!method.ok()) return bad(absl::StrCat("row ", row.label, ": ", method.status().message()));
    if (absl::Status s = (*method)->CheckSettings(*row.budget, MethodOptions(row.options)); !s.ok()) {
      return bad(absl::StrCat("row ", row.label, ": ", s.message()));
    }
    if (row.embeddings) {
      absl::StatusOr<const Method*> m = FindMethod(row.embeddings->method);
      if (!m.ok()) return bad(absl::StrCat("row ", row.label, ": embeddings: ", m.status().message()));
      if (absl::Status s = (*m)->CheckSettings(row.embeddings->budget, MethodOptions(row.embeddings->options));
          !s.ok()) {
        return bad(absl::StrCat("row ", row.label, ": embeddings: ", s.message()));
      }
      if (!(*m)->Needs().empty()) {
        return bad(absl::StrFormat("row %s: embeddings: %s needs statistics, which embedding tables do not collect",
                                   row.label, row.embeddings->method));
      }
    }
    if (row.distill && !(*method)->Needs().empty()) {  // the general stage's cache holds task-independent students only
      return bad(absl::StrFormat("row %s: distill needs a method without statistics (%s collects them per task)",
                                 row.label, row.method));
    }
    if (row.pruning && row.method != "losparse") {
      return bad(absl::StrFormat("row %s: pruning needs layers stored as low rank + sparse (method losparse), not %s",
                                 row.label, row.method));
    }
    if (row.linears.empty() && table.grid->linears.empty()) {
      return bad(absl::StrCat("row ", row.label, ": no linears to compress (give grid.linears or the row's)"));
    }
  }
  for (const auto& [name, profile] : table.profiles) {
    for (const std::string& task : profile.tasks) {
      if (std::none_of(table.columns.begin(), table.columns.end(), [&](const ColumnSpec& c) { return c.task == task; })) {
        return bad(absl::StrFormat("profile %s names task %s, which no column has", name, task));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTasks(const std::vector<TableSpec>& tables, const std::vector<std::string>& tasks) {
  for (const std::string& task : tasks) {
    const bool in_a_column = std::any_of(tables.begin(), tables.end(), [&](const TableSpec& t) {
      return t.status == "measured" &&
             std::any_of(t.columns.begin(), t.columns.end(), [&](const ColumnSpec& c) { return c.task == task; });
    });
    if (!in_a_column) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--tasks: %s is the task of no column of the measured tables run", task));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RunnerSummary> RunTables(const std::vector<TableSpec>& tables, const RunnerOptions& options) {
  for (const TableSpec& t : tables) {
    if (absl::Status s = ValidateTable(t); !s.ok()) return s;
  }
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count) {
    return absl::InvalidArgumentError(
        absl::StrFormat("shard %d of %d: need 0 <= index < count", options.shard_index, options.shard_count));
  }
  if (absl::Status s = CheckTasks(tables, options.tasks); !s.ok()) return s;
  Runner runner(options);
  return runner.Run(tables);
}

}  // namespace lrb
