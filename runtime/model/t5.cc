// T5 (Raffel et al. 2020) in the v1.0 (ReLU) and v1.1/flan (gated-GELU) layouts, with Hugging Face
// parameter names: shared, encoder.block.N.layer.M..., decoder..., lm_head.
#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/model/transformer.h"

namespace lrb {
namespace {

using torch::nn::Dropout;
using torch::nn::Embedding;

Linear NoBias(int64_t in, int64_t out) { return Linear(in, out, /*bias=*/false); }

// RMS norm without mean subtraction or bias (T5LayerNorm), computed in float32.
struct T5LayerNormImpl : torch::nn::Module {
  T5LayerNormImpl(int64_t d, double eps) : eps(eps) { weight = register_parameter("weight", torch::ones({d})); }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
    return weight * (x * torch::rsqrt(variance + eps)).to(weight.dtype());
  }
  double eps;
  torch::Tensor weight;
};
TORCH_MODULE(T5LayerNorm);

// Bucket of a relative position (key - query), Raffel et al. 2020, Sec. 2.1: exact buckets for small
// distances, logarithmic ones up to max_distance; half the buckets per direction when bidirectional.
torch::Tensor RelativePositionBucket(torch::Tensor relative, bool bidirectional, int64_t num_buckets,
                                     int64_t max_distance) {
  torch::Tensor buckets = torch::zeros_like(relative);
  if (bidirectional) {
    num_buckets /= 2;
    buckets = buckets + relative.gt(0).to(torch::kLong) * num_buckets;
    relative = relative.abs();
  } else {
    relative = -torch::min(relative, torch::zeros_like(relative));
  }
  const int64_t max_exact = num_buckets / 2;
  const torch::Tensor is_small = relative.lt(max_exact);
  torch::Tensor large = max_exact + (torch::log(relative.to(torch::kFloat32) / max_exact) /
                                     std::log(static_cast<double>(max_distance) / max_exact) *
                                     (num_buckets - max_exact))
                                        .to(torch::kLong);
  large = torch::min(large, torch::full_like(large, num_buckets - 1));
  return buckets + torch::where(is_small, relative, large);
}

struct T5AttentionImpl : torch::nn::Module {
  T5AttentionImpl(const ModelConfig& c, bool relative_bias, bool bidirectional)
      : heads(c.num_heads), head_dim(c.head_dim), bidirectional(bidirectional),
        num_buckets(c.relative_attention_num_buckets), max_distance(c.relative_attention_max_distance) {
    const int64_t inner = heads * head_dim;
    q = register_module("q", NoBias(c.hidden_size, inner));
    k = register_module("k", NoBias(c.hidden_size, inner));
    v = register_module("v", NoBias(c.hidden_size, inner));
    o = register_module("o", NoBias(inner, c.hidden_size));
    if (relative_bias) relative_attention_bias = register_module("relative_attention_bias", Embedding(num_buckets, heads));
    dropout = register_module("dropout", Dropout(c.attention_dropout));
  }

  // [1, heads, q_len, k_len] for queries at positions q_offset .. q_offset + q_len - 1.
  torch::Tensor ComputeBias(int64_t q_len, int64_t k_len, const torch::Device& device, int64_t q_offset = 0) {
    const torch::Tensor ctx =
        torch::arange(q_offset, q_offset + q_len, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(1);
    const torch::Tensor mem = torch::arange(k_len, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(0);
    const torch::Tensor buckets = RelativePositionBucket(mem - ctx, bidirectional, num_buckets, max_distance);
    return relative_attention_bias(buckets).permute({2, 0, 1}).unsqueeze(0);
  }

  // x [b, q_len, d], kv [b, k_len, d]; bias [1 or b, heads, q_len, k_len] already holds the mask.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& kv, const torch::Tensor& bias) {
    return Attend(Heads(q(x)), Heads(k(kv)), Heads(v(kv)), bias);
  }

  // [b, len, heads * head_dim] -> [b, heads, len, head_dim]
  torch::Tensor Heads(const torch::Tensor& t) const { return t.view({t.size(0), -1, heads, head_dim}).transpose(1, 2); }

  // Queries, keys and values already split into heads.
  torch::Tensor Attend(const torch::Tensor& queries, const torch::Tensor& keys, const torch::Tensor& values,
                       const torch::Tensor& bias) {
    // No 1/sqrt(d) scaling: T5 folds it into the initialisation of q.
    torch::Tensor scores = torch::matmul(queries, keys.transpose(-1, -2)) + bias;
    const torch::Tensor probs = dropout(torch::softmax(scores.to(torch::kFloat32), -1).to(scores.dtype()));
    return o(torch::matmul(probs, values).transpose(1, 2).reshape({queries.size(0), -1, heads * head_dim}));
  }

  int64_t heads, head_dim;
  bool bidirectional;
  int64_t num_buckets, max_distance;
  Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  Embedding relative_attention_bias{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(T5Attention);

struct T5FeedForwardImpl : torch::nn::Module {
  explicit T5FeedForwardImpl(const ModelConfig& c) : gated(c.gated_ffn), act(c.hidden_act) {
    auto drd = register_module("DenseReluDense", std::make_shared<torch::nn::Module>());
    if (gated) {
      wi_0 = drd->register_module("wi_0", NoBias(c.hidden_size, c.intermediate_size));
      wi_1 = drd->register_module("wi_1", NoBias(c.hidden_size, c.intermediate_size));
    } else {
      wi = drd->register_module("wi", NoBias(c.hidden_size, c.intermediate_size));
    }
    wo = drd->register_module("wo", NoBias(c.intermediate_size, c.hidden_size));
    inner_dropout = drd->register_module("dropout", Dropout(c.hidden_dropout));
    layer_norm = register_module("layer_norm", T5LayerNorm(c.hidden_size, c.layer_norm_eps));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  torch::Tensor forward(const torch::Tensor& h) {
    const torch::Tensor x = layer_norm(h);
    const torch::Tensor inner = gated ? Activation(wi_0(x), act) * wi_1(x) : Activation(wi(x), act);
    return h + dropout(wo(inner_dropout(inner)));
  }
  bool gated;
  std::string act;
  Linear wi{nullptr}, wi_0{nullptr}, wi_1{nullptr}, wo{nullptr};
  Dropout inner_dropout{nullptr}, dropout{nullptr};
  T5LayerNorm layer_norm{nullptr};
};
TORCH_MODULE(T5FeedForward);

// Pre-norm residual attention sublayer: h + dropout(attention(norm(h), kv)).
struct T5AttentionLayerImpl : torch::nn::Module {
  T5AttentionLayerImpl(const ModelConfig& c, const std::string& name, bool relative_bias, bool bidirectional) {
    attention = register_module(name, T5Attention(c, relative_bias, bidirectional));
    layer_norm = register_module("layer_norm", T5LayerNorm(c.hidden_size, c.layer_norm_eps));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  // kv undefined: self-attention on the normalised h.
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& kv, const torch::Tensor& bias) {
    const torch::Tensor x = layer_norm(h);
    return h + dropout(attention(x, kv.defined() ? kv : x, bias));
  }
  // The same sublayer for one new decoder position with cached keys and values: self-attention
  // (source undefined) appends the new position's keys and values; cross-attention computes the
  // encoder's once, on the first step.
  torch::Tensor Step(const torch::Tensor& h, const torch::Tensor& source, torch::Tensor& keys, torch::Tensor& values,
                     const torch::Tensor& bias) {
    const torch::Tensor x = layer_norm(h);
    T5AttentionImpl& a = *attention;
    if (!source.defined()) {
      const torch::Tensor new_keys = a.Heads(a.k(x)), new_values = a.Heads(a.v(x));
      keys = keys.defined() ? torch::cat({keys, new_keys}, 2) : new_keys;
      values = values.defined() ? torch::cat({values, new_values}, 2) : new_values;
    } else if (!keys.defined()) {
      keys = a.Heads(a.k(source));
      values = a.Heads(a.v(source));
    }
    return h + dropout(a.Attend(a.Heads(a.q(x)), keys, values, bias));
  }
  T5Attention attention{nullptr};
  T5LayerNorm layer_norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(T5AttentionLayer);

struct T5BlockImpl : torch::nn::Module {
  T5BlockImpl(const ModelConfig& c, bool decoder, bool first) {
    layer = register_module("layer", torch::nn::ModuleList());
    self_attention = T5AttentionLayer(c, "SelfAttention", first, /*bidirectional=*/!decoder);
    layer->push_back(self_attention);
    if (decoder) {
      cross_attention = T5AttentionLayer(c, "EncDecAttention", false, false);
      layer->push_back(cross_attention);
    }
    feed_forward = T5FeedForward(c);
    layer->push_back(feed_forward);
  }
  torch::nn::ModuleList layer{nullptr};
  T5AttentionLayer self_attention{nullptr}, cross_attention{nullptr};
  T5FeedForward feed_forward{nullptr};
};
TORCH_MODULE(T5Block);

}  // namespace

// Keys and values of an incremental decode, per decoder block: self-attention over the tokens so far
// ([b, heads, length, head_dim]) and cross-attention over the encoder states (computed once).
struct T5DecoderCache {
  std::vector<torch::Tensor> self_keys, self_values, cross_keys, cross_values;
  torch::Tensor cross_bias;  // the encoder's additive mask [b, 1, 1, s]
  int64_t length = 0;
  // Keeps the batch rows `rows` (beam search); the cross-attention entries are left as they are, which
  // is right when every row is taken from a row with the same encoder input.
  void SelectRows(const torch::Tensor& rows) {
    for (auto* v : {&self_keys, &self_values})
      for (torch::Tensor& t : *v) t = t.index_select(0, rows);
  }
};

namespace {

struct T5StackImpl : torch::nn::Module {
  T5StackImpl(const ModelConfig& c, bool decoder) : decoder(decoder) {
    block = register_module("block", torch::nn::ModuleList());
    const int64_t n = decoder ? c.num_decoder_layers : c.num_layers;
    for (int64_t i = 0; i < n; ++i) block->push_back(T5Block(c, decoder, i == 0));
    final_layer_norm = register_module("final_layer_norm", T5LayerNorm(c.hidden_size, c.layer_norm_eps));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }

  // embedded [b, s, d]; mask01 [b, s]; encoder states and mask for the decoder.
  torch::Tensor forward(const torch::Tensor& embedded, const torch::Tensor& mask01, const torch::Tensor& encoder,
                        const torch::Tensor& encoder_mask01) {
    const int64_t s = embedded.size(1);
    auto first = block[0]->as<T5Block>();
    torch::Tensor self_mask = AdditiveMask(mask01, embedded.scalar_type());  // [b, 1, 1, s]
    if (decoder) {
      const torch::Tensor causal = torch::ones({s, s}, mask01.options()).tril().to(embedded.scalar_type());
      self_mask = self_mask + (1.0 - causal).mul(std::numeric_limits<float>::lowest()).unsqueeze(0).unsqueeze(0);
      self_mask = self_mask.clamp_min(std::numeric_limits<float>::lowest());
    }
    // The relative bias of the first block is shared by every block of the stack.
    const torch::Tensor self_bias =
        first->self_attention->attention->ComputeBias(s, s, embedded.device()) + self_mask;
    torch::Tensor cross_bias;
    if (decoder) cross_bias = AdditiveMask(encoder_mask01, embedded.scalar_type());
    torch::Tensor h = dropout(embedded);
    for (const auto& module : *block) {
      auto b = module->as<T5Block>();
      h = b->self_attention(h, torch::Tensor(), self_bias);
      if (decoder) h = b->cross_attention(h, encoder, cross_bias);
      h = b->feed_forward(h);
    }
    return dropout(final_layer_norm(h));
  }

  // Decoder only: the final states [b, 1, d] of one new token (embedded [b, 1, d]) after the cache's
  // tokens; equal to the last position of forward() on the whole prefix.
  torch::Tensor Step(const torch::Tensor& embedded, const torch::Tensor& encoder, T5DecoderCache& cache) {
    const int64_t n = static_cast<int64_t>(block->size());
    if (cache.self_keys.empty()) {
      for (auto* v : {&cache.self_keys, &cache.self_values, &cache.cross_keys, &cache.cross_values}) v->resize(n);
    }
    // Every earlier position is visible to the newest one, so the bias needs no causal mask.
    const torch::Tensor self_bias = block[0]->as<T5Block>()->self_attention->attention->ComputeBias(
        1, cache.length + 1, embedded.device(), cache.length);
    torch::Tensor h = dropout(embedded);
    for (int64_t i = 0; i < n; ++i) {
      auto b = block[i]->as<T5Block>();
      h = b->self_attention->Step(h, torch::Tensor(), cache.self_keys[i], cache.self_values[i], self_bias);
      h = b->cross_attention->Step(h, encoder, cache.cross_keys[i], cache.cross_values[i], cache.cross_bias);
      h = b->feed_forward(h);
    }
    ++cache.length;
    return dropout(final_layer_norm(h));
  }

  bool decoder;
  torch::nn::ModuleList block{nullptr};
  T5LayerNorm final_layer_norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(T5Stack);

}  // namespace

class T5ModelImpl : public LanguageModelImpl {
 public:
  explicit T5ModelImpl(const ModelConfig& c) : LanguageModelImpl(c) {
    shared_ = register_module("shared", Embedding(c.vocab_size, c.hidden_size));
    encoder_ = register_module("encoder", T5Stack(c, false));
    decoder_ = register_module("decoder", T5Stack(c, true));
    if (!c.tie_word_embeddings) lm_head_ = register_module("lm_head", NoBias(c.hidden_size, c.vocab_size));
    // Tied heads were trained on outputs scaled by d_model^-0.5 (Mesh TensorFlow); a config may say
    // otherwise explicitly (scale_decoder_outputs).
    scale_ = c.scale_decoder_outputs.value_or(c.tie_word_embeddings);
  }

  std::vector<std::string> TiedParameterNames() const override {
    if (!config_.tie_word_embeddings) return {};
    return {"lm_head.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"};
  }

  torch::Tensor Encode(const Batch& batch) {
    const torch::Tensor mask01 =
        batch.attention_mask.defined() ? batch.attention_mask : torch::ones_like(batch.input_ids);
    return encoder_(shared_(batch.input_ids), mask01, torch::Tensor(), torch::Tensor());
  }

  // decoder_ids [b, t] -> logits [b, t, vocab]
  torch::Tensor Decode(const torch::Tensor& encoded, const torch::Tensor& encoder_mask01,
                       const torch::Tensor& decoder_ids) {
    return Head(decoder_(shared_(decoder_ids), torch::ones_like(decoder_ids), encoded, encoder_mask01));
  }

  // Logits [b, vocab] of the token after `last_ids` [b, 1], the decode so far being in `cache`
  // (an empty cache starts with the decoder start token); same as Decode's last position.
  torch::Tensor DecodeStep(const torch::Tensor& encoded, const torch::Tensor& encoder_mask01,
                           const torch::Tensor& last_ids, T5DecoderCache& cache) {
    if (!cache.cross_bias.defined()) cache.cross_bias = AdditiveMask(encoder_mask01, encoded.scalar_type());
    return Head(decoder_->Step(shared_(last_ids), encoded, cache)).select(1, 0);
  }

  NamedTensors Forward(const Batch& batch) override {
    const torch::Tensor encoded = Encode(batch);
    NamedTensors out{{"encoder_last_hidden_state", encoded}};
    if (batch.decoder_input_ids.defined()) {
      const torch::Tensor mask01 =
          batch.attention_mask.defined() ? batch.attention_mask : torch::ones_like(batch.input_ids);
      out.push_back({"logits", Decode(encoded, mask01, batch.decoder_input_ids)});
    }
    return out;
  }

 private:
  torch::Tensor Head(const torch::Tensor& h) {
    const torch::Tensor scaled = scale_ ? h * std::pow(config_.hidden_size, -0.5) : h;
    return lm_head_ ? lm_head_(scaled) : torch::matmul(scaled, shared_->weight.t());
  }

  Embedding shared_{nullptr};
  T5Stack encoder_{nullptr}, decoder_{nullptr};
  Linear lm_head_{nullptr};
  bool scale_ = true;
};

std::shared_ptr<LanguageModelImpl> MakeT5Model(const ModelConfig& config) {
  return std::make_shared<T5ModelImpl>(config);
}

torch::Tensor T5GreedyGenerate(LanguageModelImpl& model, const Batch& batch, int64_t max_new_tokens,
                               int64_t min_new_tokens) {
  auto& t5 = dynamic_cast<T5ModelImpl&>(model);
  const ModelConfig& c = model.config();
  const torch::Tensor mask01 =
      batch.attention_mask.defined() ? batch.attention_mask : torch::ones_like(batch.input_ids);
  const torch::Tensor encoded = t5.Encode(batch);
  const int64_t b = batch.input_ids.size(0);
  torch::Tensor ids = torch::full({b, 1}, c.decoder_start_token_id, batch.input_ids.options());
  torch::Tensor finished = torch::zeros({b}, torch::TensorOptions().dtype(torch::kBool).device(ids.device()));
  T5DecoderCache cache;
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    torch::Tensor logits = t5.DecodeStep(encoded, mask01, ids.slice(1, step, step + 1), cache);  // [b, vocab]
    if (step < min_new_tokens) logits.select(1, c.eos_token_id).fill_(-std::numeric_limits<float>::infinity());
    torch::Tensor next = logits.argmax(-1);
    next = torch::where(finished, torch::full_like(next, c.pad_token_id), next);
    finished = finished.logical_or(next.eq(c.eos_token_id));
    ids = torch::cat({ids, next.unsqueeze(1)}, 1);
    if (finished.all().item<bool>()) break;  // the rest would be padding
  }
  if (ids.size(1) < 1 + max_new_tokens) {
    ids = torch::cat({ids, torch::full({b, 1 + max_new_tokens - ids.size(1)}, c.pad_token_id, ids.options())}, 1);
  }
  return ids;
}

}  // namespace lrb

namespace lrb {

torch::Tensor T5BeamSearch(LanguageModelImpl& model, const Batch& batch, int64_t max_new_tokens,
                           int64_t min_new_tokens, int64_t num_beams, double length_penalty) {
  if (num_beams <= 1) return T5GreedyGenerate(model, batch, max_new_tokens, min_new_tokens);
  auto& t5 = dynamic_cast<T5ModelImpl&>(model);
  const ModelConfig& c = model.config();
  const int64_t b = batch.input_ids.size(0), k = num_beams;
  const torch::Tensor mask01 =
      batch.attention_mask.defined() ? batch.attention_mask : torch::ones_like(batch.input_ids);
  Batch expanded{batch.input_ids.repeat_interleave(k, 0), mask01.repeat_interleave(k, 0), {}, {}};
  const torch::Tensor encoded = t5.Encode(expanded);  // [b k, s, d]
  torch::Tensor ids = torch::full({b * k, 1}, c.decoder_start_token_id, batch.input_ids.options());
  // Only the first beam of each row is live at the start, so the k copies do not fill the beam.
  torch::Tensor scores = torch::full({b, k}, -1e9, torch::TensorOptions().dtype(torch::kFloat32).device(ids.device()));
  scores.select(1, 0).fill_(0);
  struct Hypothesis {
    double score;
    std::vector<int64_t> tokens;
  };
  std::vector<std::vector<Hypothesis>> finished(b);
  std::vector<bool> done(b, false);
  T5DecoderCache cache;
  auto normalised = [&](double sum, int64_t length) { return sum / std::pow(static_cast<double>(length), length_penalty); };
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    torch::Tensor logp =
        torch::log_softmax(t5.DecodeStep(encoded, expanded.attention_mask, ids.slice(1, step, step + 1), cache), -1);
    if (step < min_new_tokens) logp.select(1, c.eos_token_id).fill_(-std::numeric_limits<float>::infinity());
    const int64_t vocab = logp.size(1);
    const torch::Tensor total = (scores.reshape({b * k, 1}) + logp).reshape({b, k * vocab});
    auto [top_scores, top_index] = total.topk(2 * k, 1);  // [b, 2k]
    const torch::Tensor top_beam = top_index.div(vocab, "floor"), top_token = top_index.remainder(vocab);
    const torch::Tensor cpu_scores = top_scores.to(torch::kCPU), cpu_beam = top_beam.to(torch::kCPU),
                        cpu_token = top_token.to(torch::kCPU), cpu_ids = ids.to(torch::kCPU);
    std::vector<int64_t> next_rows(b * k), next_tokens(b * k);
    std::vector<float> next_scores(b * k);
    for (int64_t r = 0; r < b; ++r) {
      int64_t kept = 0;
      for (int64_t j = 0; j < 2 * k && kept < k; ++j) {
        const int64_t beam = cpu_beam[r][j].item<int64_t>(), token = cpu_token[r][j].item<int64_t>();
        const float score = cpu_scores[r][j].item<float>();
        const int64_t row = r * k + beam;
        if (done[r]) {  // a finished row keeps decoding padding; its hypotheses are final
          next_rows[r * k + kept] = r * k;
          next_tokens[r * k + kept] = c.pad_token_id;
          next_scores[r * k + kept] = -1e9;
          ++kept;
          continue;
        }
        if (token == c.eos_token_id) {
          if (j >= k) continue;  // only EOS among the top k counts (HF)
          std::vector<int64_t> tokens(cpu_ids[row].data_ptr<int64_t>(), cpu_ids[row].data_ptr<int64_t>() + cpu_ids.size(1));
          tokens.push_back(token);
          finished[r].push_back({normalised(score, step + 1), std::move(tokens)});
          continue;
        }
        next_rows[r * k + kept] = row;
        next_tokens[r * k + kept] = token;
        next_scores[r * k + kept] = score;
        ++kept;
      }
      // Keep the k best finished; the row is done when no running beam can beat the worst of them.
      std::sort(finished[r].begin(), finished[r].end(), [](const Hypothesis& a, const Hypothesis& b2) { return a.score > b2.score; });
      if (static_cast<int64_t>(finished[r].size()) > k) finished[r].resize(k);
      if (!done[r] && static_cast<int64_t>(finished[r].size()) == k &&
          normalised(next_scores[r * k], step + 1) <= finished[r].back().score) {
        done[r] = true;
      }
    }
    const torch::Tensor rows = torch::tensor(next_rows, torch::kLong).to(ids.device());
    cache.SelectRows(rows);  // rows stay within their batch row's k beams, which share one encoder input
    ids = torch::cat({ids.index_select(0, rows), torch::tensor(next_tokens, torch::kLong).to(ids.device()).unsqueeze(1)}, 1);
    scores = torch::tensor(next_scores).to(ids.device()).reshape({b, k});
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
  }
  // Running beams compete with the finished ones at the end (HF adds them at max length).
  const torch::Tensor cpu_ids = ids.to(torch::kCPU), cpu_scores = scores.to(torch::kCPU);
  torch::Tensor out = torch::full({b, 1 + max_new_tokens}, c.pad_token_id, torch::kLong);
  for (int64_t r = 0; r < b; ++r) {
    if (!done[r]) {
      for (int64_t j = 0; j < k; ++j) {
        const int64_t row = r * k + j;
        std::vector<int64_t> tokens(cpu_ids[row].data_ptr<int64_t>(), cpu_ids[row].data_ptr<int64_t>() + cpu_ids.size(1));
        finished[r].push_back({normalised(cpu_scores[r][j].item<float>(), cpu_ids.size(1) - 1), std::move(tokens)});
      }
    }
    const Hypothesis& best = *std::max_element(finished[r].begin(), finished[r].end(),
                                               [](const Hypothesis& a, const Hypothesis& b2) { return a.score < b2.score; });
    for (size_t t = 0; t < best.tokens.size() && t < static_cast<size_t>(1 + max_new_tokens); ++t) out[r][t] = best.tokens[t];
  }
  return out.to(ids.device());
}

}  // namespace lrb
