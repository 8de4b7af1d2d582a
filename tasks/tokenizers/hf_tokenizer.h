// A Hugging Face tokenizer.json, run as the tokenizers library runs it, for the combinations BERT,
// DistilBERT and RoBERTa checkpoints ship:
//   normalizer      BertNormalizer (clean_text, handle_chinese_chars, strip_accents null/true/false,
//                   lowercase) or null
//   pre_tokenizer   BertPreTokenizer with a WordPiece model; ByteLevel (add_prefix_space, use_regex;
//                   trim_offsets only moves offsets) with a BPE model
//   model           WordPiece (continuing_subword_prefix "##"; wordpiece.h) or BPE (bpe.h)
//   post_processor  TemplateProcessing, BertProcessing, RobertaProcessing (<s> A </s></s> B </s>, all type
//                   ids 0), ByteLevel (offsets only) or null (A, then B with type id 1)
//   decoder         WordPiece, ByteLevel or null (accepted; lrbench decodes no encoder output)
//   added_tokens    cut out of the raw text before normalization, leftmost-longest, with lstrip / rstrip
//                   (the whitespace beside the token goes with it), special or not; normalized: true only
//                   without a normalizer (where it changes nothing); single_word: true is refused
//   truncation      null, or LongestFirst to the Right with stride 0 (lrbench truncates longest-first at
//                   the task's max_length); padding: null or to the Right (pad_id taken from it)
// Anything else (a component type, a field value, an unknown field) is refused with one line naming the
// file and the JSON path, e.g. "tokenizer.json: normalizer.type 'NFKC' is not supported (supported:
// BertNormalizer, null)". Unigram models (T5) are refused: lrbench reads T5's spiece.model instead.
// Truncation works as the library's: the template's special tokens are counted first, the sequences
// share the rest (longest_first for pairs).
#ifndef LRB_TASKS_TOKENIZERS_HF_TOKENIZER_H_
#define LRB_TASKS_TOKENIZERS_HF_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tasks/tokenizers/bpe.h"
#include "tasks/tokenizers/text_tokenizer.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {

class HfTokenizer : public TextTokenizer {
 public:
  // Reads a tokenizer.json. NotFoundError naming the path when it does not exist.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> Load(const std::string& path);
  // The same from the file's contents; `source` names it in errors.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> FromJsonText(std::string_view json, const std::string& source);
  // RoBERTa's vocab.json + merges.txt, built as transformers' RobertaTokenizerFast converts them: ByteLevel
  // (add_prefix_space, trim_offsets true), BPE, RobertaProcessing with <s> and </s>, added tokens <s>,
  // <pad>, </s>, <unk> and <mask> (lstrip). Each must be a vocabulary entry.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> LoadVocabAndMerges(const std::string& vocab_json,
                                                                         const std::string& merges_txt,
                                                                         bool add_prefix_space);

  HfTokenizer(const HfTokenizer&) = delete;
  HfTokenizer& operator=(const HfTokenizer&) = delete;

  absl::StatusOr<TextEncoding> Encode(std::string_view text, int64_t max_length) const override;
  absl::StatusOr<TextEncoding> EncodePair(std::string_view text, std::string_view text_pair,
                                          int64_t max_length) const override;
  // Added tokens and the model's tokens, no post-processing, no truncation.
  absl::StatusOr<std::vector<int64_t>> TokenizeToIds(std::string_view text) const;

  int64_t VocabSize() const override { return static_cast<int64_t>(id_to_token_.size()); }
  absl::StatusOr<std::string> IdToToken(int64_t id) const override;
  // -1 when absent.
  int64_t TokenToId(std::string_view token) const;
  int64_t pad_id() const override { return pad_id_; }
  // "add_prefix_space=1" for a vocab.json + merges.txt tokenizer built with it; "" otherwise (a
  // tokenizer.json says everything in its bytes).
  std::string Settings() const override { return settings_; }
  // The BertNormalizer settings of a WordPiece tokenizer (all false without a normalizer); null for BPE.
  const WordPieceOptions* wordpiece_options() const { return wordpiece_ ? &wordpiece_->options() : nullptr; }
  // True for an added token's id.
  bool IsAddedToken(int64_t id) const;

 private:
  struct AddedToken {
    std::string content;
    int64_t id = -1;
    bool lstrip = false, rstrip = false;
  };
  // One item of a post-processing template: a sequence (0 = A, 1 = B) or special token ids.
  struct TemplateItem {
    int sequence = -1;
    std::vector<int64_t> ids;
    int64_t type_id = 0;
  };
  class Builder;

  HfTokenizer() = default;
  // The ids of `text` (added tokens, then the model on the rest); `word_ends`, when not null, receives
  // ids->size() after each word (pre-tokenizer split or added token).
  absl::Status Run(std::string_view text, std::vector<int64_t>* ids, std::vector<size_t>* word_ends = nullptr) const;
  // The template with the sequences filled in (already truncated).
  TextEncoding Apply(const std::vector<TemplateItem>& items, const std::vector<int64_t>& a,
                     const std::vector<int64_t>& b) const;
  static int64_t SpecialCount(const std::vector<TemplateItem>& items);

  std::vector<AddedToken> added_;
  std::vector<TemplateItem> single_, pair_;
  std::unique_ptr<WordPieceTokenizer> wordpiece_;
  std::unique_ptr<ByteLevelBpe> bpe_;
  std::vector<std::string> id_to_token_;
  absl::flat_hash_map<std::string, int64_t> token_to_id_;
  int64_t pad_id_ = -1;
  std::string settings_;
};

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_HF_TOKENIZER_H_
