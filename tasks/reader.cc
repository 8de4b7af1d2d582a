#include "tasks/reader.h"

#include <string>

#include "absl/status/status.h"
#include "tasks/glue/glue.h"
#include "tasks/imdb/imdb.h"
#include "tasks/samsum/samsum.h"

namespace lrb {

absl::StatusOr<ReadResult> ReadTaskFile(const TaskInfo& task, const SplitInfo& split, const std::string& path,
                                        const ReadOptions& options) {
  switch (task.format) {
    case TaskFormat::kGlueTsv:
      return ReadGlueTsv(task, split, path, options);
    case TaskFormat::kImdb:
      return ReadImdb(path, options);
    case TaskFormat::kSamsum:
      return ReadSamsum(path, options);
  }
  return absl::InvalidArgumentError("unknown task format");
}

}  // namespace lrb
