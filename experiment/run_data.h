// The task data of a run (its splits read and tokenized for the model, experiment/task_model.h), loaded once
// per distinct set of inputs: the lengths come from the run's recipe (the base fine-tuning's, else the
// re-fine-tuning's; without one 128 tokens, T5 sources 512).
#ifndef LRB_EXPERIMENT_RUN_DATA_H_
#define LRB_EXPERIMENT_RUN_DATA_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/config.h"
#include "experiment/spec.h"
#include "experiment/task_model.h"

namespace lrb {

class TaskDataCache {
 public:
  explicit TaskDataCache(std::optional<std::string> data_dir) : data_dir_(std::move(data_dir)) {}

  // `encoded` false: the splits and the tokenizer's identity only (TaskDataOptions::encode_examples), what a
  // run's id needs (the encoded data of the same inputs serves too, when loaded). One task's data of each kind
  // stays in memory at a time.
  absl::StatusOr<TaskData*> Get(const RunSpec& run, const TaskInfo& task, ModelFamily family,
                                const std::string& model_dir, bool encoded);

 private:
  std::optional<std::string> data_dir_;
  std::map<std::string, std::unique_ptr<TaskData>> encoded_, identities_;
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_RUN_DATA_H_
