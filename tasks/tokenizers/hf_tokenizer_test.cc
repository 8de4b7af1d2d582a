// Every tokenizer kind against the encodings that Hugging Face's tokenizers library (npm tokenizers
// 0.23.2, tools/tokenizer_fixtures.js) wrote for the same tokenizer files: input ids and token type ids
// compared exactly, case by case (GLUE sentences and pairs, Unicode edge cases, truncation at small and
// large max_length, longest_first for pairs); the published-layout fixtures' tokenizers
// (third_party/fixtures/layouts) loaded as a model run loads them, against the library's encodings of the
// same files. Then the refusals: each unsupported component or value named with its JSON path.
#include "tasks/tokenizers/hf_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "tasks/tokenizers/bpe.h"
#include "tasks/tokenizers/load.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kDir[] = "third_party/fixtures/tokenizers/";
constexpr char kUncasedVocab[] = "third_party/embedded/vocab/bert-base-uncased/vocab.txt";

std::string Path(const std::string& name) { return std::string(kDir) + name; }

Json ReadJson(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? Json::parse(*text) : Json();
}

std::string Shorten(const std::string& text) { return text.size() <= 120 ? text : text.substr(0, 120) + "..."; }

// Encodes every case of `fixture` with `tokenizer`; expects all to match and prints "N/N cases match".
// Tokens are compared too, except for added tokens (the library reports an lstrip token with its space).
void ExpectMatchesFixture(const TextTokenizer& tokenizer, const std::string& fixture, const std::string& label,
                          const std::function<bool(int64_t)>& is_added) {
  const Json j = ReadJson(Path(fixture));
  ASSERT_TRUE(j.contains("cases")) << fixture;
  const Json& cases = j["cases"];
  ASSERT_GE(cases.size(), 100u);
  int matched = 0, pairs = 0, truncated = 0;
  std::vector<std::string> failures;
  for (size_t c = 0; c < cases.size(); ++c) {
    const Json& k = cases[c];
    const std::string text = k["text"];
    const bool pair = k.contains("text_pair");
    const int64_t max_length = k["max_length"];
    pairs += pair;
    absl::StatusOr<TextEncoding> e = pair ? tokenizer.EncodePair(text, k["text_pair"].get<std::string>(), max_length)
                                          : tokenizer.Encode(text, max_length);
    const auto ids = k["input_ids"].get<std::vector<int64_t>>();
    const auto types = k["token_type_ids"].get<std::vector<int64_t>>();
    const auto tokens = k["tokens"].get<std::vector<std::string>>();
    std::string problem;
    if (!e.ok()) {
      problem = std::string(e.status().message());
    } else if (e->input_ids != ids) {
      problem = absl::StrFormat("ids\n    expected %s\n    got      %s", absl::StrJoin(ids, " "),
                                absl::StrJoin(e->input_ids, " "));
    } else if (e->token_type_ids != types) {
      problem = absl::StrFormat("types\n    expected %s\n    got      %s", absl::StrJoin(types, " "),
                                absl::StrJoin(e->token_type_ids, " "));
    } else {
      for (size_t i = 0; i < ids.size() && problem.empty(); ++i) {
        absl::StatusOr<std::string> token = tokenizer.IdToToken(ids[i]);
        if (!is_added(ids[i]) && (!token.ok() || *token != tokens[i])) {
          problem = absl::StrFormat("token %d: expected '%s', got '%s'", i, tokens[i], token.ok() ? *token : "?");
        }
      }
    }
    if (problem.empty()) {
      ++matched;
      truncated += e->num_truncated > 0;
      continue;
    }
    if (failures.size() < 3) {
      failures.push_back(absl::StrFormat("case %d (%s, max_length %d): %s%s\n  %s", c, pair ? "pair" : "single",
                                         max_length, Shorten(text),
                                         pair ? " | " + Shorten(k["text_pair"].get<std::string>()) : "", problem));
    }
  }
  std::printf("%s: %d/%d cases match (%d pairs, %d truncated)\n", label.c_str(), matched,
              static_cast<int>(cases.size()), pairs, truncated);
  ::testing::Test::RecordProperty("matched", absl::StrFormat("%d/%d", matched, cases.size()));
  EXPECT_EQ(matched, static_cast<int>(cases.size())) << absl::StrJoin(failures, "\n");
  EXPECT_GT(pairs, 0);
  EXPECT_GT(truncated, 10) << "the fixture should exercise truncation";
}

std::unique_ptr<HfTokenizer> LoadJson(const std::string& name) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::Load(Path(name));
  if (!t.ok()) {
    ADD_FAILURE() << t.status();
    return nullptr;
  }
  return std::move(*t);
}

std::unique_ptr<TextTokenizer> LoadFile(const std::string& path, TokenizerConfig* config = nullptr) {
  absl::StatusOr<std::unique_ptr<TextTokenizer>> t = LoadTextTokenizer(path, config);
  if (!t.ok()) {
    ADD_FAILURE() << t.status();
    return nullptr;
  }
  return std::move(*t);
}

const auto kNoAdded = [](int64_t) { return false; };

TEST(HfTokenizerFixtureTest, BertUncasedTokenizerJson) {
  std::unique_ptr<HfTokenizer> t = LoadJson("bert_uncased/tokenizer.json");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pad_id(), 0);
  ExpectMatchesFixture(*t, "bert_uncased.encodings.json", "bert_uncased tokenizer.json",
                       [&](int64_t id) { return t->IsAddedToken(id); });
}

TEST(HfTokenizerFixtureTest, BertUncasedVocabTxt) {
  std::unique_ptr<TextTokenizer> t = LoadFile(kUncasedVocab);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->Settings(), "");  // the default options: run ids of the embedded default unchanged
  ExpectMatchesFixture(*t, "bert_uncased.encodings.json", "bert_uncased vocab.txt", kNoAdded);
}

TEST(HfTokenizerFixtureTest, BertCasedTokenizerJson) {
  std::unique_ptr<HfTokenizer> t = LoadJson("bert_cased/tokenizer.json");
  ASSERT_NE(t, nullptr);
  ExpectMatchesFixture(*t, "bert_cased.encodings.json", "bert_cased tokenizer.json",
                       [&](int64_t id) { return t->IsAddedToken(id); });
  // A cased tokenizer keeps case.
  absl::StatusOr<TextEncoding> e = t->Encode("The Quick", 16);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*t->IdToToken(e->input_ids[1]), "The");
}

TEST(HfTokenizerFixtureTest, BertCasedVocabTxtWithTokenizerConfig) {
  TokenizerConfig config;
  std::unique_ptr<TextTokenizer> t = LoadFile(Path("bert_cased/vocab.txt"), &config);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(config.do_lower_case, false);
  EXPECT_EQ(config.model_max_length, 512);
  EXPECT_THAT(t->Settings(), HasSubstr("lowercase=0,strip_accents=0"));
  ExpectMatchesFixture(*t, "bert_cased.encodings.json", "bert_cased vocab.txt + tokenizer_config.json", kNoAdded);
}

TEST(HfTokenizerFixtureTest, RobertaTokenizerJson) {
  std::unique_ptr<HfTokenizer> t = LoadJson("roberta/tokenizer.json");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pad_id(), 1);
  EXPECT_EQ(t->VocabSize(), 50262);
  ExpectMatchesFixture(*t, "roberta.encodings.json", "roberta tokenizer.json",
                       [&](int64_t id) { return t->IsAddedToken(id); });
}

// vocab.json + merges.txt as a RoBERTa checkpoint without tokenizer.json ships them, written here from the
// fixture's tokenizer.json: the same encodings.
TEST(HfTokenizerFixtureTest, RobertaVocabJsonAndMerges) {
  const Json j = ReadJson(Path("roberta/tokenizer.json"));
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/roberta_files";
  std::filesystem::create_directories(dir);
  std::string merges = "#version: 0.2\n";
  for (const Json& m : j["model"]["merges"]) merges += m[0].get<std::string>() + " " + m[1].get<std::string>() + "\n";
  ASSERT_TRUE(WriteFileAtomically(dir + "/vocab.json", j["model"]["vocab"].dump(), true).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/merges.txt", merges, true).ok());
  std::unique_ptr<TextTokenizer> t = LoadFile(dir + "/vocab.json");
  ASSERT_NE(t, nullptr);
  std::unique_ptr<HfTokenizer> reference = LoadJson("roberta/tokenizer.json");
  ASSERT_NE(reference, nullptr);
  ExpectMatchesFixture(*t, "roberta.encodings.json", "roberta vocab.json + merges.txt",
                       [&](int64_t id) { return reference->IsAddedToken(id); });
}

// --- the published-layout fixtures ----------------------------------------------------------------------

struct LayoutTokenizer {
  std::string name;        // third_party/fixtures/layouts/NAME
  std::string encodings;   // tokenizers/layouts/ENCODINGS.encodings.json (the -bin copy shares its source's)
  bool bert = true;        // also ships vocab.txt + tokenizer_config.json
  bool lowercase = true;
};

std::string LayoutDir(const std::string& name) { return "third_party/fixtures/layouts/" + name; }

class LayoutTokenizerTest : public ::testing::TestWithParam<LayoutTokenizer> {};

// (a) FindTokenizerFile + LoadTextTokenizer, the functions LoadTaskData (experiment/task_model.cc) calls for
// a checkpoint folder, pick the fixture's tokenizer.json; (b) its ids are the library's, case by case; (d)
// every id the library gave is below the fixture config's vocab_size (so are ours: they are equal).
TEST_P(LayoutTokenizerTest, ModelRunLoadsTokenizerJsonAndMatchesTheLibrary) {
  const LayoutTokenizer& l = GetParam();
  const std::string dir = LayoutDir(l.name);
  absl::StatusOr<std::string> file = FindTokenizerFile(dir);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, dir + "/tokenizer.json");
  TokenizerConfig config;
  std::unique_ptr<TextTokenizer> t = LoadFile(*file, &config);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(config.model_max_length, 512);  // as the hub's tokenizer_config.json
  EXPECT_EQ(t->Settings(), "");
  const auto* hf = dynamic_cast<const HfTokenizer*>(t.get());
  ASSERT_NE(hf, nullptr);
  ExpectMatchesFixture(*t, "layouts/" + l.encodings + ".encodings.json", l.name + " tokenizer.json",
                       [&](int64_t id) { return hf->IsAddedToken(id); });
  const int64_t vocab_size = ReadJson(dir + "/config.json").value("vocab_size", int64_t{0});
  EXPECT_EQ(t->VocabSize(), vocab_size);
  int64_t max_id = -1;
  const Json encodings = ReadJson(Path("layouts/" + l.encodings + ".encodings.json"));
  for (const Json& c : encodings["cases"]) {
    for (const Json& id : c["input_ids"]) max_id = std::max(max_id, id.get<int64_t>());
  }
  EXPECT_GE(max_id, 0);
  EXPECT_LT(max_id, vocab_size);
}

// (c) BERT-family fixtures: vocab.txt + tokenizer_config.json (the path a checkpoint without tokenizer.json
// takes) gives the same ids as tokenizer.json on every case; the cased one keeps case on both paths.
TEST_P(LayoutTokenizerTest, VocabTxtWithTokenizerConfigGivesTheSameIds) {
  const LayoutTokenizer& l = GetParam();
  if (!l.bert) GTEST_SKIP() << l.name << " ships vocab.json + merges.txt (RobertaVocabJsonAndMerges covers them)";
  const std::string dir = LayoutDir(l.name);
  TokenizerConfig config;
  std::unique_ptr<TextTokenizer> vocab = LoadFile(dir + "/vocab.txt", &config);
  std::unique_ptr<TextTokenizer> json = LoadFile(dir + "/tokenizer.json");
  ASSERT_NE(vocab, nullptr);
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(config.do_lower_case, l.lowercase);
  if (l.lowercase) {
    EXPECT_EQ(vocab->Settings(), "");  // the defaults, as the embedded default's vocab.txt
  } else {
    EXPECT_THAT(vocab->Settings(), HasSubstr("lowercase=0,strip_accents=0"));
  }
  ExpectMatchesFixture(*vocab, "layouts/" + l.encodings + ".encodings.json",
                       l.name + " vocab.txt + tokenizer_config.json", kNoAdded);
  for (const TextTokenizer* t : {vocab.get(), json.get()}) {
    absl::StatusOr<TextEncoding> e = t->EncodePair("The Quick fox", "NEW York", 32);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(*t->IdToToken(e->input_ids[1]), l.lowercase ? "the" : "The");
  }
}

INSTANTIATE_TEST_SUITE_P(Published, LayoutTokenizerTest,
                         ::testing::Values(LayoutTokenizer{"bert-base-uncased", "bert-base-uncased"},
                                           LayoutTokenizer{"bert-base-uncased-bin", "bert-base-uncased"},
                                           LayoutTokenizer{"bert-base-cased", "bert-base-cased", true, false},
                                           LayoutTokenizer{"distilbert-base-uncased", "distilbert-base-uncased"},
                                           LayoutTokenizer{"roberta-base", "roberta-base", false, false}),
                         [](const ::testing::TestParamInfo<LayoutTokenizer>& info) {
                           std::string n = info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Kept lengths of A and B that the library gives (tools/tokenizer_fixtures.js's tokenizers, "a a a ..."
// texts of the given lengths, RoBERTa's 4 special tokens at max_length 11 and 12, BERT's 3 at 12).
TEST(TruncateLongestFirstTest, AsTheLibrary) {
  struct Case {
    int64_t max_length, specials, a, b, keep_a, keep_b;
  };
  for (const Case& c : std::vector<Case>{{11, 4, 12, 11, 3, 4},  // both cut to max_length first: equal
                                         {11, 4, 10, 9, 4, 3},   // the longer A keeps the odd token
                                         {11, 4, 9, 10, 3, 4},
                                         {11, 4, 40, 14, 3, 4},
                                         {11, 4, 1, 16, 1, 6},  // only the longer is cut
                                         {11, 4, 5, 3, 4, 3},
                                         {11, 4, 4, 4, 3, 4},
                                         {11, 4, 3, 4, 3, 4},  // fits
                                         {12, 4, 8, 3, 5, 3},
                                         {12, 4, 6, 6, 4, 4},
                                         {12, 3, 6, 6, 4, 5}}) {
    std::vector<int64_t> a(static_cast<size_t>(c.a), 7), b(static_cast<size_t>(c.b), 8);
    const int64_t removed = TruncateLongestFirst(c.max_length, c.specials, &a, &b);
    EXPECT_EQ(static_cast<int64_t>(a.size()), c.keep_a) << c.a << " " << c.b << " at " << c.max_length;
    EXPECT_EQ(static_cast<int64_t>(b.size()), c.keep_b) << c.a << " " << c.b << " at " << c.max_length;
    EXPECT_EQ(removed, c.a + c.b - c.keep_a - c.keep_b);
  }
}

// Words of several tokens: the library stops tokenizing a sequence after the word whose tokens reach
// max_length, which decides which sequence is the longer. Kept lengths the library gives (npm tokenizers
// 0.23.2, the bert-base-uncased layout fixture's tokenizer.json): A = "spears" x6 (5 tokens a word) or
// "is spears" x5 (1 + 5), B = "a" x40 (one token a word), BERT's 3 special tokens.
TEST(TruncateLongestFirstTest, StopsAfterTheWordThatReachesMaxLength) {
  struct Case {
    int64_t max_length;
    std::vector<size_t> a_word_lengths;
    int64_t keep_a, keep_b;
  };
  const std::vector<size_t> spears(6, 5), is_spears = {1, 5, 1, 5, 1, 5, 1, 5, 1, 5};
  for (const Case& c : std::vector<Case>{{24, spears, 11, 10},      // A stops at 25 > B's 24
                                         {24, is_spears, 10, 11},   // A stops at 24 = B's 24: B is the longer
                                         {20, spears, 8, 9},        // A stops at 20 = B's 20
                                         {20, is_spears, 9, 8}}) {  // A stops at 24 > B's 20
    std::vector<size_t> a_ends;
    for (size_t n : c.a_word_lengths) a_ends.push_back((a_ends.empty() ? 0 : a_ends.back()) + n);
    std::vector<size_t> b_ends(40);
    for (size_t i = 0; i < b_ends.size(); ++i) b_ends[i] = i + 1;
    std::vector<int64_t> a(a_ends.back(), 7), b(b_ends.size(), 8);
    TruncateLongestFirst(c.max_length, 3, &a, &b, a_ends, b_ends);
    EXPECT_EQ(static_cast<int64_t>(a.size()), c.keep_a) << "max_length " << c.max_length;
    EXPECT_EQ(static_cast<int64_t>(b.size()), c.keep_b) << "max_length " << c.max_length;
  }
}

TEST(ByteLevelBpeTest, SplitsAsGpt2) {
  const auto split = [](std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view w : ByteLevelBpe::SplitWords(text)) out.emplace_back(w);
    return out;
  };
  EXPECT_THAT(split("Hello world"), ElementsAre("Hello", " world"));
  EXPECT_THAT(split("I'll don't 'S"), ElementsAre("I", "'ll", " don", "'t", " '", "S"));
  EXPECT_THAT(split("a  b"), ElementsAre("a", " ", " b"));  // \s+(?!\S) leaves one space to the word
  EXPECT_THAT(split("a\t\tb  "), ElementsAre("a", "\t", "\t", "b", "  "));
  EXPECT_THAT(split("x123 45!?"), ElementsAre("x", "123", " 45", "!?"));
  EXPECT_THAT(split("中文 été"), ElementsAre("中文", " été"));
  EXPECT_THAT(split(""), ElementsAre());
  EXPECT_EQ(ByteLevelBpe::ByteChar(' '), "\u0120");  // Ġ
  EXPECT_EQ(ByteLevelBpe::ByteChar('a'), "a");
  EXPECT_EQ(ByteLevelBpe::ByteChar(0), "\u0100");
}

// BertNormalizer's clean_text and handle_chinese_chars turned off, on a tiny WordPiece vocabulary; the
// expected ids are the tokenizers library's for the same settings (npm tokenizers 0.23.2).
TEST(HfTokenizerTest, BertNormalizerOptionsAsTheLibrary) {
  const std::vector<std::string> vocab = {"[PAD]",  "[UNK]",    "[CLS]",  "[SEP]",        "a",
                                          "b",      "\u4e2d",   "\u6587", "\u4e2d\u6587", "\u00e9",
                                          "\u0001", "a\u0001b", "x",      "##x",          ","};
  Json v = Json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  struct Case {
    bool clean, chinese;
    std::string text;
    std::vector<int64_t> ids;
  };
  const std::string spaces = "a\tb\u00a0a\u2028b\u0085a\u000bb";
  for (const Case& c : std::vector<Case>{{false, false, spaces, {4, 5, 4, 5, 4, 5}},  // every White_Space splits
                                         {false, false, "a\u0001b x,x", {11, 12, 14, 12}},
                                         {false, false, "\u4e2d\u6587", {8}},
                                         {false, false, "A\u4e2d\u6587B", {1}},
                                         {false, false, "\u00c9\u200b\u00e9", {1}},
                                         {false, true, "A\u4e2d\u6587B", {4, 6, 7, 5}},
                                         {true, false, spaces, {4, 5, 4, 1}},  // U+0085, U+000B dropped
                                         {true, false, "a\u0001b x,x", {1, 12, 14, 12}}}) {
    const Json j = {{"version", "1.0"},
                    {"added_tokens", Json::array()},
                    {"normalizer",
                     {{"type", "BertNormalizer"},
                      {"clean_text", c.clean},
                      {"handle_chinese_chars", c.chinese},
                      {"strip_accents", false},
                      {"lowercase", true}}},
                    {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
                    {"model",
                     {{"type", "WordPiece"},
                      {"unk_token", "[UNK]"},
                      {"continuing_subword_prefix", "##"},
                      {"max_input_chars_per_word", 100},
                      {"vocab", v}}}};
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::FromJsonText(j.dump(), "tiny");
    ASSERT_TRUE(t.ok()) << t.status();
    absl::StatusOr<std::vector<int64_t>> ids = (*t)->TokenizeToIds(c.text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, c.ids) << "clean_text " << c.clean << ", handle_chinese_chars " << c.chinese << ": "
                           << ::testing::PrintToString(c.text);
  }
}

// ignore_merges, and characters missing from a vocabulary without unk_token (dropped), on a tiny BPE; the
// expected ids are the tokenizers library's for the same JSON (Tokenizer.fromString, npm tokenizers 0.23.2).
TEST(ByteLevelBpeTest, IgnoreMergesAndMissingCharactersAsTheLibrary) {
  for (const bool ignore : {false, true}) {
    const Json j = {{"version", "1.0"},
                    {"truncation", nullptr},
                    {"padding", nullptr},
                    {"added_tokens", Json::array()},
                    {"normalizer", nullptr},
                    {"post_processor", nullptr},
                    {"decoder", nullptr},
                    {"pre_tokenizer",
                     {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
                    {"model",
                     {{"type", "BPE"},
                      {"dropout", nullptr},
                      {"unk_token", nullptr},
                      {"continuing_subword_prefix", nullptr},
                      {"end_of_word_suffix", nullptr},
                      {"fuse_unk", false},
                      {"byte_fallback", false},
                      {"ignore_merges", ignore},
                      {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"bc", 3}, {"abc", 4}, {"\u0120", 5}, {"\u0120a", 6}}},
                      {"merges", Json::array({Json::array({"b", "c"}), Json::array({"\u0120", "a"})})}}}};
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::FromJsonText(j.dump(), "tiny");
    ASSERT_TRUE(t.ok()) << t.status();
    const auto ids = [&](const char* text) { return *(*t)->TokenizeToIds(text); };
    if (ignore) {
      EXPECT_THAT(ids("abc"), ElementsAre(4));
      EXPECT_THAT(ids("abc abc"), ElementsAre(4, 6, 3));
    } else {
      EXPECT_THAT(ids("abc"), ElementsAre(0, 3));
      EXPECT_THAT(ids("abc abc"), ElementsAre(0, 3, 6, 3));
    }
    EXPECT_THAT(ids("abcd x"), ElementsAre(0, 3, 5));
    EXPECT_THAT(ids("ab"), ElementsAre(0, 1));
    // No post-processor: A, then B with type id 1.
    absl::StatusOr<TextEncoding> pair = (*t)->EncodePair("ab", "c", 8);
    ASSERT_TRUE(pair.ok()) << pair.status();
    EXPECT_THAT(pair->input_ids, ElementsAre(0, 1, 2));
    EXPECT_THAT(pair->token_type_ids, ElementsAre(0, 0, 1));
  }
}

// --- refusals ------------------------------------------------------------------------------------------

class RefusalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bert_ = new Json(ReadJson(Path("bert_uncased/tokenizer.json")));
    Json small = ReadJson(Path("roberta/tokenizer.json"));
    roberta_ = new Json(std::move(small));
  }
  // The error of loading `j`; "" when it loads.
  static std::string Error(const Json& j) {
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::FromJsonText(j.dump(), "tokenizer.json");
    return t.ok() ? "" : std::string(t.status().message());
  }
  static Json* bert_;
  static Json* roberta_;
};
Json* RefusalTest::bert_ = nullptr;
Json* RefusalTest::roberta_ = nullptr;

TEST_F(RefusalTest, UnknownComponentsAreNamedWithTheirPath) {
  Json j = *bert_;
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_EQ(Error(j), "tokenizer.json: normalizer.type 'NFKC' is not supported (supported: BertNormalizer, null)");
  j = *bert_;
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_EQ(Error(j),
            "tokenizer.json: pre_tokenizer.type 'Whitespace' is not supported (supported: BertPreTokenizer, "
            "ByteLevel)");
  j = *bert_;
  j["model"]["type"] = "WordLevel";
  EXPECT_EQ(Error(j), "tokenizer.json: model.type 'WordLevel' is not supported (supported: WordPiece, BPE)");
  j = *bert_;
  j["model"] = {{"type", "Unigram"}, {"unk_id", 2}, {"vocab", Json::array()}};
  EXPECT_THAT(Error(j), HasSubstr("model.type 'Unigram' is not supported"));
  EXPECT_THAT(Error(j), HasSubstr("spiece.model"));
  j = *bert_;
  j["post_processor"] = {{"type", "Sequence"}, {"processors", Json::array()}};
  EXPECT_THAT(Error(j), HasSubstr("post_processor.type 'Sequence' is not supported"));
  j = *bert_;
  j["decoder"] = {{"type", "Metaspace"}};
  EXPECT_THAT(Error(j), HasSubstr("decoder.type 'Metaspace' is not supported"));
  j = *bert_;
  j["normalizer"]["new_field"] = true;
  EXPECT_THAT(Error(j), HasSubstr("normalizer.new_field is not a field lrbench knows here"));
  j = *bert_;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}};
  EXPECT_THAT(Error(j), HasSubstr("pre_tokenizer.type 'ByteLevel' with model.type 'WordPiece' is not supported"));
  j = *bert_;
  j["truncation"] = {{"max_length", 128}, {"strategy", "OnlyFirst"}, {"direction", "Right"}, {"stride", 0}};
  EXPECT_THAT(Error(j), HasSubstr("truncation.strategy 'OnlyFirst' is not supported"));
  j = *bert_;
  j["truncation"] = {{"max_length", 128}, {"strategy", "LongestFirst"}, {"direction", "Right"}, {"stride", 0}};
  j["padding"] = {{"direction", "Right"}, {"pad_id", 0}, {"pad_token", "[PAD]"}};
  EXPECT_EQ(Error(j), "");
}

TEST_F(RefusalTest, UnsupportedValuesAreNamed) {
  Json j = *roberta_;
  j["model"]["dropout"] = 0.1;
  EXPECT_EQ(Error(j), "tokenizer.json: model.dropout 0.1 is not supported (supported: null)");
  j = *roberta_;
  j["model"]["end_of_word_suffix"] = "</w>";
  EXPECT_THAT(Error(j), HasSubstr("model.end_of_word_suffix '</w>' is not supported"));
  j = *roberta_;
  j["model"]["continuing_subword_prefix"] = "##";
  EXPECT_THAT(Error(j), HasSubstr("model.continuing_subword_prefix '##' is not supported"));
  j = *roberta_;
  j["model"]["byte_fallback"] = true;
  EXPECT_THAT(Error(j), HasSubstr("model.byte_fallback true is not supported"));
  j = *roberta_;
  j["normalizer"] = (*bert_)["normalizer"];
  EXPECT_THAT(Error(j), HasSubstr("normalizer.type 'BertNormalizer' with model.type 'BPE' is not supported"));
  j = *roberta_;
  j["added_tokens"][4]["single_word"] = true;
  EXPECT_THAT(Error(j), HasSubstr("added_tokens[4].single_word true is not supported"));
  j = *bert_;
  j["added_tokens"][0]["normalized"] = true;
  EXPECT_THAT(Error(j), HasSubstr("added_tokens[0].normalized true is not supported with a normalizer"));
  j = *bert_;
  j["model"]["continuing_subword_prefix"] = "@@";
  EXPECT_THAT(Error(j), HasSubstr("model.continuing_subword_prefix '@@' is not supported"));
  j = *bert_;
  j["post_processor"]["pair"].erase(3);
  EXPECT_THAT(Error(j), HasSubstr("post_processor.pair must hold $A and $B once each"));
}

TEST_F(RefusalTest, MalformedFilesAndMissingEntries) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::FromJsonText("{\"model\": [1, 2", "tokenizer.json");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("tokenizer.json: not valid JSON"));
  t = HfTokenizer::Load("no/such/tokenizer.json");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  // The unknown token missing from a WordPiece vocabulary.
  Json j = *bert_;
  j["model"]["vocab"].erase("[UNK]");
  for (auto& [token, id] : j["model"]["vocab"].items()) {
    if (id.get<int64_t>() > 100) id = id.get<int64_t>() - 1;
  }
  j["added_tokens"] = Json::array();
  j["post_processor"] = nullptr;
  EXPECT_THAT(Error(j), HasSubstr("lacks the unknown token '[UNK]'"));
  // A special token id the vocabulary does not have.
  j = *roberta_;
  j["post_processor"]["sep"] = {"</s>", 999999};
  EXPECT_THAT(Error(j), HasSubstr("post_processor.sep id 999999 is not in the vocabulary"));
  j = *bert_;
  j["post_processor"]["special_tokens"].erase("[SEP]");
  EXPECT_THAT(Error(j), HasSubstr("'[SEP]' is not in post_processor.special_tokens"));
  // A merge whose result is not a vocabulary entry.
  j = *roberta_;
  j["model"]["merges"][0] = {"Ġ", "zzzz"};
  EXPECT_THAT(Error(j), HasSubstr("model.merges[0] 'Ġ zzzz': 'zzzz' is not in the vocabulary"));
  // vocab.txt without [PAD]; vocab.json without <mask>.
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/missing";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomically(dir + "/vocab.txt", "[UNK]\n[CLS]\n[SEP]\nhello\n", true).ok());
  absl::StatusOr<std::unique_ptr<TextTokenizer>> loaded = LoadTextTokenizer(dir + "/vocab.txt");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("lacks the special token(s) [PAD]"));
  ASSERT_TRUE(
      WriteFileAtomically(dir + "/vocab.json", R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4})", true).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/merges.txt", "#version: 0.2\n", true).ok());
  loaded = LoadTextTokenizer(dir + "/vocab.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("lacks the special token <mask>"));
  // tokenizer_config.json of the wrong type; spiece.model is not an encoder tokenizer.
  ASSERT_TRUE(WriteFileAtomically(dir + "/tokenizer_config.json", R"({"do_lower_case": "no"})", true).ok());
  loaded = LoadTextTokenizer(dir + "/vocab.txt");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("tokenizer_config.json: do_lower_case is \"no\""));
  ASSERT_TRUE(WriteFileAtomically(dir + "/spiece.model", "x", true).ok());
  loaded = LoadTextTokenizer(dir + "/spiece.model");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("spiece.model is T5's"));
}

TEST_F(RefusalTest, TokenizerConfigContradictingTokenizerJson) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/contradiction";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(Path("bert_cased/tokenizer.json"), dir + "/tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(WriteFileAtomically(dir + "/tokenizer_config.json", R"({"do_lower_case": false})", true).ok());
  EXPECT_TRUE(LoadTextTokenizer(dir + "/tokenizer.json").ok());  // agrees
  ASSERT_TRUE(WriteFileAtomically(dir + "/tokenizer_config.json", R"({"do_lower_case": true})", true).ok());
  absl::StatusOr<std::unique_ptr<TextTokenizer>> t = LoadTextTokenizer(dir + "/tokenizer.json");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("do_lower_case is true, but"));
}

TEST_F(RefusalTest, MaxLengthBelowTheSpecialTokens) {
  std::unique_ptr<HfTokenizer> t = LoadJson("roberta/tokenizer.json");
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->EncodePair("a", "b", 3).ok());  // <s> </s></s> </s> are 4
  absl::StatusOr<TextEncoding> e = t->EncodePair("a", "b", 4);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(0, 2, 2, 2));
  EXPECT_EQ(e->num_truncated, 2);
}

}  // namespace
}  // namespace lrb
