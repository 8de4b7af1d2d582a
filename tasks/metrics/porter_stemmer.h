// The Porter stemmer exactly as NLTK's nltk.stem.porter.PorterStemmer() (mode NLTK_EXTENSIONS, NLTK
// 3.8), the stemmer Google's rouge_score uses with use_stemmer=True.
//
// NLTK_EXTENSIONS differs from Porter's original algorithm (and from Snowball's "porter" in
// libstemmer, which disagrees with NLTK on about 3% of SAMSum's words: "always" -> "alwai" vs
// "alway", "awfully" -> "awfulli" vs "aw", "biology" -> "biologi" vs "biolog"):
//   - irregular forms: sky/skies -> sky, dying -> die, lying -> lie, tying -> tie, news -> news,
//     innings/inning -> inning, outings/outing -> outing, cannings/canning -> canning, howe -> howe,
//     proceed/exceed/succeed unchanged;
//   - words of at most 2 characters are returned unchanged;
//   - step 1a: a 4-letter word ending in "ies" becomes "...ie" (ties -> tie);
//   - step 1b: "ied" -> "ie" in a 4-letter word, else "i" (cried -> cri);
//   - step 1c: y -> i only after a consonant that is not the first letter (enjoy, spy -> spi);
//   - step 2: "alli" (m>0) -> "al" and step 2 again; "bli" -> "ble" instead of "abli" -> "able";
//     "fulli" -> "ful"; "logi" -> "log" when the stem with its "l" has m>0;
//   - *o also holds for a 2-letter vowel-consonant stem.
// Input is expected in lower case ASCII (as rouge_score's tokenizer produces); other bytes are
// treated as consonants, as NLTK treats any non-vowel character.
#ifndef LRBENCH_TASKS_METRICS_PORTER_STEMMER_H_
#define LRBENCH_TASKS_METRICS_PORTER_STEMMER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lrb {

// The stem of `word` as NLTK's PorterStemmer().stem(word) returns it for a lower-case word.
std::string PorterStem(absl::string_view word);

}  // namespace lrb

#endif  // LRBENCH_TASKS_METRICS_PORTER_STEMMER_H_
