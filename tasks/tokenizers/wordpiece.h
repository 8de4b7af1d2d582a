// BERT's WordPiece tokenizer, reproducing Hugging Face's BertTokenizerFast (tokenizers' BertNormalizer,
// BertPreTokenizer, WordPiece model and BERT post-processor) for cased and uncased vocabularies
// (bert-base-uncased, bert-base-cased). Loaded from a vocab.txt (with options from tokenizer_config.json,
// load.h), or built by HfTokenizer from a tokenizer.json's model vocabulary and BertNormalizer settings,
// which then cuts out the added tokens itself and uses steps 2-6 (AppendPieceIds).
//
// Text -> ids, in order (each step as tokenizers does it):
//   1. Special tokens written in the text ("[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]", exact and
//      case-sensitive, when the vocabulary has them) are cut out of the raw text and become their ids;
//      the pieces between them go through steps 2-6 separately.
//   2. Cleaning (clean_text): U+0000, U+FFFD and characters of category Cc, Cf or Co are dropped (\t,
//      \n and \r are whitespace instead); whitespace (\t, \n, \r, category Zs, U+2028, U+2029) becomes a
//      space. U+000B, U+000C and U+0085 are Cc and are dropped.
//   3. CJK ideographs (handle_chinese_chars: 4E00-9FFF, 3400-4DBF, 20000-2A6DF, 2A700-2B73F, 2B740-2B81F,
//      2B920-2CEAF, F900-FAFF, 2F800-2FA1F) get a space on each side. 2B920-2CEAF is tokenizers' range;
//      Google's original BERT and the slow Python tokenizer use 2B820-2CEAF.
//   4. With strip_accents: canonical decomposition (NFD, with canonical reordering), then every
//      character of category Mn is dropped. With lowercase: each character is lower-cased (full
//      mapping: U+0130 becomes "i" U+0307).
//   5. The text is split at spaces (dropped; without clean_text, at every White_Space character) and
//      around punctuation (ASCII 33-47, 58-64, 91-96, 123-126 and category P*; each punctuation
//      character is its own word).
//   6. Each word goes through greedy longest-match-first WordPiece: the longest vocabulary entry that
//      starts the word, then the longest "##"-prefixed entry that continues it, and so on. A word with
//      more than max_input_chars_per_word code points, or with a position no entry matches, becomes the
//      single token [UNK].
//
// Unicode data (categories, decompositions, case mappings) come from utf8proc (Unicode 15). tokenizers
// takes categories from the unicode_categories crate (Unicode 8), so the two can differ on code points
// assigned or re-categorised since Unicode 8 (about 500, all in scripts added or extended since, none in
// Latin, Greek, Cyrillic, CJK or common punctuation).
//
// A loaded tokenizer is immutable; its const methods may be called from several threads.
#ifndef LRB_TASKS_TOKENIZERS_WORDPIECE_H_
#define LRB_TASKS_TOKENIZERS_WORDPIECE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/tokenizers/text_tokenizer.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {

struct WordPieceOptions {
  // Hugging Face's do_lower_case.
  bool lowercase = true;
  // Hugging Face's strip_accents. Its default there (None) means "as do_lower_case": set both when
  // turning lowercase off (a cased vocabulary).
  bool strip_accents = true;
  // tokenizers' BertNormalizer clean_text (step 2) and handle_chinese_chars (step 3).
  bool clean_text = true;
  bool handle_chinese_chars = true;
  // Longer words (in code points) become the unknown token.
  int max_input_chars_per_word = 100;
  // The unknown token (a vocab.txt tokenizer requires [UNK]).
  std::string unk_token = "[UNK]";
};

class WordPieceTokenizer : public TextTokenizer {
 public:
  // Reads a vocab.txt: one token per line, the id is the line number from 0 ("\n" or "\r\n" line ends;
  // a final line end is optional). NotFoundError naming the path when the file does not exist;
  // InvalidArgumentError naming the file and line for a repeated token, and naming the file when
  // [CLS], [SEP], [UNK] or [PAD] is missing. [MASK] is optional.
  static absl::StatusOr<WordPieceTokenizer> Load(const std::string& vocab_path,
                                                 const WordPieceOptions& options = {});
  // The same from the file's contents; `source_name` names it in errors.
  static absl::StatusOr<WordPieceTokenizer> FromVocabText(std::string_view vocab_text,
                                                          const std::string& source_name,
                                                          const WordPieceOptions& options = {});

  // A vocabulary given as its entries in id order (a tokenizer.json's WordPiece model): only
  // options.unk_token is required, and no special token is cut out of text (steps 2-6 only, through
  // AppendPieceIds). InvalidArgumentError naming `source_name` for a repeated entry or a missing unk_token.
  static absl::StatusOr<WordPieceTokenizer> FromVocab(std::vector<std::string> entries,
                                                      const std::string& source_name,
                                                      const WordPieceOptions& options);

  WordPieceTokenizer(WordPieceTokenizer&&) = default;
  WordPieceTokenizer& operator=(WordPieceTokenizer&&) = default;
  WordPieceTokenizer(const WordPieceTokenizer&) = delete;
  WordPieceTokenizer& operator=(const WordPieceTokenizer&) = delete;

  // Steps 1-5: the normalized words (special tokens written in the text stay whole words).
  // InvalidArgumentError "invalid UTF-8 at byte offset N (byte 0xXX)" for text that is not UTF-8.
  absl::StatusOr<std::vector<std::string>> BasicTokenize(std::string_view text) const;

  // Steps 1-6: the word pieces' ids, no [CLS]/[SEP], no truncation. Errors as BasicTokenize.
  absl::StatusOr<std::vector<int64_t>> TokenizeToIds(std::string_view text) const;
  // The same as token strings (IdToToken of each id).
  absl::StatusOr<std::vector<std::string>> Tokenize(std::string_view text) const;

  // Steps 2-6 on text that holds no special token to cut out: appends the word pieces' ids (and, when
  // `word_ends` is not null, ids->size() after each word). Errors as BasicTokenize.
  absl::Status AppendPieceIds(std::string_view text, std::vector<int64_t>* ids,
                              std::vector<size_t>* word_ends = nullptr) const;

  // [CLS] A [SEP], A truncated at its end so that the whole has at most max_length ids.
  // InvalidArgumentError for max_length < 2 or invalid UTF-8.
  absl::StatusOr<TextEncoding> Encode(std::string_view text, int64_t max_length) const override;

  // [CLS] A [SEP] B [SEP] with at most max_length ids, truncated as tokenizers' "longest_first"
  // (TruncateLongestFirst, text_tokenizer.h). (The slow Python tokenizer, which removes one token at a
  // time, can split the budget differently when both sequences are cut.)
  // InvalidArgumentError for max_length < 3 or invalid UTF-8 (naming which text).
  absl::StatusOr<TextEncoding> EncodePair(std::string_view text, std::string_view text_pair,
                                          int64_t max_length) const override;

  int64_t VocabSize() const override { return static_cast<int64_t>(id_to_token_.size()); }
  // The id of a vocabulary entry; -1 when absent.
  int64_t TokenToId(std::string_view token) const;
  // The entry of an id; OutOfRangeError outside [0, VocabSize()).
  absl::StatusOr<std::string> IdToToken(int64_t id) const override;
  // The options that differ from WordPieceOptions' defaults (bert-base-uncased's), "" when none do.
  std::string Settings() const override;

  int64_t cls_id() const { return cls_id_; }
  int64_t sep_id() const { return sep_id_; }
  int64_t unk_id() const { return unk_id_; }
  int64_t pad_id() const override { return pad_id_; }
  // -1 when the vocabulary has no [MASK].
  int64_t mask_id() const { return mask_id_; }

  const WordPieceOptions& options() const { return options_; }

 private:
  WordPieceTokenizer() = default;

  // Fills the vocabulary maps and unk_id_; `repeated(id, token, first_id)` words the error for a
  // repeated entry.
  absl::Status Build(std::vector<std::string> entries, const WordPieceOptions& options,
                     const std::function<std::string(int64_t, const std::string&, int64_t)>& repeated);

  // Appends the ids of `text` (steps 1-6); `words`, when not null, receives the words of steps 1-5
  // instead and no ids are produced; `word_ends`, when not null, receives ids->size() after each word
  // (a special token is a word).
  absl::Status Run(std::string_view text, std::vector<int64_t>* ids, std::vector<std::string>* words,
                   std::vector<size_t>* word_ends = nullptr) const;
  // Steps 2-6 for a piece of text between special tokens (already known to be valid UTF-8).
  void RunPiece(std::string_view piece, std::vector<int64_t>* ids, std::vector<std::string>* words,
                std::vector<size_t>* word_ends = nullptr) const;
  // Step 6 for one word (UTF-8, `num_chars` code points).
  void AppendWordPieces(std::string_view word, int64_t num_chars, std::vector<int64_t>* ids) const;

  WordPieceOptions options_;
  std::vector<std::string> id_to_token_;
  absl::flat_hash_map<std::string, int64_t> vocab_;         // token -> id
  absl::flat_hash_map<std::string, int64_t> continuation_;  // "##x" entries, keyed by x
  size_t max_token_bytes_ = 0;         // longest key of vocab_
  size_t max_continuation_bytes_ = 0;  // longest key of continuation_
  // The special tokens present in the vocabulary, cut out of raw text (step 1).
  std::vector<std::pair<std::string, int64_t>> special_tokens_;
  int64_t cls_id_ = -1;
  int64_t sep_id_ = -1;
  int64_t unk_id_ = -1;
  int64_t pad_id_ = -1;
  int64_t mask_id_ = -1;
};

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_WORDPIECE_H_
