// ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum as Google's rouge_score package computes them
// (rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)), the
// numbers summarization papers report (Hugging Face `evaluate`'s "rouge" wraps the same package).
//
// Tokenization (rouge_score's tokenize.tokenize): the text is lower-cased, every run of characters
// outside [a-z0-9] becomes one space, the text is split at whitespace, and each token longer than
// 3 characters is replaced by its NLTK Porter stem (porter_stemmer.h). Non-ASCII characters are
// separators, except the two whose Python lower case is ASCII: U+0130 (-> "i" + U+0307, so "i")
// and U+212A KELVIN SIGN (-> "k").
//
// Scores, for one reference and one prediction (P = precision, R = recall, F = 2PR / (P + R), 0
// when P + R = 0):
//   ROUGE-N: clipped n-gram overlap o = sum over reference n-grams of min(count in reference,
//     count in prediction); P = o / max(#prediction n-grams, 1), R = o / max(#reference n-grams, 1).
//   ROUGE-L: LCS of the two token sequences; P = LCS / |prediction|, R = LCS / |reference|; all 0
//     when either side has no token.
//   ROUGE-Lsum: both texts split at '\n' (empty lines dropped, each line tokenized on its own);
//     for each reference line, the union of the token positions of one LCS with each prediction
//     line (rouge_score's backtracking picks which LCS); each token of that union is a hit while
//     the token still has unused occurrences on both sides (counts over all lines);
//     P = hits / prediction tokens, R = hits / reference tokens; 0 when either side is empty.
// Over a set, the reported number is the mean F-measure of each type over the examples (x100 is
// left to the caller). Hugging Face evaluate's default use_aggregator=True reports the bootstrap
// median of that mean instead, which differs from it by sampling noise only.
#ifndef LRBENCH_TASKS_METRICS_ROUGE_H_
#define LRBENCH_TASKS_METRICS_ROUGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrb {

struct RougeScore {
  double precision = 0.0;
  double recall = 0.0;
  double fmeasure = 0.0;
};

struct RougeScores {
  RougeScore rouge1;
  RougeScore rouge2;
  RougeScore rouge_l;
  RougeScore rouge_lsum;
};

// Mean F-measures over a set of examples, in [0, 1].
struct RougeSummary {
  double rouge1 = 0.0;
  double rouge2 = 0.0;
  double rouge_l = 0.0;
  double rouge_lsum = 0.0;
  int64_t num_examples = 0;
};

// rouge_score's tokenizer with use_stemmer=True.
std::vector<std::string> RougeTokenize(absl::string_view text);

// The four scores of one prediction against one reference.
RougeScores ScoreRouge(absl::string_view reference, absl::string_view prediction);

// Mean F-measures over aligned predictions and references. Errors: different lengths, empty set.
absl::StatusOr<RougeSummary> MeanRougeF(const std::vector<std::string>& predictions,
                                        const std::vector<std::string>& references);

}  // namespace lrb

#endif  // LRBENCH_TASKS_METRICS_ROUGE_H_
