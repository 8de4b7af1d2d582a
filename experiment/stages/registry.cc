#include "experiment/stages/registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {

#define LRB_STAGE(factory) std::unique_ptr<Stage> factory();
#include "experiment/stages/stages.inc"
#undef LRB_STAGE

namespace {

std::vector<const Stage*>& MutableStages() {
  static std::vector<const Stage*>* stages = [] {
    auto* list = new std::vector<const Stage*>;
#define LRB_STAGE(factory) list->push_back(factory().release());
#include "experiment/stages/stages.inc"
#undef LRB_STAGE
    return list;
  }();
  return *stages;
}

size_t RegistryIndex(const Stage* stage) {
  const std::vector<const Stage*>& all = AllStages();
  return static_cast<size_t>(std::find(all.begin(), all.end(), stage) - all.begin());
}

}  // namespace

const std::vector<const Stage*>& AllStages() { return MutableStages(); }

absl::StatusOr<const Stage*> FindStage(std::string_view key) {
  std::vector<std::string> keys;
  for (const Stage* s : AllStages()) {
    if (s->Key() == key) return s;
    keys.emplace_back(s->Key());
  }
  return absl::NotFoundError(absl::StrFormat("unknown stage '%s' (known: %s)", key, absl::StrJoin(keys, ", ")));
}

absl::Status RegisterStage(std::unique_ptr<Stage> stage) {
  if (FindStage(stage->Key()).ok()) {
    return absl::AlreadyExistsError(absl::StrFormat("a stage '%s' is registered already", stage->Key()));
  }
  MutableStages().push_back(stage.release());
  return absl::OkStatus();
}

std::vector<std::string> StageSectionKeys() {
  std::vector<std::string> keys;
  for (const Stage* s : AllStages()) {
    if (s->HasSection()) keys.emplace_back(s->Key());
  }
  return keys;
}

absl::StatusOr<std::vector<StageUse>> ParseRowStages(const SpecReader& reader, const nlohmann::json& row_json,
                                                     const std::string& where, const RowCore& row) {
  std::vector<StageUse> stages;
  for (const Stage* s : AllStages()) {
    const std::string key(s->Key());
    if (!s->HasSection() || !row_json.contains(key)) continue;
    absl::StatusOr<std::shared_ptr<const StageSettings>> settings =
        s->Parse(reader, row_json.at(key), where + "." + key, row);
    if (!settings.ok()) return settings.status();
    stages.push_back({s, std::move(*settings)});
  }
  stages = RowStages(row, std::move(stages));
  const StageUse* training = nullptr;
  for (const StageUse& use : stages) {
    if (use.stage->Phase() != StagePhase::kTrain) continue;
    if (training != nullptr) {
      return reader.Error(where, absl::StrFormat("\"%s\" and \"%s\" both train the model; a row has one training stage",
                                                 training->stage->Key(), use.stage->Key()));
    }
    training = &use;
  }
  return stages;
}

std::vector<StageUse> RowStages(const RowCore& row, std::vector<StageUse> sectioned) {
  std::vector<StageUse> stages = sectioned;
  for (const Stage* s : AllStages()) {
    if (!s->HasSection() && s->Implied(row, sectioned)) stages.push_back({s, nullptr});
  }
  std::stable_sort(stages.begin(), stages.end(), [](const StageUse& a, const StageUse& b) {
    if (a.stage->Phase() != b.stage->Phase()) return a.stage->Phase() < b.stage->Phase();
    return RegistryIndex(a.stage) < RegistryIndex(b.stage);
  });
  return stages;
}

void AddStagesJson(const std::vector<StageUse>& stages, nlohmann::json* run_json) {
  for (const StageUse& use : stages) {
    if (use.stage->HasSection()) (*run_json)[std::string(use.stage->Key())] = use.stage->ToJson(*use.settings);
  }
}

std::string DescribeStages(const std::vector<StageUse>& stages, const RowCore& row) {
  std::string text;
  for (const StageUse& use : stages) text = use.stage->Describe(use.settings.get(), row, text);
  if (text.empty()) return "—";
  if (row.from_checkpoint) text += ", from the checkpoint";
  return text;
}

bool TrainsASubset(const std::vector<StageUse>& stages) {
  return std::any_of(stages.begin(), stages.end(), [](const StageUse& u) { return u.stage->TrainsASubset(); });
}

}  // namespace lrb
