#include "harness/model/training.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "gtest/gtest.h"
#include "harness/io/safetensors.h"

namespace lrb {
namespace {

const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";

// A task the tiny model can only solve by learning: the class is the id of the second token mod 3.
std::vector<Example> SyntheticTask(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < count; ++i) {
    Example e;
    const int len = 4 + static_cast<int>(rng() % 9);
    e.input_ids.push_back(101 % 1000);
    for (int t = 1; t < len - 1; ++t) e.input_ids.push_back(5 + static_cast<int64_t>(rng() % 60));
    e.input_ids.push_back(102 % 1000);
    e.token_type_ids.assign(e.input_ids.size(), 0);
    e.label = static_cast<float>(e.input_ids[1] % 3);
    out.push_back(e);
  }
  return out;
}

TEST(FinetuneTest, LearnsASyntheticTaskAndReportsProgress) {
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kBert);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<Example> train = SyntheticTask(192, 1);
  absl::StatusOr<Evaluation> before = Evaluate(**model, train, 64);
  ASSERT_TRUE(before.ok()) << before.status();
  FinetuneRecipe recipe;
  recipe.epochs = 12;
  recipe.learning_rate = 3e-3;
  recipe.batch_size = 16;
  recipe.log_every = 24;
  std::vector<std::string> lines;
  absl::StatusOr<FinetuneReport> report =
      Finetune(**model, train, train, recipe, [&](const std::string& line) { lines.push_back(line); });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->steps, 12 * 12);
  // Step lines carry an ETA; each epoch ends with a dev line.
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("eta") != std::string::npos; }),
            12 * 12 / 24);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("dev accuracy") != std::string::npos; }),
            12);
  // Chance is 1/3 and the initial loss about ln 3; a model that learned the rule is far below both.
  EXPECT_LT(report->epoch_dev.back().loss, 0.5 * before->loss);
  EXPECT_GT(report->epoch_dev.back().accuracy, 0.9);
}

TEST(FinetuneTest, SavedModelReloadsWithIdenticalOutputs) {
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kBert);
  ASSERT_TRUE(model.ok()) << model.status();
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  recipe.learning_rate = 1e-3;
  ASSERT_TRUE(Finetune(**model, SyntheticTask(32, 2), {}, recipe, nullptr).ok());
  const std::string dir = ::testing::TempDir() + "/saved_bert";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE((*model)->Save(dir, /*overwrite=*/false).ok());
  EXPECT_FALSE((*model)->Save(dir, /*overwrite=*/false).ok()) << "an existing model must not be replaced silently";
  absl::StatusOr<std::unique_ptr<Model>> reloaded = Model::Load(dir);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE((*reloaded)->report().initialised.empty());
  EXPECT_TRUE((*reloaded)->report().unexpected.empty()) << (*reloaded)->report().Summary();
  SafetensorsFile inputs;
  ASSERT_TRUE(inputs.Add("input_ids", *HostTensorFromInt64({1, 4}, std::vector<int64_t>{101, 7, 9, 102})).ok());
  const std::vector<float> a = *HostTensorToFloats(*(*model)->Forward(inputs)->Find("logits"));
  const std::vector<float> b = *HostTensorToFloats(*(*reloaded)->Forward(inputs)->Find("logits"));
  EXPECT_EQ(a, b);  // float32 weights stored exactly
}

TEST(FinetuneTest, RefusesLabelsTheHeadCannotHold) {
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kBert);
  ASSERT_TRUE(model.ok());
  std::vector<Example> bad = SyntheticTask(4, 3);
  bad[2].label = 3;
  absl::StatusOr<FinetuneReport> r = Finetune(**model, bad, {}, FinetuneRecipe(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train example 2 has label 3; the head has 3 classes"), std::string::npos)
      << r.status();
}

TEST(StatisticsTest, InputSecondMomentIsXtXOfTheLayerInputs) {
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kBert);
  ASSERT_TRUE(model.ok());
  absl::StatusOr<SafetensorsFile> fixture = ReadSafetensors(std::string(kBert) + "/expected.safetensors");
  // The fixture's first row as one example (its padding stripped): the query of layer 0 sees the
  // embedding output of those tokens.
  const std::vector<int64_t> ids = *HostTensorToInt64(*fixture->Find("input_ids"));
  const std::vector<int64_t> mask = *HostTensorToInt64(*fixture->Find("attention_mask"));
  Example e;
  for (int t = 0; t < 17 && mask[t] == 1; ++t) e.input_ids.push_back(ids[t]);
  e.token_type_ids = std::vector<int64_t>(*HostTensorToInt64(*fixture->Find("token_type_ids")));
  e.token_type_ids.resize(e.input_ids.size());
  StatisticsOptions options;
  options.pattern = "bert.encoder.layer.0.attention.self.query";
  absl::StatusOr<std::map<std::string, LayerStatistics>> stats = CollectStatistics(**model, {e, e}, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  const LayerStatistics& s = stats->at(options.pattern);
  EXPECT_EQ(s.input_rows, 2 * static_cast<int64_t>(e.input_ids.size()));
  // Reference: the embedding output of the same tokens, from a plain forward pass.
  SafetensorsFile in;
  ASSERT_TRUE(in.Add("input_ids", *HostTensorFromInt64({1, static_cast<int64_t>(e.input_ids.size())}, e.input_ids)).ok());
  ASSERT_TRUE(
      in.Add("token_type_ids", *HostTensorFromInt64({1, static_cast<int64_t>(e.input_ids.size())}, e.token_type_ids)).ok());
  const std::vector<float> emb = *HostTensorToFloats(*(*model)->Forward(in)->Find("embedding_output"));
  const int64_t n = static_cast<int64_t>(e.input_ids.size()), d = 64;
  double max_diff = 0, max_value = 0;
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      double ref = 0;
      for (int64_t t = 0; t < n; ++t) ref += 2.0 * emb[t * d + i] * emb[t * d + j];
      max_diff = std::max(max_diff, std::abs(ref - s.input_second_moment(i, j)));
      max_value = std::max(max_value, std::abs(ref));
    }
  }
  EXPECT_LT(max_diff, 1e-5 * max_value);  // float32 inputs, float64 accumulation
}

TEST(StatisticsTest, FisherAndSensitivityAreNonNegativeAndAMeanOverBatches) {
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kBert);
  ASSERT_TRUE(model.ok());
  StatisticsOptions options;
  options.sensitivity = true;
  options.batch_size = 1;  // one example per batch, so duplicating the data duplicates the batches exactly
  std::vector<Example> data = SyntheticTask(24, 5);
  absl::StatusOr<std::map<std::string, LayerStatistics>> once = CollectStatistics(**model, data, options);
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_EQ(once->size(), 14u);  // every linear, classifier and pooler included
  // The same batches twice: the mean squared gradient is unchanged (it is a mean, not a sum).
  std::vector<Example> twice = data;
  twice.insert(twice.end(), data.begin(), data.end());
  absl::StatusOr<std::map<std::string, LayerStatistics>> doubled = CollectStatistics(**model, twice, options);
  ASSERT_TRUE(doubled.ok());
  for (const auto& [name, s] : *once) {
    EXPECT_GE(s.fisher.minCoeff(), 0.0f) << name;
    EXPECT_GT(s.fisher.maxCoeff(), 0.0f) << name;
    EXPECT_GE(s.sensitivity.minCoeff(), 0.0f) << name;
    EXPECT_EQ(s.input_second_moment.rows(), s.fisher.cols());
    const LayerStatistics& d = doubled->at(name);
    EXPECT_EQ(d.batches, 2 * s.batches);
    EXPECT_LT((d.fisher - s.fisher).norm(), 1e-5 * s.fisher.norm()) << name;  // a mean: unchanged
    EXPECT_LT((d.input_second_moment - 2 * s.input_second_moment).norm(), 1e-5 * s.input_second_moment.norm())
        << name;  // a sum over tokens: doubled
  }
}

}  // namespace
}  // namespace lrb
