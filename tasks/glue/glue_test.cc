#include "tasks/glue/glue.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/reader.h"
#include "tasks/task.h"
#include "tasks/test_paths.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

// Reads testdata/FILE as split `split_name` of `task_id`.
absl::StatusOr<ReadResult> Read(const std::string& task_id, const std::string& split_name, const std::string& file,
                                const ReadOptions& options = {}) {
  absl::StatusOr<const TaskInfo*> task = FindTask(task_id);
  if (!task.ok()) return task.status();
  absl::StatusOr<const SplitInfo*> split = (*task)->Split(split_name);
  if (!split.ok()) return split.status();
  return ReadGlueTsv(**task, **split, RunfilePath("tasks/glue/testdata/" + file), options);
}

std::vector<float> Labels(const ReadResult& result) {
  std::vector<float> labels;
  for (const TextExample& e : result.examples) labels.push_back(e.label);
  return labels;
}

TEST(GlueTest, MnliTrainHasTwelveColumns) {
  absl::StatusOr<ReadResult> r = Read("glue/mnli", "train", "MNLI/train.tsv");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->examples.size(), 4u);
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(Labels(*r), (std::vector<float>{1, 0, 0, 2}));  // neutral, entailment, entailment, contradiction
  EXPECT_EQ(r->examples[0].text, "Conceptually cream skimming has two basic dimensions - product and geography.");
  EXPECT_EQ(r->examples[0].text_pair, "Product and geography are what make cream skimming work. ");
  EXPECT_EQ(r->examples[3].text, "He said, \"Gotcha!\"");  // quoting disabled
  EXPECT_TRUE(r->examples[3].labeled);
  EXPECT_EQ(r->skipped, 0);
  EXPECT_THAT(r->path, HasSubstr("MNLI/train.tsv"));
}

TEST(GlueTest, MnliDevFilesHaveSixteenColumnsAndGoldLabels) {
  absl::StatusOr<ReadResult> matched = Read("glue/mnli", "dev_matched", "MNLI/dev_matched.tsv");
  ASSERT_TRUE(matched.ok()) << matched.status();
  EXPECT_EQ(Ids(*matched), (std::vector<std::string>{"0", "1", "2"}));
  // Row 0's annotators disagree (label1 = neutral, label2 = entailment): gold_label decides.
  EXPECT_EQ(Labels(*matched), (std::vector<float>{1, 2, 0}));
  EXPECT_EQ(matched->examples[1].text, "This site includes a list of all award winners.");
  EXPECT_EQ(matched->examples[2].text_pair,
            "I like him for the most part, but would still enjoy seeing someone beat him.");

  absl::StatusOr<ReadResult> mismatched = Read("glue/mnli", "dev_mismatched", "MNLI/dev_mismatched.tsv");
  ASSERT_TRUE(mismatched.ok()) << mismatched.status();
  EXPECT_EQ(Labels(*mismatched), (std::vector<float>{2, 2}));
  EXPECT_EQ(mismatched->examples[0].text_pair, "Your contributions were of no help with our students' education.");
}

TEST(GlueTest, MnliTestFilesAreUnlabeled) {
  for (const std::string split : {"test_matched", "test_mismatched"}) {
    absl::StatusOr<ReadResult> r = Read("glue/mnli", split, "MNLI/" + split + ".tsv");
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->examples.empty());
    for (const TextExample& e : r->examples) {
      EXPECT_FALSE(e.labeled);
      EXPECT_EQ(e.label, 0);
    }
  }
  absl::StatusOr<ReadResult> r = Read("glue/mnli", "test_mismatched", "MNLI/test_mismatched.tsv");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->examples[0].text, "What have you decided, what are you going to do?");
  EXPECT_EQ(r->examples[0].text_pair, "So what's your decision?");
}

TEST(GlueTest, QqpIdsComeFromTheIdColumn) {
  absl::StatusOr<ReadResult> train = Read("glue/qqp", "train", "QQP/train.tsv");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(Ids(*train), (std::vector<std::string>{"133273", "402555", "360472"}));
  EXPECT_EQ(Labels(*train), (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(train->examples[1].text, "How do I control my horny emotions?");
  EXPECT_EQ(train->examples[1].text_pair, "How do you control your horniness?");

  absl::StatusOr<ReadResult> dev = Read("glue/qqp", "dev", "QQP/dev.tsv");
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(Ids(*dev), (std::vector<std::string>{"201359", "263843"}));

  absl::StatusOr<ReadResult> test = Read("glue/qqp", "test", "QQP/test.tsv");  // id question1 question2
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(Ids(*test), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(test->examples[0].text_pair, "Find the remainder when [math]23^{24}[/math] is divided by 24,23?");
  EXPECT_FALSE(test->examples[0].labeled);
}

TEST(GlueTest, QnliTrainQuestionThenSentence) {
  absl::StatusOr<ReadResult> r = Read("glue/qnli", "train", "QNLI/train.tsv");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(Labels(*r), (std::vector<float>{1, 1, 0}));  // not_entailment, not_entailment, entailment
  EXPECT_EQ(r->examples[2].text,
            "What two things does Popper argue Tarski's theory involves in an evaluation of truth?");
  EXPECT_EQ(r->examples[2].text_pair,
            "He bases this interpretation on the fact that examples such as the one described above refer to two "
            "things: assertions and the facts to which they refer.");
}

TEST(GlueTest, AxDiagnosticUnlabeledAndFull) {
  absl::StatusOr<ReadResult> test = Read("glue/ax", "test", "diagnostic/diagnostic.tsv");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(Ids(*test), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(test->examples[1].text, "The cat did not sit on the mat.");
  EXPECT_EQ(test->examples[1].text_pair, "The cat sat on the mat.");
  EXPECT_FALSE(test->examples[1].labeled);

  // diagnostic-full.tsv: no index column (ids are row numbers), Premise / Hypothesis / Label.
  absl::StatusOr<ReadResult> full = Read("glue/ax", "full", "diagnostic/diagnostic-full.tsv");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(Ids(*full), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(Labels(*full), (std::vector<float>{2, 2, 0, 1}));
  EXPECT_TRUE(full->examples[3].labeled);
  EXPECT_EQ(full->examples[3].text, "Mary saw the \"Mona Lisa\" at the Louvre.");
  EXPECT_EQ(full->examples[3].text_pair, "Mary was in Paris.");
}

TEST(GlueTest, ColaTrainIsHeaderlessAndPositional) {
  absl::StatusOr<ReadResult> r = Read("glue/cola", "train", "CoLA/train.tsv");  // no final newline either
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(Labels(*r), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(r->examples[0].text, "Our friends won't buy this analysis, let alone the next one we propose.");
  EXPECT_EQ(r->examples[2].text, "He said \"hi\" to them.");
  EXPECT_EQ(r->examples[2].text_pair, "");

  absl::StatusOr<ReadResult> test = Read("glue/cola", "test", "CoLA/test.tsv");  // header index, sentence
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(Ids(*test), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(test->examples[1].text, "The car honked its way down the road.");
  EXPECT_FALSE(test->examples[1].labeled);
}

TEST(GlueTest, MrpcBomAndCrlfAreStripped) {
  absl::StatusOr<ReadResult> r = Read("glue/mrpc", "dev", "MRPC/dev.tsv");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1"}));  // no index column: row numbers
  EXPECT_EQ(Labels(*r), (std::vector<float>{1, 0}));
  EXPECT_EQ(r->examples[0].text,
            "He said the foodservice pie business doesn't fit the company's long-term growth strategy.");
  EXPECT_EQ(r->examples[0].text_pair, "\"The foodservice pie business does not fit our long-term growth strategy.");
  EXPECT_EQ(r->examples[1].text_pair, "His wife said he was \"100 percent behind George Bush\".");  // no '\r'

  absl::StatusOr<ReadResult> test = Read("glue/mrpc", "test", "MRPC/test.tsv");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(Ids(*test), (std::vector<std::string>{"0"}));
  EXPECT_EQ(test->examples[0].text_pair, "Current Chief Operating Officer Mike Butcher will report to So.");
}

TEST(GlueTest, StsbScoresAreFloats) {
  absl::StatusOr<ReadResult> r = Read("glue/stsb", "dev", "STS-B/dev.tsv");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Labels(*r), (std::vector<float>{5.0f, 4.75f, 0.0f}));
  EXPECT_EQ(r->examples[1].text, "A young child is riding a horse.");
  EXPECT_EQ(r->examples[1].text_pair, "A child is riding a horse.");

  absl::StatusOr<ReadResult> test = Read("glue/stsb", "test", "STS-B/test.tsv");  // no score column
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ(test->examples.size(), 1u);
  EXPECT_FALSE(test->examples[0].labeled);

  absl::StatusOr<ReadResult> nan = Read("glue/stsb", "dev", "bad/stsb_score.tsv");
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.status().message(), HasSubstr("stsb_score.tsv:2: score 'nan' is not a finite number"));
}

TEST(GlueTest, Sst2KeepsTextByteForByte) {
  absl::StatusOr<ReadResult> r = Read("glue/sst2", "train", "SST-2/train.tsv");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(r->examples[0].text, "hide new secretions from the parental units ");
  EXPECT_EQ(Labels(*r), (std::vector<float>{0, 1}));
}

TEST(GlueTest, WrongColumnCountNamesFileAndLine) {
  absl::StatusOr<ReadResult> r = Read("glue/rte", "train", "bad/columns.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("bad/columns.tsv:3: 3 columns, expected 4"));

  ReadOptions skip;
  skip.skip_malformed = true;
  r = Read("glue/rte", "train", "bad/columns.tsv", skip);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(r->skipped, 1);
  EXPECT_THAT(r->first_skipped, HasSubstr("columns.tsv:3:"));
}

TEST(GlueTest, BadLabelNamesFileLineAndLabel) {
  absl::StatusOr<ReadResult> r = Read("glue/rte", "dev", "bad/label.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("label.tsv:3: 'maybe' is not a glue/rte label"));

  ReadOptions skip;
  skip.skip_malformed = true;
  r = Read("glue/rte", "dev", "bad/label.tsv", skip);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Labels(*r), (std::vector<float>{0, 1}));
  EXPECT_EQ(r->skipped, 1);

  // The same file as an unlabeled split: the label column is not read.
  SplitInfo unlabeled;
  unlabeled.name = "test";
  unlabeled.labeled = false;
  r = ReadGlueTsv(**FindTask("glue/rte"), unlabeled, RunfilePath("tasks/glue/testdata/bad/label.tsv"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples.size(), 3u);
}

TEST(GlueTest, InvalidUtf8NamesFileAndLine) {
  absl::StatusOr<ReadResult> r = Read("glue/rte", "dev", "bad/utf8.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("utf8.tsv:3: invalid UTF-8"));

  ReadOptions skip;
  skip.skip_malformed = true;
  r = Read("glue/rte", "dev", "bad/utf8.tsv", skip);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "3"}));  // line 4's overlong '/' is rejected too
  EXPECT_EQ(r->examples[1].text, "caf\xc3\xa9");
  EXPECT_EQ(r->skipped, 2);
  EXPECT_THAT(r->first_skipped, HasSubstr("utf8.tsv:3: invalid UTF-8"));
}

TEST(GlueTest, MissingHeaderEmptyAndMissingFiles) {
  absl::StatusOr<ReadResult> r = Read("glue/rte", "dev", "bad/no_header.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("no_header.tsv:1: no header column sentence1"));

  ReadOptions skip;  // a missing header is not a row to skip
  skip.skip_malformed = true;
  EXPECT_FALSE(Read("glue/rte", "dev", "bad/no_header.tsv", skip).ok());

  r = Read("glue/rte", "dev", "bad/empty.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("empty.tsv: empty file"));
  r = Read("glue/rte", "dev", "bad/blank.tsv");  // a BOM and blank lines only
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("blank.tsv: empty file"));

  r = Read("glue/rte", "dev", "RTE/no_such_file.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no_such_file.tsv"));
}

TEST(GlueTest, LimitStopsEarly) {
  ReadOptions options;
  options.limit = 2;
  absl::StatusOr<ReadResult> r = Read("glue/mnli", "train", "MNLI/train.tsv", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"0", "1"}));
  // Rows past the limit are not looked at.
  options.limit = 1;
  EXPECT_TRUE(Read("glue/rte", "dev", "bad/label.tsv", options).ok());
}

TEST(GlueTest, NonGlueTaskIsAnError) {
  const TaskInfo& imdb = **FindTask("imdb");
  absl::StatusOr<ReadResult> r =
      ReadGlueTsv(imdb, imdb.splits[0], RunfilePath("tasks/glue/testdata/SST-2/train.tsv"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no GLUE TSV layout"));
}

// ---- The real files, when $LRB_TEST_DATA_DIR points at a data root in the original layouts. ----

absl::StatusOr<ReadResult> ReadReal(const std::string& task_id, const std::string& split_name) {
  const TaskInfo& task = **FindTask(task_id);
  const SplitInfo& split = **task.Split(split_name);
  return ReadGlueTsv(task, split, RealDataDir() + "/" + split.files[0], {});
}

TEST(GlueRealDataTest, RowCountsMatchTheManifest) {
  if (RealDataDir().empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  struct Expected {
    const char* task;
    const char* split;
    size_t rows;
  };
  for (const Expected& e : std::vector<Expected>{{"glue/cola", "dev", 1043},
                                                 {"glue/cola", "train", 8551},
                                                 {"glue/cola", "test", 1063},
                                                 {"glue/sst2", "train", 67349},
                                                 {"glue/mrpc", "dev", 408},
                                                 {"glue/stsb", "dev", 1500},
                                                 {"glue/qnli", "dev", 5463},
                                                 {"glue/rte", "dev", 277},
                                                 {"glue/wnli", "train", 635}}) {
    absl::StatusOr<ReadResult> r = ReadReal(e.task, e.split);
    ASSERT_TRUE(r.ok()) << e.task << " " << e.split << ": " << r.status();
    EXPECT_EQ(r->examples.size(), e.rows) << e.task << " " << e.split;
  }
}

TEST(GlueRealDataTest, SpotChecks) {
  if (RealDataDir().empty()) GTEST_SKIP() << "LRB_TEST_DATA_DIR is not set";
  absl::StatusOr<ReadResult> mrpc = ReadReal("glue/mrpc", "dev");  // BOM before "Quality"
  ASSERT_TRUE(mrpc.ok()) << mrpc.status();
  EXPECT_EQ(mrpc->examples[0].id, "0");
  EXPECT_EQ(mrpc->examples[0].label, 1);
  EXPECT_EQ(mrpc->examples[0].text_pair, "\"The foodservice pie business does not fit our long-term growth strategy.");

  absl::StatusOr<ReadResult> cola = ReadReal("glue/cola", "dev");
  ASSERT_TRUE(cola.ok()) << cola.status();
  EXPECT_EQ(cola->examples[0].text, "The sailors rode the breeze clear of the rocks.");
  EXPECT_EQ(cola->examples[0].label, 1);

  absl::StatusOr<ReadResult> stsb = ReadReal("glue/stsb", "dev");
  ASSERT_TRUE(stsb.ok()) << stsb.status();
  EXPECT_EQ(stsb->examples[1].label, 4.75f);
  for (const TextExample& e : stsb->examples) {
    EXPECT_GE(e.label, 0);
    EXPECT_LE(e.label, 5);
  }

  absl::StatusOr<ReadResult> qnli = ReadReal("glue/qnli", "dev");
  ASSERT_TRUE(qnli.ok()) << qnli.status();
  EXPECT_EQ(qnli->examples[1].id, "1");
  EXPECT_EQ(qnli->examples[1].label, 1);  // not_entailment
}

}  // namespace
}  // namespace lrb
