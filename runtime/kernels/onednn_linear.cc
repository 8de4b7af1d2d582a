#include "runtime/kernels/onednn_linear.h"

#include <omp.h>

#include <deque>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/kernels/torch_linear.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace lrb {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;

dnnl::engine& Engine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

}  // namespace

struct OneDnnLinear::Impl {
  ForwardPlan plan;
  int64_t in = 0, out = 0;
  int threads = 0;
  std::vector<std::vector<float>> matrices;  // C of each step, row-major [b, a]
  std::vector<float> bias;
  std::vector<int64_t> rows;  // low_rank_sparse
  dnnl::stream stream{Engine()};

  // Everything for one token count.
  struct Step {
    dnnl::matmul primitive;
    memory src, weights, dst, bias;  // the constant operand is bound once; the others per call
    bool constant_is_src = false;    // Q > 1: C [1, b, a] is the src, the activations the weights
    bool fused_bias = false;
  };
  struct Prepared {
    std::vector<Step> steps;
    std::vector<std::vector<float>> buffers;  // output of every step but the last
  };
  // At most kMaxTokenCounts token counts keep their primitives (first in, first out); a model evaluated
  // on dynamically padded batches meets many counts, and oneDNN's own primitive cache makes re-creating
  // an evicted one cheap.
  static constexpr size_t kMaxTokenCounts = 32;
  std::map<int64_t, Prepared> prepared;
  std::deque<int64_t> prepared_order;
  // Packed constant matrices per step, shared by every token count whose primitive wants that layout.
  std::vector<std::vector<std::pair<memory::desc, memory>>> packed;

  memory Packed(size_t step, const memory::desc& want, const ChainStep& s) {
    if (packed.size() <= step) packed.resize(step + 1);
    for (const auto& [desc, mem] : packed[step]) {
      if (desc == want) return mem;
    }
    memory plain({{s.a, s.b}, kF32, Tag::ba}, Engine(), matrices[step].data());
    memory mem(want, Engine());
    dnnl::reorder(plain, mem).execute(stream, plain, mem);
    packed[step].push_back({want, mem});
    return mem;
  }

  Prepared Prepare(int64_t tokens) {
    Prepared p;
    int64_t elems = in;  // per token
    const size_t n = plan.steps.size();
    for (size_t i = 0; i < n; ++i) {
      const ChainStep& s = plan.steps[i];
      const bool last = i + 1 == n;
      const bool sparse_second = plan.kind == PlanKind::kLowRankSparse && i == 1;
      const int64_t per_token_in = sparse_second ? plan.steps[0].b : elems;
      const int64_t rows_p = sparse_second ? tokens : tokens * per_token_in / (s.a * s.q);  // P
      Step step;
      float* c = matrices[i].data();
      if (s.q == 1) {
        // [P, a] x C^T [a, b] -> [P, b]; the activations may be a column block (low rank + sparse).
        const memory::desc src_md = sparse_second ? memory::desc({rows_p, s.a}, kF32, {per_token_in, 1})
                                                  : memory::desc({rows_p, s.a}, kF32, Tag::ab);
        const memory::desc w_any({s.a, s.b}, kF32, Tag::any);
        const memory::desc dst_md({rows_p, s.b}, kF32, Tag::ab);
        step.fused_bias = last && !bias.empty() && s.b == out;  // rows are tokens (not so for kronecker A first)
        const memory::desc bias_md = step.fused_bias ? memory::desc({1, s.b}, kF32, Tag::ab) : memory::desc();
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, w_any, bias_md, dst_md), Engine());
        step.primitive = dnnl::matmul(pd);
        step.weights = Packed(i, pd.weights_desc(), s);
        step.src = memory(src_md, Engine(), DNNL_MEMORY_NONE);
        step.dst = memory(dst_md, Engine(), DNNL_MEMORY_NONE);
        if (step.fused_bias) step.bias = memory(bias_md, Engine(), bias.data());
      } else {
        // C [1, b, a] x activations [P, a, Q] -> [P, b, Q]
        const memory::desc src_md({1, s.b, s.a}, kF32, Tag::abc);
        const memory::desc w_md({rows_p, s.a, s.q}, kF32, Tag::abc);
        const memory::desc dst_md({rows_p, s.b, s.q}, kF32, Tag::abc);
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, w_md, dst_md), Engine());
        step.primitive = dnnl::matmul(pd);
        step.constant_is_src = true;
        step.src = memory(src_md, Engine(), c);
        step.weights = memory(w_md, Engine(), DNNL_MEMORY_NONE);
        step.dst = memory(dst_md, Engine(), DNNL_MEMORY_NONE);
      }
      p.steps.push_back(std::move(step));
      elems = sparse_second ? out : per_token_in / s.a * s.b;
      if (!last) p.buffers.emplace_back(static_cast<size_t>(tokens * elems));
    }
    stream.wait();
    return p;
  }

  void Forward(const float* x, int64_t tokens, float* y) {
    if (threads > 0) omp_set_num_threads(threads);
    auto it = prepared.find(tokens);
    if (it == prepared.end()) {
      if (prepared.size() >= kMaxTokenCounts) {
        prepared.erase(prepared_order.front());
        prepared_order.pop_front();
      }
      it = prepared.emplace(tokens, Prepare(tokens)).first;
      prepared_order.push_back(tokens);
    }
    Prepared& p = it->second;
    const size_t n = p.steps.size();
    const float* input = x;
    for (size_t i = 0; i < n; ++i) {
      Step& s = p.steps[i];
      float* output = i + 1 == n ? y : p.buffers[i].data();
      if (plan.kind == PlanKind::kLowRankSparse && i == 1) input = p.buffers[0].data();
      memory& activations = s.constant_is_src ? s.weights : s.src;
      activations.set_data_handle(const_cast<float*>(input));
      s.dst.set_data_handle(output);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s.src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, s.dst}};
      if (s.fused_bias) args[DNNL_ARG_BIAS] = s.bias;
      s.primitive.execute(stream, args);
      input = output;
    }
    stream.wait();
    if (plan.kind == PlanKind::kLowRankSparse) {
      const float* t = p.buffers[0].data();
      const int64_t width = plan.steps[0].b, r = plan.steps[1].a, k = static_cast<int64_t>(rows.size());
#pragma omp parallel for schedule(static)
      for (int64_t row = 0; row < tokens; ++row) {
        for (int64_t j = 0; j < k; ++j) y[row * out + rows[j]] += t[row * width + r + j];
      }
    }
    if (!bias.empty() && !p.steps.back().fused_bias) {
#pragma omp parallel for schedule(static)
      for (int64_t row = 0; row < tokens; ++row) {
        for (int64_t j = 0; j < out; ++j) y[row * out + j] += bias[j];
      }
    }
  }
};

OneDnnLinear::OneDnnLinear(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OneDnnLinear::~OneDnnLinear() = default;

absl::StatusOr<std::unique_ptr<OneDnnLinear>> OneDnnLinear::Create(const Factorization& f, std::vector<float> bias,
                                                                    int threads) {
  torch::NoGradGuard no_grad;
  return Create(ToTorchFactors(f, torch::kCPU), std::move(bias), threads);
}

absl::StatusOr<std::unique_ptr<OneDnnLinear>> OneDnnLinear::Create(const TorchFactors& factors, std::vector<float> bias,
                                                                    int threads) {
  auto impl = std::make_unique<Impl>();
  impl->out = factors.shapes.out;
  impl->in = factors.shapes.in;
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != impl->out) {
    return absl::InvalidArgumentError(absl::StrCat("bias has ", bias.size(), " values, the layer ", impl->out, " outputs"));
  }
  impl->plan = PlanForward(factors.shapes);
  // The step matrices come from the same construction as the LibTorch backend's (PlanMatrices).
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& m : PlanMatrices(factors, impl->plan)) {
    const torch::Tensor c = m.to(torch::kCPU, torch::kFloat32).contiguous();
    if (!torch::isfinite(c).all().item<bool>()) {
      return absl::InvalidArgumentError(absl::StrCat("factorization (", impl->plan.description, ") has non-finite values"));
    }
    impl->matrices.emplace_back(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  if (factors.rows.defined()) {
    const torch::Tensor r = factors.rows.to(torch::kCPU).contiguous();
    impl->rows.assign(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
  }
  impl->bias = std::move(bias);
  impl->threads = threads;
  return std::unique_ptr<OneDnnLinear>(new OneDnnLinear(std::move(impl)));
}

void OneDnnLinear::Forward(const float* x, int64_t tokens, float* y) { impl_->Forward(x, tokens, y); }
const ForwardPlan& OneDnnLinear::plan() const { return impl_->plan; }
int64_t OneDnnLinear::in() const { return impl_->in; }
int64_t OneDnnLinear::out() const { return impl_->out; }

}  // namespace lrb
