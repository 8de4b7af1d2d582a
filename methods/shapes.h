// Shape choices shared by the tensorised formats: splitting a dimension into balanced factors.
#ifndef LRB_METHODS_SHAPES_H_
#define LRB_METHODS_SHAPES_H_

#include <cstdint>
#include <vector>

namespace lrb {

// `parts` factors of n (each >= 1, product n, non-decreasing) that are as even as possible
// (smallest largest factor, then smallest spread): 768 -> {8, 8, 12}, 3072 -> {12, 16, 16}.
// A prime n yields {1, ..., 1, n}.
std::vector<int64_t> BalancedFactors(int64_t n, int parts);

}  // namespace lrb

#endif  // LRB_METHODS_SHAPES_H_
