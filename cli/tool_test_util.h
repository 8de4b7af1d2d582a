// What the end-to-end tests of the `lrbench` commands share: the built binary run with arguments, its exit
// code and captured output, and fresh paths in the test's temporary directory.
#ifndef LRB_CLI_TOOL_TEST_UTIL_H_
#define LRB_CLI_TOOL_TEST_UTIL_H_

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace lrb {

struct ToolRun {
  int exit_code;
  std::string out, err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs cli/lrbench (the test's runfiles) with `args`, stdout and stderr captured.
inline ToolRun Lrbench(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/cmd_stdout.txt", err = dir + "/cmd_stderr.txt";
  const int status = std::system(absl::StrCat("cli/lrbench ", args, " >", out, " 2>", err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
}

// TempDir()/name, removed if it exists.
inline std::string Fresh(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(path);
  return path;
}

}  // namespace lrb

#endif  // LRB_CLI_TOOL_TEST_UTIL_H_
