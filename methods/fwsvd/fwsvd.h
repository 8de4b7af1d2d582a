#ifndef LRB_METHODS_FWSVD_FWSVD_H_
#define LRB_METHODS_FWSVD_FWSVD_H_

#include <memory>

#include "methods/method.h"

namespace lrb {

// Fisher-weighted SVD (Hsu et al., ICLR 2022): rank-r SVD of W diag(d), d_j = sqrt(sum_i I_ij).
std::unique_ptr<Method> MakeFwsvdMethod();

}  // namespace lrb

#endif  // LRB_METHODS_FWSVD_FWSVD_H_
