// Where the reader tests find their files, and the small helpers they share.
#ifndef LRB_TASKS_TEST_PATHS_H_
#define LRB_TASKS_TEST_PATHS_H_

#include <string>
#include <vector>

#include "tasks/reader.h"

namespace lrb {

// A file of this workspace (e.g. "tasks/glue/testdata/QQP/dev.tsv") in the test's runfiles:
// $TEST_SRCDIR/lrbench/PATH under Bazel, PATH itself otherwise.
std::string RunfilePath(const std::string& workspace_path);

// The root of the real data in the original layouts: $LRB_TEST_DATA_DIR (e.g. ../shared/data, with the
// full IMDB) when set, else the embedded default in the runfiles (tests that want it depend on
// //third_party/embedded:data); empty when neither exists (the real-data tests then skip).
std::string RealDataDir();

// The ids of the examples read, in order.
std::vector<std::string> Ids(const ReadResult& result);

// Read options that skip and count malformed rows.
ReadOptions Skipping();

}  // namespace lrb

#endif  // LRB_TASKS_TEST_PATHS_H_
