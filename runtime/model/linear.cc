#include "runtime/model/linear.h"

#include <cmath>

#include "methods/shapes.h"

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
  if (adapter_in_) adapter_in_->UseOneDnn(on);
  if (adapter_out_) adapter_out_->UseOneDnn(on);
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
  shared_core_owner_.clear();
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

void LinearImpl::UseSharedTuckerCore(const torch::Tensor& core, const std::string& owner) {
  TORCH_CHECK(format() == "tucker", "only a Tucker layer can share a core; this one is ", format().empty() ? "dense" : format());
  TORCH_CHECK(core.sizes() == factors_.factors[0].sizes(), "the shared core is ", core.sizes(), ", this layer's ",
              factors_.factors[0].sizes());
  onednn_.reset();
  torch::NoGradGuard no_grad;
  torch::Tensor own = *named_parameters(/*recurse=*/false).find("tucker_core");
  TORCH_CHECK(!core.is_same(own), "a layer cannot share its own core");
  own.set_data(torch::empty({0}, own.options()));
  own.requires_grad_(false);
  factors_.factors[0] = core;
  shared_core_owner_ = owner;
}

torch::Tensor LinearImpl::Rows(const torch::Tensor& ids) {
  if (!compressed()) return torch::embedding(weight, ids);
  const torch::Tensor flat = ids.reshape({-1});
  std::vector<int64_t> shape = ids.sizes().vec();
  shape.push_back(in_features);
  if (format() == "low_rank") {  // left [out, r], right [r, in]
    return torch::matmul(factors_.factors[0].index_select(0, flat), factors_.factors[1]).reshape(shape);
  }
  if (format() == "kronecker" && factors_.factors[1].size(1) == 1) {  // A [terms, m1, n1], B [terms, 1, n2]
    const torch::Tensor a = factors_.factors[0].index_select(1, flat);  // [terms, N, n1]
    const torch::Tensor b = factors_.factors[1].select(1, 0);           // [terms, n2]
    return (a.unsqueeze(3) * b.unsqueeze(1).unsqueeze(1)).sum(0).reshape(shape);  // row i: A[i] (x) B, j1 major
  }
  return torch::embedding(DenseWeight(), ids);
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

namespace {

// One matrix [out, in] of an adapter: dense with PyTorch's default initialisation (U(-1/sqrt(in), 1/sqrt(in)),
// standard deviation 1/sqrt(3 in)) or zero, or a trainable TT matrix (options.tt_rank > 0) whose Gaussian
// cores give the reconstruction that standard deviation (the variance of an entry is the product of the
// cores' variances and of the bond ranks), its last core zero when `zero`. Biases start at zero.
std::shared_ptr<LinearImpl> AdapterMatrix(int64_t out, int64_t in, bool with_bias, bool zero,
                                          const AdapterOptions& options) {
  auto m = std::make_shared<LinearImpl>(in, out, with_bias);
  torch::NoGradGuard no_grad;
  if (with_bias) m->bias.zero_();
  if (options.tt_rank <= 0) {
    if (zero) m->weight.zero_();
    return m;
  }
  TtMatrix tt;
  tt.row_modes = BalancedFactors(out, options.tt_order);
  tt.col_modes = BalancedFactors(in, options.tt_order);
  const int d = options.tt_order;
  std::vector<int64_t> ranks(d + 1, 1);
  double bond_product = 1;
  for (int k = 1; k < d; ++k) {
    int64_t left = 1, right = 1;  // the unfolding's sides: no bond can exceed the smaller
    for (int i = 0; i < d; ++i) (i < k ? left : right) *= tt.row_modes[i] * tt.col_modes[i];
    ranks[k] = std::min({options.tt_rank, left, right});
    bond_product *= static_cast<double>(ranks[k]);
  }
  const double target_variance = 1.0 / (3.0 * static_cast<double>(in));
  const double core_std = std::pow(target_variance / bond_product, 1.0 / (2.0 * d));
  for (int k = 0; k < d; ++k) {
    const std::vector<int64_t> shape = {ranks[k], tt.row_modes[k], tt.col_modes[k], ranks[k + 1]};
    const torch::Tensor values = (zero && k == d - 1) ? torch::zeros(shape) : torch::randn(shape) * core_std;
    Tensor core(shape);
    std::copy(values.data_ptr<float>(), values.data_ptr<float>() + values.numel(), core.data.begin());
    tt.cores.push_back(std::move(core));
  }
  m->SetFactorization(TensorTrainMatrix{std::move(tt)}, /*trainable=*/true);
  return m;
}

}  // namespace

void LinearImpl::AddAdapter(const AdapterOptions& options) {
  TORCH_CHECK(!adapter_, "the layer already has an adapter");
  const bool lora = options.kind == "lora";
  const int64_t r = options.rank;
  // LoRA: A [r, in] then B [out, r] on the input; bottleneck: down [r, out] then up [out, r] on the output.
  adapter_in_ = AdapterMatrix(r, lora ? in_features : out_features, /*with_bias=*/!lora, /*zero=*/false, options);
  adapter_out_ = AdapterMatrix(out_features, r, /*with_bias=*/!lora, /*zero=*/true, options);
  adapter_in_ = register_module(lora ? "lora_A" : "adapter_down", adapter_in_);
  adapter_out_ = register_module(lora ? "lora_B" : "adapter_up", adapter_out_);
  adapter_in_->UseOneDnn(use_onednn_);
  adapter_out_->UseOneDnn(use_onednn_);
  adapter_in_->to(weight.device());
  adapter_out_->to(weight.device());
  adapter_ = options;
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (!adapter_) return BaseForward(x);
  if (adapter_->kind == "lora") {
    const torch::Tensor in = adapter_->dropout > 0 ? torch::dropout(x, adapter_->dropout, is_training()) : x;
    const double scale = adapter_->alpha / static_cast<double>(adapter_->rank);
    return BaseForward(x) + adapter_out_->forward(adapter_in_->forward(in)) * scale;
  }
  const torch::Tensor y = BaseForward(x);
  return y + adapter_out_->forward(torch::relu(adapter_in_->forward(y)));
}

torch::Tensor LinearImpl::BaseForward(const torch::Tensor& x) {
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
