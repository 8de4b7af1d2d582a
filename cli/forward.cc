// `lrbench forward`: a Hugging Face checkpoint run on stored inputs, outputs saved for comparison.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/safetensors.h"
#include "runtime/model/model.h"

namespace lrb {
namespace {

struct ForwardArgs {
  std::optional<std::string> model_dir, inputs_path, output;
  int64_t generate = 0, min_new = 0, beams = 1;
  double length_penalty = 1.0;
  std::string device = "cpu";
  bool overwrite = false;
};

absl::Status Forward(const ForwardArgs& a) {
  if (!a.overwrite && std::filesystem::exists(*a.output)) {
    return absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *a.output));
  }
  absl::StatusOr<Device> device = ParseDevice(a.device);
  if (!device.ok()) return device.status();
  LoadOptions load;
  load.device = *device;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*a.model_dir, load);
  if (!model.ok()) return model.status();
  absl::StatusOr<SafetensorsFile> inputs = ReadSafetensors(*a.inputs_path);
  if (!inputs.ok()) return inputs.status();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(*inputs, {a.generate, a.min_new, a.beams, a.length_penalty});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.ok()) return out.status();
  if (absl::Status s = WriteSafetensors(*out, *a.output, a.overwrite); !s.ok()) return s;
  nlohmann::json line;
  line["model"] = *a.model_dir;
  line["model_type"] = (*model)->config().model_type;
  line["device"] = device->ToString();
  line["seconds"] = seconds;
  for (const auto& [name, t] : out->tensors()) line["outputs"][name] = t.shape;
  line["initialised"] = (*model)->report().initialised;
  line["unused"] = (*model)->report().unused;
  line["unexpected"] = (*model)->report().unexpected;
  std::printf("%s\n", line.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddForward(CommandLine& line) {
  CommandFlags& flags = line.Add("forward", "Runs a Hugging Face checkpoint on stored inputs", R"(
Runs a Hugging Face checkpoint (config.json + model.safetensors, a sharded index or a zip-format pytorch_model.bin;
BERT, DistilBERT, RoBERTa, T5; published layouts and legacy names load as transformers loads them, unused heads
are listed) on input_ids, attention_mask, token_type_ids and decoder_input_ids (I64 [batch, seq]) and writes
logits, last_hidden_state (encoders) or encoder_last_hidden_state (T5), and greedy_generate ([batch, 1 + N],
decoder start token first) when asked, or beam_generate with --num_beams=K > 1 (scores: sum of log-probs /
length^length_penalty).)");
  auto a = std::make_shared<ForwardArgs>();
  flags.Path("model", &a->model_dir, "The checkpoint directory", "DIR")->required();
  flags.Path("inputs", &a->inputs_path, "The input tensors", "IN.safetensors")->required();
  flags.Path("output", &a->output, "Where the outputs go", "OUT.safetensors")->required();
  flags.Number("generate", &a->generate, "New tokens to generate (T5)", 0);
  flags.Number("min_new_tokens", &a->min_new, "No end of sequence before this many new tokens", 0);
  flags.Number("num_beams", &a->beams, "Beam search with K beams when K > 1", 1);
  flags.Number("length_penalty", &a->length_penalty, "Beam scores: sum of log-probs / length^length_penalty");
  flags.Text("device", &a->device, "cpu or cuda");
  flags.Switch("overwrite", &a->overwrite, "Replace an existing output");
  flags.Runs([a] { return Forward(*a); });
}

}  // namespace lrb
