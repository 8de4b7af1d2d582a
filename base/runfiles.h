// Files Bazel places beside a binary (its runfiles): data the project ships, found at run time the
// same way under `bazel run`, `bazel test`, and when a built binary is started by hand.
#ifndef LRB_BASE_RUNFILES_H_
#define LRB_BASE_RUNFILES_H_

#include <string>
#include <vector>

namespace lrb {

// The value of an environment variable; empty when unset.
std::string GetEnv(const char* name);

// The runfiles directories that may hold this process's runfiles, most specific first and without
// duplicates: $RUNFILES_DIR, $TEST_SRCDIR, <this executable>.runfiles, <argv[0]>.runfiles.
std::vector<std::string> RunfilesDirs();

// "DIR/lrbench/<workspace_relative>" for each of RunfilesDirs() (lrbench is the workspace name).
std::vector<std::string> RunfileCandidates(const std::string& workspace_relative);

// The first candidate that exists (file or directory); empty when none does.
std::string FindRunfile(const std::string& workspace_relative);

}  // namespace lrb

#endif  // LRB_BASE_RUNFILES_H_
