#include "methods/linalg/tensor_train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

using ConstMap = Eigen::Map<const Matrix>;
using MutableMap = Eigen::Map<Matrix>;

// TtReconstruct, TtMatrixToDense, TtMatrixApply and TtMatrixParams return plain values, so a caller's
// shape mistake cannot come back as a Status; it is a programming error, and reading past a buffer
// would be worse than stopping. (assert() would vanish under --compilation_mode=opt.)
void CheckOrDie(bool ok, const std::string& message) {
  if (ok) return;
  std::fprintf(stderr, "lrb::tensor_train: %s\n", message.c_str());
  std::abort();
}

// Leading `rank` left singular vectors U [rows, rank] of the row-major matrix A [rows, cols] whose
// buffer is given as the column-major map a_t = A^T [cols, rows]; rank <= min(rows, cols). A short,
// wide A (the usual TT unfolding) goes through the rows x rows Gram A A^T = a_t^T a_t and ssyevd:
// squaring loses accuracy only on the small singular values (eigenvalue error ~ eps * sigma_1^2),
// which truncation discards. A tall A takes the thin SVD instead, the cheaper of the two there.
absl::StatusOr<Matrix> LeadingLeftSingularVectors(const ConstMap& a_t, int64_t rank) {
  const int64_t rows = a_t.cols(), cols = a_t.rows();
  if (rows <= cols) {
    Matrix gram(rows, rows);
    gram.noalias() = a_t.transpose() * a_t;
    absl::StatusOr<SymmetricEigen> eig = EigenSymmetric(gram);
    if (eig.ok()) return Matrix(eig->vectors.leftCols(rank));
    // ssyevd can fail where sgesdd does not (LAPACKE's single-precision workspace query rounds LWORK
    // down once rows >~ 2900; the Gram of huge entries can overflow): fall through to the SVD.
  }
  // A^T = U' S V'^T  =>  A = V' S U'^T: the left vectors of A are the right vectors of a_t.
  absl::StatusOr<Svd> svd = ExactSvd(Matrix(a_t));
  if (!svd.ok()) return svd.status();
  return Matrix(svd->vt.topRows(rank).transpose());
}

// Validates a shape and its d - 1 rank caps; `what` names the shape in messages.
absl::Status ValidateModesAndCaps(const std::vector<int64_t>& shape, const std::vector<int64_t>& max_ranks,
                                  std::string_view what) {
  if (shape.empty()) return absl::InvalidArgumentError(absl::StrFormat("%s has no modes", what));
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s [%s] has mode %d of size %d", what, absl::StrJoin(shape, ", "), k, shape[k]));
    }
  }
  if (max_ranks.size() + 1 != shape.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d TT rank caps [%s] for %d modes [%s]; a tensor train of order d has d - 1 bond ranks", max_ranks.size(),
        absl::StrJoin(max_ranks, ", "), shape.size(), absl::StrJoin(shape, ", ")));
  }
  for (size_t k = 0; k < max_ranks.size(); ++k) {
    if (max_ranks[k] < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("TT rank cap %d of bond %d is below 1 (caps [%s])", max_ranks[k], k + 1,
                          absl::StrJoin(max_ranks, ", ")));
    }
  }
  return absl::OkStatus();
}

// Flat offsets of the TT-matrix permutation W[i, j] -> T[(i_1 j_1), ..., (i_d j_d)] with the fused
// mode index i_k * n_k + j_k, T row-major: offset(i, j) = row_offset[i] + col_offset[j], where
// row_offset[i] = sum_k i_k n_k S_k, col_offset[j] = sum_k j_k S_k and S_k = prod_{l > k} m_l n_l.
struct Permutation {
  std::vector<int64_t> row_offset;  // [m]
  std::vector<int64_t> col_offset;  // [n]
};

Permutation TtMatrixPermutation(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes) {
  const int d = static_cast<int>(row_modes.size());
  std::vector<int64_t> stride(d, 1);
  for (int k = d - 2; k >= 0; --k) stride[k] = stride[k + 1] * row_modes[k + 1] * col_modes[k + 1];
  Permutation p;
  p.row_offset.assign(NumElements(row_modes), 0);
  p.col_offset.assign(NumElements(col_modes), 0);
  // Peel the digits off i (i_d fastest), as a row-major reshape of W's row index.
  for (int64_t i = 0; i < static_cast<int64_t>(p.row_offset.size()); ++i) {
    int64_t rest = i, off = 0;
    for (int k = d - 1; k >= 0; --k) {
      off += (rest % row_modes[k]) * col_modes[k] * stride[k];
      rest /= row_modes[k];
    }
    p.row_offset[i] = off;
  }
  for (int64_t j = 0; j < static_cast<int64_t>(p.col_offset.size()); ++j) {
    int64_t rest = j, off = 0;
    for (int k = d - 1; k >= 0; --k) {
      off += (rest % col_modes[k]) * stride[k];
      rest /= col_modes[k];
    }
    p.col_offset[j] = off;
  }
  return p;
}

// A TT matrix's cores must chain: core k is [r_{k-1}, m_k, n_k, r_k] with r_0 = r_d = 1.
void CheckTtMatrix(const TtMatrix& tt) {
  const size_t d = tt.cores.size();
  CheckOrDie(d >= 1 && tt.row_modes.size() == d && tt.col_modes.size() == d,
             absl::StrFormat("TT matrix has %d cores, %d row modes and %d column modes", d, tt.row_modes.size(),
                             tt.col_modes.size()));
  int64_t r = 1;
  for (size_t k = 0; k < d; ++k) {
    const Tensor& g = tt.cores[k];
    CheckOrDie(g.order() == 4 && g.shape[0] == r && g.shape[1] == tt.row_modes[k] && g.shape[2] == tt.col_modes[k] &&
                   (k + 1 < d || g.shape[3] == 1) && g.size() == NumElements(g.shape),
               absl::StrFormat("TT matrix core %d has shape [%s]; expected [%d, %d, %d, %s]", k,
                               absl::StrJoin(g.shape, ", "), r, tt.row_modes[k], tt.col_modes[k],
                               k + 1 < d ? "r" : "1"));
    r = g.shape[3];
  }
}

}  // namespace

absl::StatusOr<TensorTrain> TtSvd(const Tensor& x, const std::vector<int64_t>& max_ranks) {
  if (absl::Status s = ValidateModesAndCaps(x.shape, max_ranks, "tensor shape"); !s.ok()) return s;
  if (x.size() != NumElements(x.shape)) {
    return absl::InvalidArgumentError(absl::StrFormat("tensor of shape [%s] holds %d values, not %d",
                                                      absl::StrJoin(x.shape, ", "), x.size(), NumElements(x.shape)));
  }
  for (int64_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x.data[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tensor to decompose has a non-finite value (%g) at flat index %d", x.data[i], i));
    }
  }
  // Oseledets (2011), Alg. 1: sweep left to right; at step k the remainder C, reshaped row-major to
  // [r_{k-1} n_k, n_{k+1} ... n_d], is split by a truncated SVD into the core U [r_{k-1}, n_k, r_k]
  // and the new remainder U^T C = S V^T [r_k, n_{k+1} ... n_d] (U orthonormal, so the projection
  // keeps C's leading singular directions and the errors of the steps add in squares, Thm. 2.2).
  const int d = x.order();
  TensorTrain tt;
  tt.cores.reserve(d);
  std::vector<float> c = x.data;
  int64_t r_prev = 1;
  for (int k = 0; k + 1 < d; ++k) {
    const int64_t rows = r_prev * x.shape[k];
    const int64_t cols = static_cast<int64_t>(c.size()) / rows;
    // The unfolding's rank is at most min(rows, cols): a larger cap would only add zero singular values.
    const int64_t r = std::min({max_ranks[k], rows, cols});
    const ConstMap c_t(c.data(), cols, rows);  // row-major C [rows, cols] == column-major C^T
    absl::StatusOr<Matrix> u = LeadingLeftSingularVectors(c_t, r);  // [rows, r]
    if (!u.ok()) return u.status();
    Tensor core({r_prev, x.shape[k], r});
    MutableMap(core.data.data(), r, rows) = u->transpose();  // row-major [rows, r] == column-major U^T
    tt.cores.push_back(std::move(core));
    // Next remainder U^T C [r, cols], row-major == column-major C^T U [cols, r].
    std::vector<float> next(cols * r);
    MutableMap(next.data(), cols, r).noalias() = c_t * *u;
    c = std::move(next);
    r_prev = r;
  }
  Tensor last({r_prev, x.shape[d - 1], 1});
  last.data = std::move(c);  // [r_{d-1}, n_d] row-major, already the last core's layout
  tt.cores.push_back(std::move(last));
  return tt;
}

Tensor TtReconstruct(const TensorTrain& tt) {
  CheckOrDie(!tt.cores.empty(), "tensor train has no cores");
  std::vector<int64_t> shape;
  // P = G_1 ... G_k as a row-major [n_1 ... n_k, r_k] matrix; each step is one GEMM
  // P [p, r] G_{k+1} [r, n_{k+1} r_{k+1}], written column-major as G^T P^T.
  std::vector<float> p = {1.0f};
  int64_t rows = 1, r = 1;
  for (size_t k = 0; k < tt.cores.size(); ++k) {
    const Tensor& g = tt.cores[k];
    CheckOrDie(g.order() == 3 && g.shape[0] == r && (k + 1 < tt.cores.size() || g.shape[2] == 1) &&
                   g.size() == NumElements(g.shape),
               absl::StrFormat("TT core %d has shape [%s]; expected [%d, n, %s]", k, absl::StrJoin(g.shape, ", "), r,
                               k + 1 < tt.cores.size() ? "r" : "1"));
    const int64_t width = g.shape[1] * g.shape[2];
    std::vector<float> next(rows * width);
    MutableMap(next.data(), width, rows).noalias() =
        ConstMap(g.data.data(), width, r) * ConstMap(p.data(), r, rows);
    p = std::move(next);
    rows *= g.shape[1];
    r = g.shape[2];
    shape.push_back(g.shape[1]);
  }
  Tensor x(shape);
  x.data = std::move(p);
  return x;
}

absl::StatusOr<TtMatrix> TtMatrixFromDense(const Matrix& w, const std::vector<int64_t>& row_modes,
                                           const std::vector<int64_t>& col_modes,
                                           const std::vector<int64_t>& max_ranks) {
  if (row_modes.size() != col_modes.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("%d row modes [%s] but %d column modes [%s]", row_modes.size(),
                                                      absl::StrJoin(row_modes, ", "), col_modes.size(),
                                                      absl::StrJoin(col_modes, ", ")));
  }
  if (absl::Status s = ValidateModesAndCaps(row_modes, max_ranks, "row modes"); !s.ok()) return s;
  if (absl::Status s = ValidateModesAndCaps(col_modes, max_ranks, "column modes"); !s.ok()) return s;
  if (NumElements(row_modes) != w.rows() || NumElements(col_modes) != w.cols()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "row modes [%s] and column modes [%s] multiply to %dx%d, but the matrix is %dx%d",
        absl::StrJoin(row_modes, ", "), absl::StrJoin(col_modes, ", "), NumElements(row_modes), NumElements(col_modes),
        w.rows(), w.cols()));
  }
  if (absl::Status s = CheckFinite(w, "matrix to decompose"); !s.ok()) return s;
  // Oseledets (2011), TT matrices: W is a TT matrix of ranks r exactly when the tensor
  // T[(i_1 j_1), ..., (i_d j_d)] with fused modes m_k n_k is a tensor train of ranks r.
  const int d = static_cast<int>(row_modes.size());
  std::vector<int64_t> fused(d);
  for (int k = 0; k < d; ++k) fused[k] = row_modes[k] * col_modes[k];
  Tensor t(fused);
  const Permutation perm = TtMatrixPermutation(row_modes, col_modes);
  for (int64_t j = 0; j < w.cols(); ++j) {
    float* dst = t.data.data() + perm.col_offset[j];
    for (int64_t i = 0; i < w.rows(); ++i) dst[perm.row_offset[i]] = w(i, j);
  }
  absl::StatusOr<TensorTrain> train = TtSvd(t, max_ranks);
  if (!train.ok()) return train.status();
  TtMatrix out;
  out.row_modes = row_modes;
  out.col_modes = col_modes;
  out.cores.reserve(d);
  for (int k = 0; k < d; ++k) {
    Tensor& g = train->cores[k];  // [r_{k-1}, m_k n_k, r_k] == [r_{k-1}, m_k, n_k, r_k] row-major
    g.shape = {g.shape[0], row_modes[k], col_modes[k], g.shape[2]};
    out.cores.push_back(std::move(g));
  }
  return out;
}

Matrix TtMatrixToDense(const TtMatrix& tt) {
  CheckTtMatrix(tt);
  TensorTrain train;
  train.cores.reserve(tt.cores.size());
  for (const Tensor& g : tt.cores) {
    Tensor fused = g;
    fused.shape = {g.shape[0], g.shape[1] * g.shape[2], g.shape[3]};
    train.cores.push_back(std::move(fused));
  }
  const Tensor t = TtReconstruct(train);
  const Permutation perm = TtMatrixPermutation(tt.row_modes, tt.col_modes);
  Matrix w(NumElements(tt.row_modes), NumElements(tt.col_modes));
  for (int64_t j = 0; j < w.cols(); ++j) {
    const float* src = t.data.data() + perm.col_offset[j];
    for (int64_t i = 0; i < w.rows(); ++i) w(i, j) = src[perm.row_offset[i]];
  }
  return w;
}

Matrix TtMatrixApply(const TtMatrix& tt, const Matrix& x) {
  CheckTtMatrix(tt);
  const int d = static_cast<int>(tt.cores.size());
  const int64_t n = NumElements(tt.col_modes), m = NumElements(tt.row_modes), tokens = x.rows();
  CheckOrDie(x.cols() == n, absl::StrFormat("TT matrix with column modes [%s] takes inputs of width %d, got %dx%d",
                                            absl::StrJoin(tt.col_modes, ", "), n, x.rows(), x.cols()));
  if (tokens == 0) return Matrix(0, m);
  // Y[t, i] = sum_j W[i, j] X[t, j], one core at a time as in the TT-layer forward pass (Novikov et al.
  // 2015). Before core k the state Z is row-major [j_{k+1} .. j_d, t, i_1 .. i_{k-1}, r_{k-1}, j_k]: the
  // two indices core k contracts are the fastest, so the step is one GEMM, Z [rows, r_{k-1} n_k] times
  // the core rearranged to [r_{k-1} n_k, m_k r_k]. That leaves [j_{k+1} .. j_d, t, i_1 .. i_k, r_k];
  // moving j_{k+1} from the front to the back (a plain 2-D transpose) sets up core k + 1.
  // X is column-major [t, n], i.e. row-major [j_1, j_2 .. j_d, t]; rotate j_1 to the back (r_0 = 1).
  Matrix z = ConstMap(x.data(), tokens * n / tt.col_modes[0], tt.col_modes[0]).transpose();
  for (int k = 0; k < d; ++k) {
    const Tensor& g = tt.cores[k];
    const int64_t r = g.shape[0], mk = g.shape[1], nk = g.shape[2], s = g.shape[3];
    // gp [(i, s), (r, j)] = G[r, i, j, s], column-major.
    Matrix gp(mk * s, r * nk);
    for (int64_t a = 0; a < r; ++a) {
      for (int64_t i = 0; i < mk; ++i) {
        for (int64_t j = 0; j < nk; ++j) {
          const float* src = g.data.data() + ((a * mk + i) * nk + j) * s;
          for (int64_t b = 0; b < s; ++b) gp(i * s + b, a * nk + j) = src[b];
        }
      }
    }
    const int64_t rows = z.size() / (r * nk);
    // Row-major Z [rows, r n_k] is column-major [r n_k, rows]; the product is row-major [rows, m_k r_k].
    Matrix out(mk * s, rows);
    out.noalias() = gp * ConstMap(z.data(), r * nk, rows);
    if (k + 1 == d) {
      // Row-major [t, i_1 .. i_d] (r_d = 1) is column-major [m, t]: Y = its transpose.
      return Matrix(ConstMap(out.data(), m, tokens).transpose());
    }
    // Row-major [n_{k+1}, q] -> row-major [q, n_{k+1}]: column-major [q, n_{k+1}] transposed.
    const int64_t next_n = tt.col_modes[k + 1];
    z = ConstMap(out.data(), out.size() / next_n, next_n).transpose();
  }
  return Matrix();  // unreachable: the loop returns at k = d - 1
}

std::vector<int64_t> TtRanks(const TtMatrix& tt) {
  std::vector<int64_t> ranks;
  for (size_t k = 0; k + 1 < tt.cores.size(); ++k) ranks.push_back(tt.cores[k].shape.back());
  return ranks;
}

int64_t TtMatrixParams(const std::vector<int64_t>& row_modes, const std::vector<int64_t>& col_modes,
                       const std::vector<int64_t>& ranks) {
  CheckOrDie(!row_modes.empty() && row_modes.size() == col_modes.size() && ranks.size() + 1 == row_modes.size(),
             absl::StrFormat("TT parameter count needs d row modes, d column modes and d - 1 ranks; "
                             "got [%s], [%s], [%s]",
                             absl::StrJoin(row_modes, ", "), absl::StrJoin(col_modes, ", "),
                             absl::StrJoin(ranks, ", ")));
  int64_t params = 0;
  for (size_t k = 0; k < row_modes.size(); ++k) {
    const int64_t left = k == 0 ? 1 : ranks[k - 1];
    const int64_t right = k + 1 == row_modes.size() ? 1 : ranks[k];
    params += left * row_modes[k] * col_modes[k] * right;
  }
  return params;
}

}  // namespace lrb
