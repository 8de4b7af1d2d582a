// The compress stage (implied by a row with a method): the row's method on its linears. CompressModelLinears
// is that step on any model, shared with `lrbench compress`.
#ifndef LRB_EXPERIMENT_STAGES_COMPRESS_H_
#define LRB_EXPERIMENT_STAGES_COMPRESS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "methods/budget.h"
#include "tasks/encode.h"

namespace lrb {

// One compression of a model's linears: a method with its budget and options on the linears matching `linears`
// (Model::LinearNames patterns).
struct LinearsCompressionSpec {
  std::string method;
  Budget budget;
  std::map<std::string, std::string> options;
  std::vector<std::string> linears;
  int64_t statistics_examples = 512;  // the first N train examples, when the method needs statistics
  bool trainable = false;             // the factors require gradients (a re-fine-tuning follows)
};

struct LinearsCompression {
  std::vector<LinearReplacement> layers;  // in the order replaced
  int64_t shared_core_freed = 0;          // numbers ShareTuckerCore freed (the shared core is stored once)
  size_t shared_core_layers = 0;          // layers sharing that core (0 when none)
  // Over `layers`: the dense parameters, the parameters and bits stored (a shared core counted once), and the
  // mean of the layers' relative errors.
  int64_t params_before = 0, params_after = 0, bits_after = 0;
  double mean_rel_error = 0;
  double statistics_seconds = 0, compression_seconds = 0;
};

// Collects the statistics the method declares (Method::Needs: CollectStatistics over the first
// `statistics_examples` of `train`, which the model's head must fit), then replaces the matching linears
// (Model::ReplaceLinears), every matching weight at once for methods that compress jointly, tying shared
// Tucker cores (Model::ShareTuckerCore). Errors name the method or the layer.
absl::StatusOr<LinearsCompression> CompressModelLinears(Model& model, const std::vector<Example>& train,
                                                        const LinearsCompressionSpec& spec,
                                                        const ProgressSink& progress);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_COMPRESS_H_
