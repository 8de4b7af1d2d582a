// The finetune stage (implied by a row with a method and a "refinetune" recipe, unless another stage trains):
// the compressed model fine-tuned on the task with the row's recipe.
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/stopwatch.h"
#include "experiment/stages/stage.h"

namespace lrb {
namespace {

class FinetuneStage : public Stage {
 public:
  std::string_view Key() const override { return "finetune"; }
  StagePhase Phase() const override { return StagePhase::kTrain; }
  bool HasSection() const override { return false; }
  bool Implied(const RowCore& row, const std::vector<StageUse>& sectioned) const override {
    if (row.method.empty() || !row.refinetune) return false;
    for (const StageUse& use : sectioned) {
      if (use.stage->Phase() == StagePhase::kTrain) return false;
    }
    return true;
  }

  absl::Status Run(const StageSettings*, StageContext& c) const override {
    c.progress("re-fine-tuning the compressed model");
    const Stopwatch clock;
    absl::StatusOr<FinetuneReport> report =
        Finetune(*c.model, c.data.train, {}, *c.row.refinetune, c.training_progress);
    if (!report.ok()) return report.status();
    c.record.refinetune_seconds = clock.Seconds();
    return absl::OkStatus();
  }

  std::string Describe(const StageSettings*, const RowCore&, const std::string& text) const override {
    return absl::StrCat(text, " + fine-tuning");
  }
};

}  // namespace

std::unique_ptr<Stage> MakeFinetuneStage() { return std::make_unique<FinetuneStage>(); }

}  // namespace lrb
