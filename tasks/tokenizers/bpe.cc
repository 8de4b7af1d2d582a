#include "tasks/tokenizers/bpe.h"

#include <utf8proc.h>

#include <array>

#include "absl/strings/str_format.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others for U+0100 onwards
// in byte order.
const std::array<std::string, 256>& ByteChars() {
  static const std::array<std::string, 256>* chars = [] {
    auto* out = new std::array<std::string, 256>();
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      AppendUtf8(static_cast<char32_t>(printable ? b : 256 + next++), &(*out)[b]);
    }
    return out;
  }();
  return *chars;
}

int Category(char32_t cp) { return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->category; }

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  const int c = Category(cp);
  return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

bool IsNumber(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  const int c = Category(cp);
  return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

bool IsOther(char32_t cp) { return !IsWhiteSpace(cp) && !IsLetter(cp) && !IsNumber(cp); }

}  // namespace

const std::string& ByteLevelBpe::ByteChar(unsigned char b) { return ByteChars()[b]; }

std::vector<std::string_view> ByteLevelBpe::SplitWords(std::string_view text) {
  std::vector<char32_t> cps;
  std::vector<size_t> at;  // byte offset of each code point, and the end
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    cps.push_back(cp);
    at.push_back(i);
    i += len > 0 ? len : 1;
  }
  at.push_back(text.size());
  const size_t n = cps.size();
  std::vector<std::string_view> words;
  size_t i = 0;
  const auto run = [&](size_t from, bool (*in_class)(char32_t)) {
    while (from < n && in_class(cps[from])) ++from;
    return from;
  };
  while (i < n) {
    size_t end = i;
    // 's|'t|'re|'ve|'m|'ll|'d
    if (cps[i] == '\'' && i + 1 < n) {
      const char32_t c1 = cps[i + 1], c2 = i + 2 < n ? cps[i + 2] : 0;
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        end = i + 2;
      } else if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
        end = i + 3;
      }
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+', in that order.
    const size_t s = cps[i] == ' ' ? i + 1 : i;
    for (bool (*in_class)(char32_t) : {IsLetter, IsNumber, IsOther}) {
      if (end > i) break;
      if (s < n && in_class(cps[s])) end = run(s, in_class);
    }
    if (end == i) {
      // \s+(?!\S), else \s+ (cps[i] is White_Space: every other character matched above).
      const size_t ws_end = run(i, IsWhiteSpace);
      end = ws_end == n || ws_end - i == 1 ? ws_end : ws_end - 1;
    }
    words.push_back(text.substr(at[i], at[end] - at[i]));
    i = end;
  }
  return words;
}

absl::StatusOr<ByteLevelBpe> ByteLevelBpe::Create(const absl::flat_hash_map<std::string, int64_t>& vocab,
                                                  const std::vector<std::pair<std::string, std::string>>& merges,
                                                  const ByteLevelBpeOptions& options, const std::string& source) {
  ByteLevelBpe bpe;
  bpe.options_ = options;
  bpe.vocab_ = vocab;
  if (options.unk_token) {
    auto it = vocab.find(*options.unk_token);
    if (it == vocab.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: model.unk_token '%s' is not in the vocabulary", source, *options.unk_token));
    }
    bpe.unk_id_ = it->second;
  }
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    auto l = vocab.find(left), r = vocab.find(right), m = vocab.find(left + right);
    if (l == vocab.end() || r == vocab.end() || m == vocab.end()) {
      const std::string missing = l == vocab.end() ? left : r == vocab.end() ? right : left + right;
      return absl::InvalidArgumentError(absl::StrFormat("%s: model.merges[%d] '%s %s': '%s' is not in the vocabulary",
                                                        source, rank, left, right, missing));
    }
    const uint64_t key = (static_cast<uint64_t>(l->second) << 32) | static_cast<uint64_t>(r->second);
    // A repeated pair keeps its last rank, as the library's map does.
    bpe.merges_[key] = {static_cast<int32_t>(rank), m->second};
  }
  return bpe;
}

void ByteLevelBpe::AppendWordIds(std::string_view word, std::vector<int64_t>* ids) const {
  if (options_.ignore_merges) {
    auto it = vocab_.find(absl::string_view(word.data(), word.size()));
    if (it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  // The word's characters as symbols.
  std::vector<int64_t> symbols;
  bool last_unk = false;
  for (size_t i = 0; i < word.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(word, i, &cp);
    auto it = vocab_.find(absl::string_view(word.data() + i, len));
    i += len;
    if (it != vocab_.end()) {
      symbols.push_back(it->second);
      last_unk = false;
    } else if (unk_id_ >= 0) {
      if (!(options_.fuse_unk && last_unk)) symbols.push_back(unk_id_);
      last_unk = true;
    }
  }
  // The lowest-ranked adjacent pair, leftmost first, until none merges (tokenizers' Word::merge_all).
  while (symbols.size() > 1) {
    int32_t best_rank = -1;
    size_t best = 0;
    int64_t merged = 0;
    for (size_t k = 0; k + 1 < symbols.size(); ++k) {
      auto it = merges_.find((static_cast<uint64_t>(symbols[k]) << 32) | static_cast<uint64_t>(symbols[k + 1]));
      if (it != merges_.end() && (best_rank < 0 || it->second.first < best_rank)) {
        best_rank = it->second.first;
        best = k;
        merged = it->second.second;
      }
    }
    if (best_rank < 0) break;
    symbols[best] = merged;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

void ByteLevelBpe::AppendPieceIds(std::string_view text, std::vector<int64_t>* ids, std::vector<size_t>* word_ends) const {
  if (text.empty()) return;
  std::string prefixed;
  if (options_.add_prefix_space && text[0] != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  std::vector<std::string_view> words;
  if (options_.use_regex) {
    words = SplitWords(text);
  } else {
    words.push_back(text);
  }
  std::string mapped;
  for (std::string_view word : words) {
    mapped.clear();
    for (char c : word) mapped += ByteChar(static_cast<unsigned char>(c));
    AppendWordIds(mapped, ids);
    if (word_ends != nullptr) word_ends->push_back(ids->size());
  }
}

}  // namespace lrb
