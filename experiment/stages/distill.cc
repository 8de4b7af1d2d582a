#include "experiment/stages/distill.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/sha256.h"
#include "base/stopwatch.h"
#include "experiment/model_cache.h"
#include "experiment/provenance.h"
#include "experiment/stages/stage.h"
#include "methods/registry.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// The text of the train splits of every encoder task that has one (GLUE's shipped ones; IMDB's full train split
// only when --data_dir holds it), tokenized for the model at `max_length`, labels dropped: the general-
// distillation corpus on the embedded default (the paper's is 10 % of English Wikipedia).
struct Corpus {
  std::vector<Example> examples;
  std::string sha256;  // of every example's token ids, in order: what a cached general stage depends on
};

class DistillStage : public Stage {
 public:
  std::string_view Key() const override { return "distill"; }
  StagePhase Phase() const override { return StagePhase::kTrain; }
  bool TrainsAStudent() const override { return true; }

  absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& r, const Json& j,
                                                             const std::string& where,
                                                             const RowCore& row) const override {
    LRB_RETURN_IF_ERROR(r.Keys(j, where, {"general", "general_examples", "task", "labels"}));
    DistillSpec d;
    if (j.contains("general") && !j["general"].is_null()) {
      absl::StatusOr<RecipeSpec> recipe = r.Recipe(j["general"], where + ".general");
      if (!recipe.ok()) return recipe.status();
      d.general = *recipe;
    }
    LRB_RETURN_IF_ERROR(r.Get(j, "general_examples", where, &d.general_examples));
    LRB_RETURN_IF_ERROR(r.Get(j, "task", where, &d.task));
    LRB_RETURN_IF_ERROR(r.Get(j, "labels", where, &d.labels));
    if (d.general_examples < 0 || !(d.labels >= 0)) return r.Error(where, "needs general_examples >= 0 and labels >= 0");
    if (row.method.empty() || !row.refinetune || row.from_checkpoint) {
      return r.Error(where, "needs a method and \"refinetune\" (stage 2's recipe), without from_checkpoint or pruning (the student always starts from the checkpoint)");
    }
    return std::make_shared<SettingsOf<DistillSpec>>(std::move(d));
  }

  // The general stage's cache holds task-independent students only.
  absl::Status Validate(const StageSettings*, const RowCore& row) const override {
    absl::StatusOr<const Method*> method = FindMethod(row.method);
    if (method.ok() && !(*method)->Needs().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "distill needs a method without statistics (%s collects them per task)", row.method));
    }
    return absl::OkStatus();
  }

  std::shared_ptr<const StageSettings> WithRecipeOverrides(const std::shared_ptr<const StageSettings>& settings,
                                                           const std::map<std::string, double>& overrides) const override {
    DistillSpec d = SettingsAs<DistillSpec>(settings.get());
    if (!d.general) return settings;
    ApplyRecipeOverrides(overrides, &*d.general);
    return std::make_shared<SettingsOf<DistillSpec>>(std::move(d));
  }

  Json ToJson(const StageSettings& settings) const override {
    const DistillSpec& d = SettingsAs<DistillSpec>(&settings);
    return {{"general", d.general ? RecipeToJson(*d.general) : Json(nullptr)},
            {"general_examples", d.general_examples}, {"task", d.task}, {"labels", d.labels}};
  }

  // The compressed student: distilled from the checkpoint on the general corpus (stage 1, when asked), its
  // head copied from the fine-tuned teacher, then distilled from it on the task (stage 2) or fine-tuned on it.
  absl::Status Run(const StageSettings* settings, StageContext& c) const override {
    const DistillSpec& d = SettingsAs<DistillSpec>(settings);
    if (d.general) {
      if (absl::Status s = General(d, c); !s.ok()) return s;
    }
    Model& student = *c.model;
    for (const char* head : {"classifier.**", "bert.pooler.**", "pre_classifier.**"}) {
      if (absl::StatusOr<int> n = student.CopyParametersFrom(*c.teacher, head); !n.ok()) return n.status();
    }
    const Stopwatch clock;
    if (d.task) {
      c.progress("task distillation from the fine-tuned base");
      DistillationWeights weights;
      weights.labels = d.labels;
      absl::StatusOr<FinetuneReport> r =
          Distill(student, *c.teacher, c.data.train, *c.row.refinetune, weights, c.training_progress);
      if (!r.ok()) return r.status();
    } else {
      c.progress("fine-tuning the student on the task (no task distillation)");
      absl::StatusOr<FinetuneReport> r =
          Finetune(student, c.data.train, {}, *c.row.refinetune, c.training_progress);
      if (!r.ok()) return r.status();
    }
    c.record.refinetune_seconds = clock.Seconds();
    return absl::OkStatus();
  }

  std::string Describe(const StageSettings* settings, const RowCore&, const std::string& text) const override {
    const DistillSpec& d = SettingsAs<DistillSpec>(settings);
    return absl::StrCat(text, d.general ? " + general KD" : "", d.task ? " + task KD" : " + fine-tuning");
  }

 private:
  // Stage 1. Its result does not depend on the task (the head is not trained; the task's teacher replaces it),
  // so the backbone is cached under OUT/cache/general/KEY, KEY hashing the checkpoint, the compression, the
  // recipe and the corpus's token ids: runs of other tasks copy it instead.
  absl::Status General(const DistillSpec& d, StageContext& c) const {
    const RecipeSpec& general = *d.general;
    int64_t cap = d.general_examples;
    if (c.max_train_examples > 0 && (cap == 0 || c.max_train_examples < cap)) cap = c.max_train_examples;
    absl::StatusOr<const Corpus*> corpus = GeneralCorpus(c, general.max_length, cap);
    if (!corpus.ok()) return corpus.status();
    const std::string backbone = std::string(BaseModelPrefix(c.family)) + ".**";
    const auto& files = c.record.provenance.files;
    Json key = {{"version", kRunnerVersion},
                {"checkpoint", files.count("checkpoint") ? files.at("checkpoint").sha256 : ""},
                {"method", c.row.method}, {"budget", c.row.budget ? BudgetToString(*c.row.budget) : ""},
                {"options", c.row.options}, {"linears", c.row.linears}, {"recipe", RecipeToJson(general)},
                {"embeddings", Json::parse(c.run_json).value("embeddings", Json(nullptr))},
                {"corpus", (*corpus)->sha256}, {"device", c.env.device.ToString()}, {"kernels", c.env.kernels}};
    const std::string dir = c.env.out_dir + "/cache/general/" + ContentKey(key.dump());
    c.record.method_info["general_examples"] = static_cast<double>((*corpus)->examples.size());
    if (const std::optional<double> seconds = CachedSeconds(dir)) {
      LoadOptions plain;  // as saved, whatever head the first run had
      plain.device = c.load.device;
      plain.kernels = c.load.kernels;
      absl::StatusOr<std::unique_ptr<Model>> cached = Model::Load(dir, plain);
      if (!cached.ok()) return cached.status();
      if (absl::StatusOr<int> n = c.model->CopyParametersFrom(**cached, backbone); !n.ok()) return n.status();
      c.record.method_info["general_distillation_seconds"] = *seconds;
      c.record.method_info["general_cached"] = 1;
      c.progress("general distillation: cached (" + dir + ")");
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<Model>> pretrained = Model::Load(c.model_dir, c.load);
    if (!pretrained.ok()) return pretrained.status();
    c.progress(absl::StrFormat("general distillation from the checkpoint (%d examples of the train splits)",
                               (*corpus)->examples.size()));
    DistillationWeights intermediate;
    intermediate.logits = 0;  // the checkpoint's head is untrained: layers only
    const Stopwatch clock;
    absl::StatusOr<FinetuneReport> r =
        Distill(*c.model, **pretrained, (*corpus)->examples, general, intermediate, c.training_progress);
    if (!r.ok()) return r.status();
    const double seconds = clock.Seconds();
    c.record.method_info["general_distillation_seconds"] = seconds;
    c.record.method_info["general_cached"] = 0;
    return SaveCached(*c.model, dir, seconds);
  }

  // Read and tokenized once per process for every run that asks for the same one; a seeded subset of `cap`
  // examples when cap > 0.
  absl::StatusOr<const Corpus*> GeneralCorpus(const StageContext& c, int64_t max_length, int64_t cap) const {
    const std::string key = absl::StrCat(c.model_dir, "|", c.env.data_dir.value_or(""), "|", max_length, "|", cap);
    if (auto it = corpora_.find(key); it != corpora_.end()) return &it->second;
    std::vector<Example> corpus;
    for (const TaskInfo& task : AllTasks()) {
      if (task.kind == TaskKind::kSequenceToSequence) continue;
      TaskDataOptions o;
      o.data_dir = c.env.data_dir;
      o.train_split = task.train_split;
      o.eval_split = task.train_split;  // only the train file is needed
      o.encode.max_length = max_length;
      o.encode.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      absl::StatusOr<TaskData> data = LoadTaskData(task, c.family, c.model_dir, o);
      if (!data.ok()) {
        if (data.status().code() == absl::StatusCode::kNotFound) continue;  // no train split shipped
        return data.status();
      }
      for (Example& e : data->train) {
        e.label = 0;
        corpus.push_back(std::move(e));
      }
    }
    if (corpus.empty()) return absl::NotFoundError("no train split to build the general-distillation corpus from");
    if (cap > 0 && static_cast<int64_t>(corpus.size()) > cap) {
      std::mt19937_64 rng(kSubsetSeed);
      std::shuffle(corpus.begin(), corpus.end(), rng);
      corpus.resize(cap);
    }
    std::string ids;
    for (const Example& e : corpus) {
      for (int64_t id : e.input_ids) absl::StrAppend(&ids, id, " ");
      ids += "\n";
    }
    return &(corpora_[key] = Corpus{std::move(corpus), Sha256Hex(ids)});
  }

  mutable std::map<std::string, Corpus> corpora_;  // by checkpoint, data directory, length and cap
};

}  // namespace

std::unique_ptr<Stage> MakeDistillStage() { return std::make_unique<DistillStage>(); }

}  // namespace lrb
