// Byte-level BPE as Hugging Face tokenizers runs it for GPT-2 and RoBERTa: the ByteLevel pre-tokenizer
// (GPT-2's split regex, then every byte mapped to a printable character by GPT-2's bytes_to_unicode) and
// the BPE model (the lowest-ranked merge first, the leftmost of equal ranks, until none applies).
//
// GPT-2's split, 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+, is matched by
// hand on code points: \p{L} is category L*, \p{N} is N*, \s is White_Space (utf8proc's Unicode 15; the
// library's regex engine may know a different Unicode version for code points assigned since).
//
// Supported BPE settings (HfTokenizer refuses the others): dropout null, continuing_subword_prefix and
// end_of_word_suffix null or empty, byte_fallback false; unk_token null or a vocabulary entry (with
// fuse_unk); ignore_merges. A character missing from the vocabulary becomes unk_token, or is dropped when
// there is none, as the library does.
#ifndef LRB_TASKS_TOKENIZERS_BPE_H_
#define LRB_TASKS_TOKENIZERS_BPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lrb {

struct ByteLevelBpeOptions {
  // ByteLevel pre-tokenizer: a space is put before each text (piece between added tokens) that does not
  // start with one; use_regex false keeps the whole piece one word.
  bool add_prefix_space = false;
  bool use_regex = true;
  // BPE model: a word that is a vocabulary entry as a whole is that entry, merges not applied.
  bool ignore_merges = false;
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
};

class ByteLevelBpe {
 public:
  // `vocab` maps tokens to ids; `merges` are the merge pairs by rank (first = applied first). The result
  // of every merge must be a vocabulary entry: InvalidArgumentError naming `source` and the merge
  // otherwise, or for an unk_token that is not in the vocabulary.
  static absl::StatusOr<ByteLevelBpe> Create(const absl::flat_hash_map<std::string, int64_t>& vocab,
                                             const std::vector<std::pair<std::string, std::string>>& merges,
                                             const ByteLevelBpeOptions& options, const std::string& source);

  // Pre-tokenizes `text` (valid UTF-8, holding no added token) and appends the ids of its BPE tokens
  // (and, when `word_ends` is not null, ids->size() after each pre-tokenized word).
  void AppendPieceIds(std::string_view text, std::vector<int64_t>* ids, std::vector<size_t>* word_ends = nullptr) const;

  // GPT-2's split of valid UTF-8 text into words (tests; the words cover the text exactly).
  static std::vector<std::string_view> SplitWords(std::string_view text);
  // GPT-2's bytes_to_unicode: the character (UTF-8) that stands for byte b.
  static const std::string& ByteChar(unsigned char b);

 private:
  ByteLevelBpe() = default;
  // BPE on one word given as its byte-level characters.
  void AppendWordIds(std::string_view word, std::vector<int64_t>* ids) const;

  ByteLevelBpeOptions options_;
  absl::flat_hash_map<std::string, int64_t> vocab_;
  // (left id << 32 | right id) -> (rank, merged id).
  absl::flat_hash_map<uint64_t, std::pair<int32_t, int64_t>> merges_;
  int64_t unk_id_ = -1;
};

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_BPE_H_
