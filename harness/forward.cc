// `lrbench forward`: a Hugging Face checkpoint run on stored inputs, outputs saved for comparison.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/safetensors.h"
#include "harness/model/model.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench forward: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int RunForward(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  std::optional<std::string> model_dir = flags.Take("model"), inputs_path = flags.Take("inputs"),
                             output = flags.Take("output");
  if (!model_dir || !inputs_path || !output) {
    std::fprintf(stderr, "lrbench forward: --model, --inputs and --output are required (see lrbench --help)\n");
    return 2;
  }
  model_dir = UserPath(*model_dir);
  inputs_path = UserPath(*inputs_path);
  output = UserPath(*output);
  int64_t generate = 0, min_new = 0, beams = 1;
  double length_penalty = 1.0;
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  absl::StatusOr<Device> device = ParseDevice(flags.Take("device").value_or("cpu"));
  if (!device.ok()) return Fail(device.status());
  for (const absl::Status& s :
       {flags.TakeNumber("generate", &generate, 0), flags.TakeNumber("min_new_tokens", &min_new, 0),
        flags.TakeNumber("num_beams", &beams, 1), flags.TakeNumber("length_penalty", &length_penalty),
        overwrite.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (!flags.rest().empty()) {
    return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  }
  if (!*overwrite && std::filesystem::exists(*output)) {
    return Fail(absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *output)));
  }
  LoadOptions load;
  load.device = *device;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, load);
  if (!model.ok()) return Fail(model.status());
  absl::StatusOr<SafetensorsFile> inputs = ReadSafetensors(*inputs_path);
  if (!inputs.ok()) return Fail(inputs.status());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SafetensorsFile> out =
      (*model)->Forward(*inputs, {generate, min_new, beams, length_penalty});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.ok()) return Fail(out.status());
  if (absl::Status s = WriteSafetensors(*out, *output, *overwrite); !s.ok()) return Fail(s);
  nlohmann::json line;
  line["model"] = *model_dir;
  line["model_type"] = (*model)->config().model_type;
  line["device"] = device->ToString();
  line["seconds"] = seconds;
  for (const auto& [name, t] : out->tensors()) line["outputs"][name] = t.shape;
  line["initialised"] = (*model)->report().initialised;
  line["unused"] = (*model)->report().unused;
  line["unexpected"] = (*model)->report().unexpected;
  std::printf("%s\n", line.dump().c_str());
  return 0;
}

}  // namespace lrb
