#include "tasks/encode.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/data.h"
#include "tasks/task.h"
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Runfile(const std::string& path) { return std::string(std::getenv("TEST_SRCDIR")) + "/lrbench/" + path; }

const TaskInfo& Task(const std::string& id) { return **FindTask(id); }

WordPieceTokenizer Bert() { return *WordPieceTokenizer::Load(Runfile("third_party/embedded/vocab/bert-base-uncased/vocab.txt")); }

std::unique_ptr<SentencePieceTokenizer> T5() {
  return *std::move(SentencePieceTokenizer::Load(Runfile("third_party/embedded/vocab/t5/spiece.model")));
}

std::vector<TextExample> Split(const std::string& task, const std::string& split) {
  absl::StatusOr<ReadResult> r = ReadSplit(Task(task), split, DataRoots(std::nullopt), {});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->examples : std::vector<TextExample>{};
}

TEST(EncodeText, SingleAndPairTasksAsTheTokenizerDoes) {
  const WordPieceTokenizer bert = Bert();
  EncodeOptions options;
  options.max_length = 64;
  const std::vector<TextExample> sst2 = Split("glue/sst2", "dev");
  absl::StatusOr<std::vector<Example>> encoded = EncodeText(Task("glue/sst2"), sst2, bert, options);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  ASSERT_EQ(encoded->size(), sst2.size());
  for (size_t i = 0; i < sst2.size(); i += 97) {
    EXPECT_EQ((*encoded)[i].input_ids, bert.Encode(sst2[i].text, 64)->input_ids) << i;
    EXPECT_EQ((*encoded)[i].label, sst2[i].label);
    EXPECT_TRUE((*encoded)[i].target_ids.empty());
  }
  const std::vector<TextExample> rte = Split("glue/rte", "dev");
  EncodeStats stats;
  encoded = EncodeText(Task("glue/rte"), rte, bert, options, &stats);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ((*encoded)[0].input_ids, bert.EncodePair(rte[0].text, rte[0].text_pair, 64)->input_ids);
  EXPECT_EQ((*encoded)[0].token_type_ids.back(), 1);
  EXPECT_GT(stats.truncated_inputs, 0);  // RTE premises are long: some pairs exceed 64 pieces
  EXPECT_LT(stats.truncated_inputs, static_cast<int64_t>(rte.size()));
}

TEST(EncodeText, ThreadCountDoesNotChangeTheResult) {
  const WordPieceTokenizer bert = Bert();
  const std::vector<TextExample> mrpc = Split("glue/mrpc", "dev");
  EncodeOptions one, two;
  two.threads = 2;
  absl::StatusOr<std::vector<Example>> a = EncodeText(Task("glue/mrpc"), mrpc, bert, one);
  absl::StatusOr<std::vector<Example>> b = EncodeText(Task("glue/mrpc"), mrpc, bert, two);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->size(); ++i) {
    ASSERT_EQ((*a)[i].input_ids, (*b)[i].input_ids) << i;
    ASSERT_EQ((*a)[i].token_type_ids, (*b)[i].token_type_ids) << i;
  }
}

TEST(EncodeText, ErrorsNameTheExample) {
  const WordPieceTokenizer bert = Bert();
  TextExample ok, bad;
  ok.id = "1";
  ok.text = "fine";
  bad.id = "17";
  bad.text = "bad \xff byte";
  absl::StatusOr<std::vector<Example>> r = EncodeText(Task("glue/sst2"), {ok, bad, ok}, bert, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("example 17: "));
  EXPECT_THAT(EncodeText(Task("samsum"), {ok}, bert, {}).status().message(), HasSubstr("use a T5 model"));
}

TEST(EncodeSentencePiece, PrefixEosAndTruncationAsHuggingFace) {
  const std::unique_ptr<SentencePieceTokenizer> t5 = T5();
  TextExample e;
  e.id = "x";
  e.text = "Hello world";
  e.target = "Hello";
  EncodeOptions options;
  options.source_prefix = "summarize: ";
  absl::StatusOr<std::vector<Example>> r = EncodeSentencePiece({e}, *t5, options);
  ASSERT_TRUE(r.ok()) << r.status();
  // spm_encode --output_format=id on "summarize: Hello world": 21603 10 8774 296; EOS is 1.
  EXPECT_THAT((*r)[0].input_ids, ElementsAre(21603, 10, 8774, 296, 1));
  EXPECT_THAT((*r)[0].target_ids, ElementsAre(8774, 1));

  options.max_length = 3;
  options.max_target_length = 2;
  e.target = "Hello world";
  EncodeStats stats;
  r = EncodeSentencePiece({e}, *t5, options, &stats);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)[0].input_ids, ElementsAre(21603, 10, 1));
  EXPECT_THAT((*r)[0].target_ids, ElementsAre(8774, 1));
  EXPECT_EQ(stats.truncated_inputs, 1);
  EXPECT_EQ(stats.truncated_targets, 1);
}

TEST(EncodeSentencePiece, SamsumDialoguesWithCrLfEncodeAsWithLf) {
  const std::unique_ptr<SentencePieceTokenizer> t5 = T5();
  std::vector<TextExample> test = Split("samsum", "test");
  ASSERT_EQ(test.size(), 819u);
  test.resize(50);
  std::vector<TextExample> lf = test;
  for (TextExample& e : lf) {
    std::string out;
    for (size_t i = 0; i < e.text.size(); ++i) {
      if (e.text[i] == '\r' && i + 1 < e.text.size() && e.text[i + 1] == '\n') continue;
      out.push_back(e.text[i]);
    }
    e.text = out;
  }
  EncodeOptions options;
  options.source_prefix = "summarize: ";
  options.max_length = 512;
  options.threads = 2;
  absl::StatusOr<std::vector<Example>> a = EncodeSentencePiece(test, *t5, options);
  absl::StatusOr<std::vector<Example>> b = EncodeSentencePiece(lf, *t5, options);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].input_ids, (*b)[i].input_ids) << i;
    EXPECT_EQ((*a)[i].input_ids.front(), 21603) << i;
    EXPECT_EQ((*a)[i].input_ids.back(), 1) << i;
    EXPECT_EQ((*a)[i].target_ids.back(), 1) << i;
  }
}

}  // namespace
}  // namespace lrb
