#include "tasks/samsum/samsum.h"

#include <fstream>
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

std::string Fixture(const std::string& name) { return RunfilePath("tasks/samsum/testdata/" + name); }

TEST(SamsumTest, OriginalJsonArray) {
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("train.json"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"13818513", "13728867", "13828807", "13681000"}));
  EXPECT_EQ(r->examples[0].text,
            "Amanda: I baked  cookies. Do you want some?\r\nJerry: Sure!\r\nAmanda: I'll bring you tomorrow :-)");
  EXPECT_EQ(r->examples[0].target, "Amanda baked cookies and will bring Jerry some tomorrow.");
  EXPECT_EQ(r->examples[0].text_pair, "");
  EXPECT_TRUE(r->examples[0].labeled);
  EXPECT_EQ(r->examples[2].text, "");  // the empty dialogue of the release is an example
  EXPECT_EQ(r->examples[2].target, "problem with visualization of the content");
  // \u escapes (a surrogate pair for U+1F642) decode to UTF-8; brackets and quotes inside strings.
  EXPECT_EQ(r->examples[3].text, "Laura: {\"hi\"} [ok], \\o/ \xf0\x9f\x99\x82");
  EXPECT_EQ(r->examples[3].target, "Laura says \"hi\" \xf0\x9f\x99\x82.");
}

TEST(SamsumTest, Jsonl) {
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("test.jsonl"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"13818513", "13728867"}));
  EXPECT_EQ(r->examples[1].target, "Olivia and Olivier are voting for liberals in this election. ");
}

TEST(SamsumTest, Limit) {
  ReadOptions options;
  options.limit = 3;
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("train.json"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples.size(), 3u);
}

TEST(SamsumTest, BadArrayElementNamesTheLineWhereItStarts) {
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("bad_element.json"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("bad_element.json:7: element 1: missing field 'summary'"));

  r = ReadSamsum(Fixture("bad_element.json"), Skipping());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"13818513", "7", "13728867"}));  // a numeric id as text
  EXPECT_EQ(r->skipped, 1);
  EXPECT_THAT(r->first_skipped, HasSubstr("bad_element.json:7:"));
}

TEST(SamsumTest, BrokenArrayFailsTheWholeFile) {
  for (const ReadOptions& options : {ReadOptions{}, Skipping()}) {
    absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("broken.json"), options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("broken.json:4: malformed JSON"));
  }
  const std::string huge = testing::TempDir() + "/samsum_huge_number.json";
  std::ofstream(huge, std::ios::binary | std::ios::trunc)
      << "[{\"id\": 1e999, \"summary\": \"s\", \"dialogue\": \"d\"}]";
  absl::StatusOr<ReadResult> overflow = ReadSamsum(huge, {});
  ASSERT_FALSE(overflow.ok());
  EXPECT_THAT(overflow.status().message(), HasSubstr("samsum_huge_number.json: malformed JSON"));
  // Invalid UTF-8 anywhere in an array file names its line.
  const std::string path = testing::TempDir() + "/samsum_bad_utf8.json";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << "[\n  {\"id\": \"1\", \"summary\": \"s\", \"dialogue\": \"d\"},\n"
      << "  {\"id\": \"2\", \"summary\": \"\xc3\x28\", \"dialogue\": \"d\"}\n]\n";
  absl::StatusOr<ReadResult> r = ReadSamsum(path, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("samsum_bad_utf8.json:3: invalid UTF-8 (byte 0xc3)"));
}

TEST(SamsumTest, BadJsonlLines) {
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("not_array.jsonl"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not_array.jsonl:2: not a JSON object"));

  r = ReadSamsum(Fixture("not_array.jsonl"), Skipping());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"1"}));
  EXPECT_EQ(r->skipped, 2);  // line 3: "dialogue" is a number
}

TEST(SamsumTest, MissingFile) {
  absl::StatusOr<ReadResult> r = ReadSamsum(Fixture("val.json"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(SamsumRealDataTest, RowCounts) {
  if (RealDataDir().empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  absl::StatusOr<ReadResult> test = ReadSamsum(RealDataDir() + "/samsum/test.jsonl", {});
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->examples.size(), 819u);
  EXPECT_EQ(test->examples[0].id, "13862856");
  EXPECT_EQ(test->examples[0].target,
            "Hannah needs Betty's number but Amanda doesn't have it. She needs to contact Larry.");

  absl::StatusOr<ReadResult> validation = ReadSamsum(RealDataDir() + "/samsum/validation.jsonl", {});
  ASSERT_TRUE(validation.ok()) << validation.status();
  EXPECT_EQ(validation->examples.size(), 818u);

  absl::StatusOr<ReadResult> train = ReadSamsum(RealDataDir() + "/samsum/train.jsonl", {});
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->examples.size(), 14732u);
  int empty_dialogues = 0;
  for (const TextExample& e : train->examples) {
    if (e.text.empty()) {
      ++empty_dialogues;
      EXPECT_EQ(e.id, "13828807");
      EXPECT_EQ(e.target, "problem with visualization of the content");
    }
  }
  EXPECT_EQ(empty_dialogues, 1);
}

}  // namespace
}  // namespace lrb
