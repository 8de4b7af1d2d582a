#include "tasks/metrics/porter_stemmer.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace lrb {
namespace {

bool IsVowelLetter(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// Porter's consonant: not a, e, i, o, u, and not a 'y' preceded by a consonant.
bool IsConsonant(const std::string& word, size_t i) {
  if (IsVowelLetter(word[i])) return false;
  if (word[i] == 'y') return i == 0 ? true : !IsConsonant(word, i - 1);
  return true;
}

// m in [C](VC){m}[V]: the number of vowel-to-consonant transitions.
int Measure(const std::string& stem) {
  int m = 0;
  bool previous_vowel = false;
  for (size_t i = 0; i < stem.size(); ++i) {
    const bool consonant = IsConsonant(stem, i);
    if (consonant && previous_vowel) ++m;
    previous_vowel = !consonant;
  }
  return m;
}

bool HasPositiveMeasure(const std::string& stem) { return Measure(stem) > 0; }

bool ContainsVowel(const std::string& stem) {
  for (size_t i = 0; i < stem.size(); ++i) {
    if (!IsConsonant(stem, i)) return true;
  }
  return false;
}

// *d: ends with a double consonant.
bool EndsDoubleConsonant(const std::string& word) {
  const size_t n = word.size();
  return n >= 2 && word[n - 1] == word[n - 2] && IsConsonant(word, n - 1);
}

// *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK adds 2-letter vowel-consonant.
bool EndsCvc(const std::string& word) {
  const size_t n = word.size();
  if (n >= 3 && IsConsonant(word, n - 3) && !IsConsonant(word, n - 2) && IsConsonant(word, n - 1) &&
      word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y') {
    return true;
  }
  return n == 2 && !IsConsonant(word, 0) && IsConsonant(word, 1);
}

std::string DropSuffix(const std::string& word, size_t suffix_size) {
  return word.substr(0, word.size() - suffix_size);
}

struct Rule {
  const char* suffix;
  const char* replacement;
  std::function<bool(const std::string& stem)> condition;  // empty: unconditional
};

// The first rule whose suffix the word ends with decides: replaced when its condition holds on the
// stem, else the word is returned unchanged (NLTK's _apply_rule_list, without its "*d" rule).
std::string ApplyRuleList(const std::string& word, const std::vector<Rule>& rules) {
  for (const Rule& rule : rules) {
    if (!absl::EndsWith(word, rule.suffix)) continue;
    std::string stem = DropSuffix(word, absl::string_view(rule.suffix).size());
    if (!rule.condition || rule.condition(stem)) return stem + rule.replacement;
    return word;
  }
  return word;
}

std::string Step1a(const std::string& word) {
  if (absl::EndsWith(word, "ies") && word.size() == 4) return DropSuffix(word, 3) + "ie";
  return ApplyRuleList(word, {{"sses", "ss", nullptr},
                              {"ies", "i", nullptr},
                              {"ss", "ss", nullptr},
                              {"s", "", nullptr}});
}

std::string Step1b(const std::string& word) {
  if (absl::EndsWith(word, "ied")) {
    return DropSuffix(word, 3) + (word.size() == 4 ? "ie" : "i");
  }
  if (absl::EndsWith(word, "eed")) {
    const std::string stem = DropSuffix(word, 3);
    return Measure(stem) > 0 ? stem + "ee" : word;
  }
  std::string stem;
  bool removed = false;
  for (const char* suffix : {"ed", "ing"}) {
    if (absl::EndsWith(word, suffix)) {
      stem = DropSuffix(word, absl::string_view(suffix).size());
      if (ContainsVowel(stem)) {
        removed = true;
        break;
      }
    }
  }
  if (!removed) return word;
  if (absl::EndsWith(stem, "at") || absl::EndsWith(stem, "bl") || absl::EndsWith(stem, "iz")) {
    return stem + "e";
  }
  if (EndsDoubleConsonant(stem)) {
    const char last = stem.back();
    if (last != 'l' && last != 's' && last != 'z') return stem.substr(0, stem.size() - 1);
    return stem;
  }
  if (Measure(stem) == 1 && EndsCvc(stem)) return stem + "e";
  return stem;
}

std::string Step1c(const std::string& word) {
  return ApplyRuleList(word, {{"y", "i", [](const std::string& stem) {
                                 return stem.size() > 1 && IsConsonant(stem, stem.size() - 1);
                               }}});
}

std::string Step2(const std::string& word) {
  if (absl::EndsWith(word, "alli") && HasPositiveMeasure(DropSuffix(word, 4))) {
    return Step2(DropSuffix(word, 4) + "al");
  }
  const auto m = HasPositiveMeasure;
  return ApplyRuleList(
      word, {{"ational", "ate", m},
             {"tional", "tion", m},
             {"enci", "ence", m},
             {"anci", "ance", m},
             {"izer", "ize", m},
             {"bli", "ble", m},
             {"alli", "al", m},
             {"entli", "ent", m},
             {"eli", "e", m},
             {"ousli", "ous", m},
             {"ization", "ize", m},
             {"ation", "ate", m},
             {"ator", "ate", m},
             {"alism", "al", m},
             {"iveness", "ive", m},
             {"fulness", "ful", m},
             {"ousness", "ous", m},
             {"aliti", "al", m},
             {"iviti", "ive", m},
             {"biliti", "ble", m},
             {"fulli", "ful", m},
             // NLTK tests the word without "ogi", i.e. the stem with its "l".
             {"logi", "log", [&word](const std::string&) {
                return HasPositiveMeasure(DropSuffix(word, 3));
              }}});
}

std::string Step3(const std::string& word) {
  const auto m = HasPositiveMeasure;
  return ApplyRuleList(word, {{"icate", "ic", m},
                              {"ative", "", m},
                              {"alize", "al", m},
                              {"iciti", "ic", m},
                              {"ical", "ic", m},
                              {"ful", "", m},
                              {"ness", "", m}});
}

std::string Step4(const std::string& word) {
  const auto m1 = [](const std::string& stem) { return Measure(stem) > 1; };
  return ApplyRuleList(word, {{"al", "", m1},
                              {"ance", "", m1},
                              {"ence", "", m1},
                              {"er", "", m1},
                              {"ic", "", m1},
                              {"able", "", m1},
                              {"ible", "", m1},
                              {"ant", "", m1},
                              {"ement", "", m1},
                              {"ment", "", m1},
                              {"ent", "", m1},
                              {"ion", "",
                               [](const std::string& stem) {
                                 return Measure(stem) > 1 &&
                                        (stem.back() == 's' || stem.back() == 't');
                               }},
                              {"ou", "", m1},
                              {"ism", "", m1},
                              {"ate", "", m1},
                              {"iti", "", m1},
                              {"ous", "", m1},
                              {"ive", "", m1},
                              {"ize", "", m1}});
}

std::string Step5a(const std::string& word) {
  if (!absl::EndsWith(word, "e")) return word;
  const std::string stem = DropSuffix(word, 1);
  const int m = Measure(stem);
  if (m > 1 || (m == 1 && !EndsCvc(stem))) return stem;
  return word;
}

std::string Step5b(const std::string& word) {
  if (absl::EndsWith(word, "ll") && Measure(DropSuffix(word, 1)) > 1) return DropSuffix(word, 1);
  return word;
}

const char* IrregularForm(absl::string_view word) {
  struct Form {
    const char* word;
    const char* stem;
  };
  static constexpr Form kForms[] = {
      {"sky", "sky"},         {"skies", "sky"},       {"dying", "die"},       {"lying", "lie"},
      {"tying", "tie"},       {"news", "news"},       {"innings", "inning"},  {"inning", "inning"},
      {"outings", "outing"},  {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
      {"howe", "howe"},       {"proceed", "proceed"}, {"exceed", "exceed"},   {"succeed", "succeed"},
  };
  for (const Form& form : kForms) {
    if (word == form.word) return form.stem;
  }
  return nullptr;
}

}  // namespace

std::string PorterStem(absl::string_view word) {
  if (const char* irregular = IrregularForm(word)) return irregular;
  std::string stem(word);
  if (stem.size() <= 2) return stem;
  stem = Step1a(stem);
  stem = Step1b(stem);
  stem = Step1c(stem);
  stem = Step2(stem);
  stem = Step3(stem);
  stem = Step4(stem);
  stem = Step5a(stem);
  stem = Step5b(stem);
  return stem;
}

}  // namespace lrb
