// LoSparse's pruning stage ("pruning": {"keep", "beta", "delta_t", "initial_warmup", "final_warmup"}; defaults
// are the authors'): the re-fine-tuning with the row's "refinetune" recipe while the rows of the sparse parts
// are pruned (runtime/model/row_pruning.h). It needs layers stored as low rank + sparse: the losparse method.
#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/stopwatch.h"
#include "runtime/model/row_pruning.h"
#include "experiment/stages/stage.h"

namespace lrb {
namespace {

class RowPruningStage : public Stage {
 public:
  std::string_view Key() const override { return "pruning"; }
  StagePhase Phase() const override { return StagePhase::kTrain; }

  absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& r, const nlohmann::json& j,
                                                             const std::string& where,
                                                             const RowCore& row) const override {
    LRB_RETURN_IF_ERROR(r.Keys(j, where, {"keep", "beta", "delta_t", "initial_warmup", "final_warmup"}));
    RowPruningOptions p;
    LRB_RETURN_IF_ERROR(r.Get(j, "keep", where, &p.keep));
    LRB_RETURN_IF_ERROR(r.Get(j, "beta", where, &p.beta));
    LRB_RETURN_IF_ERROR(r.Get(j, "delta_t", where, &p.delta_t));
    LRB_RETURN_IF_ERROR(r.Get(j, "initial_warmup", where, &p.initial_warmup));
    LRB_RETURN_IF_ERROR(r.Get(j, "final_warmup", where, &p.final_warmup));
    if (!CheckRowPruningOptions(p).ok()) {
      return r.Error(where, "needs keep in [0, 1], beta in [0, 1), delta_t >= 1 and warm-up shares >= 0 summing below 1");
    }
    if (!row.refinetune) return r.Error(where, "pruning happens while re-fine-tuning: give \"refinetune\"");
    return std::make_shared<SettingsOf<RowPruningOptions>>(p);
  }

  absl::Status Validate(const StageSettings*, const RowCore& row) const override {
    if (row.method == "losparse") return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrFormat(
        "pruning needs layers stored as low rank + sparse (method losparse), not %s", row.method));
  }

  nlohmann::json ToJson(const StageSettings& settings) const override {
    const RowPruningOptions& p = SettingsAs<RowPruningOptions>(&settings);
    return {{"keep", p.keep}, {"beta", p.beta}, {"delta_t", p.delta_t}, {"initial_warmup", p.initial_warmup},
            {"final_warmup", p.final_warmup}};
  }

  // Records what the layers store once pruned: the kept rows only.
  absl::Status Run(const StageSettings* settings, StageContext& c) const override {
    const RowPruningOptions& options = SettingsAs<RowPruningOptions>(settings);
    c.progress(absl::StrFormat("fine-tuning while pruning the sparse parts to %g of their entries", options.keep));
    const Stopwatch clock;
    absl::StatusOr<RowPruningReport> report = FinetuneWithRowPruning(
        *c.model, c.data.train, {}, *c.row.refinetune, options, c.training_progress);
    if (!report.ok()) return report.status();
    c.record.linear_params_after = 0;
    c.record.linear_bits_after = 0;
    for (const PrunedLayer& l : report->layers) {
      c.record.linear_params_after += l.params_after;
      c.record.linear_bits_after += l.bits_after;
    }
    c.record.method_info["sparse_entries_kept_share"] =
        static_cast<double>(report->entries_kept) / std::max<int64_t>(1, report->entries_before);
    c.record.method_info["maskings"] = report->maskings;
    c.record.refinetune_seconds = clock.Seconds();
    return absl::OkStatus();
  }

  std::string Describe(const StageSettings* settings, const RowCore&, const std::string& text) const override {
    return absl::StrCat(text, absl::StrFormat(" + fine-tuning pruned to %g of S", SettingsAs<RowPruningOptions>(settings).keep));
  }
};

}  // namespace

std::unique_ptr<Stage> MakeRowPruningStage() { return std::make_unique<RowPruningStage>(); }

}  // namespace lrb
