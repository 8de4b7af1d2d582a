#include "experiment/golden.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace lrb {
namespace {

// RFC 4180 cells: quoted cells may hold commas, quotes ("") and line breaks.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rows.back().push_back(cell);
      cell.clear();
    } else if (c == '\n') {
      rows.back().push_back(cell);
      cell.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      cell += c;
      any = true;
    }
  }
  if (!cell.empty() || any) rows.back().push_back(cell);
  while (!rows.empty() && rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

std::vector<std::string> CompareCsv(const std::string& csv, const std::string& golden, double tolerance,
                                    const std::vector<std::string>& ignore) {
  std::vector<std::string> diffs;
  const auto got = ParseCsv(csv), want = ParseCsv(golden);
  if (got.empty() || want.empty()) return {"empty table"};
  if (got[0] != want[0]) return {"the columns differ from the golden table's"};
  std::map<std::string, const std::vector<std::string>*> got_rows;
  auto key = [](const std::vector<std::string>& row) {
    return row.size() >= 2 ? row[0] + " / " + row[1] : row.empty() ? std::string() : row[0];
  };
  for (size_t r = 1; r < got.size(); ++r) got_rows[key(got[r])] = &got[r];
  for (size_t r = 1; r < want.size(); ++r) {
    const std::string label = key(want[r]);
    auto it = got_rows.find(label);
    if (it == got_rows.end()) {
      diffs.push_back(absl::StrFormat("row '%s' is missing", label));
      continue;
    }
    const std::vector<std::string>& g = *it->second;
    for (size_t c = 1; c < want[0].size(); ++c) {
      if (std::find(ignore.begin(), ignore.end(), want[0][c]) != ignore.end()) continue;
      const std::string a = c < g.size() ? g[c] : "", b = c < want[r].size() ? want[r][c] : "";
      double x = 0, y = 0;
      if (absl::SimpleAtod(a, &x) && absl::SimpleAtod(b, &y)) {
        if (!(std::fabs(x - y) <= tolerance)) {
          diffs.push_back(absl::StrFormat("row '%s', column '%s': %s vs golden %s (tolerance %g)", label, want[0][c], a,
                                          b, tolerance));
        }
      } else if (a != b) {
        diffs.push_back(absl::StrFormat("row '%s', column '%s': '%s' vs golden '%s'", label, want[0][c], a, b));
      }
    }
    got_rows.erase(it);
  }
  for (const auto& [label, row] : got_rows) diffs.push_back(absl::StrFormat("row '%s' is not in the golden table", label));
  return diffs;
}

}  // namespace lrb
