#include "experiment/stages/stage.h"

#include "absl/strings/str_cat.h"

namespace lrb {

absl::StatusOr<std::shared_ptr<const StageSettings>> Stage::Parse(const SpecReader& reader, const nlohmann::json&,
                                                                  const std::string& where, const RowCore&) const {
  return reader.Error(where, absl::StrCat("stage ", std::string(Key()), " takes no section"));
}

absl::Status Stage::Validate(const StageSettings*, const RowCore&) const { return absl::OkStatus(); }

std::shared_ptr<const StageSettings> Stage::WithRecipeOverrides(const std::shared_ptr<const StageSettings>& settings,
                                                                const std::map<std::string, double>&) const {
  return settings;
}

nlohmann::json Stage::ToJson(const StageSettings&) const { return nullptr; }

absl::StatusOr<std::shared_ptr<const StageSettings>> Stage::ForFamily(
    const std::shared_ptr<const StageSettings>& settings, const PatternRenamer&) const {
  return settings;
}

const StageUse* FindStageUse(const std::vector<StageUse>& stages, std::string_view key) {
  for (const StageUse& use : stages) {
    if (use.stage->Key() == key) return &use;
  }
  return nullptr;
}

}  // namespace lrb
