// `lrbench export`: a model directory (a Hugging Face checkpoint, or one with compressed layers written by
// `lrbench compress` / Model::Save) written for use outside lrbench:
//   dense     every compressed layer replaced by its reconstruction under the layer's Hugging Face key
//             ("<layer>.weight"), LoRA adapters merged into their weight (W + alpha / rank * B A), the base
//             config.json (architecture, labels): transformers loads it as the original architecture;
//   factored  the factors kept (lrbench's own layout, which Model::Load and tools/lrbench_factored.py read),
//             under a config.json of model_type lrbench_factored (config.h), which transformers refuses.
// --dtype converts the float tensors on write; integer tensors (quantized codes, indices) stay I64.
#include "cli/export.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/file.h"
#include "base/safetensors.h"
#include "runtime/model/config.h"
#include "methods/factorization.h"

namespace lrb {

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

absl::Status CheckOutputDirectory(const std::string& model_dir, const std::string& output, bool overwrite) {
  std::error_code ec;
  if (std::filesystem::equivalent(model_dir, output, ec)) {
    return absl::InvalidArgumentError(absl::StrFormat("--output=%s is the model directory", output));
  }
  if (PathExists(output) && !overwrite) {
    return absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", output));
  }
  if (PathExists(output) && !IsDirectory(output)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s exists and is not a directory", output));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StagingDirectory(const std::string& output) {
  const std::string staging = absl::StrCat(output, ".tmp-", getpid());
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
  std::filesystem::create_directories(staging, ec);
  if (ec) return absl::InternalError(absl::StrFormat("cannot create %s: %s", staging, ec.message()));
  return staging;
}

absl::Status PublishDirectory(const std::string& staging, const std::string& output, bool overwrite) {
  std::error_code ec;
  const std::string aside = absl::StrCat(output, ".old-", getpid());
  const bool replace = PathExists(output);
  if (replace && !overwrite) {
    std::filesystem::remove_all(staging, ec);
    return absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", output));
  }
  if (replace) {
    std::filesystem::rename(output, aside, ec);
    if (ec) {
      std::filesystem::remove_all(staging, ec);
      return absl::InternalError(absl::StrFormat("cannot move %s aside: %s", output, ec.message()));
    }
  }
  std::filesystem::rename(staging, output, ec);
  if (ec) {
    const std::string why = ec.message();
    if (replace) std::filesystem::rename(aside, output, ec);  // put the old one back
    std::filesystem::remove_all(staging, ec);
    return absl::InternalError(absl::StrFormat("cannot rename %s to %s: %s", staging, output, why));
  }
  if (replace) std::filesystem::remove_all(aside, ec);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CopyTokenizerFiles(const std::string& from, const std::string& to) {
  std::vector<std::string> copied;
  for (const char* name : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "vocab.json", "merges.txt", "spiece.model", "added_tokens.json"}) {
    const std::string src = absl::StrCat(from, "/", name);
    if (!IsRegularFile(src)) continue;
    std::error_code ec;
    std::filesystem::copy_file(src, absl::StrCat(to, "/", name), std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return absl::InternalError(absl::StrFormat("cannot copy %s: %s", src, ec.message()));
    copied.push_back(name);
  }
  return copied;
}

namespace {

using Json = nlohmann::json;

// The metadata entry `key` of the checkpoint as a JSON object ({} when absent).
absl::StatusOr<Json> MetadataObject(const SafetensorsFile& file, const std::string& key, const std::string& dir) {
  auto it = file.metadata().find(key);
  if (it == file.metadata().end()) return Json::object();
  Json j = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrFormat("%s: metadata %s is not a JSON object", dir, key));
  return j;
}

// The adapter modules a layer's arrays exclude (their tensors are the adapter's, not the layer's).
constexpr const char* kAdapterParts[] = {"lora_A", "lora_B", "adapter_down", "adapter_up"};

bool IsAdapterTensor(const std::string& name, const std::string& layer_prefix) {
  for (const char* part : kAdapterParts) {
    if (name.rfind(absl::StrCat(layer_prefix, part, "."), 0) == 0) return true;
  }
  return false;
}

// The arrays of the compressed layer `layer` as Model::Save stored them: "<layer>.<format>.<array>", the
// shared Tucker core from the layer that holds it.
absl::StatusOr<std::vector<NamedArray>> LayerArrays(const SafetensorsFile& file, const std::string& layer,
                                                    const std::string& core_holder, const std::string& dir) {
  const std::string prefix = layer + ".";
  std::vector<NamedArray> arrays;
  auto add = [&](const std::string& name, const std::string& array_name, const HostTensor& t) -> absl::Status {
    NamedArray a{array_name, t.shape, {}, {}};
    if (t.dtype == DType::kI64) {
      a.ints = *HostTensorToInt64(t);
    } else {
      absl::StatusOr<std::vector<float>> v = HostTensorToFloats(t);
      if (!v.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s: tensor '%s': %s", dir, name, v.status().message()));
      a.values = std::move(*v);
    }
    arrays.push_back(std::move(a));
    return absl::OkStatus();
  };
  for (const auto& [name, t] : file.tensors()) {
    if (name.rfind(prefix, 0) != 0 || name == prefix + "bias" || name.find('.', prefix.size()) == std::string::npos ||
        IsAdapterTensor(name, prefix)) {
      continue;
    }
    if (absl::Status s = add(name, name.substr(prefix.size()), t); !s.ok()) return s;
  }
  if (!core_holder.empty()) {
    const std::string core = core_holder + ".tucker.core";
    const HostTensor* t = file.Find(core);
    if (t == nullptr) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: layer '%s' shares the core of '%s', which the file lacks",
                                                        dir, layer, core_holder));
    }
    if (absl::Status s = add(core, "tucker.core", *t); !s.ok()) return s;
  }
  return arrays;
}

// A weight [rows, cols] stored as `name` (a plain tensor) or as the compressed layer `name` without ".weight".
absl::StatusOr<Matrix> StoredMatrix(const SafetensorsFile& file, const std::map<std::string, Matrix>& reconstructed,
                                    const std::string& layer, const std::string& dir) {
  if (auto it = reconstructed.find(layer); it != reconstructed.end()) return it->second;
  const HostTensor* t = file.Find(layer + ".weight");
  if (t == nullptr || t->shape.size() != 2 || t->dtype == DType::kI64) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: no 2-D float tensor '%s.weight'", dir, layer));
  }
  absl::StatusOr<std::vector<float>> v = HostTensorToFloats(*t);
  if (!v.ok()) return v.status();
  return FromRowMajor(v->data(), t->shape[0], t->shape[1]);
}

struct DenseResult {
  SafetensorsFile file;
  int reconstructed = 0;  // compressed layers written as their reconstruction
  int merged = 0;         // adapters merged
};

// The checkpoint with every compressed layer as "<layer>.weight" (its reconstruction, float32) and every LoRA
// adapter merged into its layer's weight, in the tensors' order; metadata {"format": "pt"}. A bottleneck
// adapter (nonlinear) is refused by name.
absl::StatusOr<DenseResult> DenseCheckpoint(const SafetensorsFile& in, const std::string& dir) {
  absl::StatusOr<Json> factorized = MetadataObject(in, "lrbench.factorized", dir);
  if (!factorized.ok()) return factorized.status();
  absl::StatusOr<Json> shared = MetadataObject(in, "lrbench.shared_tucker_cores", dir);
  if (!shared.ok()) return shared.status();
  absl::StatusOr<Json> adapters = MetadataObject(in, "lrbench.adapters", dir);
  if (!adapters.ok()) return adapters.status();
  DenseResult out;
  std::map<std::string, Matrix> weights;  // layer -> dense weight, for compressed and adapted layers
  for (const auto& [layer, format] : factorized->items()) {
    const std::string holder = shared->contains(layer) && (*shared)[layer].is_string() ? (*shared)[layer].get<std::string>() : "";
    absl::StatusOr<std::vector<NamedArray>> arrays = LayerArrays(in, layer, holder, dir);
    if (!arrays.ok()) return arrays.status();
    absl::StatusOr<Factorization> f = ImportArrays(*arrays);
    if (!f.ok()) return absl::InvalidArgumentError(absl::StrFormat("%s: layer '%s': %s", dir, layer, f.status().message()));
    weights[layer] = Reconstruct(*f);
    ++out.reconstructed;
  }
  for (const auto& [layer, options] : adapters->items()) {
    const std::string kind = options.value("kind", "");
    if (kind != "lora") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: layer '%s' has a %s adapter, which is nonlinear: no dense weight equals it (export --format=factored "
          "keeps it)",
          dir, layer, kind.empty() ? "unnamed" : kind));
    }
    absl::StatusOr<Matrix> w = StoredMatrix(in, weights, layer, dir);
    if (!w.ok()) return w.status();
    absl::StatusOr<Matrix> a = StoredMatrix(in, weights, layer + ".lora_A", dir);
    if (!a.ok()) return a.status();
    absl::StatusOr<Matrix> b = StoredMatrix(in, weights, layer + ".lora_B", dir);
    if (!b.ok()) return b.status();
    if (b->cols() != a->rows() || b->rows() != w->rows() || a->cols() != w->cols()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: LoRA of '%s': B [%d, %d] A [%d, %d] do not fit W [%d, %d]",
                                                        dir, layer, b->rows(), b->cols(), a->rows(), a->cols(),
                                                        w->rows(), w->cols()));
    }
    // The adapter's forward (linear.cc): y = W x + b + (alpha / rank) B A x; dropout is off at inference.
    const double scale = options.value("alpha", 16.0) / static_cast<double>(options.value("rank", int64_t{8}));
    weights[layer] = *w + static_cast<float>(scale) * (*b * *a);
    ++out.merged;
  }
  // Tensors in the checkpoint's order, each dense layer's weight where its first array or weight was.
  auto owner_of = [&](const std::string& name) -> std::string {
    for (const auto& [layer, _] : weights) {
      const std::string prefix = layer + ".";
      if (name.rfind(prefix, 0) != 0 || name == prefix + "bias") continue;
      if (IsAdapterTensor(name, prefix)) return layer;  // merged away
      if (factorized->contains(layer) && name.find('.', prefix.size()) != std::string::npos) return layer;
      if (name == prefix + "weight") return layer;
    }
    return "";
  };
  std::set<std::string> written;
  for (const auto& [name, t] : in.tensors()) {
    std::string layer = owner_of(name);
    // A TT-LoRA's matrices are compressed layers of their own ("<layer>.lora_A"): they belong to the layer.
    for (const char* part : kAdapterParts) {
      const std::string suffix = std::string(".") + part;
      if (layer.size() > suffix.size() && layer.compare(layer.size() - suffix.size(), suffix.size(), suffix) == 0) {
        layer = layer.substr(0, layer.size() - suffix.size());
      }
    }
    if (layer.empty()) {
      if (absl::Status s = out.file.Add(name, t); !s.ok()) return s;
      continue;
    }
    if (!written.insert(layer).second) continue;
    const Matrix& w = weights.at(layer);
    absl::StatusOr<HostTensor> h = HostTensorFromFloats(DType::kF32, {w.rows(), w.cols()}, RowMajor(w));
    if (!h.ok()) return h.status();
    if (absl::Status s = out.file.Add(layer + ".weight", std::move(*h)); !s.ok()) return s;
  }
  out.file.mutable_metadata()["format"] = "pt";
  return out;
}

// Every float tensor of `file` converted to `dtype` (exact widening, round-to-nearest-even narrowing).
absl::Status ConvertFloats(SafetensorsFile& file, DType dtype) {
  for (const std::string& name : file.Names()) {
    HostTensor* t = file.FindMutable(name);
    if (t->dtype == DType::kI64 || t->dtype == dtype) continue;
    absl::StatusOr<std::vector<float>> v = HostTensorToFloats(*t);
    if (!v.ok()) return v.status();
    absl::StatusOr<HostTensor> converted = HostTensorFromFloats(dtype, t->shape, *v);
    if (!converted.ok()) return converted.status();
    *t = std::move(*converted);
  }
  return absl::OkStatus();
}

struct ExportArgs {
  std::optional<std::string> model_dir, format, output;
  std::string dtype_name = "f32";
  bool overwrite = false;
};

absl::Status Export(const ExportArgs& a) {
  const std::optional<std::string>& model_dir = a.model_dir;
  const std::optional<std::string>& format = a.format;
  const std::string output = WithoutTrailingSlash(*a.output);
  const std::string& dtype_name = a.dtype_name;
  if (*format != "dense" && *format != "factored") {
    return absl::InvalidArgumentError(absl::StrFormat("--format=%s: expected dense or factored", *format));
  }
  const std::map<std::string, DType> dtypes = {{"f32", DType::kF32}, {"bf16", DType::kBF16}, {"f16", DType::kF16}};
  if (!dtypes.count(dtype_name)) {
    return absl::InvalidArgumentError(absl::StrFormat("--dtype=%s: expected f32, bf16 or f16", dtype_name));
  }
  if (absl::Status s = CheckOutputDirectory(*model_dir, output, a.overwrite); !s.ok()) return s;

  const std::string config_path = *model_dir + "/config.json";
  absl::StatusOr<std::string> config_text = ReadFile(config_path);
  if (!config_text.ok()) return config_text.status();
  if (absl::StatusOr<ModelConfig> c = ParseModelConfig(*config_text, config_path); !c.ok()) return c.status();
  const Json config = Json::parse(*config_text);
  const bool factored_in = config.value("model_type", Json()) == kFactoredModelType;
  const Json& base = factored_in ? config["lrbench"]["base_config"] : config;
  absl::StatusOr<SafetensorsFile> checkpoint = LoadCheckpoint(*model_dir);
  if (!checkpoint.ok()) return checkpoint.status();

  SafetensorsFile weights;
  std::string config_out;
  int reconstructed = 0, merged = 0;
  if (*format == "dense") {
    absl::StatusOr<DenseResult> dense = DenseCheckpoint(*checkpoint, *model_dir);
    if (!dense.ok()) return dense.status();
    weights = std::move(dense->file);
    reconstructed = dense->reconstructed;
    merged = dense->merged;
    config_out = base.dump(2) + "\n";
  } else {
    weights = std::move(*checkpoint);
    weights.mutable_metadata()["format"] = kFactoredModelType;
    if (factored_in) {
      config_out = config.dump(2) + "\n";
    } else {
      absl::StatusOr<Json> layers = MetadataObject(weights, "lrbench.factorized", *model_dir);
      if (!layers.ok()) return layers.status();
      config_out = FactoredConfigJson(base.dump(), layers->dump());
    }
  }
  if (absl::Status s = ConvertFloats(weights, dtypes.at(dtype_name)); !s.ok()) return s;

  absl::StatusOr<std::string> staging = StagingDirectory(output);
  if (!staging.ok()) return staging.status();
  absl::StatusOr<std::vector<std::string>> tokenizer = CopyTokenizerFiles(*model_dir, *staging);
  absl::Status written = tokenizer.status();
  if (written.ok()) written = WriteSafetensors(weights, *staging + "/model.safetensors", false);
  if (written.ok()) written = WriteFileAtomically(*staging + "/config.json", config_out, false);
  if (written.ok()) written = PublishDirectory(*staging, output, a.overwrite);
  if (!written.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(*staging, ec);
    return written;
  }
  std::error_code ec;
  Json line = {{"model", *model_dir},
               {"format", *format},
               {"dtype", dtype_name},
               {"output", output},
               {"tensors", weights.size()},
               {"reconstructed_layers", reconstructed},
               {"merged_adapters", merged},
               {"bytes", std::filesystem::file_size(output + "/model.safetensors", ec)},
               {"tokenizer_files", *tokenizer}};
  std::printf("%s\n", line.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddExport(CommandLine& line) {
  CommandFlags& flags = line.Add("export", "Writes a model directory dense (for transformers) or factored", R"(
dense: every compressed layer written as its reconstruction (LoRA adapters merged) under the Hugging Face keys and
config (architecture, labels): transformers loads it as the original model. factored: the factors kept, config
model_type lrbench_factored (lrbench and tools/lrbench_factored.py load it; transformers refuses it). --dtype
converts float tensors; integer ones stay. The directory is written beside DIR and renamed onto it when
complete.)");
  auto a = std::make_shared<ExportArgs>();
  flags.Path("model", &a->model_dir, "The model directory", "DIR")->required();
  flags.Text("format", &a->format, "dense or factored")->type_name("FORMAT")->required();
  flags.Text("dtype", &a->dtype_name, "The float tensors' type: f32, bf16 or f16");
  flags.Path("output", &a->output, "The directory written", "DIR")->required();
  flags.Switch("overwrite", &a->overwrite, "Replace an existing output");
  flags.Runs([a] { return Export(*a); });
}

}  // namespace lrb
