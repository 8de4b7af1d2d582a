#include "experiment/task_model.h"

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "runtime/model/config.h"
#include "tasks/data.h"
#include "tasks/tokenizers/load.h"
#include "tasks/tokenizers/text_tokenizer.h"

namespace lrb {
namespace {

const char* FamilyName(ModelFamily family) {
  switch (family) {
    case ModelFamily::kBert:
      return "bert";
    case ModelFamily::kDistilBert:
      return "distilbert";
    case ModelFamily::kRoberta:
      return "roberta";
    case ModelFamily::kT5:
      return "t5";
  }
  return "?";
}

absl::Status CheckFamily(const TaskInfo& task, ModelFamily family, const std::string& model_dir) {
  const bool seq2seq = task.kind == TaskKind::kSequenceToSequence;
  if (seq2seq && family != ModelFamily::kT5) {
    return absl::InvalidArgumentError(absl::StrFormat("%s is a sequence-to-sequence task; %s is a %s model (use T5)",
                                                      task.id, model_dir, FamilyName(family)));
  }
  if (!seq2seq && family == ModelFamily::kT5) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s needs an encoder with a classification head; %s is a T5 model", task.id, model_dir));
  }
  return absl::OkStatus();
}

// Reads one split (empty name: none) and keeps the path.
// Reads one split (empty name: none); with a limit below the split's size, keeps a seeded random subset in
// file order (files are often sorted by label: IMDB's negatives come first).
absl::Status ReadOne(const TaskInfo& task, const std::string& split, const std::vector<std::string>& roots,
                     int64_t limit, std::vector<TextExample>* out, std::string* path) {
  if (split.empty()) return absl::OkStatus();
  absl::StatusOr<ReadResult> r = ReadSplit(task, split, roots, ReadOptions{});
  if (!r.ok()) return r.status();
  *path = r->path;
  std::vector<TextExample>& all = r->examples;
  if (limit <= 0 || limit >= static_cast<int64_t>(all.size())) {
    *out = std::move(all);
    return absl::OkStatus();
  }
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(kSubsetSeed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(static_cast<size_t>(limit));
  std::sort(order.begin(), order.end());
  out->clear();
  for (size_t i : order) out->push_back(std::move(all[i]));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelFamily> CheckpointFamily(const std::string& model_dir) {
  absl::StatusOr<ModelConfig> config = ReadModelConfig(model_dir);
  if (!config.ok()) return config.status();
  return config->family;
}

absl::StatusOr<TaskData> LoadTaskData(const TaskInfo& task, ModelFamily family, const std::string& model_dir,
                                      const TaskDataOptions& options) {
  if (absl::Status s = CheckFamily(task, family, model_dir); !s.ok()) return s;
  if (options.data_dir) {
    if (absl::Status s = CheckDataDir(*options.data_dir); !s.ok()) return s;
  }
  TaskData data;
  data.task = &task;
  data.train_split = options.train_split == "-" ? "" : options.train_split.empty() ? task.train_split : options.train_split;
  data.eval_split = options.eval_split.empty() ? task.eval_split : options.eval_split;
  absl::StatusOr<const SplitInfo*> eval_info = task.Split(data.eval_split);
  if (!eval_info.ok()) return eval_info.status();
  if (!(*eval_info)->labeled) {
    return absl::InvalidArgumentError(
        absl::StrFormat("split %s of %s has no gold labels; evaluate on %s", data.eval_split, task.id, task.eval_split));
  }
  if (!data.train_split.empty()) {
    absl::StatusOr<const SplitInfo*> train_info = task.Split(data.train_split);
    if (!train_info.ok()) return train_info.status();
    if (!(*train_info)->labeled) {
      return absl::InvalidArgumentError(
          task.train_split.empty()
              ? absl::StrFormat("split %s of %s has no gold labels, and %s has no train split", data.train_split,
                                task.id, task.id)
              : absl::StrFormat("split %s of %s has no gold labels; train on %s", data.train_split, task.id,
                                task.train_split));
    }
  }
  const std::vector<std::string> roots = DataRoots(options.data_dir);
  if (absl::Status s = ReadOne(task, data.train_split, roots, options.max_train_examples, &data.train_text,
                               &data.train_path);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadOne(task, data.eval_split, roots, options.max_eval_examples, &data.eval_text,
                               &data.eval_path);
      !s.ok()) {
    return s;
  }
  const bool seq2seq = task.kind == TaskKind::kSequenceToSequence;
  if (seq2seq) {
    data.tokenizer_path = !options.tokenizer.empty() ? options.tokenizer : model_dir + "/spiece.model";
  } else if (!options.tokenizer.empty()) {
    data.tokenizer_path = options.tokenizer;
  } else {
    absl::StatusOr<std::string> found = FindTokenizerFile(model_dir);
    if (!found.ok()) return found.status();
    data.tokenizer_path = *found;
  }
  if (!PathExists(data.tokenizer_path)) {
    return absl::NotFoundError(absl::StrFormat("tokenizer %s not found (pass --tokenizer=FILE)", data.tokenizer_path));
  }
  data.tokenizer_files = {data.tokenizer_path};
  if (seq2seq && !options.encode_examples) return data;
  if (seq2seq) {
    absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> spm = SentencePieceTokenizer::Load(data.tokenizer_path);
    if (!spm.ok()) return spm.status();
    data.spm = std::move(*spm);
    for (auto [text, out, stats] : {std::make_tuple(&data.train_text, &data.train, &data.train_stats),
                                    std::make_tuple(&data.eval_text, &data.eval, &data.eval_stats)}) {
      absl::StatusOr<std::vector<Example>> encoded = EncodeSentencePiece(*text, *data.spm, options.encode, stats);
      if (!encoded.ok()) return encoded.status();
      *out = std::move(*encoded);
    }
    return data;
  }
  TokenizerConfig tokenizer_config;
  absl::StatusOr<std::unique_ptr<TextTokenizer>> tokenizer = LoadTextTokenizer(data.tokenizer_path, &tokenizer_config);
  if (!tokenizer.ok()) return tokenizer.status();
  data.tokenizer_settings = (*tokenizer)->Settings();
  data.tokenizer_files = TokenizerFiles(data.tokenizer_path);
  const std::filesystem::path dir = std::filesystem::path(data.tokenizer_path).parent_path();
  if (tokenizer_config.model_max_length && options.encode.max_length > *tokenizer_config.model_max_length) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_length %d is above the tokenizer's model_max_length %d (%s/tokenizer_config.json)",
        options.encode.max_length, *tokenizer_config.model_max_length, dir.string()));
  }
  absl::StatusOr<ModelConfig> config = ReadModelConfig(model_dir);
  if (!config.ok()) return config.status();
  if ((*tokenizer)->pad_id() >= 0 && (*tokenizer)->pad_id() != config->pad_token_id) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tokenizer %s pads with id %d, but %s/config.json has pad_token_id %d", data.tokenizer_path,
        (*tokenizer)->pad_id(), model_dir, config->pad_token_id));
  }
  if (!options.encode_examples) return data;
  for (auto [text, out, stats] : {std::make_tuple(&data.train_text, &data.train, &data.train_stats),
                                  std::make_tuple(&data.eval_text, &data.eval, &data.eval_stats)}) {
    absl::StatusOr<std::vector<Example>> encoded = EncodeText(task, *text, **tokenizer, options.encode, stats);
    if (!encoded.ok()) return encoded.status();
    *out = std::move(*encoded);
  }
  // The ids must index the checkpoint's embeddings (DistilBERT has no token types).
  int64_t max_id = -1, max_type = -1;
  for (const std::vector<Example>* examples : {&data.train, &data.eval}) {
    for (const Example& e : *examples) {
      for (int64_t id : e.input_ids) max_id = std::max(max_id, id);
      for (int64_t t : e.token_type_ids) max_type = std::max(max_type, t);
    }
  }
  if (max_id >= config->vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tokenizer %s gives token id %d, but %s/config.json has vocab_size %d", data.tokenizer_path,
                        max_id, model_dir, config->vocab_size));
  }
  if (family != ModelFamily::kDistilBert && max_type >= std::max<int64_t>(config->type_vocab_size, 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tokenizer %s gives token type %d, but %s/config.json has type_vocab_size %d (a %s checkpoint's tokenizer?)",
        data.tokenizer_path, max_type, model_dir, config->type_vocab_size, FamilyName(family)));
  }
  return data;
}

LoadOptions TaskLoadOptions(const TaskInfo& task, const Device& device, uint64_t seed) {
  LoadOptions load;
  load.device = device;
  load.seed = seed;
  switch (task.kind) {
    case TaskKind::kClassification:
      load.head = HeadKind::kSequenceClassification;
      load.num_labels = static_cast<int64_t>(task.label_names.size());
      break;
    case TaskKind::kRegression:
      load.head = HeadKind::kSequenceClassification;
      load.num_labels = 1;
      break;
    case TaskKind::kSequenceToSequence:
      load.head = HeadKind::kConditionalGeneration;
      break;
  }
  return load;
}

absl::StatusOr<TaskEvaluation> EvaluateOnTask(Model& model, const TaskData& data, const TaskEvalOptions& options) {
  const bool seq2seq = data.task->kind == TaskKind::kSequenceToSequence;
  if (seq2seq && options.generation.generate <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is scored on generated text: give a generation length > 0", data.task->id));
  }
  EvaluateOptions evaluate;
  evaluate.batch_size = options.batch_size;
  evaluate.progress = options.progress;
  if (seq2seq) evaluate.generation = options.generation;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Evaluation> evaluation = Evaluate(model, data.eval, evaluate);
  if (!evaluation.ok()) return evaluation.status();
  TaskEvaluation out;
  out.evaluation = std::move(*evaluation);
  if (seq2seq) {
    for (const std::vector<int64_t>& ids : out.evaluation.generated) {
      absl::StatusOr<std::string> text = data.spm->Decode(ids);
      if (!text.ok()) return text.status();
      out.predictions.push_back({0, std::move(*text)});
    }
  } else {
    for (float p : out.evaluation.predictions) out.predictions.push_back({p, ""});
  }
  absl::StatusOr<Scores> scores = ScorePredictions(*data.task, data.eval_text, out.predictions);
  if (!scores.ok()) return scores.status();
  out.scores = std::move(*scores);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string PredictionsFileName(const TaskData& data) {
  const bool glue = data.task->format == TaskFormat::kGlueTsv;
  return absl::StrCat("predictions_", data.eval_split, glue ? ".tsv" : ".jsonl");
}

absl::Status WritePredictions(const TaskData& data, const std::vector<Prediction>& predictions,
                              const std::string& path, bool overwrite) {
  if (predictions.size() != data.eval_text.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d predictions for %d examples", predictions.size(), data.eval_text.size()));
  }
  const TaskInfo& task = *data.task;
  const bool tsv = absl::EndsWith(path, ".tsv");
  std::string out = tsv ? "index\tprediction\n" : "";
  for (size_t i = 0; i < predictions.size(); ++i) {
    const Prediction& p = predictions[i];
    std::string value;
    if (task.kind == TaskKind::kClassification) {
      value = task.label_names.at(static_cast<size_t>(p.label));
    } else if (task.kind == TaskKind::kRegression) {
      value = absl::StrFormat("%.6g", p.label);
    } else {
      value = p.text;
    }
    if (tsv) {
      if (value.find_first_of("\t\n") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrFormat("%s: prediction for %s holds a tab or newline; use .jsonl",
                                                          path, data.eval_text[i].id));
      }
      absl::StrAppend(&out, data.eval_text[i].id, "\t", value, "\n");
    } else {
      nlohmann::json line = {{"id", data.eval_text[i].id}, {"prediction", value}};
      absl::StrAppend(&out, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "\n");
    }
  }
  return WriteFileAtomically(path, out, overwrite);
}

}  // namespace lrb
