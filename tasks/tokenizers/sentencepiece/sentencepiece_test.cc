// The T5 tokenizer in a binary that also links LibTorch (the combination that crashes when
// sentencepiece is linked directly; see spm_shim_api.h): reference ids, decoding, lookups and bad
// inputs.
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

using ::testing::ElementsAreArray;
using ::testing::EndsWith;
using ::testing::HasSubstr;

std::string RunfilesDir() {
  const char* dir = std::getenv("TEST_SRCDIR");
  return dir == nullptr ? std::string(".") : std::string(dir);
}

std::string T5ModelPath() {
  return RunfilesDir() + "/lrbench/third_party/embedded/vocab/t5/spiece.model";
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Case {
  std::string text;
  std::vector<int64_t> ids;
  // What Decode(ids) gives: the text itself when it round-trips, otherwise spm_decode of the ids
  // with the unknown id 2 removed (the normalizer collapses whitespace and maps NFKC; unknown
  // pieces vanish).
  std::string decoded;
};

// Reference ids: `spm_encode --model=spiece.model --output_format=id` of sentencepiece 0.1.97
// (Debian package `sentencepiece` 0.1.97-3+b1) on T5's spiece.model
// (third_party/embedded/vocab/t5), one line per text. Decoded texts: `spm_decode --input_format=id`
// of the same tool, unknown ids removed first.
const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {"Hello, world!", {8774, 6, 296, 55}, "Hello, world!"},
      {"translate English to German: The house is wonderful.",
       {13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5},
       "translate English to German: The house is wonderful."},
      {"summarize: Café naïve résumé — déjà vu, Ångström & Œuvre.",
       {21603, 10,   18131, 3, 29, 9,    2,     162, 1417, 4078, 154, 3,    318,
        4315,  9056, 6,     3, 2,  1725, 30476, 3,   184,  3,    2,   6491, 5},
       "summarize: Café nave résumé — déjà vu, ngström & uvre."},
      {"The price rose 12.5% to $1,234,567 in 2023 (vs. 987 in 1999).",
       {37,  594,  4659, 8013, 2712, 12, 1970, 6,    2773, 26392, 3708, 16,
        460, 2773, 41,   208,  7,    5,  668,  4225, 16,   5247,  137},
       "The price rose 12.5% to $1,234,567 in 2023 (vs. 987 in 1999)."},
      {"Punctuation: (a) [b] {c} <d> \"quoted\" 'single' ... ?! #tag @user ~/path_x=1;",
       {18266, 75,    17,   76,   257,  10,    41,   9,   61, 784,  115, 908, 3,    2,   75, 2,
        3,     2,     26,   3155, 96,   14460, 1054, 121, 3,  31,   7,   53,  109,  31,  3,  233,
        3,     10769, 1713, 2408, 3320, 10041, 3,    2,   87, 8292, 834, 226, 2423, 536, 117},
       "Punctuation: (a) [b] c d> \"quoted\" 'single' ... ?! #tag @user /path_x=1;"},
      {"東京は日本の首都です。", {3, 2}, ""},
      {"I love pizza 🍕🎉!", {27, 333, 6871, 3, 2, 55}, "I love pizza !"},
      {"", {}, ""},
      {"   leading and trailing spaces   ",
       {1374, 11, 5032, 53, 4856},
       "leading and trailing spaces"},
      {"multiple   internal\tspaces\tand tabs",
       {1317, 3224, 4856, 11, 3808, 7},
       "multiple internal spaces and tabs"},
      {"Übermäßig große Straßen in München.",
       {3333, 11914, 4859, 17028, 16, 13405, 5},
       "Übermäßig große Straßen in München."},
      {"ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ ① ™ ﬁ",
       {27645, 518, 4309, 4611, 3, 2, 209, 3, 2305, 361},
       "FULLWIDTH  1 TM fi"},
  };
  return *cases;
}

std::unique_ptr<SentencePieceTokenizer> LoadT5() {
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
      SentencePieceTokenizer::Load(T5ModelPath());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

TEST(SentencePieceTokenizerTest, TorchWorksBeforeAndAfterLoading) {
  EXPECT_FLOAT_EQ(torch::ones({2}).sum().item<float>(), 2.0f);
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  absl::StatusOr<std::vector<int64_t>> ids = tokenizer->Encode("Hello, world!", true);
  ASSERT_TRUE(ids.ok()) << ids.status();
  torch::Tensor tensor = torch::tensor(*ids, torch::kInt64);
  EXPECT_EQ(tensor.numel(), 5);
  EXPECT_EQ(tensor.sum().item<int64_t>(), 8774 + 6 + 296 + 55 + 1);
  // Serialization still works with sentencepiece's protobuf loaded in the process.
  std::stringstream stream;
  torch::save(tensor, stream);
  torch::Tensor restored;
  torch::load(restored, stream);
  EXPECT_TRUE(torch::equal(restored, tensor));
  EXPECT_FLOAT_EQ(torch::ones({2}).sum().item<float>(), 2.0f);
}

TEST(SentencePieceTokenizerTest, EncodesLikeSpmEncode) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  for (const Case& c : Cases()) {
    absl::StatusOr<std::vector<int64_t>> ids = tokenizer->Encode(c.text, /*add_eos=*/false);
    ASSERT_TRUE(ids.ok()) << c.text << ": " << ids.status();
    EXPECT_THAT(*ids, ElementsAreArray(c.ids)) << c.text;

    std::vector<int64_t> with_eos = c.ids;
    with_eos.push_back(1);
    absl::StatusOr<std::vector<int64_t>> ids_eos = tokenizer->Encode(c.text, /*add_eos=*/true);
    ASSERT_TRUE(ids_eos.ok()) << c.text << ": " << ids_eos.status();
    EXPECT_THAT(*ids_eos, ElementsAreArray(with_eos)) << c.text;
  }
}

TEST(SentencePieceTokenizerTest, DecodesBackToTheText) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  int round_trips = 0;
  for (const Case& c : Cases()) {
    absl::StatusOr<std::string> text = tokenizer->Decode(c.ids);
    ASSERT_TRUE(text.ok()) << c.text << ": " << text.status();
    EXPECT_EQ(*text, c.decoded) << c.text;
    if (*text == c.text) ++round_trips;
    // The eos and padding of a model input or output are skipped.
    std::vector<int64_t> padded = c.ids;
    padded.insert(padded.end(), {1, 0, 0});
    absl::StatusOr<std::string> padded_text = tokenizer->Decode(padded);
    ASSERT_TRUE(padded_text.ok()) << c.text << ": " << padded_text.status();
    EXPECT_EQ(*padded_text, c.decoded) << c.text;
  }
  EXPECT_EQ(round_trips, 5);  // Four texts the normalizer leaves alone, and the empty one.
}

TEST(SentencePieceTokenizerTest, SpecialIdsOfT5) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->VocabSize(), 32000);
  EXPECT_EQ(tokenizer->pad_id(), 0);
  EXPECT_EQ(tokenizer->eos_id(), 1);
  EXPECT_EQ(tokenizer->unk_id(), 2);
  EXPECT_EQ(tokenizer->bos_id(), -1);
  EXPECT_EQ(tokenizer->IdToPiece(0).value(), "<pad>");
  EXPECT_EQ(tokenizer->IdToPiece(1).value(), "</s>");
  EXPECT_EQ(tokenizer->IdToPiece(2).value(), "<unk>");
  EXPECT_EQ(tokenizer->IdToPiece(8774).value(), "\u2581Hello");
  EXPECT_EQ(tokenizer->PieceToId("\u2581Hello").value(), 8774);
  EXPECT_EQ(tokenizer->PieceToId("</s>").value(), 1);
  EXPECT_EQ(tokenizer->PieceToId("<unk>").value(), 2);
  EXPECT_EQ(tokenizer->PieceToId("<pad>").value(), 0);
  EXPECT_TRUE(tokenizer->IsSpecial(0));
  EXPECT_TRUE(tokenizer->IsSpecial(1));
  EXPECT_TRUE(tokenizer->IsSpecial(2));
  EXPECT_FALSE(tokenizer->IsSpecial(3));
  EXPECT_FALSE(tokenizer->IsSpecial(32000));
  EXPECT_EQ(tokenizer->Decode({0, 1, 2}).value(), "");
}

TEST(SentencePieceTokenizerTest, LookupErrors) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  absl::StatusOr<int64_t> missing = tokenizer->PieceToId("no such piece");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no such piece"));
  for (int64_t id : {int64_t{-1}, int64_t{32000}, int64_t{1} << 40}) {
    absl::StatusOr<std::string> piece = tokenizer->IdToPiece(id);
    EXPECT_EQ(piece.status().code(), absl::StatusCode::kOutOfRange) << id;
    EXPECT_THAT(piece.status().message(), HasSubstr(std::to_string(id)));
  }
}

TEST(SentencePieceTokenizerTest, DecodeRejectsIdsOutsideTheVocabulary) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  absl::StatusOr<std::string> sentinel = tokenizer->Decode({8774, 32000});
  EXPECT_EQ(sentinel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sentinel.status().message(), HasSubstr("id 32000 at position 1"));
  absl::StatusOr<std::string> negative = tokenizer->Decode({-1});
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative.status().message(), HasSubstr("id -1 at position 0"));
}

TEST(SentencePieceTokenizerTest, MissingModelIsNotFound) {
  const std::string path = TempPath("no_such_dir/spiece.model");
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
      SentencePieceTokenizer::Load(path);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(path));
}

TEST(SentencePieceTokenizerTest, CorruptModelIsAnError) {
  const std::string model = ReadFile(T5ModelPath());
  ASSERT_GT(model.size(), 100000u);
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 2654435761u) >> 13));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"garbage.model", garbage},
      {"text.model", "this is not a sentencepiece model\n"},
      {"empty.model", ""},
      {"truncated.model", model.substr(0, model.size() / 2)},
  };
  for (const auto& [name, contents] : files) {
    const std::string path = TempPath(name);
    WriteFile(path, contents);
    absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
        SentencePieceTokenizer::Load(path);
    EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(tokenizer.status().message(), HasSubstr(path));
    EXPECT_EQ(tokenizer.status().message().find('\n'), absl::string_view::npos);
  }
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> directory =
      SentencePieceTokenizer::Load(::testing::TempDir());
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
  // The real model still loads afterwards.
  EXPECT_NE(LoadT5(), nullptr);
}

TEST(SentencePieceTokenizerTest, FindsTheShimInTheRunfiles) {
  absl::StatusOr<std::string> shim = FindSpmShim(SentencePieceOptions());
  ASSERT_TRUE(shim.ok()) << shim.status();
  EXPECT_THAT(*shim, EndsWith(kSpmShimWorkspacePath));
  std::unique_ptr<SentencePieceTokenizer> tokenizer = LoadT5();
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->shim_path(), *shim);
}

TEST(SentencePieceTokenizerTest, MissingShimNamesThePathTried) {
  SentencePieceOptions options;
  options.shim_path = TempPath("nowhere/libspm_shim.so");
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
      SentencePieceTokenizer::Load(T5ModelPath(), options);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(options.shim_path));
}

TEST(SentencePieceTokenizerTest, ShimThatIsNotASharedObjectIsAnError) {
  SentencePieceOptions options;
  options.shim_path = T5ModelPath();
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
      SentencePieceTokenizer::Load(T5ModelPath(), options);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(options.shim_path));
}

TEST(SentencePieceTokenizerTest, TokenizersAreIndependentAndThreadSafe) {
  std::unique_ptr<SentencePieceTokenizer> first = LoadT5();
  std::unique_ptr<SentencePieceTokenizer> second = LoadT5();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  first.reset();
  const Case& c = Cases()[3];
  std::vector<std::vector<int64_t>> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) results[t] = second->Encode(c.text, false).value();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(results[0], ElementsAreArray(c.ids));
  EXPECT_THAT(results[1], ElementsAreArray(c.ids));
}

}  // namespace
}  // namespace lrb
