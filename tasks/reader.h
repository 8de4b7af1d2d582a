// Reading one split of a task from a file (or directory) in its original layout. The per-format readers
// live in tasks/glue, tasks/imdb and tasks/samsum; ReadTaskFile dispatches on TaskInfo::format.
//
// Bad input (wrong column count, a label the task does not know, invalid UTF-8, malformed JSON, a missing
// field) is an InvalidArgument error "PATH:LINE: what" naming the first offending row; with
// skip_malformed such rows are skipped and counted instead. Nothing here crashes on any input.
#ifndef LRB_TASKS_READER_H_
#define LRB_TASKS_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/task.h"

namespace lrb {

struct ReadOptions {
  bool skip_malformed = false;  // skip (and count) malformed rows instead of failing
  int64_t limit = 0;            // stop after this many examples (0: all)
};

struct ReadResult {
  std::vector<TextExample> examples;  // in file order (aclImdb: neg then pos, each by review id)
  std::string path;                   // what was read
  int64_t skipped = 0;                // malformed rows skipped (skip_malformed only)
  std::string first_skipped;          // "PATH:LINE: what" of the first skipped row
};

// Reads `path`, which holds split `split` of `task` (one of split.files, resolved against a data root).
absl::StatusOr<ReadResult> ReadTaskFile(const TaskInfo& task, const SplitInfo& split, const std::string& path,
                                        const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_READER_H_
