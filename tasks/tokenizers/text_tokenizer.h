// The one interface the task encoder uses for encoder models (BERT, DistilBERT, RoBERTa): text or a text
// pair to ids with the model's special tokens, token types and longest-first truncation. Implemented by
// WordPieceTokenizer (vocab.txt, tokenizer_config.json) and HfTokenizer (tokenizer.json; vocab.json +
// merges.txt); LoadTextTokenizer (load.h) picks one by file.
#ifndef LRB_TASKS_TOKENIZERS_TEXT_TOKENIZER_H_
#define LRB_TASKS_TOKENIZERS_TEXT_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

// One encoded input, special tokens included.
struct TextEncoding {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> token_type_ids;
  // Tokens removed by truncation (0 when the input fit).
  int64_t num_truncated = 0;
};

// Immutable once loaded; its const methods may be called from several threads.
class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;

  // The single-sequence template (e.g. [CLS] A [SEP]) with A cut at its end to fit max_length ids.
  // InvalidArgumentError for a max_length below the template's special tokens + 0 or invalid UTF-8.
  virtual absl::StatusOr<TextEncoding> Encode(std::string_view text, int64_t max_length) const = 0;
  // The pair template (e.g. [CLS] A [SEP] B [SEP]), truncated as tokenizers' "longest_first".
  // Errors as Encode, naming which text.
  virtual absl::StatusOr<TextEncoding> EncodePair(std::string_view text, std::string_view text_pair,
                                                  int64_t max_length) const = 0;

  virtual int64_t VocabSize() const = 0;
  // The token of an id; OutOfRangeError for an id the tokenizer does not have.
  virtual absl::StatusOr<std::string> IdToToken(int64_t id) const = 0;
  // The padding id ([PAD], <pad>); -1 when the tokenizer names none.
  virtual int64_t pad_id() const = 0;
  // What changes the encodings beyond the bytes of the tokenizer file (settings read from
  // tokenizer_config.json that differ from the file's defaults), e.g. "lowercase=0,strip_accents=0";
  // empty when nothing does. Run ids hash it with the file.
  virtual std::string Settings() const { return ""; }
};

// tokenizers' LongestFirst truncation of a pair whose template adds `specials` tokens, to max_length ids in
// all, as the library (npm tokenizers 0.23.2) does it; checked against it on every (|A|, |B|) in
// [0, 25]^2 for max_length 5, 8, 11, 12 and 20 with BERT's 3 and RoBERTa's 4 special tokens, and on words
// of several tokens (third_party/fixtures/tokenizers/layouts). With L = max_length - specials: the library
// stops tokenizing a sequence after the first word (pre-tokenizer split or added token) whose tokens
// reach max_length, so each sequence is first cut there -- `*_word_ends` hold the token count at the end of
// each word of A and B (empty: every token is a word, a cut at max_length); then, n1 <= n2 being the lengths of
// the shorter and the longer (the second counts as the longer when they are equal), the longer is cut to
// max(n1, L - n1) (to n1 when n1 > L) and, when that still leaves more than L, the shorter to floor(L / 2)
// and the longer to ceil(L / 2). Sequences lose tokens at their end. Returns the number of tokens removed.
int64_t TruncateLongestFirst(int64_t max_length, int64_t specials, std::vector<int64_t>* a, std::vector<int64_t>* b,
                             const std::vector<size_t>& a_word_ends = {}, const std::vector<size_t>& b_word_ends = {});

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_TEXT_TOKENIZER_H_
