#include "harness/run/runner.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/io/file.h"
#include "harness/io/stopwatch.h"
#include "harness/model/model.h"
#include "harness/model/training.h"
#include "harness/run/family_names.h"
#include "harness/run/model_cache.h"
#include "harness/run/provenance.h"
#include "harness/run/run_lock.h"
#include "harness/run/task_model.h"
#include "harness/stages/registry.h"
#include "methods/registry.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// The recipe that fixes the run's tokenization lengths: the base fine-tuning's, else the re-fine-tuning's.
const RecipeSpec* LengthRecipe(const RunSpec& run) {
  if (run.finetune_base) return &*run.finetune_base;
  if (run.refinetune) return &*run.refinetune;
  return nullptr;
}

class Runner {
 public:
  explicit Runner(const RunnerOptions& options)
      : options_(options),
        provenance_(CollectProvenance(options.workspace, options.device)),
        env_{options.out_dir, options.data_dir, options.device, options.kernels} {}

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
               {"spec", Json::parse(RunSpecJson(run))}, {"device", options_.device}};
    return std::make_pair(ContentKey(base.dump()), ContentKey(id.dump()));
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
    const Stopwatch clock;
    absl::StatusOr<FinetuneReport> report = Finetune(**model, data.train, {}, TrainingRecipe(*run.finetune_base),
                                                     StageProgress());
    if (!report.ok()) return report.status();
    record->base_finetune_seconds = clock.Seconds();
    if (absl::Status s = SaveCached(**model, dir, record->base_finetune_seconds); !s.ok()) return s;
    return model;
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
      const Stopwatch clock;
      absl::StatusOr<SafetensorsFile> out = model.Forward(inputs);
      if (!out.ok()) return out.status();
      if (rep > 0) ms.push_back(clock.Seconds() * 1e3);  // the first call warms up
    }
    std::sort(ms.begin(), ms.end());
    record->forward_batch = batch;
    record->forward_seq = seq;
    return ms[ms.size() / 2];
  }

  // The base model, then the row's stages on it (or on a student of the checkpoint it teaches), then the
  // evaluation and, for speed rows, the latency before and after.
  absl::Status Execute(const RunSpec& run, const RunSpec& spec_run, const TaskInfo& task, ModelFamily family,
                       const std::string& model_dir, TaskData& data, const std::string& base_key, RunRecord* record) {
    absl::StatusOr<std::unique_ptr<Model>> base = BaseModel(run, task, model_dir, data, base_key, record);
    if (!base.ok()) return base.status();
    record->params_before = (*base)->ParameterCount();
    if (run.speed) {  // the uncompressed latency, on this machine in this run: the speedup's denominator
      absl::StatusOr<double> ms = Latency(**base, data, record);
      if (!ms.ok()) return ms.status();
      record->base_forward_ms = *ms;
    }
    LoadOptions load = TaskLoadOptions(task, options_.device, run.refinetune ? run.refinetune->seed : 42);
    load.kernels = options_.kernels;
    std::unique_ptr<Model> model, teacher;
    if (std::any_of(run.stages.begin(), run.stages.end(), [](const StageUse& u) { return u.stage->TrainsAStudent(); })) {
      absl::StatusOr<std::unique_ptr<Model>> student = Model::Load(model_dir, load);
      if (!student.ok()) return student.status();
      model = std::move(*student);
      teacher = std::move(*base);
    } else {
      model = std::move(*base);
    }
    StageContext context{run, run.statistics_examples, run.max_train_examples, RunSpecJson(spec_run), task, data,
                         model_dir, family, load, model, teacher.get(), *record, env_,
                         [this](const std::string& line) { Progress("    " + line); }, StageProgress()};
    for (const StageUse& use : run.stages) {
      if (absl::Status s = use.stage->Run(use.settings.get(), context); !s.ok()) return s;
    }
    record->params_after = model->ParameterCount();
    TaskEvalOptions eval;
    eval.batch_size = 64;
    eval.progress = StageProgress();
    eval.generation.generate = task.kind == TaskKind::kSequenceToSequence ? run.max_new_tokens : 0;
    eval.generation.num_beams = run.num_beams;
    absl::StatusOr<TaskEvaluation> result = EvaluateOnTask(*model, data, eval);
    if (!result.ok()) return result.status();
    record->metrics = result->scores.metrics;
    record->eval_count = result->scores.count;
    record->evaluation_seconds = result->seconds;
    if (run.speed) {
      if (run.stages.empty()) {  // nothing changed: one measurement serves both
        record->forward_ms = record->base_forward_ms;
        return absl::OkStatus();
      }
      absl::StatusOr<double> ms = Latency(*model, data, record);
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
    record.backend = options_.device.rfind("cuda", 0) == 0 ? "libtorch-cuda"
                     : options_.kernels == "onednn"         ? "onednn-cpu"
                                                            : "libtorch-cpu";
    record.status = "ok";
    auto fail = [&](const absl::Status& s) {
      const bool missing = s.code() == absl::StatusCode::kNotFound && absl::StrContains(s.message(), "no data for");
      record.status = missing ? "no_data" : "failed";
      record.error = std::string(s.message());
    };
    const std::string model_dir = ModelDir(run);
    absl::StatusOr<const TaskInfo*> task = FindTask(run.task);
    record.eval_split = run.eval_split.empty() && task.ok() ? (*task)->eval_split : run.eval_split;
    absl::StatusOr<ModelFamily> family = task.ok() ? CheckpointFamily(model_dir) : absl::StatusOr<ModelFamily>(task.status());
    absl::StatusOr<TaskData*> data = family.ok() ? Data(run, **task, *family, model_dir) : family.status();
    if (!data.ok()) {
      fail(data.status());
      record.run_id = ContentKey(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.eval_split = (*data)->eval_split;
    record.train_count = static_cast<int64_t>((*data)->train.size());
    absl::StatusOr<std::pair<std::string, std::string>> keys = Keys(run, model_dir, **data, &record);
    if (!keys.ok()) {
      fail(keys.status());
      record.run_id = ContentKey(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.run_id = keys->second;
    // The spec names BERT's modules; the checkpoint's family may name them otherwise (the id keeps the spec's).
    absl::StatusOr<RunSpec> renamed = RunForFamily(run, *family);
    if (!renamed.ok()) {
      fail(renamed.status());
      return record;
    }
    if (absl::Status s = Execute(*renamed, run, **task, *family, model_dir, **data, keys->first, &record); !s.ok()) {
      fail(s);
    }
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
    return existing.ok() && existing->status == "ok";
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
    const Stopwatch clock;
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
      const Stopwatch run_clock;
      RunRecord record = RunOne(run);
      const double seconds = run_clock.Seconds();
      ++executed;
      executed_seconds += seconds;
      ++summary.ran;
      if (record.status == "failed") ++summary.failed;
      if (record.status == "no_data") ++summary.no_data;
      const std::string path = RecordPath(run.table, record.run_id);
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      if (absl::Status s = WriteFileAtomically(path, RecordToJson(record), /*overwrite=*/true); !s.ok()) return s;
      std::string what = record.status;
      if (record.status == "ok") {
        for (const auto& [name, value] : record.metrics) absl::StrAppend(&what, " ", name, "=", absl::StrFormat("%.4f", value));
      } else {
        absl::StrAppend(&what, ": ", record.error);
      }
      const int remaining = static_cast<int>(mine.size() - i - 1);
      Progress(absl::StrFormat("%s · %s · %.1fs · elapsed %s · eta %s", head, what, seconds, FormatDuration(clock.Seconds()),
                               FormatDuration(executed_seconds / executed * remaining)));
    }
    summary.seconds = clock.Seconds();
    return summary;
  }

 private:
  RunnerOptions options_;
  Provenance provenance_;
  StageEnv env_;
  std::map<std::string, std::unique_ptr<TaskData>> data_;
};

}  // namespace

absl::Status ValidateTable(const TableSpec& table) {
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError(table.path + ": " + what); };
  for (const ColumnSpec& c : table.columns) {
    if (c.task.empty()) continue;
    absl::StatusOr<const TaskInfo*> task = FindTask(c.task);
    if (!task.ok()) return bad(absl::StrCat("column ", c.name, ": ", task.status().message()));
    const auto& metrics = (*task)->metrics;
    if (std::find(metrics.begin(), metrics.end(), c.metric) == metrics.end() && c.metric != "forward_ms" &&
        c.metric != "speedup") {
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
    if (!row.method.empty()) {
      const absl::StatusOr<const Method*> method = FindMethod(row.method);
      if (!method.ok()) return bad(absl::StrCat("row ", row.label, ": ", method.status().message()));
      if (absl::Status s = (*method)->CheckSettings(*row.budget, MethodOptions(row.options)); !s.ok()) {
        return bad(absl::StrCat("row ", row.label, ": ", s.message()));
      }
    }
    for (const StageUse& use : row.stages) {
      if (absl::Status s = use.stage->Validate(use.settings.get(), row); !s.ok()) {
        return bad(absl::StrCat("row ", row.label, ": ", s.message()));
      }
    }
    if (row.method.empty()) continue;
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
