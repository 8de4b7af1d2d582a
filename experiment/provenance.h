// Provenance of a run: where the code, data and checkpoint came from, and what ran them.
#ifndef LRB_EXPERIMENT_PROVENANCE_H_
#define LRB_EXPERIMENT_PROVENANCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/device.h"
#include "experiment/record.h"

namespace lrb {

// Version of the run semantics: part of every cache key, bumped when a change alters what a run
// computes (so cached models and records made before it are not reused).
inline constexpr char kRunnerVersion[] = "lrbench-run-2";

// Git SHA and dirty flag of `workspace` ("unknown" when it is not a git checkout), UTC date, host, CPU model,
// GPU name (nvidia-smi, when `device` is CUDA), LibTorch version and threads, compiler and Abseil versions.
Provenance CollectProvenance(const std::string& workspace, const Device& device);

// SHA-256 of a file (of a directory: of its sorted list of files and sizes), remembered per (path, size,
// mtime) for the life of the process.
absl::StatusOr<FileHash> HashFile(const std::string& path);

// A checkpoint directory's identity: the hash of its config.json and weight files (model.safetensors, or
// the sharded index and every shard, or pytorch_model.bin).
absl::StatusOr<FileHash> HashCheckpoint(const std::string& dir);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_PROVENANCE_H_
