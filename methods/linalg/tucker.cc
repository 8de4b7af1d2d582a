#include "methods/linalg/tucker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <Eigen/Eigenvalues>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "methods/linalg/svd.h"

namespace lrb {
namespace {

// Unfold, ModeProduct and TuckerReconstruct return plain values, so a caller's shape mistake cannot
// come back as a Status; it is a programming error, and reading past a buffer would be worse than
// stopping. (assert() would vanish under --compilation_mode=opt, which every target here uses.)
void CheckOrDie(bool ok, const std::string& message) {
  if (ok) return;
  std::fprintf(stderr, "lrb::tucker: %s\n", message.c_str());
  std::abort();
}

// Row-major [outer, n_k, inner] view of a tensor around `mode`: outer = prod_{j<k} n_j,
// inner = prod_{j>k} n_j. Every mode-k operation below is a loop over `outer` slabs, each a
// row-major [n_k, inner] matrix, i.e. a column-major [inner, n_k] one that Eigen maps without copying.
struct ModeSplit {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
};

ModeSplit SplitAt(const Tensor& x, int mode) {
  CheckOrDie(mode >= 0 && mode < x.order(),
             absl::StrFormat("mode %d is outside [0, %d) for a tensor of order %d", mode, x.order(), x.order()));
  CheckOrDie(x.size() == NumElements(x.shape),
             absl::StrFormat("tensor of shape [%s] holds %d values, not %d", absl::StrJoin(x.shape, ", "), x.size(),
                             NumElements(x.shape)));
  ModeSplit s;
  for (int j = 0; j < mode; ++j) s.outer *= x.shape[j];
  s.n = x.shape[mode];
  for (int j = mode + 1; j < x.order(); ++j) s.inner *= x.shape[j];
  return s;
}

using ConstMap = Eigen::Map<const Matrix>;
using MutableMap = Eigen::Map<Matrix>;

// A fully shaped, finite tensor with one rank per mode, each in [1, n_k].
absl::Status ValidateTuckerInput(const Tensor& x, const std::vector<int64_t>& ranks) {
  if (x.order() == 0) return absl::InvalidArgumentError("Tucker decomposition of a tensor with no modes");
  for (int k = 0; k < x.order(); ++k) {
    if (x.shape[k] < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tensor shape [%s] has mode %d of size %d", absl::StrJoin(x.shape, ", "), k, x.shape[k]));
    }
  }
  if (x.size() != NumElements(x.shape)) {
    return absl::InvalidArgumentError(absl::StrFormat("tensor of shape [%s] holds %d values, not %d",
                                                      absl::StrJoin(x.shape, ", "), x.size(), NumElements(x.shape)));
  }
  if (static_cast<int>(ranks.size()) != x.order()) {
    return absl::InvalidArgumentError(absl::StrFormat("%d Tucker ranks [%s] for a tensor of order %d (shape [%s])",
                                                      ranks.size(), absl::StrJoin(ranks, ", "), x.order(),
                                                      absl::StrJoin(x.shape, ", ")));
  }
  for (int k = 0; k < x.order(); ++k) {
    if (ranks[k] < 1 || ranks[k] > x.shape[k]) {
      return absl::InvalidArgumentError(absl::StrFormat("Tucker rank %d of mode %d is outside [1, %d] (shape [%s])",
                                                        ranks[k], k, x.shape[k], absl::StrJoin(x.shape, ", ")));
    }
  }
  for (int64_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x.data[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tensor to decompose has a non-finite value (%g) at flat index %d", x.data[i], i));
    }
  }
  return absl::OkStatus();
}

// Leading `rank` left singular vectors of a [n, cols] matrix. When n <= cols (the usual unfolding,
// short and wide) they are the top eigenvectors of the n x n Gram A A^T: one GEMM plus a small
// ssyevd instead of an SVD of the wide matrix. Squaring costs accuracy only on the small singular
// values (eigenvalue error ~ eps * sigma_1^2), which truncation discards anyway. A tall matrix with
// enough columns goes to the thin SVD, which is then the cheaper of the two.
absl::StatusOr<Matrix> LeadingLeftSingularVectors(const Matrix& a, int64_t rank) {
  if (a.rows() <= a.cols() || rank > a.cols()) {
    // rank > cols needs this path: the Gram's null-space eigenvectors complete an orthonormal basis.
    Matrix gram(a.rows(), a.rows());
    gram.noalias() = a * a.transpose();
    absl::StatusOr<SymmetricEigen> eig = EigenSymmetric(gram);
    if (eig.ok()) return Matrix(eig->vectors.leftCols(rank));
    // ssyevd can fail where sgesdd does not (LAPACKE's single-precision workspace query rounds LWORK
    // down once n >~ 2900; the Gram of huge entries can overflow): the SVD is slower but still exact.
    if (rank > std::min(a.rows(), a.cols())) return eig.status();
  }
  absl::StatusOr<Svd> svd = ExactSvd(a);
  if (!svd.ok()) return svd.status();
  return Matrix(svd->u.leftCols(rank));
}

// X x_j U_j^T for every j != skip (skip = -1: every mode), i.e. the projection of X onto the factor
// subspaces. Modes with the largest shrink n_j / r_j go first so later products see smaller tensors.
Tensor ProjectAllBut(const Tensor& x, const std::vector<Matrix>& factors, int skip) {
  std::vector<int> order;
  for (int j = 0; j < x.order(); ++j) {
    if (j != skip) order.push_back(j);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return static_cast<double>(factors[a].rows()) / factors[a].cols() >
           static_cast<double>(factors[b].rows()) / factors[b].cols();
  });
  Tensor y = x;
  for (int j : order) y = ModeProduct(y, factors[j].transpose(), j);
  return y;
}

double FrobeniusNorm(const Tensor& t) {
  return static_cast<double>(ConstMap(t.data.data(), t.size(), 1).norm());
}

}  // namespace

Matrix Unfold(const Tensor& x, int mode) {
  const ModeSplit s = SplitAt(x, mode);
  // Column index of X_(k) = a * inner + b for slab a, in-slab position b: the remaining indices in
  // their original (row-major) order.
  // Last mode: X is row-major [outer, n_k] == column-major [n_k, outer], already X_(k).
  if (s.inner == 1) return ConstMap(x.data.data(), s.n, s.outer);
  Matrix out(s.n, s.outer * s.inner);
  for (int64_t a = 0; a < s.outer; ++a) {
    // Slab a: row-major [n_k, inner] == column-major [inner, n_k]; its transpose is the block of X_(k).
    out.middleCols(a * s.inner, s.inner) = ConstMap(x.data.data() + a * s.n * s.inner, s.inner, s.n).transpose();
  }
  return out;
}

Tensor ModeProduct(const Tensor& x, const Matrix& m, int mode) {
  const ModeSplit s = SplitAt(x, mode);
  CheckOrDie(m.cols() == s.n, absl::StrFormat("mode-%d product needs a matrix with %d columns, got %dx%d", mode, s.n,
                                              m.rows(), m.cols()));
  std::vector<int64_t> shape = x.shape;
  shape[mode] = m.rows();
  Tensor y(shape);
  const int64_t p = m.rows();
  if (s.inner == 1) {
    // Last mode: X is a row-major [outer, n_k] matrix == column-major [n_k, outer]; Y = M X in one GEMM.
    MutableMap(y.data.data(), p, s.outer).noalias() = m * ConstMap(x.data.data(), s.n, s.outer);
    return y;
  }
  // Y[a, :, b] = M X[a, :, b]: with slab a seen as column-major [inner, n_k] (X_a^T), Y_a^T = X_a^T M^T.
  for (int64_t a = 0; a < s.outer; ++a) {
    MutableMap(y.data.data() + a * p * s.inner, s.inner, p).noalias() =
        ConstMap(x.data.data() + a * s.n * s.inner, s.inner, s.n) * m.transpose();
  }
  return y;
}

Tensor TuckerReconstruct(const TuckerTensor& t) {
  CheckOrDie(static_cast<int>(t.factors.size()) == t.core.order(),
             absl::StrFormat("Tucker form has %d factors for a core of order %d", t.factors.size(), t.core.order()));
  // Expand the modes that grow least first (smallest n_k / r_k), keeping the intermediates small.
  std::vector<int> order(t.core.order());
  for (int k = 0; k < t.core.order(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return static_cast<double>(t.factors[a].rows()) / t.factors[a].cols() <
           static_cast<double>(t.factors[b].rows()) / t.factors[b].cols();
  });
  Tensor x = t.core;
  for (int k : order) x = ModeProduct(x, t.factors[k], k);
  return x;
}

absl::StatusOr<TuckerTensor> Hosvd(const Tensor& x, const std::vector<int64_t>& ranks) {
  if (absl::Status s = ValidateTuckerInput(x, ranks); !s.ok()) return s;
  // De Lathauwer et al. (2000), "A multilinear SVD", Thm. 2 / truncated form: U_k spans the leading
  // left singular subspace of X_(k), and G = X x_1 U_1^T ... x_d U_d^T.
  TuckerTensor t;
  t.factors.reserve(x.order());
  for (int k = 0; k < x.order(); ++k) {
    absl::StatusOr<Matrix> u = LeadingLeftSingularVectors(Unfold(x, k), ranks[k]);
    if (!u.ok()) return u.status();
    t.factors.push_back(*std::move(u));  // [n_k, r_k]
  }
  t.core = ProjectAllBut(x, t.factors, /*skip=*/-1);  // [r_1, ..., r_d]
  return t;
}

absl::StatusOr<TuckerTensor> Hooi(const Tensor& x, const std::vector<int64_t>& ranks, int max_iterations,
                                  double tolerance) {
  if (max_iterations < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("HOOI max_iterations is %d; it must be >= 0", max_iterations));
  }
  if (!(std::isfinite(tolerance) && tolerance >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat("HOOI tolerance is %g; it must be finite and >= 0", tolerance));
  }
  absl::StatusOr<TuckerTensor> t = Hosvd(x, ranks);
  if (!t.ok()) return t.status();
  // De Lathauwer, De Moor & Vandewalle (2000), "On the best rank-(R1,...,RN) approximation", Sec. 4.
  // With orthonormal factors ||X - X_hat||^2 = ||X||^2 - ||G||^2 (ibid.), so each
  // factor update that maximises ||G|| with the others fixed can only lower the error: U_k is the
  // leading left singular subspace of Y_(k), Y = X x_{j != k} U_j^T [.., r_j, .., n_k, .., r_j, ..].
  double fit = FrobeniusNorm(t->core);
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    Tensor y;
    for (int k = 0; k < x.order(); ++k) {
      y = ProjectAllBut(x, t->factors, k);
      absl::StatusOr<Matrix> u = LeadingLeftSingularVectors(Unfold(y, k), ranks[k]);
      if (!u.ok()) return u.status();
      t->factors[k] = *std::move(u);
    }
    // The last Y already carries every other projection: one more mode product gives the core.
    t->core = ModeProduct(y, t->factors[x.order() - 1].transpose(), x.order() - 1);
    const double new_fit = FrobeniusNorm(t->core);
    const bool converged = std::abs(new_fit - fit) <= tolerance * std::max(fit, 1e-30);
    fit = new_fit;
    if (converged) break;
  }
  return t;
}

namespace {

double Dot(const Tensor& a, const Tensor& b) {
  using VecMap = Eigen::Map<const Eigen::VectorXf>;
  return VecMap(a.data.data(), a.size()).cast<double>().dot(VecMap(b.data.data(), b.size()).cast<double>());
}

// G x_j M_j for every j != skip (skip = -1: every mode).
Tensor MultiplyAllBut(const Tensor& g, const std::vector<Matrix>& ms, int skip) {
  Tensor y = g;
  for (int j = 0; j < g.order(); ++j) {
    if (j != skip) y = ModeProduct(y, ms[j], j);
  }
  return y;
}

// The elementwise sum of tensors of one shape.
Tensor SumOf(const std::vector<Tensor>& ts) {
  Tensor out(ts[0].shape);
  for (const Tensor& t : ts) MutableMap(out.data.data(), out.size(), 1) += ConstMap(t.data.data(), t.size(), 1);
  return out;
}

// The Gram matrices U_k^T U_k of one tensor's factors.
std::vector<Matrix> Grams(const std::vector<Matrix>& u) {
  std::vector<Matrix> out;
  for (const Matrix& f : u) out.push_back(f.transpose() * f);
  return out;
}

// The initial shared core: the unit G maximising sum_l <C_l, G>^2 over the HOSVD projections C_l (the
// leading left singular vector of [vec C_1 ... vec C_L], from their L x L Gram) and the scales
// s_l = <C_l, G>, folded into U_1^(l).
absl::Status InitialSharedCore(const std::vector<Tensor>& projections, SharedCoreTucker* t) {
  const int64_t l_count = static_cast<int64_t>(projections.size());
  const int64_t n = projections[0].size();
  Eigen::MatrixXd c(n, l_count);
  for (int64_t l = 0; l < l_count; ++l) c.col(l) = ConstMap(projections[l].data.data(), n, 1).cast<double>();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c.transpose() * c);
  if (eig.info() != Eigen::Success) return absl::InternalError("shared Tucker core: no eigendecomposition of the projections' Gram");
  Eigen::VectorXd g = c * eig.eigenvectors().col(l_count - 1);  // ascending eigenvalues: the last is the largest
  if (!(g.norm() > 0)) return absl::InvalidArgumentError("shared Tucker core: every tensor projects to zero");
  g /= g.norm();
  t->core = projections[0];
  MutableMap(t->core.data.data(), n, 1) = g.cast<float>();
  for (int64_t l = 0; l < l_count; ++l) t->factors[l][0] *= static_cast<float>(c.col(l).dot(g));
  return absl::OkStatus();
}

// sum_l G x_k (U_k^(l)T U_k^(l)), from each tensor's factor Grams: the shared core's normal-equations operator.
Tensor ApplyGrams(const std::vector<std::vector<Matrix>>& grams, const Tensor& g) {
  Tensor out(g.shape);
  for (const std::vector<Matrix>& gram : grams) {
    const Tensor y = MultiplyAllBut(g, gram, -1);
    MutableMap(out.data.data(), out.size(), 1) += ConstMap(y.data.data(), y.size(), 1);
  }
  return out;
}

// sum_l ||X_l - G x_k U_k^(l)||^2 = sum_l ||X_l||^2 - 2 <sum_l C_l, G> + <G, sum_l G x_k U_k^(l)T U_k^(l)>, with
// `total` = sum_l ||X_l||^2 and `c_sum` = sum_l C_l.
double SharedSquaredError(const Tensor& c_sum, const std::vector<std::vector<Matrix>>& grams, double total,
                          const Tensor& core) {
  return total - 2 * Dot(c_sum, core) + Dot(core, ApplyGrams(grams, core));
}

// The core minimising sum_l ||X_l - G x_k U_k^(l)||^2 for fixed factors solves the normal equations
// sum_l G x_k (U_k^(l)T U_k^(l)) = sum_l C_l (C_l = X_l x_k U_k^(l)T), symmetric positive semi-definite: conjugate
// gradients from the current core, whose iterates never raise the quadratic. Returns the squared error after.
double UpdateSharedCore(const std::vector<Tensor>& projections, const std::vector<std::vector<Matrix>>& grams,
                        double total, Tensor* core) {
  const Tensor b = SumOf(projections);
  const int64_t n = core->size();
  Eigen::VectorXd x = ConstMap(core->data.data(), n, 1).cast<double>();
  const Eigen::VectorXd bv = ConstMap(b.data.data(), n, 1).cast<double>();
  auto a_times = [&](const Eigen::VectorXd& v) {
    Tensor t(core->shape);
    MutableMap(t.data.data(), n, 1) = v.cast<float>();
    const Tensor y = ApplyGrams(grams, t);
    return Eigen::VectorXd(ConstMap(y.data.data(), n, 1).cast<double>());
  };
  Eigen::VectorXd r = bv - a_times(x), p = r;
  double rr = r.squaredNorm();
  const double stop = 1e-12 * bv.squaredNorm();
  for (int64_t i = 0; i < std::min<int64_t>(n, 200) && rr > stop; ++i) {
    const Eigen::VectorXd ap = a_times(p);
    const double pap = p.dot(ap);
    if (!(pap > 0)) break;
    const double alpha = rr / pap;
    x += alpha * p;
    r -= alpha * ap;
    const double rr_new = r.squaredNorm();
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  MutableMap(core->data.data(), n, 1) = x.cast<float>();
  return SharedSquaredError(b, grams, total, *core);
}

}  // namespace

absl::StatusOr<SharedCoreTucker> FitSharedCoreTucker(const std::vector<Tensor>& xs, const std::vector<int64_t>& ranks,
                                                     int max_sweeps, double tolerance) {
  if (xs.empty()) return absl::InvalidArgumentError("shared Tucker core of no tensors");
  if (max_sweeps < 0) return absl::InvalidArgumentError(absl::StrFormat("max_sweeps is %d; it must be >= 0", max_sweeps));
  if (!(std::isfinite(tolerance) && tolerance >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat("tolerance is %g; it must be finite and >= 0", tolerance));
  }
  for (size_t l = 0; l < xs.size(); ++l) {
    if (absl::Status s = ValidateTuckerInput(xs[l], ranks); !s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("tensor %d: %s", l, s.message()));
    }
  }
  const int d = static_cast<int>(ranks.size());
  double total = 0;  // sum_l ||X_l||^2
  for (const Tensor& x : xs) total += FrobeniusNorm(x) * FrobeniusNorm(x);
  if (!(total > 0)) return absl::InvalidArgumentError("shared Tucker core of all-zero tensors");
  SharedCoreTucker out;
  std::vector<Tensor> projections;  // C_l = X_l x_k U_k^(l)T
  for (const Tensor& x : xs) {
    absl::StatusOr<TuckerTensor> t = Hosvd(x, ranks);
    if (!t.ok()) return t.status();
    out.factors.push_back(std::move(t->factors));
    projections.push_back(std::move(t->core));
  }
  if (absl::Status s = InitialSharedCore(projections, &out); !s.ok()) return s;
  auto project = [&] {
    std::vector<std::vector<Matrix>> grams;
    for (size_t l = 0; l < xs.size(); ++l) {
      projections[l] = ProjectAllBut(xs[l], out.factors[l], /*skip=*/-1);
      grams.push_back(Grams(out.factors[l]));
    }
    return grams;
  };
  // The initial error (the scales folded into U_1 change the projections).
  const std::vector<std::vector<Matrix>> initial_grams = project();
  out.errors.push_back(std::max(0.0, SharedSquaredError(SumOf(projections), initial_grams, total, out.core)) / total);
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    for (size_t l = 0; l < xs.size(); ++l) {
      std::vector<Matrix>& u = out.factors[l];
      for (int k = 0; k < d; ++k) {
        // Least squares in U_k with the rest fixed: X_(k) ~ U_k Z^T, Z = (x_{j != k} U_j) G_(k)^T, so
        // U_k = X_(k) Z (Z^T Z)^+ with X_(k) Z = Y_(k) G_(k)^T (Y = X x_{j != k} U_j^T) and
        // Z^T Z = (G x_{j != k} U_j^T U_j)_(k) G_(k)^T: small [n_k, r_k] and [r_k, r_k] products.
        const Matrix gk = Unfold(out.core, k);
        const Eigen::MatrixXd rhs = (Unfold(ProjectAllBut(xs[l], u, k), k) * gk.transpose()).cast<double>();
        const Eigen::MatrixXd normal = (Unfold(MultiplyAllBut(out.core, Grams(u), k), k) * gk.transpose()).cast<double>();
        const Eigen::MatrixXd solved = normal.completeOrthogonalDecomposition().solve(rhs.transpose());  // (Z^T Z)^+ (X_(k) Z)^T
        u[k] = solved.transpose().cast<float>();
      }
    }
    const std::vector<std::vector<Matrix>> grams = project();
    const double error = std::max(0.0, UpdateSharedCore(projections, grams, total, &out.core)) / total;
    const bool converged = std::abs(out.errors.back() - error) <= tolerance * std::max(out.errors.back(), 1e-30);
    out.errors.push_back(error);
    if (converged) break;
  }
  return out;
}

}  // namespace lrb
