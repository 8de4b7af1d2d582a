#include "tasks/tokenizers/utf8.h"

#include <utf8proc.h>

#include "absl/strings/str_format.h"

namespace lrb {

size_t DecodeUtf8(std::string_view text, size_t i, char32_t* cp) {
  utf8proc_int32_t code_point = 0;
  const utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                                              static_cast<utf8proc_ssize_t>(text.size() - i), &code_point);
  if (n <= 0) return 0;  // UTF8PROC_ERROR_INVALIDUTF8 (0 only for an empty rest)
  *cp = static_cast<char32_t>(code_point);
  return static_cast<size_t>(n);
}

void AppendUtf8(char32_t cp, std::string* out) {
  utf8proc_uint8_t bytes[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
}

size_t FirstInvalidUtf8(std::string_view text) {
  char32_t cp = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // ASCII: the common case, no library call
      ++i;
      continue;
    }
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) return i;
    i += len;
  }
  return text.size();
}

absl::Status ValidateUtf8(std::string_view text) {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad == text.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid UTF-8 at byte offset %d (byte 0x%02x)", bad, static_cast<unsigned char>(text[bad])));
}

bool IsWhiteSpace(char32_t cp) {
  return (cp >= 0x9 && cp <= 0xD) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

}  // namespace lrb
