// A run's identity: the content hashes its record (OUT/runs/<table>/<id>.json) and its cached base model
// (OUT/cache/base/<key>/) are named by.
#ifndef LRB_EXPERIMENT_RUN_KEYS_H_
#define LRB_EXPERIMENT_RUN_KEYS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "experiment/record.h"
#include "experiment/spec.h"
#include "experiment/task_model.h"

namespace lrb {

struct RunKeys {
  std::string base;  // the fine-tuned base model: checkpoint, task, train data, tokenizer, base recipe
  std::string id;    // the run: the base key, the evaluation data, the run's JSON, the device
};

// Hashes the checkpoint and the files of `data` (its splits and tokenizer; TaskDataOptions::encode_examples
// false suffices) into *files ("checkpoint", "train", "eval", "tokenizer"), and returns the run's keys.
absl::StatusOr<RunKeys> ComputeRunKeys(const RunSpec& run, const std::string& model_dir, const TaskData& data,
                                       const std::string& device, std::map<std::string, FileHash>* files);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_RUN_KEYS_H_
