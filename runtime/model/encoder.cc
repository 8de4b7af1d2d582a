// BERT, RoBERTa and DistilBERT (Devlin et al. 2019; Liu et al. 2019; Sanh et al. 2019), following the
// Hugging Face module structure and parameter names so checkpoints load by name.
#include <cmath>
#include <limits>

#include "runtime/model/transformer.h"

namespace lrb {

torch::Tensor Activation(const torch::Tensor& x, const std::string& name) {
  if (name == "gelu") return torch::gelu(x);
  if (name == "gelu_new") return torch::gelu(x, "tanh");
  return torch::relu(x);
}

torch::Tensor AdditiveMask(const torch::Tensor& attention_mask, torch::ScalarType dtype) {
  const double lowest = dtype == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                 : static_cast<double>(std::numeric_limits<float>::lowest());
  // [batch, seq] -> [batch, 1, 1, seq]
  return (1.0 - attention_mask.to(dtype)).mul(lowest).unsqueeze(1).unsqueeze(2);
}

namespace {

using torch::nn::Dropout;
using torch::nn::Embedding;
using torch::nn::LayerNorm;
using torch::nn::LayerNormOptions;

// Multi-head self-attention; the projections' names differ between families.
struct SelfAttentionImpl : torch::nn::Module {
  SelfAttentionImpl(const ModelConfig& c, const std::string& q, const std::string& k, const std::string& v)
      : heads(c.num_heads), head_dim(c.head_dim) {
    query = register_module(q, Linear(c.hidden_size, c.hidden_size));
    key = register_module(k, Linear(c.hidden_size, c.hidden_size));
    value = register_module(v, Linear(c.hidden_size, c.hidden_size));
    dropout = register_module("dropout", Dropout(c.attention_dropout));
  }

  // x [batch, seq, hidden], mask [batch, 1, 1, seq] -> context [batch, seq, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const int64_t b = x.size(0), s = x.size(1);
    auto split = [&](const torch::Tensor& t) { return t.view({b, s, heads, head_dim}).transpose(1, 2); };
    const torch::Tensor q = split(query(x)), k = split(key(x)), v = split(value(x));
    torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
    if (record) recorded_scores = scores;  // [batch, heads, seq, seq], before the mask (for distillation)
    scores = scores + mask;
    const torch::Tensor probs = dropout(torch::softmax(scores, -1));
    return torch::matmul(probs, v).transpose(1, 2).reshape({b, s, heads * head_dim});
  }

  int64_t heads, head_dim;
  bool record = false;
  torch::Tensor recorded_scores;
  Linear query{nullptr}, key{nullptr}, value{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(SelfAttention);

// Dense + dropout + residual + LayerNorm ("BertSelfOutput" / "BertOutput").
struct AddNormImpl : torch::nn::Module {
  AddNormImpl(const ModelConfig& c, int64_t in) {
    dense = register_module("dense", Linear(in, c.hidden_size));
    norm = register_module("LayerNorm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual) {
    return norm(dropout(dense(x)) + residual);
  }
  Linear dense{nullptr};
  LayerNorm norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(AddNorm);

struct BertAttentionImpl : torch::nn::Module {
  explicit BertAttentionImpl(const ModelConfig& c) {
    self = register_module("self", SelfAttention(c, "query", "key", "value"));
    output = register_module("output", AddNorm(c, c.hidden_size));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) { return output(self(x, mask), x); }
  SelfAttention self{nullptr};
  AddNorm output{nullptr};
};
TORCH_MODULE(BertAttention);

struct DenseImpl : torch::nn::Module {
  DenseImpl(int64_t in, int64_t out) { dense = register_module("dense", Linear(in, out)); }
  Linear dense{nullptr};
};
TORCH_MODULE(Dense);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const ModelConfig& c) : act(c.hidden_act) {
    attention = register_module("attention", BertAttention(c));
    intermediate = register_module("intermediate", Dense(c.hidden_size, c.intermediate_size));
    output = register_module("output", AddNorm(c, c.intermediate_size));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const torch::Tensor a = attention(x, mask);
    return output(Activation(intermediate->dense(a), act), a);
  }
  std::string act;
  BertAttention attention{nullptr};
  Dense intermediate{nullptr};
  AddNorm output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEmbeddingsImpl : torch::nn::Module {
  BertEmbeddingsImpl(const ModelConfig& c) : roberta(c.family == ModelFamily::kRoberta), pad(c.pad_token_id) {
    word_embeddings = register_module("word_embeddings", TokenEmbedding(c.vocab_size, c.hidden_size));
    position_embeddings = register_module("position_embeddings", Embedding(c.max_position_embeddings, c.hidden_size));
    token_type_embeddings =
        register_module("token_type_embeddings", Embedding(std::max<int64_t>(c.type_vocab_size, 1), c.hidden_size));
    norm = register_module("LayerNorm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& token_types) {
    const int64_t s = ids.size(1);
    torch::Tensor positions;
    if (roberta) {
      // RoBERTa counts positions from padding_idx + 1 over non-padding tokens.
      const torch::Tensor not_pad = ids.ne(pad).to(torch::kLong);
      positions = torch::cumsum(not_pad, 1) * not_pad + pad;
    } else {
      positions = torch::arange(s, ids.options()).unsqueeze(0).expand_as(ids);
    }
    const torch::Tensor types = token_types.defined() ? token_types : torch::zeros_like(ids);
    return dropout(norm(word_embeddings(ids) + position_embeddings(positions) + token_type_embeddings(types)));
  }
  bool roberta;
  int64_t pad;
  TokenEmbedding word_embeddings{nullptr};
  Embedding position_embeddings{nullptr}, token_type_embeddings{nullptr};
  LayerNorm norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const ModelConfig& c) {
    layer = register_module("layer", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_layers; ++i) layer->push_back(BertLayer(c));
  }
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(BertEncoder);

// "bert" / "roberta": embeddings, encoder and (BERT classification only) the pooler.
struct BertModelImpl : torch::nn::Module {
  BertModelImpl(const ModelConfig& c, bool with_pooler) {
    embeddings = register_module("embeddings", BertEmbeddings(c));
    encoder = register_module("encoder", BertEncoder(c));
    if (with_pooler) pooler = register_module("pooler", Dense(c.hidden_size, c.hidden_size));
  }
  Dense pooler{nullptr};
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};
TORCH_MODULE(BertModel);

// DistilBERT blocks.
struct DistilLayerImpl : torch::nn::Module {
  explicit DistilLayerImpl(const ModelConfig& c) : act(c.hidden_act) {
    attention = register_module("attention", SelfAttention(c, "q_lin", "k_lin", "v_lin"));
    out_lin = attention->register_module("out_lin", Linear(c.hidden_size, c.hidden_size));
    sa_layer_norm = register_module("sa_layer_norm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(1e-12)));
    ffn = register_module("ffn", std::make_shared<torch::nn::Module>());
    lin1 = ffn->register_module("lin1", Linear(c.hidden_size, c.intermediate_size));
    lin2 = ffn->register_module("lin2", Linear(c.intermediate_size, c.hidden_size));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
    output_layer_norm = register_module("output_layer_norm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(1e-12)));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const torch::Tensor a = sa_layer_norm(out_lin(attention(x, mask)) + x);
    return output_layer_norm(dropout(lin2(Activation(lin1(a), act))) + a);
  }
  std::string act;
  SelfAttention attention{nullptr};
  Linear out_lin{nullptr}, lin1{nullptr}, lin2{nullptr};
  std::shared_ptr<torch::nn::Module> ffn;
  LayerNorm sa_layer_norm{nullptr}, output_layer_norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(DistilLayer);

struct DistilEmbeddingsImpl : torch::nn::Module {
  explicit DistilEmbeddingsImpl(const ModelConfig& c) {
    word_embeddings = register_module("word_embeddings", TokenEmbedding(c.vocab_size, c.hidden_size));
    position_embeddings = register_module("position_embeddings", Embedding(c.max_position_embeddings, c.hidden_size));
    norm = register_module("LayerNorm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(1e-12)));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  torch::Tensor forward(const torch::Tensor& ids) {
    const torch::Tensor positions = torch::arange(ids.size(1), ids.options()).unsqueeze(0).expand_as(ids);
    return dropout(norm(word_embeddings(ids) + position_embeddings(positions)));
  }
  TokenEmbedding word_embeddings{nullptr};
  Embedding position_embeddings{nullptr};
  LayerNorm norm{nullptr};
  Dropout dropout{nullptr};
};
TORCH_MODULE(DistilEmbeddings);

class EncoderModel : public LanguageModelImpl {
 public:
  explicit EncoderModel(const ModelConfig& c) : LanguageModelImpl(c) {
    const bool distil = c.family == ModelFamily::kDistilBert;
    const std::string base = BaseModelPrefix(c.family);
    if (distil) {
      distil_ = register_module(base, std::make_shared<torch::nn::Module>());
      distil_embeddings_ = distil_->register_module("embeddings", DistilEmbeddings(c));
      auto transformer = distil_->register_module("transformer", std::make_shared<torch::nn::Module>());
      distil_layers_ = transformer->register_module("layer", torch::nn::ModuleList());
      for (int64_t i = 0; i < c.num_layers; ++i) distil_layers_->push_back(DistilLayer(c));
    } else {
      const bool pooler = c.family == ModelFamily::kBert && c.head == HeadKind::kSequenceClassification;
      bert_ = register_module(base, BertModel(c, pooler));
    }
    classifier_dropout_ = register_module("dropout", Dropout(c.classifier_dropout));
    if (c.head == HeadKind::kSequenceClassification) {
      if (c.family == ModelFamily::kRoberta) {
        auto head = register_module("classifier", std::make_shared<torch::nn::Module>());
        cls_dense_ = head->register_module("dense", Linear(c.hidden_size, c.hidden_size));
        classifier_ = head->register_module("out_proj", Linear(c.hidden_size, c.num_labels));
      } else {
        if (distil) pre_classifier_ = register_module("pre_classifier", Linear(c.hidden_size, c.hidden_size));
        classifier_ = register_module("classifier", Linear(c.hidden_size, c.num_labels));
      }
    } else if (c.head == HeadKind::kMaskedLm) {
      // The output projection is the word-embedding matrix (tied), plus a bias of its own.
      if (distil) {
        mlm_dense_ = register_module("vocab_transform", Linear(c.hidden_size, c.hidden_size));
        mlm_norm_ = register_module("vocab_layer_norm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(1e-12)));
        auto projector = register_module("vocab_projector", std::make_shared<torch::nn::Module>());
        mlm_bias_ = projector->register_parameter("bias", torch::zeros({c.vocab_size}));
      } else if (c.family == ModelFamily::kRoberta) {
        auto head = register_module("lm_head", std::make_shared<torch::nn::Module>());
        mlm_dense_ = head->register_module("dense", Linear(c.hidden_size, c.hidden_size));
        mlm_norm_ = head->register_module("layer_norm",
                                          LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
        mlm_bias_ = head->register_parameter("bias", torch::zeros({c.vocab_size}));
      } else {
        auto cls = register_module("cls", std::make_shared<torch::nn::Module>());
        auto predictions = cls->register_module("predictions", std::make_shared<torch::nn::Module>());
        auto transform = predictions->register_module("transform", std::make_shared<torch::nn::Module>());
        mlm_dense_ = transform->register_module("dense", Linear(c.hidden_size, c.hidden_size));
        mlm_norm_ = transform->register_module("LayerNorm",
                                               LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
        mlm_bias_ = predictions->register_parameter("bias", torch::zeros({c.vocab_size}));
      }
    }
  }

  std::vector<std::string> TiedParameterNames() const override {
    if (config_.head != HeadKind::kMaskedLm) return {};
    switch (config_.family) {
      case ModelFamily::kDistilBert:
        return {"vocab_projector.weight"};
      case ModelFamily::kRoberta:
        return {"lm_head.decoder.weight", "lm_head.decoder.bias"};
      default:
        return {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"};
    }
  }

  NamedTensors Forward(const Batch& batch) override {
    const torch::Tensor& ids = batch.input_ids;
    const torch::Tensor mask01 = batch.attention_mask.defined() ? batch.attention_mask : torch::ones_like(ids);
    const torch::Tensor mask = AdditiveMask(mask01, torch::kFloat32);
    torch::Tensor embedded, h, word_embeddings;
    NamedTensors intermediates;
    // Per layer: its output, and (when recording) its attention scores.
    auto after_layer = [&](int64_t i, const SelfAttention& attention) {
      if (!record_intermediates_) return;
      intermediates.push_back({"hidden_state." + std::to_string(i), h});
      intermediates.push_back({"attention_scores." + std::to_string(i), attention->recorded_scores});
    };
    if (distil_) {
      embedded = distil_embeddings_(ids);
      h = embedded;
      int64_t i = 0;
      for (const auto& module : *distil_layers_) {
        auto layer = module->as<DistilLayer>();
        layer->attention->record = record_intermediates_;
        h = layer->forward(h, mask);
        after_layer(i++, layer->attention);
      }
      if (config_.head == HeadKind::kMaskedLm) word_embeddings = distil_embeddings_->word_embeddings->Table();
    } else {
      embedded = bert_->embeddings(ids, batch.token_type_ids);
      h = embedded;
      int64_t i = 0;
      for (const auto& module : *bert_->encoder->layer) {
        auto layer = module->as<BertLayer>();
        layer->attention->self->record = record_intermediates_;
        h = layer->forward(h, mask);
        after_layer(i++, layer->attention->self);
      }
      if (config_.head == HeadKind::kMaskedLm) word_embeddings = bert_->embeddings->word_embeddings->Table();
    }
    NamedTensors out{{"embedding_output", embedded}, {"last_hidden_state", h}};
    out.insert(out.end(), intermediates.begin(), intermediates.end());
    const torch::Tensor first = h.select(1, 0);  // [CLS] / <s>
    if (config_.head == HeadKind::kSequenceClassification) {
      torch::Tensor x;
      if (config_.family == ModelFamily::kDistilBert) {
        x = classifier_dropout_(torch::relu(pre_classifier_(first)));
      } else if (config_.family == ModelFamily::kRoberta) {
        x = classifier_dropout_(torch::tanh(cls_dense_(classifier_dropout_(first))));
      } else {
        x = classifier_dropout_(torch::tanh(bert_->pooler->dense(first)));
      }
      out.push_back({"logits", classifier_(x)});
    } else if (config_.head == HeadKind::kMaskedLm) {
      const torch::Tensor t = mlm_norm_(Activation(mlm_dense_(h), config_.hidden_act));
      out.push_back({"logits", torch::matmul(t, word_embeddings.t()) + mlm_bias_});
    }
    return out;
  }

 private:
  BertModel bert_{nullptr};
  std::shared_ptr<torch::nn::Module> distil_;
  DistilEmbeddings distil_embeddings_{nullptr};
  torch::nn::ModuleList distil_layers_{nullptr};
  Dropout classifier_dropout_{nullptr};
  Linear pre_classifier_{nullptr}, cls_dense_{nullptr}, classifier_{nullptr}, mlm_dense_{nullptr};
  LayerNorm mlm_norm_{nullptr};
  torch::Tensor mlm_bias_;
};

}  // namespace

std::shared_ptr<LanguageModelImpl> MakeEncoderModel(const ModelConfig& config) {
  return std::make_shared<EncoderModel>(config);
}

}  // namespace lrb
