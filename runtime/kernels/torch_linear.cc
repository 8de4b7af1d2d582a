#include "runtime/kernels/torch_linear.h"

namespace lrb {
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

torch::Tensor ToTorch(const Matrix& m) {
  const std::vector<float> rows = RowMajor(m);
  return torch::from_blob(const_cast<float*>(rows.data()), {m.rows(), m.cols()}, torch::kFloat32).clone();
}

Matrix ToMatrix(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return FromRowMajor(c.data_ptr<float>(), c.size(0), c.size(1));
}

TorchFactors ToTorchFactors(const Factorization& f, const torch::Device& device) {
  TorchFactors t;
  t.shapes = ShapesOf(f);
  std::vector<torch::Tensor>& v = t.factors;
  if (const auto* d = std::get_if<Dense>(&f)) {
    v = {ToTorch(d->w)};
  } else if (const auto* l = std::get_if<LowRank>(&f)) {
    v = {ToTorch(l->left), ToTorch(l->right)};
  } else if (const auto* s = std::get_if<LowRankPlusSparse>(&f)) {
    v = {ToTorch(s->low_rank.left), ToTorch(s->low_rank.right), ToTorch(s->sparse_rows)};
    t.rows = torch::tensor(s->rows, torch::kLong).to(device);
  } else if (const auto* k = std::get_if<KroneckerSum>(&f)) {
    std::vector<torch::Tensor> a, b;
    for (size_t i = 0; i < k->a.size(); ++i) {
      a.push_back(ToTorch(k->a[i]));
      b.push_back(ToTorch(k->b[i]));
    }
    v = {torch::stack(a), torch::stack(b)};
  } else if (const auto* tk = std::get_if<Tucker>(&f)) {
    v.push_back(TensorToTorch(tk->tucker.core));
    for (const Matrix& u : tk->tucker.factors) v.push_back(ToTorch(u));
  } else if (const auto* tt = std::get_if<TensorTrainMatrix>(&f)) {
    for (const Tensor& c : tt->tt.cores) v.push_back(TensorToTorch(c));
  } else {
    v = {ToTorch(Reconstruct(f))};  // quantized: dequantized once
  }
  for (torch::Tensor& x : v) x = x.to(device);
  return t;
}

Factorization FromTorchFactors(const TorchFactors& t) {
  const std::string& format = t.shapes.format;
  const std::vector<torch::Tensor>& v = t.factors;
  if (format == "low_rank") return LowRank{ToMatrix(v[0]), ToMatrix(v[1])};
  if (format == "low_rank_sparse") {
    const torch::Tensor r = t.rows.to(torch::kCPU).contiguous();
    return LowRankPlusSparse{{ToMatrix(v[0]), ToMatrix(v[1])},
                             std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel()),
                             ToMatrix(v[2])};
  }
  if (format == "kronecker") {
    KroneckerSum k;
    for (int64_t i = 0; i < v[0].size(0); ++i) {
      k.a.push_back(ToMatrix(v[0][i]));
      k.b.push_back(ToMatrix(v[1][i]));
    }
    return k;
  }
  if (format == "tucker") {
    Tucker tk{t.shapes.out, t.shapes.in, t.shapes.modes, {TorchToTensor(v[0]), {}}};
    for (size_t i = 1; i < v.size(); ++i) tk.tucker.factors.push_back(ToMatrix(v[i]));
    return tk;
  }
  if (format == "tensor_train") {
    TensorTrainMatrix tt;
    tt.tt.row_modes = t.shapes.row_modes;
    tt.tt.col_modes = t.shapes.col_modes;
    for (const torch::Tensor& c : v) tt.tt.cores.push_back(TorchToTensor(c));
    return tt;
  }
  TORCH_CHECK(format == "dense", "FromTorchFactors: no host form for format ", format);
  return Dense{ToMatrix(v[0])};
}

torch::Tensor DenseWeight(const TorchFactors& t) {
  const FactorShapes& s = t.shapes;
  const std::vector<torch::Tensor>& v = t.factors;
  if (s.format == "low_rank") return torch::matmul(v[0], v[1]);
  if (s.format == "low_rank_sparse") return torch::matmul(v[0], v[1]).index_add(0, t.rows, v[2]);
  if (s.format == "kronecker") {
    // sum_i A_i (x) B_i: [t, m1, 1, n1, 1] * [t, 1, m2, 1, n2] -> [m1 m2, n1 n2]
    return (v[0].unsqueeze(2).unsqueeze(4) * v[1].unsqueeze(1).unsqueeze(3)).sum(0).reshape({s.out, s.in});
  }
  if (s.format == "tucker") {
    torch::Tensor x = v[0];  // core [r_1..r_d]
    for (int64_t k = 0; k < static_cast<int64_t>(s.modes.size()); ++k) {
      x = torch::matmul(x.movedim(k, -1), v[k + 1].t()).movedim(-1, k);  // mode-k product with U_k [n_k, r_k]
    }
    return x.reshape({s.out, s.in});
  }
  if (s.format == "tensor_train") {
    // Contract cores [r, m_k, n_k, r'] left to right into [m1, n1, .., md, nd], then un-interleave.
    const int64_t d = static_cast<int64_t>(v.size());
    torch::Tensor x = v[0].squeeze(0);
    for (int64_t k = 1; k < d; ++k) x = torch::tensordot(x, v[k], {x.dim() - 1}, {0});
    x = x.squeeze(-1);
    std::vector<int64_t> perm;
    for (int64_t k = 0; k < d; ++k) perm.push_back(2 * k);
    for (int64_t k = 0; k < d; ++k) perm.push_back(2 * k + 1);
    return x.permute(perm).reshape({s.out, s.in});
  }
  return v[0];  // dense, quantized
}

std::vector<torch::Tensor> PlanMatrices(const TorchFactors& t, const ForwardPlan& plan) {
  const FactorShapes& s = t.shapes;
  const std::vector<torch::Tensor>& v = t.factors;
  switch (plan.kind) {
    case PlanKind::kDense:
      return {DenseWeight(t)};
    case PlanKind::kLowRank:
      return {v[1], v[0]};
    case PlanKind::kLowRankSparse:
      return {torch::cat({v[1], v[2]}, 0), v[0]};
    case PlanKind::kKroneckerAFirst:
      // A_cat [(m1, t), n1] and B_cat [m2, (t, n2)]
      return {v[0].permute({1, 0, 2}).reshape({s.m1 * s.terms, s.n1}),
              v[1].permute({1, 0, 2}).reshape({s.m2, s.terms * s.n2})};
    case PlanKind::kKroneckerBFirst:
      // B_all [(t, m2), n2] and A_cat2 [m1, (n1, t)]
      return {v[1].reshape({s.terms * s.m2, s.n2}), v[0].permute({1, 2, 0}).reshape({s.m1, s.n1 * s.terms})};
    case PlanKind::kTuckerFactored: {
      std::vector<torch::Tensor> m;
      // Input modes (steps before the core) take U_k^T, the core step the core as [R_out, R_in], output
      // modes U_k.
      bool after_core = false;
      for (size_t i = 0; i < plan.steps.size(); ++i) {
        const int k = plan.operands[i];
        if (k < 0) {
          after_core = true;
          m.push_back(v[0].reshape({plan.steps[i].b, plan.steps[i].a}));
        } else {
          m.push_back(after_core ? v[k + 1] : v[k + 1].t());
        }
      }
      return m;
    }
    case PlanKind::kTtLeftToRight:
    case PlanKind::kTtRightToLeft: {
      std::vector<torch::Tensor> m;
      for (size_t i = 0; i < plan.steps.size(); ++i) {
        const torch::Tensor& core = v[plan.operands[i]];  // [r, m, n, r']
        m.push_back(plan.kind == PlanKind::kTtLeftToRight
                        ? core.permute({1, 3, 0, 2}).reshape({plan.steps[i].b, plan.steps[i].a})
                        : core.reshape({plan.steps[i].b, plan.steps[i].a}));
      }
      return m;
    }
  }
  return {};
}

torch::Tensor RunPlan(const ForwardPlan& plan, const std::vector<torch::Tensor>& matrices, const torch::Tensor& rows,
                      const torch::Tensor& x, const torch::Tensor& bias) {
  std::vector<int64_t> out_shape = x.sizes().vec();
  const int64_t in = out_shape.back();
  torch::Tensor h = x.reshape({-1, in});
  const int64_t tokens = h.size(0);
  torch::Tensor y;
  if (plan.kind == PlanKind::kLowRankSparse) {
    const int64_t r = plan.steps[1].a;
    const torch::Tensor t = torch::matmul(h, matrices[0].t());  // [N, r + k]
    y = bias.defined() ? torch::addmm(bias, t.narrow(1, 0, r), matrices[1].t()) : torch::matmul(t.narrow(1, 0, r), matrices[1].t());
    y = y.index_add(1, rows, t.narrow(1, r, t.size(1) - r));
  } else {
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const ChainStep& s = plan.steps[i];
      const bool last = i + 1 == plan.steps.size();
      const bool fuse_bias = last && bias.defined() && s.q == 1 && h.numel() / s.a == tokens;  // rows are tokens
      if (s.q == 1) {
        h = h.reshape({-1, s.a});
        h = fuse_bias ? torch::addmm(bias, h, matrices[i].t()) : torch::matmul(h, matrices[i].t());
      } else {
        h = torch::matmul(matrices[i], h.reshape({-1, s.a, s.q}));  // C [b, a] broadcast over P
      }
      if (last && bias.defined() && !fuse_bias) h = h.reshape({tokens, -1}) + bias;
    }
    y = h;
  }
  out_shape.back() = y.numel() / tokens;
  return y.reshape(out_shape);
}

torch::Tensor TorchLinearForward(const TorchFactors& t, const torch::Tensor& x, const torch::Tensor& bias) {
  const ForwardPlan plan = PlanForward(t.shapes);
  return RunPlan(plan, PlanMatrices(t, plan), t.rows, x, bias);
}

}  // namespace lrb
