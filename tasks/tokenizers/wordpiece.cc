#include "tasks/tokenizers/wordpiece.h"

#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

// The special tokens cut out of raw text (step 1), in the order Hugging Face adds them.
constexpr const char* kSpecialTokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
// The special tokens a vocabulary must have.
constexpr const char* kRequiredTokens[] = {"[CLS]", "[SEP]", "[UNK]", "[PAD]"};

constexpr char32_t kSpace = U' ';

bool IsAsciiPunctuation(char32_t cp) {
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
}

// Category P*.
bool IsPunctuationCategory(int category) {
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

bool IsCjkIdeograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

int CombiningClass(char32_t cp) {
  return cp < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

// Appends `cp` to `chars`; sets *unordered when it is a combining mark (class > 0) that follows one
// of a greater class, i.e. when canonical ordering will have to move it.
void AppendDecomposed(char32_t cp, std::vector<char32_t>* chars, bool* unordered) {
  const int ccc = CombiningClass(cp);
  if (ccc > 0 && !chars->empty() && CombiningClass(chars->back()) > ccc) *unordered = true;
  chars->push_back(cp);
}

// The canonical ordering of NFD: each run of combining marks (class > 0) sorted by class, marks of
// equal class keeping their order.
void CanonicallyOrder(std::vector<char32_t>* chars) {
  std::vector<std::pair<int, char32_t>> run;
  size_t i = 0;
  while (i < chars->size()) {
    int ccc = CombiningClass((*chars)[i]);
    if (ccc == 0) {
      ++i;
      continue;
    }
    const size_t begin = i;
    run.clear();
    while (i < chars->size() && (ccc = CombiningClass((*chars)[i])) > 0) {
      run.emplace_back(ccc, (*chars)[i]);
      ++i;
    }
    std::stable_sort(run.begin(), run.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (size_t k = 0; k < run.size(); ++k) (*chars)[begin + k] = run[k].second;
  }
}

// Steps 2-4 on one code point of valid input, up to canonical ordering: appends the cleaned (with
// clean_text), CJK-spaced (with handle_chinese_chars) and (with strip_accents) decomposed code points to
// `chars`.
void NormalizeCodePoint(char32_t cp, const WordPieceOptions& options, std::vector<char32_t>* chars,
                        bool* unordered) {
  const bool strip_accents = options.strip_accents;
  if (!options.clean_text) {
    // No cleaning: whitespace and control characters stay as they are (the pre-tokenizer splits at
    // White_Space).
  } else if (cp < 0x80) {
    // Cleaning: \t \n \r are whitespace; other C0 controls and DEL are dropped.
    if (cp == '\t' || cp == '\n' || cp == '\r' || cp == ' ') {
      chars->push_back(kSpace);
    } else if (cp >= 0x20 && cp != 0x7F) {
      chars->push_back(cp);
    }
    return;
  }
  if (options.clean_text) {
    if (cp == 0xFFFD) return;
    const int category = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->category;
    if (category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_CO) {
      return;
    }
    if (category == UTF8PROC_CATEGORY_ZS || cp == 0x2028 || cp == 0x2029) {
      chars->push_back(kSpace);
      return;
    }
  }
  if (cp < 0x80) {
    chars->push_back(cp);
    return;
  }
  const bool cjk = options.handle_chinese_chars && IsCjkIdeograph(cp);
  if (cjk) chars->push_back(kSpace);
  if (!strip_accents) {
    chars->push_back(cp);
  } else {
    // NFD of one code point is at most 4 code points (Unicode 15); the buffer leaves room to spare.
    utf8proc_int32_t decomposed[16];
    const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 16,
                                                       UTF8PROC_DECOMPOSE, nullptr);
    if (n < 1 || n > 16) {
      chars->push_back(cp);
    } else {
      for (utf8proc_ssize_t k = 0; k < n; ++k) AppendDecomposed(static_cast<char32_t>(decomposed[k]), chars, unordered);
    }
  }
  if (cjk) chars->push_back(kSpace);
}

}  // namespace

absl::StatusOr<WordPieceTokenizer> WordPieceTokenizer::Load(const std::string& vocab_path,
                                                            const WordPieceOptions& options) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(vocab_path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return absl::NotFoundError(absl::StrFormat("vocabulary file %s does not exist", vocab_path));
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return absl::InvalidArgumentError(absl::StrFormat("vocabulary file %s is a directory", vocab_path));
  }
  std::ifstream in(vocab_path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot open vocabulary file %s: %s", vocab_path, std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrFormat("cannot read vocabulary file %s", vocab_path));
  }
  return FromVocabText(contents.str(), vocab_path, options);
}

absl::StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocabText(std::string_view vocab_text,
                                                                     const std::string& source_name,
                                                                     const WordPieceOptions& options) {
  std::vector<std::string> entries;
  size_t begin = 0;
  while (begin < vocab_text.size()) {
    size_t end = vocab_text.find('\n', begin);
    const size_t next = end == std::string_view::npos ? vocab_text.size() : end + 1;
    if (end == std::string_view::npos) end = vocab_text.size();
    if (end > begin && vocab_text[end - 1] == '\r') --end;
    entries.emplace_back(vocab_text.substr(begin, end - begin));
    begin = next;
  }
  WordPieceTokenizer t;
  if (absl::Status s = t.Build(std::move(entries), options, [&](int64_t id, const std::string& token, int64_t first) {
        return absl::StrFormat("%s:%d: token '%s' repeats line %d", source_name, id + 1, token, first + 1);
      });
      !s.ok()) {
    return s;
  }
  std::vector<std::string> missing;
  for (const char* token : kRequiredTokens) {
    if (!t.vocab_.contains(token)) missing.push_back(token);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: vocabulary of %d tokens lacks the special token(s) %s",
                                                      source_name, t.id_to_token_.size(),
                                                      absl::StrJoin(missing, ", ")));
  }
  if (options.unk_token != "[UNK]") {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: a vocab.txt tokenizer uses [UNK], not unk_token '%s'", source_name, options.unk_token));
  }
  t.cls_id_ = t.vocab_.at("[CLS]");
  t.sep_id_ = t.vocab_.at("[SEP]");
  t.pad_id_ = t.vocab_.at("[PAD]");
  t.mask_id_ = t.TokenToId("[MASK]");
  for (const char* token : kSpecialTokens) {
    const int64_t id = t.TokenToId(token);
    if (id >= 0) t.special_tokens_.emplace_back(token, id);
  }
  return t;
}

absl::StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocab(std::vector<std::string> entries,
                                                                 const std::string& source_name,
                                                                 const WordPieceOptions& options) {
  WordPieceTokenizer t;
  if (absl::Status s = t.Build(std::move(entries), options, [&](int64_t id, const std::string& token, int64_t first) {
        return absl::StrFormat("%s: token '%s' has ids %d and %d", source_name, token, first, id);
      });
      !s.ok()) {
    return s;
  }
  if (t.unk_id_ < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: vocabulary of %d tokens lacks the unknown token '%s'",
                                                      source_name, t.id_to_token_.size(), options.unk_token));
  }
  t.cls_id_ = t.TokenToId("[CLS]");
  t.sep_id_ = t.TokenToId("[SEP]");
  t.pad_id_ = t.TokenToId("[PAD]");
  t.mask_id_ = t.TokenToId("[MASK]");
  return t;
}

absl::Status WordPieceTokenizer::Build(std::vector<std::string> entries, const WordPieceOptions& options,
                                       const std::function<std::string(int64_t, const std::string&, int64_t)>&
                                           repeated) {
  if (options.max_input_chars_per_word < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_input_chars_per_word=%d: expected at least 1", options.max_input_chars_per_word));
  }
  options_ = options;
  id_to_token_ = std::move(entries);
  for (size_t i = 0; i < id_to_token_.size(); ++i) {
    const std::string& token = id_to_token_[i];
    const int64_t id = static_cast<int64_t>(i);
    auto [it, inserted] = vocab_.emplace(token, id);
    if (!inserted) return absl::InvalidArgumentError(repeated(id, token, it->second));
    max_token_bytes_ = std::max(max_token_bytes_, token.size());
    if (token.size() > 2 && token[0] == '#' && token[1] == '#') {
      continuation_.emplace(token.substr(2), id);
      max_continuation_bytes_ = std::max(max_continuation_bytes_, token.size() - 2);
    }
  }
  unk_id_ = TokenToId(options.unk_token);
  return absl::OkStatus();
}

int64_t WordPieceTokenizer::TokenToId(std::string_view token) const {
  auto it = vocab_.find(absl::string_view(token.data(), token.size()));
  return it == vocab_.end() ? -1 : it->second;
}

absl::StatusOr<std::string> WordPieceTokenizer::IdToToken(int64_t id) const {
  if (id < 0 || id >= VocabSize()) {
    return absl::OutOfRangeError(absl::StrFormat("token id %d is outside the vocabulary [0, %d)", id, VocabSize()));
  }
  return id_to_token_[static_cast<size_t>(id)];
}

void WordPieceTokenizer::AppendWordPieces(std::string_view word, int64_t num_chars, std::vector<int64_t>* ids) const {
  if (num_chars > options_.max_input_chars_per_word) {
    ids->push_back(unk_id_);
    return;
  }
  const auto is_continuation_byte = [&](size_t k) { return (static_cast<unsigned char>(word[k]) & 0xC0) == 0x80; };
  const size_t first = ids->size();
  size_t start = 0;
  while (start < word.size()) {
    const auto& map = start == 0 ? vocab_ : continuation_;
    // No entry is longer than the map's longest key: start there (on a character boundary).
    size_t end = std::min(word.size(), start + (start == 0 ? max_token_bytes_ : max_continuation_bytes_));
    while (end > start && end < word.size() && is_continuation_byte(end)) --end;
    int64_t found = -1;
    while (end > start) {
      auto it = map.find(absl::string_view(word.data() + start, end - start));
      if (it != map.end()) {
        found = it->second;
        break;
      }
      do {
        --end;
      } while (end > start && is_continuation_byte(end));
    }
    if (found < 0) {
      ids->resize(first);
      ids->push_back(unk_id_);
      return;
    }
    ids->push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::RunPiece(std::string_view piece, std::vector<int64_t>* ids, std::vector<std::string>* words,
                                  std::vector<size_t>* word_ends) const {
  // Steps 2-4 up to the Mn filter and lower-casing, which come after canonical ordering.
  std::vector<char32_t> chars;
  chars.reserve(piece.size() + 8);
  bool unordered = false;
  char32_t cp = 0;
  for (size_t i = 0; i < piece.size();) {
    i += DecodeUtf8(piece, i, &cp);  // The input was checked: the length is at least 1.
    NormalizeCodePoint(cp, options_, &chars, &unordered);
  }
  if (unordered) CanonicallyOrder(&chars);
  // Rest of step 4, step 5 (and step 6 per word).
  std::string word;
  int64_t word_chars = 0;
  const auto flush = [&]() {
    if (word.empty()) return;
    if (words != nullptr) {
      words->push_back(word);
    } else {
      AppendWordPieces(word, word_chars, ids);
      if (word_ends != nullptr) word_ends->push_back(ids->size());
    }
    word.clear();
    word_chars = 0;
  };
  for (char32_t c : chars) {
    if (c < 0x80) {
      if (c == kSpace || (c >= '\t' && c <= '\r')) {  // \t-\r only without clean_text
        flush();
      } else if (IsAsciiPunctuation(c)) {
        flush();
        word.push_back(static_cast<char>(c));
        word_chars = 1;
        flush();
      } else {
        if (options_.lowercase && c >= 'A' && c <= 'Z') c += 'a' - 'A';
        word.push_back(static_cast<char>(c));
        ++word_chars;
      }
      continue;
    }
    if (IsWhiteSpace(c)) {  // Only without clean_text, which maps or drops all White_Space.
      flush();
      continue;
    }
    const int category = utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->category;
    if (options_.strip_accents && category == UTF8PROC_CATEGORY_MN) continue;
    if (IsPunctuationCategory(category)) {
      flush();
      AppendUtf8(c, &word);
      word_chars = 1;
      flush();
      continue;
    }
    if (options_.lowercase) {
      if (c == 0x130) {  // The one full lower-case mapping longer than a code point.
        word.push_back('i');
        AppendUtf8(0x307, &word);
        word_chars += 2;
        continue;
      }
      c = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
    }
    AppendUtf8(c, &word);
    ++word_chars;
  }
  flush();
}

absl::Status WordPieceTokenizer::Run(std::string_view text, std::vector<int64_t>* ids, std::vector<std::string>* words,
                                     std::vector<size_t>* word_ends) const {
  if (absl::Status s = ValidateUtf8(text); !s.ok()) return s;
  // Step 1: special tokens are cut out of the raw text (leftmost match; none is a prefix of another).
  size_t piece_begin = 0;
  size_t pos = special_tokens_.empty() ? std::string_view::npos : text.find('[');
  while (pos != std::string_view::npos) {
    const std::pair<std::string, int64_t>* match = nullptr;
    for (const auto& special : special_tokens_) {
      if (text.compare(pos, special.first.size(), special.first) == 0 &&
          (match == nullptr || special.first.size() > match->first.size())) {
        match = &special;
      }
    }
    if (match == nullptr) {
      pos = text.find('[', pos + 1);
      continue;
    }
    RunPiece(text.substr(piece_begin, pos - piece_begin), ids, words, word_ends);
    if (words != nullptr) {
      words->push_back(match->first);
    } else {
      ids->push_back(match->second);
      if (word_ends != nullptr) word_ends->push_back(ids->size());
    }
    piece_begin = pos + match->first.size();
    pos = text.find('[', piece_begin);
  }
  RunPiece(text.substr(piece_begin), ids, words, word_ends);
  return absl::OkStatus();
}

absl::Status WordPieceTokenizer::AppendPieceIds(std::string_view text, std::vector<int64_t>* ids,
                                                std::vector<size_t>* word_ends) const {
  if (absl::Status s = ValidateUtf8(text); !s.ok()) return s;
  RunPiece(text, ids, nullptr, word_ends);
  return absl::OkStatus();
}

std::string WordPieceTokenizer::Settings() const {
  const WordPieceOptions defaults;
  if (options_.lowercase == defaults.lowercase && options_.strip_accents == defaults.strip_accents &&
      options_.clean_text == defaults.clean_text && options_.handle_chinese_chars == defaults.handle_chinese_chars &&
      options_.max_input_chars_per_word == defaults.max_input_chars_per_word) {
    return "";
  }
  return absl::StrFormat("lowercase=%d,strip_accents=%d,clean_text=%d,handle_chinese_chars=%d,max_chars=%d",
                         options_.lowercase, options_.strip_accents, options_.clean_text,
                         options_.handle_chinese_chars, options_.max_input_chars_per_word);
}

absl::StatusOr<std::vector<std::string>> WordPieceTokenizer::BasicTokenize(std::string_view text) const {
  std::vector<std::string> words;
  if (absl::Status s = Run(text, nullptr, &words); !s.ok()) return s;
  return words;
}

absl::StatusOr<std::vector<int64_t>> WordPieceTokenizer::TokenizeToIds(std::string_view text) const {
  std::vector<int64_t> ids;
  if (absl::Status s = Run(text, &ids, nullptr); !s.ok()) return s;
  return ids;
}

absl::StatusOr<std::vector<std::string>> WordPieceTokenizer::Tokenize(std::string_view text) const {
  absl::StatusOr<std::vector<int64_t>> ids = TokenizeToIds(text);
  if (!ids.ok()) return ids.status();
  std::vector<std::string> tokens;
  tokens.reserve(ids->size());
  for (int64_t id : *ids) tokens.push_back(id_to_token_[static_cast<size_t>(id)]);
  return tokens;
}

absl::StatusOr<TextEncoding> WordPieceTokenizer::Encode(std::string_view text, int64_t max_length) const {
  if (max_length < 2) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_length=%d is too small for [CLS] text [SEP]: expected at least 2", max_length));
  }
  if (cls_id_ < 0 || sep_id_ < 0) return absl::FailedPreconditionError("the vocabulary lacks [CLS] or [SEP]");
  TextEncoding encoding;
  std::vector<int64_t>& ids = encoding.input_ids;
  ids.push_back(cls_id_);
  if (absl::Status s = Run(text, &ids, nullptr); !s.ok()) return s;
  const size_t limit = static_cast<size_t>(max_length - 1);  // Room for [SEP].
  if (ids.size() > limit) {
    encoding.num_truncated = static_cast<int64_t>(ids.size() - limit);
    ids.resize(limit);
  }
  ids.push_back(sep_id_);
  encoding.token_type_ids.assign(ids.size(), 0);
  return encoding;
}

absl::StatusOr<TextEncoding> WordPieceTokenizer::EncodePair(std::string_view text, std::string_view text_pair,
                                                                 int64_t max_length) const {
  if (max_length < 3) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_length=%d is too small for [CLS] text [SEP] text_pair [SEP]: expected at least 3", max_length));
  }
  if (cls_id_ < 0 || sep_id_ < 0) return absl::FailedPreconditionError("the vocabulary lacks [CLS] or [SEP]");
  std::vector<int64_t> a, b;
  std::vector<size_t> a_ends, b_ends;
  if (absl::Status s = Run(text, &a, nullptr, &a_ends); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("first text: %s", std::string(s.message())));
  }
  if (absl::Status s = Run(text_pair, &b, nullptr, &b_ends); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("second text: %s", std::string(s.message())));
  }
  TextEncoding encoding;
  encoding.num_truncated = TruncateLongestFirst(max_length, 3, &a, &b, a_ends, b_ends);
  std::vector<int64_t>& ids = encoding.input_ids;
  ids.reserve(a.size() + b.size() + 3);
  ids.push_back(cls_id_);
  ids.insert(ids.end(), a.begin(), a.end());
  ids.push_back(sep_id_);
  encoding.token_type_ids.assign(ids.size(), 0);
  ids.insert(ids.end(), b.begin(), b.end());
  ids.push_back(sep_id_);
  encoding.token_type_ids.resize(ids.size(), 1);
  return encoding;
}

}  // namespace lrb
