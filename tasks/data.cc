#include "tasks/data.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "base/runfiles.h"

namespace lrb {
namespace {

// The workspace: $BUILD_WORKSPACE_DIRECTORY under `bazel run`, else the current directory.
std::string Workspace() {
  const std::string ws = GetEnv("BUILD_WORKSPACE_DIRECTORY");
  return ws.empty() ? "." : ws;
}

}  // namespace

std::vector<std::string> DataRoots(const std::optional<std::string>& data_dir_flag) {
  std::vector<std::string> roots;
  auto add = [&roots](const std::string& dir) {
    if (!dir.empty() && IsDirectory(dir) && std::find(roots.begin(), roots.end(), dir) == roots.end()) {
      roots.push_back(dir);
    }
  };
  if (data_dir_flag) add(*data_dir_flag);
  add(GetEnv("LRB_DATA_DIR"));
  const std::string embedded = FindRunfile("third_party/embedded/data");
  add(!embedded.empty() ? embedded : Workspace() + "/third_party/embedded/data");
  add(Workspace() + "/../shared/data");
  return roots;
}

absl::Status CheckDataDir(const std::string& dir) {
  if (IsDirectory(dir)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrFormat("data directory %s does not exist", dir));
}

absl::StatusOr<std::string> LocateSplit(const TaskInfo& task, const SplitInfo& split,
                                        const std::vector<std::string>& roots) {
  std::vector<std::string> tried;
  for (const std::string& root : roots) {
    for (const std::string& file : split.files) {
      const std::string path = root + "/" + file;
      if (PathExists(path)) return path;
      tried.push_back(path);
    }
  }
  return absl::NotFoundError(absl::StrFormat(
      "no data for %s split %s: tried %s (give --data_dir or $LRB_DATA_DIR; tools/fetch_data.sh downloads the "
      "originals)",
      task.id, split.name, tried.empty() ? "no data root" : absl::StrJoin(tried, ", ")));
}

absl::StatusOr<ReadResult> ReadSplit(const TaskInfo& task, const std::string& split_name,
                                     const std::vector<std::string>& roots, const ReadOptions& options) {
  absl::StatusOr<const SplitInfo*> split = task.Split(split_name);
  if (!split.ok()) return split.status();
  absl::StatusOr<std::string> path = LocateSplit(task, **split, roots);
  if (!path.ok()) return path.status();
  return ReadTaskFile(task, **split, *path, options);
}

}  // namespace lrb
