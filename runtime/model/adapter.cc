#include "runtime/model/adapter.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"

namespace lrb {

absl::Status CheckAdapterOptions(const AdapterOptions& o) {
  if (o.kind != "lora" && o.kind != "bottleneck") {
    return absl::InvalidArgumentError(absl::StrFormat("adapter kind '%s': expected lora or bottleneck", o.kind));
  }
  if (o.rank < 1) return absl::InvalidArgumentError(absl::StrFormat("adapter rank %d: expected >= 1", o.rank));
  if (!std::isfinite(o.alpha) || o.alpha <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat("adapter alpha %g: expected > 0", o.alpha));
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("adapter dropout %g: expected in [0, 1)", o.dropout));
  }
  if (o.tt_rank < 0) return absl::InvalidArgumentError(absl::StrFormat("adapter tt_rank %d: expected >= 0", o.tt_rank));
  if (o.tt_rank > 0 && (o.tt_order < 2 || o.tt_order > 8)) {
    return absl::InvalidArgumentError(absl::StrFormat("adapter tt_order %d: expected 2 to 8", o.tt_order));
  }
  return absl::OkStatus();
}

nlohmann::json AdapterOptionsToJson(const AdapterOptions& o) {
  return {{"kind", o.kind}, {"rank", o.rank}, {"alpha", o.alpha}, {"dropout", o.dropout},
          {"tt_rank", o.tt_rank}, {"tt_order", o.tt_order}};
}

}  // namespace lrb
