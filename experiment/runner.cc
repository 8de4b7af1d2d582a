#include "experiment/runner.h"

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
#include "base/file.h"
#include "base/stopwatch.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "experiment/executor.h"
#include "experiment/family_names.h"
#include "experiment/model_cache.h"
#include "experiment/provenance.h"
#include "experiment/run_data.h"
#include "experiment/run_keys.h"
#include "experiment/run_lock.h"
#include "experiment/task_model.h"
#include "experiment/stages/registry.h"
#include "methods/registry.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// The scheduler: expands the tables into runs, keeps this shard's, skips those recorded (or running
// elsewhere), executes the rest (RunExecutor) under the run's lock and writes their records, with progress
// and an ETA.
class Runner {
 public:
  explicit Runner(const RunnerOptions& options)
      : options_(options),
        provenance_(CollectProvenance(options.workspace, options.device)),
        data_(options.data_dir),
        executor_(StageEnv{options.out_dir, options.data_dir, options.device, options.kernels}, options.progress) {}

  void Progress(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }

  std::string ModelDir(const RunSpec& run) const {
    if (run.model.empty() || run.model[0] == '/') return run.model;
    return options_.workspace + "/" + run.model;
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
    absl::StatusOr<TaskData*> data =
        family.ok() ? data_.Get(run, **task, *family, model_dir, /*encoded=*/true) : family.status();
    if (!data.ok()) {
      fail(data.status());
      record.run_id = ContentKey(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.eval_split = (*data)->eval_split;
    record.train_count = static_cast<int64_t>((*data)->train.size());
    absl::StatusOr<RunKeys> keys =
        ComputeRunKeys(run, model_dir, **data, options_.device.ToString(), &record.provenance.files);
    if (!keys.ok()) {
      fail(keys.status());
      record.run_id = ContentKey(absl::StrCat(kRunnerVersion, record.spec_json, model_dir));
      return record;
    }
    record.run_id = keys->id;
    // The spec names BERT's modules; the checkpoint's family may name them otherwise (the id keeps the spec's).
    absl::StatusOr<RunSpec> renamed = RunForFamily(run, *family);
    if (!renamed.ok()) {
      fail(renamed.status());
      return record;
    }
    if (absl::Status s = executor_.Execute(*renamed, run, **task, *family, model_dir, **data, keys->base, &record);
        !s.ok()) {
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
    // The id needs the files' identities only: the splits and the tokenizer, not their encodings.
    absl::StatusOr<TaskData*> data = data_.Get(run, **task, *family, model_dir, /*encoded=*/false);
    if (!data.ok()) return false;
    std::map<std::string, FileHash> files;
    absl::StatusOr<RunKeys> keys = ComputeRunKeys(run, model_dir, **data, options_.device.ToString(), &files);
    if (!keys.ok()) return false;
    *run_id = keys->id;
    absl::StatusOr<std::string> text = ReadFile(RecordPath(run.table, *run_id));
    if (!text.ok()) return false;
    absl::StatusOr<RunRecord> existing = RecordFromJson(*text, RecordPath(run.table, *run_id));
    if (!existing.ok() || existing->status != RunStatus::kOk) return false;
    return !options_.rerun_unscored || RecordExampleScores(*existing).ok();
  }

  absl::StatusOr<RunnerSummary> Run(const std::vector<TableSpec>& tables) {
    std::vector<RunSpec> runs;
    for (const TableSpec& table : tables) {
      if (table.status != TableStatus::kMeasured) continue;
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
      Progress(absl::StrFormat("%s · %s · %.1fs · elapsed %s · eta %s", head, what, seconds, FormatDuration(clock.Seconds()),
                               FormatDuration(executed_seconds / executed * remaining)));
    }
    summary.seconds = clock.Seconds();
    return summary;
  }

 private:
  RunnerOptions options_;
  Provenance provenance_;
  TaskDataCache data_;
  RunExecutor executor_;
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
      return t.status == TableStatus::kMeasured &&
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
