#ifndef LRB_METHODS_SVD_SVD_H_
#define LRB_METHODS_SVD_SVD_H_

#include <memory>

#include "methods/method.h"

namespace lrb {

// Truncated SVD: W ~ (U_r S_r)(V_r^T). Exact (LAPACK) or randomized solver.
std::unique_ptr<Method> MakeSvdMethod();

}  // namespace lrb

#endif  // LRB_METHODS_SVD_SVD_H_
