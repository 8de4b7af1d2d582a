#include "tasks/metrics/rouge.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tasks/metrics/porter_stemmer.h"

namespace lrb {
namespace {

using Tokens = std::vector<std::string>;

// rouge_score's scoring.fmeasure.
double FMeasure(double precision, double recall) {
  return precision + recall > 0.0 ? 2.0 * precision * recall / (precision + recall) : 0.0;
}

RougeScore MakeScore(double precision, double recall) {
  return RougeScore{precision, recall, FMeasure(precision, recall)};
}

RougeScore ScoreNgrams(const Tokens& reference, const Tokens& prediction, size_t n) {
  auto count = [n](const Tokens& tokens) {
    std::map<std::vector<std::string>, int64_t> counts;
    for (size_t i = 0; i + n <= tokens.size(); ++i) {
      ++counts[std::vector<std::string>(tokens.begin() + i, tokens.begin() + i + n)];
    }
    return counts;
  };
  const auto reference_counts = count(reference);
  const auto prediction_counts = count(prediction);
  int64_t overlap = 0;
  for (const auto& [ngram, c] : reference_counts) {
    auto it = prediction_counts.find(ngram);
    if (it != prediction_counts.end()) overlap += std::min(c, it->second);
  }
  const int64_t reference_total = reference.size() >= n ? reference.size() - n + 1 : 0;
  const int64_t prediction_total = prediction.size() >= n ? prediction.size() - n + 1 : 0;
  return MakeScore(static_cast<double>(overlap) / std::max<int64_t>(prediction_total, 1),
                   static_cast<double>(overlap) / std::max<int64_t>(reference_total, 1));
}

// table[i][j] = LCS length of reference[:i] and prediction[:j], as rouge_score's _lcs_table.
std::vector<std::vector<int32_t>> LcsTable(const Tokens& reference, const Tokens& prediction) {
  std::vector<std::vector<int32_t>> table(reference.size() + 1,
                                          std::vector<int32_t>(prediction.size() + 1, 0));
  for (size_t i = 1; i <= reference.size(); ++i) {
    for (size_t j = 1; j <= prediction.size(); ++j) {
      table[i][j] = reference[i - 1] == prediction[j - 1]
                        ? table[i - 1][j - 1] + 1
                        : std::max(table[i - 1][j], table[i][j - 1]);
    }
  }
  return table;
}

RougeScore ScoreLcs(const Tokens& reference, const Tokens& prediction) {
  if (reference.empty() || prediction.empty()) return RougeScore{};
  const double lcs = LcsTable(reference, prediction).back().back();
  return MakeScore(lcs / prediction.size(), lcs / reference.size());
}

// Positions in `reference` of one LCS with `prediction`, chosen by rouge_score's
// _backtrack_norec (on a tie, move up in the reference).
std::vector<size_t> LcsPositions(const Tokens& reference, const Tokens& prediction) {
  const auto table = LcsTable(reference, prediction);
  std::vector<size_t> positions;
  size_t i = reference.size();
  size_t j = prediction.size();
  while (i > 0 && j > 0) {
    if (reference[i - 1] == prediction[j - 1]) {
      positions.push_back(i - 1);
      --i;
      --j;
    } else if (table[i][j - 1] > table[i - 1][j]) {
      --j;
    } else {
      --i;
    }
  }
  std::reverse(positions.begin(), positions.end());
  return positions;
}

std::vector<Tokens> TokenizeLines(absl::string_view text) {
  std::vector<Tokens> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    if (end > start) lines.push_back(RougeTokenize(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// rouge_score's _summary_level_lcs.
RougeScore ScoreSummaryLevelLcs(const std::vector<Tokens>& reference,
                                const std::vector<Tokens>& prediction) {
  if (reference.empty() || prediction.empty()) return RougeScore{};
  std::unordered_map<std::string, int64_t> reference_counts;
  std::unordered_map<std::string, int64_t> prediction_counts;
  int64_t reference_total = 0;
  int64_t prediction_total = 0;
  for (const Tokens& line : reference) {
    reference_total += line.size();
    for (const std::string& token : line) ++reference_counts[token];
  }
  for (const Tokens& line : prediction) {
    prediction_total += line.size();
    for (const std::string& token : line) ++prediction_counts[token];
  }
  if (reference_total == 0 || prediction_total == 0) return RougeScore{};
  int64_t hits = 0;
  for (const Tokens& line : reference) {
    std::set<size_t> union_positions;
    for (const Tokens& candidate : prediction) {
      for (size_t p : LcsPositions(line, candidate)) union_positions.insert(p);
    }
    for (size_t p : union_positions) {
      const std::string& token = line[p];
      int64_t& in_prediction = prediction_counts[token];
      int64_t& in_reference = reference_counts[token];
      if (in_prediction > 0 && in_reference > 0) {
        ++hits;
        --in_prediction;
        --in_reference;
      }
    }
  }
  return MakeScore(static_cast<double>(hits) / prediction_total,
                   static_cast<double>(hits) / reference_total);
}

}  // namespace

std::vector<std::string> RougeTokenize(absl::string_view text) {
  // Lower-case ASCII; the two non-ASCII characters whose Python lower case contains an ASCII
  // letter become that letter; every other byte outside [a-z0-9] separates tokens.
  std::string normalized;
  normalized.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 'A' && c <= 'Z') {
      normalized.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      normalized.push_back(static_cast<char>(c));
    } else if (text.substr(i, 2) == "\xC4\xB0") {  // U+0130 -> "i" U+0307
      normalized.push_back('i');
      normalized.push_back(' ');
      i += 1;
    } else if (text.substr(i, 3) == "\xE2\x84\xAA") {  // U+212A KELVIN SIGN -> "k"
      normalized.push_back('k');
      i += 2;
    } else {
      normalized.push_back(' ');
    }
  }
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start < normalized.size()) {
    if (normalized[start] == ' ') {
      ++start;
      continue;
    }
    size_t end = normalized.find(' ', start);
    if (end == std::string::npos) end = normalized.size();
    std::string token = normalized.substr(start, end - start);
    tokens.push_back(token.size() > 3 ? PorterStem(token) : std::move(token));
    start = end;
  }
  return tokens;
}

RougeScores ScoreRouge(absl::string_view reference, absl::string_view prediction) {
  const Tokens reference_tokens = RougeTokenize(reference);
  const Tokens prediction_tokens = RougeTokenize(prediction);
  RougeScores scores;
  scores.rouge1 = ScoreNgrams(reference_tokens, prediction_tokens, 1);
  scores.rouge2 = ScoreNgrams(reference_tokens, prediction_tokens, 2);
  scores.rouge_l = ScoreLcs(reference_tokens, prediction_tokens);
  scores.rouge_lsum = ScoreSummaryLevelLcs(TokenizeLines(reference), TokenizeLines(prediction));
  return scores;
}

absl::StatusOr<RougeSummary> MeanRougeF(const std::vector<std::string>& predictions,
                                        const std::vector<std::string>& references) {
  if (predictions.size() != references.size()) {
    return absl::InvalidArgumentError(absl::StrCat("ROUGE: ", predictions.size(),
                                                   " predictions but ", references.size(),
                                                   " references"));
  }
  if (predictions.empty()) {
    return absl::InvalidArgumentError("ROUGE: no examples (0 predictions and 0 references)");
  }
  RougeSummary summary;
  for (size_t i = 0; i < predictions.size(); ++i) {
    const RougeScores s = ScoreRouge(references[i], predictions[i]);
    summary.rouge1 += s.rouge1.fmeasure;
    summary.rouge2 += s.rouge2.fmeasure;
    summary.rouge_l += s.rouge_l.fmeasure;
    summary.rouge_lsum += s.rouge_lsum.fmeasure;
  }
  const double n = static_cast<double>(predictions.size());
  summary.rouge1 /= n;
  summary.rouge2 /= n;
  summary.rouge_l /= n;
  summary.rouge_lsum /= n;
  summary.num_examples = static_cast<int64_t>(predictions.size());
  return summary;
}

}  // namespace lrb
