// Tensor trains (Oseledets 2011): TT-SVD of a dense tensor, and TT matrices.
#ifndef LRB_METHODS_LINALG_TENSOR_TRAIN_H_
#define LRB_METHODS_LINALG_TENSOR_TRAIN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

// X[i_1, ..., i_d] = G_1[:, i_1, :] G_2[:, i_2, :] ... G_d[:, i_d, :], core k of shape
// [r_{k-1}, n_k, r_k] (row-major), r_0 = r_d = 1.
struct TensorTrain {
  std::vector<Tensor> cores;
};

// TT-SVD (Oseledets 2011, Alg. 1) with the bond ranks capped at max_ranks[k] (d - 1 entries, each >= 1;
// a cap above the unfolding's rank is lowered to it).
absl::StatusOr<TensorTrain> TtSvd(const Tensor& x, const std::vector<int64_t>& max_ranks);

// Dense tensor from a tensor train.
Tensor TtReconstruct(const TensorTrain& tt);

// A TT matrix: W [m, n] with m = prod row_modes, n = prod col_modes; core k has shape
// [r_{k-1}, m_k, n_k, r_k] and W[(i_1..i_d), (j_1..j_d)] = prod_k G_k[:, i_k, j_k, :]
// (row index i_1 slowest, as a row-major reshape of W).
struct TtMatrix {
  std::vector<int64_t> row_modes;
  std::vector<int64_t> col_modes;
  std::vector<Tensor> cores;  // each [r_{k-1}, m_k, n_k, r_k]
};

// TT-SVD of W permuted to the tensor with modes (m_k * n_k); ranks capped as in TtSvd.
absl::StatusOr<TtMatrix> TtMatrixFromDense(const Matrix& w, const std::vector<int64_t>& row_modes,
                                           const std::vector<int64_t>& col_modes,
                                           const std::vector<int64_t>& max_ranks);

// Dense W [m, n].
Matrix TtMatrixToDense(const TtMatrix& tt);

// Y = X W^T for a batch X [tokens, n] without forming W: contracts the cores one at a time.
Matrix TtMatrixApply(const TtMatrix& tt, const Matrix& x);

// Bond ranks r_1..r_{d-1} of a TT matrix, and its parameter count sum_k r_{k-1} m_k n_k r_k.
std::vector<int64_t> TtRanks(const TtMatrix& tt);
int64_t TtMatrixParams(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes,
                       const std::vector<int64_t>& ranks);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_TENSOR_TRAIN_H_
