// The linear layer of every model: dense (y = x W^T + b) until a compression method replaces its weight
// by a Factorization, which it then executes by the format's plan (runtime/kernels/plan.h) with LibTorch
// ops, differentiable in the factors (trainable when asked). Internal to runtime/model (pulls in torch).
#ifndef LRB_RUNTIME_MODEL_LINEAR_H_
#define LRB_RUNTIME_MODEL_LINEAR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "runtime/kernels/onednn_linear.h"
#include "runtime/kernels/torch_linear.h"
#include "runtime/model/adapter.h"
#include "methods/factorization.h"

namespace lrb {

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);

  // x [..., in] -> [..., out]
  torch::Tensor forward(const torch::Tensor& x);

  bool compressed() const { return !factors_.shapes.format.empty(); }
  const std::string& format() const { return factors_.shapes.format; }  // FormatName, "" when dense

  // The dense weight [out, in] as the methods see it (the reconstruction when compressed).
  Matrix WeightMatrix();

  // Replaces the weight by `f` (its shape must be [out, in]); the bias stays. Factor tensors are
  // parameters with requires_grad = trainable (quantized codes never train). `weight` stays registered
  // with no elements (LibTorch 1.13 cannot unregister a parameter).
  void SetFactorization(const Factorization& f, bool trainable);

  // SCADA-Tucker: this Tucker layer computes with `core` (another layer's registered "tucker_core", same
  // shape) in place of its own, which is emptied: gradients from every sharing layer reach that one
  // parameter, and it is counted, trained and saved once, with the layer `owner` that holds it. A later
  // SetFactorization (here or on the owner) ends the sharing.
  void UseSharedTuckerCore(const torch::Tensor& core, const std::string& owner);
  const std::string& shared_core_owner() const { return shared_core_owner_; }  // "" when not sharing

  // The factorization as it stands now (after training, say), and its parameter names in this module.
  Factorization CurrentFactorization();
  std::vector<std::string> FactorParameterNames() const { return factor_names_; }

  // Inference (no gradients) on the CPU through the oneDNN kernel of runtime/kernels, built on the
  // first such call from the current weights and dropped by any other call (the weights may change
  // after a training step) or a new factorization. Off: LibTorch ops throughout.
  void UseOneDnn(bool on);
  // Forgets the oneDNN kernel (rebuilt from the current weights at the next inference call), after the
  // weights were written from outside.
  void DropKernel() { onednn_.reset(); }

  // Input statistics (DRONE): while recording, every forward adds X^T X of its inputs (rows = tokens,
  // float64) and counts the rows.
  void RecordInputs(bool on);
  torch::Tensor input_second_moment() const { return xtx_; }
  int64_t input_rows() const { return input_rows_; }

  // The rows W[ids] ([..., in] for ids [...]), as an embedding lookup: without forming W for dense,
  // low-rank and one-row-B Kronecker layers (KroneckerBERT's embeddings: row i is sum_t A_t[i] (x) B_t),
  // through the reconstruction otherwise. The adapter, if any, is not applied.
  torch::Tensor Rows(const torch::Tensor& ids);

  // Attaches a parameter-efficient adapter (model.h AdapterOptions, checked by the caller; torch's RNG draws
  // the initialisation). Its two matrices are layers of their own, registered as "lora_A" and "lora_B" or
  // "adapter_down" and "adapter_up", trainable, run by the same kernels as this layer.
  void AddAdapter(const AdapterOptions& options);
  const std::optional<AdapterOptions>& adapter() const { return adapter_; }

  int64_t in_features, out_features;
  torch::Tensor weight, bias;

 protected:
  torch::Tensor DenseWeight();  // [out, in], differentiable in the factors

 private:
  torch::Tensor BaseForward(const torch::Tensor& x);  // the layer without its adapter
  std::optional<AdapterOptions> adapter_;
  std::shared_ptr<LinearImpl> adapter_in_, adapter_out_;  // A and B, or down and up
  bool record_inputs_ = false;
  torch::Tensor xtx_;
  int64_t input_rows_ = 0;

  torch::Tensor Register(const std::string& name, torch::Tensor t, bool trainable);

  TorchFactors factors_;              // shapes.format empty while the layer is dense
  std::vector<std::string> factor_names_;
  std::vector<torch::Tensor> registered_;  // every factor parameter ever registered (names are reused)
  Factorization quantized_;           // codes and seed of a Quantized weight
  std::string shared_core_owner_;
  bool use_onednn_ = false;
  std::shared_ptr<OneDnnLinear> onednn_;
};
TORCH_MODULE(Linear);

// A token-embedding table [vocab, hidden], held as a linear layer's weight [out = vocab, in = hidden] so
// that compression methods, Save/Load and training treat it like one; forward looks rows up. Not among
// the model's linears (Model::LinearNames); Model::ReplaceEmbeddings compresses it.
class TokenEmbeddingImpl : public LinearImpl {
 public:
  TokenEmbeddingImpl(int64_t vocab, int64_t hidden) : LinearImpl(hidden, vocab, /*bias=*/false) {}
  torch::Tensor forward(const torch::Tensor& ids) { return Rows(ids); }
  torch::Tensor Table() { return DenseWeight(); }  // [vocab, hidden] (an MLM decoder's tied weight)
};
TORCH_MODULE(TokenEmbedding);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_LINEAR_H_
