#ifndef LRB_METHODS_ADA_TUCKER_ADA_TUCKER_H_
#define LRB_METHODS_ADA_TUCKER_ADA_TUCKER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "methods/method.h"

namespace lrb {

// ADA-Tucker (Zhong et al., Neural Networks 2019) at the matrix level: W reshaped into a balanced
// order-d tensor, in Tucker form from HOSVD + HOOI. With --shared_core=1 (SCADA-Tucker) the layers of one
// CompressLayers call share one core, fitted jointly (FitSharedCoreTucker). End-to-end training lives in
// the harness.
std::unique_ptr<Method> MakeAdaTuckerMethod();

// The tensor shape a [rows, cols] weight is reshaped into: `order` / 2 balanced factors of rows, then
// the rest of cols (modes of size 1 dropped), e.g. 768 x 3072, order 6 -> [8, 8, 12, 12, 16, 16].
std::vector<int64_t> AdaTuckerShape(int64_t rows, int64_t cols, int order);

}  // namespace lrb

#endif  // LRB_METHODS_ADA_TUCKER_ADA_TUCKER_H_
