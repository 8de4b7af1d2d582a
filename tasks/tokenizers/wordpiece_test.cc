#include "tasks/tokenizers/wordpiece.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Paths relative to the workspace root (the test's working directory under Bazel).
constexpr char kVocabPath[] = "third_party/embedded/vocab/bert-base-uncased/vocab.txt";
constexpr char kFixturePath[] = "third_party/fixtures/tokenizers/wordpiece_bert_uncased.json";
// The fixture's settings (checked against its "meta").
constexpr int64_t kSingleMaxLength = 128;
constexpr int64_t kPairMaxLength = 64;

const WordPieceTokenizer& BertUncased() {
  static const WordPieceTokenizer* tokenizer = [] {
    absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::Load(kVocabPath);
    if (!t.ok()) {
      ADD_FAILURE() << t.status();
      std::abort();
    }
    return new WordPieceTokenizer(std::move(*t));
  }();
  return *tokenizer;
}

std::vector<std::string> Words(std::string_view text) {
  absl::StatusOr<std::vector<std::string>> words = BertUncased().BasicTokenize(text);
  EXPECT_TRUE(words.ok()) << words.status();
  return words.ok() ? *words : std::vector<std::string>{};
}

std::vector<std::string> Tokens(std::string_view text) {
  absl::StatusOr<std::vector<std::string>> tokens = BertUncased().Tokenize(text);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return tokens.ok() ? *tokens : std::vector<std::string>{};
}

// A tiny vocabulary: the four required special tokens (ids 0-3) and then `entries`.
WordPieceTokenizer TinyTokenizer(const std::vector<std::string>& entries) {
  std::string text = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n" + absl::StrJoin(entries, "\n") + "\n";
  absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::FromVocabText(text, "tiny");
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

std::string Shorten(const std::string& text) {
  return text.size() <= 160 ? text : text.substr(0, 160) + "...";
}

std::string JoinTokens(const std::vector<std::string>& tokens, size_t begin, size_t end) {
  std::vector<std::string> quoted;
  for (size_t i = begin; i < end && i < tokens.size(); ++i) quoted.push_back("'" + tokens[i] + "'");
  return absl::StrJoin(quoted, " ");
}

// "" when equal, else where and how `actual` first differs from `expected`.
template <typename T>
std::string FirstDifference(const char* what, const std::vector<T>& expected, const std::vector<T>& actual) {
  const size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (!(expected[i] == actual[i])) {
      return absl::StrFormat("%s differ first at position %d: expected %s, got %s", what, i,
                             ::testing::PrintToString(expected[i]), ::testing::PrintToString(actual[i]));
    }
  }
  if (expected.size() != actual.size()) {
    return absl::StrFormat("%s: expected %d, got %d (equal up to there)", what, expected.size(), actual.size());
  }
  return "";
}

TEST(WordPieceFixtureTest, ReproducesEveryHuggingFaceCase) {
  std::ifstream in(kFixturePath, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << kFixturePath;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const nlohmann::json fixture = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(fixture.is_discarded()) << kFixturePath << " is not valid JSON";
  ASSERT_TRUE(fixture.contains("meta") && fixture.contains("cases")) << kFixturePath;
  ASSERT_THAT(fixture["meta"].value("single", ""), HasSubstr("max_length=128"));
  ASSERT_THAT(fixture["meta"].value("pair", ""), HasSubstr("longest_first"));
  ASSERT_THAT(fixture["meta"].value("pair", ""), HasSubstr("max_length=64"));

  const WordPieceTokenizer& tokenizer = BertUncased();
  const nlohmann::json& cases = fixture["cases"];
  ASSERT_GT(cases.size(), 0u);
  int mismatches = 0, pairs = 0;
  std::string first_mismatch;
  for (size_t c = 0; c < cases.size(); ++c) {
    const nlohmann::json& k = cases[c];
    const std::string text = k.at("text").get<std::string>();
    const bool is_pair = k.contains("text_pair") && !k["text_pair"].is_null();
    const std::string text_pair = is_pair ? k["text_pair"].get<std::string>() : "";
    pairs += is_pair;
    const auto expected_ids = k.at("input_ids").get<std::vector<int64_t>>();
    const auto expected_types = k.at("token_type_ids").get<std::vector<int64_t>>();
    const auto expected_tokens = k.at("tokens").get<std::vector<std::string>>();

    absl::StatusOr<TextEncoding> encoding = is_pair ? tokenizer.EncodePair(text, text_pair, kPairMaxLength)
                                                         : tokenizer.Encode(text, kSingleMaxLength);
    std::string problem;
    std::vector<std::string> tokens;
    if (!encoding.ok()) {
      problem = "error: " + std::string(encoding.status().message());
    } else {
      for (int64_t id : encoding->input_ids) {
        absl::StatusOr<std::string> token = tokenizer.IdToToken(id);
        tokens.push_back(token.ok() ? *token : "<bad id>");
      }
      problem = FirstDifference("tokens", expected_tokens, tokens);
      if (problem.empty()) problem = FirstDifference("input_ids", expected_ids, encoding->input_ids);
      if (problem.empty()) problem = FirstDifference("token_type_ids", expected_types, encoding->token_type_ids);
    }
    if (problem.empty()) continue;
    if (++mismatches == 1) {
      size_t at = 0;
      while (at < tokens.size() && at < expected_tokens.size() && tokens[at] == expected_tokens[at]) ++at;
      const size_t from = at > 5 ? at - 5 : 0;
      first_mismatch = absl::StrFormat(
          "case %d (%s, max_length %d)\n  text: %s%s\n  %s\n  expected tokens [%d..]: %s\n  actual tokens   [%d..]: %s",
          c, is_pair ? "pair" : "single", is_pair ? kPairMaxLength : kSingleMaxLength, Shorten(text),
          is_pair ? "\n  text_pair: " + Shorten(text_pair) : "", problem, from,
          JoinTokens(expected_tokens, from, at + 6), from, JoinTokens(tokens, from, at + 6));
    }
  }
  EXPECT_EQ(mismatches, 0) << mismatches << " of " << cases.size() << " cases differ; the first:\n" << first_mismatch;
  EXPECT_GT(pairs, 0) << "the fixture has no pair cases";
}

TEST(WordPieceTest, LoadsBertVocabulary) {
  const WordPieceTokenizer& t = BertUncased();
  EXPECT_EQ(t.VocabSize(), 30522);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.unk_id(), 100);
  EXPECT_EQ(t.cls_id(), 101);
  EXPECT_EQ(t.sep_id(), 102);
  EXPECT_EQ(t.mask_id(), 103);
  EXPECT_EQ(t.TokenToId("the"), 1996);
  EXPECT_EQ(t.TokenToId("no such token"), -1);
  EXPECT_EQ(*t.IdToToken(1996), "the");
  EXPECT_EQ(t.IdToToken(30522).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(t.IdToToken(-1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(WordPieceTest, StripsAccentsAndLowerCases) {
  EXPECT_THAT(Words("Héllo WÖRLD Ångström naïve"), ElementsAre("hello", "world", "angstrom", "naive"));
  // Precomposed and decomposed forms give the same words.
  EXPECT_THAT(Words("e\u0301te\u0301 \u00e9t\u00e9"), ElementsAre("ete", "ete"));
  // Several marks on one letter (canonical reordering, then all Mn dropped).
  EXPECT_THAT(Words("a\u0301\u0323b"), ElementsAre("ab"));
  // Canonical ordering is visible on spacing marks (Mc, kept) of different classes: 226 before 216 swap.
  EXPECT_THAT(Words("x\U0001D16D\U0001D165"), ElementsAre("x\U0001D165\U0001D16D"));
  // A long run of marks in reverse canonical order (the reordering is a sort, not quadratic).
  std::string marks = "x";
  for (int i = 0; i < 100000; ++i) marks += i % 2 ? "\u0323" : "\u0301";
  EXPECT_THAT(Words(marks + " y"), ElementsAre("x", "y"));
  // Compatibility characters are not decomposed (NFD, not NFKD): the ligature stays a single token.
  EXPECT_THAT(Tokens("\ufb01"), ElementsAre("\ufb01"));
  // Greek and Cyrillic lower-case; U+0130 (I with dot above) loses its dot.
  EXPECT_THAT(Words("ΣΟΦΙΑ Москва \u0130stanbul"), ElementsAre("σοφια", "москва", "istanbul"));
}

TEST(WordPieceTest, StripAccentsCanBeTurnedOff) {
  WordPieceOptions options;
  options.strip_accents = false;
  absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::Load(kVocabPath, options);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<std::vector<std::string>> words = t->BasicTokenize("Héllo \u0130");
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("h\u00e9llo", "i\u0307"));
}

TEST(WordPieceTest, SplitsCjkIdeographs) {
  EXPECT_THAT(Words("abc中文字def"), ElementsAre("abc", "中", "文", "字", "def"));
  // Compatibility ideographs (F900-FAFF) are split and then replaced by their canonical equivalent.
  EXPECT_THAT(Words("x\uf900y"), ElementsAre("x", "\u8c48", "y"));
  // Hiragana, Katakana and Hangul are not ideographs: no split.
  EXPECT_THAT(Words("のテスト"), ElementsAre("のテスト"));
  EXPECT_THAT(Tokens("日本語"), ElementsAre("日", "本", "語"));
}

TEST(WordPieceTest, SplitsPunctuation) {
  EXPECT_THAT(Words("Hello,world!!"), ElementsAre("hello", ",", "world", "!", "!"));
  // All ASCII non-alphanumeric printable characters count, whatever their category ($ is Sc, ^ is Sk).
  EXPECT_THAT(Words("$5^2 a+b"), ElementsAre("$", "5", "^", "2", "a", "+", "b"));
  // Unicode category P* (em dash Pd, guillemets Pi/Pf, inverted question mark Po)...
  EXPECT_THAT(Words("a\u2014b \u00abc\u00bb \u00bfd"), ElementsAre("a", "\u2014", "b", "\u00ab", "c", "\u00bb", "\u00bf", "d"));
  // ... but not other symbols (euro sign Sc, degree sign So).
  EXPECT_THAT(Words("5\u20ac 20\u00b0c"), ElementsAre("5\u20ac", "20\u00b0c"));
  EXPECT_THAT(Tokens("don't"), ElementsAre("don", "'", "t"));
}

TEST(WordPieceTest, CleansControlCharactersAndWhitespace) {
  // Cc, Cf and Co are dropped without splitting the word; so are NUL and U+FFFD.
  EXPECT_THAT(Words("a\x01" "b\u200bc\u00add\ue000e\ufffdf" + std::string(1, '\0') + "g"), ElementsAre("abcdefg"));
  // \t \n \r, Zs and the line/paragraph separators split words.
  EXPECT_THAT(Words("a\tb\nc\rd\u00a0e\u3000f\u2028g\u2029h"), ElementsAre("a", "b", "c", "d", "e", "f", "g", "h"));
  // U+000B, U+000C and U+0085 are Cc: dropped, as tokenizers does (the filter comes before the mapping).
  EXPECT_THAT(Words("a\x0b" "b\x0c" "c\u0085d"), ElementsAre("abcd"));
  EXPECT_THAT(Words(" \t\n "), ElementsAre());
  EXPECT_THAT(Words(""), ElementsAre());
}

TEST(WordPieceTest, SplitsWordsIntoPieces) {
  // Greedy longest match first: "##ffa" is taken although "##ff" "##able" would also cover the rest.
  EXPECT_THAT(Tokens("unaffable"), ElementsAre("una", "##ffa", "##ble"));
  EXPECT_THAT(Tokens("Tokenization works"), ElementsAre("token", "##ization", "works"));
  // A word that no sequence of entries covers is [UNK] as a whole.
  EXPECT_THAT(Tokens("hello \u2603\u2603\u2603x world"), ElementsAre("hello", "[UNK]", "world"));
}

TEST(WordPieceTest, WordLongerThan100CharactersIsUnknown) {
  EXPECT_THAT(Tokens(std::string(101, 'a') + " b"), ElementsAre("[UNK]", "b"));
  std::vector<std::string> hundred = Tokens(std::string(100, 'a'));
  ASSERT_FALSE(hundred.empty());
  EXPECT_NE(hundred[0], "[UNK]");
  // Characters, not bytes: 100 two-byte characters are still one word of 100.
  std::string omegas;
  for (int i = 0; i < 100; ++i) omegas += "ω";
  std::vector<std::string> omega_tokens = Tokens(omegas);
  EXPECT_EQ(omega_tokens.size(), 100u);
  EXPECT_THAT(Tokens(omegas + "ω"), ElementsAre("[UNK]"));
  // Accents stripped before counting: 101 code points in the text, 100 after normalization.
  std::string accented = std::string(99, 'a') + "e\u0301";
  EXPECT_NE(Tokens(accented)[0], "[UNK]");
}

TEST(WordPieceTest, InvalidUtf8IsAnErrorWithTheOffset) {
  const WordPieceTokenizer& t = BertUncased();
  for (const auto& [text, offset] : std::vector<std::pair<std::string, int>>{
           {"abc\xff", 3},                 // never valid
           {"ab\xc3", 2},                  // truncated
           {"a\xc0\xaf", 1},               // overlong '/'
           {"\xed\xa0\x80", 0},            // surrogate U+D800
           {"\xf4\x90\x80\x80", 0},        // above U+10FFFF
           {"ok \xe2\x82 x", 3},           // continuation missing
           {"\x80", 0}}) {                 // lone continuation byte
    absl::StatusOr<std::vector<int64_t>> ids = t.TokenizeToIds(text);
    ASSERT_FALSE(ids.ok()) << "accepted " << ::testing::PrintToString(text);
    EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ids.status().message()), HasSubstr(absl::StrFormat("byte offset %d", offset)));
  }
  absl::StatusOr<TextEncoding> pair = t.EncodePair("fine", "bad \xff", 16);
  ASSERT_FALSE(pair.ok());
  EXPECT_THAT(std::string(pair.status().message()), HasSubstr("second text: invalid UTF-8 at byte offset 4"));
  EXPECT_FALSE(t.Encode("\xfe", 16).ok());
  EXPECT_TRUE(ValidateUtf8("plain, \u00e9, \u4e2d, \U0001f600").ok());
  EXPECT_THAT(std::string(ValidateUtf8("ab\xe4\xb8").message()), HasSubstr("byte offset 2 (byte 0xe4)"));
  EXPECT_FALSE(t.BasicTokenize("\xfe").ok());
}

TEST(WordPieceTest, MissingVocabularyFileIsAnErrorNamingThePath) {
  absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::Load("no/such/dir/vocab.txt");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("no/such/dir/vocab.txt"));
}

TEST(WordPieceTest, VocabularyErrors) {
  absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::FromVocabText("[CLS]\n[SEP]\nhello\n", "v.txt");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("v.txt"));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("[UNK], [PAD]"));
  t = WordPieceTokenizer::FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n", "v.txt");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("v.txt:7: token 'hello' repeats line 5"));
  // CRLF line ends and a missing final line end are accepted.
  t = WordPieceTokenizer::FromVocabText("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello", "v.txt");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->VocabSize(), 5);
  EXPECT_EQ(t->TokenToId("hello"), 4);
  EXPECT_EQ(t->mask_id(), -1);
}

TEST(WordPieceTest, SpecialTokensInTextStayWhole) {
  const WordPieceTokenizer& t = BertUncased();
  EXPECT_THAT(Tokens("Hello [MASK] world[SEP]x"), ElementsAre("hello", "[MASK]", "world", "[SEP]", "x"));
  // Case-sensitive and exact: these are ordinary text.
  EXPECT_THAT(Tokens("[mask] [MASK"), ElementsAre("[", "mask", "]", "[", "mask"));
  absl::StatusOr<TextEncoding> e = t.Encode("[CLS]", 8);
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->input_ids, ElementsAre(101, 101, 102));
}

TEST(WordPieceTest, EncodesSingleWithTruncation) {
  WordPieceTokenizer t = TinyTokenizer({"a", "b", "c", "d", "e"});  // ids 4..8
  absl::StatusOr<TextEncoding> e = t.Encode("a b c d e", 16);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(2, 4, 5, 6, 7, 8, 3));
  EXPECT_THAT(e->token_type_ids, ElementsAre(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(e->num_truncated, 0);
  e = t.Encode("a b c d e", 4);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(2, 4, 5, 3));
  EXPECT_EQ(e->num_truncated, 3);
  e = t.Encode("a b", 2);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(2, 3));
  e = t.Encode("", 8);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(2, 3));
  EXPECT_FALSE(t.Encode("a", 1).ok());
  EXPECT_FALSE(t.EncodePair("a", "b", 2).ok());
}

// Lengths of A and B after pair truncation to max_length.
std::pair<size_t, size_t> PairLengths(const WordPieceTokenizer& t, int a, int b, int64_t max_length) {
  std::string text_a, text_b;
  for (int i = 0; i < a; ++i) text_a += "a ";
  for (int i = 0; i < b; ++i) text_b += "b ";
  absl::StatusOr<TextEncoding> e = t.EncodePair(text_a, text_b, max_length);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return {0, 0};
  size_t n_a = 0, n_b = 0;
  for (size_t i = 0; i < e->input_ids.size(); ++i) {
    n_a += e->input_ids[i] == 4;
    n_b += e->input_ids[i] == 5;
  }
  EXPECT_EQ(e->input_ids.size(), n_a + n_b + 3);
  EXPECT_EQ(e->num_truncated, static_cast<int64_t>(a + b - n_a - n_b));
  return {n_a, n_b};
}

TEST(WordPieceTest, EncodesPairWithLongestFirstTruncation) {
  WordPieceTokenizer t = TinyTokenizer({"a", "b"});  // ids 4, 5
  absl::StatusOr<TextEncoding> e = t.EncodePair("a a", "b", 16);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->input_ids, ElementsAre(2, 4, 4, 3, 5, 3));
  EXPECT_THAT(e->token_type_ids, ElementsAre(0, 0, 0, 0, 1, 1));
  using P = std::pair<size_t, size_t>;
  // Fits: unchanged.
  EXPECT_EQ(PairLengths(t, 3, 4, 10), P(3, 4));
  // Only the longer one is cut (budget 7 = 10 - 3).
  EXPECT_EQ(PairLengths(t, 2, 10, 10), P(2, 5));
  EXPECT_EQ(PairLengths(t, 10, 2, 10), P(5, 2));
  EXPECT_EQ(PairLengths(t, 3, 9, 10), P(3, 4));
  // Both are cut: the shorter to floor(7 / 2), the longer to ceil(7 / 2); with equal lengths the second
  // is the longer.
  EXPECT_EQ(PairLengths(t, 6, 5, 10), P(4, 3));
  EXPECT_EQ(PairLengths(t, 5, 6, 10), P(3, 4));
  EXPECT_EQ(PairLengths(t, 5, 5, 10), P(3, 4));
  EXPECT_EQ(PairLengths(t, 20, 30, 10), P(3, 4));
  // Even budget (8).
  EXPECT_EQ(PairLengths(t, 5, 5, 11), P(4, 4));
  EXPECT_EQ(PairLengths(t, 9, 4, 11), P(4, 4));
  // Budget 0.
  EXPECT_EQ(PairLengths(t, 2, 3, 3), P(0, 0));
}

}  // namespace
}  // namespace lrb
