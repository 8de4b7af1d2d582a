#include "tasks/metrics/rouge.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

void ExpectScore(const RougeScore& actual, double precision, double recall, double fmeasure,
                 const std::string& what) {
  EXPECT_NEAR(actual.precision, precision, 1e-12) << what;
  EXPECT_NEAR(actual.recall, recall, 1e-12) << what;
  EXPECT_NEAR(actual.fmeasure, fmeasure, 1e-12) << what;
}

TEST(RougeTokenizeTest, LowerCasesSplitsAndStems) {
  EXPECT_THAT(RougeTokenize("The CATS were running, aren't they?"),
              ElementsAre("the", "cat", "were", "run", "aren", "t", "they"));
  EXPECT_THAT(RougeTokenize("  e-mail:\tfoo_bar 42x \r\n"), ElementsAre("e", "mail", "foo", "bar", "42x"));
  // Only tokens longer than 3 characters are stemmed ("was" stays, "ties" -> "tie").
  EXPECT_THAT(RougeTokenize("was ties"), ElementsAre("was", "tie"));
  // Non-ASCII characters separate tokens, except U+0130 ("i" + U+0307) and U+212A ("k").
  EXPECT_THAT(RougeTokenize("caf\xC3\xA9 \xC4\xB0stanbul 300\xE2\x84\xAA"),
              ElementsAre("caf", "i", "stanbul", "300k"));
  EXPECT_TRUE(RougeTokenize(" ,;! ").empty());
}

TEST(RougeTest, HandComputed) {
  // Tokens: reference (the cat sat on the mat), prediction (the cat lay on a mat).
  // Unigrams: the (min 2, 1), cat, on, mat -> 4 of 6 each side. Bigrams: "the cat" -> 1 of 5.
  // LCS: the cat on mat = 4.
  const RougeScores s = ScoreRouge("The cat sat on the mat.", "the cat lay on a mat");
  ExpectScore(s.rouge1, 4.0 / 6, 4.0 / 6, 4.0 / 6, "rouge1");
  ExpectScore(s.rouge2, 1.0 / 5, 1.0 / 5, 1.0 / 5, "rouge2");
  ExpectScore(s.rouge_l, 4.0 / 6, 4.0 / 6, 4.0 / 6, "rougeL");
  ExpectScore(s.rouge_lsum, 4.0 / 6, 4.0 / 6, 4.0 / 6, "rougeLsum");
}

TEST(RougeTest, SummaryLevelLcsFollowsRougeScoreBacktracking) {
  // Reference lines r1 = a b c d, r2 = e f a b; prediction lines a b e f / c d a b / b a.
  // r1: the LCS with "c d a b" that rouge_score's backtracking picks is "a b" (not "c d"), so the
  // union over prediction lines is {a, b}: 2 hits. r2: {e, f} from line 1 and {a, b} from line 2:
  // 4 hits. P = 6 / 10, R = 6 / 8. ROUGE-1: 8 of 10 prediction tokens, all 8 reference tokens.
  const RougeScores s = ScoreRouge("a b c d\ne f a b", "a b e f\nc d a b\nb a");
  ExpectScore(s.rouge_lsum, 0.6, 0.75, 2 * 0.6 * 0.75 / 1.35, "rougeLsum");
  ExpectScore(s.rouge1, 0.8, 1.0, 2 * 0.8 / 1.8, "rouge1");
}

TEST(RougeTest, EmptySideScoresZero) {
  for (const auto& [reference, prediction] : std::vector<std::pair<std::string, std::string>>{
           {"", "a cat"}, {"a cat", ""}, {"...", "a cat"}, {"a cat", "\n\n"}}) {
    const RougeScores s = ScoreRouge(reference, prediction);
    EXPECT_EQ(s.rouge1.fmeasure, 0.0);
    EXPECT_EQ(s.rouge2.fmeasure, 0.0);
    EXPECT_EQ(s.rouge_l.fmeasure, 0.0);
    EXPECT_EQ(s.rouge_lsum.fmeasure, 0.0);
  }
}

struct ReferenceCase {
  const char* reference;
  const char* prediction;
  double scores[4][3];  // rouge1, rouge2, rougeL, rougeLsum: precision, recall, F-measure
};

// SAMSum validation summaries against derived predictions (dialogue turns, shuffled or thinned
// summaries, another example's summary; sentences on lines for ROUGE-Lsum), plus edge cases.
// Scores: Google's rouge_score (google-research/rouge rouge_scorer.py and tokenize.py, transcribed
// to Python at development time, no Debian package exists) with NLTK 3.8's PorterStemmer.
const ReferenceCase kReferenceCases[] = {
    {"A will go to the animal shelter tomorrow to get a puppy for her son. They already visited the shelter last Monday and the son chose the puppy. ",
     "A: Hi Tom, are you busy tomorrow’s afternoon?\nB: I’m pretty sure I am. What’s up?",
     {{0.10526315789473684, 0.071428571428571425, 0.085106382978723402}, {0, 0, 0}, {0.10526315789473684, 0.071428571428571425, 0.085106382978723402}, {0.10526315789473684, 0.071428571428571425, 0.085106382978723402}}},
    {"Sophie is waiting for a client, who is late.\nShe will meet Gwen later.",
     "later. Gwen meet will She late. is is late. She will meet Gwen later.",
     {{0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.46153846153846156, 0.46153846153846156, 0.46153846153846156}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}}},
    {"Luke, Ken and Summer went surfing today and enjoyed it.",
     "Martha's 30 weeks pregnant and needs to stay in the hospital for another few weeks, but the baby is not in danger any more.",
     {{0.040000000000000001, 0.10000000000000001, 0.057142857142857141}, {0, 0, 0}, {0.040000000000000001, 0.10000000000000001, 0.057142857142857141}, {0.040000000000000001, 0.10000000000000001, 0.057142857142857141}}},
    {"Sue will work today replacing Jane.\nJane frequently calls in sick on Tuesdays.\nJane needs to rectify the situation, or she risks being fired.",
     "Sue work today Jane.\nJane calls in on Tuesdays.\nneeds to the situation, she risks fired.",
     {{1, 0.66666666666666663, 0.80000000000000004}, {0.46666666666666667, 0.30434782608695654, 0.36842105263157893}, {1, 0.66666666666666663, 0.80000000000000004}, {1, 0.66666666666666663, 0.80000000000000004}}},
    {"Harry is very angry, because he had washed his car, and some birds have defecated on it.",
     "Harry: <file_photo>\nHarry: That feeling, when you wash your car by yourself working your ass off half of a day",
     {{0.14285714285714285, 0.17647058823529413, 0.15789473684210528}, {0, 0, 0}, {0.14285714285714285, 0.17647058823529413, 0.15789473684210528}, {0.14285714285714285, 0.17647058823529413, 0.15789473684210528}}},
    {"Oliver found out that they misunderstood the rules of the game.\nEmily and Chris think they should play the game again.\n",
     "again. game the play should they think Chris and Emily game. Emily and Chris think they should play the game again.",
     {{0.61904761904761907, 0.61904761904761907, 0.61904761904761907}, {0.5, 0.5, 0.5}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.61904761904761907, 0.61904761904761907, 0.61904761904761907}}},
    {"Iris's still in town for 2 days. She's planning to buy the Nina Ricci pink apple for Flo, a small coffee machine for mum, a Brook saddle for her brother in law, a small travel clock for Ted and a cap for FR. She has venaison and smoke salmon planned for meals, Diana will bring foie gras and oysters.",
     "Sally, Sam, Miranda, Danny and Doro will go to London to visit Ella. Ella cannot organize them hotels for their stay so Danny found an apartment for 1500 PLN on airb&b.",
     {{0.15625, 0.081967213114754092, 0.10752688172043011}, {0, 0, 0}, {0.09375, 0.049180327868852458, 0.064516129032258063}, {0.09375, 0.049180327868852458, 0.064516129032258063}}},
    {"Clara doesn't have any spare blankets, pillows or anything else to donate to the shelter today.\nShe'll ask her friends and she might have something next time.",
     "Clara have any blankets, pillows anything else donate to shelter today.\nask her and she have something time.",
     {{1, 0.62068965517241381, 0.76595744680851074}, {0.47058823529411764, 0.2857142857142857, 0.35555555555555557}, {1, 0.62068965517241381, 0.76595744680851074}, {1, 0.62068965517241381, 0.76595744680851074}}},
    {"Thelma needs to look amazing so Louisa will get her her red velvet dress.",
     "Thelma: i dont have anything to wear\nLouisa: your wardrobe is full of clothes",
     {{0.21428571428571427, 0.21428571428571427, 0.21428571428571427}, {0, 0, 0}, {0.21428571428571427, 0.21428571428571427, 0.21428571428571427}, {0.21428571428571427, 0.21428571428571427, 0.21428571428571427}}},
    {"The class is cancelled and Kierian wants to play basketball, but Jana is at home.",
     "home. at is Jana but basketball, play to play basketball, but Jana is at home.",
     {{0.59999999999999998, 0.59999999999999998, 0.59999999999999998}, {0.5, 0.5, 0.5}, {0.59999999999999998, 0.59999999999999998, 0.59999999999999998}, {0.59999999999999998, 0.59999999999999998, 0.59999999999999998}}},
    {"Gabriel texted birthday wishes to Zuza's old phone number, so he wanted to correct his mistake.",
     "Kate is preparing her application papers. She is still waiting for the evaluation paper from one of her teachers.",
     {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
    {"Joanne is going to Spain with her fiancee next week.\nShe will be absent during the presentation she had prepared with Elisabeth and Monica.\nMonica is worried and wants her to be there.\nJoanne offers her help via phone.\n",
     "Joanne going to with her next week.\nwill be during the she had with Elisabeth Monica.\nMonica worried and her to there.\nJoanne her help phone.",
     {{1, 0.66666666666666663, 0.80000000000000004}, {0.47999999999999998, 0.31578947368421051, 0.38095238095238093}, {1, 0.66666666666666663, 0.80000000000000004}, {1, 0.66666666666666663, 0.80000000000000004}}},
    {"Alice is complaining about her new workplace. Joanna has another student for Alice and she wants to continue learning on Tuesday mornings. ",
     "Alice: Hi Joanna! How's things?\nJoanna: I'm ok, spring is coming.",
     {{0.23076923076923078, 0.13636363636363635, 0.1714285714285714}, {0, 0, 0}, {0.15384615384615385, 0.090909090909090912, 0.1142857142857143}, {0.23076923076923078, 0.13636363636363635, 0.1714285714285714}}},
    {"Silvia will be free in 5 minutes.",
     "minutes. 5 in free in 5 minutes.",
     {{0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.5, 0.5, 0.5}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}}},
    {"Betty will be late. Harriet will leave her ticket with the attendant.",
     "Jim will bring Michael and Alan to Eva's office. They will discuss details of their policy with new clients.",
     {{0.14999999999999999, 0.25, 0.18749999999999997}, {0, 0, 0}, {0.14999999999999999, 0.25, 0.18749999999999997}, {0.14999999999999999, 0.25, 0.18749999999999997}}},
    {"Greta is working as an au pair at the Watson family.\nThe mother, Carol, is following her all the time which makes her uncomfortable.\nMiriam will talk to Carol.",
     "Greta working as au pair the Watson The mother, is following all the which makes uncomfortable.\nMiriam talk to",
     {{1, 0.65517241379310343, 0.79166666666666663}, {0.5, 0.32142857142857145, 0.39130434782608697}, {1, 0.65517241379310343, 0.79166666666666663}, {1, 0.65517241379310343, 0.79166666666666663}}},
    {"Gina wants spaghetti for dinner.",
     "Kate: What do you want for dinner?\nGina: Didn't think of it, yet",
     {{0.2857142857142857, 0.80000000000000004, 0.42105263157894729}, {0.076923076923076927, 0.25, 0.11764705882352941}, {0.21428571428571427, 0.59999999999999998, 0.31578947368421051}, {0.2857142857142857, 0.80000000000000004, 0.42105263157894729}}},
    {"Ursula will come over to Craig in 15 minutes.\nBrad has gone back.\nJennie is touring.\nCraig will have pizzas and wine.\nCraig has cleaned the bathroom earlier.\n",
     "earlier. bathroom the cleaned has Craig wine. and pizzas have will Craig touring. is is touring. Craig will have pizzas and wine. Craig has cleaned the bathroom earlier.",
     {{0.6071428571428571, 0.6071428571428571, 0.6071428571428571}, {0.48148148148148145, 0.48148148148148145, 0.48148148148148145}, {0.5714285714285714, 0.5714285714285714, 0.5714285714285714}, {0.6071428571428571, 0.6071428571428571, 0.6071428571428571}}},
    {"Isabella talked to the guys about buying the washing up liquid and sponge yesterday. Jack is annoyed with people making mess in the kitchen. Jack wants Isabella to talk to the others and to write it in the group for everyone to see.",
     "Paul will lend his sleeping bag to Sandra.",
     {{0.125, 0.023255813953488372, 0.03921568627450981}, {0, 0, 0}, {0.125, 0.023255813953488372, 0.03921568627450981}, {0.125, 0.023255813953488372, 0.03921568627450981}}},
    {"Janine has sent some photos of her children having fun to Mike.\nHer daughter Zoe is taller than Jacob and has a boyfriend at the age of 6.\nJanine also had a boyfriend at 6.",
     "Janine sent some of her having fun Mike.\nHer Zoe is than Jacob has a at the of 6.\nalso had boyfriend at",
     {{1, 0.65714285714285714, 0.7931034482758621}, {0.5, 0.3235294117647059, 0.3928571428571429}, {1, 0.65714285714285714, 0.7931034482758621}, {1, 0.65714285714285714, 0.7931034482758621}}},
    {"",
     "a cat",
     {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
    {"The cats were running quickly.\nDogs barked loudly!",
     "Dogs barked.\nThe cat ran quickly and the cats were running",
     {{0.63636363636363635, 0.875, 0.73684210526315785}, {0.40000000000000002, 0.5714285714285714, 0.47058823529411764}, {0.36363636363636365, 0.5, 0.4210526315789474}, {0.54545454545454541, 0.75, 0.63157894736842102}}},
    {"İstanbul is 300K warm; café déjà vu",
     "istanbul STANBUL k caf vu",
     {{0.59999999999999998, 0.33333333333333331, 0.42857142857142855}, {0, 0, 0}, {0.59999999999999998, 0.33333333333333331, 0.42857142857142855}, {0.59999999999999998, 0.33333333333333331, 0.42857142857142855}}},
    {"a b c d\ne f a b",
     "a b e f\nc d a b\nb a",
     {{0.80000000000000004, 1, 0.88888888888888895}, {0.44444444444444442, 0.5714285714285714, 0.5}, {0.59999999999999998, 0.75, 0.66666666666666652}, {0.59999999999999998, 0.75, 0.66666666666666652}}},
};

TEST(RougeTest, MatchesRougeScore) {
  int index = 0;
  for (const ReferenceCase& c : kReferenceCases) {
    const RougeScores s = ScoreRouge(c.reference, c.prediction);
    const RougeScore* actual[4] = {&s.rouge1, &s.rouge2, &s.rouge_l, &s.rouge_lsum};
    const char* names[4] = {"rouge1", "rouge2", "rougeL", "rougeLsum"};
    for (int t = 0; t < 4; ++t) {
      ExpectScore(*actual[t], c.scores[t][0], c.scores[t][1], c.scores[t][2],
                  std::string("case ") + std::to_string(index) + " " + names[t]);
    }
    ++index;
  }
  EXPECT_EQ(index, 24);
}

TEST(MeanRougeFTest, AveragesFMeasures) {
  absl::StatusOr<RougeSummary> summary =
      MeanRougeF({"the cat lay on a mat", "a b e f\nc d a b\nb a"},
                 {"The cat sat on the mat.", "a b c d\ne f a b"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->num_examples, 2);
  EXPECT_NEAR(summary->rouge1, (4.0 / 6 + 2 * 0.8 / 1.8) / 2, 1e-12);
  EXPECT_NEAR(summary->rouge_lsum, (4.0 / 6 + 2 * 0.6 * 0.75 / 1.35) / 2, 1e-12);
}

TEST(MeanRougeFTest, Errors) {
  absl::StatusOr<RougeSummary> mismatch = MeanRougeF({"a"}, {"a", "b"});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("1 predictions but 2 references"));
  EXPECT_FALSE(MeanRougeF({}, {}).ok());
}

}  // namespace
}  // namespace lrb
