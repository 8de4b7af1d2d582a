// Experiment specs: one paper table each (results/papers/<id>.json, format in results/README.md), parsed
// into plain structs, and expanded into runs (one per grid row and task) for a profile.
#ifndef LRB_EXPERIMENT_SPEC_H_
#define LRB_EXPERIMENT_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "experiment/spec_reader.h"
#include "experiment/stages/stage.h"
#include "methods/budget.h"

namespace lrb {

struct ColumnSpec {
  std::string name;    // the header, also the key of published values
  std::string task;    // empty: only published rows fill this column
  std::string metric;  // one of the task's metrics
  std::string split;   // the evaluation split; empty: the task's (e.g. "dev_mismatched" for MNLI-mm)
  std::optional<double> scale;  // overrides TableSpec::scale (e.g. 1 for the latency columns)
};

struct PublishedRow {
  std::string label, model, params, method, source, note;
  std::map<std::string, double> values;  // column name -> published number
  bool baseline = false;                 // the uncompressed reference the other published rows compare with
};

// A grid row: its compression and recipe (RowCore), then the stages it runs (experiment/stages/stage.h: the
// compress stage when it has a method, and those its sections name: "embeddings", "pruning", "distill",
// "peft", ...). A row without stages is the uncompressed baseline.
struct RowSpec : RowCore {
  std::string label;
  std::vector<StageUse> stages;  // in the order they run
  bool speed = false;
  bool baseline = false;  // no stage: the uncompressed reference (set by the parser)
};

struct SplitOverride {
  std::string train, eval;
};

struct GridSpec {
  std::string model;  // checkpoint directory as written (workspace-relative or absolute)
  std::string model_label;
  std::optional<RecipeSpec> finetune_base;
  std::vector<std::string> linears;
  int64_t statistics_examples = 512;
  int64_t max_train_examples = 0;
  int64_t max_eval_examples = 0;
  std::map<std::string, SplitOverride> splits;  // task id -> overrides
  int64_t max_new_tokens = 64;
  int64_t num_beams = 1;
  std::string source_prefix = "summarize: ";
  // Each run is repeated with each seed (its base fine-tune and every training step after it take the seed);
  // empty: once, with the recipes' own seeds. Tasks in `single_seed_tasks` run the first seed only.
  std::vector<int64_t> seeds;
  std::vector<std::string> single_seed_tasks;
  std::vector<RowSpec> rows;
};

struct ProfileSpec {
  std::vector<std::string> tasks;  // empty: all
  std::vector<std::string> rows;   // labels; empty: all
  std::optional<int64_t> max_train_examples, max_eval_examples, statistics_examples;
  std::map<std::string, double> finetune_base;  // recipe fields to override (base and every refinetune)
  std::optional<std::vector<int64_t>> seeds;     // replaces the grid's seeds
};

// A published finding the table's grid can test (results/README.md, "claims"): grid row `better` scores at
// least as high as grid row `than` on each of `columns`, or, with a `margin` M (table points, after the scale),
// is worse by no more than M. Evaluated on the records by experiment/report/claims.h; not part of any run's id.
struct ClaimSpec {
  std::string id, text, source;
  std::string better, than;          // grid row labels
  std::vector<std::string> columns;  // column names, each with a task; empty: every measured column
  double margin = 0;                 // >= 0
};

// Whether the suite measures a table ("status": "measured", the default) or only shows its published rows
// ("pending").
enum class TableStatus { kMeasured, kPending };

struct TableSpec {
  std::string id, title, source, setting;
  TableStatus status = TableStatus::kMeasured;
  std::vector<std::string> notes;
  double scale = 100;
  std::vector<ColumnSpec> columns;
  std::vector<PublishedRow> published;
  std::optional<GridSpec> grid;
  std::vector<ClaimSpec> claims;
  std::map<std::string, ProfileSpec> profiles;
  std::string path;  // the file it came from
};

// Parses one spec; errors name `path` and the offending key or value.
absl::StatusOr<TableSpec> ParseTableSpec(const std::string& json_text, const std::string& path);
// Reads DIR/*.json, sorted by id.
absl::StatusOr<std::vector<TableSpec>> ReadTableSpecs(const std::string& dir);

// One run of a table: a grid row on one task, with the profile applied (RowCore::linears resolved against the
// grid's; the profile's recipe overrides applied to every recipe).
struct RunSpec : RowCore {
  std::string table, row, task;
  std::string model, model_label;
  std::optional<RecipeSpec> finetune_base;  // none: the row starts from the checkpoint
  std::vector<StageUse> stages;
  bool speed = false;
  std::string train_split, eval_split;  // empty: the task's
  int64_t statistics_examples = 0, max_train_examples = 0, max_eval_examples = 0;
  int64_t max_new_tokens = 64, num_beams = 1;
  std::string source_prefix;
};

// The runs of `table` under `profile` ("default" = the grid as written), rows outer, (task, split) pairs of
// the columns next (each pair once), seeds inner: one run per seed of the profile (else the grid), the seed
// set in every recipe of the run; a seed whose run is the same as an earlier seed's (a row that trains
// nothing) is not repeated. `model_override` replaces the grid's model. NotFound for an unknown profile.
absl::StatusOr<std::vector<RunSpec>> ExpandRuns(const TableSpec& table, const std::string& profile,
                                                const std::string& model_override);

// How tables label a model directory: its last path component ("roberta-base" for "/models/roberta-base/").
std::string ModelLabel(const std::string& model_dir);

// The canonical JSON of a run (sorted keys), what its content hash covers besides the data and checkpoint.
std::string RunSpecJson(const RunSpec& run);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_SPEC_H_
