#include "harness/model/linear.h"

#include <cmath>

namespace lrb {

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias) : in_features(in), out_features(out) {
  // PyTorch's default initialisation (Kaiming-uniform weights); checkpoints overwrite it.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  weight = register_parameter("weight", torch::empty({out, in}).uniform_(-bound, bound));
  if (with_bias) bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
}

// LibTorch 1.13 cannot unregister a parameter, so a name once registered is reused: its data is
// replaced (set_data also changes the shape), and names a new format does not use become empty.
torch::Tensor LinearImpl::Register(const std::string& name, torch::Tensor t, bool trainable) {
  t = t.to(weight.device());
  factor_names_.push_back(name);
  if (torch::Tensor* existing = named_parameters(/*recurse=*/false).find(name)) {
    existing->set_data(t);
    existing->requires_grad_(trainable);
    return *existing;
  }
  registered_.push_back(register_parameter(name, t, trainable));
  return registered_.back();
}

void LinearImpl::UseOneDnn(bool on) {
  use_onednn_ = on;
  onednn_.reset();
}

void LinearImpl::SetFactorization(const Factorization& f, bool trainable) {
  onednn_.reset();
  const auto [m, n] = MatrixShape(f);
  TORCH_CHECK(m == out_features && n == in_features, "factorization is ", m, "x", n, ", the layer ", out_features,
              "x", in_features);
  const torch::Device device = weight.device();
  torch::NoGradGuard no_grad;
  // The dense weight stays registered (the name cannot be removed) but holds nothing.
  weight.set_data(torch::empty({0}, weight.options()));
  weight.requires_grad_(false);
  for (torch::Tensor& old : registered_) {
    old.set_data(torch::empty({0}, old.options()));
    old.requires_grad_(false);
  }
  factor_names_.clear();
  factors_ = ToTorchFactors(f, device);
  const std::string& format = factors_.shapes.format;
  std::vector<std::string> names;
  if (format == "dense") names = {"dense_weight"};
  if (format == "quantized") names = {"dequantized"};
  if (format == "low_rank") names = {"left", "right"};
  if (format == "low_rank_sparse") names = {"left", "right", "sparse_rows"};
  if (format == "kronecker") names = {"kron_a", "kron_b"};  // [terms, m1, n1], [terms, m2, n2]
  if (format == "tucker") {
    names = {"tucker_core"};
    for (size_t i = 1; i < factors_.factors.size(); ++i) names.push_back("tucker_factor_" + std::to_string(i - 1));
  }
  if (format == "tensor_train") {
    for (size_t i = 0; i < factors_.factors.size(); ++i) names.push_back("tt_core_" + std::to_string(i));
  }
  TORCH_CHECK(names.size() == factors_.factors.size(), "no parameter names for format ", format);
  // Quantized: the weight is dequantized once (U_q + Q1 V_q Q2^T) and cached: codes never train, and
  // regenerating Q1, Q2 at every call would cost two QRs. The stored bits are the codes'.
  if (format == "quantized") quantized_ = f;
  for (size_t i = 0; i < names.size(); ++i) {
    factors_.factors[i] = Register(names[i], factors_.factors[i], trainable && format != "quantized");
  }
  if (factors_.rows.defined()) {
    if (torch::Tensor* existing = named_buffers(/*recurse=*/false).find("sparse_index")) {
      existing->set_data(factors_.rows);
      factors_.rows = *existing;
    } else {
      factors_.rows = register_buffer("sparse_index", factors_.rows);
    }
  }
}

torch::Tensor LinearImpl::DenseWeight() { return compressed() ? lrb::DenseWeight(factors_) : weight; }

void LinearImpl::RecordInputs(bool on) {
  record_inputs_ = on;
  if (!on) {
    xtx_ = torch::Tensor();
  } else {
    xtx_ = torch::zeros({in_features, in_features}, torch::TensorOptions().dtype(torch::kFloat64).device(weight.device()));
    input_rows_ = 0;
  }
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (record_inputs_) {
    torch::NoGradGuard no_grad;
    const torch::Tensor rows = x.detach().reshape({-1, in_features}).to(torch::kFloat64);
    xtx_ += torch::matmul(rows.t(), rows);
    input_rows_ += rows.size(0);
  }
  if (use_onednn_ && !record_inputs_ && !torch::GradMode::is_enabled() && x.device().is_cpu() &&
      x.scalar_type() == torch::kFloat32) {
    if (!onednn_) {
      std::vector<float> b;
      if (bias.defined()) {
        const torch::Tensor c = bias.detach().contiguous();
        b.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
      }
      TorchFactors dense;  // an uncompressed layer: its weight as the "dense" format
      if (!compressed()) {
        dense.shapes.format = "dense";
        dense.shapes.out = out_features;
        dense.shapes.in = in_features;
        dense.factors = {weight};
      }
      absl::StatusOr<std::unique_ptr<OneDnnLinear>> k = OneDnnLinear::Create(compressed() ? factors_ : dense, std::move(b));
      TORCH_CHECK(k.ok(), "oneDNN kernel: ", std::string(k.status().message()));
      onednn_ = std::move(*k);
    }
    const torch::Tensor xc = x.contiguous();
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = out_features;
    torch::Tensor y = torch::empty(shape, x.options());
    onednn_->Forward(xc.data_ptr<float>(), xc.numel() / in_features, y.data_ptr<float>());
    return y;
  }
  onednn_.reset();
  if (compressed()) return TorchLinearForward(factors_, x, bias);
  const torch::Tensor y = torch::matmul(x, weight.t());
  return bias.defined() ? y + bias : y;
}

Matrix LinearImpl::WeightMatrix() {
  torch::NoGradGuard no_grad;
  return ToMatrix(DenseWeight());
}

Factorization LinearImpl::CurrentFactorization() {
  torch::NoGradGuard no_grad;
  if (!compressed()) return Dense{ToMatrix(weight)};
  if (format() == "quantized") return quantized_;
  return FromTorchFactors(factors_);
}

}  // namespace lrb
