#include "methods/linalg/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace lrb {

namespace {

// Points per reduction chunk. The partial sums of a chunk are accumulated serially and the chunks are
// added in index order, so the result does not depend on the number of threads or on scheduling.
constexpr int64_t kChunk = 32768;
// Points per SIMD tile inside a chunk: the tile's coordinates, best distances and labels stay in L1/L2
// while every centroid is scanned.
constexpr int64_t kTile = 1024;

// Reproducible draws from mt19937_64 written out by hand: std::uniform_*_distribution may produce
// different sequences on different standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(gen_() >> 11) * (1.0 / 9007199254740992.0); }

  // Uniform integer in [0, n) without modulo bias (rejection of the top partial block).
  uint64_t Below(uint64_t n) {
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t x;
    do {
      x = gen_();
    } while (x >= limit);
    return x % n;
  }

 private:
  std::mt19937_64 gen_;
};

// Points stored coordinate-major: coords[d * count + i] is coordinate d of point i, so a tile of points
// is contiguous per coordinate and the distance loop vectorises across points.
struct PointSet {
  int dims = 0;
  int64_t count = 0;
  std::vector<float> coords;
  float At(int64_t i, int d) const { return coords[d * count + i]; }
};

// Centroids stored the same way: c[d * k + j].
using CentroidArray = std::vector<float>;

// Nearest (and, with kSecond, second-nearest) centroid of `len` points given coordinate-major in `xs`
// (xs[d * len + i]), by a scan of all k centroids vectorised across points. Squared distances are float,
// as compared; ties go to the lowest centroid index (strict <, centroids scanned in increasing order),
// which is what leaves surplus duplicate centroids empty. The selects hang on integer masks: GCC 12 at
// -O2 does not vectorise the same selects written on float conditions or as std::min/std::max.
template <int kDims, bool kSecond>
void NearestTwo(const float* __restrict xs, int64_t len, int dims, const CentroidArray& c, int64_t k,
                float* __restrict best, float* __restrict second, int32_t* __restrict label) {
  for (int64_t i = 0; i < len; ++i) {
    best[i] = std::numeric_limits<float>::infinity();
    second[i] = std::numeric_limits<float>::infinity();
    label[i] = 0;
  }
  const float* __restrict x = xs;
  const float* __restrict y = xs + (dims > 1 ? len : 0);
  for (int64_t j = 0; j < k; ++j) {
    const int32_t jj = static_cast<int32_t>(j);
    const float c0 = c[j];
    const float c1 = dims > 1 ? c[k + j] : 0.0f;
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) {
      float dist;
      if constexpr (kDims == 1) {
        const float d0 = x[i] - c0;
        dist = d0 * d0;
      } else if constexpr (kDims == 2) {
        const float d0 = x[i] - c0;
        const float d1 = y[i] - c1;
        dist = d0 * d0 + d1 * d1;
      } else {
        dist = 0;
        for (int d = 0; d < dims; ++d) {
          const float diff = xs[d * len + i] - c[d * k + j];
          dist += diff * diff;
        }
      }
      const float b = best[i];
      const int32_t beats_best = -static_cast<int32_t>(dist < b);
      if constexpr (kSecond) {
        // best <= second, so the new second is the old best when dist wins, else dist if it beats second.
        const float s = second[i];
        const int32_t beats_second = -static_cast<int32_t>(dist < s);
        second[i] = beats_best ? b : (beats_second ? dist : s);
      }
      best[i] = beats_best ? dist : b;
      label[i] = (jj & beats_best) | (label[i] & ~beats_best);
    }
  }
}

// Per-centroid quantities for the pruning of one assignment pass, in double from the float centroids
// (exact to ~1e-16):
//  - Hamerly (2010), "Making k-means even faster" (SDM): how far the centroids moved in the last update,
//    and half the distance from each centroid to its nearest other one;
//  - every centroid's others sorted by distance (the idea behind the "exponion" of Newling & Fleuret
//    2016, "Fast k-means with accurate bounds", ICML), so that a point whose label is in doubt is
//    compared with the centroids near its current one first.
constexpr int64_t kNear = 8;
// The sorted neighbour table takes k^2 entries; above this many clusters it is not built and step 2 of
// AssignAll is skipped.
constexpr int64_t kMaxNeighbourTable = 1024;

struct Motion {
  int64_t fastest = 0;              // argmax of the drifts ||c_j(new) - c_j(old)||
  double max_drift = 0;             // the largest drift
  double second_drift = 0;          // the largest drift among the centroids other than `fastest`
  std::vector<double> half_gap;     // s_j = min_{j' != j} ||c_j - c_j'|| / 2
  std::vector<double> near_drift;   // the largest drift among the kNear centroids nearest c_a (other than a)
  std::vector<double> far_gap;      // distance from c_a to the nearest centroid outside those kNear
  std::vector<double> near_dist;    // [k * k]: row a holds ||c_a - c_j|| for all j, increasing
  std::vector<int32_t> near_index;  // [k * k]: the matching j
};

Motion MeasureMotion(const CentroidArray& before, const CentroidArray& after, int64_t k, int dims) {
  Motion m;
  std::vector<double> drifts(k);
  for (int64_t j = 0; j < k; ++j) {
    double sq = 0;
    for (int d = 0; d < dims; ++d) {
      const double diff = static_cast<double>(after[d * k + j]) - before[d * k + j];
      sq += diff * diff;
    }
    const double drift = std::sqrt(sq);
    drifts[j] = drift;
    if (drift > m.max_drift) {
      m.second_drift = m.max_drift;
      m.max_drift = drift;
      m.fastest = j;
    } else if (drift > m.second_drift) {
      m.second_drift = drift;
    }
  }
  m.half_gap.resize(k);
  m.far_gap.assign(k, std::numeric_limits<double>::infinity());
  m.near_drift.resize(k);
  for (int64_t a = 0; a < k; ++a) m.near_drift[a] = a == m.fastest ? m.second_drift : m.max_drift;
  auto distance = [&](int64_t a, int64_t j) {
    double sq = 0;
    for (int d = 0; d < dims; ++d) {
      const double diff = static_cast<double>(after[d * k + a]) - after[d * k + j];
      sq += diff * diff;
    }
    return std::sqrt(sq);
  };
  if (k > kMaxNeighbourTable) {
    // No table: Hamerly's test and the full scan only.
#pragma omp parallel for schedule(static) if (k >= 128)
    for (int64_t a = 0; a < k; ++a) {
      double nearest = std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < k; ++j) {
        if (j != a) nearest = std::min(nearest, distance(a, j));
      }
      m.half_gap[a] = 0.5 * nearest;
    }
    return m;
  }
  m.near_dist.resize(k * k);
  m.near_index.resize(k * k);
#pragma omp parallel if (k >= 128)
  {
    std::vector<std::pair<double, int32_t>> row(k);
#pragma omp for schedule(static)
    for (int64_t a = 0; a < k; ++a) {
      for (int64_t j = 0; j < k; ++j) row[j] = {distance(a, j), static_cast<int32_t>(j)};
      std::sort(row.begin(), row.end());
      for (int64_t r = 0; r < k; ++r) {
        m.near_dist[a * k + r] = row[r].first;
        m.near_index[a * k + r] = row[r].second;
      }
      // The nearest other centroid is the first entry that is not a itself (an exact duplicate of a with
      // a lower index sorts before it).
      m.half_gap[a] = k > 1 ? 0.5 * (row[0].second == a ? row[1].first : row[0].first)
                            : std::numeric_limits<double>::infinity();
      if (kNear < k) {
        m.near_drift[a] = 0;
        for (int64_t r = 0; r < kNear; ++r) {
          if (row[r].second != a) m.near_drift[a] = std::max(m.near_drift[a], drifts[row[r].second]);
        }
        m.far_gap[a] = row[kNear].first;
      }
    }
  }
  return m;
}

// Per-point state carried between passes: the label and a lower bound on the distance to every other
// centroid. The bound is float rounded down: half the memory traffic of double, and a pass is mostly
// memory traffic.
struct PointState {
  std::vector<int32_t> labels;
  std::vector<float> lower;
};

// Rounds down to float: nudging by 2^-23 relative (twice the float rounding error) and by the smallest
// subnormal (the absolute rounding error below FLT_MIN) before rounding to nearest. Infinity (no other
// centroid) stays infinity.
float RoundDown(double x) {
  if (std::isinf(x)) return static_cast<float>(x);
  return static_cast<float>(x - std::abs(x) * 0x1p-23 - std::numeric_limits<float>::denorm_min());
}

// One assignment pass: labels, the objective of (labels, centroids), and the per-cluster coordinate sums
// and counts of the next update step.
struct Pass {
  double objective = 0;
  std::vector<double> sums;     // [k * dims], sums[j * dims + d]
  std::vector<int64_t> counts;  // [k]
};

// Assigns every point to its nearest centroid. The result is that of a full scan up to exact ties, so
// this is Lloyd's assignment step, only cheaper once the centroids settle. Without `motion` (the first
// pass) every point is scanned. Otherwise, for a point x with label a, u = d(x, c_a) is computed exactly
// (the objective needs it anyway) and:
//  1. Hamerly's test: the lower bound l on the distance to the other centroids loosens by the largest
//     drift among them (triangle inequality), and a is still nearest when u <= max(l, s_a), since then
//     d(x, c_j) >= d(c_a, c_j) - u >= 2 s_a - u >= u for every j as well. When that fails, l is
//     sharpened by splitting the others: the kNear centroids nearest c_a moved by at most near_drift(a),
//     and the rest lie at least far_gap(a) from c_a, hence at least far_gap(a) - u from x:
//     l = min(l_old - near_drift(a), max(l_old - max drift, far_gap(a) - u)). With many clusters the
//     largest drift is typically far away, so this keeps most points out of step 2.
//  2. Otherwise the centroids are visited in increasing distance from c_a (exact double distances). One
//     at distance r from c_a is at least r - u from x, so the visit stops once r - u reaches the second-
//     nearest distance found: the nearest and second-nearest are then exact, and l is reset to the latter.
//  3. When that walk would visit more than a quarter of the centroids, the point joins a vectorised scan
//     of all centroids instead.
template <int kDims>
Pass AssignAll(const PointSet& p, const CentroidArray& c, int64_t k, const Motion* motion, PointState* state) {
  const int dims = kDims > 0 ? kDims : p.dims;  // a compile-time constant for 1 and 2 dimensions
  // Float squared distances carry a relative error below (dims + 2) eps; a lower bound taken from them
  // is shrunk by a margin above that (plus FLT_MIN for underflow) so that it stays a true lower bound.
  const double margin = 1.0 - (dims + 4) * static_cast<double>(std::numeric_limits<float>::epsilon());
  const int64_t max_walk =
      motion != nullptr && !motion->near_index.empty() ? std::max<int64_t>(1, k / 4) : 0;
  const int64_t chunks = (p.count + kChunk - 1) / kChunk;
  std::vector<double> chunk_objective(chunks, 0.0);
  std::vector<double> chunk_sums(chunks * k * dims, 0.0);
  std::vector<int64_t> chunk_counts(chunks * k, 0);
  int32_t* const labels = state->labels.data();
  float* const lower = state->lower.data();
  const float* const coords = p.coords.data();
  const float* const cent = c.data();
  const int64_t count = p.count;
  // Squared distance from point i to centroid j in double.
  auto distance_sq = [dims, coords, cent, count, k](int64_t i, int64_t j) {
    double sq = 0;
    for (int d = 0; d < dims; ++d) {
      const double diff = static_cast<double>(coords[d * count + i]) - cent[d * k + j];
      sq += diff * diff;
    }
    return sq;
  };
  // A parallel region costs a wake-up of every thread (milliseconds when the cores are shared), so a
  // single chunk runs on the calling thread.
#pragma omp parallel if (chunks > 1)
  {
    std::vector<int64_t> scan(kTile);
    std::vector<float> xs(kTile * dims), best(kTile), second(kTile);
    std::vector<int32_t> nearest(kTile);
#pragma omp for schedule(dynamic)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t chunk_end = std::min(count, (chunk + 1) * kChunk);
      double objective = 0;
      double* const sums = chunk_sums.data() + chunk * k * dims;
      int64_t* const counts = chunk_counts.data() + chunk * k;
      // Adds point i with label j and squared distance sq to the chunk's statistics. The objective is in
      // double, so it is the cost of the float centroids to ~1e-16 and Lloyd's monotonicity shows to far
      // better than float precision.
      auto accumulate = [&](int64_t i, int32_t j, double sq) {
        ++counts[j];
        for (int d = 0; d < dims; ++d) sums[j * dims + d] += coords[d * count + i];
        objective += sq;
      };
      for (int64_t begin = chunk * kChunk; begin < chunk_end; begin += kTile) {
        const int64_t end = std::min(chunk_end, begin + kTile);
        int64_t n = 0;  // points left for the full scan
        for (int64_t i = begin; i < end; ++i) {
          if (motion == nullptr) {
            scan[n++] = i;
            continue;
          }
          int32_t a = labels[i];
          double sq = distance_sq(i, a);
          double l = lower[i] - (a == motion->fastest ? motion->second_drift : motion->max_drift);
          const double bound = std::max(l, motion->half_gap[a]);  // >= 0
          // The sharper bound of step 1 needs u itself, the plain one only u^2.
          const double u = sq > bound * bound ? std::sqrt(sq) : 0.0;
          if (u > 0) l = std::min(lower[i] - motion->near_drift[a], std::max(l, motion->far_gap[a] - u));
          if (u > std::max(l, motion->half_gap[a])) {
            if (max_walk == 0) {
              scan[n++] = i;
              continue;
            }
            const double* near_dist = motion->near_dist.data() + a * k;
            const int32_t* near_index = motion->near_index.data() + a * k;
            double best_sq = std::numeric_limits<double>::infinity();
            double second_sq = std::numeric_limits<double>::infinity();
            int32_t label = a;
            bool settled = true;
            for (int64_t r = 0; r < k; ++r) {
              if (r == max_walk) {
                settled = false;
                break;
              }
              // Every centroid from rank r on is at least near_dist[r] - u from x.
              const double reach = near_dist[r] - u;
              if (reach > 0 && reach * reach >= second_sq) break;
              const int32_t j = near_index[r];
              const double dj = distance_sq(i, j);
              if (dj < best_sq || (dj == best_sq && j < label)) {
                second_sq = best_sq;
                best_sq = dj;
                label = j;
              } else if (dj < second_sq) {
                second_sq = dj;
              }
            }
            if (!settled) {
              scan[n++] = i;
              continue;
            }
            a = label;
            labels[i] = a;
            sq = best_sq;
            l = std::sqrt(second_sq);
          }
          lower[i] = RoundDown(l);
          accumulate(i, a, sq);
        }
        if (n == 0) continue;
        for (int d = 0; d < dims; ++d) {
          for (int64_t t = 0; t < n; ++t) xs[d * n + t] = coords[d * count + scan[t]];
        }
        // The first pass leaves the second-nearest out (a third of the scan's cost) and starts every
        // point with l = 0: the next pass then finds it by the walk of step 2, which is cheaper.
        if (motion == nullptr) {
          NearestTwo<kDims, false>(xs.data(), n, dims, c, k, best.data(), second.data(), nearest.data());
        } else {
          NearestTwo<kDims, true>(xs.data(), n, dims, c, k, best.data(), second.data(), nearest.data());
        }
        for (int64_t t = 0; t < n; ++t) {
          const int64_t i = scan[t];
          labels[i] = nearest[t];
          const double low = static_cast<double>(second[t]) * margin - std::numeric_limits<float>::min();
          lower[i] = motion == nullptr ? 0.0f : RoundDown(std::sqrt(std::max(low, 0.0)));
          accumulate(i, nearest[t], distance_sq(i, nearest[t]));
        }
      }
      chunk_objective[chunk] = objective;
    }
  }
  Pass out;
  out.sums.assign(k * dims, 0.0);
  out.counts.assign(k, 0);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    out.objective += chunk_objective[chunk];
    for (int64_t t = 0; t < k * dims; ++t) out.sums[t] += chunk_sums[chunk * k * dims + t];
    for (int64_t j = 0; j < k; ++j) out.counts[j] += chunk_counts[chunk * k + j];
  }
  return out;
}

Pass Assign(const PointSet& p, const CentroidArray& c, int64_t k, const Motion* motion, PointState* state) {
  switch (p.dims) {
    case 1:
      return AssignAll<1>(p, c, k, motion, state);
    case 2:
      return AssignAll<2>(p, c, k, motion, state);
    default:
      return AssignAll<0>(p, c, k, motion, state);
  }
}

// d2[i] = min(d2[i], ||x_i - centre||^2) over [begin, end) of a coordinate-major sample of s points;
// returns the sum of the updated d2 over the range, added in index order.
template <int kDims>
double UpdateDistances(const float* xs, int64_t s, int dims_runtime, const double* centre, int64_t begin,
                       int64_t end, double* d2) {
  const int dims = kDims > 0 ? kDims : dims_runtime;
  double sum = 0;
  for (int64_t i = begin; i < end; ++i) {
    double dist = 0;
    for (int d = 0; d < dims; ++d) {
      const double diff = static_cast<double>(xs[d * s + i]) - centre[d];
      dist += diff * diff;
    }
    d2[i] = dist < d2[i] ? dist : d2[i];
    sum += d2[i];
  }
  return sum;
}

// k-means++ (Arthur & Vassilvitskii 2007): the first centroid uniformly at random, each next one drawn
// with probability proportional to D(x)^2, the squared distance to the nearest centroid chosen so far.
// Runs on a uniform subsample (without replacement, partial Fisher-Yates) of at most `max_points` points.
// Once every sampled point coincides with a centroid (D^2 = 0 everywhere: fewer distinct points than
// clusters), the rest are drawn uniformly, i.e. they duplicate existing centroids.
CentroidArray SeedPlusPlus(const PointSet& p, int64_t k, int64_t max_points, Rng& rng) {
  const int dims = p.dims;
  std::vector<int64_t> sample;
  if (p.count <= max_points) {
    sample.resize(p.count);
    std::iota(sample.begin(), sample.end(), int64_t{0});
  } else {
    std::vector<int64_t> perm(p.count);
    std::iota(perm.begin(), perm.end(), int64_t{0});
    for (int64_t i = 0; i < max_points; ++i) {
      const int64_t j = i + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(p.count - i)));
      std::swap(perm[i], perm[j]);
    }
    perm.resize(max_points);
    std::sort(perm.begin(), perm.end());  // memory order for the gather below
    sample = std::move(perm);
  }
  const int64_t s = static_cast<int64_t>(sample.size());
  // The sample gathered coordinate-major, like PointSet.
  std::vector<float> xs(s * dims);
  for (int d = 0; d < dims; ++d) {
    for (int64_t i = 0; i < s; ++i) xs[d * s + i] = p.At(sample[i], d);
  }

  // D^2 is kept per point and summed per block of kSeedBlock points, so that drawing a point costs a walk
  // over the block sums and then inside one block rather than over the whole sample. Each block is
  // updated and summed by one thread in a fixed order: the draws do not depend on the thread count.
  constexpr int64_t kSeedBlock = 1024;
  const int64_t blocks = (s + kSeedBlock - 1) / kSeedBlock;
  std::vector<double> d2(s, std::numeric_limits<double>::infinity());
  std::vector<double> block_sum(blocks);
  CentroidArray c(k * dims);
  std::vector<double> centre(dims);
  int64_t pick = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(s)));
  for (int64_t j = 0; j < k; ++j) {
    for (int d = 0; d < dims; ++d) c[d * k + j] = xs[d * s + pick];
    if (j + 1 == k) break;
    for (int d = 0; d < dims; ++d) centre[d] = xs[d * s + pick];
#pragma omp parallel for schedule(static) if (s >= kChunk)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t begin = b * kSeedBlock, end = std::min(s, begin + kSeedBlock);
      switch (dims) {
        case 1:
          block_sum[b] = UpdateDistances<1>(xs.data(), s, dims, centre.data(), begin, end, d2.data());
          break;
        case 2:
          block_sum[b] = UpdateDistances<2>(xs.data(), s, dims, centre.data(), begin, end, d2.data());
          break;
        default:
          block_sum[b] = UpdateDistances<0>(xs.data(), s, dims, centre.data(), begin, end, d2.data());
      }
    }
    double total = 0;
    for (int64_t b = 0; b < blocks; ++b) total += block_sum[b];
    if (!(total > 0)) {
      // Every sampled point coincides with a chosen centroid.
      pick = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(s)));
      continue;
    }
    double target = rng.Uniform() * total;
    int64_t b = 0;
    while (b + 1 < blocks && (block_sum[b] <= target || block_sum[b] <= 0)) {
      target -= block_sum[b];
      ++b;
    }
    while (block_sum[b] <= 0) --b;  // rounding pushed the walk past the last block with mass
    pick = -1;
    double cumulative = 0;
    for (int64_t i = b * kSeedBlock; i < std::min(s, (b + 1) * kSeedBlock); ++i) {
      if (d2[i] <= 0) continue;  // never re-pick a point already chosen
      cumulative += d2[i];
      pick = i;
      if (cumulative > target) break;
    }
  }
  return c;
}

struct Run {
  CentroidArray centroids;
  std::vector<int32_t> labels;
  double objective = 0;
  std::vector<double> history;
};

// Lloyd's algorithm from the given centroids. Each iteration is an update (centroid = mean of its points;
// an empty cluster keeps its centroid) followed by an assignment to the nearest centroid; neither step
// can raise the objective, so `history` (the objective after each iteration) is non-increasing. Stops
// when the relative improvement is at most `tolerance`, and always returns a consistent state: the
// labels are the nearest centroids of the returned centroids and the objective is their cost.
Run Lloyd(const PointSet& p, CentroidArray c, int64_t k, const KMeansOptions& options) {
  const int dims = p.dims;
  PointState state;
  state.labels.resize(p.count);
  state.lower.resize(p.count);
  Pass pass = Assign(p, c, k, nullptr, &state);
  Run run;
  CentroidArray before;
  for (int it = 0; it < options.max_iterations; ++it) {
    before = c;
    for (int64_t j = 0; j < k; ++j) {
      if (pass.counts[j] == 0) continue;
      for (int d = 0; d < dims; ++d) {
        c[d * k + j] = static_cast<float>(pass.sums[j * dims + d] / static_cast<double>(pass.counts[j]));
      }
    }
    const Motion motion = MeasureMotion(before, c, k, dims);
    const double previous = pass.objective;
    pass = Assign(p, c, k, &motion, &state);
    run.history.push_back(pass.objective);
    if (previous - pass.objective <= options.tolerance * previous) break;
  }
  run.centroids = std::move(c);
  run.labels = std::move(state.labels);
  run.objective = pass.objective;
  return run;
}

}  // namespace

absl::StatusOr<KMeansResult> KMeans(const Matrix& points, const KMeansOptions& options) {
  if (points.rows() == 0 || points.cols() == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("k-means needs at least one point of at least one dimension, got [%d, %d]", points.rows(),
                        points.cols()));
  }
  if (options.clusters < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("clusters must be >= 1, got %d", options.clusters));
  }
  if (options.clusters > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrFormat("clusters %d does not fit the int32 labels", options.clusters));
  }
  if (options.restarts < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("restarts must be >= 1, got %d", options.restarts));
  }
  if (options.max_iterations < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_iterations must be >= 0, got %d", options.max_iterations));
  }
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tolerance must be finite and >= 0, got %g", options.tolerance));
  }
  if (options.max_seeding_points < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_seeding_points must be >= 1, got %d", options.max_seeding_points));
  }
  if (absl::Status s = CheckFinite(points, "points to cluster"); !s.ok()) return s;

  PointSet p;
  p.dims = static_cast<int>(points.rows());
  p.count = points.cols();
  p.coords.resize(p.dims * p.count);
  for (int64_t i = 0; i < p.count; ++i) {
    for (int d = 0; d < p.dims; ++d) p.coords[d * p.count + i] = points(d, i);
  }

  const int64_t k = options.clusters;
  Rng rng(options.seed);
  Run best;
  for (int r = 0; r < options.restarts; ++r) {
    // Restarts draw from one generator in sequence, so the whole result is a function of the seed.
    CentroidArray seeds = SeedPlusPlus(p, k, options.max_seeding_points, rng);
    Run run = Lloyd(p, std::move(seeds), k, options);
    if (r == 0 || run.objective < best.objective) best = std::move(run);
  }

  KMeansResult out;
  out.centroids.resize(p.dims, k);
  for (int64_t j = 0; j < k; ++j) {
    for (int d = 0; d < p.dims; ++d) out.centroids(d, j) = best.centroids[d * k + j];
  }
  out.assignment = std::move(best.labels);
  out.objective = best.objective;
  out.history = std::move(best.history);
  return out;
}

}  // namespace lrb
