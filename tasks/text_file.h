// Pieces every task reader shares: reading a text file, splitting it into numbered lines, UTF-8
// validation, "PATH:LINE: what" errors, and the skip_malformed / limit bookkeeping of ReadOptions.
#ifndef LRB_TASKS_TEXT_FILE_H_
#define LRB_TASKS_TEXT_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/reader.h"

namespace lrb {

// InvalidArgument "PATH:LINE: what" (LINE is 1-based).
absl::Status LineError(const std::string& path, int64_t line, absl::string_view what);

// InvalidArgument "PATH: what", for problems that belong to no one line.
absl::Status FileError(const std::string& path, absl::string_view what);

// OK, or LineError naming the line of `text` (numbered from `first_line`) that holds the first ill-formed
// UTF-8 byte (FirstInvalidUtf8, tasks/tokenizers/utf8.h: overlong forms, surrogates and code points past
// U+10FFFF are ill-formed).
absl::Status CheckUtf8(absl::string_view text, const std::string& path, int64_t first_line);

// The contents of `path` without a leading UTF-8 BOM. NotFound when it does not exist; FileError
// "empty file" when nothing but whitespace is left.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

struct TextLine {
  int64_t number = 0;      // 1-based line number in the file
  absl::string_view text;  // without the line break and a trailing '\r'
};

// The non-empty lines of `contents` (line numbers still count the empty ones). The views point into
// `contents`.
std::vector<TextLine> SplitLines(absl::string_view contents);

// A malformed row: with options.skip_malformed an InvalidArgument `error` is counted in `result`
// (skipped, first_skipped) and OK is returned; any other error, or without skip_malformed, `error` itself.
absl::Status SkipOrFail(absl::Status error, const ReadOptions& options, ReadResult* result);

// Whether `result` already holds options.limit examples (never when limit is 0).
bool LimitReached(const ReadOptions& options, const ReadResult& result);

}  // namespace lrb

#endif  // LRB_TASKS_TEXT_FILE_H_
