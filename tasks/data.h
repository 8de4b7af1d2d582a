// Where a task's files are found. A split is looked up in an ordered list of data roots, each laid out
// like the originals (glue/<TASK>/..., imdb/..., aclImdb/..., samsum/...); the first root holding one of
// the split's files wins, so a user's directory may hold just the tasks it adds (MNLI, full IMDB) while
// the rest still comes from the embedded default.
//
// The roots, in order:
//   1. --data_dir (when the command was given one)
//   2. $LRB_DATA_DIR
//   3. the embedded default: third_party/embedded/data in the runfiles of the running binary or test
//      (or under $BUILD_WORKSPACE_DIRECTORY)
//   4. ../shared/data beside the workspace, when present
#ifndef LRB_TASKS_DATA_H_
#define LRB_TASKS_DATA_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/reader.h"
#include "tasks/task.h"

namespace lrb {

// The existing roots in search order (directories that do not exist are left out; a --data_dir
// that does not exist is an error the caller reports, see CheckDataDir).
std::vector<std::string> DataRoots(const std::optional<std::string>& data_dir_flag);

// NotFound naming `dir` when it is not a directory.
absl::Status CheckDataDir(const std::string& dir);

// The path holding `split` of `task`: the first of split.files found under the first root that has
// one. NotFound lists every path tried and how to add the data.
absl::StatusOr<std::string> LocateSplit(const TaskInfo& task, const SplitInfo& split,
                                        const std::vector<std::string>& roots);

// LocateSplit + ReadTaskFile, for the split named `split_name`.
absl::StatusOr<ReadResult> ReadSplit(const TaskInfo& task, const std::string& split_name,
                                     const std::vector<std::string>& roots, const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_DATA_H_
