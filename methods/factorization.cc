#include "methods/factorization.h"

#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

double RelativeError(const Matrix& w, const Matrix& w_hat) {
  const double error = (w.cast<double>() - w_hat.cast<double>()).norm();
  const double norm = w.cast<double>().norm();
  if (norm == 0) return error == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return error / norm;
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
            out.push_back(NamedArray{"tucker.rows", {1}, {}, {t.rows}});
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

namespace lrb {
namespace {

// Arrays by name, with typed, shape-checked access.
class ArrayTable {
 public:
  explicit ArrayTable(const std::vector<NamedArray>& arrays) {
    for (const NamedArray& a : arrays) by_name_[a.name] = &a;
  }
  bool Has(const std::string& name) const { return by_name_.count(name) > 0; }
  absl::StatusOr<const NamedArray*> Get(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return absl::InvalidArgumentError(absl::StrFormat("missing array '%s'", name));
    used_.insert(name);
    return it->second;
  }
  absl::StatusOr<Matrix> GetMatrix(const std::string& name) const {
    absl::StatusOr<const NamedArray*> a = Get(name);
    if (!a.ok()) return a.status();
    if ((*a)->shape.size() != 2 || static_cast<int64_t>((*a)->values.size()) != NumElements((*a)->shape)) {
      return absl::InvalidArgumentError(absl::StrFormat("array '%s' is not a float matrix", name));
    }
    return FromRowMajor((*a)->values.data(), (*a)->shape[0], (*a)->shape[1]);
  }
  absl::StatusOr<Tensor> GetTensor(const std::string& name) const {
    absl::StatusOr<const NamedArray*> a = Get(name);
    if (!a.ok()) return a.status();
    if (static_cast<int64_t>((*a)->values.size()) != NumElements((*a)->shape)) {
      return absl::InvalidArgumentError(absl::StrFormat("array '%s' is not a float tensor", name));
    }
    Tensor t((*a)->shape);
    t.data = (*a)->values;
    return t;
  }
  absl::StatusOr<std::vector<int64_t>> GetInts(const std::string& name) const {
    absl::StatusOr<const NamedArray*> a = Get(name);
    if (!a.ok()) return a.status();
    if (static_cast<int64_t>((*a)->ints.size()) != NumElements((*a)->shape)) {
      return absl::InvalidArgumentError(absl::StrFormat("array '%s' is not an integer array", name));
    }
    return (*a)->ints;
  }
  absl::Status CheckAllUsed() const {
    for (const auto& [name, a] : by_name_) {
      if (!used_.count(name)) return absl::InvalidArgumentError(absl::StrFormat("unexpected array '%s'", name));
    }
    return absl::OkStatus();
  }

 private:
  std::map<std::string, const NamedArray*> by_name_;
  mutable std::set<std::string> used_;
};

#define LRB_ASSIGN(lhs, expr)              \
  auto lhs##_or = (expr);                  \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

absl::StatusOr<Factorization> Import(const ArrayTable& t) {
  if (t.Has("dense.weight")) {
    LRB_ASSIGN(w, t.GetMatrix("dense.weight"));
    return Factorization(Dense{std::move(w)});
  }
  if (t.Has("low_rank.left")) {
    LRB_ASSIGN(left, t.GetMatrix("low_rank.left"));
    LRB_ASSIGN(right, t.GetMatrix("low_rank.right"));
    if (left.cols() != right.rows()) return absl::InvalidArgumentError("low_rank.left and .right ranks differ");
    return Factorization(LowRank{std::move(left), std::move(right)});
  }
  if (t.Has("low_rank_sparse.left")) {
    LRB_ASSIGN(left, t.GetMatrix("low_rank_sparse.left"));
    LRB_ASSIGN(right, t.GetMatrix("low_rank_sparse.right"));
    LRB_ASSIGN(rows, t.GetInts("low_rank_sparse.rows"));
    LRB_ASSIGN(sparse, t.GetMatrix("low_rank_sparse.sparse_rows"));
    if (left.cols() != right.rows() || sparse.rows() != static_cast<int64_t>(rows.size()) ||
        sparse.cols() != right.cols()) {
      return absl::InvalidArgumentError("low_rank_sparse arrays have inconsistent shapes");
    }
    for (int64_t r : rows) {
      if (r < 0 || r >= left.rows()) return absl::InvalidArgumentError(absl::StrFormat("sparse row %d out of range", r));
    }
    return Factorization(LowRankPlusSparse{{std::move(left), std::move(right)}, std::move(rows), std::move(sparse)});
  }
  if (t.Has("kronecker.a.0")) {
    KroneckerSum k;
    for (int i = 0; t.Has(absl::StrCat("kronecker.a.", i)); ++i) {
      LRB_ASSIGN(a, t.GetMatrix(absl::StrCat("kronecker.a.", i)));
      LRB_ASSIGN(b, t.GetMatrix(absl::StrCat("kronecker.b.", i)));
      if (i > 0 && (a.rows() != k.a[0].rows() || a.cols() != k.a[0].cols() || b.rows() != k.b[0].rows() ||
                    b.cols() != k.b[0].cols())) {
        return absl::InvalidArgumentError(absl::StrFormat("kronecker term %d has other factor shapes", i));
      }
      k.a.push_back(std::move(a));
      k.b.push_back(std::move(b));
    }
    return Factorization(std::move(k));
  }
  if (t.Has("tucker.core")) {
    Tucker tk;
    LRB_ASSIGN(core, t.GetTensor("tucker.core"));
    LRB_ASSIGN(shape, t.GetInts("tucker.shape"));
    tk.tucker.core = std::move(core);
    tk.shape = std::move(shape);
    if (tk.shape.size() != tk.tucker.core.shape.size()) return absl::InvalidArgumentError("tucker.shape and core orders differ");
    for (size_t i = 0; i < tk.shape.size(); ++i) {
      LRB_ASSIGN(u, t.GetMatrix(absl::StrCat("tucker.factor.", i)));
      if (u.rows() != tk.shape[i] || u.cols() != tk.tucker.core.shape[i]) {
        return absl::InvalidArgumentError(absl::StrFormat("tucker.factor.%d has the wrong shape", i));
      }
      tk.tucker.factors.push_back(std::move(u));
    }
    // The matrix shape is not stored separately: rows * cols = prod shape, rows the product of the leading
    // modes up to the split recorded in tucker.rows.
    LRB_ASSIGN(rows, t.GetInts("tucker.rows"));
    if (rows.size() != 1 || rows[0] < 1 || NumElements(tk.shape) % rows[0] != 0) {
      return absl::InvalidArgumentError("tucker.rows does not divide the tensor");
    }
    tk.rows = rows[0];
    tk.cols = NumElements(tk.shape) / rows[0];
    return Factorization(std::move(tk));
  }
  if (t.Has("tensor_train.core.0")) {
    TensorTrainMatrix tt;
    for (int i = 0; t.Has(absl::StrCat("tensor_train.core.", i)); ++i) {
      LRB_ASSIGN(core, t.GetTensor(absl::StrCat("tensor_train.core.", i)));
      if (core.shape.size() != 4) return absl::InvalidArgumentError(absl::StrFormat("tensor_train.core.%d is not 4-D", i));
      if (i > 0 && core.shape[0] != tt.tt.cores.back().shape[3]) {
        return absl::InvalidArgumentError(absl::StrFormat("tensor_train.core.%d does not chain", i));
      }
      tt.tt.row_modes.push_back(core.shape[1]);
      tt.tt.col_modes.push_back(core.shape[2]);
      tt.tt.cores.push_back(std::move(core));
    }
    return Factorization(std::move(tt));
  }
  if (t.Has("quantized.codes")) {
    Quantized q;
    LRB_ASSIGN(centroids, t.GetMatrix("quantized.centroids"));
    LRB_ASSIGN(codes, t.GetInts("quantized.codes"));
    LRB_ASSIGN(seed, t.GetInts("quantized.seed"));
    LRB_ASSIGN(bits, t.GetInts("quantized.bits"));
    LRB_ASSIGN(codes_array, t.Get("quantized.codes"));
    if (codes_array->shape.size() != 2 || seed.size() != 1 || bits.size() != 1 || centroids.rows() != 2 ||
        bits[0] < 1 || bits[0] > 16 || centroids.cols() != (int64_t{1} << bits[0])) {
      return absl::InvalidArgumentError("quantized arrays have inconsistent shapes");
    }
    q.rows = codes_array->shape[0];
    q.cols = codes_array->shape[1];
    q.bits = static_cast<int>(bits[0]);
    q.seed = static_cast<uint64_t>(seed[0]);
    q.centroids = std::move(centroids);
    q.codes.resize(codes.size());
    for (int64_t i = 0; i < q.rows; ++i) {
      for (int64_t j = 0; j < q.cols; ++j) {
        const int64_t c = codes[i * q.cols + j];
        if (c < 0 || c >= q.centroids.cols()) return absl::InvalidArgumentError(absl::StrFormat("code %d out of range", c));
        q.codes[j * q.rows + i] = static_cast<uint16_t>(c);
      }
    }
    return Factorization(std::move(q));
  }
  return absl::InvalidArgumentError("no factorization arrays (dense, low_rank, low_rank_sparse, kronecker, tucker, tensor_train, quantized)");
}

#undef LRB_ASSIGN

}  // namespace

absl::StatusOr<Factorization> ImportArrays(const std::vector<NamedArray>& arrays) {
  ArrayTable table(arrays);
  absl::StatusOr<Factorization> f = Import(table);
  if (!f.ok()) return f;
  if (absl::Status s = table.CheckAllUsed(); !s.ok()) return s;
  return f;
}

}  // namespace lrb
