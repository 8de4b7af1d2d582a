#include "tasks/reader.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/file.h"
#include "tasks/task.h"
#include "tasks/test_paths.h"

namespace lrb {
namespace {

absl::StatusOr<ReadResult> ReadFixture(const std::string& task_id, const std::string& split_name,
                                       const std::string& path) {
  const TaskInfo& task = **FindTask(task_id);
  return ReadTaskFile(task, **task.Split(split_name), RunfilePath(path), {});
}

TEST(ReadTaskFileTest, DispatchesOnFormat) {
  absl::StatusOr<ReadResult> glue = ReadFixture("glue/qqp", "dev", "tasks/glue/testdata/QQP/dev.tsv");
  ASSERT_TRUE(glue.ok()) << glue.status();
  EXPECT_EQ(glue->examples.size(), 2u);
  EXPECT_EQ(glue->examples[0].id, "201359");

  absl::StatusOr<ReadResult> imdb = ReadFixture("imdb", "test", "tasks/imdb/testdata/aclImdb/test");
  ASSERT_TRUE(imdb.ok()) << imdb.status();
  EXPECT_EQ(imdb->examples.size(), 5u);
  EXPECT_EQ(imdb->examples[0].id, "test/neg/2_3");

  absl::StatusOr<ReadResult> samsum = ReadFixture("samsum", "train", "tasks/samsum/testdata/train.json");
  ASSERT_TRUE(samsum.ok()) << samsum.status();
  EXPECT_EQ(samsum->examples.size(), 4u);
  EXPECT_EQ(samsum->examples[2].target, "problem with visualization of the content");
}

// Random damage to the fixtures (bytes flipped, structure characters inserted, cuts) never crashes a
// reader: each read returns examples or an error, with and without skip_malformed.
TEST(ReadTaskFileTest, DamagedFilesNeverCrash) {
  struct Fixture {
    const char* task;
    const char* split;
    const char* path;
    const char* ext;
  };
  const std::vector<Fixture> fixtures = {
      {"glue/mnli", "dev_matched", "tasks/glue/testdata/MNLI/dev_matched.tsv", ".tsv"},
      {"glue/cola", "train", "tasks/glue/testdata/CoLA/train.tsv", ".tsv"},
      {"glue/stsb", "dev", "tasks/glue/testdata/STS-B/dev.tsv", ".tsv"},
      {"imdb", "test", "tasks/imdb/testdata/test.jsonl", ".jsonl"},
      {"samsum", "train", "tasks/samsum/testdata/train.json", ".json"},
  };
  const std::string damage =
      "\t\n\r\"{}[],:\\\xff\xc3\xef\xbb\xbf"
      "0";
  std::mt19937 rng(20240601);
  for (const Fixture& f : fixtures) {
    const TaskInfo& task = **FindTask(f.task);
    const SplitInfo& split = **task.Split(f.split);
    const absl::StatusOr<std::string> original = ReadFile(RunfilePath(f.path));
    ASSERT_TRUE(original.ok()) << original.status();
    const std::string path = testing::TempDir() + "/damaged" + f.ext;
    for (int trial = 0; trial < 300; ++trial) {
      std::string bytes = *original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        const size_t at = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] = damage[rng() % damage.size()];
            break;
          case 1:
            bytes.insert(at, 1, damage[rng() % damage.size()]);
            break;
          default:
            bytes.resize(at);
        }
      }
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
      for (const bool skip : {false, true}) {
        ReadOptions options;
        options.skip_malformed = skip;
        const absl::StatusOr<ReadResult> r = ReadTaskFile(task, split, path, options);
        if (r.ok() && !skip) {
          EXPECT_EQ(r->skipped, 0);
        }
      }
    }
  }
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Every split file of every task present under $LRB_TEST_DATA_DIR reads cleanly, with the rows
// MANIFEST.md counts.
TEST(ReadTaskFileRealDataTest, EverySplitFilePresentReadsCleanly) {
  const std::string root = RealDataDir();
  if (root.empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  const std::map<std::string, size_t> manifest_rows = {
      {"glue/CoLA/dev.tsv", 1043},    {"glue/CoLA/test.tsv", 1063},    {"glue/CoLA/train.tsv", 8551},
      {"glue/MRPC/dev.tsv", 408},     {"glue/MRPC/test.tsv", 1725},    {"glue/MRPC/train.tsv", 3668},
      {"glue/QNLI/dev.tsv", 5463},    {"glue/QNLI/test.tsv", 5463},    {"glue/RTE/dev.tsv", 277},
      {"glue/RTE/test.tsv", 3000},    {"glue/RTE/train.tsv", 2490},    {"glue/SST-2/dev.tsv", 872},
      {"glue/SST-2/test.tsv", 1821},  {"glue/SST-2/train.tsv", 67349}, {"glue/STS-B/dev.tsv", 1500},
      {"glue/STS-B/test.tsv", 1379},  {"glue/STS-B/train.tsv", 5749},  {"glue/WNLI/dev.tsv", 71},
      {"glue/WNLI/test.tsv", 146},    {"glue/WNLI/train.tsv", 635},    {"imdb/test.jsonl", 25000},
      {"imdb/test_2500.jsonl", 2500}, {"imdb/train.jsonl", 25000},     {"imdb/train_10k.jsonl", 10000},
      {"samsum/test.jsonl", 819},     {"samsum/train.jsonl", 14732},   {"samsum/validation.jsonl", 818},
  };
  int files_read = 0;
  for (const TaskInfo& task : AllTasks()) {
    for (const SplitInfo& split : task.splits) {
      for (const std::string& file : split.files) {
        const std::string path = root + "/" + file;
        if (!Exists(path)) continue;
        absl::StatusOr<ReadResult> r = ReadTaskFile(task, split, path, {});
        ASSERT_TRUE(r.ok()) << task.id << " " << split.name << ": " << r.status();
        EXPECT_EQ(r->skipped, 0) << path;
        EXPECT_EQ(r->path, path);
        for (const TextExample& e : r->examples) {
          ASSERT_EQ(e.labeled, split.labeled) << path << " id " << e.id;
          if (task.pair) {
            ASSERT_FALSE(e.text_pair.empty()) << path << " id " << e.id;
          }
        }
        const auto expected = manifest_rows.find(file);
        if (expected != manifest_rows.end()) {
          EXPECT_EQ(r->examples.size(), expected->second) << path;
        }
        ++files_read;
      }
    }
  }
  EXPECT_GT(files_read, 0) << "no split file of any task under " << root;
}

}  // namespace
}  // namespace lrb
