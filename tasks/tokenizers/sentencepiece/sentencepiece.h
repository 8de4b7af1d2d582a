// SentencePiece tokenizer (T5's spiece.model) for processes that also use LibTorch.
//
// libsentencepiece cannot be linked into a binary that links LibTorch (their protobuf copies
// collide; see spm_shim_api.h). This class therefore never links sentencepiece: it dlopen's
// //tasks/tokenizers/sentencepiece:libspm_shim.so with RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND and
// calls its C interface. The shim is a data dependency of this library, so it sits in the runfiles
// of every binary and test that depends on //tasks/tokenizers/sentencepiece.
//
// Finding the shim, first match wins:
//   1. SentencePieceOptions::shim_path, when not empty (the only path tried);
//   2. $LRB_SPM_SHIM, when set and not empty (the only path tried);
//   3. <runfiles>/lrbench/tasks/tokenizers/sentencepiece/libspm_shim.so, with <runfiles> taken from
//      $RUNFILES_DIR, $TEST_SRCDIR, /proc/self/exe + ".runfiles" and argv[0] + ".runfiles", in
//      order.
// The shim stays loaded until the process exits.
//
// A loaded tokenizer is immutable; its const methods may be called from several threads.
#ifndef LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SENTENCEPIECE_H_
#define LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SENTENCEPIECE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lrb {

namespace spm_internal {
struct Shim;  // The shim's function table (sentencepiece.cc).
}  // namespace spm_internal

// The shim's path relative to the workspace (base/runfiles.h finds it in the runfiles).
inline constexpr char kSpmShimWorkspacePath[] = "tasks/tokenizers/sentencepiece/libspm_shim.so";

struct SentencePieceOptions {
  // Path of libspm_shim.so; empty: $LRB_SPM_SHIM, then the runfiles of the running binary.
  std::string shim_path;
};

// The shim path Load would use: the first existing candidate of the list above. NotFoundError
// naming every path tried when none exists.
absl::StatusOr<std::string> FindSpmShim(const SentencePieceOptions& options);

class SentencePieceTokenizer {
 public:
  // Loads a SentencePiece model file (e.g. T5's spiece.model). NotFoundError when the model file or
  // the shim is missing; InvalidArgumentError when the file is not a SentencePiece model;
  // FailedPreconditionError when the shim cannot be loaded.
  static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> Load(
      const std::string& model_path);
  static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> Load(
      const std::string& model_path, const SentencePieceOptions& options);

  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;
  ~SentencePieceTokenizer();

  // The ids of `text` (UTF-8), the same as `spm_encode --output_format=id` (the model's normalizer
  // applies: NFKC, whitespace collapsed, leading/trailing whitespace dropped). With `add_eos` the
  // model's eos id (T5: 1, "</s>") is appended, as Hugging Face's T5 tokenizer does;
  // FailedPreconditionError when the model has no eos piece.
  absl::StatusOr<std::vector<int64_t>> Encode(const std::string& text, bool add_eos) const;

  // The text of `ids`, skipping control pieces (T5: <pad> 0, </s> 1) and the unknown piece (T5:
  // <unk> 2), like Hugging Face's decode(..., skip_special_tokens=True); otherwise the same as
  // `spm_decode`. InvalidArgumentError naming the first id outside [0, VocabSize()) (T5's sentinel
  // ids <extra_id_*> 32000..32099 are not in spiece.model and are rejected).
  absl::StatusOr<std::string> Decode(const std::vector<int64_t>& ids) const;

  // Number of pieces in the model (T5: 32000).
  int64_t VocabSize() const { return vocab_size_; }

  // The id of a piece (e.g. "▁Hello"); NotFoundError when the vocabulary has no such piece.
  absl::StatusOr<int64_t> PieceToId(const std::string& piece) const;

  // The piece of an id; OutOfRangeError outside [0, VocabSize()).
  absl::StatusOr<std::string> IdToPiece(int64_t id) const;

  // True for the ids Decode skips (control and unknown pieces); false outside the vocabulary.
  bool IsSpecial(int64_t id) const;

  // Special ids of the model; -1 when the model has none (T5: eos 1, pad 0, unk 2, no bos).
  int64_t eos_id() const { return eos_id_; }
  int64_t pad_id() const { return pad_id_; }
  int64_t unk_id() const { return unk_id_; }
  int64_t bos_id() const { return bos_id_; }

  const std::string& model_path() const { return model_path_; }
  // The shim that was loaded.
  const std::string& shim_path() const { return shim_path_; }

 private:
  using Shim = spm_internal::Shim;

  SentencePieceTokenizer(const Shim* shim, void* handle, std::string model_path,
                         std::string shim_path);

  const Shim* shim_;  // Process-lifetime; never freed.
  void* handle_;      // The shim's LrbSpm*, released in the destructor.
  std::string model_path_;
  std::string shim_path_;
  int64_t vocab_size_ = 0;
  int64_t eos_id_ = -1;
  int64_t pad_id_ = -1;
  int64_t unk_id_ = -1;
  int64_t bos_id_ = -1;
  std::vector<bool> special_;  // Per id: skipped by Decode.
};

}  // namespace lrb

#endif  // LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SENTENCEPIECE_H_
