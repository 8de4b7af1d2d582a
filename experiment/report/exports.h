// The measured results in the formats people load (issue #24): an aggregate results JSON per profile in the
// shape lm-evaluation-harness writes (results -> entry -> "metric,none" and "metric_stderr,none", with configs,
// sample counts and provenance), and a tidy CSV with one row per (run, metric) for pandas.
#ifndef LRB_EXPERIMENT_REPORT_EXPORTS_H_
#define LRB_EXPERIMENT_REPORT_EXPORTS_H_

#include <string>
#include <vector>

#include "experiment/record.h"
#include "experiment/spec.h"

namespace lrb {

// One table's records (those its spec expands to under the profile), as PublishTables renders them.
struct TableRecords {
  const TableSpec* spec = nullptr;
  std::vector<RunRecord> records;
};

// {"results": {"<table>/<row>/<task>[/<split>]": {"alias", "<metric>,none", "<metric>_stderr,none", ...}},
//  "configs": {entry: the run's spec}, "n-samples": {entry: {"original", "effective"}}, "seeds": {entry: [..]},
//  "higher_is_better": {entry: {metric: bool}}, "config": {"profile", "model"}, "git_hash", "date",
//  "lrbench": {"schema": 1}}.
// Only runs that ended ok. A metric's value is the mean over the entry's seeds; its stderr is the run's
// bootstrap standard error over the evaluation examples (one seed) or the standard error of the mean over
// seeds (sd / sqrt(n), several seeds), and "<metric>_seed_sd,none" is added then. Keys sorted; deterministic.
std::string ResultsJson(const std::vector<TableRecords>& tables, const std::string& profile);

// Header: table,row,task,eval_split,seed,profile,status,metric,value,ci_low,ci_high,stderr,eval_count,
// params_before,params_after,run_id,git_sha,date — one line per (record, metric) of every record (failed and
// no_data runs have one line with an empty metric), in table, row, task, seed order. Empty fields where a
// record has no value.
std::string TidyCsv(const std::vector<TableRecords>& tables);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_EXPORTS_H_
