// Parameter-efficient fine-tuning modules (LoRA, bottleneck adapters, their tensor-train forms of LoRETTA)
// as plain options: Model::AddAdapters attaches them, LinearImpl runs them.
#ifndef LRB_RUNTIME_MODEL_ADAPTER_H_
#define LRB_RUNTIME_MODEL_ADAPTER_H_

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"

namespace lrb {

// A parameter-efficient fine-tuning module attached to one linear layer y = W x + b of a frozen model.
//   "lora" (Hu et al. 2021), on the layer's input: y = W x + b + (alpha / rank) B A dropout(x), A [rank, in]
//     (PyTorch's default Linear initialisation), B [out, rank] zero, no biases.
//   "bottleneck" (Houlsby et al. 2019), on the layer's output: y' = y + U relu(D y + d) + u, D [rank, out]
//     (PyTorch's default Linear initialisation), U [out, rank] and both biases zero.
// Either starts as the identity (the model computes what it computed before). tt_rank > 0 makes A and B
// (D and U) tensor-train matrices with `tt_order` cores over balanced factors of each dimension and bond
// ranks capped at tt_rank (LoRETTA, Yang et al. 2024): cores Gaussian, scaled so that the reconstructed
// matrix has the dense initialisation's standard deviation, the last core of B (U) zero.
struct AdapterOptions {
  std::string kind = "lora";  // "lora" or "bottleneck"
  int64_t rank = 8;           // LoRA's r, or the bottleneck's width
  double alpha = 16;          // LoRA only
  double dropout = 0;         // LoRA only: on the adapter's input while training
  int64_t tt_rank = 0;
  int tt_order = 3;
  uint64_t seed = 0;          // initialisation
};
// One line naming the bad field, or OK.
absl::Status CheckAdapterOptions(const AdapterOptions& options);
// The options but the seed as a JSON object (kind, rank, alpha, dropout, tt_rank, tt_order): what a saved
// model's metadata and a run's spec record.
nlohmann::json AdapterOptionsToJson(const AdapterOptions& options);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_ADAPTER_H_
