#include "base/runfiles.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace lrb {
namespace {

// argv[0] of this process (from /proc/self/cmdline); empty when unavailable.
std::string Argv0() {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string argv0;
  if (cmdline) std::getline(cmdline, argv0, '\0');
  return argv0;
}

// The resolved path of the running executable; empty when unavailable.
std::string SelfExe() {
  char* resolved = realpath("/proc/self/exe", nullptr);
  if (resolved == nullptr) return std::string();
  std::string path(resolved);
  std::free(resolved);
  return path;
}

}  // namespace

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::vector<std::string> RunfilesDirs() {
  std::vector<std::string> dirs;
  auto add = [&dirs](const std::string& dir) {
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  };
  for (const char* name : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* value = std::getenv(name);
    if (value != nullptr) add(value);
  }
  const std::string exe = SelfExe();
  if (!exe.empty()) add(exe + ".runfiles");
  const std::string argv0 = Argv0();
  if (!argv0.empty()) add(argv0 + ".runfiles");
  return dirs;
}

std::vector<std::string> RunfileCandidates(const std::string& workspace_relative) {
  std::vector<std::string> candidates;
  for (const std::string& dir : RunfilesDirs()) candidates.push_back(dir + "/lrbench/" + workspace_relative);
  return candidates;
}

std::string FindRunfile(const std::string& workspace_relative) {
  for (const std::string& candidate : RunfileCandidates(workspace_relative)) {
    struct stat info;
    if (stat(candidate.c_str(), &info) == 0) return candidate;
  }
  return std::string();
}

}  // namespace lrb
