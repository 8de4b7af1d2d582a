// The stored forms of one compressed weight matrix W [out, in] (Hugging Face layout, y = x W^T + b).
// Every format answers the same questions: its shape, the parameters and bits it stores, the dense
// reconstruction W_hat, and the named arrays it is saved as. The kernels in runtime/kernels execute them.
#ifndef LRB_METHODS_FACTORIZATION_H_
#define LRB_METHODS_FACTORIZATION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/linalg/tensor_train.h"
#include "methods/linalg/tucker.h"
#include "methods/linalg/types.h"

namespace lrb {

// The uncompressed weight.
struct Dense {
  Matrix w;  // [out, in]
};

// W ~ left * right: two linear maps in -> r -> out.
struct LowRank {
  Matrix left;   // [out, r]
  Matrix right;  // [r, in]
};

// W ~ left * right + S where S keeps whole rows (output neurons): S[rows[k], :] = sparse_rows.row(k).
struct LowRankPlusSparse {
  LowRank low_rank;
  std::vector<int64_t> rows;  // kept row indices, increasing
  Matrix sparse_rows;         // [rows.size(), in]
};

// W ~ sum_i A_i (x) B_i with A_i [m1, n1], B_i [m2, n2], out = m1 m2, in = n1 n2.
struct KroneckerSum {
  std::vector<Matrix> a;
  std::vector<Matrix> b;
};

// W reshaped row-major into a tensor of shape tucker.core's mode sizes given by `shape`
// (prod shape = out * in), held in Tucker form.
struct Tucker {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> shape;
  TuckerTensor tucker;
};

// W as a TT matrix (see TtMatrix).
struct TensorTrainMatrix {
  TtMatrix tt;
};

// Kashin quantization: W ~ U_q + Q1 V_q Q2^T with Q1, Q2 regenerated from `seed` and every pair
// (U_q[i,j], V_q[i,j]) replaced by one of 2^bits centroids.
struct Quantized {
  int64_t rows = 0;
  int64_t cols = 0;
  int bits = 0;
  uint64_t seed = 0;
  Matrix centroids;             // [2, 2^bits]: row 0 the U value, row 1 the V value
  std::vector<uint16_t> codes;  // [rows * cols], column-major, each < 2^bits
};

using Factorization =
    std::variant<Dense, LowRank, LowRankPlusSparse, KroneckerSum, Tucker, TensorTrainMatrix, Quantized>;

// "dense", "low_rank", "low_rank_sparse", "kronecker", "tucker", "tensor_train", "quantized".
std::string_view FormatName(const Factorization& f);

// {out, in} of the matrix the factorization stands for.
std::pair<int64_t, int64_t> MatrixShape(const Factorization& f);

// Numbers stored (floats, and codes for the quantized format; row indices are not parameters).
int64_t StoredParams(const Factorization& f);

// Bits stored: 32 per float, `bits` per code, 32 per row index, 64 for a seed.
int64_t StoredBits(const Factorization& f);

// Dense W_hat [out, in].
Matrix Reconstruct(const Factorization& f);

// ||W - W_hat||_F / ||W||_F, summed in double so that weights of any float magnitude (1e30, denormals) give the
// true ratio instead of inf/inf or 0/0 (float squares overflow above about 1e19 and underflow below 1e-19);
// 0 when both are zero, infinity when only W is.
double RelativeError(const Matrix& w, const Matrix& w_hat);

// The arrays a factorization is saved as, named by format (e.g. "low_rank.left"), row-major.
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;   // for float arrays
  std::vector<int64_t> ints;   // for index/code arrays (values empty)
};
std::vector<NamedArray> ExportArrays(const Factorization& f);

// The inverse of ExportArrays: the factorization those arrays store. Missing, extra or mis-shaped arrays
// are errors naming the array.
absl::StatusOr<Factorization> ImportArrays(const std::vector<NamedArray>& arrays);

// Row-major copy of a column-major matrix, and back.
std::vector<float> RowMajor(const Matrix& m);
Matrix FromRowMajor(const float* data, int64_t rows, int64_t cols);

}  // namespace lrb

#endif  // LRB_METHODS_FACTORIZATION_H_
