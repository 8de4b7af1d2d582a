// `lrbench finetune`: fine-tunes a checkpoint on a task's train split (a classifier, a regression head or
// T5 sequence-to-sequence, as the task needs), evaluates on dev after each epoch, scores the final model
// with the task's metrics, and saves model, tokenizer, predictions and finetune.json to the output.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/file.h"
#include "harness/model/model.h"
#include "harness/model/training.h"
#include "harness/run/task_model.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench finetune: %s\n", std::string(status.message()).c_str());
  return 1;
}

nlohmann::json ScoresJson(const Scores& scores) {
  nlohmann::json j = {{"count", scores.count}};
  for (const auto& [name, value] : scores.metrics) j["metrics"][name] = value;
  return j;
}

}  // namespace

int RunFinetune(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  std::optional<std::string> model_dir = flags.Take("model"), task_id = flags.Take("task"), output = flags.Take("output");
  if (!model_dir || !task_id || !output) {
    std::fprintf(stderr, "lrbench finetune: --model, --task and --output are required (see lrbench --help)\n");
    return 2;
  }
  absl::StatusOr<const TaskInfo*> task = FindTask(*task_id);
  if (!task.ok()) return Fail(task.status());
  const bool seq2seq = (*task)->kind == TaskKind::kSequenceToSequence;
  model_dir = UserPath(*model_dir);
  output = UserPath(*output);

  FinetuneRecipe recipe;
  TaskDataOptions data_options;
  data_options.encode.max_length = seq2seq ? 512 : 128;
  data_options.encode.threads = 0;
  TaskEvalOptions eval_options;
  eval_options.generation.generate = seq2seq ? 64 : 0;
  for (const absl::Status& s :
       {flags.TakeNumber("epochs", &recipe.epochs), flags.TakeNumber("lr", &recipe.learning_rate),
        flags.TakeNumber("batch_size", &recipe.batch_size), flags.TakeNumber("weight_decay", &recipe.weight_decay),
        flags.TakeNumber("warmup_ratio", &recipe.warmup_ratio),
        flags.TakeNumber("max_grad_norm", &recipe.max_grad_norm), flags.TakeNumber("seed", &recipe.seed),
        flags.TakeNumber("log_every", &recipe.log_every, 0),
        flags.TakeNumber("max_length", &data_options.encode.max_length, 2),
        flags.TakeNumber("max_target_length", &data_options.encode.max_target_length, 1),
        flags.TakeNumber("max_train_examples", &data_options.max_train_examples, 0),
        flags.TakeNumber("max_eval_examples", &data_options.max_eval_examples, 0),
        flags.TakeNumber("threads", &data_options.encode.threads, 0),
        flags.TakeNumber("generate", &eval_options.generation.generate, 0),
        flags.TakeNumber("num_beams", &eval_options.generation.num_beams, 1)}) {
    if (!s.ok()) return Fail(s);
  }
  if (absl::Status s = CheckRecipe(recipe); !s.ok()) return Fail(s);
  if (data_options.encode.threads <= 0) data_options.encode.threads = static_cast<int>(std::thread::hardware_concurrency());
  eval_options.batch_size = recipe.batch_size;
  data_options.encode.source_prefix = flags.Take("source_prefix").value_or(seq2seq ? "summarize: " : "");
  data_options.train_split = flags.Take("train_split").value_or("");
  data_options.eval_split = flags.Take("eval_split").value_or("");
  if (std::optional<std::string> dir = flags.Take("data_dir")) data_options.data_dir = UserPath(*dir);
  if (std::optional<std::string> tok = flags.Take("tokenizer")) data_options.tokenizer = UserPath(*tok);
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  if (!overwrite.ok()) return Fail(overwrite.status());
  absl::StatusOr<Device> device = ParseDevice(flags.Take("device").value_or("cpu"));
  if (!device.ok()) return Fail(device.status());
  if (!flags.rest().empty()) return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  if (std::filesystem::exists(*output) && !std::filesystem::is_directory(*output)) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("--output=%s is a file, not a directory", *output)));
  }
  if (!*overwrite && std::filesystem::exists(*output) && !std::filesystem::is_empty(*output)) {
    return Fail(absl::AlreadyExistsError(
        absl::StrFormat("%s is not empty (it may hold an earlier run); pass --overwrite", *output)));
  }
  if (data_options.train_split == "-") {
    return Fail(absl::InvalidArgumentError("--train_split=- leaves nothing to fine-tune on"));
  }

  absl::StatusOr<ModelFamily> family = CheckpointFamily(*model_dir);
  if (!family.ok()) return Fail(family.status());
  absl::StatusOr<TaskData> data = LoadTaskData(**task, *family, *model_dir, data_options);
  if (!data.ok()) return Fail(data.status());
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, TaskLoadOptions(**task, *device, recipe.seed));
  if (!model.ok()) return Fail(model.status());
  std::fprintf(stderr, "lrbench finetune: %s on %s (%zu train from %s, %zu %s) on %s; %s\n", model_dir->c_str(),
               (*task)->id.c_str(), data->train.size(), data->train_path.c_str(), data->eval.size(),
               data->eval_split.c_str(), device->ToString().c_str(), (*model)->report().Summary().c_str());
  absl::StatusOr<FinetuneReport> report = Finetune(**model, data->train, data->eval, recipe, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return Fail(report.status());
  absl::StatusOr<TaskEvaluation> final_eval = EvaluateOnTask(**model, *data, eval_options);
  if (!final_eval.ok()) return Fail(final_eval.status());

  std::filesystem::create_directories(*output);
  if (absl::Status s = (*model)->Save(*output, *overwrite); !s.ok()) return Fail(s);
  // The tokenizer's files (e.g. vocab.txt and its tokenizer_config.json), so that the output encodes alike.
  for (const std::string& file : data->tokenizer_files) {
    absl::StatusOr<std::string> tokenizer_bytes = ReadFile(file);
    if (!tokenizer_bytes.ok()) return Fail(tokenizer_bytes.status());
    const std::string tokenizer_name = std::filesystem::path(file).filename().string();
    if (absl::Status s = WriteFileAtomically(*output + "/" + tokenizer_name, *tokenizer_bytes, /*overwrite=*/true);
        !s.ok()) {
      return Fail(s);
    }
  }
  const std::string predictions_path = *output + "/" + PredictionsFileName(*data);
  if (absl::Status s = WritePredictions(*data, final_eval->predictions, predictions_path, /*overwrite=*/true); !s.ok()) {
    return Fail(s);
  }

  nlohmann::json j;
  j["model"] = *model_dir;
  j["task"] = (*task)->id;
  j["device"] = device->ToString();
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
    return Fail(s);
  }
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace lrb
