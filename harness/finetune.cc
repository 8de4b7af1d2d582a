// `lrbench finetune`: fine-tunes a checkpoint with a classification head on a task's train split and
// evaluates on dev after each epoch. Until the task registry exists (issue #4) it reads GLUE SST-2
// directly: DATA_DIR/glue/SST-2/{train,dev}.tsv ("sentence<TAB>label" with a header).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/file.h"
#include "harness/model/model.h"
#include "harness/model/training.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench finetune: %s\n", std::string(status.message()).c_str());
  return 1;
}

// SST-2 rows "sentence<TAB>label", header first; every malformed row is an error naming file and line.
absl::StatusOr<std::vector<Example>> ReadSst2(const std::string& path, const WordPieceTokenizer& tokenizer,
                                              int64_t max_length, int64_t limit) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<Example> out;
  int64_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 || line.empty()) continue;  // header
    std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
    int label = 0;
    if (cols.size() != 2 || !absl::SimpleAtoi(cols[1], &label) || (label != 0 && label != 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: expected 'sentence<TAB>0|1', got %d column(s)", path, line_no, cols.size()));
    }
    absl::StatusOr<WordPieceEncoding> enc = tokenizer.Encode(std::string(cols[0]), max_length);
    if (!enc.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", path, line_no, enc.status().message()));
    out.push_back({std::move(enc->input_ids), std::move(enc->token_type_ids), static_cast<float>(label)});
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
  }
  return out;
}

// The data root: --data_dir, else $LRB_DATA_DIR, else ../shared/data beside the workspace.
std::string DataDir(const std::optional<std::string>& flag) {
  if (flag) return UserPath(*flag);
  if (const char* env = std::getenv("LRB_DATA_DIR"); env != nullptr && *env != '\0') return env;
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return std::string(ws != nullptr ? ws : ".") + "/../shared/data";
}

template <typename T>
absl::Status TakeNumber(Flags& flags, const std::string& name, T* value) {
  std::optional<std::string> text = flags.Take(name);
  if (!text) return absl::OkStatus();
  bool ok = false;
  if constexpr (std::is_floating_point_v<T>) {
    ok = absl::SimpleAtod(*text, value);
  } else {
    ok = absl::SimpleAtoi(*text, value);
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrFormat("--%s=%s is not a number", name, *text));
  return absl::OkStatus();
}

}  // namespace

int RunFinetune(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  std::optional<std::string> model_dir = flags.Take("model"), task = flags.Take("task"), output = flags.Take("output");
  if (!model_dir || !task || !output) {
    std::fprintf(stderr, "lrbench finetune: --model, --task and --output are required (see lrbench --help)\n");
    return 2;
  }
  if (*task != "glue/sst2") {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("unknown task '%s' (available now: glue/sst2)", *task)));
  }
  model_dir = UserPath(*model_dir);
  output = UserPath(*output);
  FinetuneRecipe recipe;
  int64_t max_length = 64, max_train = 0;
  for (const absl::Status& s : {TakeNumber(flags, "epochs", &recipe.epochs), TakeNumber(flags, "lr", &recipe.learning_rate),
                                TakeNumber(flags, "batch_size", &recipe.batch_size),
                                TakeNumber(flags, "weight_decay", &recipe.weight_decay),
                                TakeNumber(flags, "warmup_ratio", &recipe.warmup_ratio),
                                TakeNumber(flags, "max_grad_norm", &recipe.max_grad_norm),
                                TakeNumber(flags, "seed", &recipe.seed), TakeNumber(flags, "max_length", &max_length),
                                TakeNumber(flags, "max_train_examples", &max_train),
                                TakeNumber(flags, "log_every", &recipe.log_every)}) {
    if (!s.ok()) return Fail(s);
  }
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  if (!overwrite.ok()) return Fail(overwrite.status());
  const std::string device = flags.Take("device").value_or("cpu");
  const std::string data_dir = DataDir(flags.Take("data_dir"));
  std::optional<std::string> vocab_flag = flags.Take("vocab");
  if (!flags.rest().empty()) return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  if (!*overwrite && std::filesystem::exists(*output + "/model.safetensors")) {
    return Fail(absl::AlreadyExistsError(absl::StrFormat("%s already holds a model; pass --overwrite", *output)));
  }

  const std::string vocab = vocab_flag ? UserPath(*vocab_flag) : *model_dir + "/vocab.txt";
  absl::StatusOr<WordPieceTokenizer> tokenizer = WordPieceTokenizer::Load(vocab);
  if (!tokenizer.ok()) return Fail(tokenizer.status());
  const std::string sst2 = data_dir + "/glue/SST-2";
  absl::StatusOr<std::vector<Example>> train = ReadSst2(sst2 + "/train.tsv", *tokenizer, max_length, max_train);
  if (!train.ok()) return Fail(train.status());
  absl::StatusOr<std::vector<Example>> dev = ReadSst2(sst2 + "/dev.tsv", *tokenizer, max_length, 0);
  if (!dev.ok()) return Fail(dev.status());

  LoadOptions load;
  load.device = device;
  load.head = HeadKind::kSequenceClassification;
  load.num_labels = 2;
  load.seed = recipe.seed;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, load);
  if (!model.ok()) return Fail(model.status());
  std::fprintf(stderr, "lrbench finetune: %s on %s (%zu train, %zu dev) on %s; %s\n", model_dir->c_str(), task->c_str(),
               train->size(), dev->size(), device.c_str(), (*model)->report().Summary().c_str());
  absl::StatusOr<FinetuneReport> report = Finetune(**model, *train, *dev, recipe, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return Fail(report.status());
  if (absl::Status s = (*model)->Save(*output, *overwrite); !s.ok()) return Fail(s);

  nlohmann::json j;
  j["model"] = *model_dir;
  j["task"] = *task;
  j["device"] = device;
  j["recipe"] = {{"epochs", recipe.epochs}, {"lr", recipe.learning_rate}, {"batch_size", recipe.batch_size},
                 {"max_length", max_length}, {"weight_decay", recipe.weight_decay},
                 {"warmup_ratio", recipe.warmup_ratio}, {"max_grad_norm", recipe.max_grad_norm},
                 {"seed", recipe.seed}, {"optimizer", "AdamW(0.9, 0.999, 1e-8), linear decay"}};
  j["train_examples"] = train->size();
  j["steps"] = report->steps;
  j["seconds"] = report->seconds;
  j["train_examples_per_second"] = report->examples_per_second;
  for (size_t e = 0; e < report->epoch_dev.size(); ++e) {
    j["epochs"].push_back({{"train_loss", report->epoch_train_loss[e]},
                           {"dev_loss", report->epoch_dev[e].loss},
                           {"dev_accuracy", report->epoch_dev[e].accuracy},
                           {"dev_count", report->epoch_dev[e].count}});
  }
  if (absl::Status s = WriteFileAtomically(*output + "/finetune.json", j.dump(2) + "\n", /*overwrite=*/true); !s.ok()) {
    return Fail(s);
  }
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace lrb
