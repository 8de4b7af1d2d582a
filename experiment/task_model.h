// A model on a task: the task's splits read and tokenized for the model, the model loaded with the head
// the task needs, and predictions scored with the task's metrics. `lrbench finetune` and the experiment
// runner share these steps.
#ifndef LRB_EXPERIMENT_TASK_MODEL_H_
#define LRB_EXPERIMENT_TASK_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "tasks/encode.h"
#include "tasks/score.h"
#include "tasks/task.h"
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"

namespace lrb {

// The seed of the example subsets that max_train_examples / max_eval_examples keep.
inline constexpr uint64_t kSubsetSeed = 42;

struct TaskDataOptions {
  std::optional<std::string> data_dir;  // searched first (tasks/data.h)
  std::string train_split;              // empty: the task's train split ("-": none)
  std::string eval_split;               // empty: the task's evaluation split
  int64_t max_train_examples = 0;       // 0: all; else a random subset (seed kSubsetSeed), in file order
  int64_t max_eval_examples = 0;        // 0: all; likewise
  // empty: the checkpoint's own (tasks/tokenizers/load.h: MODEL_DIR/tokenizer.json, else vocab.txt with
  // tokenizer_config.json, else vocab.json + merges.txt; T5: MODEL_DIR/spiece.model)
  std::string tokenizer;
  EncodeOptions encode;                 // max lengths, T5 source prefix, threads
  // false: the splits are read and the tokenizer identified (paths, files, settings) but nothing is encoded
  // (TaskData::train and eval stay empty): what a run's id needs, at a fraction of the cost.
  bool encode_examples = true;
};

struct TaskData {
  const TaskInfo* task = nullptr;
  std::string train_split, eval_split;
  std::string train_path, eval_path;     // the files read
  std::vector<TextExample> train_text, eval_text;
  std::vector<Example> train, eval;      // tokenized, aligned with the texts
  EncodeStats train_stats, eval_stats;
  std::string tokenizer_path;
  // The files that make the tokenizer (tokenizer_path first, then e.g. tokenizer_config.json, merges.txt):
  // what a fine-tuned model's folder gets a copy of.
  std::vector<std::string> tokenizer_files;
  // TextTokenizer::Settings(): what changes the encodings beyond tokenizer_path's bytes ("" for none).
  std::string tokenizer_settings;
  std::unique_ptr<SentencePieceTokenizer> spm;  // T5 tasks: decodes generated ids
};

// Reads and tokenizes the splits for a model of family `family` stored in `model_dir`. Refuses a task the
// family cannot run (a sequence-to-sequence task needs T5; classification and regression an encoder:
// BERT, DistilBERT or RoBERTa), and a tokenizer that does not fit the checkpoint's config.json (an id at or
// above vocab_size, a token type at or above type_vocab_size, a padding id other than pad_token_id, a
// max_length above tokenizer_config.json's model_max_length).
absl::StatusOr<TaskData> LoadTaskData(const TaskInfo& task, ModelFamily family, const std::string& model_dir,
                                      const TaskDataOptions& options);

// The load options giving a model the task's head: a classifier with the task's label count, a one-output
// regression head, or T5's conditional-generation head.
LoadOptions TaskLoadOptions(const TaskInfo& task, const Device& device, uint64_t seed);

// The family of the checkpoint in `model_dir` (from its config.json).
absl::StatusOr<ModelFamily> CheckpointFamily(const std::string& model_dir);

struct TaskEvaluation {
  Scores scores;                        // the task's metrics on the evaluation split
  std::vector<Prediction> predictions;  // aligned with TaskData::eval_text
  Evaluation evaluation;                // loss (and token accuracy for T5)
  double seconds = 0;
};

struct TaskEvalOptions {
  int64_t batch_size = 32;
  ProgressSink progress;  // EvaluateOptions::progress
  ForwardOptions generation;  // T5: generate > 0 is required (max new tokens, beams)
};

// Evaluates on TaskData::eval and scores the predictions (T5: generated ids decoded to text).
absl::StatusOr<TaskEvaluation> EvaluateOnTask(Model& model, const TaskData& data, const TaskEvalOptions& options);

// Writes predictions in the format `lrbench score` reads: GLUE-style TSV (labels by name, floats for
// regression) for .tsv paths, JSONL {"id", "prediction"} otherwise. Atomic; refuses to replace a file
// unless `overwrite`.
absl::Status WritePredictions(const TaskData& data, const std::vector<Prediction>& predictions,
                              const std::string& path, bool overwrite);

// "predictions_<split>.tsv" for GLUE tasks, "predictions_<split>.jsonl" otherwise.
std::string PredictionsFileName(const TaskData& data);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_TASK_MODEL_H_
