#include "tasks/tokenizers/text_tokenizer.h"

#include <algorithm>
#include <utility>

namespace lrb {

int64_t TruncateLongestFirst(int64_t max_length, int64_t specials, std::vector<int64_t>* a, std::vector<int64_t>* b,
                             const std::vector<size_t>& a_word_ends, const std::vector<size_t>& b_word_ends) {
  const size_t before = a->size() + b->size();
  const size_t limit = static_cast<size_t>(std::max<int64_t>(max_length, 0));
  const size_t budget = static_cast<size_t>(std::max<int64_t>(max_length - specials, 0));
  // The library's early stop: after the first word whose tokens reach max_length.
  const auto cut = [limit](std::vector<int64_t>* s, const std::vector<size_t>& ends) {
    if (s->size() <= limit) return;
    size_t keep = limit;
    if (!ends.empty()) {
      const auto end = std::lower_bound(ends.begin(), ends.end(), limit);
      keep = end == ends.end() ? s->size() : *end;
    }
    if (s->size() > keep) s->resize(keep);
  };
  cut(a, a_word_ends);
  cut(b, b_word_ends);
  // tokenizers' utils/truncation.rs, LongestFirst.
  size_t n1 = a->size(), n2 = b->size();
  const bool swap = n1 > n2;
  if (swap) std::swap(n1, n2);
  n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = budget / 2;
    n2 = n1 + budget % 2;
  }
  if (swap) std::swap(n1, n2);
  if (a->size() > n1) a->resize(n1);
  if (b->size() > n2) b->resize(n2);
  return static_cast<int64_t>(before - a->size() - b->size());
}

}  // namespace lrb
