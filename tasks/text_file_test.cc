#include "tasks/text_file.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/reader.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

TEST(SplitLinesTest, NumbersLinesAndDropsEmptyOnesAndCarriageReturns) {
  const std::vector<TextLine> lines = SplitLines("a\r\n\nb\tc\n\r\nlast");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].number, 1);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].number, 3);
  EXPECT_EQ(lines[1].text, "b\tc");
  EXPECT_EQ(lines[2].number, 5);
  EXPECT_EQ(lines[2].text, "last");
  EXPECT_TRUE(SplitLines("").empty());
  EXPECT_EQ(SplitLines("x\n").size(), 1u);
}

TEST(Utf8Test, WellFormed) {
  for (const std::string& s : std::vector<std::string>{"", "plain", "caf\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x99\x82",
                                                       "\xf4\x8f\xbf\xbf", std::string("nul\0byte", 8)}) {
    EXPECT_EQ(FirstInvalidUtf8(s), s.size()) << s;
  }
}

TEST(Utf8Test, IllFormed) {
  EXPECT_EQ(FirstInvalidUtf8("ab\xff"), 2u);            // never in UTF-8
  EXPECT_EQ(FirstInvalidUtf8("a\x80"), 1u);             // lone continuation byte
  EXPECT_EQ(FirstInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xe0\x80\xaf"), 0u);      // overlong, 3 bytes
  EXPECT_EQ(FirstInvalidUtf8("x\xed\xa0\x80"), 1u);     // UTF-16 surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok \xe2\x80"), 3u);       // cut off at the end
  EXPECT_EQ(FirstInvalidUtf8("\xc3\x28"), 0u);          // missing continuation
}

TEST(Utf8Test, CheckNamesTheLine) {
  EXPECT_TRUE(CheckUtf8("a\nb", "f.txt", 1).ok());
  const absl::Status status = CheckUtf8("a\nb\nc\xfe", "f.txt", 10);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "f.txt:12: invalid UTF-8 (byte 0xfe)");
}

TEST(ErrorsTest, Format) {
  EXPECT_EQ(LineError("d/x.tsv", 3, "bad").message(), "d/x.tsv:3: bad");
  EXPECT_EQ(FileError("d/x.tsv", "empty file").message(), "d/x.tsv: empty file");
}

TEST(SkipOrFailTest, CountsOnlyWhenSkipping) {
  ReadResult result;
  ReadOptions options;
  EXPECT_FALSE(SkipOrFail(LineError("f", 2, "x"), options, &result).ok());
  EXPECT_EQ(result.skipped, 0);

  options.skip_malformed = true;
  EXPECT_TRUE(SkipOrFail(LineError("f", 2, "x"), options, &result).ok());
  EXPECT_TRUE(SkipOrFail(LineError("f", 5, "y"), options, &result).ok());
  EXPECT_EQ(result.skipped, 2);
  EXPECT_EQ(result.first_skipped, "f:2: x");
  // Not a malformed row: never skipped.
  EXPECT_EQ(SkipOrFail(absl::NotFoundError("gone"), options, &result).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.skipped, 2);
}

TEST(LimitTest, ZeroMeansAll) {
  ReadOptions options;
  ReadResult result;
  result.examples.resize(3);
  EXPECT_FALSE(LimitReached(options, result));
  options.limit = 3;
  EXPECT_TRUE(LimitReached(options, result));
  options.limit = 4;
  EXPECT_FALSE(LimitReached(options, result));
}

TEST(ReadTextFileTest, StripsBomAndRejectsEmpty) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/bom.txt", std::ios::binary) << "\xef\xbb\xbfhead\n";
  absl::StatusOr<std::string> text = ReadTextFile(dir + "/bom.txt");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "head\n");

  std::ofstream(dir + "/blank.txt", std::ios::binary) << "\xef\xbb\xbf \r\n\n";
  text = ReadTextFile(dir + "/blank.txt");
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("blank.txt: empty file"));

  EXPECT_EQ(ReadTextFile(dir + "/missing.txt").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lrb
