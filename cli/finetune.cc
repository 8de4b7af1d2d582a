// `lrbench finetune`: fine-tunes a checkpoint on a task's train split (a classifier, a regression head or
// T5 sequence-to-sequence, as the task needs), evaluates on dev after each epoch, scores the final model
// with the task's metrics, and saves model, tokenizer, predictions and finetune.json to the output.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/file.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "experiment/task_model.h"

namespace lrb {
namespace {

nlohmann::json ScoresJson(const Scores& scores) {
  nlohmann::json j = {{"count", scores.count}};
  for (const auto& [name, value] : scores.metrics) j["metrics"][name] = value;
  return j;
}

// The flags; the defaults that depend on the task (T5's longer inputs, its prefix and generation) are absent
// until Finetune sets them.
struct FinetuneArgs {
  std::optional<std::string> model_dir, task_id, output, source_prefix, data_dir, tokenizer;
  FinetuneRecipe recipe;
  std::optional<int64_t> max_length, generate;
  int64_t max_target_length = TaskDataOptions().encode.max_target_length;
  int64_t max_train_examples = 0, max_eval_examples = 0, num_beams = 1;
  int threads = 0;
  std::string train_split, eval_split, device = "cpu", sampler = SamplerName(Sampler::kBucketed);
  bool overwrite = false, dump_encoded = false;
};

// One JSON line per example, in split order: the exact token ids, token types and label training and
// evaluation use (what an outside reference implementation trains on).
absl::Status WriteEncoded(const std::vector<Example>& examples, const std::string& path, bool overwrite) {
  std::string out;
  for (const Example& e : examples) {
    nlohmann::json j = {{"input_ids", e.input_ids}, {"token_type_ids", e.token_type_ids}, {"label", e.label}};
    if (!e.target_ids.empty()) j["target_ids"] = e.target_ids;
    out += j.dump() + "\n";
  }
  return WriteFileAtomically(path, out, overwrite);
}

absl::Status Finetune(const FinetuneArgs& a) {
  const std::optional<std::string>& model_dir = a.model_dir;
  const std::optional<std::string>& task_id = a.task_id;
  const std::optional<std::string>& output = a.output;
  absl::StatusOr<Device> parsed_device = ParseDevice(a.device);
  if (!parsed_device.ok()) return parsed_device.status();
  const Device& device = *parsed_device;
  absl::StatusOr<const TaskInfo*> task = FindTask(*task_id);
  if (!task.ok()) return task.status();
  const bool seq2seq = (*task)->kind == TaskKind::kSequenceToSequence;

  FinetuneRecipe recipe = a.recipe;
  absl::StatusOr<Sampler> sampler = ParseSampler(a.sampler);
  if (!sampler.ok()) return absl::InvalidArgumentError(absl::StrCat("--sampler: ", sampler.status().message()));
  recipe.sampler = *sampler;
  TaskDataOptions data_options;
  data_options.encode.max_length = a.max_length.value_or(DefaultMaxLength(seq2seq));
  data_options.encode.max_target_length = a.max_target_length;
  data_options.max_train_examples = a.max_train_examples;
  data_options.max_eval_examples = a.max_eval_examples;
  data_options.encode.threads = a.threads;
  TaskEvalOptions eval_options;
  eval_options.generation.generate = a.generate.value_or(seq2seq ? 64 : 0);
  eval_options.generation.num_beams = a.num_beams;
  if (absl::Status s = CheckRecipe(recipe); !s.ok()) return s;
  if (data_options.encode.threads <= 0) data_options.encode.threads = static_cast<int>(std::thread::hardware_concurrency());
  eval_options.batch_size = recipe.batch_size;
  data_options.encode.source_prefix = a.source_prefix.value_or(seq2seq ? "summarize: " : "");
  data_options.train_split = a.train_split;
  data_options.eval_split = a.eval_split;
  data_options.data_dir = a.data_dir;
  if (a.tokenizer) data_options.tokenizer = *a.tokenizer;
  if (std::filesystem::exists(*output) && !std::filesystem::is_directory(*output)) {
    return absl::InvalidArgumentError(absl::StrFormat("--output=%s is a file, not a directory", *output));
  }
  if (!a.overwrite && std::filesystem::exists(*output) && !std::filesystem::is_empty(*output)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%s is not empty (it may hold an earlier run); pass --overwrite", *output));
  }
  if (data_options.train_split == "-") {
    return absl::InvalidArgumentError("--train_split=- leaves nothing to fine-tune on");
  }

  absl::StatusOr<ModelFamily> family = CheckpointFamily(*model_dir);
  if (!family.ok()) return family.status();
  absl::StatusOr<TaskData> data = LoadTaskData(**task, *family, *model_dir, data_options);
  if (!data.ok()) return data.status();
  if (a.dump_encoded) {
    std::filesystem::create_directories(*output);
    for (const auto& [split, examples] : {std::pair<const std::string&, const std::vector<Example>&>{
                                              data->train_split, data->train},
                                          {data->eval_split, data->eval}}) {
      const std::string path = *output + "/encoded_" + split + ".jsonl";
      if (absl::Status s = WriteEncoded(examples, path, a.overwrite); !s.ok()) return s;
      std::fprintf(stderr, "lrbench finetune: %zu encoded %s examples written to %s\n", examples.size(), split.c_str(),
                   path.c_str());
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, TaskLoadOptions(**task, device, recipe.seed));
  if (!model.ok()) return model.status();
  std::fprintf(stderr, "lrbench finetune: %s on %s (%zu train from %s, %zu %s) on %s; %s\n", model_dir->c_str(),
               (*task)->id.c_str(), data->train.size(), data->train_path.c_str(), data->eval.size(),
               data->eval_split.c_str(), device.ToString().c_str(), (*model)->report().Summary().c_str());
  absl::StatusOr<FinetuneReport> report = Finetune(**model, data->train, data->eval, recipe, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return report.status();
  absl::StatusOr<TaskEvaluation> final_eval = EvaluateOnTask(**model, *data, eval_options);
  if (!final_eval.ok()) return final_eval.status();

  std::filesystem::create_directories(*output);
  if (absl::Status s = (*model)->Save(*output, a.overwrite); !s.ok()) return s;
  // The tokenizer's files (e.g. vocab.txt and its tokenizer_config.json), so that the output encodes alike.
  for (const std::string& file : data->tokenizer_files) {
    absl::StatusOr<std::string> tokenizer_bytes = ReadFile(file);
    if (!tokenizer_bytes.ok()) return tokenizer_bytes.status();
    const std::string tokenizer_name = std::filesystem::path(file).filename().string();
    if (absl::Status s = WriteFileAtomically(*output + "/" + tokenizer_name, *tokenizer_bytes, /*overwrite=*/true);
        !s.ok()) {
      return s;
    }
  }
  const std::string predictions_path = *output + "/" + PredictionsFileName(*data);
  if (absl::Status s = WritePredictions(*data, final_eval->predictions, predictions_path, /*overwrite=*/true); !s.ok()) {
    return s;
  }

  nlohmann::json j;
  j["model"] = *model_dir;
  j["task"] = (*task)->id;
  j["device"] = device.ToString();
  j["data"] = {{"train", data->train_path}, {"eval", data->eval_path}, {"tokenizer", data->tokenizer_path},
               {"train_examples", data->train.size()}, {"eval_examples", data->eval.size()},
               {"max_length", data_options.encode.max_length},
               {"truncated_train_inputs", data->train_stats.truncated_inputs}};
  if (seq2seq) {
    j["data"]["source_prefix"] = data_options.encode.source_prefix;
    j["data"]["max_target_length"] = data_options.encode.max_target_length;
    j["generation"] = {{"max_new_tokens", eval_options.generation.generate},
                       {"num_beams", eval_options.generation.num_beams}};
  }
  j["recipe"] = {{"epochs", recipe.epochs}, {"lr", recipe.learning_rate}, {"batch_size", recipe.batch_size},
                 {"weight_decay", recipe.weight_decay}, {"warmup_ratio", recipe.warmup_ratio},
                 {"max_grad_norm", recipe.max_grad_norm}, {"seed", recipe.seed},
                 {"sampler", SamplerName(recipe.sampler)},
                 {"optimizer", "AdamW(0.9, 0.999, 1e-8), linear decay"}};
  j["steps"] = report->steps;
  j["seconds"] = report->seconds;
  j["train_examples_per_second"] = report->examples_per_second;
  for (size_t e = 0; e < report->epoch_dev.size(); ++e) {
    nlohmann::json epoch = {{"train_loss", report->epoch_train_loss[e]},
                            {"dev_loss", report->epoch_dev[e].loss},
                            {"dev_count", report->epoch_dev[e].count}};
    if ((*task)->kind != TaskKind::kRegression) {
      epoch[seq2seq ? "dev_token_accuracy" : "dev_accuracy"] = report->epoch_dev[e].accuracy;
    }
    j["epochs"].push_back(epoch);
  }
  j["eval"] = ScoresJson(final_eval->scores);
  j["eval"]["split"] = data->eval_split;
  j["eval"]["seconds"] = final_eval->seconds;
  j["eval"]["predictions"] = predictions_path;
  if (absl::Status s = WriteFileAtomically(*output + "/finetune.json", j.dump(2) + "\n", /*overwrite=*/true); !s.ok()) {
    return s;
  }
  std::printf("%s\n", j.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddFinetune(CommandLine& line) {
  CommandFlags& flags = line.Add("finetune", "Fine-tunes a checkpoint on a task and scores it", R"(
Fine-tunes on the task's train split with the head it needs (a classifier with the task's labels or a one-output
regression head on BERT/DistilBERT/RoBERTa, initialised when the checkpoint has none; T5 sequence-to-sequence
with teacher forcing), AdamW with decoupled weight decay (none on biases and LayerNorm), linear decay, gradient
clipping, seeded length-bucketed batches (--sampler=random: the Hugging Face Trainer's random batches); dev loss
each epoch with progress and ETA on stderr; then scores the evaluation split with the task's metrics (T5:
generated text, greedy or beam). Saves model, tokenizer, predictions_<split> (the format `lrbench score` reads)
and finetune.json to DIR. --dump_encoded instead writes the encoded splits (encoded_<split>.jsonl: input_ids,
token_type_ids, label per line, exactly what training and evaluation use) to DIR and stops before loading the
model.)");
  auto a = std::make_shared<FinetuneArgs>();
  FinetuneRecipe& r = a->recipe;
  flags.Path("model", &a->model_dir, "The checkpoint directory", "DIR")->required();
  flags.Text("task", &a->task_id, "The task (lrbench --help lists them)")->type_name("ID")->required();
  flags.Path("output", &a->output, "The directory the model, predictions and finetune.json go to", "DIR")->required();
  flags.Number("epochs", &r.epochs, "Passes over the train split");
  flags.Number("lr", &r.learning_rate, "Peak learning rate");
  flags.Number("batch_size", &r.batch_size, "Examples per step");
  flags.Number("weight_decay", &r.weight_decay, "AdamW's decoupled weight decay");
  flags.Number("warmup_ratio", &r.warmup_ratio, "Share of the steps warming the learning rate up, in [0, 1]");
  flags.Number("max_grad_norm", &r.max_grad_norm, "Gradient clipping norm");
  flags.Number("seed", &r.seed, "Seeds the head, the batches and dropout");
  flags.Text("sampler", &a->sampler, "Training batches: bucketed (by length) or random (as HF's Trainer)")
      ->type_name("NAME");
  flags.Number("log_every", &r.log_every, "Steps between progress lines (0: none)", 0);
  flags.Number("max_length", &a->max_length, "Tokens per input", 2)->default_str("128 (T5: 512)");
  flags.Number("max_target_length", &a->max_target_length, "Tokens per target (T5)", 1);
  flags.Text("source_prefix", &a->source_prefix, "Prepended to each T5 input (--source_prefix= for none)")
      ->default_str("'summarize: ' (T5)")
      ->expected(0, 1);
  flags.Text("train_split", &a->train_split, "The split trained on (default: the task's)")->type_name("NAME");
  flags.Text("eval_split", &a->eval_split, "The split scored (default: the task's)")->type_name("NAME");
  flags.Number("max_train_examples", &a->max_train_examples, "At most this many train examples (0: all)", 0);
  flags.Number("max_eval_examples", &a->max_eval_examples, "At most this many evaluation examples (0: all)", 0);
  flags.Number("generate", &a->generate, "New tokens per T5 prediction", 0)->default_str("0 (T5: 64)");
  flags.Number("num_beams", &a->num_beams, "Beam search with K beams when K > 1 (T5)", 1);
  flags.Text("device", &a->device, "cpu or cuda");
  flags.Path("data_dir", &a->data_dir, "Where the task's data is looked up first", "DIR");
  flags.Path("tokenizer", &a->tokenizer, "The tokenizer file (default: the checkpoint's)", "FILE");
  flags.Number("threads", &a->threads, "Tokenizer threads (0: every core)", 0);
  flags.Switch("overwrite", &a->overwrite, "Replace a non-empty output directory");
  flags.Switch("dump_encoded", &a->dump_encoded, "Write the encoded splits to DIR and stop (no training)");
  flags.Runs([a] { return Finetune(*a); });
}

}  // namespace lrb
