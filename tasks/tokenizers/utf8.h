// UTF-8 decoding, encoding and validation on utf8proc (strict: Unicode 15, table 3-7), shared by the
// tokenizers and the task readers, and the Unicode White_Space property that Rust's char::is_whitespace
// (and so Hugging Face tokenizers) tests. utf8proc.h stays in utf8.cc.
#ifndef LRB_TASKS_TOKENIZERS_UTF8_H_
#define LRB_TASKS_TOKENIZERS_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace lrb {

// The length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid (no overlong
// forms, no surrogates, nothing above U+10FFFF). Stores the code point in *cp.
size_t DecodeUtf8(std::string_view text, size_t i, char32_t* cp);

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF).
void AppendUtf8(char32_t cp, std::string* out);

// Offset of the first byte of `text` that does not belong to a well-formed UTF-8 sequence; text.size()
// when there is none. The one validation: ValidateUtf8 and the readers' CheckUtf8 (tasks/text_file.h) call it.
size_t FirstInvalidUtf8(std::string_view text);

// OK when `text` is well-formed UTF-8; otherwise InvalidArgumentError "invalid UTF-8 at byte offset N
// (byte 0xXX)" for the first bad byte.
absl::Status ValidateUtf8(std::string_view text);

// Unicode's White_Space property (U+0009-000D, 0020, 0085, 00A0, 1680, 2000-200A, 2028, 2029, 202F,
// 205F, 3000): Rust's char::is_whitespace and the regex class \s.
bool IsWhiteSpace(char32_t cp);

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_UTF8_H_
