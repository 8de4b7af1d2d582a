// `lrbench compare` end to end: the built tool on records and benchmark files the test writes. Exit status 0 for an
// identical rerun, 1 with the report for an injected regression, 2 without a side, one line naming the file for
// bad input, the report written atomically with --out.
#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "cli/tool_test_util.h"
#include "experiment/record.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

// An output directory holding one RTE record right on the first `correct` of 128 examples.
std::string OutDir(const std::string& name, int correct) {
  const std::string dir = Fresh(name);
  RunRecord r;
  r.run_id = name;  // a code change changes run ids: the sides never share them
  r.table = "t1";
  r.row = "SVD";
  r.task = "glue/rte";
  r.profile = "smoke";
  r.eval_split = "dev";
  r.spec_json = R"({"finetune_base":{"seed":42}})";
  r.eval_count = 128;
  for (int i = 0; i < 128; ++i) {
    r.reference_labels.push_back(i % 2);
    r.predicted_labels.push_back(i < correct ? i % 2 : 1 - i % 2);
  }
  r.metrics["accuracy"] = correct / 128.0;
  std::filesystem::create_directories(dir + "/runs/t1");
  EXPECT_TRUE(WriteFileAtomically(dir + "/runs/t1/" + name + ".json", RecordToJson(r), false).ok());
  return dir;
}

TEST(CompareCommandTest, AnIdenticalRerunPassesAndARegressionFails) {
  const std::string base = OutDir("cmp_base", 80), same = OutDir("cmp_same", 80), worse = OutDir("cmp_worse", 60);
  ToolRun r = Lrbench(absl::StrCat("compare --base=", base, " --head=", same));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("**No regression.**"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| t1 | SVD | glue/rte | dev | smoke | accuracy | 42 | 128 | 62.50 | 62.50 | +0.00 |"),
            std::string::npos)
      << r.out;

  r = Lrbench(absl::StrCat("compare --base=", base, " --head=", worse));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("**REGRESSION**"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("lrbench compare: 1 regression(s) beyond --max_drop=1 points"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A looser threshold lets the same drop (-15.6 points) pass; the report goes to --out.
  const std::string report = Fresh("cmp_report.md");
  r = Lrbench(absl::StrCat("compare --base ", base, " --head ", worse, " --max_drop=20 --out=", report));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(Slurp(report).find("worse (within threshold)"), std::string::npos) << Slurp(report);
}

TEST(CompareCommandTest, BadInputIsOneLineNamingTheFile) {
  const std::string base = OutDir("cmp_bad_base", 80);
  const std::string not_bench = Fresh("not_bench.json");
  ASSERT_TRUE(WriteFileAtomically(not_bench, R"({"benchmarks": 3})", false).ok());
  for (const auto& [args, message, code] : std::vector<std::tuple<std::string, std::string, int>>{
           {"--base=/nonexistent --head=" + base, "/nonexistent: no such file or directory", 1},
           {"--base=" + base + " --head_bench=" + not_bench, not_bench + ": not Google Benchmark JSON", 1},
           {"--base=" + base, "give --head=DIR|FILE or --head_bench=FILE", 2},
           {"--base=" + base + " --head=" + base + " --max_slowdown=0.5", "--max_slowdown=0.5: expected a finite number >= 1", 1},
       }) {
    ToolRun r = Lrbench("compare " + args);
    EXPECT_EQ(r.exit_code, code) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

}  // namespace
}  // namespace lrb
