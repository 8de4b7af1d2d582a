// Command-line flags of the form --name=value (or --name for true), collected in order.
#ifndef LRB_HARNESS_FLAGS_H_
#define LRB_HARNESS_FLAGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

class Flags {
 public:
  // Parses argv[first..argc); anything not starting with "--" is refused, naming it.
  static absl::StatusOr<Flags> Parse(int argc, char** argv, int first);

  // Removes and returns a flag's value; nullopt when absent.
  std::optional<std::string> Take(const std::string& name);
  // Removes a boolean flag: absent -> false; "--name" or "--name=true" -> true.
  absl::StatusOr<bool> TakeBool(const std::string& name);
  bool Has(const std::string& name) const { return values_.count(name) > 0; }

  // What no Take() consumed.
  const std::map<std::string, std::string>& rest() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// A path given on the command line, made absolute against the directory the user ran the command in:
// under `bazel run` the process starts in its runfiles tree, and Bazel passes the user's directory in
// BUILD_WORKING_DIRECTORY.
std::string UserPath(const std::string& path);

}  // namespace lrb

#endif  // LRB_HARNESS_FLAGS_H_
