// From TextExamples to the token ids a model trains and evaluates on: the encoder's TextTokenizer for
// classification and regression heads (BERT WordPiece [CLS] A [SEP] (B [SEP]), RoBERTa's byte-level BPE
// <s> A </s></s> B </s>; longest-first truncation, token types), T5 SentencePiece for sequence-to-sequence
// tasks (prefix + source with EOS, target with EOS), as the Hugging Face tokenizers do.
#ifndef LRB_TASKS_ENCODE_H_
#define LRB_TASKS_ENCODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/task.h"

namespace lrb {

class TextTokenizer;
class SentencePieceTokenizer;

// One tokenized example. Encoder models: the tokenizer's template ([CLS] ... [SEP]) ids with their token types and the label (a class
// index, or the target value of a one-output regression head). T5: input_ids (token types and label
// unused) and target_ids, the tokenized target ending with EOS and without the decoder start token (what
// Hugging Face calls labels).
struct Example {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> token_type_ids;
  float label = 0;
  std::vector<int64_t> target_ids;
};

struct EncodeOptions {
  int64_t max_length = 128;         // input ids, special tokens (and T5's EOS) included
  int64_t max_target_length = 128;  // T5 target ids, EOS included
  std::string source_prefix;        // T5: prepended to each source text (e.g. "summarize: ")
  int threads = 1;                  // examples are encoded in parallel; results do not depend on it
};

// The input length when a run or command names none: 128 tokens, T5's sources 512 (dialogues are long).
inline int64_t DefaultMaxLength(bool sequence_to_sequence) { return sequence_to_sequence ? 512 : 128; }

struct EncodeStats {
  int64_t truncated_inputs = 0;   // examples whose input lost tokens to max_length
  int64_t truncated_targets = 0;  // T5 examples whose target lost tokens to max_target_length
};

// Classification and regression tasks (single sentences or pairs). Errors name the example id.
absl::StatusOr<std::vector<Example>> EncodeText(const TaskInfo& task, const std::vector<TextExample>& examples,
                                                const TextTokenizer& tokenizer, const EncodeOptions& options,
                                                EncodeStats* stats = nullptr);

// T5's source or target: pieces + EOS, truncated to max_length ids with the EOS kept last (HF T5
// tokenizer, truncation=True); *truncated is incremented when pieces were cut.
absl::StatusOr<std::vector<int64_t>> PiecesWithEos(const SentencePieceTokenizer& tokenizer, const std::string& text,
                                                   int64_t max_length, int64_t* truncated);

// Sequence-to-sequence tasks: source = prefix + text (CR LF and CR become LF), truncated to
// max_length - 1 pieces + EOS; target likewise with max_target_length.
absl::StatusOr<std::vector<Example>> EncodeSentencePiece(const std::vector<TextExample>& examples,
                                                         const SentencePieceTokenizer& tokenizer,
                                                         const EncodeOptions& options, EncodeStats* stats = nullptr);

}  // namespace lrb

#endif  // LRB_TASKS_ENCODE_H_
