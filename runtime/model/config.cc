#include "runtime/model/config.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "base/file.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// Reads an optional field of the expected kind; a present field of the wrong type is an error.
template <typename T>
absl::Status Read(const Json& j, const char* key, T* out, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  try {
    *out = it->get<T>();
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: field '%s' has the wrong type (%s)", source, key,
                                                      it->type_name()));
  }
  return absl::OkStatus();
}

absl::Status Require(const Json& j, const char* key, const std::string& source) {
  if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrFormat("%s: missing field '%s'", source, key));
  return absl::OkStatus();
}

}  // namespace

const char* BaseModelPrefix(ModelFamily family) {
  switch (family) {
    case ModelFamily::kBert:
      return "bert";
    case ModelFamily::kRoberta:
      return "roberta";
    case ModelFamily::kDistilBert:
      return "distilbert";
    case ModelFamily::kT5:
      break;
  }
  return "";
}

absl::StatusOr<ModelConfig> ParseModelConfig(const std::string& json_text, const std::string& source) {
  Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s is not a JSON object", source));
  }
  if (j.value("model_type", Json()) == kFactoredModelType) {
    const Json* base = nullptr;
    if (j.contains("lrbench") && j["lrbench"].is_object() && j["lrbench"].contains("base_config")) {
      base = &j["lrbench"]["base_config"];
    }
    if (base == nullptr || !base->is_object() || base->value("model_type", Json()) == kFactoredModelType) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: model_type %s without an object lrbench.base_config", source, kFactoredModelType));
    }
    return ParseModelConfig(base->dump(), source + " lrbench.base_config");
  }
  ModelConfig c;
  c.json = json_text;
  if (absl::Status s = Require(j, "model_type", source); !s.ok()) return s;
  if (absl::Status s = Read(j, "model_type", &c.model_type, source); !s.ok()) return s;
  if (c.model_type == "bert") {
    c.family = ModelFamily::kBert;
  } else if (c.model_type == "distilbert") {
    c.family = ModelFamily::kDistilBert;
  } else if (c.model_type == "roberta") {
    c.family = ModelFamily::kRoberta;
  } else if (c.model_type == "t5") {
    c.family = ModelFamily::kT5;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: unknown model_type '%s' (supported: bert, distilbert, roberta, t5)", source, c.model_type));
  }
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string()) {
    c.architecture = j["architectures"][0].get<std::string>();
  }
  auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return c.architecture.size() >= s.size() && c.architecture.compare(c.architecture.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("ForSequenceClassification")) {
    c.head = HeadKind::kSequenceClassification;
  } else if (ends_with("ForMaskedLM")) {
    c.head = HeadKind::kMaskedLm;
  } else if (ends_with("ForConditionalGeneration")) {
    c.head = HeadKind::kConditionalGeneration;
  }
  if (c.family == ModelFamily::kT5) c.head = HeadKind::kConditionalGeneration;

  std::vector<absl::Status> st;
  const char* required[] = {"vocab_size"};
  for (const char* key : required) st.push_back(Require(j, key, source));
  st.push_back(Read(j, "vocab_size", &c.vocab_size, source));
  st.push_back(Read(j, "pad_token_id", &c.pad_token_id, source));
  st.push_back(Read(j, "num_labels", &c.num_labels, source));
  if (j.contains("id2label") && j["id2label"].is_object()) c.num_labels = static_cast<int64_t>(j["id2label"].size());
  st.push_back(Read(j, "problem_type", &c.problem_type, source));
  st.push_back(Read(j, "tie_word_embeddings", &c.tie_word_embeddings, source));
  switch (c.family) {
    case ModelFamily::kBert:
    case ModelFamily::kRoberta:
      for (const char* key : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                              "max_position_embeddings"}) {
        st.push_back(Require(j, key, source));
      }
      st.push_back(Read(j, "hidden_size", &c.hidden_size, source));
      st.push_back(Read(j, "num_hidden_layers", &c.num_layers, source));
      st.push_back(Read(j, "num_attention_heads", &c.num_heads, source));
      st.push_back(Read(j, "intermediate_size", &c.intermediate_size, source));
      st.push_back(Read(j, "max_position_embeddings", &c.max_position_embeddings, source));
      st.push_back(Read(j, "type_vocab_size", &c.type_vocab_size, source));
      st.push_back(Read(j, "layer_norm_eps", &c.layer_norm_eps, source));
      st.push_back(Read(j, "hidden_act", &c.hidden_act, source));
      st.push_back(Read(j, "hidden_dropout_prob", &c.hidden_dropout, source));
      st.push_back(Read(j, "attention_probs_dropout_prob", &c.attention_dropout, source));
      c.classifier_dropout = c.hidden_dropout;
      st.push_back(Read(j, "classifier_dropout", &c.classifier_dropout, source));
      break;
    case ModelFamily::kDistilBert:
      for (const char* key : {"dim", "n_layers", "n_heads", "hidden_dim", "max_position_embeddings"}) {
        st.push_back(Require(j, key, source));
      }
      st.push_back(Read(j, "dim", &c.hidden_size, source));
      st.push_back(Read(j, "n_layers", &c.num_layers, source));
      st.push_back(Read(j, "n_heads", &c.num_heads, source));
      st.push_back(Read(j, "hidden_dim", &c.intermediate_size, source));
      st.push_back(Read(j, "max_position_embeddings", &c.max_position_embeddings, source));
      st.push_back(Read(j, "activation", &c.hidden_act, source));
      st.push_back(Read(j, "dropout", &c.hidden_dropout, source));
      st.push_back(Read(j, "attention_dropout", &c.attention_dropout, source));
      st.push_back(Read(j, "seq_classif_dropout", &c.classifier_dropout, source));
      c.layer_norm_eps = 1e-12;
      if (j.value("sinusoidal_pos_embds", false)) {
        st.push_back(absl::UnimplementedError(
            absl::StrFormat("%s: sinusoidal_pos_embds=true is not supported (the stored table is used)", source)));
      }
      break;
    case ModelFamily::kT5: {
      for (const char* key : {"d_model", "d_kv", "d_ff", "num_layers", "num_heads"}) {
        st.push_back(Require(j, key, source));
      }
      st.push_back(Read(j, "d_model", &c.hidden_size, source));
      st.push_back(Read(j, "d_kv", &c.head_dim, source));
      st.push_back(Read(j, "d_ff", &c.intermediate_size, source));
      st.push_back(Read(j, "num_layers", &c.num_layers, source));
      c.num_decoder_layers = c.num_layers;
      st.push_back(Read(j, "num_decoder_layers", &c.num_decoder_layers, source));
      st.push_back(Read(j, "num_heads", &c.num_heads, source));
      st.push_back(Read(j, "relative_attention_num_buckets", &c.relative_attention_num_buckets, source));
      st.push_back(Read(j, "relative_attention_max_distance", &c.relative_attention_max_distance, source));
      c.layer_norm_eps = 1e-6;
      st.push_back(Read(j, "layer_norm_epsilon", &c.layer_norm_eps, source));
      st.push_back(Read(j, "dropout_rate", &c.hidden_dropout, source));
      c.attention_dropout = c.hidden_dropout;
      st.push_back(Read(j, "decoder_start_token_id", &c.decoder_start_token_id, source));
      st.push_back(Read(j, "eos_token_id", &c.eos_token_id, source));
      // v1.0: "relu"; v1.1 / flan: "gated-gelu" (gelu_new inside the gate).
      std::string proj = "relu";
      st.push_back(Read(j, "feed_forward_proj", &proj, source));
      c.gated_ffn = proj.rfind("gated-", 0) == 0;
      c.hidden_act = c.gated_ffn ? proj.substr(6) : proj;
      if (c.hidden_act == "gelu") c.hidden_act = "gelu_new";  // HF maps gated-gelu to gelu_new
      st.push_back(Read(j, "dense_act_fn", &c.hidden_act, source));
      if (j.contains("scale_decoder_outputs") && j["scale_decoder_outputs"].is_boolean()) {
        c.scale_decoder_outputs = j["scale_decoder_outputs"].get<bool>();
      }
      break;
    }
  }
  for (const absl::Status& s : st) {
    if (!s.ok()) return s;
  }
  if (c.family != ModelFamily::kT5) {
    if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: hidden size %d is not divisible by %d heads", source,
                                                        c.hidden_size, c.num_heads));
    }
    c.head_dim = c.hidden_size / c.num_heads;
  }
  for (auto [name, v] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size},
                         {"hidden size", c.hidden_size},
                         {"layers", c.num_layers},
                         {"heads", c.num_heads},
                         {"intermediate size", c.intermediate_size}}) {
    if (v <= 0) return absl::InvalidArgumentError(absl::StrFormat("%s: %s is %d, expected > 0", source, name, v));
  }
  if (c.hidden_act != "gelu" && c.hidden_act != "gelu_new" && c.hidden_act != "relu") {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: activation '%s' is not supported (gelu, gelu_new, relu)", source, c.hidden_act));
  }
  return c;
}

std::string FactoredConfigJson(const std::string& base_config_json, const std::string& layers_json) {
  const Json base = Json::parse(base_config_json);
  Json block = {{"version", 1}, {"base_model_type", base.value("model_type", Json())},
                {"base_architecture", base.contains("architectures") && base["architectures"].is_array() &&
                                               !base["architectures"].empty()
                                           ? base["architectures"][0]
                                           : Json()}};
  if (base.contains("id2label")) block["id2label"] = base["id2label"];
  block["layers"] = Json::parse(layers_json);
  block["base_config"] = base;
  const Json j = {{"model_type", kFactoredModelType}, {"architectures", {"LrbenchFactoredModel"}}, {"lrbench", block}};
  return j.dump(2) + "\n";
}

absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseModelConfig(*text, path);
}

}  // namespace lrb
