// The parts of a Hugging Face config.json the runtime uses, for BERT, DistilBERT, RoBERTa and T5.
#ifndef LRB_RUNTIME_MODEL_CONFIG_H_
#define LRB_RUNTIME_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace lrb {

enum class ModelFamily { kBert, kDistilBert, kRoberta, kT5 };

// What sits on top of the encoder (from the config's "architectures", or asked for).
enum class HeadKind { kNone, kSequenceClassification, kMaskedLm, kConditionalGeneration };

struct ModelConfig {
  ModelFamily family = ModelFamily::kBert;
  std::string model_type;  // as in config.json
  HeadKind head = HeadKind::kNone;
  std::string architecture;  // e.g. "BertForSequenceClassification"

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // d_model for T5
  int64_t num_layers = 0;         // encoder layers
  int64_t num_decoder_layers = 0;  // T5
  int64_t num_heads = 0;
  int64_t head_dim = 0;           // d_kv for T5; hidden / heads otherwise
  int64_t intermediate_size = 0;  // d_ff for T5
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 0;
  double layer_norm_eps = 1e-12;
  std::string hidden_act = "gelu";  // "gelu" (erf), "gelu_new" (tanh), "relu"
  double hidden_dropout = 0.1;
  double attention_dropout = 0.1;
  double classifier_dropout = 0.1;
  int64_t num_labels = 2;
  std::string problem_type;  // "regression" for one label, else classification
  int64_t pad_token_id = 0;

  // T5 only.
  bool gated_ffn = false;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  bool tie_word_embeddings = true;
  std::optional<bool> scale_decoder_outputs;
  int64_t decoder_start_token_id = 0;
  int64_t eos_token_id = 1;

  std::string json;  // the config.json text it was parsed from (saved back with the head updated)
};

// A checkpoint with compressed layers (Model::Save, `lrbench compress`) is saved under a config.json of this
// model_type that no transformers architecture claims, so that transformers refuses it instead of
// initialising the factored layers at random: {"model_type": "lrbench_factored", "architectures":
// ["LrbenchFactoredModel"], "lrbench": {"version": 1, "base_model_type", "base_architecture", "id2label"
// (when the base has labels), "layers": {layer: format}, "base_config": {the Hugging Face config}}}.
inline constexpr char kFactoredModelType[] = "lrbench_factored";

// That config.json text for the Hugging Face config `base_config_json` and its compressed `layers_json`
// ({"bert.encoder.layer.0.attention.self.query": "low_rank", ...}).
std::string FactoredConfigJson(const std::string& base_config_json, const std::string& layers_json);

// The base model's module prefix inside a head model, as transformers names it ("bert", "roberta", "distilbert";
// "" for T5, whose modules sit at the top).
const char* BaseModelPrefix(ModelFamily family);

// Parses config.json text (a factored one as its base_config); errors name `source` and the field.
absl::StatusOr<ModelConfig> ParseModelConfig(const std::string& json_text, const std::string& source);

// Reads DIR/config.json.
absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_CONFIG_H_
