#include "runtime/model/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "absl/strings/str_format.h"
#include "runtime/model/distillation.h"
#include "runtime/model/model_impl.h"
#include "runtime/model/recipe_range.h"

namespace lrb {
namespace {

using Clock = std::chrono::steady_clock;

// What the loss is: cross-entropy over classes, MSE of a one-output head, or the teacher-forced token
// cross-entropy of a sequence-to-sequence (T5) model.
enum class Objective { kClassification, kRegression, kSeq2Seq };

// Hugging Face's label for target positions that are padding (CrossEntropyLoss's ignore_index).
constexpr int64_t kIgnoreIndex = -100;

absl::StatusOr<Objective> ObjectiveOf(const ModelConfig& c, const char* what) {
  if (c.family == ModelFamily::kT5 && c.head == HeadKind::kConditionalGeneration) return Objective::kSeq2Seq;
  if (c.family != ModelFamily::kT5 && c.head == HeadKind::kSequenceClassification) {
    return c.num_labels == 1 ? Objective::kRegression : Objective::kClassification;
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s needs a sequence-classification head (see LoadOptions.head) or a T5 model with its LM head", what));
}

// A padded batch on the model's device: ids, types and mask [b, longest]; labels [b], or for T5 the
// decoder inputs and the target ids [b, longest target] (kIgnoreIndex on padding). The batch's loss is a
// mean over `weight` items: examples, or target tokens.
struct TensorBatch {
  Batch batch;
  torch::Tensor labels;
  int64_t weight = 0;
};

TensorBatch Collate(const std::vector<Example>& examples, const std::vector<int64_t>& indices, const ModelConfig& c,
                    Objective objective, const torch::Device& device) {
  int64_t longest = 0, longest_target = 0;
  for (int64_t i : indices) {
    longest = std::max<int64_t>(longest, examples[i].input_ids.size());
    longest_target = std::max<int64_t>(longest_target, examples[i].target_ids.size());
  }
  const int64_t b = static_cast<int64_t>(indices.size());
  torch::Tensor ids = torch::full({b, longest}, c.pad_token_id, torch::kLong);
  torch::Tensor types = torch::zeros({b, longest}, torch::kLong);
  torch::Tensor mask = torch::zeros({b, longest}, torch::kLong);
  auto ids_a = ids.accessor<int64_t, 2>(), types_a = types.accessor<int64_t, 2>(), mask_a = mask.accessor<int64_t, 2>();
  for (int64_t r = 0; r < b; ++r) {
    const Example& e = examples[indices[r]];
    for (size_t t = 0; t < e.input_ids.size(); ++t) {
      ids_a[r][t] = e.input_ids[t];
      types_a[r][t] = t < e.token_type_ids.size() ? e.token_type_ids[t] : 0;
      mask_a[r][t] = 1;
    }
  }
  TensorBatch out{{ids.to(device), mask.to(device), types.to(device), {}}, {}, 0};
  if (objective == Objective::kSeq2Seq) {
    // Teacher forcing (HF shift_right): the decoder reads the start token and the target shifted right;
    // padding reads pad_token_id, and the causal decoder keeps it from affecting earlier positions.
    torch::Tensor decoder = torch::full({b, longest_target}, c.pad_token_id, torch::kLong);
    torch::Tensor labels = torch::full({b, longest_target}, kIgnoreIndex, torch::kLong);
    auto decoder_a = decoder.accessor<int64_t, 2>(), labels_a = labels.accessor<int64_t, 2>();
    for (int64_t r = 0; r < b; ++r) {
      const std::vector<int64_t>& target = examples[indices[r]].target_ids;
      for (size_t t = 0; t < target.size(); ++t) {
        decoder_a[r][t] = t == 0 ? c.decoder_start_token_id : target[t - 1];
        labels_a[r][t] = target[t];
      }
      out.weight += static_cast<int64_t>(target.size());
    }
    out.batch.decoder_input_ids = decoder.to(device);
    out.labels = labels.to(device);
    return out;
  }
  const bool regression = objective == Objective::kRegression;
  torch::Tensor labels = torch::empty({b}, regression ? torch::kFloat32 : torch::kLong);
  for (int64_t r = 0; r < b; ++r) {
    const Example& e = examples[indices[r]];
    if (regression) {
      labels[r] = e.label;
    } else {
      labels[r] = static_cast<int64_t>(e.label);
    }
  }
  out.labels = labels.to(device);
  out.weight = b;
  return out;
}

torch::Tensor Logits(LanguageModelImpl& module, const Batch& batch) {
  for (auto& [name, t] : module.Forward(batch)) {
    if (name == "logits") return t;
  }
  return {};
}

// The forward pass and the batch's mean loss (over examples, or over its non-padding target tokens).
struct Scored {
  torch::Tensor logits;
  torch::Tensor loss;
};

// The task loss of a batch's logits: MSE of a one-output head, cross-entropy over classes, or the mean
// token cross-entropy over non-padding targets.
torch::Tensor TaskLoss(const torch::Tensor& logits, const TensorBatch& tb, Objective objective) {
  switch (objective) {
    case Objective::kRegression:
      return torch::mse_loss(logits.squeeze(-1), tb.labels);
    case Objective::kClassification:
      return torch::cross_entropy_loss(logits, tb.labels);
    case Objective::kSeq2Seq:
      return torch::cross_entropy_loss(logits.flatten(0, 1), tb.labels.flatten(), /*weight=*/{},
                                       at::Reduction::Mean, kIgnoreIndex);
  }
  return {};
}

Scored Score(LanguageModelImpl& module, const TensorBatch& tb, Objective objective) {
  const torch::Tensor logits = Logits(module, tb.batch);
  return {logits, TaskLoss(logits, tb, objective)};
}

absl::Status CheckExamples(const std::vector<Example>& examples, const ModelConfig& c, Objective objective,
                           const char* split) {
  auto check_ids = [&](const std::vector<int64_t>& ids, size_t i, const char* field) {
    for (int64_t id : ids) {
      if (id < 0 || id >= c.vocab_size) {
        return absl::InvalidArgumentError(absl::StrFormat("%s example %d has %s id %d outside the vocabulary [0, %d)",
                                                          split, i, field, id, c.vocab_size));
      }
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (e.input_ids.empty()) return absl::InvalidArgumentError(absl::StrFormat("%s example %d has no tokens", split, i));
    if (absl::Status s = check_ids(e.input_ids, i, "input"); !s.ok()) return s;
    if (objective == Objective::kSeq2Seq) {  // relative positions: no length limit
      if (e.target_ids.empty()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s example %d has no target_ids (a T5 model trains on the target sequence)", split, i));
      }
      if (absl::Status s = check_ids(e.target_ids, i, "target"); !s.ok()) return s;
      continue;
    }
    if (!e.target_ids.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s example %d has target_ids, but the model is a %s encoder with a %s head (targets need a T5 model)",
          split, i, c.model_type, objective == Objective::kRegression ? "regression" : "classification"));
    }
    if (static_cast<int64_t>(e.input_ids.size()) > c.max_position_embeddings) {
      return absl::InvalidArgumentError(absl::StrFormat("%s example %d has %d tokens, the model at most %d", split,
                                                        i, e.input_ids.size(), c.max_position_embeddings));
    }
    if (objective == Objective::kClassification &&
        (e.label < 0 || e.label >= c.num_labels || e.label != std::floor(e.label))) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s example %d has label %g; the head has %d classes", split, i, e.label, c.num_labels));
    }
    if (objective == Objective::kRegression && !std::isfinite(e.label)) {
      return absl::InvalidArgumentError(absl::StrFormat("%s example %d has label %g", split, i, e.label));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Evaluation> Evaluate(Model& model, const std::vector<Example>& examples,
                                    const EvaluateOptions& options) {
  Model::Impl& impl = model.internals();
  const ModelConfig& c = impl.config;
  const absl::StatusOr<Objective> objective = ObjectiveOf(c, "evaluation");
  if (!objective.ok()) return objective.status();
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("evaluation batch size %d < 1", options.batch_size));
  }
  const ForwardOptions& generation = options.generation;
  if (generation.generate > 0 && *objective != Objective::kSeq2Seq) {
    return absl::InvalidArgumentError("generation needs a sequence-to-sequence (T5) model");
  }
  if (absl::Status s = CheckExamples(examples, c, *objective, "eval"); !s.ok()) return s;
  Evaluation out;
  out.count = static_cast<int64_t>(examples.size());
  if (*objective != Objective::kSeq2Seq) out.predictions.resize(examples.size());
  if (generation.generate > 0) out.generated.resize(examples.size());
  try {
    torch::NoGradGuard no_grad;
    impl.module->eval();
    double loss_sum = 0, correct = 0;
    int64_t weight = 0;
    const int64_t batches = (static_cast<int64_t>(examples.size()) + options.batch_size - 1) / options.batch_size;
    const auto began = std::chrono::steady_clock::now();
    auto report_progress = [&](int64_t done) {
      if (!options.progress || batches < 10 || (done % std::max<int64_t>(1, batches / 10) != 0 && done != batches)) return;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      options.progress(absl::StrFormat("evaluate batch %d/%d  elapsed %s  eta %s", done, batches, FormatDuration(elapsed),
                                       FormatDuration(elapsed / done * (batches - done))));
    };
    for (size_t start = 0; start < examples.size(); start += options.batch_size) {
      if (start > 0) report_progress(static_cast<int64_t>(start / options.batch_size));  // batches done
      std::vector<int64_t> idx(std::min<size_t>(options.batch_size, examples.size() - start));
      std::iota(idx.begin(), idx.end(), static_cast<int64_t>(start));
      const TensorBatch tb = Collate(examples, idx, c, *objective, impl.device);
      const Scored scored = Score(*impl.module, tb, *objective);
      loss_sum += scored.loss.item<double>() * tb.weight;
      weight += tb.weight;
      if (*objective == Objective::kRegression) {
        const torch::Tensor pred = scored.logits.squeeze(-1).to(torch::kCPU);
        for (size_t r = 0; r < idx.size(); ++r) out.predictions[idx[r]] = pred[r].item<float>();
        continue;
      }
      // Padding labels (kIgnoreIndex) never equal an argmax.
      const torch::Tensor argmax = scored.logits.argmax(-1);
      correct += tb.labels.eq(argmax).sum().item<double>();
      if (*objective == Objective::kClassification) {
        const torch::Tensor pred = argmax.to(torch::kCPU);
        for (size_t r = 0; r < idx.size(); ++r) out.predictions[idx[r]] = static_cast<float>(pred[r].item<int64_t>());
      }
      if (generation.generate > 0) {
        // [b, 1 + generate], decoder start first, padding after EOS (num_beams 1 is greedy decoding).
        const torch::Tensor ids = T5BeamSearch(*impl.module, tb.batch, generation.generate, generation.min_new_tokens,
                                               generation.num_beams, generation.length_penalty)
                                      .to(torch::kCPU)
                                      .contiguous();
        for (size_t r = 0; r < idx.size(); ++r) {
          std::vector<int64_t>& tokens = out.generated[idx[r]];
          const int64_t* row = ids[r].data_ptr<int64_t>();
          for (int64_t t = 1; t < ids.size(1); ++t) {
            tokens.push_back(row[t]);
            if (row[t] == c.eos_token_id) break;
          }
        }
      }
    }
    report_progress(batches);
    out.loss = weight == 0 ? 0 : loss_sum / weight;
    out.accuracy = weight == 0 ? 0 : correct / weight;
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("evaluation failed: %s", e.what_without_backtrace()));
  }
  return out;
}

absl::StatusOr<Evaluation> Evaluate(Model& model, const std::vector<Example>& examples, int64_t batch_size) {
  EvaluateOptions options;
  options.batch_size = batch_size;
  return Evaluate(model, examples, options);
}

absl::StatusOr<Sampler> ParseSampler(absl::string_view name) {
  if (name == "bucketed") return Sampler::kBucketed;
  if (name == "random") return Sampler::kRandom;
  return absl::InvalidArgumentError(
      absl::StrFormat("sampler '%s' is not one of bucketed, random", std::string(name)));
}

const char* SamplerName(Sampler sampler) { return sampler == Sampler::kRandom ? "random" : "bucketed"; }

// kBucketed: batches of similar length (Hugging Face's group_by_length, simplified): a seeded shuffle, then
// groups of `bucket_batches` batches sorted by length, then the batch order shuffled again. Less padding,
// the same examples per epoch. kRandom: the shuffle cut into consecutive batches (RandomSampler).
std::vector<std::vector<int64_t>> EpochBatches(const std::vector<Example>& examples, const FinetuneRecipe& recipe,
                                               std::mt19937_64& rng) {
  const int64_t batch_size = recipe.batch_size;
  std::vector<int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const bool bucketed = recipe.sampler == Sampler::kBucketed;
  if (bucketed) {
    const int64_t group = std::max<int64_t>(1, recipe.bucket_batches) * batch_size;
    for (size_t start = 0; start < order.size(); start += group) {
      auto end = order.begin() + std::min(order.size(), start + group);
      std::stable_sort(order.begin() + start, end, [&](int64_t a, int64_t b) {
        return examples[a].input_ids.size() > examples[b].input_ids.size();
      });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    batches.emplace_back(order.begin() + start, order.begin() + std::min(order.size(), start + batch_size));
  }
  if (bucketed) std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

std::string FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  return s >= 3600 ? absl::StrFormat("%dh%02dm", s / 3600, s / 60 % 60) : absl::StrFormat("%dm%02ds", s / 60, s % 60);
}

namespace {

// The batch's loss to minimise (a mean over what it counts) for the training loop below.
using BatchLoss = std::function<torch::Tensor(const TensorBatch&)>;

}  // namespace

absl::Status CheckRecipe(const FinetuneRecipe& recipe) {
  for (const auto& [field, value] : {std::pair<const char*, double>{"epochs", recipe.epochs},
                                     {"batch_size", static_cast<double>(recipe.batch_size)},
                                     {"lr", recipe.learning_rate},
                                     {"weight_decay", recipe.weight_decay},
                                     {"warmup_ratio", recipe.warmup_ratio},
                                     {"max_grad_norm", recipe.max_grad_norm}}) {
    if (std::string expects = RecipeFieldExpects(field, value); !expects.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("recipe: %s=%g, expected %s", field, value, expects));
    }
  }
  return absl::OkStatus();
}

namespace {

// The training loop of Finetune and Distill: AdamW with decoupled weight decay, linear warm-up and decay,
// clipping, the recipe's sampler (length-bucketed or random batches), progress lines, the after_step hook, dev evaluation per epoch.
absl::StatusOr<FinetuneReport> TrainLoop(Model& model, const std::vector<Example>& train,
                                         const std::vector<Example>& dev, const FinetuneRecipe& recipe,
                                         const ProgressSink& progress, const BatchLoss& batch_loss) {
  Model::Impl& impl = model.internals();
  const ModelConfig& c = impl.config;
  const absl::StatusOr<Objective> objective = ObjectiveOf(c, "fine-tuning");
  if (!objective.ok()) return objective.status();
  if (train.empty()) return absl::InvalidArgumentError("no training examples");
  if (absl::Status s = CheckRecipe(recipe); !s.ok()) return s;
  if (absl::Status s = CheckExamples(train, c, *objective, "train"); !s.ok()) return s;
  if (absl::Status s = CheckExamples(dev, c, *objective, "dev"); !s.ok()) return s;

  // Decoupled weight decay (Loshchilov & Hutter 2019) on weights only: biases and LayerNorm parameters
  // are excluded, as in the BERT recipe.
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : impl.module->named_parameters()) {
    const std::string& name = item.key();
    const bool exempt = name.find("bias") != std::string::npos || name.find("LayerNorm") != std::string::npos ||
                        name.find("layer_norm") != std::string::npos;
    (exempt ? no_decay : decay).push_back(item.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(recipe.learning_rate).eps(1e-8).weight_decay(recipe.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(recipe.learning_rate).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW optimizer(std::move(groups));

  std::mt19937_64 rng(recipe.seed);
  torch::manual_seed(recipe.seed);
  const int64_t steps_per_epoch = (static_cast<int64_t>(train.size()) + recipe.batch_size - 1) / recipe.batch_size;
  const int64_t total = steps_per_epoch * recipe.epochs;
  const int64_t warmup = static_cast<int64_t>(recipe.warmup_ratio * total);
  FinetuneReport report;
  const auto start = Clock::now();
  try {
    for (int epoch = 0; epoch < recipe.epochs; ++epoch) {
      impl.module->train();
      double loss_sum = 0;  // over `weight` examples or target tokens
      int64_t seen = 0, weight = 0;
      for (const std::vector<int64_t>& indices : EpochBatches(train, recipe, rng)) {
        // Linear warm-up, then linear decay to zero at the last step (HF get_linear_schedule_with_warmup).
        const int64_t step = report.steps;
        const double scale = step < warmup ? static_cast<double>(step) / std::max<int64_t>(1, warmup)
                                           : std::max(0.0, static_cast<double>(total - step) / std::max<int64_t>(1, total - warmup));
        for (auto& group : optimizer.param_groups()) {
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(recipe.learning_rate * scale);
        }
        const TensorBatch tb = Collate(train, indices, c, *objective, impl.device);
        optimizer.zero_grad();
        torch::Tensor loss = batch_loss(tb);
        loss.backward();
        if (recipe.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(impl.module->parameters(), recipe.max_grad_norm);
        optimizer.step();
        if (recipe.after_step) {
          torch::NoGradGuard no_grad;
          if (absl::Status s = recipe.after_step(step, total); !s.ok()) return s;
        }
        const double l = loss.item<double>();
        if (!std::isfinite(l)) {
          return absl::InternalError(absl::StrFormat("training loss became %g at step %d (lr %g)", l, step,
                                                     recipe.learning_rate * scale));
        }
        loss_sum += l * tb.weight;
        weight += tb.weight;
        seen += static_cast<int64_t>(indices.size());
        ++report.steps;
        if (progress && recipe.log_every > 0 && (report.steps % recipe.log_every == 0 || report.steps == total)) {
          const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
          const double eta = elapsed / report.steps * (total - report.steps);
          progress(absl::StrFormat("epoch %d/%d  step %d/%d  loss %.4f  %.1f ex/s  elapsed %s  eta %s", epoch + 1,
                                   recipe.epochs, report.steps, total, loss_sum / weight,
                                   (epoch * train.size() + seen) / elapsed, FormatDuration(elapsed), FormatDuration(eta)));
        }
      }
      report.epoch_train_loss.push_back(loss_sum / weight);
      if (!dev.empty()) {
        absl::StatusOr<Evaluation> ev = Evaluate(model, dev, recipe.batch_size * 2);
        if (!ev.ok()) return ev.status();
        if (progress) {
          const std::string accuracy =
              *objective == Objective::kRegression
                  ? ""
                  : absl::StrFormat("  dev %s %.4f", *objective == Objective::kSeq2Seq ? "token accuracy" : "accuracy",
                                    ev->accuracy);
          progress(absl::StrFormat("epoch %d/%d  dev loss %.4f%s (%d examples)", epoch + 1, recipe.epochs, ev->loss,
                                   accuracy, ev->count));
        }
        report.epoch_dev.push_back(std::move(*ev));
      }
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("fine-tuning failed: %s", e.what_without_backtrace()));
  }
  impl.module->eval();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.examples_per_second = static_cast<double>(train.size()) * recipe.epochs / report.seconds;
  return report;
}

}  // namespace

absl::StatusOr<FinetuneReport> Finetune(Model& model, const std::vector<Example>& train,
                                        const std::vector<Example>& dev, const FinetuneRecipe& recipe,
                                        const ProgressSink& progress) {
  Model::Impl& impl = model.internals();
  const absl::StatusOr<Objective> objective = ObjectiveOf(impl.config, "fine-tuning");
  if (!objective.ok()) return objective.status();
  return TrainLoop(model, train, dev, recipe, progress,
                   [&](const TensorBatch& tb) { return Score(*impl.module, tb, *objective).loss; });
}

absl::StatusOr<FinetuneReport> Distill(Model& student, Model& teacher, const std::vector<Example>& train,
                                       const FinetuneRecipe& recipe, const DistillationWeights& weights,
                                       const ProgressSink& progress) {
  Model::Impl& s = student.internals();
  Model::Impl& t = teacher.internals();
  const absl::StatusOr<Objective> objective = ObjectiveOf(s.config, "distillation");
  if (!objective.ok()) return objective.status();
  if (s.config.family == ModelFamily::kT5 || t.config.family == ModelFamily::kT5) {
    return absl::InvalidArgumentError("distillation runs on encoders (BERT, RoBERTa, DistilBERT), not T5");
  }
  const ModelConfig &sc = s.config, &tc = t.config;
  if (sc.num_layers != tc.num_layers || sc.hidden_size != tc.hidden_size ||
      sc.num_heads != tc.num_heads || sc.vocab_size != tc.vocab_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "distillation matches layer to layer: the student has %d layers of width %d (%d heads, vocabulary %d), the "
        "teacher %d of width %d (%d heads, vocabulary %d)",
        sc.num_layers, sc.hidden_size, sc.num_heads, sc.vocab_size, tc.num_layers,
        tc.hidden_size, tc.num_heads, tc.vocab_size));
  }
  if (weights.logits > 0 && (sc.head != tc.head || sc.num_labels != tc.num_labels)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "logit distillation needs the same head: the student has %d outputs, the teacher %d (set the logits weight to 0)",
        sc.num_labels, tc.num_labels));
  }
  t.module->eval();
  s.module->RecordIntermediates(true);
  t.module->RecordIntermediates(true);
  absl::StatusOr<FinetuneReport> report = TrainLoop(student, train, {}, recipe, progress, [&](const TensorBatch& tb) {
    NamedTensors teacher_out;
    {
      torch::NoGradGuard no_grad;
      teacher_out = t.module->Forward(tb.batch);
    }
    const NamedTensors student_out = s.module->Forward(tb.batch);
    torch::Tensor l = LayerwiseDistillationLoss(student_out, teacher_out, tb.batch.attention_mask, weights);
    if (weights.labels > 0) {
      for (const auto& [name, value] : student_out) {
        if (name == "logits") l = l + weights.labels * TaskLoss(value, tb, *objective);
      }
    }
    return l;
  });
  s.module->RecordIntermediates(false);
  t.module->RecordIntermediates(false);
  return report;
}

}  // namespace lrb

namespace lrb {

absl::StatusOr<std::map<std::string, LayerStatistics>> CollectStatistics(Model& model,
                                                                          const std::vector<Example>& examples,
                                                                          const StatisticsOptions& options) {
  Model::Impl& impl = model.internals();
  const ModelConfig& c = impl.config;
  const absl::StatusOr<Objective> objective = ObjectiveOf(c, "statistics (the task loss)");
  if (!objective.ok()) return objective.status();
  if (examples.empty()) return absl::InvalidArgumentError("no examples to collect statistics on");
  if (absl::Status s = CheckExamples(examples, c, *objective, "statistics"); !s.ok()) return s;
  const std::vector<std::string> names = model.LinearNames(options.pattern);
  if (names.empty()) return absl::NotFoundError(absl::StrFormat("no linear layer matches '%s'", options.pattern));
  std::map<std::string, std::shared_ptr<LinearImpl>> linears;
  for (const auto& item : impl.module->named_modules("", false)) {
    auto l = std::dynamic_pointer_cast<LinearImpl>(item.value());
    if (l && std::find(names.begin(), names.end(), item.key()) != names.end()) {
      if (l->compressed() && (options.fisher || options.sensitivity)) {
        return absl::FailedPreconditionError(
            absl::StrFormat("%s is compressed; weight gradients need the dense layer", item.key()));
      }
      linears[item.key()] = l;
    }
  }
  // Batches of equal input (and target) length: no padding in any statistic.
  std::map<std::pair<size_t, size_t>, std::vector<int64_t>> by_length;
  for (size_t i = 0; i < examples.size(); ++i) {
    by_length[{examples[i].input_ids.size(), examples[i].target_ids.size()}].push_back(static_cast<int64_t>(i));
  }
  std::map<std::string, torch::Tensor> fisher, sensitivity;
  int64_t batches = 0;
  try {
    impl.module->eval();
    for (auto& [name, l] : linears) {
      if (options.input_second_moment) l->RecordInputs(true);
      if (options.fisher) fisher[name] = torch::zeros_like(l->weight, torch::kFloat64);
      if (options.sensitivity) sensitivity[name] = torch::zeros_like(l->weight);
    }
    const bool need_grad = options.fisher || options.sensitivity;
    for (const auto& [length, indices] : by_length) {
      for (size_t start = 0; start < indices.size(); start += options.batch_size) {
        const std::vector<int64_t> batch(indices.begin() + start,
                                         indices.begin() + std::min(indices.size(), start + options.batch_size));
        const TensorBatch tb = Collate(examples, batch, c, *objective, impl.device);
        if (!need_grad) {
          torch::NoGradGuard no_grad;
          Logits(*impl.module, tb.batch);
        } else {
          impl.module->zero_grad();
          Score(*impl.module, tb, *objective).loss.backward();
          for (auto& [name, l] : linears) {
            const torch::Tensor g = l->weight.grad();
            if (options.fisher) fisher[name] += g.to(torch::kFloat64).square();
            if (options.sensitivity) {
              torch::Tensor& s = sensitivity[name];
              s = options.sensitivity_beta * s + (1 - options.sensitivity_beta) * (l->weight.detach() * g).abs();
            }
          }
        }
        ++batches;
      }
    }
    // No gradient may outlive the pass: a later ReplaceLinears empties the dense weights, and an optimizer
    // would then meet a gradient of the old shape (training after FWSVD failed that way).
    impl.module->zero_grad(/*set_to_none=*/true);
  } catch (const c10::Error& e) {
    for (auto& [name, l] : linears) l->RecordInputs(false);
    return absl::InternalError(absl::StrFormat("collecting statistics failed: %s", e.what_without_backtrace()));
  }
  std::map<std::string, LayerStatistics> out;
  for (auto& [name, l] : linears) {
    LayerStatistics& s = out[name];
    s.batches = batches;
    if (options.input_second_moment) {
      s.input_second_moment = ToMatrix(l->input_second_moment().to(torch::kFloat32));
      s.input_rows = l->input_rows();
      l->RecordInputs(false);
    }
    if (options.fisher) s.fisher = ToMatrix((fisher[name] / static_cast<double>(batches)).to(torch::kFloat32));
    if (options.sensitivity) s.sensitivity = ToMatrix(sensitivity[name]);
  }
  return out;
}

}  // namespace lrb
