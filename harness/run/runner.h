// The experiment runner: expands table specs into runs, executes each (base model fine-tuned once per
// model/task/recipe and cached; statistics, compression, optional re-fine-tuning, evaluation, optional
// latency), and writes one RunRecord per run atomically. Runs whose record exists are skipped, so an
// interrupted reproduction resumes and a re-run computes only what changed (every cache key is a content
// hash of the run's inputs: spec, checkpoint, data, tokenizer, runner version). `CompressModelLinears` is the
// compression step of a run, shared with `lrbench compress`.
#ifndef LRB_HARNESS_RUN_RUNNER_H_
#define LRB_HARNESS_RUN_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/model/model.h"
#include "harness/model/training.h"
#include "harness/run/record.h"
#include "harness/run/spec.h"
#include "methods/budget.h"
#include "tasks/encode.h"

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

// One compression of a model's linears: a method with its budget and options on the linears matching `linears`
// (Model::LinearNames patterns).
struct LinearsCompressionSpec {
  std::string method;
  Budget budget;
  std::map<std::string, std::string> options;
  std::vector<std::string> linears;
  int64_t statistics_examples = 512;  // the first N train examples, when the method needs statistics
  bool trainable = false;             // the factors require gradients (a re-fine-tuning follows)
};

struct LinearsCompression {
  std::vector<LinearReplacement> layers;  // in the order replaced
  int64_t shared_core_freed = 0;          // numbers ShareTuckerCore freed (the shared core is stored once)
  size_t shared_core_layers = 0;          // layers sharing that core (0 when none)
  // Over `layers`: the dense parameters, the parameters and bits stored (a shared core counted once), and the
  // mean of the layers' relative errors.
  int64_t params_before = 0, params_after = 0, bits_after = 0;
  double mean_rel_error = 0;
  double statistics_seconds = 0, compression_seconds = 0;
};

// Collects the statistics the method declares (Method::Needs: CollectStatistics over the first
// `statistics_examples` of `train`, which the model's head must fit), then replaces the matching linears
// (Model::ReplaceLinears), every matching weight at once for methods that compress jointly, tying shared
// Tucker cores (Model::ShareTuckerCore). Errors name the method or the layer.
absl::StatusOr<LinearsCompression> CompressModelLinears(Model& model, const std::vector<Example>& train,
                                                        const LinearsCompressionSpec& spec,
                                                        const ProgressSink& progress);

// The run id of a run: a content hash (16 hex digits). NotFound/InvalidArgument when the checkpoint or
// the task's data cannot be read (the runner records those as no_data or failed).
absl::StatusOr<RunnerSummary> RunTables(const std::vector<TableSpec>& tables, const RunnerOptions& options);

}  // namespace lrb

#endif  // LRB_HARNESS_RUN_RUNNER_H_
