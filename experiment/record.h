// RunRecord: what one run measured and everything needed to trust and redo it (JSON, one file per run,
// written atomically under OUT/runs/<table>/<run_id>.json).
#ifndef LRB_EXPERIMENT_RECORD_H_
#define LRB_EXPERIMENT_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/score.h"

namespace lrb {

struct FileHash {
  std::string path;
  std::string sha256;
  int64_t bytes = 0;
};

struct Provenance {
  std::string git_sha;     // of the workspace the tool ran from ("unknown" outside a git checkout)
  bool git_dirty = false;  // uncommitted changes at run time
  std::string date;        // UTC, ISO 8601
  std::string host, cpu, gpu;
  int threads = 0;                          // intra-op threads of the run
  std::map<std::string, std::string> versions;  // lrbench, libtorch, compiler, abseil, ...
  std::map<std::string, FileHash> files;        // "checkpoint", "train", "eval", "tokenizer"
};

// How a run ended. The JSON spells it "ok", "failed", "no_data" (RunStatusName / ParseRunStatus).
enum class RunStatus {
  kOk,      // measured
  kFailed,  // an error stopped it (`error` says which)
  kNoData,  // the task's data was not found (give --data_dir)
};

const char* RunStatusName(RunStatus status);
// The status spelled `name`; InvalidArgument "unknown run status \"<name>\" (ok, failed, no_data)" otherwise.
absl::StatusOr<RunStatus> ParseRunStatus(const std::string& name);

// A metric's bootstrap interval over the evaluation examples (tasks/metrics/bootstrap.h).
struct MetricInterval {
  double low = 0, high = 0, standard_error = 0;
};

struct RunRecord {
  int schema = 1;
  std::string run_id;      // content hash of the run's inputs (spec, checkpoint, data, code version)
  std::string table, row, task, profile;
  RunStatus status = RunStatus::kOk;
  std::string error;       // failed / no_data: the one-line reason
  std::string spec_json;   // RunSpecJson of the run
  std::string eval_split;
  std::map<std::string, double> metrics;  // the task's metrics, fractions
  int64_t eval_count = 0;
  // 95 % bootstrap intervals of `metrics` over the evaluation examples (ROUGE: documents; 1,000 resamples,
  // seed 42), for the metrics defined on every resample; empty in records before they existed. What they
  // resample, in evaluation order: the predicted class or value (classification, regression) or the
  // generated text (T5); the gold class or value (`references`); for T5 each document's ROUGE F-measures
  // (`document_scores`, metric name -> one per document). RecordExampleScores turns them back into
  // ExampleScores, so any statistic over examples is computed from the record alone.
  std::map<std::string, MetricInterval> intervals;
  std::vector<double> predicted_labels;
  std::vector<std::string> predicted_texts;
  std::vector<double> reference_labels;
  std::map<std::string, std::vector<double>> document_scores;
  int64_t train_count = 0;
  int64_t params_before = 0, params_after = 0;                // whole model, counted from stored tensors
  int64_t linear_params_before = 0, linear_params_after = 0;  // the compressed linears only
  int64_t linear_bits_after = 0;  // bits the compressed linears store (32 per float; quantized codes fewer); 0 in records before it existed
  int64_t compressed_linears = 0;
  int64_t trainable_params = 0;  // parameter-efficient rows: what the optimiser updated (0: not such a run)
  double mean_rel_error = 0;  // mean over compressed linears of ||W - W_hat||_F / ||W||_F (at compression, before any training)
  // What a method's training reported (pruning: "sparse_entries_kept_share", "maskings"); absent when empty.
  std::map<std::string, double> method_info;
  double base_finetune_seconds = 0;  // of the cached base model (0 when none)
  bool base_cached = false;          // the base model came from the cache
  double statistics_seconds = 0, compression_seconds = 0, refinetune_seconds = 0, evaluation_seconds = 0;
  std::optional<double> forward_ms;       // "speed" rows: median latency of one batch, as compressed
  std::optional<double> base_forward_ms;  // the same batch through the uncompressed model, same run
  int64_t forward_batch = 0, forward_seq = 0;
  std::string backend;               // how the linears ran inference ("onednn-cpu", "libtorch-cpu", "libtorch-cuda")
  Provenance provenance;
};

std::string RecordToJson(const RunRecord& record);
// The record's per-example material as tasks/score.h's ExampleScores (classification and regression: its
// predictions and references; T5: its document scores). FailedPrecondition naming the run when the record
// has none (a failed run, or one recorded before records kept them), InvalidArgument when its lists
// disagree in length with each other or with eval_count.
absl::StatusOr<ExampleScores> RecordExampleScores(const RunRecord& record);
absl::StatusOr<RunRecord> RecordFromJson(const std::string& text, const std::string& path);

// Every record under DIR/<table>/*.json (all tables when `table` is empty); unreadable files are errors
// naming them.
absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir, const std::string& table);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_RECORD_H_
