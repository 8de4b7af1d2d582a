#include "runtime/model/model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "runtime/model/checkpoint_names.h"
#include "runtime/model/model_impl.h"
#include "runtime/model/torch_checkpoint.h"

namespace lrb {

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
const ModelConfig& Model::config() const { return impl_->config; }
const LoadReport& Model::report() const { return impl_->report; }

std::string LoadReport::Summary() const {
  auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("none") : absl::StrJoin(v, ", "); };
  return absl::StrFormat("initialised: %s; unused: %s; unexpected: %s", list(initialised), list(unused),
                         list(unexpected));
}

namespace {

// Parameters of a task head: absent from a checkpoint trained for another head, initialised instead.
bool IsHeadParameter(const std::string& name) {
  for (const char* prefix : {"classifier.", "pre_classifier.", "bert.pooler.", "cls.", "lm_head.", "vocab_transform.",
                             "vocab_layer_norm.", "vocab_projector."}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Hugging Face's initialisation: N(0, 0.02) weights and embeddings, zero biases, unit norm scales.
void InitialiseParameter(const std::string& name, torch::Tensor& param) {
  const bool is_norm = name.find("LayerNorm") != std::string::npos || name.find("layer_norm") != std::string::npos;
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
    param.zero_();
  } else if (is_norm) {
    param.fill_(1.0);
  } else {
    param.normal_(0.0, 0.02);
  }
}

// Save's metadata entry `key` as a JSON object (empty when the file has none); anything else is an error naming it.
absl::StatusOr<nlohmann::json> MetadataObject(const SafetensorsFile& weights, const std::string& key, const std::string& dir) {
  auto it = weights.metadata().find(key);
  if (it == weights.metadata().end()) return nlohmann::json::object();
  nlohmann::json listed = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!listed.is_object()) return absl::InvalidArgumentError(absl::StrFormat("%s: metadata %s is not a JSON object", dir, key));
  return listed;
}

// Makes every layer of `sharers` compute with `owner`'s Tucker core (Model::ShareTuckerCore, Load).
absl::Status TieTuckerCores(const std::map<std::string, std::shared_ptr<LinearImpl>>& linears, const std::string& owner,
                            const std::vector<std::string>& sharers) {
  auto tucker = [&](const std::string& name) -> absl::StatusOr<std::shared_ptr<LinearImpl>> {
    auto it = linears.find(name);
    if (it == linears.end()) return absl::InvalidArgumentError(absl::StrFormat("'%s' is not a linear of the model", name));
    const LinearImpl& l = *it->second;
    if (l.format() != "tucker" || !l.shared_core_owner().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "layer '%s' holds no Tucker core of its own (%s)", name,
          l.format() == "tucker" ? "it shares the core of '" + l.shared_core_owner() + "'"
                                 : "format " + (l.compressed() ? l.format() : std::string("dense"))));
    }
    return it->second;
  };
  absl::StatusOr<std::shared_ptr<LinearImpl>> holder = tucker(owner);
  if (!holder.ok()) return holder.status();
  const torch::Tensor core = *(*holder)->named_parameters(/*recurse=*/false).find("tucker_core");
  std::vector<std::shared_ptr<LinearImpl>> layers;  // every one checked before any is changed
  for (const std::string& name : sharers) {
    absl::StatusOr<std::shared_ptr<LinearImpl>> l = tucker(name);
    if (!l.ok()) return l.status();
    if (name == owner || std::count(sharers.begin(), sharers.end(), name) > 1) {
      return absl::InvalidArgumentError(absl::StrFormat("layer '%s' is listed twice", name));
    }
    const torch::Tensor own = *(*l)->named_parameters(/*recurse=*/false).find("tucker_core");
    if (own.sizes() != core.sizes()) {
      return absl::InvalidArgumentError(absl::StrFormat("layer '%s' has a core of shape %s, '%s' one of %s", name,
                                                        c10::str(own.sizes()), owner, c10::str(core.sizes())));
    }
    layers.push_back(*l);
  }
  for (const std::shared_ptr<LinearImpl>& l : layers) l->UseSharedTuckerCore(core, owner);
  return absl::OkStatus();
}

// The LibTorch device of `device`; FailedPrecondition when it is CUDA and CUDA is not available.
absl::StatusOr<torch::Device> ToTorchDevice(const Device& device) {
  if (device.is_cuda() && !torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("device '%s' asked for, but CUDA is not available", device.ToString()));
  }
  if (!device.is_cuda()) return torch::Device(torch::kCPU);
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(device.index));
}

std::string ShapeString(const std::vector<int64_t>& s) { return "[" + absl::StrJoin(s, ", ") + "]"; }

absl::StatusOr<torch::Tensor> ToTorch(const HostTensor& t, const std::string& name) {
  if (t.dtype == DType::kI64) {
    absl::StatusOr<std::vector<int64_t>> v = HostTensorToInt64(t);
    if (!v.ok()) return v.status();
    return torch::tensor(*v, torch::kLong).reshape(t.shape);
  }
  absl::StatusOr<std::vector<float>> v = HostTensorToFloats(t);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrFormat("tensor '%s': %s", name, v.status().message()));
  return torch::from_blob(v->data(), {static_cast<int64_t>(v->size())}, torch::kFloat32).clone().reshape(t.shape);
}

// A float tensor of a checkpoint as floats, or an error naming the checkpoint and the tensor when it cannot be
// read as floats or holds a NaN or an inf (a diverged training's checkpoint is refused at load, not evaluated).
absl::StatusOr<std::vector<float>> FiniteFloats(const std::string& dir, const std::string& name, const HostTensor& t) {
  absl::StatusOr<std::vector<float>> v = HostTensorToFloats(t);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s: tensor '%s': %s", dir, name, v.status().message()));
  if (const auto bad = std::count_if(v->begin(), v->end(), [](float x) { return !std::isfinite(x); }); bad > 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: tensor '%s' has %d non-finite value(s) (NaN or inf)", dir, name, bad));
  }
  return v;
}

absl::StatusOr<AdapterOptions> AdapterFromJson(const nlohmann::json& j) {
  AdapterOptions o;
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string() || !j.contains("rank") ||
      !j["rank"].is_number_integer() || !j.contains("alpha") || !j["alpha"].is_number() || !j.contains("dropout") ||
      !j["dropout"].is_number() || !j.contains("tt_rank") || !j["tt_rank"].is_number_integer() ||
      !j.contains("tt_order") || !j["tt_order"].is_number_integer()) {
    return absl::InvalidArgumentError("expected an object with kind, rank, alpha, dropout, tt_rank, tt_order");
  }
  o.kind = j["kind"].get<std::string>();
  o.rank = j["rank"].get<int64_t>();
  o.alpha = j["alpha"].get<double>();
  o.dropout = j["dropout"].get<double>();
  o.tt_rank = j["tt_rank"].get<int64_t>();
  o.tt_order = j["tt_order"].get<int>();
  if (absl::Status s = CheckAdapterOptions(o); !s.ok()) return s;
  return o;
}

void SetKernels(LanguageModelImpl& module, const std::string& kernels) {
  for (const auto& item : module.named_modules("", /*include_self=*/false)) {
    if (auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value())) linear->UseOneDnn(kernels == "onednn");
  }
}

}  // namespace

absl::Status CheckKernels(const std::string& kernels) {
  if (kernels == "onednn" || kernels == "libtorch") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("unknown kernels '%s' (onednn, libtorch)", kernels));
}

absl::Status CheckDevice(const Device& device) { return ToTorchDevice(device).status(); }

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir, const LoadOptions& options) {
  if (absl::Status k = CheckKernels(options.kernels); !k.ok()) return k;
  absl::StatusOr<ModelConfig> config = ReadModelConfig(dir);
  if (!config.ok()) return config.status();
  if (options.head) config->head = *options.head;
  if (options.num_labels) config->num_labels = *options.num_labels;
  absl::StatusOr<SafetensorsFile> weights = LoadModelCheckpoint(dir);
  if (!weights.ok()) return weights.status();

  auto impl = std::make_unique<Impl>();
  absl::StatusOr<torch::Device> device = ToTorchDevice(options.device);
  if (!device.ok()) return device.status();
  impl->device = *device;
  torch::manual_seed(options.seed);
  impl->config = *config;
  impl->module = config->family == ModelFamily::kT5 ? MakeT5Model(*config) : MakeEncoderModel(*config);

  const std::vector<std::string> tied = impl->module->TiedParameterNames();
  std::set<std::string> used, preset;
  std::vector<std::string> missing;
  // Adapters (Save's "lrbench.adapters" metadata) are attached first, so that their matrices have a place.
  absl::StatusOr<nlohmann::json> adapters = MetadataObject(*weights, "lrbench.adapters", dir);
  if (!adapters.ok()) return adapters.status();
  if (!adapters->empty()) {
    std::map<std::string, std::shared_ptr<LinearImpl>> linears;
    for (const auto& [name, l] : Linears(*impl->module)) linears[name] = l;
    for (const auto& [module_name, options] : adapters->items()) {
      auto l = linears.find(module_name);
      absl::StatusOr<AdapterOptions> o = AdapterFromJson(options);
      if (l == linears.end() || !o.ok()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: adapter of '%s': %s", dir, module_name,
            l == linears.end() ? "not a linear of this model" : std::string(o.status().message())));
      }
      try {
        l->second->AddAdapter(*o);
      } catch (const c10::Error& e) {
        return absl::InvalidArgumentError(absl::StrFormat("%s: adapter of '%s': %s", dir, module_name, e.what_without_backtrace()));
      }
    }
  }
  // SCADA-Tucker layers (Save's "lrbench.shared_tucker_cores": layer -> the layer holding its core).
  std::map<std::string, std::string> shared_cores;
  absl::StatusOr<nlohmann::json> shared = MetadataObject(*weights, "lrbench.shared_tucker_cores", dir);
  if (!shared.ok()) return shared.status();
  for (const auto& [layer, owner] : shared->items()) {
    if (!owner.is_string()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: shared Tucker core of '%s' names no layer", dir, layer));
    }
    shared_cores[layer] = owner.get<std::string>();
  }
  // Layers saved compressed (Save's "lrbench.factorized" metadata) are rebuilt from their arrays first.
  absl::StatusOr<nlohmann::json> factorized = MetadataObject(*weights, "lrbench.factorized", dir);
  if (!factorized.ok()) return factorized.status();
  if (!factorized->empty()) {
    std::map<std::string, std::shared_ptr<LinearImpl>> linears;
    for (const auto& item : impl->module->named_modules("", false)) {
      if (auto l = std::dynamic_pointer_cast<LinearImpl>(item.value())) linears[item.key()] = l;
    }
    for (const auto& [module_name, format] : factorized->items()) {
      auto l = linears.find(module_name);
      if (l == linears.end()) {
        return absl::InvalidArgumentError(absl::StrFormat("%s: compressed layer '%s' is not a linear of this model", dir,
                                                          module_name));
      }
      const std::string prefix = module_name + ".";
      std::vector<std::string> children;  // an adapter's matrices: their tensors are not this layer's arrays
      for (const auto& child : l->second->named_children()) children.push_back(prefix + child.key() + ".");
      std::vector<NamedArray> arrays;
      for (const auto& [name, tensor] : weights->tensors()) {
        if (name.rfind(prefix, 0) != 0 || name == prefix + "bias" || name.find('.', prefix.size()) == std::string::npos ||
            std::any_of(children.begin(), children.end(), [&](const std::string& c) { return name.rfind(c, 0) == 0; })) {
          continue;
        }
        NamedArray a{name.substr(prefix.size()), tensor.shape, {}, {}};
        if (tensor.dtype == DType::kI64) {
          a.ints = *HostTensorToInt64(tensor);
        } else {
          absl::StatusOr<std::vector<float>> v = FiniteFloats(dir, name, tensor);
          if (!v.ok()) return v.status();
          a.values = std::move(*v);
        }
        used.insert(name);
        arrays.push_back(std::move(a));
      }
      if (auto holder = shared_cores.find(module_name); holder != shared_cores.end()) {  // the core is stored once, with its holder
        const HostTensor* core = weights->Find(holder->second + ".tucker.core");
        if (core == nullptr) {
          return absl::InvalidArgumentError(absl::StrFormat("%s: layer '%s' shares the core of '%s', which the file lacks",
                                                            dir, module_name, holder->second));
        }
        absl::StatusOr<std::vector<float>> v = FiniteFloats(dir, holder->second + ".tucker.core", *core);
        if (!v.ok()) return v.status();
        arrays.push_back(NamedArray{"tucker.core", core->shape, *std::move(v), {}});
      }
      absl::StatusOr<Factorization> f = ImportArrays(arrays);
      if (!f.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s: layer '%s': %s", dir, module_name, f.status().message()));
      try {
        l->second->SetFactorization(*f, /*trainable=*/true);  // as every loaded parameter (SetTrainable narrows)
      } catch (const c10::Error& e) {
        return absl::InvalidArgumentError(absl::StrFormat("%s: layer '%s': %s", dir, module_name, e.what_without_backtrace()));
      }
      preset.insert(prefix + "weight");
      for (const std::string& n : l->second->FactorParameterNames()) preset.insert(prefix + n);
    }
    std::map<std::string, std::vector<std::string>> by_owner;
    for (const auto& [layer, owner] : shared_cores) by_owner[owner].push_back(layer);
    for (const auto& [owner, sharers] : by_owner) {
      if (absl::Status s = TieTuckerCores(linears, owner, sharers); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrFormat("%s: shared Tucker core: %s", dir, s.message()));
      }
    }
  }
  // Checkpoint names as transformers maps them (legacy LayerNorm names, the base-model prefix, T5's tied
  // embeddings): model parameter name -> the checkpoint tensor that fills it.
  std::set<std::string> model_names;
  std::vector<std::string> model_order;
  for (const auto& item : impl->module->named_parameters()) {
    model_names.insert(item.key());
    model_order.push_back(item.key());
  }
  const std::vector<std::string> checkpoint_names = weights->Names();
  absl::StatusOr<std::vector<std::string>> mapped =
      MapCheckpointNames(checkpoint_names, model_names, BaseModelPrefix(config->family));
  if (!mapped.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s: %s", dir, mapped.status().message()));
  std::map<std::string, std::string> source;  // model name -> checkpoint name
  for (size_t i = 0; i < checkpoint_names.size(); ++i) {
    if (!used.count(checkpoint_names[i])) source.emplace((*mapped)[i], checkpoint_names[i]);
  }
  int64_t found = 0;  // model parameters the checkpoint filled
  torch::NoGradGuard no_grad;
  for (auto& item : impl->module->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& param = item.value();
    if (preset.count(name)) continue;
    auto from = source.find(name);
    const HostTensor* stored = from == source.end() ? nullptr : weights->Find(from->second);
    if (stored == nullptr) {
      if (IsHeadParameter(name)) {
        InitialiseParameter(name, param);
        impl->report.initialised.push_back(name);
      } else {
        missing.push_back(name);
      }
      continue;
    }
    if (stored->shape != param.sizes().vec()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: tensor '%s' has shape %s, the model expects %s", dir,
                                                        name, ShapeString(stored->shape),
                                                        ShapeString(param.sizes().vec())));
    }
    absl::StatusOr<std::vector<float>> value = FiniteFloats(dir, from->second, *stored);
    if (!value.ok()) return value.status();
    param.copy_(torch::from_blob(value->data(), param.sizes(), torch::kFloat32));
    used.insert(from->second);
    ++found;
  }
  if (!missing.empty()) {
    // The first few of a list, and how many there are.
    auto first = [](const std::vector<std::string>& v) {
      const size_t shown = std::min<size_t>(v.size(), 4);
      return absl::StrJoin(v.begin(), v.begin() + shown, ", ") +
             (v.size() > shown ? absl::StrFormat(", ... (%d in all)", v.size()) : std::string());
    };
    if (found == 0 && preset.empty()) {  // not one name in common: another layout, not a damaged checkpoint
      std::vector<std::string> expected = model_order;
      std::stable_partition(expected.begin(), expected.end(), [](const std::string& n) { return !IsHeadParameter(n); });
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: the checkpoint's tensor names match no %s layout: expected names like %s; found %s", dir,
          config->model_type, first(expected), checkpoint_names.empty() ? std::string("no tensors") : first(checkpoint_names)));
    }
    return absl::InvalidArgumentError(absl::StrFormat("%s: checkpoint lacks %d weight(s) of the %s model: %s", dir,
                                                      missing.size(), config->model_type, first(missing)));
  }
  for (size_t i = 0; i < checkpoint_names.size(); ++i) {
    const std::string& name = (*mapped)[i];
    if (used.count(checkpoint_names[i]) || std::find(tied.begin(), tied.end(), name) != tied.end()) continue;
    (IsOptionalCheckpointTensor(name) ? impl->report.unused : impl->report.unexpected).push_back(checkpoint_names[i]);
  }
  impl->module->to(impl->device);
  impl->module->eval();
  SetKernels(*impl->module, options.kernels);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Model>> Model::Create(const ModelConfig& config, const LoadOptions& options) {
  if (absl::Status k = CheckKernels(options.kernels); !k.ok()) return k;
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<torch::Device> device = ToTorchDevice(options.device);
  if (!device.ok()) return device.status();
  impl->device = *device;
  torch::manual_seed(options.seed);
  impl->config = config;
  if (options.head) impl->config.head = *options.head;
  if (options.num_labels) impl->config.num_labels = *options.num_labels;
  impl->module = config.family == ModelFamily::kT5 ? MakeT5Model(impl->config) : MakeEncoderModel(impl->config);
  {
    torch::NoGradGuard no_grad;
    for (auto& item : impl->module->named_parameters()) InitialiseParameter(item.key(), item.value());
  }
  impl->module->to(impl->device);
  impl->module->eval();
  SetKernels(*impl->module, options.kernels);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

absl::StatusOr<SafetensorsFile> Model::Forward(const SafetensorsFile& inputs, const ForwardOptions& options) {
  Batch batch;
  const struct {
    const char* name;
    torch::Tensor* slot;
    bool required;
  } fields[] = {{"input_ids", &batch.input_ids, true},
                {"attention_mask", &batch.attention_mask, false},
                {"token_type_ids", &batch.token_type_ids, false},
                {"decoder_input_ids", &batch.decoder_input_ids, false}};
  std::vector<int64_t> shape;
  for (const auto& f : fields) {
    const HostTensor* t = inputs.Find(f.name);
    if (t == nullptr) {
      if (f.required) return absl::InvalidArgumentError(absl::StrFormat("inputs lack tensor '%s'", f.name));
      continue;
    }
    if (t->dtype != DType::kI64 || t->shape.size() != 2) {
      return absl::InvalidArgumentError(absl::StrFormat("input '%s' must be I64 [batch, seq], got %s %s", f.name,
                                                        DTypeName(t->dtype), ShapeString(t->shape)));
    }
    const bool decoder = std::string(f.name) == "decoder_input_ids";
    if (t->shape[0] < 1 || t->shape[1] < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("input '%s' has shape %s: a batch needs at least one sequence of one token", f.name,
                          ShapeString(t->shape)));
    }
    if (decoder && t->shape[0] != shape[0]) {
      return absl::InvalidArgumentError(absl::StrFormat("input 'decoder_input_ids' has batch %d, input_ids %d",
                                                        t->shape[0], shape[0]));
    }
    if (!decoder && !shape.empty() && t->shape != shape) {
      return absl::InvalidArgumentError(absl::StrFormat("input '%s' has shape %s, input_ids %s", f.name,
                                                        ShapeString(t->shape), ShapeString(shape)));
    }
    if (!decoder && shape.empty()) shape = t->shape;
    absl::StatusOr<torch::Tensor> v = ToTorch(*t, f.name);
    if (!v.ok()) return v.status();
    *f.slot = v->to(impl_->device);
  }
  const ModelConfig& c = impl_->config;
  const int64_t max_position = c.family == ModelFamily::kT5 ? INT64_MAX : c.max_position_embeddings;
  if (shape[1] > max_position) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sequence length %d exceeds max_position_embeddings %d", shape[1], max_position));
  }
  for (const auto& [name, ids] : {std::pair<const char*, torch::Tensor>{"input_ids", batch.input_ids},
                                  {"decoder_input_ids", batch.decoder_input_ids}}) {
    if (ids.defined() && ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.vocab_size)) {
      return absl::InvalidArgumentError(absl::StrFormat("%s holds ids outside [0, %d)", name, c.vocab_size));
    }
  }
  if (batch.attention_mask.defined() &&
      (batch.attention_mask.min().item<int64_t>() < 0 || batch.attention_mask.max().item<int64_t>() > 1)) {
    return absl::InvalidArgumentError("attention_mask holds values other than 0 and 1");
  }
  if (batch.token_type_ids.defined() && c.type_vocab_size > 0 &&
      (batch.token_type_ids.min().item<int64_t>() < 0 ||
       batch.token_type_ids.max().item<int64_t>() >= c.type_vocab_size)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("token_type_ids holds ids outside [0, %d)", c.type_vocab_size));
  }
  if (options.generate > 0 && c.family != ModelFamily::kT5) {
    return absl::InvalidArgumentError("--generate needs a sequence-to-sequence (T5) model");
  }
  SafetensorsFile out;
  try {
    torch::NoGradGuard no_grad;
    NamedTensors results = impl_->module->Forward(batch);
    if (options.generate > 0 && options.num_beams <= 1) {
      results.push_back({"greedy_generate", T5GreedyGenerate(*impl_->module, batch, options.generate,
                                                             options.min_new_tokens)});
    } else if (options.generate > 0) {
      results.push_back({"beam_generate", T5BeamSearch(*impl_->module, batch, options.generate, options.min_new_tokens,
                                                       options.num_beams, options.length_penalty)});
    }
    for (auto& [name, tensor] : results) {
      torch::Tensor t = tensor.to(torch::kCPU).contiguous();
      absl::StatusOr<HostTensor> h;
      if (t.scalar_type() == torch::kLong) {
        h = HostTensorFromInt64(t.sizes().vec(), absl::MakeConstSpan(t.data_ptr<int64_t>(), t.numel()));
      } else {
        t = t.to(torch::kFloat32);
        h = HostTensorFromFloats(DType::kF32, t.sizes().vec(), absl::MakeConstSpan(t.data_ptr<float>(), t.numel()));
      }
      if (!h.ok()) return h.status();
      if (absl::Status s = out.Add(name, std::move(*h)); !s.ok()) return s;
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("forward pass failed: %s", e.what_without_backtrace()));
  }
  return out;
}

}  // namespace lrb

namespace lrb {

absl::Status Model::Save(const std::string& dir, bool overwrite) const {
  const ModelConfig& c = impl_->config;
  nlohmann::json j = nlohmann::json::parse(c.json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) j = nlohmann::json::object();
  const std::string family = c.family == ModelFamily::kBert         ? "Bert"
                             : c.family == ModelFamily::kDistilBert ? "DistilBert"
                             : c.family == ModelFamily::kRoberta    ? "Roberta"
                                                                    : "T5";
  switch (c.head) {
    case HeadKind::kSequenceClassification:
      j["architectures"] = {family + "ForSequenceClassification"};
      j["num_labels"] = c.num_labels;
      j.erase("id2label");
      j.erase("label2id");
      break;
    case HeadKind::kMaskedLm:
      j["architectures"] = {family + "ForMaskedLM"};
      break;
    case HeadKind::kConditionalGeneration:
      j["architectures"] = {family + "ForConditionalGeneration"};
      break;
    case HeadKind::kNone:
      j["architectures"] = {family + "Model"};
      break;
  }
  SafetensorsFile weights;
  weights.mutable_metadata()["format"] = "pt";
  nlohmann::json factorized = nlohmann::json::object();
  nlohmann::json shared_cores = nlohmann::json::object();
  std::set<std::string> skip;
  try {
    // A compressed layer is stored as its factorization's arrays under the layer's name, and listed in
    // the metadata so that Load rebuilds the layer before reading them.
    for (const auto& item : impl_->module->named_modules("", /*include_self=*/false)) {
      auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value());
      if (!linear || !linear->compressed()) continue;
      const std::string& prefix = item.key();
      const Factorization f = linear->CurrentFactorization();
      factorized[prefix] = std::string(FormatName(f));
      skip.insert(prefix + ".weight");
      for (const std::string& n : linear->FactorParameterNames()) skip.insert(prefix + "." + n);
      const std::string& owner = linear->shared_core_owner();
      if (!owner.empty()) shared_cores[prefix] = owner;
      for (const NamedArray& a : ExportArrays(f)) {
        if (!owner.empty() && a.name == "tucker.core") continue;  // stored once, with the layer that holds it
        absl::StatusOr<HostTensor> h = a.values.empty() && !a.ints.empty()
                                           ? HostTensorFromInt64(a.shape, a.ints)
                                           : HostTensorFromFloats(DType::kF32, a.shape, a.values);
        if (!h.ok()) return h.status();
        if (absl::Status s = weights.Add(prefix + "." + a.name, std::move(*h)); !s.ok()) return s;
      }
    }
    if (!factorized.empty()) {
      weights.mutable_metadata()["lrbench.factorized"] = factorized.dump();
      weights.mutable_metadata()["format"] = kFactoredModelType;  // transformers refuses a format other than pt
    }
    if (!shared_cores.empty()) weights.mutable_metadata()["lrbench.shared_tucker_cores"] = shared_cores.dump();
    nlohmann::json adapters = nlohmann::json::object();
    for (const auto& [name, linear] : Linears(*impl_->module)) {
      if (linear->adapter()) adapters[name] = AdapterOptionsToJson(*linear->adapter());
    }
    if (!adapters.empty()) weights.mutable_metadata()["lrbench.adapters"] = adapters.dump();
    for (const auto& item : impl_->module->named_parameters()) {
      if (skip.count(item.key()) || item.value().numel() == 0) continue;
      const torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
      absl::StatusOr<HostTensor> h =
          HostTensorFromFloats(DType::kF32, t.sizes().vec(), absl::MakeConstSpan(t.data_ptr<float>(), t.numel()));
      if (!h.ok()) return h.status();
      if (absl::Status s = weights.Add(item.key(), std::move(*h)); !s.ok()) return s;
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("saving %s failed: %s", dir, e.what_without_backtrace()));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrFormat("cannot create %s: %s", dir, ec.message()));
  // Weights first: a run that fails there leaves no config.json claiming a model exists.
  if (absl::Status s = WriteSafetensors(weights, dir + "/model.safetensors", overwrite); !s.ok()) return s;
  // Compressed layers: a config transformers refuses (config.h kFactoredModelType), the HF one inside it.
  const std::string config = factorized.empty() ? j.dump(2) + "\n" : FactoredConfigJson(j.dump(), factorized.dump());
  return WriteFileAtomically(dir + "/config.json", config, /*overwrite=*/true);
}

}  // namespace lrb

namespace lrb {
namespace {

// '*' matches a run of characters without '.', '**' any run of characters.
bool GlobMatch(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (p[0] == '*' && p[1] == '*') {
    for (const char* t = s;; ++t) {
      if (GlobMatch(p + 2, t)) return true;
      if (*t == '\0') return false;
    }
  }
  if (*p == '*') {
    for (const char* t = s;; ++t) {
      if (GlobMatch(p + 1, t)) return true;
      if (*t == '\0' || *t == '.') return false;
    }
  }
  return *s != '\0' && *p == *s && GlobMatch(p + 1, s + 1);
}

}  // namespace

std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>> Linears(LanguageModelImpl& module) {
  std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>> out;
  for (const auto& item : module.named_modules("", /*include_self=*/false)) {
    auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value());
    if (!linear || std::dynamic_pointer_cast<TokenEmbeddingImpl>(linear)) continue;
    // An adapter's matrices are part of the layer they adapt (named_modules lists a parent first).
    if (!out.empty() && absl::StartsWith(item.key(), out.back().first + ".")) continue;
    out.push_back({item.key(), linear});
  }
  return out;
}

absl::StatusOr<int> Model::AddAdapters(const std::string& pattern, const AdapterOptions& options) {
  if (absl::Status s = CheckAdapterOptions(options); !s.ok()) return s;
  std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>> chosen;
  for (const auto& [name, linear] : Linears(*impl_->module)) {
    if (!GlobMatch(pattern.c_str(), name.c_str())) continue;
    if (linear->adapter()) return absl::InvalidArgumentError(absl::StrFormat("layer %s already has an adapter", name));
    if (options.kind == "lora" && options.rank > std::min(linear->in_features, linear->out_features)) {
      return absl::InvalidArgumentError(absl::StrFormat("layer %s: LoRA rank %d exceeds its smaller side %d", name,
                                                        options.rank, std::min(linear->in_features, linear->out_features)));
    }
    chosen.push_back({name, linear});
  }
  if (chosen.empty()) return absl::InvalidArgumentError(absl::StrFormat("adapter pattern '%s' matches no linear", pattern));
  try {
    for (const auto& [name, linear] : chosen) {
      // Each layer's draw depends on the seed and its name only, not on which call or order attached it.
      uint64_t h = 1469598103934665603ull;  // FNV-1a
      for (char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
      torch::manual_seed(options.seed ^ h);
      linear->AddAdapter(options);
    }
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("adding adapters: ", e.what_without_backtrace()));
  }
  return static_cast<int>(chosen.size());
}

absl::StatusOr<int64_t> Model::SetTrainable(const std::vector<std::string>& patterns) {
  std::set<std::string> adapter_prefixes;  // "<layer>.lora_A." and the like
  for (const auto& item : impl_->module->named_modules("", /*include_self=*/false)) {
    auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value());
    if (!linear || !linear->adapter()) continue;
    for (const char* part : {"lora_A", "lora_B", "adapter_down", "adapter_up"}) {
      adapter_prefixes.insert(absl::StrCat(item.key(), ".", part, "."));
    }
  }
  std::vector<bool> used(patterns.size(), false);
  for (auto& item : impl_->module->named_parameters()) {
    const std::string& name = item.key();
    bool train = std::any_of(adapter_prefixes.begin(), adapter_prefixes.end(),
                             [&](const std::string& p) { return absl::StartsWith(name, p); });
    for (size_t i = 0; i < patterns.size(); ++i) {
      if (GlobMatch(patterns[i].c_str(), name.c_str())) used[i] = train = true;
    }
    // Empty tensors (a compressed layer's former weight, a quantized layer's codes) never train.
    item.value().requires_grad_(train && item.value().numel() > 0 && item.value().is_floating_point());
  }
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (!used[i]) return absl::InvalidArgumentError(absl::StrFormat("trainable pattern '%s' matches no parameter", patterns[i]));
  }
  return TrainableParameterCount();
}

int64_t Model::TrainableParameterCount() const {
  int64_t n = 0;
  for (const auto& p : impl_->module->parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

std::vector<std::string> Model::LinearNames(const std::string& pattern) const {
  std::vector<std::string> names;
  for (const auto& [name, linear] : Linears(*impl_->module)) {
    if (pattern.empty() || GlobMatch(pattern.c_str(), name.c_str())) names.push_back(name);
  }
  return names;
}

namespace {

// ReplaceLinears and ReplaceEmbeddings: every matching layer's weight through `compress`.
absl::StatusOr<std::vector<LinearReplacement>> ReplaceLayers(
    const std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>>& layers, const std::string& pattern,
    const LinearCompressor& compress, bool trainable, const char* what) {
  std::vector<LinearReplacement> out;
  for (const auto& [name, linear] : layers) {
    if (!pattern.empty() && !GlobMatch(pattern.c_str(), name.c_str())) continue;
    const Matrix w = linear->WeightMatrix();
    absl::StatusOr<Factorization> f = compress(name, w);
    if (!f.ok()) return absl::Status(f.status().code(), absl::StrFormat("%s: %s", name, f.status().message()));
    if (MatrixShape(*f) != std::make_pair<int64_t, int64_t>(w.rows(), w.cols())) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: the factorization is %dx%d, the weight %dx%d", name,
                                                        MatrixShape(*f).first, MatrixShape(*f).second, w.rows(), w.cols()));
    }
    LinearReplacement r{name, std::string(FormatName(*f)), w.size(), StoredParams(*f), StoredBits(*f),
                        RelativeError(w, Reconstruct(*f))};
    try {
      linear->SetFactorization(*f, trainable);
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrFormat("%s: %s", name, e.what_without_backtrace()));
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) return absl::NotFoundError(absl::StrFormat("no %s matches '%s'", what, pattern));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<LinearReplacement>> Model::ReplaceLinears(const std::string& pattern,
                                                                    const LinearCompressor& compress,
                                                                    bool trainable) {
  return ReplaceLayers(Linears(*impl_->module), pattern, compress, trainable, "linear layer");
}

absl::StatusOr<std::vector<LinearReplacement>> Model::ReplaceEmbeddings(const std::string& pattern,
                                                                       const LinearCompressor& compress,
                                                                       bool trainable) {
  std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>> tables;
  for (const auto& item : impl_->module->named_modules("", /*include_self=*/false)) {
    if (auto e = std::dynamic_pointer_cast<TokenEmbeddingImpl>(item.value())) tables.push_back({item.key(), e});
  }
  return ReplaceLayers(tables, pattern, compress, trainable, "token embedding");
}

absl::StatusOr<int64_t> Model::ShareTuckerCore(const std::vector<std::string>& names) {
  if (names.size() < 2) return absl::InvalidArgumentError("sharing a Tucker core needs at least two layers");
  std::map<std::string, std::shared_ptr<LinearImpl>> linears;
  for (const auto& [name, l] : Linears(*impl_->module)) linears[name] = l;
  const int64_t before = ParameterCount();
  if (absl::Status s = TieTuckerCores(linears, names[0], std::vector<std::string>(names.begin() + 1, names.end()));
      !s.ok()) {
    return s;
  }
  return before - ParameterCount();
}

absl::StatusOr<std::vector<std::pair<std::string, Matrix>>> Model::LinearWeights(const std::string& pattern) {
  std::vector<std::pair<std::string, Matrix>> out;
  for (const auto& [name, linear] : Linears(*impl_->module)) {
    if (pattern.empty() || GlobMatch(pattern.c_str(), name.c_str())) out.push_back({name, linear->WeightMatrix()});
  }
  if (out.empty()) return absl::NotFoundError(absl::StrFormat("no linear layer matches '%s'", pattern));
  return out;
}

int ConfigureThreads(int threads) {
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    threads = env != nullptr ? std::atoi(env) : 0;
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

RuntimeInfo GetRuntimeInfo(const Device& device) {
  RuntimeInfo info;
  info.libtorch = TORCH_VERSION;
  info.threads = at::get_num_threads();
  info.cuda = device.is_cuda() && torch::cuda::is_available();
  return info;
}

absl::StatusOr<int> Model::CopyParametersFrom(Model& from, const std::string& pattern) {
  auto mine = impl_->module->named_parameters();
  int copied = 0;
  torch::NoGradGuard no_grad;
  for (const auto& item : from.impl_->module->named_parameters()) {
    if (!GlobMatch(pattern.c_str(), item.key().c_str())) continue;
    torch::Tensor* to = mine.find(item.key());
    if (to == nullptr) return absl::InvalidArgumentError(absl::StrFormat("parameter %s: not in this model", item.key()));
    if (to->sizes() != item.value().sizes()) {
      return absl::InvalidArgumentError(absl::StrFormat("parameter %s: shape %s here, %s in the source", item.key(),
                                                        c10::str(to->sizes()), c10::str(item.value().sizes())));
    }
    to->copy_(item.value());
    ++copied;
  }
  for (const auto& item : impl_->module->named_modules("", /*include_self=*/false)) {  // adapters' matrices too
    if (auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value())) linear->DropKernel();  // built from old weights
  }
  return copied;
}

int64_t Model::ParameterCount() const {
  int64_t n = 0;
  for (const auto& p : impl_->module->parameters()) n += p.numel();
  return n;
}

}  // namespace lrb
