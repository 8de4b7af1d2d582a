// Models cached under OUT/cache/<kind>/<key>/ (a fine-tuned base model, a distilled backbone): the saved model
// and a DONE file with the seconds it took, keyed by a content hash of what made it.
#ifndef LRB_EXPERIMENT_MODEL_CACHE_H_
#define LRB_EXPERIMENT_MODEL_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "runtime/model/model.h"

namespace lrb {

// A key of a run or cache entry: the first 16 hex digits of the SHA-256 of `text`.
std::string ContentKey(const std::string& text);

// The seconds of the finished entry `dir` (0 when DONE is unreadable), or nullopt when there is none.
std::optional<double> CachedSeconds(const std::string& dir);

// Saves `model` as the entry `dir`: written to a temporary directory and renamed, so a killed run never
// leaves a half-saved model; when another shard finished it first, its entry stays.
absl::Status SaveCached(const Model& model, const std::string& dir, double seconds);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_MODEL_CACHE_H_
