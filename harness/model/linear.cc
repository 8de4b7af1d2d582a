#include "harness/model/linear.h"

#include <cmath>

namespace lrb {

torch::Tensor ToTorch(const Matrix& m) {
  const std::vector<float> rows = RowMajor(m);
  return torch::from_blob(const_cast<float*>(rows.data()), {m.rows(), m.cols()}, torch::kFloat32).clone();
}

Matrix ToMatrix(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return FromRowMajor(c.data_ptr<float>(), c.size(0), c.size(1));
}

namespace {

torch::Tensor TensorToTorch(const Tensor& t) {
  return torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat32).clone();
}

Tensor TorchToTensor(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  Tensor out(c.sizes().vec());
  std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), out.data.begin());
  return out;
}

}  // namespace

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
    factors_.push_back(*existing);
  } else {
    factors_.push_back(register_parameter(name, t, trainable));
  }
  return factors_.back();
}

void LinearImpl::SetFactorization(const Factorization& f, bool trainable) {
  const auto [m, n] = MatrixShape(f);
  TORCH_CHECK(m == out_features && n == in_features, "factorization is ", m, "x", n, ", the layer ", out_features,
              "x", in_features);
  const torch::Device device = weight.device();
  torch::NoGradGuard no_grad;
  // The dense weight stays registered (the name cannot be removed) but holds nothing.
  weight.set_data(torch::empty({0}, weight.options()));
  weight.requires_grad_(false);
  for (torch::Tensor& old : factors_) {
    old.set_data(torch::empty({0}, old.options()));
    old.requires_grad_(false);
  }
  factor_names_.clear();
  factors_.clear();
  format_ = std::string(FormatName(f));
  if (const auto* d = std::get_if<Dense>(&f)) {
    Register("dense_weight", ToTorch(d->w), trainable);
  } else if (const auto* l = std::get_if<LowRank>(&f)) {
    Register("left", ToTorch(l->left), trainable);
    Register("right", ToTorch(l->right), trainable);
  } else if (const auto* s = std::get_if<LowRankPlusSparse>(&f)) {
    Register("left", ToTorch(s->low_rank.left), trainable);
    Register("right", ToTorch(s->low_rank.right), trainable);
    Register("sparse_rows", ToTorch(s->sparse_rows), trainable);
    const torch::Tensor index = torch::tensor(s->rows, torch::kLong).to(device);
    if (torch::Tensor* existing = named_buffers(/*recurse=*/false).find("sparse_index")) {
      existing->set_data(index);
      rows_ = *existing;
    } else {
      rows_ = register_buffer("sparse_index", index);
    }
  } else if (const auto* k = std::get_if<KroneckerSum>(&f)) {
    std::vector<torch::Tensor> a, b;
    for (size_t i = 0; i < k->a.size(); ++i) {
      a.push_back(ToTorch(k->a[i]));
      b.push_back(ToTorch(k->b[i]));
    }
    Register("kron_a", torch::stack(a), trainable);  // [terms, m1, n1]
    Register("kron_b", torch::stack(b), trainable);  // [terms, m2, n2]
  } else if (const auto* t = std::get_if<Tucker>(&f)) {
    shape_ = t->shape;
    Register("tucker_core", TensorToTorch(t->tucker.core), trainable);
    for (size_t i = 0; i < t->tucker.factors.size(); ++i) {
      Register("tucker_factor_" + std::to_string(i), ToTorch(t->tucker.factors[i]), trainable);
    }
  } else if (const auto* tt = std::get_if<TensorTrainMatrix>(&f)) {
    shape_ = tt->tt.row_modes;
    shape_.insert(shape_.end(), tt->tt.col_modes.begin(), tt->tt.col_modes.end());
    for (size_t i = 0; i < tt->tt.cores.size(); ++i) {
      Register("tt_core_" + std::to_string(i), TensorToTorch(tt->tt.cores[i]), trainable);
    }
  } else if (const auto* q = std::get_if<Quantized>(&f)) {
    // Dequantized once (U_q + Q1 V_q Q2^T) and cached: codes never train, and regenerating Q1, Q2 at
    // every call would cost two QRs. The stored bits are the codes'; this buffer is a cache.
    quantized_ = *q;
    Register("dequantized", ToTorch(Reconstruct(f)), false);
  }
}

torch::Tensor LinearImpl::DenseWeight() {
  if (format_.empty()) return weight;
  TORCH_CHECK(!factors_.empty(), "compressed linear without factors");
  if (format_ == "dense" || format_ == "quantized") return factors_[0];
  if (format_ == "low_rank") return torch::matmul(factors_[0], factors_[1]);
  if (format_ == "low_rank_sparse") {
    return torch::matmul(factors_[0], factors_[1]).index_add(0, rows_, factors_[2]);
  }
  if (format_ == "kronecker") {
    // sum_i A_i (x) B_i: [t, m1, 1, n1, 1] * [t, 1, m2, 1, n2] -> [m1 m2, n1 n2]
    const torch::Tensor a = factors_[0], b = factors_[1];
    return (a.unsqueeze(2).unsqueeze(4) * b.unsqueeze(1).unsqueeze(3)).sum(0).reshape({out_features, in_features});
  }
  if (format_ == "tucker") {
    torch::Tensor x = factors_[0];  // core [r_1..r_d]
    const int64_t d = static_cast<int64_t>(shape_.size());
    for (int64_t k = 0; k < d; ++k) {
      // mode-k product with U_k [n_k, r_k]: move mode k last, multiply, move it back.
      x = torch::matmul(x.movedim(k, -1), factors_[k + 1].t()).movedim(-1, k);
    }
    return x.reshape({out_features, in_features});
  }
  if (format_ == "tensor_train") {
    // Contract cores [r, m_k, n_k, r'] left to right into [m_1..m_k, n_1..n_k, r'], then un-interleave.
    const int64_t d = static_cast<int64_t>(factors_.size());
    torch::Tensor x = factors_[0].squeeze(0);  // [m1, n1, r1]
    for (int64_t k = 1; k < d; ++k) {
      // [..., r] x [r, m, n, r'] -> [..., m, n, r']
      x = torch::tensordot(x, factors_[k], {x.dim() - 1}, {0});
    }
    x = x.squeeze(-1);  // [m1, n1, m2, n2, ..., md, nd]
    std::vector<int64_t> perm;
    for (int64_t k = 0; k < d; ++k) perm.push_back(2 * k);
    for (int64_t k = 0; k < d; ++k) perm.push_back(2 * k + 1);
    return x.permute(perm).reshape({out_features, in_features});
  }
  TORCH_CHECK(false, "unknown format ", format_);
}

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
  torch::Tensor y;
  if (format_ == "low_rank" || format_ == "low_rank_sparse") {
    // Two thin products (x V^T) U^T instead of the dense W: the point of the low-rank form.
    y = torch::matmul(torch::matmul(x, factors_[1].t()), factors_[0].t());
    if (format_ == "low_rank_sparse") y = y.index_add(-1, rows_, torch::matmul(x, factors_[2].t()));
  } else if (format_ == "kronecker") {
    // (A (x) B) x = vec(A X B^T) with X = x reshaped to [n1, n2] (methods.md, KroneckerBERT); W never formed.
    const torch::Tensor a = factors_[0], b = factors_[1];
    const int64_t n1 = a.size(2), n2 = b.size(2);
    const torch::Tensor xs = x.reshape({-1, 1, n1, n2});                      // [N, 1, n1, n2]
    const torch::Tensor ax = torch::matmul(a.unsqueeze(0), xs);               // [N, t, m1, n2]
    const torch::Tensor axb = torch::matmul(ax, b.transpose(1, 2).unsqueeze(0));  // [N, t, m1, m2]
    std::vector<int64_t> out_shape = x.sizes().vec();
    out_shape.back() = out_features;
    y = axb.sum(1).reshape(out_shape);
  } else {
    y = torch::matmul(x, DenseWeight().t());
  }
  return bias.defined() ? y + bias : y;
}

Matrix LinearImpl::WeightMatrix() {
  torch::NoGradGuard no_grad;
  return ToMatrix(DenseWeight());
}

Factorization LinearImpl::CurrentFactorization() {
  torch::NoGradGuard no_grad;
  if (format_.empty()) return Dense{ToMatrix(weight)};
  if (format_ == "dense") return Dense{ToMatrix(factors_[0])};
  if (format_ == "quantized") return quantized_;
  if (format_ == "low_rank") return LowRank{ToMatrix(factors_[0]), ToMatrix(factors_[1])};
  if (format_ == "low_rank_sparse") {
    const torch::Tensor r = rows_.to(torch::kCPU).contiguous();
    return LowRankPlusSparse{{ToMatrix(factors_[0]), ToMatrix(factors_[1])},
                             std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel()),
                             ToMatrix(factors_[2])};
  }
  if (format_ == "kronecker") {
    KroneckerSum k;
    for (int64_t i = 0; i < factors_[0].size(0); ++i) {
      k.a.push_back(ToMatrix(factors_[0][i]));
      k.b.push_back(ToMatrix(factors_[1][i]));
    }
    return k;
  }
  if (format_ == "tucker") {
    Tucker t{out_features, in_features, shape_, {TorchToTensor(factors_[0]), {}}};
    for (size_t i = 1; i < factors_.size(); ++i) t.tucker.factors.push_back(ToMatrix(factors_[i]));
    return t;
  }
  TensorTrainMatrix tt;
  const size_t d = factors_.size();
  tt.tt.row_modes.assign(shape_.begin(), shape_.begin() + d);
  tt.tt.col_modes.assign(shape_.begin() + d, shape_.end());
  for (const torch::Tensor& c : factors_) tt.tt.cores.push_back(TorchToTensor(c));
  return tt;
}

}  // namespace lrb
