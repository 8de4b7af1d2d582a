// Stages: what a table row does to a model between the base model and the evaluation (compress its linears,
// compress its embeddings, re-fine-tune, re-fine-tune while pruning, distil, train adapters). One list
// (stages.inc) registers them, as methods.inc registers the compression methods. A stage
//   - reads and checks its own section of a row (the row key it names: "pruning": {...}), or is implied by
//     the row (compress: a row with a method),
//   - contributes that section to the run's id (RunSpecJson), renames its module patterns for other model
//     families, applies a profile's recipe overrides to recipes of its own,
//   - runs through a narrow context (StageContext: the model, the task's data, the row's recipe, the record),
//   - and describes itself in the table's method column.
// A row is {method, budget, options, linears, recipe, stages}; the runner and the report know stages only
// through this interface. docs/adding-a-method.md walks through adding a training-based method.
#ifndef LRB_EXPERIMENT_STAGES_STAGE_H_
#define LRB_EXPERIMENT_STAGES_STAGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "runtime/model/device.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "experiment/record.h"
#include "experiment/spec_reader.h"
#include "experiment/task_model.h"
#include "methods/budget.h"

namespace lrb {

// What every stage may read of a row: its compression and the recipe of the training after it.
struct RowCore {
  std::string method;  // empty: the row compresses nothing
  std::optional<Budget> budget;
  std::map<std::string, std::string> options;
  std::vector<std::string> linears;      // a row's own (empty: the grid's); a run's, resolved
  std::optional<RecipeSpec> refinetune;  // the recipe of the row's training (the "refinetune" key)
  // Compress the checkpoint itself instead of the fine-tuned base (the training is then the only one).
  bool from_checkpoint = false;
};

// A stage's parsed section. Stages keep their settings as SettingsOf<T> (T: the stage's own struct).
struct StageSettings {
  virtual ~StageSettings() = default;
};
template <typename T>
struct SettingsOf : StageSettings {
  explicit SettingsOf(T v) : value(std::move(v)) {}
  T value;
};

// The settings a stage parsed as its T (the stage's own code, which made them a SettingsOf<T>).
template <typename T>
const T& SettingsAs(const StageSettings* settings) {
  return static_cast<const SettingsOf<T>*>(settings)->value;
}

class Stage;

// A stage in a row: the registered stage and its settings (null for a stage without a section).
struct StageUse {
  const Stage* stage = nullptr;
  std::shared_ptr<const StageSettings> settings;
  // The settings as the stage's T, or null when they are not a SettingsOf<T>.
  template <typename T>
  const T* As() const {
    auto* s = dynamic_cast<const SettingsOf<T>*>(settings.get());
    return s == nullptr ? nullptr : &s->value;
  }
};

// Where a run's stages keep what outlives them, and how they run models.
struct StageEnv {
  std::string out_dir;                  // caches under OUT/cache/<kind>/<key>/
  std::optional<std::string> data_dir;  // --data_dir
  Device device;
  std::string kernels = "onednn";
};

// The narrow context a stage runs in.
struct StageContext {
  const RowCore& row;  // the run's compression and recipe, module names in the checkpoint's family
  int64_t statistics_examples = 0, max_train_examples = 0;
  std::string run_json;  // RunSpecJson of the run (the spec's names): what cache keys may hash
  const TaskInfo& task;
  const TaskData& data;
  std::string model_dir;  // the checkpoint
  ModelFamily family;
  LoadOptions load;  // a model for this run: the task's head, the device, the kernels, the recipe's seed
  std::unique_ptr<Model>& model;  // what the row changes; a stage may replace it (a student)
  Model* teacher = nullptr;       // stages that TrainAStudent: the fine-tuned base
  RunRecord& record;
  const StageEnv& env;
  ProgressSink progress;           // the stage's own lines
  ProgressSink training_progress;  // training and evaluation lines, indented below them
};

// Stages run in phase order, registry order within a phase; a row has at most one training stage.
enum class StagePhase { kCompress, kTrain };

// Renames module patterns for the checkpoint's family (experiment/family_names.h), in place.
using PatternRenamer = std::function<absl::Status(std::vector<std::string>*)>;

class Stage {
 public:
  virtual ~Stage() = default;

  // The name in messages and the row key of the stage's section ("pruning"); Implied stages have no section.
  virtual std::string_view Key() const = 0;
  virtual StagePhase Phase() const = 0;
  // Whether rows write a section under Key(); false for stages the row implies.
  virtual bool HasSection() const { return true; }
  // Stages without a section: whether `row` implies the stage, given the stages its sections name.
  virtual bool Implied(const RowCore& row, const std::vector<StageUse>& sectioned) const { return false; }
  // Stages with a section: reads it (errors name `where`, "grid.rows[2].pruning") and checks it against the
  // rest of the row.
  virtual absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& reader,
                                                                     const nlohmann::json& section,
                                                                     const std::string& where,
                                                                     const RowCore& row) const;
  // Checks that need the method registry (ValidateTable): the message, without the row, or OK.
  virtual absl::Status Validate(const StageSettings* settings, const RowCore& row) const;
  // A profile's recipe overrides applied to recipes of the stage's own (the row's recipe is the runner's).
  virtual std::shared_ptr<const StageSettings> WithRecipeOverrides(
      const std::shared_ptr<const StageSettings>& settings, const std::map<std::string, double>& overrides) const;
  // The section's canonical JSON, under Key() in the run's JSON (its id). Stages with a section only.
  virtual nlohmann::json ToJson(const StageSettings& settings) const;
  // The settings with their module patterns renamed for another model family.
  virtual absl::StatusOr<std::shared_ptr<const StageSettings>> ForFamily(
      const std::shared_ptr<const StageSettings>& settings, const PatternRenamer& rename) const;

  // The row starts from the checkpoint: no base fine-tuning at all (parameter-efficient training).
  virtual bool StartsFromCheckpoint() const { return false; }
  // The fine-tuned base teaches a new student loaded from the checkpoint, which the stages then change.
  virtual bool TrainsAStudent() const { return false; }
  // Trains a subset of the parameters: tables plot trainable parameters, each row its own series.
  virtual bool TrainsASubset() const { return false; }

  virtual absl::Status Run(const StageSettings* settings, StageContext& context) const = 0;

  // The table's method column: `text` (what the stages before wrote) with this stage's part.
  virtual std::string Describe(const StageSettings* settings, const RowCore& row, const std::string& text) const = 0;
};

// The use of the stage `key` in `stages`, or null.
const StageUse* FindStageUse(const std::vector<StageUse>& stages, std::string_view key);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_STAGE_H_
