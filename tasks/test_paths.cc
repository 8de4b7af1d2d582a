#include "tasks/test_paths.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace lrb {

std::string RunfilePath(const std::string& workspace_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  if (srcdir == nullptr || *srcdir == '\0') return workspace_path;
  return std::string(srcdir) + "/lrbench/" + workspace_path;
}

std::string RealDataDir() {
  const char* dir = std::getenv("LRB_TEST_DATA_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  const std::string embedded = RunfilePath("third_party/embedded/data");
  struct stat info;
  return stat(embedded.c_str(), &info) == 0 ? embedded : "";
}

std::vector<std::string> Ids(const ReadResult& result) {
  std::vector<std::string> ids;
  for (const TextExample& e : result.examples) ids.push_back(e.id);
  return ids;
}

ReadOptions Skipping() {
  ReadOptions options;
  options.skip_malformed = true;
  return options;
}

}  // namespace lrb
