// The explicit list of compression methods (methods.inc), in a fixed order.
#ifndef LRB_METHODS_REGISTRY_H_
#define LRB_METHODS_REGISTRY_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/method.h"

namespace lrb {

// Every registered method, in methods.inc order. Built once; lives for the process.
const std::vector<const Method*>& AllMethods();

// The method with this id, or NotFound listing the known ids.
absl::StatusOr<const Method*> FindMethod(std::string_view id);

}  // namespace lrb

#endif  // LRB_METHODS_REGISTRY_H_
