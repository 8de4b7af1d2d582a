// The oneDNN (CPU) backend of the compressed linear layer: the plan of plan.h as oneDNN matmul
// primitives, made once per token count (the 32 most recent counts are kept), the constant matrices
// packed once in the layout the primitives prefer, the bias fused into the last GEMM where its rows are
// tokens. Host float32, row-major. (A runtime token dimension, one primitive for every count, measured
// up to 2x slower at 1 token and is refused by oneDNN 2.6 for the batched steps.)
#ifndef LRB_RUNTIME_KERNELS_ONEDNN_LINEAR_H_
#define LRB_RUNTIME_KERNELS_ONEDNN_LINEAR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/kernels/plan.h"
#include "methods/factorization.h"

namespace lrb {

struct TorchFactors;  // torch_linear.h

class OneDnnLinear {
 public:
  // `bias` empty: none; else out values. threads > 0: oneDNN runs on that many OpenMP threads, else on
  // the process's OpenMP default. Errors: a bias of the wrong length, non-finite factors.
  static absl::StatusOr<std::unique_ptr<OneDnnLinear>> Create(const Factorization& f, std::vector<float> bias,
                                                              int threads = 0);
  // The same from the tensors a model holds (any device; copied to the host), without a round trip
  // through a Factorization (which for a quantized weight would dequantize it again).
  static absl::StatusOr<std::unique_ptr<OneDnnLinear>> Create(const TorchFactors& factors, std::vector<float> bias,
                                                              int threads = 0);
  ~OneDnnLinear();

  // y [tokens, out] = x [tokens, in] W^T + b. Not for concurrent calls on one object (it keeps scratch
  // buffers per token count).
  void Forward(const float* x, int64_t tokens, float* y);

  const ForwardPlan& plan() const;
  int64_t in() const;
  int64_t out() const;

 private:
  struct Impl;
  explicit OneDnnLinear(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lrb

#endif  // LRB_RUNTIME_KERNELS_ONEDNN_LINEAR_H_
