// Experiment specs: one paper table each (results/papers/<id>.json, format in results/README.md), parsed
// into plain structs, and expanded into runs (one per grid row and task) for a profile.
#ifndef LRB_HARNESS_RUN_SPEC_H_
#define LRB_HARNESS_RUN_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/model/adapter.h"
#include "methods/budget.h"

namespace lrb {

// A fine-tuning recipe as a spec writes it (the defaults are `lrbench finetune`'s).
struct RecipeSpec {
  int epochs = 3;
  double lr = 2e-5;
  int64_t batch_size = 32;
  int64_t max_length = 128;
  int64_t max_target_length = 128;
  uint64_t seed = 42;
  double weight_decay = 0.01;
  double warmup_ratio = 0.0;
  double max_grad_norm = 1.0;
};

// LoSparse's pruning during re-fine-tuning (harness/model/row_pruning.h; defaults are the authors').
struct PruningSpec {
  double keep = 0.15;  // final share of the sparse parts' entries, over all compressed layers
  double beta = 0.85;
  int64_t delta_t = 10;
  double initial_warmup = 0.055, final_warmup = 0.275;  // shares of the steps
};

// KroneckerBERT's two-stage distillation of a compressed student of the checkpoint (harness/model/training.h
// Distill). The teacher of the task stage is the fine-tuned base; the student's head starts as its copy.
struct DistillSpec {
  std::optional<RecipeSpec> general;  // stage 1 on the text of the shipped train splits, the checkpoint teaching
  int64_t general_examples = 0;       // cap on that corpus (0: all; a profile's max_train_examples caps it too)
  bool task = true;                   // stage 2 distils from the fine-tuned base (else plain fine-tuning)
  double labels = 0;                  // weight of the task loss on the labels in stage 2
};

// The token-embedding tables compressed too (KroneckerBERT), by their own method, budget and options.
struct EmbeddingSpec {
  std::string method;
  Budget budget;
  std::map<std::string, std::string> options;
};

// Parameter-efficient fine-tuning of the checkpoint (LoRA, adapters, LoRETTA, BitFit): adapters on the
// linears matching `linears`, then only they and the parameters matching `train` learn, with the row's
// refinetune recipe; the rest of the model stays as pretrained.
struct PeftSpec {
  std::optional<AdapterOptions> adapter;  // none: no modules (BitFit trains existing parameters only)
  std::vector<std::string> linears;       // where adapters go (Model::LinearNames patterns)
  std::vector<std::string> train;         // parameter-name patterns that also train (Model::SetTrainable)
};

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

struct RowSpec {
  std::string label;
  std::string method;  // empty: the uncompressed baseline
  std::optional<Budget> budget;
  std::map<std::string, std::string> options;
  std::vector<std::string> linears;  // empty: the grid's
  std::optional<EmbeddingSpec> embeddings;  // needs a method (the linears' compression)
  std::optional<RecipeSpec> refinetune;
  std::optional<PruningSpec> pruning;  // prune during the re-fine-tuning (needs refinetune, method losparse)
  std::optional<DistillSpec> distill;  // compress the checkpoint, distil (refinetune is stage 2's recipe)
  // Parameter-efficient fine-tuning of the checkpoint (refinetune is its recipe); a method, when given,
  // first compresses the row's linears (LoRETTA's tensor-train head).
  std::optional<PeftSpec> peft;
  // Compress the checkpoint itself instead of the fine-tuned base: the re-fine-tuning is then the only
  // training (LoSparse fine-tunes from the pretrained model).
  bool from_checkpoint = false;
  bool speed = false;
  bool baseline = false;  // no method and no peft: the uncompressed reference (set by the parser)
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
  std::vector<RowSpec> rows;
};

struct ProfileSpec {
  std::vector<std::string> tasks;  // empty: all
  std::vector<std::string> rows;   // labels; empty: all
  std::optional<int64_t> max_train_examples, max_eval_examples, statistics_examples;
  std::map<std::string, double> finetune_base;  // recipe fields to override (base and every refinetune)
};

struct TableSpec {
  std::string id, title, source, setting, status = "measured";
  std::vector<std::string> notes;
  double scale = 100;
  std::vector<ColumnSpec> columns;
  std::vector<PublishedRow> published;
  std::optional<GridSpec> grid;
  std::map<std::string, ProfileSpec> profiles;
  std::string path;  // the file it came from
};

// Parses one spec; errors name `path` and the offending key or value.
absl::StatusOr<TableSpec> ParseTableSpec(const std::string& json_text, const std::string& path);
// Reads DIR/*.json, sorted by id.
absl::StatusOr<std::vector<TableSpec>> ReadTableSpecs(const std::string& dir);

// One run of a table: a grid row on one task, with the profile applied.
struct RunSpec {
  std::string table, row, task;
  std::string model, model_label;
  std::optional<RecipeSpec> finetune_base;
  std::string method;
  std::optional<Budget> budget;
  std::map<std::string, std::string> options;
  std::vector<std::string> linears;
  std::optional<EmbeddingSpec> embeddings;
  std::optional<RecipeSpec> refinetune;
  std::optional<PruningSpec> pruning;
  std::optional<DistillSpec> distill;
  std::optional<PeftSpec> peft;
  bool speed = false;
  std::string train_split, eval_split;  // empty: the task's
  int64_t statistics_examples = 0, max_train_examples = 0, max_eval_examples = 0;
  int64_t max_new_tokens = 64, num_beams = 1;
  std::string source_prefix;
};

// The runs of `table` under `profile` ("default" = the grid as written), rows outer, (task, split) pairs of
// the columns inner (each pair once). `model_override` replaces the grid's model. NotFound for an unknown profile.
absl::StatusOr<std::vector<RunSpec>> ExpandRuns(const TableSpec& table, const std::string& profile,
                                                const std::string& model_override);

// How tables label a model directory: its last path component ("roberta-base" for "/models/roberta-base/").
std::string ModelLabel(const std::string& model_dir);

// The canonical JSON of a run (sorted keys), what its content hash covers besides the data and checkpoint.
std::string RunSpecJson(const RunSpec& run);
std::string RecipeJson(const RecipeSpec& recipe);

}  // namespace lrb

#endif  // LRB_HARNESS_RUN_SPEC_H_
