#include "tasks/metrics/porter_stemmer.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// Paths relative to the workspace root (the test's working directory under Bazel).
constexpr char kFixturePath[] = "tasks/metrics/testdata/porter_nltk_samsum.tsv";

TEST(PorterStemTest, PaperExamplesAndNltkExtensions) {
  EXPECT_EQ(PorterStem("caresses"), "caress");
  EXPECT_EQ(PorterStem("ponies"), "poni");
  EXPECT_EQ(PorterStem("ties"), "tie");       // NLTK: 4-letter "ies"
  EXPECT_EQ(PorterStem("cried"), "cri");      // NLTK: "ied" -> "i"
  EXPECT_EQ(PorterStem("agreed"), "agre");
  EXPECT_EQ(PorterStem("hopping"), "hop");
  EXPECT_EQ(PorterStem("filing"), "file");
  EXPECT_EQ(PorterStem("happy"), "happi");
  EXPECT_EQ(PorterStem("enjoy"), "enjoy");    // NLTK: y -> i only after a consonant
  EXPECT_EQ(PorterStem("relational"), "relat");
  EXPECT_EQ(PorterStem("always"), "alway");   // Snowball "porter": "alwai"
  EXPECT_EQ(PorterStem("awfully"), "aw");     // NLTK "fulli"; Snowball "porter": "awfulli"
  EXPECT_EQ(PorterStem("biology"), "biolog"); // NLTK "logi"
  EXPECT_EQ(PorterStem("generalization"), "gener");
  EXPECT_EQ(PorterStem("dying"), "die");      // irregular forms
  EXPECT_EQ(PorterStem("skies"), "sky");
  EXPECT_EQ(PorterStem("news"), "news");
  EXPECT_EQ(PorterStem("controlling"), "control");
  EXPECT_EQ(PorterStem("is"), "is");          // at most 2 characters: unchanged
}

// Every line of the fixture: NLTK 3.8's stem of each distinct SAMSum validation token.
TEST(PorterStemTest, AgreesWithNltkOnSamsumVocabulary) {
  std::ifstream in(kFixturePath);
  ASSERT_TRUE(in) << "cannot open " << kFixturePath;
  std::string line;
  int words = 0;
  int disagreements = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string word = line.substr(0, tab);
    const std::string expected = line.substr(tab + 1);
    ++words;
    if (PorterStem(word) != expected) {
      ++disagreements;
      ADD_FAILURE() << word << ": NLTK " << expected << ", ours " << PorterStem(word);
    }
  }
  EXPECT_GT(words, 6000);
  EXPECT_EQ(disagreements, 0);
}

}  // namespace
}  // namespace lrb
