// Parameter-efficient fine-tuning modules (adapter.h): identity at the start, trainable counts equal to the
// closed forms, only the chosen parameters move while the loss falls, and a trained model reloads exactly.
#include <cmath>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "runtime/model/model.h"
#include "runtime/model/model_impl.h"
#include "runtime/model/synthetic_task.h"
#include "runtime/model/training.h"

namespace lrb {
namespace {

// hidden 64, 2 layers, intermediate 128, 3 labels, a trained pooler.
const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";
const char kQuery[] = "bert.encoder.layer.*.attention.self.query";
const char kValue[] = "bert.encoder.layer.*.attention.self.value";
const char kOutputs[] = "bert.encoder.layer.*.**output.dense";  // attention.output.dense and output.dense

struct Case {
  const char* name;
  AdapterOptions options;
  int64_t adapter_params;  // closed form over the whole model
};

AdapterOptions Options(const std::string& kind, int64_t rank, int64_t tt_rank) {
  AdapterOptions o;
  o.kind = kind;
  o.rank = rank;
  o.tt_rank = tt_rank;
  o.seed = 7;
  return o;
}

absl::Status Attach(Model& model, const AdapterOptions& o) {
  if (o.kind == "bottleneck") return model.AddAdapters(kOutputs, o).status();
  for (const char* pattern : {kQuery, kValue}) {
    if (absl::StatusOr<int> n = model.AddAdapters(pattern, o); !n.ok()) return n.status();
  }
  return absl::OkStatus();
}

// Closed forms, L = 2 layers, h = 64:
//   LoRA r = 8 on query and value: L * 2 * r (h + h) = 4,096.
//   Bottleneck r = 8 after both output projections: L * 2 * (r h + r + h r + h) = 4 * 1,096 = 4,384.
//   TT, order 3, bond cap 5: A [8, 64] has row modes (2, 2, 2), column modes (4, 4, 4), bonds (5, 5):
//   1*2*4*5 + 5*2*4*5 + 5*2*4*1 = 280, and B [64, 8] the same, so LoRETTA_rep is L * 2 * 560 = 2,240.
//   Bottleneck r = 16 in TT: down [16, 64] modes (2, 2, 4) x (4, 4, 4), bonds (5, 5): 40 + 200 + 80 = 320;
//   up [64, 16] (4, 4, 4) x (2, 2, 4), the same 320; with biases 16 + 64: 4 * (640 + 80) = 2,880.
std::vector<Case> Cases() {
  return {{"lora", Options("lora", 8, 0), 4096},
          {"lora_tt", Options("lora", 8, 5), 2240},
          {"bottleneck", Options("bottleneck", 8, 0), 4384},
          {"bottleneck_tt", Options("bottleneck", 16, 5), 2880}};
}

class AdaptersTest : public ::testing::TestWithParam<Case> {};

TEST_P(AdaptersTest, StartAsTheIdentityAndCountTheClosedForm) {
  const Case& c = GetParam();
  std::unique_ptr<Model> model = *Model::Load(kBert);
  const std::vector<Example> examples = SyntheticTask(64, 2);
  absl::StatusOr<Evaluation> before = Evaluate(*model, examples, 32);
  ASSERT_TRUE(before.ok()) << before.status();
  const int64_t params = model->ParameterCount();
  ASSERT_TRUE(Attach(*model, c.options).ok());
  EXPECT_EQ(model->ParameterCount(), params + c.adapter_params);
  absl::StatusOr<Evaluation> after = Evaluate(*model, examples, 32);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->loss, before->loss);  // the zero B (up) adds exactly nothing
  EXPECT_EQ(after->predictions, before->predictions);
  // The adapters' own parameters train, plus the classifier (3 x 64 + 3).
  absl::StatusOr<int64_t> trainable = model->SetTrainable({"classifier.**"});
  ASSERT_TRUE(trainable.ok()) << trainable.status();
  EXPECT_EQ(*trainable, c.adapter_params + 195);
  EXPECT_EQ(model->TrainableParameterCount(), *trainable);
  // The adapters' matrices are not linears of the model.
  EXPECT_EQ(model->LinearNames("**").size(), 2u * 6 + 2);  // six per layer, pooler, classifier
}

FinetuneRecipe TinyRecipe() {
  FinetuneRecipe recipe;
  recipe.epochs = 30;
  recipe.learning_rate = 3e-3;
  recipe.batch_size = 16;
  recipe.log_every = 0;
  return recipe;
}

// The fixture's encoder is random: with it frozen, training the head (pooler and classifier) alone leaves
// the token-family task at chance (loss ln 3 = 1.0986) — the control for the test below.
TEST(SetTrainableTest, AFrozenRandomEncoderLeavesTheHeadAtChance) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  ASSERT_TRUE(model->SetTrainable({"classifier.**", "bert.pooler.**"}).ok());
  absl::StatusOr<FinetuneReport> report = Finetune(*model, TokenFamilyTask(192, 1), {}, TinyRecipe(), nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->epoch_train_loss.back(), 0.95 * std::log(3.0));
}

// With adapters the same training learns (loss below 0.75 ln 3), moves the adapters and the head and
// nothing else, and the trained model saved and reloaded evaluates identically (same kernels both times).
TEST_P(AdaptersTest, TrainOnlyTheChosenParametersAndReloadIdentically) {
  const Case& c = GetParam();
  std::unique_ptr<Model> model = *Model::Load(kBert);
  ASSERT_TRUE(Attach(*model, c.options).ok());
  ASSERT_TRUE(model->SetTrainable({"classifier.**", "bert.pooler.**"}).ok());
  std::map<std::string, torch::Tensor> start;
  for (const auto& item : model->internals().module->named_parameters()) start[item.key()] = item.value().detach().clone();

  const std::vector<Example> train = TokenFamilyTask(192, 1);
  absl::StatusOr<FinetuneReport> report = Finetune(*model, train, {}, TinyRecipe(), nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_LT(report->epoch_train_loss.back(), 0.75 * std::log(3.0));

  int moved_adapters = 0;
  for (const auto& item : model->internals().module->named_parameters()) {
    const std::string& name = item.key();
    const bool adapter = name.find("lora_") != std::string::npos || name.find("adapter_") != std::string::npos;
    const bool head = name.rfind("classifier.", 0) == 0 || name.rfind("bert.pooler.", 0) == 0;
    const bool same = torch::equal(item.value().detach(), start.at(name));
    if (!adapter && !head) EXPECT_TRUE(same) << name << " is frozen but changed";
    if (adapter && !same) ++moved_adapters;
  }
  EXPECT_GT(moved_adapters, 0);

  ExpectReloadsIdentically(*model, train, std::string("adapted_") + c.name);
}

INSTANTIATE_TEST_SUITE_P(Kinds, AdaptersTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// BitFit: every bias trains. Closed form: embeddings LayerNorm 64; per layer query, key, value and
// attention output 4 x 64, intermediate 128, output 64, two LayerNorms 2 x 64 (576); pooler 64; classifier 3.
TEST(SetTrainableTest, BiasesOnlyCountTheClosedForm) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  absl::StatusOr<int64_t> n = model->SetTrainable({"**.bias"});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 64 + 2 * 576 + 64 + 3);
}

// Adapters on query and value attached by separate calls with one seed still start differently (each
// layer's draw mixes in its name), and a compressed layer with an adapter saves and reloads.
TEST(AdaptersTest, LayersDrawTheirOwnInitialisationAndCompressedLayersKeepTheirAdapters) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  ASSERT_TRUE(model
                  ->ReplaceLinears(kQuery,
                                   [](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
                                     return LowRank{w.leftCols(8), Matrix::Identity(8, w.cols())};
                                   },
                                   /*trainable=*/false)
                  .ok());
  ASSERT_TRUE(Attach(*model, Options("lora", 4, 0)).ok());
  auto params = model->internals().module->named_parameters();
  const torch::Tensor q = *params.find("bert.encoder.layer.0.attention.self.query.lora_A.weight");
  const torch::Tensor v = *params.find("bert.encoder.layer.0.attention.self.value.lora_A.weight");
  EXPECT_FALSE(torch::equal(q, v));
  ASSERT_TRUE(model->SetTrainable({"classifier.**"}).ok());
  ASSERT_TRUE(Finetune(*model, TokenFamilyTask(64, 1), {}, TinyRecipe(), nullptr).ok());  // B moves off zero
  ExpectReloadsIdentically(*model, TokenFamilyTask(64, 2), "compressed_and_adapted");
}

TEST(AdaptersTest, BadOptionsAndPatternsAreRefusedWithTheirName) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  auto message = [](const absl::Status& s) { return std::string(s.message()); };
  AdapterOptions o = Options("prefix", 8, 0);
  EXPECT_NE(message(model->AddAdapters(kQuery, o).status()).find("kind 'prefix'"), std::string::npos);
  o = Options("lora", 0, 0);
  EXPECT_NE(message(model->AddAdapters(kQuery, o).status()).find("rank 0"), std::string::npos);
  o = Options("lora", 65, 0);
  EXPECT_NE(message(model->AddAdapters(kQuery, o).status()).find("exceeds"), std::string::npos);
  o = Options("lora", 8, 0);
  EXPECT_NE(message(model->AddAdapters("bert.nothing.*", o).status()).find("matches no linear"), std::string::npos);
  ASSERT_TRUE(model->AddAdapters(kQuery, o).ok());
  EXPECT_NE(message(model->AddAdapters(kQuery, o).status()).find("already has an adapter"), std::string::npos);
  EXPECT_NE(message(model->SetTrainable({"head.**"}).status()).find("'head.**'"), std::string::npos);
}

}  // namespace
}  // namespace lrb
