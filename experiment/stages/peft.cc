#include "experiment/stages/peft.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/stopwatch.h"
#include "experiment/stages/stage.h"

namespace lrb {
namespace {

// "LoRA r=8 (alpha 16), tensor-train rank 5; trains the adapters, classifier.**" and the like.
std::string PeftText(const PeftSpec& peft) {
  std::string text = "no adapters";
  if (peft.adapter) {
    const AdapterOptions& a = *peft.adapter;
    text = a.kind == "lora" ? absl::StrFormat("LoRA r=%d (alpha %g)", a.rank, a.alpha)
                            : absl::StrFormat("bottleneck adapters of %d", a.rank);
    if (a.tt_rank > 0) absl::StrAppend(&text, absl::StrFormat(", tensor-train rank %d", a.tt_rank));
  }
  std::vector<std::string> trains;
  if (peft.adapter) trains.push_back("the adapters");
  trains.insert(trains.end(), peft.train.begin(), peft.train.end());
  return absl::StrCat(text, "; trains ", absl::StrJoin(trains, ", "));
}

class PeftStage : public Stage {
 public:
  std::string_view Key() const override { return "peft"; }
  StagePhase Phase() const override { return StagePhase::kTrain; }
  bool StartsFromCheckpoint() const override { return true; }
  bool TrainsASubset() const override { return true; }

  absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& r, const nlohmann::json& j,
                                                             const std::string& where,
                                                             const RowCore& row) const override {
    LRB_RETURN_IF_ERROR(r.Keys(j, where, {"adapter", "linears", "train"}));
    PeftSpec p;
    LRB_RETURN_IF_ERROR(r.Strings(j, "linears", where, &p.linears));
    LRB_RETURN_IF_ERROR(r.Strings(j, "train", where, &p.train));
    if (j.contains("adapter")) {
      const std::string w = where + ".adapter";
      const nlohmann::json& a = j["adapter"];
      LRB_RETURN_IF_ERROR(r.Keys(a, w, {"kind", "rank", "alpha", "dropout", "tt_rank", "tt_order"}));
      AdapterOptions o;
      LRB_RETURN_IF_ERROR(r.Get(a, "kind", w, &o.kind));
      LRB_RETURN_IF_ERROR(r.Get(a, "rank", w, &o.rank));
      LRB_RETURN_IF_ERROR(r.Get(a, "alpha", w, &o.alpha));
      LRB_RETURN_IF_ERROR(r.Get(a, "dropout", w, &o.dropout));
      LRB_RETURN_IF_ERROR(r.Get(a, "tt_rank", w, &o.tt_rank));
      int64_t order = o.tt_order;
      LRB_RETURN_IF_ERROR(r.Get(a, "tt_order", w, &order));
      o.tt_order = static_cast<int>(order);
      if (absl::Status s = CheckAdapterOptions(o); !s.ok()) return r.Error(w, std::string(s.message()));
      if (o.kind == "bottleneck" && (a.contains("alpha") || a.contains("dropout"))) {
        return r.Error(w, "alpha and dropout are LoRA's; a bottleneck adapter has neither");
      }
      if (o.tt_rank == 0 && a.contains("tt_order")) return r.Error(w, "tt_order needs tt_rank > 0");
      if (p.linears.empty()) return r.Error(where + ".linears", "an adapter needs the linears it goes on");
      p.adapter = o;
    } else if (!p.linears.empty()) {
      return r.Error(where + ".linears", "linears without an adapter");
    }
    if (!p.adapter && p.train.empty()) return r.Error(where, "nothing would train: give an adapter or train patterns");
    if (!row.refinetune || row.from_checkpoint) {
      return r.Error(where, "needs \"refinetune\" (its recipe), without from_checkpoint, pruning or distill (it always trains the checkpoint)");
    }
    return std::make_shared<SettingsOf<PeftSpec>>(std::move(p));
  }

  nlohmann::json ToJson(const StageSettings& settings) const override {
    const PeftSpec& p = SettingsAs<PeftSpec>(&settings);
    const nlohmann::json adapter = p.adapter ? AdapterOptionsToJson(*p.adapter) : nlohmann::json(nullptr);
    return {{"adapter", adapter}, {"linears", p.linears}, {"train", p.train}};
  }

  absl::StatusOr<std::shared_ptr<const StageSettings>> ForFamily(const std::shared_ptr<const StageSettings>& settings,
                                                                 const PatternRenamer& rename) const override {
    PeftSpec p = SettingsAs<PeftSpec>(settings.get());
    if (absl::Status s = rename(&p.linears); !s.ok()) return s;
    if (absl::Status s = rename(&p.train); !s.ok()) return s;
    return std::make_shared<SettingsOf<PeftSpec>>(std::move(p));
  }

  // Adapters on the linears, everything frozen but them and the train patterns, then the row's recipe.
  absl::Status Run(const StageSettings* settings, StageContext& c) const override {
    const PeftSpec& peft = SettingsAs<PeftSpec>(settings);
    Model& model = *c.model;
    if (peft.adapter) {
      AdapterOptions o = *peft.adapter;
      o.seed = c.row.refinetune->seed;
      for (const std::string& pattern : peft.linears) {
        if (absl::StatusOr<int> n = model.AddAdapters(pattern, o); !n.ok()) return n.status();
      }
    }
    absl::StatusOr<int64_t> trainable = model.SetTrainable(peft.train);
    if (!trainable.ok()) return trainable.status();
    c.record.trainable_params = *trainable;
    c.progress(absl::StrFormat("fine-tuning %d of the model's %d parameters", *trainable, model.ParameterCount()));
    const Stopwatch clock;
    absl::StatusOr<FinetuneReport> report =
        Finetune(model, c.data.train, {}, *c.row.refinetune, c.training_progress);
    if (!report.ok()) return report.status();
    c.record.refinetune_seconds = clock.Seconds();
    return absl::OkStatus();
  }

  // A compressed row: "loretta rank=5 on <linears> + <adapters>".
  std::string Describe(const StageSettings* settings, const RowCore& row, const std::string&) const override {
    std::string text = PeftText(SettingsAs<PeftSpec>(settings));
    if (!row.method.empty()) {
      text = absl::StrCat(row.method, " ", row.budget ? BudgetToString(*row.budget) : "", " on ",
                          absl::StrJoin(row.linears, ", "), " + ", text);
    }
    return text;
  }
};

}  // namespace

std::unique_ptr<Stage> MakePeftStage() { return std::make_unique<PeftStage>(); }

}  // namespace lrb
