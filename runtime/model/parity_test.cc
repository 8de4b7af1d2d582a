// Parity with Hugging Face transformers: each fixture holds a tiny random model and the outputs
// transformers computed for fixed inputs (float32, eval mode). Float32 noise is ~1e-5 (README of the
// fixtures); 1e-4 absolute leaves a 10x margin, while a real bug (a wrong mask, a missing scale, the
// wrong GELU) shows up at 1e-2 or more.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "base/safetensors.h"
#include "runtime/model/model.h"

namespace lrb {
namespace {

constexpr double kTolerance = 1e-4;
const char kFixtures[] = "third_party/fixtures/hf-parity/";

// Every test runs once per device: "cpu", and "cuda", skipped (with the reason) where CUDA is not available
// (Debian's LibTorch is CPU-only; a build with --config=cuda on a GPU runs both).
class DeviceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    absl::StatusOr<Device> parsed = ParseDevice(GetParam());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const absl::Status device = CheckDevice(*parsed);
    if (!device.ok()) GTEST_SKIP() << device.message();
    device_ = *parsed;
  }
  LoadOptions OnTestDevice(LoadOptions options = {}) const {
    options.device = device_;
    return options;
  }
  Device device_;
};

class ParityTest : public DeviceTest {
 protected:
  // The fixture's model on the test's device reproduces transformers' `outputs`.
  void ExpectParity(const std::string& name, const std::vector<std::string>& outputs, const ForwardOptions& options);
};
class GenerationTest : public DeviceTest {};
class ModelLoadTest : public DeviceTest {};

double MaxAbsDiff(const HostTensor& a, const HostTensor& b) {
  const std::vector<float> x = *HostTensorToFloats(a), y = *HostTensorToFloats(b);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(static_cast<double>(x[i]) - y[i]));
  return m;
}

void ParityTest::ExpectParity(const std::string& name, const std::vector<std::string>& outputs,
                              const ForwardOptions& options) {
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

TEST_P(ParityTest, BertForSequenceClassification) {
  ExpectParity("bert_tiny_cls3", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST_P(ParityTest, DistilBertForSequenceClassification) {
  ExpectParity("distilbert_tiny_cls2", {"embedding_output", "last_hidden_state", "logits"}, {});
}

// Made by tools/cuda/make_parity_fixtures.py (transformers 5.17) where the shared set has none.
TEST_P(ParityTest, RobertaForSequenceClassification) {
  ExpectParity("../hf-parity-extra/roberta_tiny_cls2", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST_P(ParityTest, BertForMaskedLmWithTiedDecoder) {
  ExpectParity("../hf-parity-extra/bert_tiny_mlm", {"embedding_output", "last_hidden_state", "logits"}, {});
}

TEST_P(ParityTest, T5GatedGeluWithGreedyGeneration) {
  // The fixture generated 10 new tokens with min_new_tokens 10.
  ExpectParity("t5_tiny_gated_untied", {"encoder_last_hidden_state", "logits", "greedy_generate"},
               {.generate = 10, .min_new_tokens = 10});
}

// Sum over the generated tokens of log p(token | prefix), by a teacher-forced forward pass.
double SequenceLogProb(Model& model, const SafetensorsFile& inputs, const std::vector<int64_t>& seq, int64_t row,
                       int64_t len) {
  SafetensorsFile in;
  const HostTensor* ids = inputs.Find("input_ids");
  const HostTensor* mask = inputs.Find("attention_mask");
  const int64_t s = ids->shape[1];
  const std::vector<int64_t> all_ids = *HostTensorToInt64(*ids), all_mask = *HostTensorToInt64(*mask);
  EXPECT_TRUE(in.Add("input_ids", *HostTensorFromInt64({1, s}, std::vector<int64_t>(all_ids.begin() + row * s,
                                                                                    all_ids.begin() + (row + 1) * s))).ok());
  EXPECT_TRUE(in.Add("attention_mask", *HostTensorFromInt64({1, s}, std::vector<int64_t>(all_mask.begin() + row * s,
                                                                                         all_mask.begin() + (row + 1) * s))).ok());
  EXPECT_TRUE(in.Add("decoder_input_ids", *HostTensorFromInt64({1, len - 1}, std::vector<int64_t>(seq.begin(), seq.begin() + len - 1))).ok());
  const HostTensor logits = *(*model.Forward(in)).Find("logits");
  const std::vector<float> v = *HostTensorToFloats(logits);
  const int64_t vocab = logits.shape[2];
  double total = 0;
  for (int64_t t = 0; t + 1 < len; ++t) {
    const float* row_logits = v.data() + t * vocab;
    double mx = -1e30, z = 0;
    for (int64_t i = 0; i < vocab; ++i) mx = std::max<double>(mx, row_logits[i]);
    for (int64_t i = 0; i < vocab; ++i) z += std::exp(row_logits[i] - mx);
    total += row_logits[seq[t + 1]] - mx - std::log(z);
  }
  return total;
}

// Beam search keeps the greedy path among its candidates at the first step and ranks by the summed
// log-probability (length penalty 0; EOS suppressed so every hypothesis has the same length): its best
// sequence scores at least as high as the greedy one on these inputs.
TEST_P(GenerationTest, BeamSearchFindsAtLeastAsLikelyASequenceAsGreedy) {
  const std::string dir = std::string(kFixtures) + "t5_tiny_gated_untied";
  std::unique_ptr<Model> model = *Model::Load(dir, OnTestDevice());
  SafetensorsFile inputs = *ReadSafetensors(dir + "/expected.safetensors");
  ForwardOptions greedy{.generate = 10, .min_new_tokens = 10};
  ForwardOptions beam{.generate = 10, .min_new_tokens = 10, .num_beams = 4, .length_penalty = 0.0};
  const HostTensor g = *model->Forward(inputs, greedy)->Find("greedy_generate");
  const HostTensor b = *model->Forward(inputs, beam)->Find("beam_generate");
  ASSERT_EQ(b.shape, g.shape);
  const std::vector<int64_t> gv = *HostTensorToInt64(g), bv = *HostTensorToInt64(b);
  for (int64_t row = 0; row < 2; ++row) {
    const std::vector<int64_t> gs(gv.begin() + row * 11, gv.begin() + (row + 1) * 11);
    const std::vector<int64_t> bs(bv.begin() + row * 11, bv.begin() + (row + 1) * 11);
    EXPECT_EQ(bs[0], 0);  // decoder start token
    EXPECT_GE(SequenceLogProb(*model, inputs, bs, row, 11), SequenceLogProb(*model, inputs, gs, row, 11) - 1e-4) << row;
  }
  // One beam is greedy decoding.
  ForwardOptions one{.generate = 10, .min_new_tokens = 10, .num_beams = 1};
  EXPECT_EQ(*HostTensorToInt64(*model->Forward(inputs, one)->Find("greedy_generate")), gv);
}

// Greedy decoding runs the decoder one token at a time on cached keys and values; every token it picks
// must be the argmax of a teacher-forced pass over the whole prefix (no cache), with EOS allowed.
TEST_P(GenerationTest, CachedGreedyDecodingPicksTheArgmaxOfTheFullPrefix) {
  const std::string dir = std::string(kFixtures) + "t5_tiny_gated_untied";
  std::unique_ptr<Model> model = *Model::Load(dir, OnTestDevice());
  const SafetensorsFile inputs = *ReadSafetensors(dir + "/expected.safetensors");
  constexpr int64_t kNew = 16;
  const HostTensor g = *model->Forward(inputs, {.generate = kNew})->Find("greedy_generate");
  ASSERT_EQ(g.shape[1], kNew + 1);
  const int64_t rows = g.shape[0];
  const std::vector<int64_t> gv = *HostTensorToInt64(g);
  SafetensorsFile in;
  ASSERT_TRUE(in.Add("input_ids", *inputs.Find("input_ids")).ok());
  ASSERT_TRUE(in.Add("attention_mask", *inputs.Find("attention_mask")).ok());
  std::vector<int64_t> prefix;
  for (int64_t r = 0; r < rows; ++r) prefix.insert(prefix.end(), gv.begin() + r * (kNew + 1), gv.begin() + r * (kNew + 1) + kNew);
  ASSERT_TRUE(in.Add("decoder_input_ids", *HostTensorFromInt64({rows, kNew}, prefix)).ok());
  const HostTensor logits = *model->Forward(in)->Find("logits");
  const std::vector<float> v = *HostTensorToFloats(logits);
  const int64_t vocab = logits.shape[2];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < kNew; ++t) {
      const float* row_logits = v.data() + (r * kNew + t) * vocab;
      const int64_t best = std::max_element(row_logits, row_logits + vocab) - row_logits;
      EXPECT_EQ(gv[r * (kNew + 1) + t + 1], best) << "row " << r << " step " << t;
      if (best != 1) continue;  // EOS (id 1 in the fixture's config): padding (0) follows
      for (int64_t u = t + 2; u <= kNew; ++u) EXPECT_EQ(gv[r * (kNew + 1) + u], 0) << "row " << r << " at " << u;
      break;
    }
  }
}

TEST_P(ModelLoadTest, AHeadTheCheckpointLacksIsInitialisedAndReported) {
  LoadOptions options;
  options.head = HeadKind::kMaskedLm;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(std::string(kFixtures) + "bert_tiny_cls3", OnTestDevice(options));
  ASSERT_TRUE(model.ok()) << model.status();
  const LoadReport& report = (*model)->report();
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_TRUE(has(report.initialised, "cls.predictions.transform.dense.weight")) << report.Summary();
  EXPECT_TRUE(has(report.unused, "classifier.weight")) << report.Summary();  // another task's head
  EXPECT_TRUE(report.unexpected.empty()) << report.Summary();
  absl::StatusOr<SafetensorsFile> expected =
      ReadSafetensors(std::string(kFixtures) + "bert_tiny_cls3/expected.safetensors");
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(*expected);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->Find("logits")->shape, (std::vector<int64_t>{3, 17, 1000}));
  // The encoder is the checkpoint's: its hidden states are unchanged by the head swap.
  EXPECT_LT(MaxAbsDiff(*out->Find("last_hidden_state"), *expected->Find("last_hidden_state")), kTolerance);
}

TEST_P(ModelLoadTest, AHeadOfTheWrongSizeIsAShapeError) {
  LoadOptions options;
  options.num_labels = 5;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(std::string(kFixtures) + "bert_tiny_cls3", OnTestDevice(options));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("'classifier.weight' has shape [3, 64], the model expects [5, 64]"),
            std::string::npos)
      << model.status();
}

TEST_P(ModelLoadTest, ANonFiniteWeightIsAnErrorNamingTheTensor) {
  const std::string src = std::string(kFixtures) + "bert_tiny_cls3/";
  const std::string dir = ::testing::TempDir() + "/nan_weight/";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src + "config.json", dir + "config.json", std::filesystem::copy_options::overwrite_existing);
  absl::StatusOr<SafetensorsFile> weights = ReadSafetensors(src + "model.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.status();
  const std::string name = "bert.encoder.layer.0.attention.self.query.weight";
  absl::StatusOr<HostTensor> w = weights->Take(name);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<float> values = *HostTensorToFloats(*w);
  values[7] = std::nanf("");
  ASSERT_TRUE(weights->Add(name, *HostTensorFromFloats(w->dtype, w->shape, values)).ok());
  ASSERT_TRUE(WriteSafetensors(*weights, dir + "model.safetensors", /*overwrite=*/true).ok());
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir, OnTestDevice());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("tensor '" + name + "' has 1 non-finite value(s)"), std::string::npos)
      << model.status();
}

TEST_P(ModelLoadTest, MissingDirectoryAndBadInputsAreErrors) {
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
  // An empty batch or sequence, a mask other than 0/1 and token types the model lacks are named errors
  // (an empty batch used to divide by zero inside LibTorch).
  struct Case {
    std::vector<int64_t> ids_shape;
    std::string extra_name;
    std::vector<int64_t> extra_values;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{0, 3}, "", {}, "a batch needs at least one sequence of one token"},
           {{2, 0}, "", {}, "a batch needs at least one sequence of one token"},
           {{1, 3}, "attention_mask", {1, 7, 1}, "attention_mask holds values other than 0 and 1"},
           {{1, 3}, "token_type_ids", {0, 5, 0}, "token_type_ids holds ids outside"},
       }) {
    SafetensorsFile bad;
    const int64_t n = c.ids_shape[0] * c.ids_shape[1];
    ASSERT_TRUE(bad.Add("input_ids", *HostTensorFromInt64(c.ids_shape, std::vector<int64_t>(n, 1))).ok());
    if (!c.extra_name.empty()) ASSERT_TRUE(bad.Add(c.extra_name, *HostTensorFromInt64(c.ids_shape, c.extra_values)).ok());
    absl::StatusOr<SafetensorsFile> r = (*model)->Forward(bad);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status();
  }
}

std::string DeviceName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }
INSTANTIATE_TEST_SUITE_P(Devices, ParityTest, ::testing::Values("cpu", "cuda"), DeviceName);
INSTANTIATE_TEST_SUITE_P(Devices, GenerationTest, ::testing::Values("cpu", "cuda"), DeviceName);
INSTANTIATE_TEST_SUITE_P(Devices, ModelLoadTest, ::testing::Values("cpu", "cuda"), DeviceName);

}  // namespace
}  // namespace lrb
