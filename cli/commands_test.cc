// End-to-end tests of the `lrbench` commands (decompose, forward, tokenize, finetune, score) and their command line
// (every --help, both flag forms): the built binary on files the test writes, good input and bad.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "base/safetensors.h"
#include "cli/tool_test_util.h"
#include "methods/linalg/types.h"

namespace lrb {
namespace {

const char kT5[] = "third_party/fixtures/hf-parity/t5_tiny_gated_untied";
const char kVocab[] = "third_party/embedded/vocab/bert-base-uncased/vocab.txt";
const char kSpiece[] = "third_party/embedded/models/t5-mini-samsum/spiece.model";

TEST(ForwardCommandTest, WritesTheFixtureOutputsAndGeneration) {
  const std::string out = Fresh("t5_out.safetensors");
  ToolRun r = Lrbench(absl::StrCat("forward --model=", kT5, " --inputs=", kT5, "/expected.safetensors --output=", out,
                                   " --generate=10 --min_new_tokens=10"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<SafetensorsFile> got = ReadSafetensors(out);
  absl::StatusOr<SafetensorsFile> want = ReadSafetensors(std::string(kT5) + "/expected.safetensors");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*HostTensorToInt64(*got->Find("greedy_generate")), *HostTensorToInt64(*want->Find("greedy_generate")));
  EXPECT_EQ(got->Find("logits")->shape, want->Find("logits")->shape);
}

TEST(ForwardCommandTest, BadInputIsOneLineAndWritesNothing) {
  const std::string out = Fresh("bad_forward.safetensors");
  const std::string run = absl::StrCat("forward --model=", kT5, " --inputs=", kT5, "/expected.safetensors --output=", out);
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {absl::StrCat("forward --model=/nonexistent --inputs=", kT5, "/expected.safetensors --output=", out),
            "/nonexistent"},
           {absl::StrCat("forward --model=", kT5, " --inputs=", kT5, "/config.json --output=", out), "config.json"},
           {run + " --generate=-1", "--generate=-1: expected an integer >= 0"},
           {run + " --generate=4 --num_beams=0", "--num_beams=0: expected an integer >= 1"},
           {run + " --generate=4 --num_beams=2 --length_penalty=nan", "--length_penalty=nan: expected a finite number"},
       }) {
    ToolRun r = Lrbench(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
  }
}

TEST(CommandLineTest, AnUnknownCommandOrAnImpossibleDemoBudgetIsOneLine) {
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"compres --model=x", "unknown command 'compres'"},
           {"demo --bits=0", "--bits=0: budget bits=0 is out of range"},
           {"demo --param_ratio=1.5", "--param_ratio=1.5: expected a number in (0, 1]"},
       }) {
    ToolRun r = Lrbench(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(TokenizeCommandTest, EncodesLinesAndRefusesMalformedOnes) {
  const std::string in = Fresh("texts.jsonl"), out = Fresh("ids.jsonl");
  std::ofstream(in) << R"({"text": "Hello, world!"})" << "\n" << R"({"text": "a b", "text_pair": "c"})" << "\n";
  ToolRun r = Lrbench(absl::StrCat("tokenize --vocab=", kVocab, " --input=", in, " --output=", out, " --max_length=16"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // bert-base-uncased: hello 7592, "," 1010, world 2088, "!" 999; a 1037, b 1038, c 1039.
  EXPECT_EQ(Slurp(out),
            "{\"input_ids\":[101,7592,1010,2088,999,102],\"token_type_ids\":[0,0,0,0,0,0]}\n"
            "{\"input_ids\":[101,1037,1038,102,1039,102],\"token_type_ids\":[0,0,0,0,1,1]}\n");
  const std::string bad = Fresh("bad.jsonl"), bad_out = Fresh("bad_ids.jsonl");
  std::ofstream(bad) << R"({"text": "fine"})" << "\n" << R"({"txt": "oops"})" << "\n";
  r = Lrbench(absl::StrCat("tokenize --vocab=", kVocab, " --input=", bad, " --output=", bad_out, " --max_length=16"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(bad_out));
  // Exit codes as every command has them: 2 for a missing required flag, 1 for any other error.
  r = Lrbench(absl::StrCat("tokenize --vocab=", kVocab, " --input=", in, " --max_length=16"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Lrbench(absl::StrCat("tokenize --vocab=", kVocab, " --input=", in, " --output=", bad_out,
                           " --max_length=16 --max_lenght=8"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("unknown flag --max_lenght"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(bad_out));
}

// --tokenizer takes tokenizer.json, vocab.txt (its tokenizer_config.json honoured) and spiece.model.
TEST(TokenizeCommandTest, TakesEveryTokenizerFile) {
  const std::string in = Fresh("texts_any.jsonl");
  std::ofstream(in) << R"({"text": "Hello world", "text_pair": "Bye"})" << "\n";
  // RoBERTa (the fixture's GPT-2 numbering, its README; ids from the tokenizers library):
  // <s> Hello Ġworld </s> </s> By e </s>.
  std::string out = Fresh("ids_roberta.jsonl");
  ToolRun r = Lrbench(absl::StrCat("tokenize --tokenizer=third_party/fixtures/tokenizers/roberta/tokenizer.json --input=",
                                   in, " --output=", out, " --max_length=16"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Slurp(out), "{\"input_ids\":[0,15500,999,2,2,3890,72,2],\"token_type_ids\":[0,0,0,0,0,0,0,0]}\n");
  // The cased vocabulary keeps "Hello" (its own id) where the uncased one lower-cases it (7592).
  out = Fresh("ids_cased.jsonl");
  r = Lrbench(absl::StrCat("tokenize --tokenizer=third_party/fixtures/tokenizers/bert_cased/vocab.txt --input=", in,
                           " --output=", out, " --max_length=16"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Slurp(out).find("7592"), std::string::npos) << Slurp(out);
  // T5: pieces + EOS (id 1), single texts only.
  const std::string single = Fresh("texts_single.jsonl");
  std::ofstream(single) << R"({"text": "Hello world"})" << "\n";
  out = Fresh("ids_t5.jsonl");
  r = Lrbench(absl::StrCat("tokenize --tokenizer=", kSpiece, " --input=", single, " --output=", out, " --max_length=16"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string t5 = Slurp(out);
  EXPECT_EQ(t5.rfind("{\"input_ids\":[", 0), 0u) << t5;
  EXPECT_NE(t5.find(",1]}\n"), std::string::npos) << t5;
  EXPECT_EQ(t5.find("token_type_ids"), std::string::npos) << t5;
  out = Fresh("ids_t5_pair.jsonl");
  r = Lrbench(absl::StrCat("tokenize --tokenizer=", kSpiece, " --input=", in, " --output=", out, " --max_length=16"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("spiece.model encodes single texts"), std::string::npos) << r.err;
  // An unsupported component is named.
  const std::string bad = Fresh("tokenizer.json");
  std::ofstream(bad) << R"({"model": {"type": "Unigram", "vocab": []}, "added_tokens": [], "pre_tokenizer": {"type": "Metaspace"}})";
  r = Lrbench(absl::StrCat("tokenize --tokenizer=", bad, " --input=", in, " --output=", out, " --max_length=16"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pre_tokenizer.type 'Metaspace' is not supported"), std::string::npos) << r.err;
  r = Lrbench(absl::StrCat("tokenize --tokenizer=", bad, " --vocab=", kVocab, " --input=", in, " --output=", out,
                           " --max_length=16"));
  EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;
}

// `lrbench decompose`: every method end to end, and its bad-input handling.
ToolRun Decompose(const std::string& args) { return Lrbench("decompose " + args); }

std::vector<float> RowMajorValues(const Matrix& m) {
  std::vector<float> v;
  for (int64_t i = 0; i < m.rows(); ++i)
    for (int64_t j = 0; j < m.cols(); ++j) v.push_back(m(i, j));
  return v;
}

// Writes `weight` [48, 64] (plus fisher and inputs) to a fresh file and returns its path.
std::string WriteInput(const std::string& name, const Matrix& weight) {
  SafetensorsFile f;
  EXPECT_TRUE(f.Add("weight", *HostTensorFromFloats(DType::kF32, {weight.rows(), weight.cols()},
                                                     RowMajorValues(weight))).ok());
  const Matrix fisher = GaussianMatrix(weight.rows(), weight.cols(), 2).cwiseAbs2();
  EXPECT_TRUE(f.Add("fisher", *HostTensorFromFloats(DType::kF32, {weight.rows(), weight.cols()},
                                                     RowMajorValues(fisher))).ok());
  const Matrix inputs = GaussianMatrix(200, weight.cols(), 3);
  EXPECT_TRUE(
      f.Add("inputs", *HostTensorFromFloats(DType::kBF16, {200, weight.cols()}, RowMajorValues(inputs))).ok());
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::remove(path);
  EXPECT_TRUE(WriteSafetensors(f, path, /*overwrite=*/true).ok());
  return path;
}

std::string OutputPath(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::remove(path);
  return path;
}

TEST(DecomposeTest, EveryMethodWritesFactorsReconstructionAndOneJsonLine) {
  const Matrix w = GaussianMatrix(48, 64, 1);
  const std::string input = WriteInput("in.safetensors", w);
  for (std::string method :
       {"svd", "fwsvd", "drone", "losparse", "kronecker", "ada_tucker", "loretta", "kashin"}) {
    const std::string output = OutputPath(method + ".safetensors");
    const std::string budget = method == "kashin" ? "--bits=3" : "--param_ratio=0.3";
    ToolRun r = Decompose(absl::StrCat("--method=", method, " --input=", input, " --output=", output, " ", budget));
    ASSERT_EQ(r.exit_code, 0) << method << ": " << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    for (const char* key : {"\"method\"", "\"stored_params\"", "\"rel_error\"", "\"seconds\"", "\"stored_bits\""}) {
      EXPECT_NE(r.out.find(key), std::string::npos) << method << " lacks " << key << ": " << r.out;
    }
    absl::StatusOr<SafetensorsFile> f = ReadSafetensors(output);
    ASSERT_TRUE(f.ok()) << f.status();
    const HostTensor* recon = f->Find("reconstruction");
    ASSERT_NE(recon, nullptr) << method;
    EXPECT_EQ(recon->shape, (std::vector<int64_t>{48, 64}));
    EXPECT_GE(f->size(), 2u) << method << " stored no factors";
    // The printed error is the error of the reconstruction that was written.
    const std::vector<float> v = *HostTensorToFloats(*recon);
    const std::vector<float> ref = RowMajorValues(w);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      diff += (v[i] - ref[i]) * (v[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
    const std::string key = "\"rel_error\":";
    const double printed = std::stod(r.out.substr(r.out.find(key) + key.size()));
    EXPECT_NEAR(printed, std::sqrt(diff / norm), 1e-5) << method;
  }
}

struct BadCase {
  std::string name, args, expected;  // args after --input/--output; expected: a substring of stderr
};

TEST(DecomposeTest, BadInputIsOneLineNoCrashNoOutput) {
  Matrix w = GaussianMatrix(48, 64, 1);
  const std::string input = WriteInput("good.safetensors", w);
  w(5, 6) = NAN;
  const std::string nan_input = WriteInput("nan.safetensors", w);
  const std::string garbage = ::testing::TempDir() + "/garbage.safetensors";
  std::ofstream(garbage) << "not a safetensors file at all";
  const std::vector<BadCase> cases = {
      {"missing tensor", "--input=" + input + " --tensor=nope --method=svd --rank=4", "no tensor 'nope'"},
      {"rank zero", "--input=" + input + " --method=svd --rank=0", "--rank=0"},
      {"rank too large", "--input=" + input + " --method=svd --rank=49", "outside [1, 48]"},
      {"impossible budget", "--input=" + input + " --method=kronecker --param_ratio=0.001", "Kronecker terms"},
      {"nan weight", "--input=" + nan_input + " --method=svd --rank=4", "[5, 6]"},
      {"unreadable file", "--input=" + garbage + " --method=svd --rank=4", "garbage.safetensors"},
      {"missing file", "--input=/nonexistent/x.safetensors --method=svd --rank=4", "/nonexistent/x.safetensors"},
      {"unknown method", "--input=" + input + " --method=pca --rank=4", "unknown method 'pca'"},
      {"unknown option", "--input=" + input + " --method=svd --rank=4 --colour=red", "no option --colour"},
      {"wrong budget kind", "--input=" + input + " --method=svd --bits=4", "takes --rank or --param_ratio"},
      {"two budgets", "--input=" + input + " --method=svd --bits=4 --rank=3", "exactly one budget"},
  };
  for (const BadCase& c : cases) {
    const std::string output = OutputPath("bad.safetensors");
    ToolRun r = Decompose(c.args + " --output=" + output);
    EXPECT_EQ(r.exit_code, 1) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(output)) << c.name;
  }
}

TEST(DecomposeTest, ExistingOutputIsKeptWithoutOverwrite) {
  const std::string input = WriteInput("keep.safetensors", GaussianMatrix(48, 64, 1));
  const std::string output = OutputPath("existing.safetensors");
  std::ofstream(output) << "precious";
  ToolRun r = Decompose("--method=svd --rank=4 --input=" + input + " --output=" + output);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(output), "precious");
  r = Decompose("--method=svd --rank=4 --overwrite --input=" + input + " --output=" + output);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadSafetensors(output).ok());
}

// The command line (cli/cli.h): each command's --help lists the flags it declares, and `lrbench --help` the
// commands (with their summaries), the methods with their options, and the tasks.
TEST(CommandLineTest, EveryCommandsHelpListsItsFlags) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"decompose",
       {"--method", "--input", "--output", "--tensor", "--rank", "--param_ratio", "--bits", "--overwrite"}},
      {"compress",
       {"--model", "--method", "--rank", "--param_ratio", "--bits", "--output", "--linears", "--task", "--data_dir",
        "--statistics_examples", "--max_length", "--device", "--overwrite"}},
      {"export", {"--model", "--format", "--dtype", "--output", "--overwrite"}},
      {"forward",
       {"--model", "--inputs", "--output", "--generate", "--min_new_tokens", "--num_beams", "--length_penalty",
        "--device", "--overwrite"}},
      {"finetune",
       {"--model", "--task", "--output", "--epochs", "--lr", "--batch_size", "--weight_decay", "--warmup_ratio",
        "--max_grad_norm", "--seed", "--log_every", "--max_length", "--max_target_length", "--source_prefix",
        "--train_split", "--eval_split", "--max_train_examples", "--max_eval_examples", "--generate", "--num_beams",
        "--device", "--data_dir", "--tokenizer", "--threads", "--overwrite"}},
      {"tokenize", {"--tokenizer", "--vocab", "--input", "--output", "--max_length", "--overwrite"}},
      {"score", {"--task", "--predictions", "--split", "--data_dir"}},
      {"reproduce",
       {"--tables", "--tasks", "--profile", "--model", "--out", "--data_dir", "--device", "--kernels", "--shard_index",
        "--shard_count", "--render_only", "--results_md", "--specs"}},
      {"compare", {"--base", "--head", "--base_bench", "--head_bench", "--out", "--max_drop", "--max_slowdown"}},
      {"demo", {"--shapes", "--param_ratio", "--bits"}},
  };
  const ToolRun top = Lrbench("--help");
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(Lrbench("help").out, top.out);
  for (const auto& [command, flags] : commands) {
    const ToolRun r = Lrbench(command + " --help");
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_EQ(r.err, "") << command;
    EXPECT_NE(r.out.find("Usage: lrbench " + command + " [OPTIONS]"), std::string::npos) << r.out;
    for (const std::string& flag : flags) {
      // A flag's line: its name after two spaces, then its type (or, for a switch, its help).
      EXPECT_NE(r.out.find("\n  " + flag + " "), std::string::npos) << command << " lacks " << flag << ":\n" << r.out;
    }
    // Its line in `lrbench --help` starts with its name and goes on with its summary, the first line of its help.
    const std::string summary = r.out.substr(0, r.out.find('\n'));
    const size_t at = top.out.find("\n  " + command + " ");
    ASSERT_NE(at, std::string::npos) << command << ":\n" << top.out;
    const size_t from = at + 3 + command.size();
    std::string line = top.out.substr(from, top.out.find('\n', from) - from);
    line.erase(0, line.find_first_not_of(' '));
    EXPECT_EQ(line, summary) << command;
  }
  // The methods with their budgets and options, and the tasks, as the registries give them.
  EXPECT_NE(top.out.find("  svd         SVD. Budget: --rank or --param_ratio.\n      --solver=exact  "),
            std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("  kashin      Kashin. Budget: --bits.\n"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("  glue/rte   RTE, classification; splits dev train test; metrics accuracy\n"),
            std::string::npos)
      << top.out;
}

// --name value is --name=value, for a command's flags and a method's options alike.
TEST(CommandLineTest, SpaceSeparatedValuesEqualTheEqualsForm) {
  const std::string input = WriteInput("forms.safetensors", GaussianMatrix(48, 64, 1));
  const std::string equals = OutputPath("forms_equals.safetensors"), space = OutputPath("forms_space.safetensors"),
                    exact = OutputPath("forms_exact.safetensors");
  ToolRun a = Decompose("--method=svd --rank=4 --solver=randomized --power_iterations=0 --seed=3 --input=" + input +
                        " --output=" + equals);
  ToolRun b = Decompose("--method svd --rank 4 --solver randomized --power_iterations 0 --seed 3 --input " + input +
                        " --output " + space);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // The randomized SVD with a fixed seed is deterministic: the same options give the same reconstruction.
  const std::vector<float> ra = *HostTensorToFloats(*ReadSafetensors(equals)->Find("reconstruction"));
  EXPECT_EQ(*HostTensorToFloats(*ReadSafetensors(space)->Find("reconstruction")), ra);
  // And the options reached the method: the exact rank-4 SVD is the best rank-4 approximation (Eckart-Young), and a
  // range finder without power iterations on a Gaussian matrix's flat spectrum falls clearly short of it.
  ToolRun c = Decompose("--method svd --rank 4 --input " + input + " --output " + exact);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto rel_error = [](const std::string& out) { return std::stod(out.substr(out.find("\"rel_error\":") + 12)); };
  EXPECT_GT(rel_error(b.out), rel_error(c.out) + 1e-4) << b.out << c.out;

  // tokenize: bert-base-uncased, "Hello, world!" cut to 4 tokens: [CLS] hello , [SEP].
  const std::string texts = Fresh("forms.jsonl"), ids_equals = Fresh("forms_ids_equals.jsonl"),
                    ids_space = Fresh("forms_ids_space.jsonl");
  std::ofstream(texts) << R"({"text": "Hello, world!"})" << "\n";
  ToolRun t = Lrbench(
      absl::StrCat("tokenize --vocab=", kVocab, " --input=", texts, " --output=", ids_equals, " --max_length=4"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  t = Lrbench(
      absl::StrCat("tokenize --vocab ", kVocab, " --input ", texts, " --output ", ids_space, " --max_length 4"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(Slurp(ids_space), "{\"input_ids\":[101,7592,1010,102],\"token_type_ids\":[0,0,0,0]}\n");
  EXPECT_EQ(Slurp(ids_space), Slurp(ids_equals));
}

// Bad flags in either form: one line naming the flag (its value in the = form), exit status 1; a required flag
// missing is bad usage, status 2.
TEST(CommandLineTest, BadFlagsAreNamedInEitherForm) {
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"demo --bits 0", 1, "--bits=0: budget bits=0 is out of range"},
           {"demo --bits x", 1, "--bits=x: expected an integer"},
           {"demo --param_ratio 1.5", 1, "--param_ratio=1.5: expected a number in (0, 1]"},
           {"demo --colour=red", 1, "unknown flag --colour"},
           {"demo --colour red", 1, "unknown flag --colour"},
           {"demo red", 1, "unexpected argument 'red'"},
           {"demo --bits=3 --bits=4", 1, "--bits"},
           {"score --task glue/sst2", 2, "--predictions is required"},
       }) {
    const ToolRun r = Lrbench(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

// `lrbench finetune` on the embedded WNLI (635 train, 71 dev) with the embedded bert-mini: a short run
// writes a model that reloads, its tokenizer, predictions that `lrbench score` scores to the same figure,
// and finetune.json.
TEST(FinetuneCommandTest, FineTunesScoresAndSavesAReloadableModel) {
  const std::string out = Fresh("wnli_model");
  const std::string bert = "third_party/embedded/models/bert-mini-mlm";
  ToolRun r = Lrbench(absl::StrCat("finetune --model=", bert, " --task=glue/wnli --output=", out,
                                   " --epochs=1 --max_train_examples=64 --max_length=32 --lr=1e-4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("epoch 1/1  dev loss"), std::string::npos) << r.err;
  // The tokenizer comes with its tokenizer_config.json, so that the output encodes as the input did.
  for (const char* file : {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                           "predictions_dev.tsv", "finetune.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  }
  const std::string json = Slurp(out + "/finetune.json");
  const size_t at = json.find("\"accuracy\": ");
  ASSERT_NE(at, std::string::npos) << json;
  const double accuracy = std::stod(json.substr(at + 12));
  ToolRun scored = Lrbench(absl::StrCat("score --task=glue/wnli --predictions=", out, "/predictions_dev.tsv"));
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  const double rescored = std::stod(scored.out.substr(scored.out.find("\"accuracy\":") + 11));
  EXPECT_DOUBLE_EQ(rescored, accuracy);
  EXPECT_NE(scored.out.find("\"count\":71"), std::string::npos) << scored.out;
  // The saved model reloads with its classifier: fine-tuning it again needs no new head.
  const std::string again = Fresh("wnli_again");
  r = Lrbench(absl::StrCat("finetune --model=", out, " --task=glue/wnli --output=", again,
                           " --epochs=1 --max_train_examples=32 --max_length=32 --sampler=random"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("initialised: none"), std::string::npos) << r.err;
  EXPECT_NE(Slurp(again + "/finetune.json").find("\"sampler\": \"random\""), std::string::npos);
  EXPECT_NE(json.find("\"sampler\": \"bucketed\""), std::string::npos) << json;
}

// --dump_encoded writes the encoded splits training and evaluation use (a pair task: [CLS] a [SEP] b [SEP]
// with token types 0 then 1) and stops before loading the model.
TEST(FinetuneCommandTest, DumpEncodedWritesTheSplitsAndTrainsNothing) {
  const std::string out = Fresh("wnli_encoded");
  ToolRun r = Lrbench(absl::StrCat("finetune --model=third_party/embedded/models/bert-mini-mlm --task=glue/wnli",
                                   " --output=", out, " --max_train_examples=16 --max_length=32 --dump_encoded"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out + "/model.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(out + "/finetune.json"));
  for (const auto& [split, count] : {std::pair<std::string, int>{"train", 16}, {"dev", 71}}) {
    std::ifstream in(out + "/encoded_" + split + ".jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
      ++lines;
      const nlohmann::json j = nlohmann::json::parse(line);
      const std::vector<int64_t> ids = j.at("input_ids"), types = j.at("token_type_ids");
      ASSERT_EQ(ids.size(), types.size()) << line;
      ASSERT_LE(ids.size(), 32u) << line;
      EXPECT_EQ(ids.front(), 101) << line;  // [CLS]
      EXPECT_EQ(ids.back(), 102) << line;   // [SEP]
      EXPECT_EQ(std::count(ids.begin(), ids.end(), 102), 2) << line;
      const size_t first_sep = std::find(ids.begin(), ids.end(), 102) - ids.begin();
      for (size_t t = 0; t < types.size(); ++t) EXPECT_EQ(types[t], t <= first_sep ? 0 : 1) << line;
      const float label = j.at("label");
      EXPECT_TRUE(label == 0 || label == 1) << line;
    }
    EXPECT_EQ(lines, count) << split;
  }
}

TEST(FinetuneCommandTest, BadInputIsOneLineAndKeepsTheOutput) {
  const std::string out = Fresh("ft_bad");
  std::filesystem::create_directories(out);
  std::ofstream(out + "/model.safetensors") << "keep me";
  struct Case {
    std::string args, message;
  };
  const std::string bert = " --model=third_party/embedded/models/bert-mini-mlm";
  const std::string t5 = " --model=third_party/embedded/models/t5-mini-samsum";
  const std::string file = Fresh("ft_file");
  std::ofstream(file) << "a file";
  for (const Case& c : std::vector<Case>{
           {"finetune" + bert + " --task=glue/sst5 --output=" + out, "unknown task 'glue/sst5'"},
           {"finetune" + bert + " --task=glue/sst2 --output=" + out, "is not empty (it may hold an earlier run)"},
           {"finetune" + bert + " --task=glue/sst2 --overwrite --output=" + file, "is a file, not a directory"},
           {"finetune" + t5 + " --task=glue/sst2 --overwrite --output=" + out, "is a T5 model"},
           {"finetune" + bert + " --task=samsum --overwrite --output=" + out, "sequence-to-sequence task"},
           {"finetune" + bert + " --task=glue/mnli --overwrite --data_dir=/nonexistent --output=" + out,
            "/nonexistent does not exist"},
           {"finetune" + bert + " --task=glue/sst2 --overwrite --epochs=x --output=" + out, "--epochs=x: expected an integer"},
           {"finetune --model=/nonexistent --task=glue/sst2 --overwrite --output=" + out, "/nonexistent"},
           {"finetune" + bert + " --task=glue/sst2 --overwrite --warmup_ratio=1.5 --output=" + out,
            "recipe: warmup_ratio=1.5, expected a number in [0, 1]"},
           {"finetune" + bert + " --task=glue/sst2 --overwrite --weight_decay=-0.1 --output=" + out,
            "recipe: weight_decay=-0.1, expected a finite number >= 0"},
           {"finetune" + bert + " --task=glue/sst2 --overwrite --max_grad_norm=nan --output=" + out,
            "--max_grad_norm=nan: expected a finite number"},
           {"finetune" + bert + " --task=glue/rte --overwrite --train_split=test --output=" + out,
            "split test of glue/rte has no gold labels; train on train"},
           {"finetune" + bert + " --task=glue/rte --overwrite --num_beams=0 --output=" + out,
            "--num_beams=0: expected an integer >= 1"},
           {"finetune" + bert + " --task=glue/rte --overwrite --sampler=shuffled --output=" + out,
            "--sampler: sampler 'shuffled' is not one of bucketed, random"},
       }) {
    ToolRun r = Lrbench(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(Slurp(out + "/model.safetensors"), "keep me");
  EXPECT_EQ(Slurp(file), "a file");
}

// `lrbench reproduce` refuses bad flags before any run starts: one line, nothing written.
TEST(ReproduceCommandTest, BadFlagsAreOneLineBeforeAnyWork) {
  const std::string out = Fresh("reproduce_bad");
  struct Case {
    std::string flags, message;
  };
  for (const Case& c : std::vector<Case>{
           {"--device=tpu", "unknown device 'tpu'"},
           {"--model=/nonexistent", "--model=/nonexistent: cannot open /nonexistent/config.json"},
           {"--data_dir=/nonexistent", "/nonexistent does not exist"},
           {"--tasks=glue/nope", "--tasks: glue/nope is the task of no column of the measured tables run"},
           {"--shard_index=-1", "--shard_index=-1: expected an integer >= 0"},
       }) {
    ToolRun r = Lrbench(absl::StrCat("reproduce --profile=smoke --out=", out, " ", c.flags));
    EXPECT_EQ(r.exit_code, 1) << c.flags;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.flags << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.flags;
  }
}

// A reproduction whose runs fail exits 1 after rendering the tables (it exited 0, so a CI job passed).
TEST(ReproduceCommandTest, FailedRunsMakeTheExitStatusNonzero) {
  const std::string specs = Fresh("failing_specs"), out = Fresh("failing_out");
  std::filesystem::create_directories(specs);
  std::ofstream(specs + "/tf.json") << R"({
    "id": "tf", "title": "failing", "source": "test", "setting": "test",
    "columns": [{"name": "RTE", "task": "glue/rte", "metric": "accuracy"}],
    "grid": {"model": "third_party/embedded/models/bert-mini-mlm", "max_eval_examples": 8,
             "linears": ["bert.encoder.layer.0.attention.self.query"],
             "rows": [{"label": "too big", "method": "svd", "budget": {"rank": 100000}}]}})";
  ToolRun r = Lrbench(absl::StrCat("reproduce --specs=", specs, " --out=", out));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("1 of the 1 runs this call ran failed"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out + "/tables/tf.md"));  // the tables are still rendered
}

// `lrbench score` on the embedded SST-2 dev split (872 rows, "sentence<TAB>label", ids 0..871).
TEST(ScoreCommandTest, ScoresAgainstTheEmbeddedGoldLabels) {
  std::ifstream dev("third_party/embedded/data/glue/SST-2/dev.tsv");
  std::string line;
  std::getline(dev, line);  // header
  std::string oracle = "index\tprediction\n", positive = "index\tprediction\n";
  int rows = 0, positives = 0;
  while (std::getline(dev, line)) {
    const std::string label = line.substr(line.rfind('\t') + 1);
    positives += label == "1";
    absl::StrAppend(&oracle, rows, "\t", label, "\n");
    absl::StrAppend(&positive, rows, "\tpositive\n");
    ++rows;
  }
  ASSERT_EQ(rows, 872);
  const std::string a = Fresh("oracle.tsv"), b = Fresh("positive.tsv");
  std::ofstream(a) << oracle;
  std::ofstream(b) << positive;
  ToolRun r = Lrbench(absl::StrCat("score --task=glue/sst2 --predictions=", a));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"count\":872"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"metrics\":{\"accuracy\":1.0}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"split\":\"dev\""), std::string::npos) << r.out;
  r = Lrbench(absl::StrCat("score --task=glue/sst2 --split=dev --predictions=", b));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double accuracy = std::stod(r.out.substr(r.out.find("\"accuracy\":") + 11));
  EXPECT_DOUBLE_EQ(accuracy, static_cast<double>(positives) / rows) << r.out;
}

TEST(ScoreCommandTest, BadInputIsOneLine) {
  const std::string partial = Fresh("partial.tsv");
  std::ofstream(partial) << "index\tprediction\n0\t1\n";
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"score --task=glue/sst2 --predictions=" + partial, "no prediction for id 1 (871 of 872 ids missing)"},
           {"score --task=glue/sst5 --predictions=" + partial, "unknown task 'glue/sst5'"},
           {"score --task=glue/sst2 --split=test --predictions=" + partial, "split test of glue/sst2 has no gold labels"},
           {"score --task=glue/sst2 --split=validation --predictions=" + partial, "has no split 'validation'"},
           {"score --task=glue/mnli --data_dir=/nonexistent --predictions=" + partial, "/nonexistent does not exist"},
           {"score --task=glue/sst2 --predictions=/nonexistent.tsv", "/nonexistent.tsv"},
       }) {
    ToolRun r = Lrbench(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace lrb
