// Publishing a reproduction: every table rendered (experiment/report) from the records under OUT/runs/ (only
// those of the runs its spec expands to now: records of older specs, other profiles or another --model stay on
// disk but never reach a table), written to OUT/tables/<id>.{md,tex,csv,svg} and OUT/results.md, and the
// committed rendering (docs/results.md) with each table's plot and records beside it. CI's smoke check compares
// the records themselves (`lrbench compare`, experiment/report/compare.h), not the rendered tables.
#ifndef LRB_EXPERIMENT_PUBLISH_H_
#define LRB_EXPERIMENT_PUBLISH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "experiment/spec.h"

namespace lrb {

struct PublishOptions {
  std::string out_dir;  // OUT: runs/ read, tables/ and results.md written
  std::string profile = "default";
  std::string model_override;             // --model: the runs expanded for that checkpoint
  // The committed copy (docs/results.md, docs/results-<profile>.md): a header, then each table with its plot in
  // the folder named like the file and the records it renders in that folder's runs/<id>/. A table not rendered
  // by this call keeps its section of the earlier file, its plot and its records.
  std::optional<std::string> results_md;
};

struct PublishedTables {
  std::string tables_dir, results_md;  // where the tables and the combined markdown went
};

// Renders `tables`; `all` are every spec of the directory (the committed copy keeps their order).
absl::StatusOr<PublishedTables> PublishTables(const std::vector<TableSpec>& tables, const std::vector<TableSpec>& all,
                                              const PublishOptions& o);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_PUBLISH_H_
