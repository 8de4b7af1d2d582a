#include "runtime/model/config.h"

#include "gtest/gtest.h"

namespace lrb {
namespace {

TEST(ModelConfigTest, ReadsBertAndDerivesHeadDim) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(
      R"({"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": 100, "hidden_size": 64,
          "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
          "max_position_embeddings": 32, "type_vocab_size": 2})",
      "config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, ModelFamily::kBert);
  EXPECT_EQ(c->head, HeadKind::kMaskedLm);
  EXPECT_EQ(c->head_dim, 16);
}

TEST(ModelConfigTest, T5LayoutsAndScaling) {
  const std::string base = R"("model_type": "t5", "vocab_size": 100, "d_model": 64, "d_kv": 16, "d_ff": 96,
                              "num_layers": 2, "num_heads": 4)";
  ModelConfig v10 = *ParseModelConfig("{" + base + "}", "c");
  EXPECT_FALSE(v10.gated_ffn);
  EXPECT_EQ(v10.hidden_act, "relu");
  EXPECT_FALSE(v10.scale_decoder_outputs.has_value());
  ModelConfig flan = *ParseModelConfig("{" + base + R"(, "feed_forward_proj": "gated-gelu",
                                        "scale_decoder_outputs": false})",
                                       "c");
  EXPECT_TRUE(flan.gated_ffn);
  EXPECT_EQ(flan.hidden_act, "gelu_new");
  EXPECT_EQ(flan.scale_decoder_outputs, false);
  EXPECT_EQ(flan.num_decoder_layers, 2);
}

TEST(ModelConfigTest, ErrorsNameTheFileAndField) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(R"({"model_type": "gpt2", "vocab_size": 5})", "m/config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "m/config.json: unknown model_type 'gpt2' (supported: bert, distilbert, roberta, t5)");
  c = ParseModelConfig(R"({"model_type": "bert", "vocab_size": 5})", "m/config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("missing field 'hidden_size'"), std::string::npos) << c.status();
  c = ParseModelConfig(R"({"model_type": "bert", "vocab_size": "many"})", "m/config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'vocab_size' has the wrong type"), std::string::npos) << c.status();
  EXPECT_FALSE(ParseModelConfig("not json", "x").ok());
}

// A compressed checkpoint's config wraps the Hugging Face one: lrbench parses the base, transformers sees a
// model_type it has no class for.
TEST(ModelConfigTest, FactoredConfigWrapsTheBaseConfig) {
  const std::string base = R"({"model_type": "bert", "architectures": ["BertForSequenceClassification"],
      "id2label": {"0": "neg", "1": "pos", "2": "neutral"}, "vocab_size": 100, "hidden_size": 64,
      "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": 32,
      "type_vocab_size": 2})";
  const std::string text = FactoredConfigJson(base, R"({"bert.encoder.layer.0.output.dense": "low_rank"})");
  EXPECT_NE(text.find(R"("model_type": "lrbench_factored")"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"("model_type": "bert")"), text.rfind(R"("model_type": "bert")")) << "only in base_config";
  absl::StatusOr<ModelConfig> c = ParseModelConfig(text, "m/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->model_type, "bert");
  EXPECT_EQ(c->architecture, "BertForSequenceClassification");
  EXPECT_EQ(c->num_labels, 3);
  EXPECT_EQ(c->head, HeadKind::kSequenceClassification);
  c = ParseModelConfig(R"({"model_type": "lrbench_factored", "lrbench": {}})", "m/config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "m/config.json: model_type lrbench_factored without an object lrbench.base_config");
}

TEST(ModelConfigTest, BaseModelPrefixIsTransformersBaseModelPrefix) {
  // BertPreTrainedModel.base_model_prefix "bert", RobertaPreTrainedModel "roberta", DistilBertPreTrainedModel
  // "distilbert"; T5's modules (shared, encoder, decoder) sit at the top.
  EXPECT_STREQ(BaseModelPrefix(ModelFamily::kBert), "bert");
  EXPECT_STREQ(BaseModelPrefix(ModelFamily::kRoberta), "roberta");
  EXPECT_STREQ(BaseModelPrefix(ModelFamily::kDistilBert), "distilbert");
  EXPECT_STREQ(BaseModelPrefix(ModelFamily::kT5), "");
}

}  // namespace
}  // namespace lrb
