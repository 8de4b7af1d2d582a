// How a checkpoint's tensor names map onto the runtime's parameter names, as Hugging Face transformers
// maps them on load: legacy LayerNorm names, a present or missing base-model prefix, T5's tied embeddings.
// Pure string logic (no LibTorch), so that every rule is unit-tested on its own.
#ifndef LRB_RUNTIME_MODEL_CHECKPOINT_NAMES_H_
#define LRB_RUNTIME_MODEL_CHECKPOINT_NAMES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

// transformers' PreTrainedModel._fix_state_dict_key_on_load: "...LayerNorm.gamma" -> "...LayerNorm.weight"
// and "...LayerNorm.beta" -> "...LayerNorm.bias" (the names of checkpoints converted from the original
// TensorFlow BERT, e.g. bert-base-uncased); every other name unchanged.
std::string FixLegacyName(const std::string& name);

// For each of `checkpoint` (in order), the model parameter name it is loaded as:
// 1. FixLegacyName;
// 2. the base-model prefix (`base_prefix`: "bert", "roberta", "distilbert"; "" for none), as
//    transformers' _load_pretrained_model: when no checkpoint name starts with "<base_prefix>." but some
//    model name does (a bare BertModel checkpoint loaded into a model with a head), a name N becomes
//    "<base_prefix>.N" where the model has that; in the opposite case the prefix is removed where the model
//    has the shorter name;
// 3. T5: when the checkpoint lacks shared.weight but the model has it, encoder.embed_tokens.weight (else
//    decoder.embed_tokens.weight), which transformers ties to it, fills it.
// A name no rule changes stays as it is (the caller reports it unused or unexpected). Two checkpoint names
// that would fill the same parameter (e.g. LayerNorm.gamma and LayerNorm.weight) are InvalidArgument naming
// both.
absl::StatusOr<std::vector<std::string>> MapCheckpointNames(const std::vector<std::string>& checkpoint,
                                                            const std::set<std::string>& model_names,
                                                            const std::string& base_prefix);

// Checkpoint tensors a model may leave unused without anything being wrong (transformers loads them
// silently or with an informational warning): task heads (BERT's MLM cls.predictions.* and NSP
// cls.seq_relationship.*, RoBERTa's lm_head.*, DistilBERT's vocab_transform/vocab_layer_norm/vocab_projector,
// classifier.* and pre_classifier.* of another task, the pooler), position_ids buffers saved by older
// transformers, T5's tied embed_tokens copies and T5 v1.0's decoder block-0 EncDecAttention relative bias
// (T5's _keys_to_ignore_on_load_unexpected). `name` is the mapped name.
bool IsOptionalCheckpointTensor(const std::string& name);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_CHECKPOINT_NAMES_H_
