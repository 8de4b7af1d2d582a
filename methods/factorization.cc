#include "methods/factorization.h"

#include "absl/strings/str_cat.h"
#include "methods/linalg/kashin.h"
#include "methods/linalg/kronecker.h"

namespace lrb {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

int64_t TensorParams(const std::vector<Tensor>& ts) {
  int64_t n = 0;
  for (const Tensor& t : ts) n += t.size();
  return n;
}

NamedArray FloatArray(std::string name, const Matrix& m) {
  return NamedArray{std::move(name), {m.rows(), m.cols()}, RowMajor(m), {}};
}

NamedArray TensorArray(std::string name, const Tensor& t) { return NamedArray{std::move(name), t.shape, t.data, {}}; }

}  // namespace

std::vector<float> RowMajor(const Matrix& m) {
  std::vector<float> out(m.size());
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.data(), m.rows(), m.cols()) = m;
  return out;
}

Matrix FromRowMajor(const float* data, int64_t rows, int64_t cols) {
  return Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(data, rows, cols);
}

std::string_view FormatName(const Factorization& f) {
  return std::visit(Overloaded{
                        [](const Dense&) { return std::string_view("dense"); },
                        [](const LowRank&) { return std::string_view("low_rank"); },
                        [](const LowRankPlusSparse&) { return std::string_view("low_rank_sparse"); },
                        [](const KroneckerSum&) { return std::string_view("kronecker"); },
                        [](const Tucker&) { return std::string_view("tucker"); },
                        [](const TensorTrainMatrix&) { return std::string_view("tensor_train"); },
                        [](const Quantized&) { return std::string_view("quantized"); },
                    },
                    f);
}

std::pair<int64_t, int64_t> MatrixShape(const Factorization& f) {
  return std::visit(
      Overloaded{
          [](const Dense& d) { return std::pair<int64_t, int64_t>{d.w.rows(), d.w.cols()}; },
          [](const LowRank& l) { return std::pair<int64_t, int64_t>{l.left.rows(), l.right.cols()}; },
          [](const LowRankPlusSparse& l) {
            return std::pair<int64_t, int64_t>{l.low_rank.left.rows(), l.low_rank.right.cols()};
          },
          [](const KroneckerSum& k) {
            return std::pair<int64_t, int64_t>{k.a[0].rows() * k.b[0].rows(), k.a[0].cols() * k.b[0].cols()};
          },
          [](const Tucker& t) { return std::pair<int64_t, int64_t>{t.rows, t.cols}; },
          [](const TensorTrainMatrix& t) {
            return std::pair<int64_t, int64_t>{NumElements(t.tt.row_modes), NumElements(t.tt.col_modes)};
          },
          [](const Quantized& q) { return std::pair<int64_t, int64_t>{q.rows, q.cols}; },
      },
      f);
}

int64_t StoredParams(const Factorization& f) {
  return std::visit(Overloaded{
                        [](const Dense& d) -> int64_t { return d.w.size(); },
                        [](const LowRank& l) -> int64_t { return l.left.size() + l.right.size(); },
                        [](const LowRankPlusSparse& l) -> int64_t {
                          return l.low_rank.left.size() + l.low_rank.right.size() + l.sparse_rows.size();
                        },
                        [](const KroneckerSum& k) -> int64_t {
                          int64_t n = 0;
                          for (size_t i = 0; i < k.a.size(); ++i) n += k.a[i].size() + k.b[i].size();
                          return n;
                        },
                        [](const Tucker& t) -> int64_t {
                          int64_t n = t.tucker.core.size();
                          for (const Matrix& u : t.tucker.factors) n += u.size();
                          return n;
                        },
                        [](const TensorTrainMatrix& t) -> int64_t { return TensorParams(t.tt.cores); },
                        [](const Quantized& q) -> int64_t {
                          return static_cast<int64_t>(q.codes.size()) + q.centroids.size();
                        },
                    },
                    f);
}

int64_t StoredBits(const Factorization& f) {
  return std::visit(Overloaded{
                        [](const LowRankPlusSparse& l) -> int64_t {
                          return 32 * (StoredParams(Factorization(l)) + static_cast<int64_t>(l.rows.size()));
                        },
                        [](const Quantized& q) -> int64_t {
                          return static_cast<int64_t>(q.codes.size()) * q.bits + 32 * q.centroids.size() + 64;
                        },
                        [&f](const auto&) -> int64_t { return 32 * StoredParams(f); },
                    },
                    f);
}

Matrix Reconstruct(const Factorization& f) {
  return std::visit(
      Overloaded{
          [](const Dense& d) -> Matrix { return d.w; },
          [](const LowRank& l) -> Matrix { return l.left * l.right; },
          [](const LowRankPlusSparse& l) -> Matrix {
            Matrix w = l.low_rank.left * l.low_rank.right;
            for (size_t k = 0; k < l.rows.size(); ++k) w.row(l.rows[k]) += l.sparse_rows.row(k);
            return w;
          },
          [](const KroneckerSum& k) -> Matrix {
            Matrix w = KroneckerProduct(k.a[0], k.b[0]);
            for (size_t i = 1; i < k.a.size(); ++i) w += KroneckerProduct(k.a[i], k.b[i]);
            return w;
          },
          [](const Tucker& t) -> Matrix {
            const Tensor x = TuckerReconstruct(t.tucker);
            return FromRowMajor(x.data.data(), t.rows, t.cols);
          },
          [](const TensorTrainMatrix& t) -> Matrix { return TtMatrixToDense(t.tt); },
          [](const Quantized& q) -> Matrix {
            Matrix u(q.rows, q.cols), v(q.rows, q.cols);
            for (int64_t i = 0; i < u.size(); ++i) {
              u.data()[i] = q.centroids(0, q.codes[i]);
              v.data()[i] = q.centroids(1, q.codes[i]);
            }
            return KashinCompose(u, v, q.seed);
          },
      },
      f);
}

std::vector<NamedArray> ExportArrays(const Factorization& f) {
  return std::visit(
      Overloaded{
          [](const Dense& d) { return std::vector<NamedArray>{FloatArray("dense.weight", d.w)}; },
          [](const LowRank& l) {
            return std::vector<NamedArray>{FloatArray("low_rank.left", l.left), FloatArray("low_rank.right", l.right)};
          },
          [](const LowRankPlusSparse& l) {
            NamedArray rows{"low_rank_sparse.rows", {static_cast<int64_t>(l.rows.size())}, {}, l.rows};
            return std::vector<NamedArray>{FloatArray("low_rank_sparse.left", l.low_rank.left),
                                           FloatArray("low_rank_sparse.right", l.low_rank.right), rows,
                                           FloatArray("low_rank_sparse.sparse_rows", l.sparse_rows)};
          },
          [](const KroneckerSum& k) {
            std::vector<NamedArray> out;
            for (size_t i = 0; i < k.a.size(); ++i) {
              out.push_back(FloatArray(absl::StrCat("kronecker.a.", i), k.a[i]));
              out.push_back(FloatArray(absl::StrCat("kronecker.b.", i), k.b[i]));
            }
            return out;
          },
          [](const Tucker& t) {
            std::vector<NamedArray> out{TensorArray("tucker.core", t.tucker.core)};
            out.push_back(NamedArray{"tucker.shape", {static_cast<int64_t>(t.shape.size())}, {}, t.shape});
            for (size_t i = 0; i < t.tucker.factors.size(); ++i) {
              out.push_back(FloatArray(absl::StrCat("tucker.factor.", i), t.tucker.factors[i]));
            }
            return out;
          },
          [](const TensorTrainMatrix& t) {
            std::vector<NamedArray> out;
            for (size_t i = 0; i < t.tt.cores.size(); ++i) {
              out.push_back(TensorArray(absl::StrCat("tensor_train.core.", i), t.tt.cores[i]));
            }
            return out;
          },
          [](const Quantized& q) {
            // Codes are stored [rows, cols] row-major like every other array.
            std::vector<int64_t> codes(q.codes.size());
            for (int64_t i = 0; i < q.rows; ++i)
              for (int64_t j = 0; j < q.cols; ++j) codes[i * q.cols + j] = q.codes[j * q.rows + i];
            return std::vector<NamedArray>{
                FloatArray("quantized.centroids", q.centroids),
                NamedArray{"quantized.codes", {q.rows, q.cols}, {}, std::move(codes)},
                NamedArray{"quantized.seed", {1}, {}, {static_cast<int64_t>(q.seed)}},
                NamedArray{"quantized.bits", {1}, {}, {q.bits}}};
          },
      },
      f);
}

}  // namespace lrb
