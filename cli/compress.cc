// `lrbench compress`: a whole model through one method, the way a table run compresses it (the runner's
// CompressModelLinears: statistics on the task's train split when the method needs them, the matching linears
// replaced, shared Tucker cores tied), saved as a model directory (Model::Save: the factors under a config.json
// transformers refuses, config.h kFactoredModelType) with the tokenizer files and a per-linear report
// (compress_report.json, compress_report.md); one JSON summary line on stdout, progress on stderr.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/export.h"
#include "base/file.h"
#include "runtime/model/model.h"
#include "experiment/family_names.h"
#include "experiment/stages/compress.h"
#include "experiment/task_model.h"
#include "methods/registry.h"
#include "tasks/task.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// Progress lines on stderr, indented (an error is the one line starting "lrbench compress:").
void Progress(const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); }

// The linears the paper tables compress for a model family (results/papers: "bert.encoder.**", in RoBERTa's and
// DistilBERT's names for those families; T7's attention projections for T5).
std::vector<std::string> DefaultLinears(ModelFamily family) {
  if (family != ModelFamily::kT5) return PatternsForFamily("bert.encoder.**", family).value();  // always maps
  std::vector<std::string> t5;
  for (const char* block : {"encoder.block.*.layer.0.SelfAttention.", "decoder.block.*.layer.0.SelfAttention.",
                            "decoder.block.*.layer.1.EncDecAttention."}) {
    for (const char* p : {"q", "k", "v"}) t5.push_back(std::string(block) + p);
  }
  return t5;
}

// The saved config.json with what Model::Save leaves out put back: the base checkpoint's label names (when
// the label count is unchanged) and how the model was compressed.
absl::Status AnnotateConfig(const std::string& path, const Json& original, const Json& compression) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text);
  Json& base = j["lrbench"]["base_config"];
  if (original.contains("id2label") && original["id2label"].is_object() &&
      static_cast<int64_t>(original["id2label"].size()) == base.value("num_labels", int64_t{-1})) {
    for (const char* key : {"id2label", "label2id"}) {
      if (original.contains(key)) base[key] = original[key];
    }
    j["lrbench"]["id2label"] = original["id2label"];
  }
  j["lrbench"]["compression"] = compression;
  return WriteFileAtomically(path, j.dump(2) + "\n", /*overwrite=*/true);
}

// compress_report.md: one row per linear, then the totals.
std::string MarkdownReport(const Json& report) {
  std::string md = absl::StrFormat("# %s compressed with %s (%s)\n\n", report["model"].get<std::string>(),
                                   report["method"].get<std::string>(), report["budget"].get<std::string>());
  md += "| linear | format | params before | params after | ratio | bits after | relative error |\n";
  md += "|---|---|---:|---:|---:|---:|---:|\n";
  for (const Json& l : report["layers"]) {
    md += absl::StrFormat("| %s | %s | %d | %d | %.4f | %d | %.4g |\n", l["name"].get<std::string>(),
                          l["format"].get<std::string>(), l["params_before"].get<int64_t>(),
                          l["params_after"].get<int64_t>(), l["param_ratio"].get<double>(),
                          l["bits_after"].get<int64_t>(), l["rel_error"].get<double>());
  }
  const Json& t = report["totals"];
  md += absl::StrFormat("| **total (%d linears)** | | %d | %d | %.4f | %d | %.4g (mean) |\n", t["linears"].get<int64_t>(),
                        t["params_before"].get<int64_t>(), t["params_after"].get<int64_t>(),
                        t["param_ratio"].get<double>(), t["bits_after"].get<int64_t>(), t["mean_rel_error"].get<double>());
  if (t["shared_core_params_freed"].get<int64_t>() > 0) {
    md += absl::StrFormat("\nThe layers share one Tucker core: %d numbers are stored once (the total counts them once).\n",
                          t["shared_core_params_freed"].get<int64_t>());
  }
  md += absl::StrFormat("\nWhole model: %d parameters before, %d after.\n", t["model_params_before"].get<int64_t>(),
                        t["model_params_after"].get<int64_t>());
  return md;
}

struct CompressArgs {
  std::optional<std::string> model_dir, method_id, output, linears, task_id, data_dir;
  std::string device = "cpu";
  bool overwrite = false;
  int64_t statistics_examples = 512, max_length = 128;
  BudgetFlags budget;
  std::map<std::string, std::string> options;  // the method's
};

absl::Status Compress(const CompressArgs& a) {
  const std::optional<std::string>& model_dir = a.model_dir;
  const std::optional<std::string>& method_id = a.method_id;
  const std::optional<std::string>& task_id = a.task_id;
  const std::optional<std::string>& data_dir = a.data_dir;
  const std::string output = WithoutTrailingSlash(*a.output);
  absl::StatusOr<Device> parsed_device = ParseDevice(a.device);
  if (!parsed_device.ok()) return parsed_device.status();
  const Device& device = *parsed_device;
  const int64_t statistics_examples = a.statistics_examples, max_length = a.max_length;
  absl::StatusOr<Budget> budget = ParseBudget(a.budget);
  if (!budget.ok()) return budget.status();
  absl::StatusOr<const Method*> method = FindMethod(*method_id);
  if (!method.ok()) return method.status();
  // CheckSettings refuses unknown options.
  const std::map<std::string, std::string>& options = a.options;
  if (absl::Status s = (*method)->CheckSettings(*budget, MethodOptions(options)); !s.ok()) return s;
  if (absl::Status s = CheckDevice(device); !s.ok()) return s;
  const std::vector<Statistic> needs = (*method)->Needs();
  std::vector<std::string> need_names;
  for (Statistic s : needs) need_names.emplace_back(StatisticName(s));
  const TaskInfo* task = nullptr;
  if (task_id) {
    absl::StatusOr<const TaskInfo*> t = FindTask(*task_id);
    if (!t.ok()) return t.status();
    task = *t;
  } else if (!needs.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "method %s needs statistics (%s) collected on a task's train split: give --task=ID", *method_id,
        absl::StrJoin(need_names, ", ")));
  }
  if (absl::Status s = CheckOutputDirectory(*model_dir, output, a.overwrite); !s.ok()) return s;
  absl::StatusOr<ModelConfig> config = ReadModelConfig(*model_dir);
  if (!config.ok()) return config.status();
  std::vector<std::string> linears = DefaultLinears(config->family);
  if (a.linears) linears = absl::StrSplit(*a.linears, ',', absl::SkipEmpty());
  if (linears.empty()) return absl::InvalidArgumentError("--linears is empty");

  if (task != nullptr && needs.empty()) Progress(absl::StrFormat("%s needs no statistics: --task is not used", *method_id));
  const auto start = std::chrono::steady_clock::now();
  // The task's train split (the statistics' sample), read and tokenized as the runner reads it.
  TaskData data;
  if (task != nullptr && !needs.empty()) {
    TaskDataOptions o;
    o.data_dir = data_dir;
    o.train_split = task->train_split;
    o.eval_split = task->train_split;  // only the train file is needed
    o.encode.max_length = max_length;
    o.encode.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Progress(absl::StrFormat("reading %s's %s split", task->id, task->train_split));
    absl::StatusOr<TaskData> d = LoadTaskData(*task, config->family, *model_dir, o);
    if (!d.ok()) return d.status();
    data = std::move(*d);
  }
  // Statistics need the task's head (its loss); otherwise the model loads as it is.
  LoadOptions load;
  if (!needs.empty()) load = TaskLoadOptions(*task, device, /*seed=*/42);
  load.device = device;
  Progress("loading " + *model_dir);
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(*model_dir, load);
  if (!model.ok()) return model.status();
  if (!(*model)->report().initialised.empty()) {
    // Statistics through a random head would weigh the layers by noise; a saved random head would be worse.
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s has no trained head for %s (loading it initialises %s): fine-tune it first (lrbench finetune)",
        *model_dir, *task_id, absl::StrJoin((*model)->report().initialised, ", ")));
  }
  const int64_t model_params_before = (*model)->ParameterCount();

  LinearsCompressionSpec spec;
  spec.method = *method_id;
  spec.budget = *budget;
  spec.options = options;
  spec.linears = linears;
  spec.statistics_examples = statistics_examples;
  Progress(absl::StrFormat("compressing %s with %s (%s)", absl::StrJoin(linears, ", "), *method_id,
                           BudgetToString(*budget)));
  absl::StatusOr<LinearsCompression> c = CompressModelLinears(**model, data.train, spec, Progress);
  if (!c.ok()) return c.status();

  Json layers = Json::array();
  for (const LinearReplacement& r : c->layers) {
    layers.push_back({{"name", r.name},
                      {"format", r.format},
                      {"params_before", r.params_before},
                      {"params_after", r.params_after},
                      {"param_ratio", static_cast<double>(r.params_after) / static_cast<double>(r.params_before)},
                      {"bits_before", 32 * r.params_before},
                      {"bits_after", r.bits_after},
                      {"rel_error", r.rel_error}});
  }
  const int64_t before = c->params_before, after = c->params_after;
  const int64_t n = static_cast<int64_t>(c->layers.size());
  const Json compression = {{"method", *method_id}, {"budget", BudgetToString(*budget)}, {"options", options},
                            {"linears", linears},   {"task", task_id && !needs.empty() ? Json(*task_id) : Json(nullptr)},
                            {"statistics_examples", needs.empty() ? Json(nullptr) : Json(std::min<int64_t>(statistics_examples, data.train.size()))}};
  Json report = {{"model", *model_dir}, {"method", *method_id}, {"budget", BudgetToString(*budget)},
                 {"compression", compression}, {"layers", layers}};
  report["totals"] = {{"linears", n},
                      {"params_before", before},
                      {"params_after", after},
                      {"param_ratio", before > 0 ? static_cast<double>(after) / static_cast<double>(before) : 0.0},
                      {"bits_before", 32 * before},
                      {"bits_after", c->bits_after},
                      {"mean_rel_error", c->mean_rel_error},
                      {"shared_core_params_freed", c->shared_core_freed},
                      {"model_params_before", model_params_before},
                      {"model_params_after", (*model)->ParameterCount()},
                      {"statistics_seconds", c->statistics_seconds},
                      {"compression_seconds", c->compression_seconds}};

  Progress("saving " + output);
  absl::StatusOr<std::string> staging = StagingDirectory(output);
  if (!staging.ok()) return staging.status();
  absl::StatusOr<std::string> original = ReadFile(*model_dir + "/config.json");
  absl::Status written = original.status();
  if (written.ok()) written = (*model)->Save(*staging, false);
  if (written.ok()) written = AnnotateConfig(*staging + "/config.json", Json::parse(*original), compression);
  absl::StatusOr<std::vector<std::string>> tokenizer = CopyTokenizerFiles(*model_dir, *staging);
  if (written.ok()) written = tokenizer.status();
  if (written.ok()) written = WriteFileAtomically(*staging + "/compress_report.json", report.dump(2) + "\n", false);
  if (written.ok()) written = WriteFileAtomically(*staging + "/compress_report.md", MarkdownReport(report), false);
  if (written.ok()) written = PublishDirectory(*staging, output, a.overwrite);
  if (!written.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(*staging, ec);
    return written;
  }
  Json line = {{"model", *model_dir},
               {"method", *method_id},
               {"budget", BudgetToString(*budget)},
               {"output", output},
               {"linears", n},
               {"params_before", before},
               {"params_after", after},
               {"param_ratio", report["totals"]["param_ratio"]},
               {"bits_after", c->bits_after},
               {"mean_rel_error", report["totals"]["mean_rel_error"]},
               {"model_params_before", model_params_before},
               {"model_params_after", report["totals"]["model_params_after"]},
               {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  std::printf("%s\n", line.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddCompress(CommandLine& line) {
  CommandFlags& flags = line.Add("compress", "Compresses every linear of a model with one method, as a table run does",
                                 R"(
Compresses every linear matching --linears (Model::LinearNames patterns; default: the tables' set for the model
family, bert.encoder.** for BERT, roberta.encoder.**, distilbert.transformer.**, T5's attention q/k/v) as a table
run does: a method that needs statistics collects them on the first N examples of --task's train split through
the model's own (trained) head. DIR gets the compressed model (factors under a config.json of model_type
lrbench_factored, which lrbench loads and transformers refuses), the tokenizer files and compress_report.json /
.md (per linear: format, parameters before and after, bits, relative error; totals); stdout gets one JSON summary
line. Any other --key=value is an option of the method (lrbench --help lists them).)");
  auto a = std::make_shared<CompressArgs>();
  flags.Path("model", &a->model_dir, "The model directory (a checkpoint, or one lrbench saved)", "DIR")->required();
  flags.Text("method", &a->method_id, "The method (lrbench --help lists them)")->type_name("ID")->required();
  DeclareBudget(flags, &a->budget);
  flags.Path("output", &a->output, "The directory the compressed model goes to", "DIR")->required();
  flags.Text("linears", &a->linears, "Which linears, comma-separated patterns (default: the tables' set)")
      ->type_name("P1,P2");
  flags.Text("task", &a->task_id, "The task whose train split gives the statistics a method needs")->type_name("ID");
  flags.Path("data_dir", &a->data_dir, "Where the task's data is looked up first", "DIR");
  flags.Number("statistics_examples", &a->statistics_examples, "Train examples the statistics are collected on", 1);
  flags.Number("max_length", &a->max_length, "Tokens per statistics example", 8);
  flags.Text("device", &a->device, "cpu or cuda");
  flags.Switch("overwrite", &a->overwrite, "Replace an existing output");
  flags.TakeMethodOptions(&a->options);
  flags.Runs([a] { return Compress(*a); });
}

}  // namespace lrb
