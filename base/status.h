// Status helpers shared by every layer (abseil's Status is the error type throughout).
#ifndef LRB_BASE_STATUS_H_
#define LRB_BASE_STATUS_H_

#include "absl/status/status.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define LRB_RETURN_IF_ERROR(expr)      \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (false)

#endif  // LRB_BASE_STATUS_H_
