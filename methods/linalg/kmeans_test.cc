#include "methods/linalg/kmeans.h"

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// Points around `centers` ([dims, c]), `per_cluster` each, with Gaussian noise of standard deviation
// `noise`; `truth` receives the generating cluster of every point.
Matrix Blobs(const Matrix& centers, int64_t per_cluster, float noise, uint64_t seed, std::vector<int32_t>* truth) {
  const int64_t dims = centers.rows(), c = centers.cols();
  Matrix points = noise * GaussianMatrix(dims, c * per_cluster, seed);
  truth->clear();
  // Interleave the clusters so that no label order is implied by point order.
  for (int64_t i = 0; i < c * per_cluster; ++i) {
    points.col(i) += centers.col(i % c);
    truth->push_back(static_cast<int32_t>(i % c));
  }
  return points;
}

// True when `a` and `b` are the same partition: a bijection maps one set of labels onto the other.
bool SamePartition(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.size() != b.size()) return false;
  std::map<int32_t, int32_t> forward, backward;
  for (size_t i = 0; i < a.size(); ++i) {
    auto [f, f_new] = forward.emplace(a[i], b[i]);
    auto [g, g_new] = backward.emplace(b[i], a[i]);
    if (f->second != b[i] || g->second != a[i]) return false;
  }
  return true;
}

// Sum of squared distances to the assigned centroids, in double.
double Objective(const Matrix& points, const KMeansResult& r) {
  double total = 0;
  for (int64_t i = 0; i < points.cols(); ++i) {
    total += (points.col(i).cast<double>() - r.centroids.col(r.assignment[i]).cast<double>()).squaredNorm();
  }
  return total;
}

TEST(KMeansTest, HistoryIsNonIncreasingAndConsistent) {
  const Matrix points = GaussianMatrix(2, 5000, 1);  // no cluster structure: many Lloyd iterations
  KMeansOptions options;
  options.clusters = 12;
  options.tolerance = 0;
  options.max_iterations = 100;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->history.size(), 3u);
  ASSERT_LE(r->history.size(), 100u);
  // Lloyd: the update minimises over centroids for fixed labels and the assignment over labels for fixed
  // centroids. The objective is evaluated in double on float centroids, so only rounding far below float
  // precision can show; 1e-9 relative covers it.
  for (size_t i = 1; i < r->history.size(); ++i) {
    EXPECT_LE(r->history[i], r->history[i - 1] * (1 + 1e-9)) << "iteration " << i;
  }
  EXPECT_EQ(r->objective, r->history.back());
  EXPECT_NEAR(Objective(points, *r), r->objective, 1e-9 * r->objective);
  ASSERT_EQ(r->centroids.rows(), 2);
  ASSERT_EQ(r->centroids.cols(), 12);
  ASSERT_EQ(r->assignment.size(), 5000u);
  // Every label is a nearest centroid (up to float rounding of the distances compared: ~1e-6 relative).
  for (int64_t i = 0; i < points.cols(); ++i) {
    const float assigned = (points.col(i) - r->centroids.col(r->assignment[i])).squaredNorm();
    const float nearest = (r->centroids.colwise() - points.col(i)).colwise().squaredNorm().minCoeff();
    ASSERT_LE(assigned, nearest * (1 + 1e-5f) + 1e-12f) << "point " << i;
  }
}

// The assignment step prunes with bounds (Hamerly) and neighbour walks; whatever path a point takes, its
// label must be a nearest centroid of the final centroids, in any dimension and for few or many clusters.
TEST(KMeansTest, EveryPointGetsANearestCentroid) {
  for (int64_t dims : {1, 2, 3}) {
    for (int64_t k : {1, 2, 5, 40}) {
      const Matrix points = GaussianMatrix(dims, 6000, 10 + dims);
      KMeansOptions options;
      options.clusters = k;
      options.restarts = 1;
      options.tolerance = 0;
      options.max_iterations = 30;
      absl::StatusOr<KMeansResult> r = KMeans(points, options);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->centroids.rows(), dims);
      ASSERT_EQ(r->centroids.cols(), k);
      EXPECT_NEAR(Objective(points, *r), r->objective, 1e-9 * r->objective) << dims << "-D, k " << k;
      for (size_t i = 1; i < r->history.size(); ++i) {
        EXPECT_LE(r->history[i], r->history[i - 1] * (1 + 1e-9)) << dims << "-D, k " << k << ", iteration " << i;
      }
      // Labels are decided on float distances: allow their rounding (~1e-6 relative).
      for (int64_t i = 0; i < points.cols(); ++i) {
        const float assigned = (points.col(i) - r->centroids.col(r->assignment[i])).squaredNorm();
        const float nearest = (r->centroids.colwise() - points.col(i)).colwise().squaredNorm().minCoeff();
        ASSERT_LE(assigned, nearest * (1 + 1e-5f) + 1e-12f) << dims << "-D, k " << k << ", point " << i;
      }
    }
  }
}

// Plain Lloyd iterations from given centroids: labels by a full scan (float distances, lowest index on
// ties), centroids as double means rounded to float, empty clusters kept in place.
Matrix ReferenceLloyd(const Matrix& points, Matrix centroids, int iterations) {
  const int64_t k = centroids.cols();
  for (int it = 0; it < iterations; ++it) {
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(points.rows(), k);
    std::vector<int64_t> counts(k, 0);
    for (int64_t i = 0; i < points.cols(); ++i) {
      Eigen::Index j;
      (centroids.colwise() - points.col(i)).colwise().squaredNorm().minCoeff(&j);
      sums.col(j) += points.col(i).cast<double>();
      ++counts[j];
    }
    for (int64_t j = 0; j < k; ++j) {
      if (counts[j] > 0) centroids.col(j) = (sums.col(j) / static_cast<double>(counts[j])).cast<float>();
    }
  }
  return centroids;
}

// The pruned assignment is an exact accelerator: from the same seeds, the centroids follow plain Lloyd.
TEST(KMeansTest, FollowsPlainLloyd) {
  const Matrix points = GaussianMatrix(2, 4000, 21);
  for (int64_t k : {12, 60}) {
    KMeansOptions options;
    options.clusters = k;
    options.restarts = 1;
    options.seed = 3;
    options.max_iterations = 0;
    absl::StatusOr<KMeansResult> seeded = KMeans(points, options);  // centroids = the k-means++ seeds
    ASSERT_TRUE(seeded.ok()) << seeded.status();
    options.max_iterations = 15;
    options.tolerance = 0;
    absl::StatusOr<KMeansResult> r = KMeans(points, options);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->history.size(), 15u);
    const Matrix reference = ReferenceLloyd(points, seeded->centroids, 15);
    // Same float arithmetic for the means; only the order of the double sums differs (~1e-16).
    EXPECT_LT((r->centroids - reference).cwiseAbs().maxCoeff(), 1e-6) << "k " << k;
  }
}

// Above 1024 clusters the neighbour table is not built; the bounds and full scans must still be exact.
TEST(KMeansTest, ManyClusters) {
  const Matrix points = GaussianMatrix(2, 3000, 22);
  KMeansOptions options;
  options.clusters = 1100;
  options.restarts = 1;
  options.max_iterations = 5;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(Objective(points, *r), r->objective, 1e-9 * r->objective);
  for (int64_t i = 0; i < points.cols(); ++i) {
    const float assigned = (points.col(i) - r->centroids.col(r->assignment[i])).squaredNorm();
    const float nearest = (r->centroids.colwise() - points.col(i)).colwise().squaredNorm().minCoeff();
    ASSERT_LE(assigned, nearest * (1 + 1e-5f) + 1e-12f) << "point " << i;
  }
}

TEST(KMeansTest, RecoversSeparated1DClusters) {
  Matrix centers(1, 4);
  centers << -10, 0, 10, 25;
  std::vector<int32_t> truth;
  // Noise 0.5 against gaps of 10: the nearest-center partition is the generating one (20 sigma apart).
  const Matrix points = Blobs(centers, 200, 0.5f, 2, &truth);
  KMeansOptions options;
  options.clusters = 4;
  options.seed = 5;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(SamePartition(r->assignment, truth));
  // Each centroid is its cluster's sample mean: within ~0.5 / sqrt(200) * 4 of the center.
  for (int64_t i = 0; i < points.cols(); ++i) {
    ASSERT_NEAR(r->centroids(0, r->assignment[i]), centers(0, truth[i]), 0.15) << "point " << i;
  }
}

TEST(KMeansTest, RecoversSeparated2DClusters) {
  Matrix centers(2, 6);
  centers << 0, 8, 0, 8, -8, 4,  //
      0, 0, 8, 8, 4, -8;
  std::vector<int32_t> truth;
  const Matrix points = Blobs(centers, 300, 0.3f, 3, &truth);
  KMeansOptions options;
  options.clusters = 6;
  options.seed = 1;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(SamePartition(r->assignment, truth));
  // The optimum's objective is about 2 * 0.3^2 * 1800 = 324 (within-cluster scatter); a wrong partition
  // merges two clusters 8+ apart and costs thousands more.
  EXPECT_LT(r->objective, 400);
}

TEST(KMeansTest, SameSeedSameResult) {
  const Matrix points = GaussianMatrix(2, 3000, 4);
  KMeansOptions options;
  options.clusters = 10;
  options.seed = 77;
  options.max_seeding_points = 500;  // exercises the seeded subsample
  absl::StatusOr<KMeansResult> a = KMeans(points, options);
  absl::StatusOr<KMeansResult> b = KMeans(points, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->centroids == b->centroids);
  EXPECT_EQ(a->assignment, b->assignment);
  EXPECT_EQ(a->history, b->history);
  EXPECT_EQ(a->objective, b->objective);
}

// Partial sums are reduced per fixed-size chunk in chunk order, so the thread count cannot change any bit.
TEST(KMeansTest, ResultDoesNotDependOnThreadCount) {
  const Matrix points = GaussianMatrix(2, 100000, 6);  // several reduction chunks
  KMeansOptions options;
  options.clusters = 16;
  options.restarts = 1;
  options.max_iterations = 10;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  absl::StatusOr<KMeansResult> one = KMeans(points, options);
  omp_set_num_threads(3);
  absl::StatusOr<KMeansResult> three = KMeans(points, options);
  omp_set_num_threads(threads);
  ASSERT_TRUE(one.ok() && three.ok());
  EXPECT_TRUE(one->centroids == three->centroids);
  EXPECT_EQ(one->assignment, three->assignment);
  EXPECT_EQ(one->history, three->history);
}

TEST(KMeansTest, ObjectiveDecreasesWithMoreClusters) {
  const Matrix points = GaussianMatrix(2, 4000, 7);
  // k = 1 has a closed form: the centroid is the mean and the objective the total scatter.
  KMeansOptions options;
  options.clusters = 1;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  const Eigen::Vector2d mean = points.cast<double>().rowwise().mean();
  const double scatter = (points.cast<double>().colwise() - mean).squaredNorm();
  EXPECT_NEAR(r->objective, scatter, 1e-6 * scatter);
  EXPECT_NEAR(r->centroids(0, 0), mean(0), 1e-5);
  EXPECT_NEAR(r->centroids(1, 0), mean(1), 1e-5);
  // The optimum strictly decreases with k; Lloyd finds local optima, so allow 1% of slack (doubling k
  // lowers a 2-D Gaussian's optimum by ~2x, far more than local-optimum spread).
  double previous = r->objective;
  for (int64_t k : {2, 4, 8, 16, 32, 64}) {
    options.clusters = k;
    r = KMeans(points, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LT(r->objective, previous * 1.01) << "clusters " << k;
    previous = r->objective;
  }
}

TEST(KMeansTest, SurplusCentroidsDuplicateDistinctPoints) {
  Matrix points(2, 30);
  for (int64_t i = 0; i < 30; ++i) {
    points(0, i) = static_cast<float>(i % 3);
    points(1, i) = -points(0, i);
  }
  KMeansOptions options;
  options.clusters = 5;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->objective, 0.0);
  // Every centroid is one of the three distinct points, and each of those is some centroid.
  for (int64_t j = 0; j < 5; ++j) {
    const float x = r->centroids(0, j);
    EXPECT_TRUE(x == 0 || x == 1 || x == 2) << "centroid " << j << " at x = " << x;
    EXPECT_EQ(r->centroids(1, j), -x);
  }
  for (int64_t i = 0; i < 30; ++i) EXPECT_TRUE(r->centroids.col(r->assignment[i]) == points.col(i));
}

TEST(KMeansTest, ZeroIterationsKeepsTheSeeding) {
  const Matrix points = GaussianMatrix(1, 500, 8);
  KMeansOptions options;
  options.clusters = 4;
  options.max_iterations = 0;
  absl::StatusOr<KMeansResult> r = KMeans(points, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->history.empty());
  EXPECT_NEAR(Objective(points, *r), r->objective, 1e-9 * r->objective);
}

TEST(KMeansTest, RefusesBadInput) {
  KMeansOptions options;
  absl::StatusOr<KMeansResult> r = KMeans(Matrix(2, 0), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);

  options.clusters = 0;
  r = KMeans(GaussianMatrix(2, 10, 1), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("got 0"), std::string::npos) << r.status();

  options.clusters = 2;
  options.restarts = 0;
  EXPECT_FALSE(KMeans(GaussianMatrix(2, 10, 1), options).ok());

  options.restarts = 1;
  Matrix bad = GaussianMatrix(2, 10, 1);
  bad(1, 6) = std::nanf("");
  r = KMeans(bad, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("[1, 6]"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace lrb
