// Fine-tuning and evaluation of a loaded Model on tokenized examples (classification or regression
// heads). Hides LibTorch like model.h.
#ifndef LRB_HARNESS_MODEL_TRAINING_H_
#define LRB_HARNESS_MODEL_TRAINING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/model/model.h"

namespace lrb {

// One tokenized example: [CLS] ... [SEP] ids with their token types, and the label (a class index, or the
// target value for a one-output regression head).
struct Example {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> token_type_ids;
  float label = 0;
};

// The recipe; defaults follow the Hugging Face Trainer (AdamW, betas 0.9/0.999, eps 1e-8, linear decay to
// zero), with weight decay 0.01 applied to every weight but biases and LayerNorm parameters.
struct FinetuneRecipe {
  int epochs = 3;
  double learning_rate = 2e-5;
  int64_t batch_size = 32;
  double weight_decay = 0.01;
  double warmup_ratio = 0.0;    // share of the steps with a linear warm-up from 0
  double max_grad_norm = 1.0;   // global L2 clipping; 0 disables it
  uint64_t seed = 42;           // shuffling, dropout and new heads
  int64_t bucket_batches = 50;  // length bucketing: batches sorted by length within groups of this many
  int64_t log_every = 50;       // progress line every this many steps (0: none)
};

struct Evaluation {
  int64_t count = 0;
  double loss = 0;                 // mean cross-entropy (classification) or MSE (regression)
  double accuracy = 0;             // classification only
  std::vector<float> predictions;  // argmax class, or the regressed value, in input order
};

struct FinetuneReport {
  int64_t steps = 0;
  double seconds = 0;
  double examples_per_second = 0;
  std::vector<double> epoch_train_loss;
  std::vector<Evaluation> epoch_dev;  // dev after each epoch (empty dev: none)
};

// Progress lines ("step 100/6315  loss 0.412  12.3 ex/s  elapsed 8m10s  eta 42m01s") go here.
using ProgressSink = std::function<void(const std::string&)>;

// Fine-tunes the whole model in place (training mode during steps, evaluation mode for dev).
absl::StatusOr<FinetuneReport> Finetune(Model& model, const std::vector<Example>& train,
                                        const std::vector<Example>& dev, const FinetuneRecipe& recipe,
                                        const ProgressSink& progress);

absl::StatusOr<Evaluation> Evaluate(Model& model, const std::vector<Example>& examples, int64_t batch_size);

// Per-layer statistics the methods need, from one pass over a data sample.
struct LayerStatistics {
  Matrix fisher;               // [out, in] mean over batches of (d loss / d W)^2 (FWSVD)
  Matrix input_second_moment;  // [in, in] sum over tokens of x x^T (DRONE)
  int64_t input_rows = 0;      // tokens behind input_second_moment
  Matrix sensitivity;          // [out, in] moving average (beta) of |W * d loss / d W| (LoSparse)
  int64_t batches = 0;
};

struct StatisticsOptions {
  std::string pattern = "**";  // which linears (Model::LinearNames syntax)
  bool fisher = true;
  bool input_second_moment = true;
  bool sensitivity = false;
  double sensitivity_beta = 0.85;
  int64_t batch_size = 32;
};

// Evaluation mode (no dropout). Batches hold examples of one length, so no padding token ever enters a
// statistic. Gradients are of the task loss (cross-entropy, or MSE for one label) per batch.
absl::StatusOr<std::map<std::string, LayerStatistics>> CollectStatistics(Model& model,
                                                                          const std::vector<Example>& examples,
                                                                          const StatisticsOptions& options);

}  // namespace lrb

#endif  // LRB_HARNESS_MODEL_TRAINING_H_
