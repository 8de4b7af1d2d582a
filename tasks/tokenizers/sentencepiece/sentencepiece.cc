#include "tasks/tokenizers/sentencepiece/sentencepiece.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "base/runfiles.h"
#include "tasks/tokenizers/sentencepiece/spm_shim_api.h"

namespace lrb {

namespace spm_internal {

struct Shim {
  decltype(&lrb_spm_abi_version) abi_version = nullptr;
  decltype(&lrb_spm_load) load = nullptr;
  decltype(&lrb_spm_free) free = nullptr;
  decltype(&lrb_spm_free_buffer) free_buffer = nullptr;
  decltype(&lrb_spm_vocab_size) vocab_size = nullptr;
  decltype(&lrb_spm_unk_id) unk_id = nullptr;
  decltype(&lrb_spm_bos_id) bos_id = nullptr;
  decltype(&lrb_spm_eos_id) eos_id = nullptr;
  decltype(&lrb_spm_pad_id) pad_id = nullptr;
  decltype(&lrb_spm_id_kind) id_kind = nullptr;
  decltype(&lrb_spm_piece_to_id) piece_to_id = nullptr;
  decltype(&lrb_spm_id_to_piece) id_to_piece = nullptr;
  decltype(&lrb_spm_encode) encode = nullptr;
  decltype(&lrb_spm_decode) decode = nullptr;
};

}  // namespace spm_internal

namespace {

using spm_internal::Shim;

// `text` with line breaks replaced by spaces (error messages are one line).
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// The candidate shim paths, in the order they are tried.
std::vector<std::string> ShimCandidates(const SentencePieceOptions& options) {
  if (!options.shim_path.empty()) return {options.shim_path};
  const std::string from_env = GetEnv("LRB_SPM_SHIM");
  if (!from_env.empty()) return {from_env};
  return RunfileCandidates(kSpmShimWorkspacePath);
}

template <typename Function>
absl::Status Resolve(void* library, const char* name, const std::string& path, Function* function) {
  dlerror();  // Clear any earlier error.
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) {
    const char* error = dlerror();
    return absl::FailedPreconditionError(
        OneLine(absl::StrCat("sentencepiece shim ", path, " lacks symbol ", name, ": ",
                             error == nullptr ? "null" : error)));
  }
  *function = reinterpret_cast<Function>(symbol);
  return absl::OkStatus();
}

absl::StatusOr<const Shim*> OpenShim(const std::string& path) {
  auto shim = std::make_unique<Shim>();
  // RTLD_LOCAL keeps sentencepiece's bundled protobuf out of the global scope; RTLD_DEEPBIND makes
  // sentencepiece bind to that copy rather than to the system libprotobuf LibTorch brought in.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (library == nullptr) {
    const char* error = dlerror();
    return absl::FailedPreconditionError(
        OneLine(absl::StrCat("cannot load sentencepiece shim ", path, ": ",
                             error == nullptr ? "unknown error" : error)));
  }
  // The library stays loaded (also on error below): unloading code that ran protobuf's static
  // initialisers is not worth the risk, and dlopen of the same file returns the same handle.
  for (absl::Status status : {
           Resolve(library, "lrb_spm_abi_version", path, &shim->abi_version),
           Resolve(library, "lrb_spm_load", path, &shim->load),
           Resolve(library, "lrb_spm_free", path, &shim->free),
           Resolve(library, "lrb_spm_free_buffer", path, &shim->free_buffer),
           Resolve(library, "lrb_spm_vocab_size", path, &shim->vocab_size),
           Resolve(library, "lrb_spm_unk_id", path, &shim->unk_id),
           Resolve(library, "lrb_spm_bos_id", path, &shim->bos_id),
           Resolve(library, "lrb_spm_eos_id", path, &shim->eos_id),
           Resolve(library, "lrb_spm_pad_id", path, &shim->pad_id),
           Resolve(library, "lrb_spm_id_kind", path, &shim->id_kind),
           Resolve(library, "lrb_spm_piece_to_id", path, &shim->piece_to_id),
           Resolve(library, "lrb_spm_id_to_piece", path, &shim->id_to_piece),
           Resolve(library, "lrb_spm_encode", path, &shim->encode),
           Resolve(library, "lrb_spm_decode", path, &shim->decode),
       }) {
    if (!status.ok()) return status;
  }
  const int version = shim->abi_version();
  if (version != LRB_SPM_ABI_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("sentencepiece shim ", path, " has interface version ", version, ", expected ",
                     LRB_SPM_ABI_VERSION, " (rebuild it)"));
  }
  return shim.release();
}

// The shim at `path`, loaded once per process and kept until exit.
absl::StatusOr<const Shim*> GetShim(const std::string& path) {
  static std::mutex* mutex = new std::mutex;
  static auto* loaded = new std::map<std::string, const Shim*>;
  std::lock_guard<std::mutex> lock(*mutex);
  auto it = loaded->find(path);
  if (it != loaded->end()) return it->second;
  absl::StatusOr<const Shim*> shim = OpenShim(path);
  if (shim.ok()) loaded->emplace(path, *shim);
  return shim;
}

// Takes ownership of a buffer allocated by the shim.
struct ShimBuffer {
  const Shim* shim;
  void* buffer;
  ~ShimBuffer() { shim->free_buffer(buffer); }
};

std::string TakeError(const Shim* shim, char* error) {
  ShimBuffer owned{shim, error};
  return error == nullptr ? std::string("unknown error") : OneLine(error);
}

}  // namespace

absl::StatusOr<std::string> FindSpmShim(const SentencePieceOptions& options) {
  const std::vector<std::string> candidates = ShimCandidates(options);
  for (const std::string& candidate : candidates) {
    if (IsRegularFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("sentencepiece shim libspm_shim.so not found; tried: ",
                   candidates.empty() ? "(no candidate path)" : absl::StrJoin(candidates, ", "),
                   " (depend on //tasks/tokenizers/sentencepiece, or set "
                   "SentencePieceOptions::shim_path or $LRB_SPM_SHIM)"));
}

SentencePieceTokenizer::SentencePieceTokenizer(const Shim* shim, void* handle,
                                               std::string model_path, std::string shim_path)
    : shim_(shim),
      handle_(handle),
      model_path_(std::move(model_path)),
      shim_path_(std::move(shim_path)) {}

SentencePieceTokenizer::~SentencePieceTokenizer() { shim_->free(static_cast<LrbSpm*>(handle_)); }

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Load(
    const std::string& model_path) {
  return Load(model_path, SentencePieceOptions());
}

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Load(
    const std::string& model_path, const SentencePieceOptions& options) {
  if (!PathExists(model_path)) {
    return absl::NotFoundError(absl::StrCat("sentencepiece model not found: ", model_path));
  }
  if (!IsRegularFile(model_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sentencepiece model is not a regular file: ", model_path));
  }
  absl::StatusOr<std::string> shim_path = FindSpmShim(options);
  if (!shim_path.ok()) return shim_path.status();
  absl::StatusOr<const Shim*> shim = GetShim(*shim_path);
  if (!shim.ok()) return shim.status();

  char* error = nullptr;
  LrbSpm* handle = (*shim)->load(model_path.c_str(), &error);
  if (handle == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid sentencepiece model: ", model_path,
                                                   ": ", TakeError(*shim, error)));
  }
  std::unique_ptr<SentencePieceTokenizer> tokenizer(
      new SentencePieceTokenizer(*shim, handle, model_path, *shim_path));
  tokenizer->vocab_size_ = (*shim)->vocab_size(handle);
  tokenizer->eos_id_ = (*shim)->eos_id(handle);
  tokenizer->pad_id_ = (*shim)->pad_id(handle);
  tokenizer->unk_id_ = (*shim)->unk_id(handle);
  tokenizer->bos_id_ = (*shim)->bos_id(handle);
  tokenizer->special_.resize(tokenizer->vocab_size_);
  for (int id = 0; id < tokenizer->vocab_size_; ++id) {
    const int kind = (*shim)->id_kind(handle, id);
    tokenizer->special_[id] = kind == LRB_SPM_KIND_CONTROL || kind == LRB_SPM_KIND_UNKNOWN;
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int64_t>> SentencePieceTokenizer::Encode(const std::string& text,
                                                                    bool add_eos) const {
  if (text.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text of ", text.size(), " bytes is too long for sentencepiece (", model_path_, ")"));
  }
  if (add_eos && eos_id_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("sentencepiece model has no eos piece to append: ", model_path_));
  }
  int* ids = nullptr;
  size_t num_ids = 0;
  char* error = nullptr;
  if (shim_->encode(static_cast<const LrbSpm*>(handle_), text.data(), text.size(), &ids, &num_ids,
                    &error) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sentencepiece encode failed (", model_path_, "): ", TakeError(shim_, error)));
  }
  ShimBuffer owned{shim_, ids};
  std::vector<int64_t> result(ids, ids + num_ids);
  if (add_eos) result.push_back(eos_id_);
  return result;
}

absl::StatusOr<std::string> SentencePieceTokenizer::Decode(const std::vector<int64_t>& ids) const {
  std::vector<int> kept;
  kept.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    if (id < 0 || id >= vocab_size_) {
      return absl::InvalidArgumentError(absl::StrCat("id ", id, " at position ", i,
                                                     " is outside the vocabulary [0, ", vocab_size_,
                                                     ") of ", model_path_));
    }
    if (!special_[id]) kept.push_back(static_cast<int>(id));
  }
  char* text = nullptr;
  size_t length = 0;
  char* error = nullptr;
  if (shim_->decode(static_cast<const LrbSpm*>(handle_), kept.data(), kept.size(), &text, &length,
                    &error) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sentencepiece decode failed (", model_path_, "): ", TakeError(shim_, error)));
  }
  ShimBuffer owned{shim_, text};
  return std::string(text, length);
}

absl::StatusOr<int64_t> SentencePieceTokenizer::PieceToId(const std::string& piece) const {
  const int id =
      shim_->piece_to_id(static_cast<const LrbSpm*>(handle_), piece.data(), piece.size());
  if (id < 0) {
    return absl::NotFoundError(
        absl::StrCat("piece \"", OneLine(piece), "\" is not in the vocabulary of ", model_path_));
  }
  return id;
}

absl::StatusOr<std::string> SentencePieceTokenizer::IdToPiece(int64_t id) const {
  const char* piece = nullptr;
  size_t length = 0;
  if (id < 0 || id >= vocab_size_ ||
      shim_->id_to_piece(static_cast<const LrbSpm*>(handle_), static_cast<int>(id), &piece,
                         &length) != 0) {
    return absl::OutOfRangeError(absl::StrCat("id ", id, " is outside the vocabulary [0, ",
                                              vocab_size_, ") of ", model_path_));
  }
  return std::string(piece, length);
}

bool SentencePieceTokenizer::IsSpecial(int64_t id) const {
  return id >= 0 && id < vocab_size_ && special_[id];
}

}  // namespace lrb
