#include "tasks/imdb/imdb.h"

#include <fstream>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/reader.h"
#include "tasks/test_paths.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) { return RunfilePath("tasks/imdb/testdata/" + name); }

TEST(ImdbTest, Jsonl) {
  absl::StatusOr<ReadResult> r = ReadImdb(Fixture("test.jsonl"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"test/neg/10002_3", "test/pos/0_10", "test/pos/1_7"}));
  EXPECT_EQ(r->examples[0].label, 0);
  EXPECT_EQ(r->examples[1].label, 1);
  EXPECT_EQ(r->examples[2].label, 1);  // written "pos"
  EXPECT_TRUE(r->examples[0].labeled);
  EXPECT_EQ(r->examples[0].text, "Not even the Beatles could write songs everyone liked, \"quotes\" and <br /> tags.");
  EXPECT_EQ(r->examples[1].text, "Caf\xc3\xa9 \xe2\x80\x94 great.");  // decoded \u escapes
  EXPECT_EQ(r->examples[2].text, "Line\nbreak.");
  EXPECT_EQ(r->examples[2].text_pair, "");
}

TEST(ImdbTest, AclImdbTreeInReviewIdOrder) {
  for (const std::string dir : {"aclImdb/test", "aclImdb/test/"}) {
    absl::StatusOr<ReadResult> r = ReadImdb(Fixture(dir), {});
    ASSERT_TRUE(r.ok()) << r.status();
    // neg then pos, each by numeric id; urls_pos.txt, labeledBow.feat and pos/README are not reviews.
    EXPECT_EQ(Ids(*r), (std::vector<std::string>{"test/neg/2_3", "test/neg/10_2", "test/neg/10002_3", "test/pos/0_10",
                                                 "test/pos/1_7"}));
    std::vector<float> labels;
    for (const TextExample& e : r->examples) labels.push_back(e.label);
    EXPECT_EQ(labels, (std::vector<float>{0, 0, 0, 1, 1}));
    EXPECT_EQ(r->examples[1].text, "Ten is \"terrible\".<br /><br />Really.");
    EXPECT_EQ(r->examples[3].text, "Caf\xc3\xa9 scene is wonderful \xe2\x80\x94 10/10.");
    EXPECT_EQ(r->examples[4].text, "Good.\n");  // byte for byte
    EXPECT_TRUE(r->examples[4].labeled);
    EXPECT_EQ(r->skipped, 0);
  }
}

TEST(ImdbTest, TreeLimit) {
  ReadOptions options;
  options.limit = 2;
  absl::StatusOr<ReadResult> r = ReadImdb(Fixture("aclImdb/test"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"test/neg/2_3", "test/neg/10_2"}));
}

TEST(ImdbTest, BadTree) {
  absl::StatusOr<ReadResult> r = ReadImdb(Fixture("bad_tree/test"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("neg/1_2.txt:1: invalid UTF-8"));

  r = ReadImdb(Fixture("bad_tree/test"), Skipping());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"test/neg/0_1", "test/pos/5_9"}));
  EXPECT_EQ(r->skipped, 2);  // 1_2.txt (UTF-8) and review.txt (name)
  EXPECT_THAT(r->first_skipped, HasSubstr("1_2.txt:1"));

  r = ReadImdb(Fixture("no_pos/test"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no_pos/test/pos"));
}

TEST(ImdbTest, BadJsonlNamesFileAndLine) {
  absl::StatusOr<ReadResult> r = ReadImdb(Fixture("bad.jsonl"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("bad.jsonl:2: label '2' is not 0, 1, neg or pos"));

  r = ReadImdb(Fixture("bad.jsonl"), Skipping());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"test/neg/10002_3", "test/pos/0_10"}));
  EXPECT_EQ(r->skipped, 6);
  EXPECT_THAT(r->first_skipped, HasSubstr("bad.jsonl:2:"));
}

// Each bad line of bad.jsonl on its own, after one good line: the error names line 2 and the problem.
TEST(ImdbTest, EachJsonlProblem) {
  const std::string good = R"({"id": "test/neg/0_1", "label": 0, "text": "ok"})";
  struct Case {
    std::string line;
    std::string error;
  };
  const std::vector<Case> cases = {
      {R"({"id": "a", "text": "no label"})", ":2: missing field 'label'"},
      {R"({"id": "a", "label": 0, "text": "cut off)", ":2: malformed JSON"},
      {"{\"id\": \"a\", \"label\": 0, \"text\": \"bad \xff\"}", ":2: invalid UTF-8 (byte 0xff)"},
      {R"({"id": "a", "label": 0, "text": null})", ":2: field 'text' is null, not a string or an integer"},
      {R"({"id": "a", "label": 0.5, "text": "x"})", ":2: field 'label' is number, not a string or an integer"},
      {R"([1, 2])", ":2: not a JSON object"},
      {R"({"id": "a", "label": 0, "text": "x", "rating": 1e999})", ":2: malformed JSON"},
      {R"({"id": "a", "label": -1, "text": "x"})", ":2: label '-1' is not 0, 1, neg or pos"},
  };
  const std::string path = testing::TempDir() + "/imdb_case.jsonl";
  for (const Case& c : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good << "\n" << c.line << "\n";
    absl::StatusOr<ReadResult> r = ReadImdb(path, {});
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(r.status().message(), HasSubstr("imdb_case.jsonl" + c.error)) << c.line;
  }
}

TEST(ImdbTest, EmptyAndMissingFiles) {
  absl::StatusOr<ReadResult> r = ReadImdb(Fixture("empty.jsonl"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("empty.jsonl: empty file"));
  r = ReadImdb(Fixture("no_such.jsonl"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(ImdbRealDataTest, Test2500IsBalanced) {
  if (RealDataDir().empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  absl::StatusOr<ReadResult> r = ReadImdb(RealDataDir() + "/imdb/test_2500.jsonl", {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->examples.size(), 2500u);
  int positives = 0;
  for (const TextExample& e : r->examples) positives += e.label == 1;
  EXPECT_EQ(positives, 1250);
  EXPECT_EQ(r->examples[0].id, "test/neg/10002_3");
  EXPECT_EQ(r->examples[0].label, 0);
}

TEST(ImdbRealDataTest, FullSplits) {
  if (RealDataDir().empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  for (const std::string split : {"train", "test"}) {
    const std::string path = RealDataDir() + "/imdb/" + split + ".jsonl";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not there (the embedded default has subsets only)";
    absl::StatusOr<ReadResult> r = ReadImdb(path, {});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->examples.size(), 25000u);
    int positives = 0;
    for (const TextExample& e : r->examples) positives += e.label == 1;
    EXPECT_EQ(positives, 12500);
    EXPECT_EQ(r->examples[0].id, split + "/neg/0_" + (split == "test" ? "2" : "3"));
  }
}

}  // namespace
}  // namespace lrb
