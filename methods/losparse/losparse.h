#ifndef LRB_METHODS_LOSPARSE_LOSPARSE_H_
#define LRB_METHODS_LOSPARSE_LOSPARSE_H_

#include <memory>

#include "methods/method.h"

namespace lrb {

// LoSparse (Li et al., ICML 2023) at the matrix level: the initialisation W ~ U V + S, with U V the
// top-r SVD and S the residual keeping whole rows. Pruning during fine-tuning lives in the harness.
std::unique_ptr<Method> MakeLoSparseMethod();

}  // namespace lrb

#endif  // LRB_METHODS_LOSPARSE_LOSPARSE_H_
