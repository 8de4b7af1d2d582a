// Executes one run: the base model (the checkpoint fine-tuned on the task once and cached under
// OUT/cache/base/<key>/, or the checkpoint itself), the row's stages on it (experiment/stages; on a student of the
// checkpoint it teaches, for a stage that TrainsAStudent), the evaluation and, for speed rows, the latency
// before and after. Fills the run's record; the scheduler (runner.h) decides which runs execute.
#ifndef LRB_EXPERIMENT_EXECUTOR_H_
#define LRB_EXPERIMENT_EXECUTOR_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/model.h"
#include "experiment/record.h"
#include "experiment/spec.h"
#include "experiment/task_model.h"
#include "experiment/stages/stage.h"

namespace lrb {

class RunExecutor {
 public:
  RunExecutor(StageEnv env, std::function<void(const std::string&)> progress)
      : env_(std::move(env)), progress_(std::move(progress)) {}

  // `run` names modules in the checkpoint's family; `spec_run` is the run as the spec wrote it (what cache
  // keys hash). `base_key` names the cached base model (run_keys.h).
  absl::Status Execute(const RunSpec& run, const RunSpec& spec_run, const TaskInfo& task, ModelFamily family,
                       const std::string& model_dir, const TaskData& data, const std::string& base_key,
                       RunRecord* record) const;

 private:
  void Progress(const std::string& line) const {
    if (progress_) progress_(line);
  }
  // The progress lines of a run's training and evaluation, indented under the run's line.
  ProgressSink StageProgress() const {
    return [this](const std::string& line) { Progress("      " + line); };
  }
  absl::StatusOr<std::unique_ptr<Model>> BaseModel(const RunSpec& run, const TaskInfo& task,
                                                   const std::string& model_dir, const TaskData& data,
                                                   const std::string& base_key, RunRecord* record) const;

  StageEnv env_;
  std::function<void(const std::string&)> progress_;
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_EXECUTOR_H_
