#include "methods/registry.h"

#include <memory>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {

#define LRB_METHOD(factory) std::unique_ptr<Method> factory();
#include "methods/methods.inc"
#undef LRB_METHOD

const std::vector<const Method*>& AllMethods() {
  static const std::vector<const Method*>* methods = [] {
    auto* list = new std::vector<const Method*>;
#define LRB_METHOD(factory) list->push_back(factory().release());
#include "methods/methods.inc"
#undef LRB_METHOD
    return list;
  }();
  return *methods;
}

absl::StatusOr<const Method*> FindMethod(std::string_view id) {
  std::vector<std::string> ids;
  for (const Method* m : AllMethods()) {
    if (m->Id() == id) return m;
    ids.emplace_back(m->Id());
  }
  return absl::NotFoundError(absl::StrFormat("unknown method '%s' (known: %s)", id, absl::StrJoin(ids, ", ")));
}

}  // namespace lrb
