// A Hugging Face checkpoint loaded into the LibTorch runtime. This header hides LibTorch: inputs and
// outputs are safetensors-style host tensors, so callers build without torch headers.
#ifndef LRB_RUNTIME_MODEL_MODEL_H_
#define LRB_RUNTIME_MODEL_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/safetensors.h"
#include "runtime/model/adapter.h"
#include "runtime/model/config.h"
#include "runtime/model/device.h"
#include "methods/factorization.h"

namespace lrb {

struct LoadOptions {
  Device device;                         // the CPU unless a CUDA device is named
  std::optional<HeadKind> head;          // override the config's architecture (e.g. a classifier on an MLM)
  std::optional<int64_t> num_labels;     // with head = kSequenceClassification
  uint64_t seed = 0;                     // initialisation of heads the checkpoint lacks
  // How linear layers run inference (no gradients) on the CPU: "onednn" (runtime/kernels/onednn_linear.h,
  // the faster backend in //runtime/kernels:linear_benchmark) or "libtorch". Training and CUDA always use
  // LibTorch ops.
  std::string kernels = "onednn";
};

// OK for "onednn" and "libtorch"; else InvalidArgument "unknown kernels '<value>' (onednn, libtorch)".
absl::Status CheckKernels(const std::string& kernels);
// OK for the CPU, and for a CUDA device when CUDA is available; else the error Load would give for it.
absl::Status CheckDevice(const Device& device);

// What loading did with the checkpoint's keys.
struct LoadReport {
  std::vector<std::string> initialised;  // head parameters the checkpoint lacks (newly initialised)
  // Checkpoint tensors (by their names in the file) the model does not use: `unused` those transformers also
  // leaves out without an error (heads of other tasks: MLM, NSP, a pooler; position_ids buffers; T5 v1.0's
  // extra relative bias; IsOptionalCheckpointTensor), `unexpected` any other.
  std::vector<std::string> unused;
  std::vector<std::string> unexpected;
  std::string Summary() const;  // one line: "initialised: ...; unused: ...; unexpected: ..."
};

// What ReplaceLinears did to one layer.
struct LinearReplacement {
  std::string name;    // module name, e.g. "bert.encoder.layer.0.attention.self.query"
  std::string format;  // FormatName of the factorization
  int64_t params_before = 0;
  int64_t params_after = 0;
  int64_t bits_after = 0;  // StoredBits of the factorization (32 per float, `bits` per code): the dense layer stores 32 * params_before
  double rel_error = 0;  // ||W - W_hat||_F / ||W||_F
};

// Turns one weight [out, in] into its stored form (a compression method, usually).
using LinearCompressor = std::function<absl::StatusOr<Factorization>(const std::string& name, const Matrix& weight)>;

struct ForwardOptions {
  int64_t generate = 0;         // T5: generate this many tokens ("greedy_generate", or "beam_generate")
  int64_t min_new_tokens = 0;   // suppress EOS for this many generated tokens
  int64_t num_beams = 1;        // > 1: beam search instead of greedy decoding
  double length_penalty = 1.0;  // beam scores are sum(log p) / length^length_penalty
};

// What the LibTorch runtime runs on, for run records.
struct RuntimeInfo {
  std::string libtorch;  // version
  int threads = 0;       // intra-op threads
  bool cuda = false;     // `device` is a CUDA device and one is available
};
RuntimeInfo GetRuntimeInfo(const Device& device);

// Sets LibTorch's intra-op threads: `threads` when > 0, else $OMP_NUM_THREADS when set, else every core
// (Debian's LibTorch starts with one thread). Returns the count in effect.
int ConfigureThreads(int threads);

class Model {
 public:
  // Loads DIR/config.json and DIR/model.safetensors (or the sharded index, or a pytorch_model.bin in
  // torch.save's zip format: runtime/model/torch_checkpoint.h). Checkpoint names are mapped as transformers
  // maps them (checkpoint_names.h: LayerNorm gamma/beta, a missing or extra base-model prefix, T5's tied
  // embeddings); tensors the model does not use are listed in report(). Missing encoder weights (the first few
  // named; a checkpoint sharing no name with the model lists what was expected and what was found), shape
  // mismatches, a weight or saved factor with NaN or inf values, an unknown model_type or an unreadable file
  // are errors naming the key or file.
  // Every parameter of the loaded model requires gradients, compressed factors and adapters included
  // (quantized codes never train); SetTrainable narrows that.
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& dir, const LoadOptions& options = {});

  // A randomly initialised model of this configuration (weights N(0, 0.02), biases 0, norms 1, as
  // Hugging Face initialises BERT), for benchmarks and tests that need a shape, not a checkpoint.
  static absl::StatusOr<std::unique_ptr<Model>> Create(const ModelConfig& config, const LoadOptions& options = {});
  ~Model();

  const ModelConfig& config() const;
  const LoadReport& report() const;

  // Reads input_ids, attention_mask, token_type_ids (optional), decoder_input_ids (T5, optional),
  // all I64 [batch, seq]; returns embedding_output and last_hidden_state (encoders) or
  // encoder_last_hidden_state (T5), logits (when the model has a head) and greedy_generate (when asked),
  // float32. Evaluation mode, no gradients.
  absl::StatusOr<SafetensorsFile> Forward(const SafetensorsFile& inputs, const ForwardOptions& options = {});

  // Writes DIR/config.json (the loaded config, with the current head's architecture and label count)
  // and DIR/model.safetensors (float32), so that Load(DIR) gives the same model; with compressed layers the
  // config is config.h's kFactoredModelType wrapper and the weights' "format" metadata is not "pt", so that
  // transformers refuses the directory instead of initialising those layers at random. Refuses an existing
  // model.safetensors unless `overwrite`.
  absl::Status Save(const std::string& dir, bool overwrite) const;

  // Names of the linear layers matching `pattern`, in model order. '*' matches any characters within one
  // dot-separated segment ("bert.encoder.layer.*.attention.self.query"), '**' any characters at all
  // ("bert.encoder.**"); "" matches every linear.
  std::vector<std::string> LinearNames(const std::string& pattern) const;

  // Model surgery: every matching linear's weight goes through `compress` and the layer then executes
  // the factorization (bias unchanged); factors train when `trainable`. Refuses a pattern matching
  // nothing. Compressed layers survive Save/Load (stored as the factorization's arrays).
  absl::StatusOr<std::vector<LinearReplacement>> ReplaceLinears(const std::string& pattern,
                                                               const LinearCompressor& compress, bool trainable);

  // The same for the token-embedding tables ("bert.embeddings.word_embeddings"; BERT, RoBERTa and
  // DistilBERT): the compressor sees the table [vocab, hidden] as a weight [out, in], and lookups then read
  // rows of the factorization (a one-row-B Kronecker sum without forming the table). A tied MLM decoder
  // uses the reconstruction.
  absl::StatusOr<std::vector<LinearReplacement>> ReplaceEmbeddings(const std::string& pattern,
                                                                  const LinearCompressor& compress, bool trainable);
  // SCADA-Tucker: the Tucker layers `names` (at least two, each compressed to a core of one shape) then
  // compute with the first one's core, one parameter trained and saved once (Save lists the sharing in the
  // file's metadata, Load restores it); the other layers' own cores are dropped. Returns the numbers freed.
  // A name that is not a Tucker linear, or a core shape that differs, is InvalidArgument naming it.
  absl::StatusOr<int64_t> ShareTuckerCore(const std::vector<std::string>& names);
  // The dense weights [out, in] of the linears matching `pattern` (LinearNames syntax), in model order: the
  // reconstruction for compressed layers. Refuses a pattern matching nothing.
  absl::StatusOr<std::vector<std::pair<std::string, Matrix>>> LinearWeights(const std::string& pattern);

  // Copies the values of `from`'s parameters whose names match `pattern` (the LinearNames syntax over
  // parameter names, e.g. "classifier.**") into the same-named parameters of this model; returns how many.
  // A name this model lacks or a shape that differs is InvalidArgument naming it.
  absl::StatusOr<int> CopyParametersFrom(Model& from, const std::string& pattern);

  // Attaches an adapter to every linear matching `pattern` (LinearNames syntax); its parameters train,
  // the rest of the model keeps its requires_grad until SetTrainable. Adapters survive Save/Load (the
  // options are listed in the file's metadata). Refuses a pattern matching nothing, a layer that already has
  // one, and bad options. Returns how many layers got one.
  absl::StatusOr<int> AddAdapters(const std::string& pattern, const AdapterOptions& options);
  // Freezes every parameter except the adapters' and those whose names match one of `patterns`
  // (CopyParametersFrom's syntax); a pattern matching no parameter is InvalidArgument naming it. Returns
  // TrainableParameterCount().
  absl::StatusOr<int64_t> SetTrainable(const std::vector<std::string>& patterns);
  // Numbers in the parameters that require gradients (what the optimiser updates).
  int64_t TrainableParameterCount() const;
  // Numbers stored in all parameters (compressed layers count their factors, adapters theirs).
  int64_t ParameterCount() const;

  // The LibTorch state, for the training code of runtime/model (opaque elsewhere).
  struct Impl;
  Impl& internals() { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_MODEL_H_
