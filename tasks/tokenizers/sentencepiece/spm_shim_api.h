// The C interface of libspm_shim.so, the one shared object that links libsentencepiece.
//
// Why a shim: libsentencepiece.so.0 exports its own bundled protobuf-lite and LibTorch links the
// system libprotobuf; both in one process crash (docs: shared/docs/toolchain.md, "Pitfalls seen").
// The shim is dlopen'ed with RTLD_LOCAL | RTLD_DEEPBIND by SentencePieceTokenizer
// (sentencepiece.h), so sentencepiece binds to its own protobuf copy. Only plain C types cross this
// boundary and no exception escapes it.
//
// This header includes neither sentencepiece nor abseil: it is shared by the shim and the loader.
#ifndef LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SPM_SHIM_API_H_
#define LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SPM_SHIM_API_H_

#include <stddef.h>

// Bumped whenever a signature below changes; the loader refuses a shim reporting another version.
#define LRB_SPM_ABI_VERSION 1

// Kinds of vocabulary entries, as reported by lrb_spm_id_kind.
#define LRB_SPM_KIND_OUT_OF_RANGE (-1)
#define LRB_SPM_KIND_NORMAL 0
#define LRB_SPM_KIND_CONTROL 1
#define LRB_SPM_KIND_UNKNOWN 2
#define LRB_SPM_KIND_UNUSED 3
#define LRB_SPM_KIND_BYTE 4

#define LRB_SPM_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

// An opaque loaded model (a sentencepiece::SentencePieceProcessor).
typedef struct LrbSpm LrbSpm;

// Returns LRB_SPM_ABI_VERSION as compiled into the shim.
LRB_SPM_EXPORT int lrb_spm_abi_version(void);

// Loads the model file at `path`. On failure returns NULL and sets *error to a one-line message
// (release it with lrb_spm_free_buffer).
LRB_SPM_EXPORT LrbSpm* lrb_spm_load(const char* path, char** error);

// Releases a model returned by lrb_spm_load (NULL is allowed).
LRB_SPM_EXPORT void lrb_spm_free(LrbSpm* spm);

// Releases a buffer (ids, text or error message) allocated by the shim (NULL is allowed).
LRB_SPM_EXPORT void lrb_spm_free_buffer(void* buffer);

// Number of pieces in the model.
LRB_SPM_EXPORT int lrb_spm_vocab_size(const LrbSpm* spm);

// Special ids of the model; -1 when the model has none.
LRB_SPM_EXPORT int lrb_spm_unk_id(const LrbSpm* spm);
LRB_SPM_EXPORT int lrb_spm_bos_id(const LrbSpm* spm);
LRB_SPM_EXPORT int lrb_spm_eos_id(const LrbSpm* spm);
LRB_SPM_EXPORT int lrb_spm_pad_id(const LrbSpm* spm);

// One of LRB_SPM_KIND_*.
LRB_SPM_EXPORT int lrb_spm_id_kind(const LrbSpm* spm, int id);

// The id of `piece` (`length` bytes, UTF-8), or -1 when the vocabulary has no such piece.
LRB_SPM_EXPORT int lrb_spm_piece_to_id(const LrbSpm* spm, const char* piece, size_t length);

// Points *piece / *length at the piece of `id` (owned by the model, valid while it lives) and
// returns 0; returns -1 when `id` is out of range.
LRB_SPM_EXPORT int lrb_spm_id_to_piece(const LrbSpm* spm, int id, const char** piece,
                                       size_t* length);

// Encodes `length` bytes of UTF-8 text. Returns 0 and sets *ids (release with lrb_spm_free_buffer;
// may be NULL when *num_ids is 0) and *num_ids; on failure returns -1 and sets *error.
LRB_SPM_EXPORT int lrb_spm_encode(const LrbSpm* spm, const char* text, size_t length, int** ids,
                                  size_t* num_ids, char** error);

// Decodes ids (each must be in range) to UTF-8 text. Returns 0 and sets *text (NUL-terminated,
// release with lrb_spm_free_buffer) and *length; on failure returns -1 and sets *error.
LRB_SPM_EXPORT int lrb_spm_decode(const LrbSpm* spm, const int* ids, size_t num_ids, char** text,
                                  size_t* length, char** error);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // LRB_TASKS_TOKENIZERS_SENTENCEPIECE_SPM_SHIM_API_H_
