#ifndef LRB_METHODS_KASHIN_KASHIN_H_
#define LRB_METHODS_KASHIN_KASHIN_H_

#include <memory>

#include "methods/method.h"

namespace lrb {

// Kashin quantization (seed 002; MerkulovDaniil/kquantize): W ~ U + Q1 V Q2^T with small infinity norms,
// then one 2-D k-means over the pairs (U_ij, V_ij) with 2^bits centroids.
std::unique_ptr<Method> MakeKashinMethod();

}  // namespace lrb

#endif  // LRB_METHODS_KASHIN_KASHIN_H_
