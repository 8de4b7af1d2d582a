// Parity with Hugging Face transformers: each fixture holds a tiny random model and the outputs
// transformers computed for fixed inputs (float32, eval mode). Float32 noise is ~1e-5 (README of the
// fixtures); 1e-4 absolute leaves a 10x margin, while a real bug (a wrong mask, a missing scale, the
// wrong GELU) shows up at 1e-2 or more.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "harness/io/safetensors.h"
#include "harness/model/model.h"

namespace lrb {
namespace {

constexpr double kTolerance = 1e-4;
const char kFixtures[] = "third_party/fixtures/hf-parity/";

// The device the models run on: LRB_TEST_DEVICE (tools/cuda/build_and_test.sh sets "cuda"), else CPU.
LoadOptions OnTestDevice(LoadOptions options = {}) {
  const char* device = std::getenv("LRB_TEST_DEVICE");
  if (device != nullptr && *device != '\0') options.device = device;
  return options;
}

double MaxAbsDiff(const HostTensor& a, const HostTensor& b) {
  const std::vector<float> x = *HostTensorToFloats(a), y = *HostTensorToFloats(b);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(static_cast<double>(x[i]) - y[i]));
  return m;
}

void ExpectParity(const std::string& name, const std::vector<std::string>& outputs, const ForwardOptions& options) {
  const std::string dir = kFixtures + name;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir, OnTestDevice());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->report().initialised.empty()) << (*model)->report().Summary();
  absl::StatusOr<SafetensorsFile> expected = ReadSafetensors(dir + "/expected.safetensors");
  ASSERT_TRUE(expected.ok()) << expected.status();
  absl::StatusOr<SafetensorsFile> got = (*model)->Forward(*expected, options);
  ASSERT_TRUE(got.ok()) << got.status();
  for (const std::string& key : outputs) {
    const HostTensor* want = expected->Find(key);
    const HostTensor* have = got->Find(key);
    ASSERT_NE(want, nullptr) << key;
    ASSERT_NE(have, nullptr) << name << " produced no " << key;
    ASSERT_EQ(have->shape, want->shape) << key;
    if (want->dtype == DType::kI64) {
      EXPECT_EQ(*HostTensorToInt64(*have), *HostTensorToInt64(*want)) << name << " " << key;
    } else {
      EXPECT_LT(MaxAbsDiff(*have, *want), kTolerance) << name << " " << key;
    }
  }
}

TEST(ParityTest, BertForSequenceClassification) {
  ExpectParity("bert_tiny_cls3", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST(ParityTest, DistilBertForSequenceClassification) {
  ExpectParity("distilbert_tiny_cls2", {"embedding_output", "last_hidden_state", "logits"}, {});
}

// Made by tools/cuda/make_parity_fixtures.py (transformers 5.17) where the shared set has none.
TEST(ParityTest, RobertaForSequenceClassification) {
  ExpectParity("../hf-parity-extra/roberta_tiny_cls2", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST(ParityTest, BertForMaskedLmWithTiedDecoder) {
  ExpectParity("../hf-parity-extra/bert_tiny_mlm", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST(ParityTest, T5GatedGeluWithGreedyGeneration) {
  // The fixture generated 10 new tokens with min_new_tokens 10.
  ExpectParity("t5_tiny_gated_untied", {"encoder_last_hidden_state", "logits", "greedy_generate"},
               {.generate = 10, .min_new_tokens = 10});
}

TEST(ModelLoadTest, AHeadTheCheckpointLacksIsInitialisedAndReported) {
  LoadOptions options;
  options.head = HeadKind::kMaskedLm;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(std::string(kFixtures) + "bert_tiny_cls3", OnTestDevice(options));
  ASSERT_TRUE(model.ok()) << model.status();
  const LoadReport& report = (*model)->report();
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_TRUE(has(report.initialised, "cls.predictions.transform.dense.weight")) << report.Summary();
  EXPECT_TRUE(has(report.unexpected, "classifier.weight")) << report.Summary();
  absl::StatusOr<SafetensorsFile> expected =
      ReadSafetensors(std::string(kFixtures) + "bert_tiny_cls3/expected.safetensors");
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(*expected);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->Find("logits")->shape, (std::vector<int64_t>{3, 17, 1000}));
  // The encoder is the checkpoint's: its hidden states are unchanged by the head swap.
  EXPECT_LT(MaxAbsDiff(*out->Find("last_hidden_state"), *expected->Find("last_hidden_state")), kTolerance);
}

TEST(ModelLoadTest, AHeadOfTheWrongSizeIsAShapeError) {
  LoadOptions options;
  options.num_labels = 5;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(std::string(kFixtures) + "bert_tiny_cls3", OnTestDevice(options));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("'classifier.weight' has shape [3, 64], the model expects [5, 64]"),
            std::string::npos)
      << model.status();
}

TEST(ModelLoadTest, MissingDirectoryAndBadInputsAreErrors) {
  absl::StatusOr<std::unique_ptr<Model>> missing = Model::Load("/nonexistent/model");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model"), std::string::npos) << missing.status();
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(std::string(kFixtures) + "bert_tiny_cls3", OnTestDevice());
  ASSERT_TRUE(model.ok());
  SafetensorsFile inputs;
  ASSERT_TRUE(inputs.Add("input_ids", *HostTensorFromInt64({1, 3}, std::vector<int64_t>{1, 5, 1000})).ok());
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(inputs);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("outside [0, 1000)"), std::string::npos) << out.status();
  SafetensorsFile no_ids;
  EXPECT_FALSE((*model)->Forward(no_ids).ok());
}

}  // namespace
}  // namespace lrb
