// LoadTaskData's tokenizer choice for each checkpoint folder: the embedded default as before (vocab.txt +
// tokenizer_config.json, default settings, so run ids are unchanged), a cased BERT keeping case, RoBERTa
// from tokenizer.json (no token types) fine-tuning a step on RTE, and the refusals for a tokenizer that
// does not fit the checkpoint's config.json.
#include "experiment/task_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "runtime/model/config.h"
#include "tasks/task.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kBertMini[] = "third_party/embedded/models/bert-mini-mlm";
constexpr char kTokenizers[] = "third_party/fixtures/tokenizers/";
constexpr char kRobertaTiny[] = "third_party/fixtures/hf-parity-extra/roberta_tiny_cls2";

const TaskInfo& Task(const std::string& id) { return **FindTask(id); }

TaskDataOptions Small() {
  TaskDataOptions o;
  o.max_train_examples = 16;
  o.max_eval_examples = 16;
  o.encode.max_length = 64;
  return o;
}

std::string Copy(const std::string& from, const std::string& to_dir) {
  const std::string to = to_dir + "/" + std::filesystem::path(from).filename().string();
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  return to;
}

// A folder TMP/name with `config` (base config.json with `changes`) and the given tokenizer files.
std::string Checkpoint(const std::string& name, const std::string& base, const Json& changes,
                       const std::vector<std::string>& tokenizer_files) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::string> text = ReadFile(base + "/config.json");
  EXPECT_TRUE(text.ok()) << text.status();
  Json config = Json::parse(*text);
  config.update(changes);
  EXPECT_TRUE(WriteFileAtomically(dir + "/config.json", config.dump(2), true).ok());
  for (const std::string& f : tokenizer_files) Copy(f, dir);
  return dir;
}

TEST(LoadTaskDataTokenizer, EmbeddedDefaultReadsVocabTxtWithDefaultSettings) {
  absl::StatusOr<TaskData> data = LoadTaskData(Task("glue/rte"), ModelFamily::kBert, kBertMini, Small());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->tokenizer_path, std::string(kBertMini) + "/vocab.txt");
  EXPECT_THAT(data->tokenizer_files,
              ElementsAre(std::string(kBertMini) + "/vocab.txt", std::string(kBertMini) + "/tokenizer_config.json"));
  EXPECT_EQ(data->tokenizer_settings, "");
  ASSERT_FALSE(data->train.empty());
  EXPECT_EQ(data->train[0].input_ids.front(), 101);  // [CLS]
}

TEST(LoadTaskDataTokenizer, CasedBertKeepsCase) {
  const std::string dir = Checkpoint("bert_cased", kBertMini, {{"vocab_size", 33160}},
                                     {std::string(kTokenizers) + "bert_cased/vocab.txt",
                                      std::string(kTokenizers) + "bert_cased/tokenizer_config.json"});
  absl::StatusOr<TaskData> data = LoadTaskData(Task("glue/rte"), ModelFamily::kBert, dir, Small());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_THAT(data->tokenizer_settings, HasSubstr("lowercase=0"));
  EXPECT_EQ(data->tokenizer_files.size(), 2u);
  // Some capitalised entries (ids from 30522, the cased vocabulary's own) are used.
  int cased = 0;
  for (const Example& e : data->train) {
    for (int64_t id : e.input_ids) cased += id >= 30522;
  }
  EXPECT_GT(cased, 0);
}

TEST(LoadTaskDataTokenizer, RobertaFromTokenizerJsonFinetunesAStep) {
  const std::string dir = Checkpoint("roberta", kRobertaTiny, {{"vocab_size", 50262}, {"max_position_embeddings", 66}},
                                     {std::string(kTokenizers) + "roberta/tokenizer.json"});
  const TaskInfo& rte = Task("glue/rte");
  absl::StatusOr<TaskData> data = LoadTaskData(rte, ModelFamily::kRoberta, dir, Small());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->tokenizer_path, dir + "/tokenizer.json");
  for (const Example& e : data->train) {
    ASSERT_GE(e.input_ids.size(), 4u);
    EXPECT_EQ(e.input_ids.front(), 0);  // <s>
    EXPECT_EQ(e.input_ids.back(), 2);   // </s>
    EXPECT_LE(e.input_ids.size(), 64u);
    for (int64_t t : e.token_type_ids) EXPECT_EQ(t, 0);  // type_vocab_size 1
  }
  // A model of that config fine-tunes on the encoded examples.
  absl::StatusOr<ModelConfig> config = ReadModelConfig(dir);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create(*config, TaskLoadOptions(rte, Device(), 1));
  ASSERT_TRUE(model.ok()) << model.status();
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  recipe.batch_size = 8;
  recipe.learning_rate = 1e-4;
  recipe.log_every = 0;
  absl::StatusOr<FinetuneReport> report = Finetune(**model, data->train, data->eval, recipe, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->steps, 2);
  absl::StatusOr<TaskEvaluation> eval = EvaluateOnTask(**model, *data, {});
  ASSERT_TRUE(eval.ok()) << eval.status();
  EXPECT_EQ(eval->predictions.size(), data->eval.size());
}

TEST(LoadTaskDataTokenizer, RefusesATokenizerThatDoesNotFitTheCheckpoint) {
  // The tiny RoBERTa's 1000-entry embeddings cannot take GPT-2's ids.
  std::string dir = Checkpoint("roberta_small_vocab", kRobertaTiny, Json::object(),
                               {std::string(kTokenizers) + "roberta/tokenizer.json"});
  absl::StatusOr<TaskData> data = LoadTaskData(Task("glue/rte"), ModelFamily::kRoberta, dir, Small());
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("config.json has vocab_size 1000"));
  // A BERT tokenizer (token types 1, [PAD] = 0) on a RoBERTa checkpoint.
  dir = Checkpoint("roberta_bert_tokenizer", kRobertaTiny, {{"vocab_size", 50262}, {"pad_token_id", 0}},
                   {std::string(kTokenizers) + "bert_uncased/tokenizer.json"});
  data = LoadTaskData(Task("glue/rte"), ModelFamily::kRoberta, dir, Small());
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("type_vocab_size 1"));
  dir = Checkpoint("roberta_pad", kRobertaTiny, {{"vocab_size", 50262}},
                   {std::string(kTokenizers) + "bert_uncased/tokenizer.json"});
  data = LoadTaskData(Task("glue/rte"), ModelFamily::kRoberta, dir, Small());
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("pads with id 0, but"));
  // max_length above tokenizer_config.json's model_max_length (512).
  TaskDataOptions long_inputs = Small();
  long_inputs.encode.max_length = 1024;
  data = LoadTaskData(Task("glue/rte"), ModelFamily::kBert, kBertMini, long_inputs);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("above the tokenizer's model_max_length 512"));
  // No tokenizer at all.
  dir = Checkpoint("no_tokenizer", kRobertaTiny, Json::object(), {});
  data = LoadTaskData(Task("glue/rte"), ModelFamily::kRoberta, dir, Small());
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("looked for tokenizer.json, vocab.txt, vocab.json"));
}

}  // namespace
}  // namespace lrb
