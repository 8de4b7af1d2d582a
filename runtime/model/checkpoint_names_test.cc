#include "runtime/model/checkpoint_names.h"

#include "gtest/gtest.h"

namespace lrb {
namespace {

TEST(FixLegacyNameTest, RenamesOnlyLayerNormGammaAndBeta) {
  EXPECT_EQ(FixLegacyName("bert.embeddings.LayerNorm.gamma"), "bert.embeddings.LayerNorm.weight");
  EXPECT_EQ(FixLegacyName("bert.encoder.layer.0.output.LayerNorm.beta"), "bert.encoder.layer.0.output.LayerNorm.bias");
  EXPECT_EQ(FixLegacyName("cls.predictions.transform.LayerNorm.gamma"), "cls.predictions.transform.LayerNorm.weight");
  // transformers' rule is a suffix rule on LayerNorm: other gammas and betas keep their names.
  EXPECT_EQ(FixLegacyName("encoder.beta_scale.weight"), "encoder.beta_scale.weight");
  EXPECT_EQ(FixLegacyName("layer_norm.gamma"), "layer_norm.gamma");
  EXPECT_EQ(FixLegacyName("bert.embeddings.LayerNorm.weight"), "bert.embeddings.LayerNorm.weight");
}

const std::set<std::string> kBertClassifier = {
    "bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias",
    "bert.pooler.dense.weight", "classifier.weight", "classifier.bias"};

TEST(MapCheckpointNamesTest, ABareBaseModelCheckpointGetsThePrefix) {
  // BertModel.save_pretrained writes names without "bert.": loaded into a head model they gain it, where the
  // model has the prefixed name; other names stay as they are.
  absl::StatusOr<std::vector<std::string>> m = MapCheckpointNames(
      {"embeddings.word_embeddings.weight", "embeddings.LayerNorm.gamma", "pooler.dense.weight", "extra.weight"},
      kBertClassifier, "bert");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (std::vector<std::string>{"bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.weight",
                                          "bert.pooler.dense.weight", "extra.weight"}));
}

TEST(MapCheckpointNamesTest, APrefixedCheckpointKeepsItsNames) {
  absl::StatusOr<std::vector<std::string>> m =
      MapCheckpointNames({"bert.embeddings.word_embeddings.weight", "cls.seq_relationship.weight", "pooler.dense.weight"},
                         kBertClassifier, "bert");
  ASSERT_TRUE(m.ok()) << m.status();
  // One prefixed name means the checkpoint is a head model's: nothing else gains the prefix.
  EXPECT_EQ(*m, (std::vector<std::string>{"bert.embeddings.word_embeddings.weight", "cls.seq_relationship.weight",
                                          "pooler.dense.weight"}));
}

TEST(MapCheckpointNamesTest, APrefixTheModelLacksIsRemoved) {
  absl::StatusOr<std::vector<std::string>> m = MapCheckpointNames(
      {"bert.embeddings.word_embeddings.weight", "bert.other.weight"}, {"embeddings.word_embeddings.weight"}, "bert");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (std::vector<std::string>{"embeddings.word_embeddings.weight", "bert.other.weight"}));
}

TEST(MapCheckpointNamesTest, T5TiedEmbeddingCopiesFillShared) {
  const std::set<std::string> t5 = {"shared.weight", "encoder.final_layer_norm.weight"};
  absl::StatusOr<std::vector<std::string>> m =
      MapCheckpointNames({"decoder.embed_tokens.weight", "encoder.embed_tokens.weight"}, t5, "");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (std::vector<std::string>{"decoder.embed_tokens.weight", "shared.weight"}));  // the encoder's first
  m = MapCheckpointNames({"decoder.embed_tokens.weight"}, t5, "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, (std::vector<std::string>{"shared.weight"}));
  // With shared.weight present the copies stay copies (the loader skips them as tied).
  m = MapCheckpointNames({"shared.weight", "encoder.embed_tokens.weight"}, t5, "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, (std::vector<std::string>{"shared.weight", "encoder.embed_tokens.weight"}));
}

TEST(MapCheckpointNamesTest, TwoNamesForOneParameterAreRefusedNamingBoth) {
  absl::StatusOr<std::vector<std::string>> m = MapCheckpointNames(
      {"bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.gamma"}, kBertClassifier, "bert");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "checkpoint tensors 'bert.embeddings.LayerNorm.weight' and 'bert.embeddings.LayerNorm.gamma' both load as "
            "'bert.embeddings.LayerNorm.weight'");
}

TEST(IsOptionalCheckpointTensorTest, HeadsBuffersAndT5ExtrasAreOptionalEncoderWeightsAreNot) {
  for (const char* name : {"cls.predictions.bias", "cls.seq_relationship.weight", "lm_head.dense.weight",
                           "vocab_projector.bias", "vocab_transform.weight", "vocab_layer_norm.bias", "classifier.bias",
                           "pre_classifier.weight", "bert.pooler.dense.weight", "roberta.pooler.dense.bias",
                           "bert.embeddings.position_ids", "encoder.embed_tokens.weight",
                           "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"}) {
    EXPECT_TRUE(IsOptionalCheckpointTensor(name)) << name;
  }
  for (const char* name : {"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight",
                           "decoder.block.1.layer.1.EncDecAttention.relative_attention_bias.weight", "shared.weight",
                           "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"}) {
    EXPECT_FALSE(IsOptionalCheckpointTensor(name)) << name;
  }
}

}  // namespace
}  // namespace lrb
