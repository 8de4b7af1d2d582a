// Fine-tuning and evaluation of a loaded Model on tokenized examples: classification or regression heads
// on encoders, and sequence-to-sequence (T5ForConditionalGeneration) with teacher forcing. Hides LibTorch
// like model.h.
#ifndef LRB_RUNTIME_MODEL_TRAINING_H_
#define LRB_RUNTIME_MODEL_TRAINING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/model/model.h"
#include "tasks/encode.h"  // Example

namespace lrb {

// How an epoch's training batches are drawn. kBucketed (the default): a seeded shuffle, then batches of
// similar length (less padding). kRandom: the Hugging Face Trainer's way, a seeded permutation of the
// examples (torch's RandomSampler) cut into consecutive batches, no length bucketing. Both pad each batch
// to its longest example.
enum class Sampler { kBucketed, kRandom };
// "bucketed" | "random"; anything else is InvalidArgument naming the value and the choices.
absl::StatusOr<Sampler> ParseSampler(absl::string_view name);
const char* SamplerName(Sampler sampler);

// The recipe, the same for every head kind; defaults follow the Hugging Face Trainer (AdamW, betas
// 0.9/0.999, eps 1e-8, linear decay to zero), with weight decay 0.01 applied to every weight but biases and
// LayerNorm parameters.
struct FinetuneRecipe {
  int epochs = 3;
  double learning_rate = 2e-5;
  int64_t batch_size = 32;
  double weight_decay = 0.01;
  double warmup_ratio = 0.0;    // share of the steps with a linear warm-up from 0
  double max_grad_norm = 1.0;   // global L2 clipping; 0 disables it
  uint64_t seed = 42;           // shuffling, dropout and new heads
  Sampler sampler = Sampler::kBucketed;
  int64_t bucket_batches = 50;  // kBucketed: batches sorted by length within groups of this many
  int64_t log_every = 50;       // progress line every this many steps (0: none)
  // Called after every optimizer step with the number of steps completed before it (0-based) and the
  // total, while that step's gradients are still held (LoSparse's pruning reads and masks there); an
  // error stops the fine-tuning with it.
  std::function<absl::Status(int64_t step, int64_t total)> after_step;
};

// Losses are means over what the loss counts: examples (classification, regression) or target tokens (T5:
// the teacher-forced token cross-entropy summed over every non-padding target token of the set, divided by
// their number). For T5 this is Hugging Face's eval_loss when the set fits in one batch; with several
// batches HF weights each batch's token mean by its example count, which depends on the batching, and
// this does not.
struct Evaluation {
  int64_t count = 0;
  double loss = 0;                 // mean cross-entropy (classification, T5 per token) or MSE (regression)
  double accuracy = 0;             // classification; T5: teacher-forced next-token accuracy over target tokens
  std::vector<float> predictions;  // argmax class, or the regressed value, in input order (empty for T5)
  // T5 with EvaluateOptions.generation.generate > 0: the generated tokens per example in input order,
  // without the decoder start token, up to and including EOS (so comparable with target_ids), or all
  // `generate` tokens when no EOS came.
  std::vector<std::vector<int64_t>> generated;
};

// Progress lines ("step 100/6315  loss 0.412  12.3 ex/s  elapsed 8m10s  eta 42m01s") go here.
using ProgressSink = std::function<void(const std::string&)>;

struct EvaluateOptions {
  int64_t batch_size = 32;
  // When set and there are at least 10 batches: "evaluate batch 13/130  elapsed 1m02s  eta 9m18s" every
  // tenth of the batches.
  ProgressSink progress;
  // T5 only: generate > 0 also decodes each example (num_beams 1: greedy, else beam search; the same
  // decoders and options as Model::Forward) into Evaluation.generated.
  ForwardOptions generation;
};

struct FinetuneReport {
  int64_t steps = 0;
  double seconds = 0;
  double examples_per_second = 0;
  std::vector<double> epoch_train_loss;
  std::vector<Evaluation> epoch_dev;  // dev after each epoch (empty dev: none)
};

// InvalidArgument naming the first field out of range: epochs and batch_size >= 1, learning_rate > 0,
// weight_decay and max_grad_norm >= 0, warmup_ratio in [0, 1] (NaN and infinities refused). Finetune and
// Distill check it before their first step; `lrbench finetune` before it loads anything.
absl::Status CheckRecipe(const FinetuneRecipe& recipe);

// One epoch's training batches (indices into `examples`) as the recipe's sampler draws them from `rng`:
// every example exactly once; the training loop calls it once per epoch with one generator seeded from
// recipe.seed, so epochs differ.
std::vector<std::vector<int64_t>> EpochBatches(const std::vector<Example>& examples, const FinetuneRecipe& recipe,
                                               std::mt19937_64& rng);

// "8m10s", or "1h02m" from an hour on: the elapsed and ETA figures of progress lines.
std::string FormatDuration(double seconds);

// Fine-tunes the whole model in place (training mode during steps, evaluation mode for dev). The model
// needs a sequence-classification head, or is a T5 model: teacher forcing, decoder inputs
// [decoder_start_token_id] + target_ids[:-1], loss the mean cross-entropy over the batch's target tokens
// (padding ignored, as HF's -100 labels). Epoch train losses are means per example, or per target token.
absl::StatusOr<FinetuneReport> Finetune(Model& model, const std::vector<Example>& train,
                                        const std::vector<Example>& dev, const FinetuneRecipe& recipe,
                                        const ProgressSink& progress);

// Weights of the distillation terms (KroneckerBERT, Tahaei et al. 2021, Eq. 14, after TinyBERT): soft
// cross-entropy of the logits at `temperature` (Hinton et al. 2015), mean squared errors of the
// embedding output, of every layer's output and of every layer's attention scores (q k^T / sqrt(d),
// padding keys excluded), and the task loss on the labels.
struct DistillationWeights {
  double logits = 1.0;      // soft cross-entropy of "logits" at `temperature`
  double temperature = 1.0;
  double embeddings = 1.0;  // MSE on "embedding_output"
  double hidden = 1.0;      // MSE on each "hidden_state.N"
  double attention = 1.0;   // MSE on each "attention_scores.N" (masked key positions excluded)
  double labels = 0.0;      // the task loss on the labels
};

// Trains `student` (every parameter that requires gradients, e.g. a compressed model's factors) to match
// `teacher` (frozen, evaluation mode) layer by layer on `train` with the recipe's optimiser and schedule;
// the report's losses are the distillation loss. Encoders only; the two need the same depth, width,
// heads and vocabulary (InvalidArgument naming both otherwise), and the same head when logits count.
// Examples without labels serve the intermediate terms (logits and labels weights 0).
absl::StatusOr<FinetuneReport> Distill(Model& student, Model& teacher, const std::vector<Example>& train,
                                       const FinetuneRecipe& recipe, const DistillationWeights& weights,
                                       const ProgressSink& progress);

// Evaluation mode, no gradients. Generation on an encoder model, and the example errors of Finetune, are
// InvalidArgument.
absl::StatusOr<Evaluation> Evaluate(Model& model, const std::vector<Example>& examples,
                                    const EvaluateOptions& options);
// The same with only a batch size (no generation).
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

// Evaluation mode (no dropout). Batches hold examples of one length (T5: one input length and one target
// length), so no padding token ever enters a statistic. Gradients are of the task loss per batch
// (cross-entropy, MSE for one label, or T5's teacher-forced token cross-entropy); the decoder's linears
// see the decoder inputs, one row per target token.
absl::StatusOr<std::map<std::string, LayerStatistics>> CollectStatistics(Model& model,
                                                                          const std::vector<Example>& examples,
                                                                          const StatisticsOptions& options);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_TRAINING_H_
