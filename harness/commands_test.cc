// End-to-end tests of `lrbench forward` and `lrbench tokenize` on files the test writes.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/io/safetensors.h"

namespace lrb {
namespace {

struct ToolRun {
  int exit_code;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

ToolRun Lrbench(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/cmd_stdout.txt", err = dir + "/cmd_stderr.txt";
  const int status = std::system(absl::StrCat("harness/lrbench ", args, " >", out, " 2>", err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
}

std::string Fresh(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(path);
  return path;
}

const char kT5[] = "third_party/fixtures/hf-parity/t5_tiny_gated_untied";
const char kVocab[] = "third_party/embedded/vocab/bert-base-uncased/vocab.txt";

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
  for (const std::string& args :
       {absl::StrCat("forward --model=/nonexistent --inputs=", kT5, "/expected.safetensors --output=", out),
        absl::StrCat("forward --model=", kT5, " --inputs=", kT5, "/config.json --output=", out),
        absl::StrCat("forward --model=", kT5, " --inputs=", kT5, "/expected.safetensors --output=", out,
                     " --generate=-1")}) {
    ToolRun r = Lrbench(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
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
}

}  // namespace
}  // namespace lrb
