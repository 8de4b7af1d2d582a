// Comparing a rendered table (CSV) with a committed golden copy: same rows and columns, text cells equal,
// numeric cells within an absolute tolerance (the smoke profile's check in CI).
#ifndef LRB_EXPERIMENT_GOLDEN_H_
#define LRB_EXPERIMENT_GOLDEN_H_

#include <string>
#include <vector>

namespace lrb {

// One line per difference ("row 'SVD', column 'RTE': 61.37 vs golden 63.18 (tolerance 0.5)"); empty when
// the tables agree. Rows are matched by their first two cells (group and row label), columns by the header.
// Columns named in `ignore` (e.g. latencies, which no two machines share) are not compared.
std::vector<std::string> CompareCsv(const std::string& csv, const std::string& golden, double tolerance,
                                    const std::vector<std::string>& ignore = {});

}  // namespace lrb

#endif  // LRB_EXPERIMENT_GOLDEN_H_
