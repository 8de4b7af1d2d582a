// Which tokenizer a file or a checkpoint folder holds, loaded behind the one TextTokenizer interface:
//   tokenizer.json                 HfTokenizer, as the file says; a sibling tokenizer_config.json whose
//                                  do_lower_case, strip_accents or tokenize_chinese_chars contradicts its
//                                  BertNormalizer is refused (transformers would rebuild the normalizer)
//   vocab.txt                      WordPiece with the sibling tokenizer_config.json's do_lower_case,
//                                  strip_accents and tokenize_chinese_chars, as BertTokenizerFast reads them
//                                  (absent: lower-cased, accents stripped as lowercase says)
//   vocab.json (+ merges.txt)      RoBERTa's byte-level BPE as RobertaTokenizerFast builds it
//                                  (tokenizer_config.json's add_prefix_space, default false)
// T5's spiece.model is not a TextTokenizer (tasks/tokenizers/sentencepiece).
#ifndef LRB_TASKS_TOKENIZERS_LOAD_H_
#define LRB_TASKS_TOKENIZERS_LOAD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/tokenizers/text_tokenizer.h"

namespace lrb {

// The fields of a tokenizer_config.json that change encodings (absent: not set).
struct TokenizerConfig {
  std::optional<bool> do_lower_case;
  std::optional<bool> strip_accents;  // null in the file: not set (follows do_lower_case)
  std::optional<bool> tokenize_chinese_chars;
  std::optional<bool> add_prefix_space;
  // model_max_length when the file gives one below 10^9 (transformers writes 10^30 for "no limit").
  std::optional<int64_t> model_max_length;
};

// Reads DIR/tokenizer_config.json; an absent file gives an empty config. InvalidArgumentError naming the
// file and field for malformed JSON or a field of the wrong type.
absl::StatusOr<TokenizerConfig> ReadTokenizerConfig(const std::string& dir);

// Loads the tokenizer in `path` by its file name (the table above); `config`, when not null, receives the
// sibling tokenizer_config.json. InvalidArgumentError for another file name (spiece.model included).
absl::StatusOr<std::unique_ptr<TextTokenizer>> LoadTextTokenizer(const std::string& path,
                                                                 TokenizerConfig* config = nullptr);

// The files LoadTextTokenizer(path) encodes with, `path` first: vocab.txt's tokenizer_config.json, vocab.json's
// merges.txt and tokenizer_config.json (those that exist); a tokenizer.json alone (its tokenizer_config.json is
// only checked against it). What a copy of the tokenizer needs, and what its hash covers.
std::vector<std::string> TokenizerFiles(const std::string& path);

// The encoder tokenizer of a checkpoint folder: tokenizer.json, else vocab.txt, else vocab.json. NotFoundError
// naming the folder and the files looked for.
absl::StatusOr<std::string> FindTokenizerFile(const std::string& model_dir);

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_LOAD_H_
