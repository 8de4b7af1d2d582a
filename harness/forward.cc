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

// --name=N with N >= at_least, or `fallback` when the flag is absent.
absl::StatusOr<int64_t> TakeCount(Flags& flags, const std::string& name, int64_t fallback, int64_t at_least) {
  std::optional<std::string> text = flags.Take(name);
  int64_t v = fallback;
  if (!text) return v;
  if (!absl::SimpleAtoi(*text, &v) || v < at_least) {
    return absl::InvalidArgumentError(absl::StrFormat("--%s=%s: expected a count >= %d", name, *text, at_least));
  }
  return v;
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
  absl::StatusOr<int64_t> generate = TakeCount(flags, "generate", 0, 0);
  absl::StatusOr<int64_t> min_new = TakeCount(flags, "min_new_tokens", 0, 0);
  absl::StatusOr<int64_t> beams = TakeCount(flags, "num_beams", 1, 1);
  double length_penalty = 1.0;
  if (std::optional<std::string> lp = flags.Take("length_penalty");
      lp && (!absl::SimpleAtod(*lp, &length_penalty) || !std::isfinite(length_penalty))) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("--length_penalty=%s is not a finite number", *lp)));
  }
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  const std::string device = flags.Take("device").value_or("cpu");
  for (const absl::Status& s : {generate.status(), min_new.status(), beams.status(), overwrite.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (!flags.rest().empty()) {
    return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  }
  if (!*overwrite && std::filesystem::exists(*output)) {
    return Fail(absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *output)));
  }
  LoadOptions load;
  load.device = device;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, load);
  if (!model.ok()) return Fail(model.status());
  absl::StatusOr<SafetensorsFile> inputs = ReadSafetensors(*inputs_path);
  if (!inputs.ok()) return Fail(inputs.status());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SafetensorsFile> out =
      (*model)->Forward(*inputs, {*generate, *min_new, *beams, length_penalty});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.ok()) return Fail(out.status());
  if (absl::Status s = WriteSafetensors(*out, *output, *overwrite); !s.ok()) return Fail(s);
  nlohmann::json line;
  line["model"] = *model_dir;
  line["model_type"] = (*model)->config().model_type;
  line["device"] = device;
  line["seconds"] = seconds;
  for (const auto& [name, t] : out->tensors()) line["outputs"][name] = t.shape;
  line["initialised"] = (*model)->report().initialised;
  line["unexpected"] = (*model)->report().unexpected;
  std::printf("%s\n", line.dump().c_str());
  return 0;
}

}  // namespace lrb
