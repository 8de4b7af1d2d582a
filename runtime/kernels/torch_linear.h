// The LibTorch backend of the compressed linear layer, on CPU or CUDA: a factorization's factors as
// tensors (the parameters a model trains), its dense weight, and its forward by the plan of plan.h.
// Differentiable in the factors, so training and inference share it. Includes torch: keep it out of
// widely included headers.
#ifndef LRB_RUNTIME_KERNELS_TORCH_LINEAR_H_
#define LRB_RUNTIME_KERNELS_TORCH_LINEAR_H_

#include <string>
#include <vector>

#include <torch/torch.h>

#include "runtime/kernels/plan.h"
#include "methods/factorization.h"

namespace lrb {

// A factorization as tensors. factors, by format: dense and quantized {W [out, in]} (quantized: the
// dequantized weight); low_rank {L [out, r], R [r, in]}; low_rank_sparse {L, R, S [k, in]} and rows;
// kronecker {A [terms, m1, n1], B [terms, m2, n2]}; tucker {core, U_1 .. U_d}; tensor_train {cores}.
struct TorchFactors {
  FactorShapes shapes;
  std::vector<torch::Tensor> factors;
  torch::Tensor rows;  // low_rank_sparse: kept row indices (int64)
};

// float32 tensors on `device`.
TorchFactors ToTorchFactors(const Factorization& f, const torch::Device& device);

// Back to a Factorization (host copies); not for quantized (its codes are not tensors).
Factorization FromTorchFactors(const TorchFactors& t);

// W [out, in], differentiable in the factors.
torch::Tensor DenseWeight(const TorchFactors& t);

// The constant matrices C of each step of `plan`, built (differentiably) from the factors.
std::vector<torch::Tensor> PlanMatrices(const TorchFactors& t, const ForwardPlan& plan);

// y [..., out] = x [..., in] W^T (+ bias when defined) by the plan's chain.
torch::Tensor RunPlan(const ForwardPlan& plan, const std::vector<torch::Tensor>& matrices, const torch::Tensor& rows,
                      const torch::Tensor& x, const torch::Tensor& bias);

// PlanForward, PlanMatrices and RunPlan in one call.
torch::Tensor TorchLinearForward(const TorchFactors& t, const torch::Tensor& x, const torch::Tensor& bias);

// Eigen <-> torch (float32).
torch::Tensor ToTorch(const Matrix& m);
Matrix ToMatrix(const torch::Tensor& t);

}  // namespace lrb

#endif  // LRB_RUNTIME_KERNELS_TORCH_LINEAR_H_
