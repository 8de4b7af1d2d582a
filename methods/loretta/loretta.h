#ifndef LRB_METHODS_LORETTA_LORETTA_H_
#define LRB_METHODS_LORETTA_LORETTA_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "methods/method.h"

namespace lrb {

// LoRETTA (Yang et al., NAACL 2024) at the matrix level: a weight as a tensor-train matrix (TT-SVD).
// The adapters (LoRETTA_rep, LoRETTA_adp) train such matrices inside the harness.
std::unique_ptr<Method> MakeLorettaMethod();

// Bond ranks capped at the largest useful value, min(prod_{i<=k} m_i n_i, prod_{i>k} m_i n_i, cap).
std::vector<int64_t> CappedTtRanks(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes,
                                   int64_t cap);

}  // namespace lrb

#endif  // LRB_METHODS_LORETTA_LORETTA_H_
