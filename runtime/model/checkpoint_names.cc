#include "runtime/model/checkpoint_names.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace lrb {

std::string FixLegacyName(const std::string& name) {
  for (const auto& [legacy, modern] : {std::pair<const char*, const char*>{"LayerNorm.gamma", "LayerNorm.weight"},
                                       {"LayerNorm.beta", "LayerNorm.bias"}}) {
    if (absl::EndsWith(name, legacy)) return name.substr(0, name.size() - std::string(legacy).size()) + modern;
  }
  return name;
}

absl::StatusOr<std::vector<std::string>> MapCheckpointNames(const std::vector<std::string>& checkpoint,
                                                            const std::set<std::string>& model_names,
                                                            const std::string& base_prefix) {
  std::vector<std::string> mapped;
  mapped.reserve(checkpoint.size());
  for (const std::string& name : checkpoint) mapped.push_back(FixLegacyName(name));
  if (!base_prefix.empty()) {
    const std::string prefix = base_prefix + ".";
    auto any_prefixed = [&](const auto& names) {
      for (const std::string& n : names) {
        if (absl::StartsWith(n, prefix)) return true;
      }
      return false;
    };
    const bool checkpoint_has = any_prefixed(mapped), model_has = any_prefixed(model_names);
    for (std::string& n : mapped) {
      if (!checkpoint_has && model_has && model_names.count(prefix + n)) {
        n = prefix + n;
      } else if (checkpoint_has && !model_has && absl::StartsWith(n, prefix) && model_names.count(n.substr(prefix.size()))) {
        n = n.substr(prefix.size());
      }
    }
  }
  if (model_names.count("shared.weight")) {
    bool has_shared = false;
    for (const std::string& n : mapped) has_shared = has_shared || n == "shared.weight";
    for (const char* copy : {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}) {
      if (has_shared) break;
      for (std::string& n : mapped) {
        if (n == copy) {
          n = "shared.weight";
          has_shared = true;
          break;
        }
      }
    }
  }
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < mapped.size(); ++i) {
    auto [it, inserted] = first.emplace(mapped[i], i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrFormat("checkpoint tensors '%s' and '%s' both load as '%s'",
                                                        checkpoint[it->second], checkpoint[i], mapped[i]));
    }
  }
  return mapped;
}

bool IsOptionalCheckpointTensor(const std::string& name) {
  for (const char* head : {"cls.", "lm_head.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.", "classifier.",
                           "pre_classifier."}) {
    if (absl::StartsWith(name, head)) return true;
  }
  if (absl::StrContains(name, "pooler.") || absl::EndsWith(name, "embeddings.position_ids")) return true;
  return name == "encoder.embed_tokens.weight" || name == "decoder.embed_tokens.weight" ||
         name == "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight";
}

}  // namespace lrb
