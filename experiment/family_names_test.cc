// The BERT-named spec patterns in RoBERTa and DistilBERT: every pattern the committed specs use
// (results/papers/*.json) maps to the module names encoder.cc registers for that family.
#include "experiment/family_names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "experiment/stages/peft.h"
#include "experiment/stages/registry.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> For(const std::string& pattern, ModelFamily family) {
  absl::StatusOr<std::vector<std::string>> p = PatternsForFamily(pattern, family);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status();
  return p.ok() ? *p : std::vector<std::string>{};
}

TEST(FamilyNames, BertAndT5KeepThePattern) {
  for (ModelFamily f : {ModelFamily::kBert, ModelFamily::kT5}) {
    EXPECT_THAT(For("bert.encoder.**", f), ElementsAre("bert.encoder.**"));
    EXPECT_THAT(For("encoder.block.*.layer.0.SelfAttention.q", f), ElementsAre("encoder.block.*.layer.0.SelfAttention.q"));
  }
}

TEST(FamilyNames, Roberta) {
  const ModelFamily f = ModelFamily::kRoberta;
  EXPECT_THAT(For("bert.encoder.**", f), ElementsAre("roberta.encoder.**"));
  EXPECT_THAT(For("bert.encoder.layer.*.attention.self.query", f), ElementsAre("roberta.encoder.layer.*.attention.self.query"));
  EXPECT_THAT(For("bert.encoder.layer.*.output.dense", f), ElementsAre("roberta.encoder.layer.*.output.dense"));
  EXPECT_THAT(For("bert.pooler.dense", f), ElementsAre("classifier.dense"));
  EXPECT_THAT(For("bert.pooler.**", f), ElementsAre("classifier.dense.**"));
  EXPECT_THAT(For("classifier.**", f), ElementsAre("classifier.**"));
  EXPECT_THAT(For("**.bias", f), ElementsAre("**.bias"));
  EXPECT_THAT(For("**LayerNorm**", f), ElementsAre("**LayerNorm**"));
}

TEST(FamilyNames, DistilBert) {
  const ModelFamily f = ModelFamily::kDistilBert;
  EXPECT_THAT(For("bert.encoder.**", f), ElementsAre("distilbert.transformer.**"));
  EXPECT_THAT(For("bert.encoder.layer.*.attention.self.query", f), ElementsAre("distilbert.transformer.layer.*.attention.q_lin"));
  EXPECT_THAT(For("bert.encoder.layer.*.attention.self.key", f), ElementsAre("distilbert.transformer.layer.*.attention.k_lin"));
  EXPECT_THAT(For("bert.encoder.layer.3.attention.self.value", f), ElementsAre("distilbert.transformer.layer.3.attention.v_lin"));
  EXPECT_THAT(For("bert.encoder.layer.*.attention.output.dense", f),
              ElementsAre("distilbert.transformer.layer.*.attention.out_lin"));
  EXPECT_THAT(For("bert.encoder.layer.*.intermediate.dense", f), ElementsAre("distilbert.transformer.layer.*.ffn.lin1"));
  EXPECT_THAT(For("bert.encoder.layer.*.output.dense", f), ElementsAre("distilbert.transformer.layer.*.ffn.lin2"));
  EXPECT_THAT(For("bert.encoder.layer.*.output.dense.**", f), ElementsAre("distilbert.transformer.layer.*.ffn.lin2.**"));
  EXPECT_THAT(For("bert.embeddings.word_embeddings", f), ElementsAre("distilbert.embeddings.word_embeddings"));
  EXPECT_THAT(For("bert.pooler.dense", f), ElementsAre("pre_classifier"));
  EXPECT_THAT(For("bert.pooler.**", f), ElementsAre("pre_classifier.**"));
  EXPECT_THAT(For("**LayerNorm**", f), ElementsAre("**LayerNorm**", "**layer_norm**"));
  EXPECT_THAT(For("classifier.**", f), ElementsAre("classifier.**"));
}

TEST(FamilyNames, NoCounterpartIsRefusedByName) {
  for (const char* p : {"bert.encoder.layer.*.attention.output.LayerNorm", "bert.encoder.layer.*.crossattention.**"}) {
    absl::StatusOr<std::vector<std::string>> r = PatternsForFamily(p, ModelFamily::kDistilBert);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string("'") + p + "' has no DistilBERT counterpart"));
  }
  EXPECT_FALSE(PatternsForFamily("bert.pooler", ModelFamily::kRoberta).ok());
}

TEST(FamilyNames, RunForFamilyRenamesEveryPatternList) {
  RunSpec run;
  run.linears = {"bert.encoder.layer.*.attention.self.query", "bert.encoder.layer.*.attention.self.value"};
  PeftSpec peft;
  peft.linears = {"bert.pooler.dense"};
  peft.train = {"classifier.**", "**LayerNorm**"};
  run.stages = {{*FindStage("peft"), std::make_shared<SettingsOf<PeftSpec>>(peft)}};
  absl::StatusOr<RunSpec> d = RunForFamily(run, ModelFamily::kDistilBert);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->linears, ElementsAre("distilbert.transformer.layer.*.attention.q_lin",
                                      "distilbert.transformer.layer.*.attention.v_lin"));
  const PeftSpec* renamed = FindStageUse(d->stages, "peft")->As<PeftSpec>();
  EXPECT_THAT(renamed->linears, ElementsAre("pre_classifier"));
  EXPECT_THAT(renamed->train, ElementsAre("classifier.**", "**LayerNorm**", "**layer_norm**"));
  EXPECT_EQ(RunSpecJson(run), RunSpecJson(*RunForFamily(run, ModelFamily::kBert)));
  run.linears = {"bert.encoder.layer.*.attention.output.LayerNorm"};
  EXPECT_FALSE(RunForFamily(run, ModelFamily::kDistilBert).ok());
}

}  // namespace
}  // namespace lrb
