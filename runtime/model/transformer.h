// LibTorch modules of the supported architectures, named so that named_parameters() yields the
// Hugging Face checkpoint keys ("bert.encoder.layer.0.attention.self.query.weight", ...).
// Internal to runtime/model: include only from .cc files of this folder (it pulls in torch/torch.h).
#ifndef LRB_RUNTIME_MODEL_TRANSFORMER_H_
#define LRB_RUNTIME_MODEL_TRANSFORMER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "runtime/model/config.h"
#include "runtime/model/linear.h"

namespace lrb {

// One batch, token ids as int64 [batch, seq].
struct Batch {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;     // 1 = token, 0 = padding; all ones when undefined
  torch::Tensor token_type_ids;     // optional (BERT)
  torch::Tensor decoder_input_ids;  // optional (T5)
};

// Named outputs in a fixed order: "embedding_output", "last_hidden_state" or
// "encoder_last_hidden_state", "logits".
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class LanguageModelImpl : public torch::nn::Module {
 public:
  explicit LanguageModelImpl(ModelConfig config) : config_(std::move(config)) {}
  const ModelConfig& config() const { return config_; }

  virtual NamedTensors Forward(const Batch& batch) = 0;

  // Encoders: Forward also returns "hidden_state.N" (layer N's output) and "attention_scores.N"
  // ([batch, heads, seq, seq], scaled q k^T before the mask) while this is on, for layer-wise distillation.
  void RecordIntermediates(bool on) { record_intermediates_ = on; }

  // Parameters that are the same tensor as another one (tied heads), by checkpoint name: these may be
  // absent from a checkpoint without being reported missing.
  virtual std::vector<std::string> TiedParameterNames() const { return {}; }

 protected:
  ModelConfig config_;
  bool record_intermediates_ = false;
};

// BERT, RoBERTa and DistilBERT encoders with their sequence-classification or masked-LM heads.
std::shared_ptr<LanguageModelImpl> MakeEncoderModel(const ModelConfig& config);

// T5 (v1.0 and v1.1/flan layouts) with the LM head.
class T5ModelImpl;
std::shared_ptr<LanguageModelImpl> MakeT5Model(const ModelConfig& config);

// Greedy decoding for T5: [batch, 1 + max_new_tokens], decoder start token first. EOS is suppressed
// for the first `min_new_tokens` steps; after a sequence emits EOS it is padded with pad_token_id.
torch::Tensor T5GreedyGenerate(LanguageModelImpl& model, const Batch& batch, int64_t max_new_tokens,
                               int64_t min_new_tokens);

// Beam search for T5 (num_beams >= 1; 1 is greedy decoding): hypotheses ranked by the sum of token
// log-probabilities divided by (generated length)^length_penalty, as Hugging Face's BeamHypotheses do;
// a batch row stops when it has num_beams finished hypotheses and no running beam can beat the worst.
// Returns [batch, 1 + max_new_tokens], decoder start token first, padded after EOS.
torch::Tensor T5BeamSearch(LanguageModelImpl& model, const Batch& batch, int64_t max_new_tokens,
                           int64_t min_new_tokens, int64_t num_beams, double length_penalty);

// x * sigmoid-free GELU variants and ReLU, by config name ("gelu", "gelu_new", "relu").
torch::Tensor Activation(const torch::Tensor& x, const std::string& name);

// The additive attention mask [batch, 1, 1, seq] from a 0/1 mask: 0 where attended, the most negative
// float where masked (as Hugging Face builds it).
torch::Tensor AdditiveMask(const torch::Tensor& attention_mask, torch::ScalarType dtype);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_TRANSFORMER_H_
