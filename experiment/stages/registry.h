// The stage registry (stages.inc) and the row-level operations built on it: which stages a row runs, its
// part of a run's JSON, the method column's text.
#ifndef LRB_EXPERIMENT_STAGES_REGISTRY_H_
#define LRB_EXPERIMENT_STAGES_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "experiment/spec_reader.h"
#include "experiment/stages/stage.h"

namespace lrb {

// Every stage: stages.inc's, then those RegisterStage added, in that order.
const std::vector<const Stage*>& AllStages();
absl::StatusOr<const Stage*> FindStage(std::string_view key);
// Adds a stage defined outside stages.inc (a test's, a plug-in's); its key must be new.
absl::Status RegisterStage(std::unique_ptr<Stage> stage);

// The row keys of the stages with a section, in registry order.
std::vector<std::string> StageSectionKeys();

// The stages of a row whose core is `row` and whose JSON object is `row_json` (sections read through
// `reader`, errors naming `where`), in the order they run: phase first, registry order within it.
absl::StatusOr<std::vector<StageUse>> ParseRowStages(const SpecReader& reader, const nlohmann::json& row_json,
                                                     const std::string& where, const RowCore& row);

// The stages of a row whose core is `row`: `sectioned` (the stages its sections name) with those the core
// implies, in the order they run (phase first, registry order within it). ParseRowStages's result; rows
// built in code get their stages here.
std::vector<StageUse> RowStages(const RowCore& row, std::vector<StageUse> sectioned);

// The stages' sections in a run's JSON (added to `run_json`, an object).
void AddStagesJson(const std::vector<StageUse>& stages, nlohmann::json* run_json);

// The table's method column of a row: "—" when it runs no stage.
std::string DescribeStages(const std::vector<StageUse>& stages, const RowCore& row);

// Whether a stage of `stages` trains a subset of the parameters (StageUse::stage->TrainsASubset()).
bool TrainsASubset(const std::vector<StageUse>& stages);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_REGISTRY_H_
