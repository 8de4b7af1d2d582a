#include "experiment/executor.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/stopwatch.h"
#include "runtime/model/training.h"
#include "experiment/model_cache.h"
#include "tasks/score.h"

namespace lrb {
namespace {

// Median latency of Forward on a batch of 8 evaluation examples padded to 128 tokens.
absl::StatusOr<double> Latency(Model& model, const TaskData& data, RunRecord* record) {
  const int64_t batch = 8, seq = 128;
  if (data.eval.empty()) return absl::InvalidArgumentError("no evaluation examples to time");
  std::vector<int64_t> ids(batch * seq, 0), mask(batch * seq, 0), types(batch * seq, 0);
  for (int64_t b = 0; b < batch; ++b) {
    const Example& e = data.eval[b % data.eval.size()];
    for (int64_t t = 0; t < seq && t < static_cast<int64_t>(e.input_ids.size()); ++t) {
      ids[b * seq + t] = e.input_ids[t];
      mask[b * seq + t] = 1;
      types[b * seq + t] = t < static_cast<int64_t>(e.token_type_ids.size()) ? e.token_type_ids[t] : 0;
    }
  }
  SafetensorsFile inputs;
  (void)inputs.Add("input_ids", *HostTensorFromInt64({batch, seq}, ids));
  (void)inputs.Add("attention_mask", *HostTensorFromInt64({batch, seq}, mask));
  (void)inputs.Add("token_type_ids", *HostTensorFromInt64({batch, seq}, types));
  std::vector<double> ms;
  for (int rep = 0; rep < 6; ++rep) {
    const Stopwatch clock;
    absl::StatusOr<SafetensorsFile> out = model.Forward(inputs);
    if (!out.ok()) return out.status();
    if (rep > 0) ms.push_back(clock.Seconds() * 1e3);  // the first call warms up
  }
  std::sort(ms.begin(), ms.end());
  record->forward_batch = batch;
  record->forward_seq = seq;
  return ms[ms.size() / 2];
}

}  // namespace

// The base model: the checkpoint fine-tuned on the task (cached under OUT/cache/base/KEY), or the
// checkpoint itself when the spec fine-tunes nothing.
absl::StatusOr<std::unique_ptr<Model>> RunExecutor::BaseModel(const RunSpec& run, const TaskInfo& task,
                                                              const std::string& model_dir, const TaskData& data,
                                                              const std::string& base_key, RunRecord* record) const {
  const uint64_t seed = run.finetune_base ? run.finetune_base->seed : 42;
  LoadOptions load = TaskLoadOptions(task, env_.device, seed);
  load.kernels = env_.kernels;
  if (!run.finetune_base) return Model::Load(model_dir, load);
  const std::string dir = env_.out_dir + "/cache/base/" + base_key;
  if (const std::optional<double> seconds = CachedSeconds(dir)) {
    record->base_cached = true;
    record->base_finetune_seconds = *seconds;
    return Model::Load(dir, load);
  }
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(model_dir, load);
  if (!model.ok()) return model.status();
  if (data.train.empty()) return absl::InvalidArgumentError("no train examples to fine-tune the base model on");
  Progress(absl::StrFormat("    fine-tuning the base model on %s (%d examples, cached as %s)", task.id,
                           data.train.size(), base_key));
  const Stopwatch clock;
  absl::StatusOr<FinetuneReport> report = Finetune(**model, data.train, {}, *run.finetune_base,
                                                   StageProgress());
  if (!report.ok()) return report.status();
  record->base_finetune_seconds = clock.Seconds();
  if (absl::Status s = SaveCached(**model, dir, record->base_finetune_seconds); !s.ok()) return s;
  return model;
}

// The base model, then the row's stages on it (or on a student of the checkpoint it teaches), then the
// evaluation and, for speed rows, the latency before and after.
absl::Status RunExecutor::Execute(const RunSpec& run, const RunSpec& spec_run, const TaskInfo& task, ModelFamily family,
                                  const std::string& model_dir, const TaskData& data, const std::string& base_key,
                                  RunRecord* record) const {
  absl::StatusOr<std::unique_ptr<Model>> base = BaseModel(run, task, model_dir, data, base_key, record);
  if (!base.ok()) return base.status();
  record->params_before = (*base)->ParameterCount();
  if (run.speed) {  // the uncompressed latency, on this machine in this run: the speedup's denominator
    absl::StatusOr<double> ms = Latency(**base, data, record);
    if (!ms.ok()) return ms.status();
    record->base_forward_ms = *ms;
  }
  LoadOptions load = TaskLoadOptions(task, env_.device, run.refinetune ? run.refinetune->seed : 42);
  load.kernels = env_.kernels;
  std::unique_ptr<Model> model, teacher;
  if (std::any_of(run.stages.begin(), run.stages.end(), [](const StageUse& u) { return u.stage->TrainsAStudent(); })) {
    absl::StatusOr<std::unique_ptr<Model>> student = Model::Load(model_dir, load);
    if (!student.ok()) return student.status();
    model = std::move(*student);
    teacher = std::move(*base);
  } else {
    model = std::move(*base);
  }
  StageContext context{run, run.statistics_examples, run.max_train_examples, RunSpecJson(spec_run), task, data,
                       model_dir, family, load, model, teacher.get(), *record, env_,
                       [this](const std::string& line) { Progress("    " + line); }, StageProgress()};
  for (const StageUse& use : run.stages) {
    if (absl::Status s = use.stage->Run(use.settings.get(), context); !s.ok()) return s;
  }
  record->params_after = model->ParameterCount();
  TaskEvalOptions eval;
  eval.batch_size = 64;
  eval.progress = StageProgress();
  eval.generation.generate = task.kind == TaskKind::kSequenceToSequence ? run.max_new_tokens : 0;
  eval.generation.num_beams = run.num_beams;
  absl::StatusOr<TaskEvaluation> result = EvaluateOnTask(*model, data, eval);
  if (!result.ok()) return result.status();
  record->metrics = result->scores.metrics;
  record->eval_count = result->scores.count;
  record->evaluation_seconds = result->seconds;
  for (const Prediction& p : result->predictions) {
    if (task.kind == TaskKind::kSequenceToSequence) {
      record->predicted_texts.push_back(p.text);
    } else {
      record->predicted_labels.push_back(p.label);
    }
  }
  absl::StatusOr<ExampleScores> examples = MakeExampleScores(task, data.eval_text, result->predictions);
  if (!examples.ok()) return examples.status();
  if (task.kind == TaskKind::kSequenceToSequence) {
    record->document_scores = examples->per_document;
  } else {
    record->reference_labels = examples->gold;
  }
  absl::StatusOr<std::map<std::string, BootstrapInterval>> intervals =
      BootstrapScores(task, *examples, BootstrapOptions{});
  if (!intervals.ok()) return intervals.status();
  for (const auto& [name, b] : *intervals) record->intervals[name] = {b.low, b.high, b.standard_error};
  if (run.speed) {
    if (run.stages.empty()) {  // nothing changed: one measurement serves both
      record->forward_ms = record->base_forward_ms;
      return absl::OkStatus();
    }
    absl::StatusOr<double> ms = Latency(*model, data, record);
    if (!ms.ok()) return ms.status();
    record->forward_ms = *ms;
  }
  return absl::OkStatus();
}

}  // namespace lrb
