#include "experiment/run_data.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lrb {
namespace {

// The recipe that fixes the run's tokenization lengths: the base fine-tuning's, else the re-fine-tuning's.
const RecipeSpec* LengthRecipe(const RunSpec& run) {
  if (run.finetune_base) return &*run.finetune_base;
  if (run.refinetune) return &*run.refinetune;
  return nullptr;
}

}  // namespace

absl::StatusOr<TaskData*> TaskDataCache::Get(const RunSpec& run, const TaskInfo& task, ModelFamily family,
                                             const std::string& model_dir, bool encoded) {
  TaskDataOptions o;
  o.data_dir = data_dir_;
  o.encode_examples = encoded;
  o.train_split = run.train_split;
  o.eval_split = run.eval_split;
  o.max_train_examples = run.max_train_examples;
  o.max_eval_examples = run.max_eval_examples;
  const bool seq2seq = task.kind == TaskKind::kSequenceToSequence;
  const RecipeSpec* lengths = LengthRecipe(run);
  o.encode.max_length = lengths != nullptr ? lengths->max_length : DefaultMaxLength(seq2seq);
  o.encode.max_target_length = lengths != nullptr ? lengths->max_target_length : 128;
  o.encode.source_prefix = seq2seq ? run.source_prefix : "";
  o.encode.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string key = absl::StrCat(task.id, "|", model_dir, "|", o.train_split, "|", o.eval_split, "|",
                                       o.max_train_examples, "|", o.max_eval_examples, "|", o.encode.max_length,
                                       "|", o.encode.max_target_length, "|", o.encode.source_prefix);
  // Encoded data also serves as the identity: the splits are not read again.
  if (auto it = encoded_.find(key); it != encoded_.end()) return it->second.get();
  std::map<std::string, std::unique_ptr<TaskData>>& cache = encoded ? encoded_ : identities_;
  if (auto it = cache.find(key); it != cache.end()) return it->second.get();
  absl::StatusOr<TaskData> data = LoadTaskData(task, family, model_dir, o);
  if (!data.ok()) return data.status();
  cache.clear();  // keep one task's data in memory at a time
  auto owned = std::make_unique<TaskData>(std::move(*data));
  TaskData* raw = owned.get();
  cache[key] = std::move(owned);
  return raw;
}

}  // namespace lrb
