#include "experiment/stages/compress.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/stopwatch.h"
#include "experiment/stages/stage.h"
#include "methods/registry.h"

namespace lrb {
absl::StatusOr<LinearsCompression> CompressModelLinears(Model& model, const std::vector<Example>& train,
                                                        const LinearsCompressionSpec& spec, const ProgressSink& progress) {
  absl::StatusOr<const Method*> method = FindMethod(spec.method);
  if (!method.ok()) return method.status();
  LinearsCompression out;
  const std::vector<Statistic> needs = (*method)->Needs();
  auto needs_stat = [&](Statistic s) { return std::find(needs.begin(), needs.end(), s) != needs.end(); };
  std::map<std::string, LayerStatistics> stats;
  if (!needs.empty()) {
    const Stopwatch clock;
    const size_t n = std::min<size_t>(train.size(), static_cast<size_t>(std::max<int64_t>(1, spec.statistics_examples)));
    if (n == 0) return absl::InvalidArgumentError("no train examples for the statistics the method needs");
    const std::vector<Example> sample(train.begin(), train.begin() + n);
    if (progress) progress(absl::StrFormat("collecting statistics over %d train examples (%s)", n, spec.method));
    for (const std::string& pattern : spec.linears) {
      StatisticsOptions so;
      so.pattern = pattern;
      so.fisher = needs_stat(Statistic::kFisher);
      so.input_second_moment = needs_stat(Statistic::kInputSecondMoment);
      absl::StatusOr<std::map<std::string, LayerStatistics>> s = CollectStatistics(model, sample, so);
      if (!s.ok()) return s.status();
      stats.insert(s->begin(), s->end());
    }
    out.statistics_seconds = clock.Seconds();
  }
  const MethodOptions method_options(spec.options);
  const Budget& budget = spec.budget;
  // A layer's weight with the statistics the method needs.
  auto inputs_of = [&](const std::string& name, const Matrix& weight) {
    LayerInputs in{&weight};
    if (auto it = stats.find(name); it != stats.end()) {
      if (needs_stat(Statistic::kFisher)) in.fisher = &it->second.fisher;
      if (needs_stat(Statistic::kInputSecondMoment)) in.input_second_moment = &it->second.input_second_moment;
    }
    return in;
  };
  // ReplaceLinears names the layer in an error.
  const LinearCompressor compress = [&](const std::string& name, const Matrix& weight) -> absl::StatusOr<Factorization> {
    absl::StatusOr<Compressed> c = (*method)->Compress(inputs_of(name, weight), budget, method_options);
    if (!c.ok()) return c.status();
    return std::move(c->factorization);
  };
  const Stopwatch clock;
  // Methods that compress the layers together (SCADA-Tucker's shared core) see every matching weight at once.
  const bool joint = (*method)->CompressesJointly(method_options);
  std::map<std::string, Compressed> jointly;
  std::vector<std::string> shared_core;  // layers whose Tucker cores become one parameter
  if (joint) {
    std::vector<std::pair<std::string, Matrix>> weights;
    for (const std::string& pattern : spec.linears) {
      absl::StatusOr<std::vector<std::pair<std::string, Matrix>>> w = model.LinearWeights(pattern);
      if (!w.ok()) return w.status();
      weights.insert(weights.end(), std::make_move_iterator(w->begin()), std::make_move_iterator(w->end()));
    }
    std::vector<LayerInputs> layers;
    for (const auto& [name, w] : weights) layers.push_back(inputs_of(name, w));
    if (progress) progress(absl::StrFormat("compressing %d linears together (%s)", layers.size(), spec.method));
    absl::StatusOr<std::vector<Compressed>> c = (*method)->CompressLayers(layers, budget, method_options);
    if (!c.ok()) return c.status();
    for (size_t i = 0; i < weights.size(); ++i) {
      if ((*c)[i].shares_tucker_core) shared_core.push_back(weights[i].first);
      jointly[weights[i].first] = std::move((*c)[i]);
    }
  }
  const LinearCompressor take_joint = [&](const std::string& name, const Matrix&) -> absl::StatusOr<Factorization> {
    auto it = jointly.find(name);
    if (it == jointly.end()) return absl::InternalError(name + ": not among the jointly compressed layers");
    return it->second.factorization;
  };
  for (const std::string& pattern : spec.linears) {
    absl::StatusOr<std::vector<LinearReplacement>> replaced =
        model.ReplaceLinears(pattern, joint ? take_joint : compress, spec.trainable);
    if (!replaced.ok()) return replaced.status();
    out.layers.insert(out.layers.end(), replaced->begin(), replaced->end());
  }
  if (shared_core.size() > 1) {
    absl::StatusOr<int64_t> freed = model.ShareTuckerCore(shared_core);
    if (!freed.ok()) return freed.status();
    out.shared_core_freed = *freed;
    out.shared_core_layers = shared_core.size();
  }
  double error_sum = 0;
  for (const LinearReplacement& r : out.layers) {
    out.params_before += r.params_before;
    out.params_after += r.params_after;
    out.bits_after += r.bits_after;
    error_sum += r.rel_error;
  }
  out.params_after -= out.shared_core_freed;  // the core is stored once
  out.bits_after -= 32 * out.shared_core_freed;
  if (!out.layers.empty()) out.mean_rel_error = error_sum / static_cast<double>(out.layers.size());
  out.compression_seconds = clock.Seconds();
  return out;
}

namespace {

class CompressStage : public Stage {
 public:
  std::string_view Key() const override { return "compress"; }
  StagePhase Phase() const override { return StagePhase::kCompress; }
  bool HasSection() const override { return false; }
  bool Implied(const RowCore& row, const std::vector<StageUse>&) const override { return !row.method.empty(); }

  // Statistics first when the method needs them; the factors train when the row trains after compressing.
  absl::Status Run(const StageSettings*, StageContext& c) const override {
    LinearsCompressionSpec spec;
    spec.method = c.row.method;
    spec.budget = *c.row.budget;
    spec.options = c.row.options;
    spec.linears = c.row.linears;
    spec.statistics_examples = c.statistics_examples;
    spec.trainable = c.row.refinetune.has_value();
    absl::StatusOr<LinearsCompression> out = CompressModelLinears(*c.model, c.data.train, spec, c.progress);
    if (!out.ok()) return out.status();
    RunRecord& record = c.record;
    record.linear_params_before += out->params_before;
    record.linear_params_after += out->params_after;
    record.linear_bits_after += out->bits_after;
    record.compressed_linears += static_cast<int64_t>(out->layers.size());
    if (out->shared_core_layers > 1) {
      record.method_info["shared_core_params"] =
          static_cast<double>(out->shared_core_freed) / static_cast<double>(out->shared_core_layers - 1);
    }
    if (out->statistics_seconds > 0) record.statistics_seconds = out->statistics_seconds;
    record.compression_seconds = out->compression_seconds;
    record.mean_rel_error = out->mean_rel_error;
    return absl::OkStatus();
  }

  // "fwsvd param_ratio=0.25 rank_multiple=8".
  std::string Describe(const StageSettings*, const RowCore& row, const std::string&) const override {
    std::string text = row.method;
    if (row.budget) absl::StrAppend(&text, " ", BudgetToString(*row.budget));
    for (const auto& [k, v] : row.options) absl::StrAppend(&text, " ", k, "=", v);
    return text;
  }
};

}  // namespace

std::unique_ptr<Stage> MakeCompressStage() { return std::make_unique<CompressStage>(); }

}  // namespace lrb
