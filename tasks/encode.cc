#include "tasks/encode.h"

#include <atomic>
#include <functional>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"
#include "tasks/tokenizers/text_tokenizer.h"

namespace lrb {
namespace {

// Runs encode(i) for every i on `threads` OpenMP threads; the first error (by index) wins.
absl::StatusOr<std::vector<Example>> EncodeAll(const std::vector<TextExample>& examples, int threads,
                                               const std::function<absl::Status(size_t, Example*)>& encode) {
  const int64_t n = static_cast<int64_t>(examples.size());
  std::vector<Example> out(examples.size());
  std::vector<absl::Status> errors(examples.size());
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads > 0 ? threads : 1)
  for (int64_t i = 0; i < n; ++i) {
    if (failed.load(std::memory_order_relaxed)) continue;
    errors[i] = encode(static_cast<size_t>(i), &out[i]);
    if (!errors[i].ok()) failed = true;
  }
  if (failed) {
    for (const absl::Status& s : errors) {
      if (!s.ok()) return s;
    }
  }
  return out;
}

absl::Status AtExample(const TextExample& e, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrFormat("example %s: %s", e.id, status.message()));
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> PiecesWithEos(const SentencePieceTokenizer& tokenizer, const std::string& text,
                                                   int64_t max_length, int64_t* truncated) {
  absl::StatusOr<std::vector<int64_t>> ids = tokenizer.Encode(text, /*add_eos=*/true);
  if (!ids.ok()) return ids.status();
  if (static_cast<int64_t>(ids->size()) > max_length) {
    ids->resize(max_length);
    ids->back() = tokenizer.eos_id();
    ++*truncated;
  }
  return ids;
}

absl::StatusOr<std::vector<Example>> EncodeText(const TaskInfo& task, const std::vector<TextExample>& examples,
                                                const TextTokenizer& tokenizer, const EncodeOptions& options,
                                                EncodeStats* stats) {
  if (task.kind == TaskKind::kSequenceToSequence) {
    return absl::InvalidArgumentError(absl::StrFormat("%s is a sequence-to-sequence task: use a T5 model", task.id));
  }
  std::atomic<int64_t> truncated{0};
  absl::StatusOr<std::vector<Example>> out =
      EncodeAll(examples, options.threads, [&](size_t i, Example* example) -> absl::Status {
        const TextExample& e = examples[i];
        absl::StatusOr<TextEncoding> enc = task.pair ? tokenizer.EncodePair(e.text, e.text_pair, options.max_length)
                                                     : tokenizer.Encode(e.text, options.max_length);
        if (!enc.ok()) return AtExample(e, enc.status());
        if (enc->num_truncated > 0) ++truncated;
        example->input_ids = std::move(enc->input_ids);
        example->token_type_ids = std::move(enc->token_type_ids);
        example->label = e.label;
        return absl::OkStatus();
      });
  if (stats != nullptr) stats->truncated_inputs = truncated;
  return out;
}

absl::StatusOr<std::vector<Example>> EncodeSentencePiece(const std::vector<TextExample>& examples,
                                                         const SentencePieceTokenizer& tokenizer,
                                                         const EncodeOptions& options, EncodeStats* stats) {
  if (options.max_length < 2 || options.max_target_length < 2) {
    return absl::InvalidArgumentError(absl::StrFormat("max_length %d and max_target_length %d must be at least 2",
                                                      options.max_length, options.max_target_length));
  }
  std::atomic<int64_t> truncated_inputs{0}, truncated_targets{0};
  absl::StatusOr<std::vector<Example>> out =
      EncodeAll(examples, options.threads, [&](size_t i, Example* example) -> absl::Status {
        const TextExample& e = examples[i];
        const std::string source =
            options.source_prefix + absl::StrReplaceAll(e.text, {{"\r\n", "\n"}, {"\r", "\n"}});
        int64_t cut_input = 0, cut_target = 0;
        absl::StatusOr<std::vector<int64_t>> input = PiecesWithEos(tokenizer, source, options.max_length, &cut_input);
        if (!input.ok()) return AtExample(e, input.status());
        absl::StatusOr<std::vector<int64_t>> target =
            PiecesWithEos(tokenizer, e.target, options.max_target_length, &cut_target);
        if (!target.ok()) return AtExample(e, target.status());
        truncated_inputs += cut_input;
        truncated_targets += cut_target;
        example->input_ids = std::move(*input);
        example->target_ids = std::move(*target);
        return absl::OkStatus();
      });
  if (stats != nullptr) {
    stats->truncated_inputs = truncated_inputs;
    stats->truncated_targets = truncated_targets;
  }
  return out;
}

}  // namespace lrb
