#ifndef LRB_METHODS_KRONECKER_KRONECKER_H_
#define LRB_METHODS_KRONECKER_KRONECKER_H_

#include <cstdint>
#include <memory>
#include <utility>

#include "methods/method.h"

namespace lrb {

// KroneckerBERT (Tahaei et al., arXiv 2109.06243) at the matrix level: W ~ sum_i A_i (x) B_i, initialised
// by the nearest Kronecker sum. Distillation lives in the harness.
std::unique_ptr<Method> MakeKroneckerMethod();

// The factor shape (m1, n1) with m1 | out, n1 | in that minimises the parameters of one term,
// m1 n1 + (out/m1)(in/n1); ties go to the smaller m1.
std::pair<int64_t, int64_t> CheapestKroneckerShape(int64_t out, int64_t in);

}  // namespace lrb

#endif  // LRB_METHODS_KRONECKER_KRONECKER_H_
