// libspm_shim.so: the C interface of spm_shim_api.h over sentencepiece::SentencePieceProcessor.
//
// The only file of the project that includes sentencepiece_processor.h. It must include no abseil
// header: sentencepiece's header defines an `absl::string_view` alias of its own that clashes with
// Debian abseil's. Every entry point catches all exceptions (sentencepiece's bundled protobuf
// throws on failed checks), so nothing but plain C values crosses into the loader.
#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/tokenizers/sentencepiece/spm_shim_api.h"

struct LrbSpm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

// A malloc'ed, NUL-terminated copy of `message` on one line.
char* CopyMessage(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  char* copy = static_cast<char*>(std::malloc(message.size() + 1));
  if (copy != nullptr) std::memcpy(copy, message.c_str(), message.size() + 1);
  return copy;
}

void SetError(char** error, const std::string& message) {
  if (error != nullptr) *error = CopyMessage(message);
}

std::string ExceptionMessage(const char* what) {
  return std::string("sentencepiece raised an exception: ") + (what == nullptr ? "unknown" : what);
}

bool InRange(const LrbSpm* spm, int id) { return id >= 0 && id < spm->processor.GetPieceSize(); }

}  // namespace

extern "C" {

int lrb_spm_abi_version(void) { return LRB_SPM_ABI_VERSION; }

LrbSpm* lrb_spm_load(const char* path, char** error) {
  if (error != nullptr) *error = nullptr;
  if (path == nullptr) {
    SetError(error, "no model path given");
    return nullptr;
  }
  try {
    std::unique_ptr<LrbSpm> spm(new LrbSpm);
    const sentencepiece::util::Status status = spm->processor.Load(std::string_view(path));
    if (!status.ok()) {
      std::string message = status.ToString();
      // sentencepiece reports a failed protobuf parse by quoting its own source line.
      if (message.find("ParseFromArray") != std::string::npos) {
        message = "not a serialized sentencepiece ModelProto (protobuf parse failed)";
      }
      while (!message.empty() && message.back() == ' ') message.pop_back();
      SetError(error, message);
      return nullptr;
    }
    if (spm->processor.GetPieceSize() <= 0) {
      SetError(error, "the model has no pieces");
      return nullptr;
    }
    return spm.release();
  } catch (const std::exception& e) {
    SetError(error, ExceptionMessage(e.what()));
  } catch (...) {
    SetError(error, ExceptionMessage(nullptr));
  }
  return nullptr;
}

void lrb_spm_free(LrbSpm* spm) { delete spm; }

void lrb_spm_free_buffer(void* buffer) { std::free(buffer); }

int lrb_spm_vocab_size(const LrbSpm* spm) { return spm->processor.GetPieceSize(); }

int lrb_spm_unk_id(const LrbSpm* spm) { return spm->processor.unk_id(); }
int lrb_spm_bos_id(const LrbSpm* spm) { return spm->processor.bos_id(); }
int lrb_spm_eos_id(const LrbSpm* spm) { return spm->processor.eos_id(); }
int lrb_spm_pad_id(const LrbSpm* spm) { return spm->processor.pad_id(); }

int lrb_spm_id_kind(const LrbSpm* spm, int id) {
  // IdToPiece and the Is* queries abort in protobuf on an out-of-range id: check first.
  if (!InRange(spm, id)) return LRB_SPM_KIND_OUT_OF_RANGE;
  const sentencepiece::SentencePieceProcessor& p = spm->processor;
  if (p.IsControl(id)) return LRB_SPM_KIND_CONTROL;
  if (p.IsUnknown(id)) return LRB_SPM_KIND_UNKNOWN;
  if (p.IsUnused(id)) return LRB_SPM_KIND_UNUSED;
  if (p.IsByte(id)) return LRB_SPM_KIND_BYTE;
  return LRB_SPM_KIND_NORMAL;
}

int lrb_spm_piece_to_id(const LrbSpm* spm, const char* piece, size_t length) {
  try {
    const std::string_view wanted(piece, length);
    const int id = spm->processor.PieceToId(wanted);
    // sentencepiece answers the unknown id for a piece it does not have.
    if (!InRange(spm, id) || spm->processor.IdToPiece(id) != wanted) return -1;
    return id;
  } catch (...) {
    return -1;
  }
}

int lrb_spm_id_to_piece(const LrbSpm* spm, int id, const char** piece, size_t* length) {
  if (!InRange(spm, id)) return -1;
  try {
    const std::string& found = spm->processor.IdToPiece(id);
    *piece = found.data();
    *length = found.size();
    return 0;
  } catch (...) {
    return -1;
  }
}

int lrb_spm_encode(const LrbSpm* spm, const char* text, size_t length, int** ids, size_t* num_ids,
                   char** error) {
  *ids = nullptr;
  *num_ids = 0;
  if (error != nullptr) *error = nullptr;
  try {
    std::vector<int> encoded;
    const sentencepiece::util::Status status =
        spm->processor.Encode(std::string_view(text, length), &encoded);
    if (!status.ok()) {
      SetError(error, status.ToString());
      return -1;
    }
    if (!encoded.empty()) {
      *ids = static_cast<int*>(std::malloc(encoded.size() * sizeof(int)));
      if (*ids == nullptr) throw std::bad_alloc();
      std::memcpy(*ids, encoded.data(), encoded.size() * sizeof(int));
    }
    *num_ids = encoded.size();
    return 0;
  } catch (const std::exception& e) {
    SetError(error, ExceptionMessage(e.what()));
  } catch (...) {
    SetError(error, ExceptionMessage(nullptr));
  }
  return -1;
}

int lrb_spm_decode(const LrbSpm* spm, const int* ids, size_t num_ids, char** text, size_t* length,
                   char** error) {
  *text = nullptr;
  *length = 0;
  if (error != nullptr) *error = nullptr;
  try {
    std::vector<int> input(ids, ids + num_ids);
    for (size_t i = 0; i < input.size(); ++i) {
      if (!InRange(spm, input[i])) {
        SetError(error, "id " + std::to_string(input[i]) + " at position " + std::to_string(i) +
                            " is outside the vocabulary [0, " +
                            std::to_string(spm->processor.GetPieceSize()) + ")");
        return -1;
      }
    }
    std::string decoded;
    const sentencepiece::util::Status status = spm->processor.Decode(input, &decoded);
    if (!status.ok()) {
      SetError(error, status.ToString());
      return -1;
    }
    *text = static_cast<char*>(std::malloc(decoded.size() + 1));
    if (*text == nullptr) throw std::bad_alloc();
    std::memcpy(*text, decoded.c_str(), decoded.size() + 1);
    *length = decoded.size();
    return 0;
  } catch (const std::exception& e) {
    SetError(error, ExceptionMessage(e.what()));
  } catch (...) {
    SetError(error, ExceptionMessage(nullptr));
  }
  return -1;
}

}  // extern "C"
