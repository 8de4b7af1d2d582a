// End-to-end tests of `lrbench compress` and `lrbench export`: the built binary on the Hugging Face parity
// fixture bert_tiny_cls3 (BERT, hidden 64, intermediate 128, 2 layers, 3 labels) and the embedded bert-mini.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "base/safetensors.h"
#include "cli/tool_test_util.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";

// The logits `lrbench forward` computes for the fixture's inputs with the model in `dir`.
std::vector<float> Logits(const std::string& dir) {
  const std::string out = Fresh("logits.safetensors");
  ToolRun r = Lrbench(absl::StrCat("forward --model=", dir, " --inputs=", kBert, "/expected.safetensors --output=", out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<SafetensorsFile> f = ReadSafetensors(out);
  if (!f.ok() || f->Find("logits") == nullptr) return {};
  return *HostTensorToFloats(*f->Find("logits"));
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = a.size() == b.size() ? 0 : 1e30;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(static_cast<double>(a[i]) - b[i]));
  return d;
}

std::set<std::string> Keys(const std::string& file) {
  absl::StatusOr<SafetensorsFile> f = ReadSafetensors(file);
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) return {};
  std::vector<std::string> names = f->Names();
  return {names.begin(), names.end()};
}

// SVD at rank r stores r (out + in) numbers per linear: the report and the summary line count exactly that;
// the compressed model exports densely under the fixture's keys and config and reloads to the same logits,
// and factored to lrbench's own layout, which lrbench loads back.
TEST(CompressCommandTest, SvdReportMatchesTheClosedFormAndExportsReload) {
  const std::string compressed = Fresh("bert_svd4");
  ToolRun r = Lrbench(absl::StrCat("compress --model=", kBert, " --method=svd --rank=4 --output=", compressed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("compressing bert.encoder.** with svd (rank=4)"), std::string::npos) << r.err;
  // Per layer: query, key, value, attention output [64, 64]; intermediate [128, 64]; output [64, 128].
  const int64_t before = 2 * (4 * 64 * 64 + 2 * 128 * 64), after = 2 * (4 * 4 * 128 + 2 * 4 * 192);
  const Json line = Json::parse(r.out);
  EXPECT_EQ(line["linears"], 12);
  EXPECT_EQ(line["params_before"], before);
  EXPECT_EQ(line["params_after"], after);
  EXPECT_EQ(line["bits_after"], 32 * after);
  EXPECT_EQ(line["model_params_before"].get<int64_t>() - line["model_params_after"].get<int64_t>(), before - after);
  const Json report = Json::parse(Slurp(compressed + "/compress_report.json"));
  ASSERT_EQ(report["layers"].size(), 12u);
  for (const Json& l : report["layers"]) {
    const std::string name = l["name"];
    const int64_t out = name.find("intermediate") != std::string::npos ? 128 : 64;
    const int64_t in = name.find("layer.0.output") != std::string::npos || name.find("layer.1.output") != std::string::npos
                           ? 128
                           : 64;
    EXPECT_EQ(l["format"], "low_rank") << name;
    EXPECT_EQ(l["params_before"], out * in) << name;
    EXPECT_EQ(l["params_after"], 4 * (out + in)) << name;
    EXPECT_GT(l["rel_error"].get<double>(), 0.0) << name;  // rank 4 of a random 64-wide matrix loses most of it
    EXPECT_LT(l["rel_error"].get<double>(), 1.0) << name;
  }
  EXPECT_EQ(report["totals"]["params_after"], after);
  EXPECT_NE(Slurp(compressed + "/compress_report.md").find("| bert.encoder.layer.0.attention.self.query | low_rank | 4096 | 512 |"),
            std::string::npos);
  // transformers must refuse it: no architecture of its own, weights not in "pt" format.
  const Json config = Json::parse(Slurp(compressed + "/config.json"));
  EXPECT_EQ(config["model_type"], "lrbench_factored");
  EXPECT_EQ(config["architectures"], Json::array({"LrbenchFactoredModel"}));
  EXPECT_EQ(config["lrbench"]["base_architecture"], "BertForSequenceClassification");
  EXPECT_EQ(config["lrbench"]["layers"]["bert.encoder.layer.1.output.dense"], "low_rank");
  EXPECT_EQ(ReadSafetensors(compressed + "/model.safetensors")->metadata().at("format"), "lrbench_factored");

  const std::vector<float> original = Logits(kBert), compressed_logits = Logits(compressed);
  ASSERT_EQ(compressed_logits.size(), 9u);
  EXPECT_GT(MaxAbsDiff(original, compressed_logits), 1e-4) << "compression changed nothing";

  // Dense: the reconstruction under the fixture's keys and config. Float32 noise only: W_hat = left * right
  // formed once instead of two thin products per token (rounding ~1e-7 relative on logits of order 0.1).
  const std::string dense = Fresh("bert_svd4_dense");
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=dense --output=", dense));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["reconstructed_layers"], 12);
  EXPECT_LT(MaxAbsDiff(Logits(dense), compressed_logits), 1e-5);
  EXPECT_EQ(Keys(dense + "/model.safetensors"), Keys(std::string(kBert) + "/model.safetensors"));
  const Json dense_config = Json::parse(Slurp(dense + "/config.json"));
  const Json fixture_config = Json::parse(Slurp(std::string(kBert) + "/config.json"));
  for (const char* key : {"model_type", "architectures", "id2label", "label2id", "hidden_size", "num_hidden_layers"}) {
    EXPECT_EQ(dense_config[key], fixture_config[key]) << key;
  }
  EXPECT_EQ(ReadSafetensors(dense + "/model.safetensors")->metadata().at("format"), "pt");

  // Factored: the same arrays, so lrbench's logits are bit-identical; bf16 halves the file and rounds every
  // float to 8 significant bits (relative 2^-9 per number), well within 0.05 on these logits.
  const std::string factored = Fresh("bert_svd4_factored");
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=factored --output=", factored));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(MaxAbsDiff(Logits(factored), compressed_logits), 0.0);
  EXPECT_EQ(Keys(factored + "/model.safetensors"), Keys(compressed + "/model.safetensors"));
  const std::string bf16 = Fresh("bert_svd4_bf16");
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=factored --dtype=bf16 --output=", bf16));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(MaxAbsDiff(Logits(bf16), compressed_logits), 0.05);
  EXPECT_LT(std::filesystem::file_size(bf16 + "/model.safetensors"),
            std::filesystem::file_size(factored + "/model.safetensors") * 6 / 10);
  absl::StatusOr<SafetensorsFile> bf16_weights = ReadSafetensors(bf16 + "/model.safetensors");
  ASSERT_TRUE(bf16_weights.ok()) << bf16_weights.status();
  for (const auto& [name, t] : bf16_weights->tensors()) EXPECT_EQ(t.dtype, DType::kBF16) << name;

  // An existing output is replaced only with --overwrite, and then completely.
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=dense --output=", factored));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists; pass --overwrite"), std::string::npos) << r.err;
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=dense --overwrite --output=", factored, "/"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(Slurp(factored + "/config.json"))["model_type"], "bert");
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
    EXPECT_EQ(entry.path().filename().string().find(".old-"), std::string::npos) << entry.path();
  }
}

// T5: the default linears are T7's attention projections (q, k, v of the encoder's self-attention, the decoder's
// self- and cross-attention); the dense export keeps the fixture's keys and gives the compressed model's outputs.
TEST(CompressCommandTest, T5DefaultsToTheAttentionProjectionsAndExportsDense) {
  const std::string t5 = "third_party/fixtures/hf-parity/t5_tiny_gated_untied";
  const std::string compressed = Fresh("t5_svd2"), dense = Fresh("t5_svd2_dense");
  ToolRun r = Lrbench(absl::StrCat("compress --model=", t5, " --method=svd --rank=2 --output=", compressed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json config = Json::parse(Slurp(t5 + "/config.json"));
  const int64_t encoder = config["num_layers"], decoder = config.value("num_decoder_layers", encoder);
  EXPECT_EQ(Json::parse(r.out)["linears"], 3 * encoder + 6 * decoder);
  for (const auto& [layer, format] : Json::parse(Slurp(compressed + "/config.json"))["lrbench"]["layers"].items()) {
    EXPECT_TRUE(layer.find("Attention.q") != std::string::npos || layer.find("Attention.k") != std::string::npos ||
                layer.find("Attention.v") != std::string::npos)
        << layer;
  }
  r = Lrbench(absl::StrCat("export --model=", compressed, " --format=dense --output=", dense));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Keys(dense + "/model.safetensors"), Keys(t5 + "/model.safetensors"));
  std::vector<std::vector<float>> logits;
  for (const std::string& dir : {compressed, dense}) {
    const std::string out = Fresh("t5_logits.safetensors");
    r = Lrbench(absl::StrCat("forward --model=", dir, " --inputs=", t5, "/expected.safetensors --output=", out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    logits.push_back(*HostTensorToFloats(*ReadSafetensors(out)->Find("logits")));
  }
  // Float32 noise relative to the logits' scale (an untied LM head: logits of order 10).
  float scale = 1;
  for (float v : logits[0]) scale = std::max(scale, std::abs(v));
  EXPECT_LT(MaxAbsDiff(logits[0], logits[1]), 1e-5 * scale);
}

// A fixture copy with adapters on two linears, as Model::Save writes them (the "lrbench.adapters" metadata,
// "<layer>.lora_A.weight" [rank, in], "<layer>.lora_B.weight" [out, rank]), with nonzero B.
std::string WithAdapters(const std::string& name, const std::string& kind) {
  const std::string dir = Fresh(name);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(kBert) + "/config.json", dir + "/config.json");
  absl::StatusOr<SafetensorsFile> weights = ReadSafetensors(std::string(kBert) + "/model.safetensors");
  EXPECT_TRUE(weights.ok()) << weights.status();
  Json adapters = Json::object();
  uint32_t state = 12345;  // a fixed LCG: values in [-0.1, 0.1)
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 0.2f - 0.1f;
  };
  const bool lora = kind == "lora";
  for (const std::string layer : {"bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.1.output.dense"}) {
    const std::vector<int64_t> w = weights->Find(layer + ".weight")->shape;  // [out, in]
    const int64_t rank = 2;
    adapters[layer] = {{"kind", kind}, {"rank", rank}, {"alpha", 4.0}, {"dropout", 0.0}, {"tt_rank", 0}, {"tt_order", 3}};
    const std::vector<std::pair<std::string, std::vector<int64_t>>> parts =
        lora ? std::vector<std::pair<std::string, std::vector<int64_t>>>{{"lora_A.weight", {rank, w[1]}},
                                                                        {"lora_B.weight", {w[0], rank}}}
             : std::vector<std::pair<std::string, std::vector<int64_t>>>{{"adapter_down.weight", {rank, w[0]}},
                                                                        {"adapter_down.bias", {rank}},
                                                                        {"adapter_up.weight", {w[0], rank}},
                                                                        {"adapter_up.bias", {w[0]}}};
    for (const auto& [part, shape] : parts) {
      std::vector<float> values(shape.size() == 1 ? shape[0] : shape[0] * shape[1]);
      for (float& v : values) v = next();
      EXPECT_TRUE(weights->Add(layer + "." + part, *HostTensorFromFloats(DType::kF32, shape, values)).ok());
    }
  }
  weights->mutable_metadata()["lrbench.adapters"] = adapters.dump();
  EXPECT_TRUE(WriteSafetensors(*weights, dir + "/model.safetensors", false).ok());
  return dir;
}

// LoRA merges exactly: W + alpha / rank * B A gives the adapted model's logits (float32 noise), under the
// fixture's own keys; a bottleneck adapter (nonlinear) is refused by name.
TEST(ExportCommandTest, DenseMergesLoraAndRefusesBottleneckAdapters) {
  const std::string adapted = WithAdapters("bert_lora", "lora");
  const std::vector<float> adapted_logits = Logits(adapted);
  ASSERT_EQ(adapted_logits.size(), 9u);
  EXPECT_GT(MaxAbsDiff(adapted_logits, Logits(kBert)), 1e-4) << "the adapters change nothing";
  const std::string merged = Fresh("bert_lora_dense");
  ToolRun r = Lrbench(absl::StrCat("export --model=", adapted, " --format=dense --output=", merged));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["merged_adapters"], 2);
  EXPECT_LT(MaxAbsDiff(Logits(merged), adapted_logits), 1e-5);
  EXPECT_EQ(Keys(merged + "/model.safetensors"), Keys(std::string(kBert) + "/model.safetensors"));

  const std::string bottleneck = WithAdapters("bert_bottleneck", "bottleneck");
  const std::string out = Fresh("bert_bottleneck_dense");
  r = Lrbench(absl::StrCat("export --model=", bottleneck, " --format=dense --output=", out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("layer 'bert.encoder.layer.0.attention.self.query' has a bottleneck adapter, which is nonlinear"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

// A method that needs statistics gets them on the task's train split through the model's trained head.
TEST(CompressCommandTest, FisherStatisticsComeFromTheTaskThroughATrainedHead) {
  const std::string mlm = "third_party/embedded/models/bert-mini-mlm";
  const std::string refused = Fresh("fwsvd_refused");
  ToolRun r = Lrbench(absl::StrCat("compress --model=", mlm, " --method=fwsvd --param_ratio=0.5 --task=glue/wnli --output=",
                                   refused));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no trained head for glue/wnli"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(refused));

  const std::string tuned = Fresh("wnli_for_fwsvd");
  r = Lrbench(absl::StrCat("finetune --model=", mlm, " --task=glue/wnli --output=", tuned,
                           " --epochs=1 --max_train_examples=16 --max_eval_examples=8 --max_length=32"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = Fresh("wnli_fwsvd");
  r = Lrbench(absl::StrCat("compress --model=", tuned, " --method=fwsvd --param_ratio=0.5 --task=glue/wnli",
                           " --statistics_examples=8 --max_length=32 --output=", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("collecting statistics over 8 train examples (fwsvd)"), std::string::npos) << r.err;
  const Json line = Json::parse(r.out);
  EXPECT_LE(line["param_ratio"].get<double>(), 0.5);
  EXPECT_GT(line["param_ratio"].get<double>(), 0.45);
  EXPECT_TRUE(std::filesystem::exists(out + "/vocab.txt"));
  const Json config = Json::parse(Slurp(out + "/config.json"));
  EXPECT_EQ(config["lrbench"]["compression"]["statistics_examples"], 8);
  EXPECT_EQ(config["lrbench"]["compression"]["task"], "glue/wnli");
}

TEST(CompressCommandTest, BadInputIsOneLineAndWritesNothing) {
  const std::string out = Fresh("ce_bad");
  const std::string existing = Fresh("ce_existing");
  std::filesystem::create_directories(existing);
  std::ofstream(existing + "/keep") << "keep me";
  const std::string model = absl::StrCat(" --model=", kBert);
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"compress" + model + " --method=svd --rank=4 --output=" + existing, "exists; pass --overwrite to replace it"},
           {"compress" + model + " --method=svdd --rank=4 --output=" + out, "unknown method 'svdd'"},
           {"compress" + model + " --method=svd --rank=65 --output=" + out, "rank"},
           {"compress" + model + " --method=svd --output=" + out, "give exactly one budget"},
           {"compress" + model + " --method=svd --bits=4 --output=" + out, "bits"},
           {"compress" + model + " --method=fwsvd --param_ratio=0.5 --output=" + out,
            "method fwsvd needs statistics (fisher) collected on a task's train split: give --task=ID"},
           {"compress" + model + " --method=svd --rank=4 --linears=bert.decoder.** --output=" + out,
            "no linear layer matches 'bert.decoder.**'"},
           {"compress" + model + " --method=svd --rank=4 --output=" + std::string(kBert), "is the model directory"},
           {"compress --model=/nonexistent --method=svd --rank=4 --output=" + out, "/nonexistent/config.json"},
           {"export" + model + " --format=dense --output=" + existing, "exists; pass --overwrite to replace it"},
           {"export" + model + " --format=sparse --output=" + out, "--format=sparse: expected dense or factored"},
           {"export" + model + " --format=dense --dtype=f64 --output=" + out, "--dtype=f64: expected f32, bf16 or f16"},
           {"export" + model + " --format=dense --precision=f16 --output=" + out, "unknown flag --precision"},
       }) {
    ToolRun r = Lrbench(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    // One error line; progress lines (indented) may precede it.
    int errors = 0;
    for (size_t at = 0; at < r.err.size(); at = r.err.find('\n', at) + 1) errors += r.err.compare(at, 8, "lrbench ") == 0;
    EXPECT_EQ(errors, 1) << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
    EXPECT_EQ(Slurp(existing + "/keep"), "keep me") << args;
  }
  ToolRun r = Lrbench("export --model=x --format=dense");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace lrb
