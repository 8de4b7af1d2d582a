#include "tasks/text_file.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

absl::Status LineError(const std::string& path, int64_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

absl::Status FileError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::Status CheckUtf8(absl::string_view text, const std::string& path, int64_t first_line) {
  const size_t bad = FirstInvalidUtf8(std::string_view(text.data(), text.size()));
  if (bad == text.size()) return absl::OkStatus();
  const int64_t line = first_line + std::count(text.begin(), text.begin() + bad, '\n');
  return LineError(path, line,
                   absl::StrCat("invalid UTF-8 (byte 0x", absl::Hex(static_cast<unsigned char>(text[bad])), ")"));
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) return contents.status();
  if (absl::StartsWith(*contents, kUtf8Bom)) contents->erase(0, kUtf8Bom.size());
  if (absl::StripAsciiWhitespace(*contents).empty()) return FileError(path, "empty file");
  return contents;
}

std::vector<TextLine> SplitLines(absl::string_view contents) {
  std::vector<TextLine> lines;
  int64_t number = 0;
  while (!contents.empty()) {
    ++number;
    const size_t end = contents.find('\n');
    absl::string_view line = contents.substr(0, end);
    contents.remove_prefix(end == absl::string_view::npos ? contents.size() : end + 1);
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (!line.empty()) lines.push_back({number, line});
  }
  return lines;
}

absl::Status SkipOrFail(absl::Status error, const ReadOptions& options, ReadResult* result) {
  if (!options.skip_malformed || !absl::IsInvalidArgument(error)) return error;
  if (result->skipped++ == 0) result->first_skipped = std::string(error.message());
  return absl::OkStatus();
}

bool LimitReached(const ReadOptions& options, const ReadResult& result) {
  return options.limit > 0 && static_cast<int64_t>(result.examples.size()) >= options.limit;
}

}  // namespace lrb
