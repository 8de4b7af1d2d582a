// Where a model runs: the CPU or a CUDA device, parsed once from its text form ("cpu", "cuda", "cuda:1")
// where it enters (a flag, RunnerOptions) and passed as this type. No LibTorch here: model.cc converts it.
#ifndef LRB_RUNTIME_MODEL_DEVICE_H_
#define LRB_RUNTIME_MODEL_DEVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrb {

struct Device {
  enum class Kind { kCpu, kCuda };
  Kind kind = Kind::kCpu;
  int index = -1;  // cuda:N; -1 when none was named ("cuda": LibTorch's current device)

  bool is_cuda() const { return kind == Kind::kCuda; }
  // "cpu", "cuda" or "cuda:N": exactly the text ParseDevice read (run ids hash it).
  std::string ToString() const;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// "cpu", "cuda" or "cuda:N" (N a decimal without leading zeros); else InvalidArgument
// "unknown device '<text>' (cpu, cuda, cuda:N)". Whether CUDA is available is CheckDevice's (model.h).
absl::StatusOr<Device> ParseDevice(absl::string_view text);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_DEVICE_H_
