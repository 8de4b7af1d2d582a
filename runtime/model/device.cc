#include "runtime/model/device.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace lrb {

std::string Device::ToString() const {
  if (kind == Kind::kCpu) return "cpu";
  return index < 0 ? "cuda" : absl::StrCat("cuda:", index);
}

absl::StatusOr<Device> ParseDevice(absl::string_view text) {
  if (text == "cpu") return Device{Device::Kind::kCpu, -1};
  if (text == "cuda") return Device{Device::Kind::kCuda, -1};
  absl::string_view index = text;
  int n = 0;
  // Digits only, no sign and no leading zero, so that ToString gives the text back.
  if (absl::ConsumePrefix(&index, "cuda:") && !index.empty() &&
      std::all_of(index.begin(), index.end(), [](char c) { return absl::ascii_isdigit(c); }) &&
      (index.size() == 1 || index[0] != '0') && absl::SimpleAtoi(index, &n)) {
    return Device{Device::Kind::kCuda, n};
  }
  return absl::InvalidArgumentError(absl::StrFormat("unknown device '%s' (cpu, cuda, cuda:N)", text));
}

}  // namespace lrb
