// The experiment runner: expands table specs into runs, executes each (the base model fine-tuned once per
// model/task/recipe and cached, then the row's stages (experiment/stages), the evaluation and, for speed rows,
// the latency), and writes one RunRecord per run atomically. Runs whose record exists are skipped, so an
// interrupted reproduction resumes and a re-run computes only what changed (every cache key is a content
// hash of the run's inputs: spec, checkpoint, data, tokenizer, runner version).
#ifndef LRB_EXPERIMENT_RUNNER_H_
#define LRB_EXPERIMENT_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "experiment/record.h"
#include "experiment/spec.h"

namespace lrb {

struct RunnerOptions {
  std::string out_dir;    // OUT: runs/<table>/<run_id>.json and cache/base/<key>/
  std::string profile = "default";
  std::string workspace;  // relative model paths in specs resolve against it
  std::string model_override;
  std::optional<std::string> data_dir;
  Device device;  // parsed once where it enters (the --device flag); run ids hash its ToString()
  // CPU inference kernels (LoadOptions::kernels). Like the thread count, not part of a run's id: compare
  // kernels with separate --out directories.
  std::string kernels = "onednn";
  // Non-empty: only the runs on these task ids (reproduce --tasks); every one must be the task of a column of a
  // measured table. The rest of the grid stays pending; its records, where they exist, still render.
  std::vector<std::string> tasks;
  // Also re-run the runs whose records ended ok but keep no per-example scores (recorded before records kept
  // them), replacing those records, so that their cells get intervals and paired deltas.
  bool rerun_unscored = false;
  int shard_index = 0;  // this process runs the runs i with i % shard_count == shard_index (after --tasks)
  int shard_count = 1;
  std::function<void(const std::string&)> progress;  // progress lines (with ETA)
};

struct RunnerSummary {
  int total = 0;    // runs in this shard
  int done = 0;     // skipped: a record existed
  int busy = 0;     // skipped: another process is running it (holds OUT/runs/<table>/<id>.json.lock) or
                    // recorded it since this call started
  int ran = 0, failed = 0, no_data = 0;
  double seconds = 0;
};

// Checks what a spec names before any work: tasks, metrics and splits of columns, methods and linears of
// rows, the tasks of profiles. InvalidArgument naming the spec file and the offending entry.
absl::Status ValidateTable(const TableSpec& table);

// Each of `tasks` (RunnerOptions::tasks) is the task of a column of one of the measured `tables`, or
// InvalidArgument naming it.
absl::Status CheckTasks(const std::vector<TableSpec>& tables, const std::vector<std::string>& tasks);

// The run id of a run: a content hash (16 hex digits). NotFound/InvalidArgument when the checkpoint or
// the task's data cannot be read (the runner records those as no_data or failed).
absl::StatusOr<RunnerSummary> RunTables(const std::vector<TableSpec>& tables, const RunnerOptions& options);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_RUNNER_H_
