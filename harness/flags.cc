#include "harness/flags.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace lrb {

absl::StatusOr<Flags> Flags::Parse(int argc, char** argv, int first) {
  Flags flags;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(absl::StrFormat("unexpected argument '%s' (flags look like --name=value)", arg));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (flags.values_.count(name)) {
      return absl::InvalidArgumentError(absl::StrFormat("flag --%s given twice", name));
    }
    flags.values_[name] = eq == std::string::npos ? "true" : arg.substr(eq + 1);
  }
  return flags;
}

std::optional<std::string> Flags::Take(const std::string& name) {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  std::string v = it->second;
  values_.erase(it);
  return v;
}

absl::StatusOr<bool> Flags::TakeBool(const std::string& name) {
  std::optional<std::string> v = Take(name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return absl::InvalidArgumentError(absl::StrFormat("flag --%s=%s: expected true or false", name, *v));
}

template <typename T>
absl::Status Flags::TakeNumber(const std::string& name, T* value, double at_least) {
  std::optional<std::string> text = Take(name);
  if (!text) return absl::OkStatus();
  constexpr bool kInteger = std::is_integral_v<T>;
  T v{};
  bool ok = false;
  if constexpr (kInteger) {
    ok = absl::SimpleAtoi(*text, &v);
  } else {
    ok = absl::SimpleAtod(*text, &v) && std::isfinite(v);
  }
  if (ok && static_cast<double>(v) >= at_least) {
    *value = v;
    return absl::OkStatus();
  }
  const std::string bound = at_least > -kUnbounded ? absl::StrFormat(" >= %g", at_least) : "";
  return absl::InvalidArgumentError(
      absl::StrFormat("--%s=%s: expected %s%s", name, *text, kInteger ? "an integer" : "a finite number", bound));
}

template absl::Status Flags::TakeNumber<int>(const std::string&, int*, double);
template absl::Status Flags::TakeNumber<int64_t>(const std::string&, int64_t*, double);
template absl::Status Flags::TakeNumber<uint64_t>(const std::string&, uint64_t*, double);
template absl::Status Flags::TakeNumber<double>(const std::string&, double*, double);

std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || dir == nullptr || *dir == '\0') return path;
  return std::string(dir) + "/" + path;
}

}  // namespace lrb
