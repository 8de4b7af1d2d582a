// k-means clustering of low-dimensional points (Lloyd's algorithm, k-means++ seeding).
#ifndef LRB_METHODS_LINALG_KMEANS_H_
#define LRB_METHODS_LINALG_KMEANS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/linalg/types.h"

namespace lrb {

struct KMeansOptions {
  int64_t clusters = 16;
  int restarts = 3;          // independent k-means++ seedings; the lowest objective wins
  int max_iterations = 50;   // Lloyd iterations per restart
  double tolerance = 1e-6;   // stop when the objective improves by less than this (relative)
  uint64_t seed = 0;
  int64_t max_seeding_points = 100000;  // k-means++ seeds from a seeded subsample of at most this many points
};

struct KMeansResult {
  Matrix centroids;                 // [dims, clusters]
  std::vector<int32_t> assignment;  // [points]
  double objective = 0;             // sum of squared distances to the assigned centroid
  std::vector<double> history;      // objective after each Lloyd iteration of the winning restart
};

// Points are the columns of `points` [dims, count] (dims 1 or 2 in practice; any small dims works).
// Fails on empty input, clusters < 1, or non-finite values. With fewer distinct points than clusters
// the surplus centroids duplicate existing ones.
absl::StatusOr<KMeansResult> KMeans(const Matrix& points, const KMeansOptions& options);

}  // namespace lrb

#endif  // LRB_METHODS_LINALG_KMEANS_H_
