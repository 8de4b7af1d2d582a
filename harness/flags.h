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
  // Removes a numeric flag into *value (T: int, int64_t, uint64_t or double): an integer for the integer types,
  // a finite number for double, in both cases at least `at_least`; absent, *value keeps its default. The
  // error names the flag, its value and what it expects, e.g. "--num_beams=0: expected an integer >= 1".
  template <typename T>
  absl::Status TakeNumber(const std::string& name, T* value, double at_least = -kUnbounded);

  // What no Take() consumed.
  const std::map<std::string, std::string>& rest() const { return values_; }

 private:
  static constexpr double kUnbounded = 1e308;
  std::map<std::string, std::string> values_;
};

// A path given on the command line, made absolute against the directory the user ran the command in:
// under `bazel run` the process starts in its runfiles tree, and Bazel passes the user's directory in
// BUILD_WORKING_DIRECTORY.
std::string UserPath(const std::string& path);

}  // namespace lrb

#endif  // LRB_HARNESS_FLAGS_H_
