// The published checkpoint layouts (third_party/fixtures/layouts, written by tools/make_layout_fixtures.py):
// each stand-in loads with its heads reported, runs, fine-tunes one step, and saves and reloads; legacy names,
// a bare base-model checkpoint and pytorch_model.bin load to the same model; a checkpoint of another layout
// is refused in one line; a task run on each encoder stand-in reads the tokenizer.json it ships.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caffe2/serialize/inline_container.h>

#include "gtest/gtest.h"
#include "base/safetensors.h"
#include "runtime/model/model.h"
#include "runtime/model/torch_checkpoint.h"
#include "runtime/model/training.h"
#include "experiment/task_model.h"
#include "tasks/task.h"

namespace lrb {
namespace {

const std::string kLayouts = "third_party/fixtures/layouts/";

struct Layout {
  std::string name;
  std::vector<std::string> unused;  // by the config's own head (MLM, or T5's LM head)
  std::vector<std::string> unused_by_classifier;  // with a sequence-classification head instead (encoders)
};

std::vector<Layout> Layouts() {
  const std::vector<std::string> nsp = {"cls.seq_relationship.bias", "cls.seq_relationship.weight"};
  std::vector<std::string> bert_mlm = {"bert.pooler.dense.bias", "bert.pooler.dense.weight"};
  bert_mlm.insert(bert_mlm.end(), nsp.begin(), nsp.end());
  std::vector<std::string> bert_cls = {"cls.predictions.bias", "cls.predictions.transform.LayerNorm.beta",
                                       "cls.predictions.transform.LayerNorm.gamma", "cls.predictions.transform.dense.bias",
                                       "cls.predictions.transform.dense.weight"};
  bert_cls.insert(bert_cls.end(), nsp.begin(), nsp.end());
  return {
      {"bert-base-uncased", bert_mlm, bert_cls},
      {"bert-base-cased", bert_mlm, bert_cls},
      {"distilbert-base-uncased", {},
       {"vocab_layer_norm.bias", "vocab_layer_norm.weight", "vocab_projector.bias", "vocab_transform.bias",
        "vocab_transform.weight"}},
      {"roberta-base", {},
       {"lm_head.bias", "lm_head.dense.bias", "lm_head.dense.weight", "lm_head.layer_norm.bias",
        "lm_head.layer_norm.weight"}},
      {"t5-small", {"decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"}, {}},
      {"flan-t5-base", {}, {}},
  };
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

HostTensor Ids(std::vector<int64_t> shape, const std::vector<int64_t>& v) { return *HostTensorFromInt64(shape, v); }

// Two rows of five tokens, the second padded; ids valid in every fixture's vocabulary (RoBERTa pads with 1).
SafetensorsFile Inputs(const ModelConfig& c) {
  SafetensorsFile in;
  const int64_t pad = c.pad_token_id;
  EXPECT_TRUE(in.Add("input_ids", Ids({2, 5}, {101, 7, 42, 9, 102, 101, 12, 102, pad, pad})).ok());
  EXPECT_TRUE(in.Add("attention_mask", Ids({2, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0})).ok());
  if (c.family == ModelFamily::kT5) EXPECT_TRUE(in.Add("decoder_input_ids", Ids({2, 3}, {0, 30, 31, 0, 40, 41})).ok());
  return in;
}

std::vector<float> Floats(const SafetensorsFile& f, const std::string& name) {
  const HostTensor* t = f.Find(name);
  EXPECT_NE(t, nullptr) << name;
  return t == nullptr ? std::vector<float>{} : *HostTensorToFloats(*t);
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

// Synthetic examples for one step: classification rows for encoders, source/target pairs for T5.
std::vector<Example> Examples(const ModelConfig& c) {
  std::vector<Example> out;
  for (int i = 0; i < 4; ++i) {
    Example e;
    e.input_ids = {101, 5 + i, 20 + i, 102};
    e.token_type_ids.assign(e.input_ids.size(), 0);
    e.label = static_cast<float>(i % 2);
    if (c.family == ModelFamily::kT5) e.target_ids = {50 + i, 60 + i, c.eos_token_id};
    out.push_back(e);
  }
  return out;
}

std::string TempDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

class LayoutTest : public ::testing::TestWithParam<Layout> {};

TEST_P(LayoutTest, LoadsReportsItsUnusedHeadsAndRuns) {
  const Layout& l = GetParam();
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kLayouts + l.name);
  ASSERT_TRUE(model.ok()) << model.status();
  const LoadReport& r = (*model)->report();
  EXPECT_TRUE(r.initialised.empty()) << r.Summary();
  EXPECT_TRUE(r.unexpected.empty()) << r.Summary();
  EXPECT_EQ(Sorted(r.unused), Sorted(l.unused)) << r.Summary();
  const ModelConfig& c = (*model)->config();
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(Inputs(c));
  ASSERT_TRUE(out.ok()) << out.status();
  const int64_t target_len = c.family == ModelFamily::kT5 ? 3 : 5;
  ASSERT_NE(out->Find("logits"), nullptr);
  EXPECT_EQ(out->Find("logits")->shape, (std::vector<int64_t>{2, target_len, c.vocab_size}));
  const std::string hidden = c.family == ModelFamily::kT5 ? "encoder_last_hidden_state" : "last_hidden_state";
  EXPECT_EQ(out->Find(hidden)->shape, (std::vector<int64_t>{2, 5, c.hidden_size}));
  for (const std::string& name : {std::string("logits"), hidden}) {
    const std::vector<float> v = Floats(*out, name);
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); })) << name;
  }
}

// The task path: the checkpoint's MLM heads are unused, a new classifier is initialised (T5 keeps its LM head),
// one fine-tuning step changes the weights, and Save then Load gives the same logits.
TEST_P(LayoutTest, FinetunesOneStepThenSavesAndReloads) {
  const Layout& l = GetParam();
  LoadOptions options;
  const bool t5 = l.name.find("t5") != std::string::npos;
  if (!t5) {
    options.head = HeadKind::kSequenceClassification;
    options.num_labels = 2;
  }
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(kLayouts + l.name, options);
  ASSERT_TRUE(model.ok()) << model.status();
  const LoadReport& r = (*model)->report();
  EXPECT_EQ(Sorted(r.unused), Sorted(t5 ? l.unused : l.unused_by_classifier)) << r.Summary();
  EXPECT_TRUE(r.unexpected.empty()) << r.Summary();
  EXPECT_EQ(r.initialised.empty(), t5) << r.Summary();
  const std::vector<std::string> linears = (*model)->LinearNames("");
  ASSERT_FALSE(linears.empty());
  const Matrix before = (*model)->LinearWeights(linears.front())->front().second;
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  recipe.batch_size = 4;
  recipe.learning_rate = 1e-3;
  absl::StatusOr<FinetuneReport> report = Finetune(**model, Examples((*model)->config()), {}, recipe, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->steps, 1);
  ASSERT_EQ(report->epoch_train_loss.size(), 1u);
  EXPECT_TRUE(std::isfinite(report->epoch_train_loss[0]));
  const Matrix after = (*model)->LinearWeights(linears.front())->front().second;
  EXPECT_GT((after - before).cwiseAbs().maxCoeff(), 0.0f) << linears.front() << " did not change";

  const SafetensorsFile inputs = Inputs((*model)->config());
  absl::StatusOr<SafetensorsFile> out = (*model)->Forward(inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string dir = TempDir("saved-" + l.name);
  ASSERT_TRUE((*model)->Save(dir, /*overwrite=*/true).ok());
  absl::StatusOr<std::unique_ptr<Model>> back = Model::Load(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE((*back)->report().unused.empty()) << (*back)->report().Summary();  // saved with its own head only
  EXPECT_TRUE((*back)->report().initialised.empty()) << (*back)->report().Summary();
  absl::StatusOr<SafetensorsFile> again = (*back)->Forward(inputs);
  ASSERT_TRUE(again.ok()) << again.status();
  // The same float32 weights through the same kernels: equal, not merely close.
  EXPECT_EQ(MaxAbsDiff(Floats(*out, "logits"), Floats(*again, "logits")), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Published, LayoutTest, ::testing::ValuesIn(Layouts()),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           std::string n = info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// A task run on each encoder stand-in (LoadTaskData, as every lrbench command that takes --model=DIR calls it)
// picks the checkpoint's tokenizer.json, which alone makes the tokenizer (nothing joins it, no settings: the
// run id hashes that file), encodes RTE within the fixture's config.json (LoadTaskData refuses an id at or
// above vocab_size, a token type at or above type_vocab_size, another padding id), and the model fine-tunes
// a step on those examples. tasks/tokenizers:hf_tokenizer_test compares these tokenizers with the library's.
TEST(LayoutTaskDataTest, EncoderStandInsReadTheirTokenizerJson) {
  const TaskInfo& rte = **FindTask("glue/rte");
  for (const std::string name :
       {"bert-base-uncased", "bert-base-uncased-bin", "bert-base-cased", "distilbert-base-uncased", "roberta-base"}) {
    SCOPED_TRACE(name);
    const std::string dir = kLayouts + name;
    absl::StatusOr<ModelFamily> family = CheckpointFamily(dir);
    ASSERT_TRUE(family.ok()) << family.status();
    TaskDataOptions options;
    options.max_train_examples = 8;
    options.max_eval_examples = 8;
    options.encode.max_length = 64;  // the stand-ins' max_position_embeddings
    absl::StatusOr<TaskData> data = LoadTaskData(rte, *family, dir, options);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(data->tokenizer_path, dir + "/tokenizer.json");
    EXPECT_EQ(data->tokenizer_files, std::vector<std::string>{dir + "/tokenizer.json"});
    EXPECT_EQ(data->tokenizer_settings, "");
    ASSERT_EQ(data->train.size(), 8u);
    const bool roberta = name == "roberta-base";
    for (const Example& e : data->train) {
      ASSERT_FALSE(e.input_ids.empty());
      EXPECT_EQ(e.input_ids.front(), roberta ? 0 : 101);  // <s>, [CLS]
      EXPECT_LE(e.input_ids.size(), 64u);
    }
    absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir, TaskLoadOptions(rte, Device(), 1));
    ASSERT_TRUE(model.ok()) << model.status();
    FinetuneRecipe recipe;
    recipe.epochs = 1;
    recipe.batch_size = 8;
    recipe.log_every = 0;
    absl::StatusOr<FinetuneReport> report = Finetune(**model, data->train, {}, recipe, nullptr);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->steps, 1);
    ASSERT_EQ(report->epoch_train_loss.size(), 1u);
    EXPECT_TRUE(std::isfinite(report->epoch_train_loss[0]));
  }
}

// A copy of a fixture's directory with its checkpoint replaced by `weights` (config and tokenizer files kept).
std::string WithWeights(const std::string& fixture, const SafetensorsFile& weights, const std::string& name) {
  const std::string dir = TempDir(name);
  for (const auto& entry : std::filesystem::directory_iterator(kLayouts + fixture)) {
    if (entry.path().filename() != "model.safetensors" && entry.path().filename() != "pytorch_model.bin") {
      std::filesystem::copy_file(entry.path(), dir + "/" + entry.path().filename().string());
    }
  }
  EXPECT_TRUE(WriteSafetensors(weights, dir + "/model.safetensors", /*overwrite=*/false).ok());
  return dir;
}

// `from` with each tensor renamed by `rename` ("" drops it).
SafetensorsFile Renamed(const SafetensorsFile& from, const std::function<std::string(const std::string&)>& rename) {
  SafetensorsFile out;
  for (const auto& [name, t] : from.tensors()) {
    const std::string n = rename(name);
    if (!n.empty()) EXPECT_TRUE(out.Add(n, t).ok()) << n;
  }
  return out;
}

std::string ReplaceSuffix(const std::string& s, const std::string& from, const std::string& to) {
  if (s.size() < from.size() || s.compare(s.size() - from.size(), from.size(), from) != 0) return s;
  return s.substr(0, s.size() - from.size()) + to;
}

SafetensorsFile BertUncased() { return *ReadSafetensors(kLayouts + "bert-base-uncased/model.safetensors"); }

TEST(LegacyNamesTest, GammaAndBetaGiveTheSameModelAsWeightAndBias) {
  const std::string modern = WithWeights("bert-base-uncased", Renamed(BertUncased(), [](const std::string& n) {
    return ReplaceSuffix(ReplaceSuffix(n, ".gamma", ".weight"), ".beta", ".bias");
  }), "modern-names");
  for (HeadKind head : {HeadKind::kMaskedLm, HeadKind::kSequenceClassification}) {
    LoadOptions options;
    options.head = head;
    std::unique_ptr<Model> legacy = *Model::Load(kLayouts + "bert-base-uncased", options);
    absl::StatusOr<std::unique_ptr<Model>> renamed = Model::Load(modern, options);
    ASSERT_TRUE(renamed.ok()) << renamed.status();
    EXPECT_EQ(legacy->report().unused.size(), renamed->get()->report().unused.size());
    absl::StatusOr<SafetensorsFile> a = legacy->Forward(Inputs(legacy->config()));
    absl::StatusOr<SafetensorsFile> b = (*renamed)->Forward(Inputs(legacy->config()));
    ASSERT_TRUE(a.ok() && b.ok());
    // A new classifier is drawn from the same seed in both; every output is the same computation.
    EXPECT_EQ(MaxAbsDiff(Floats(*a, "logits"), Floats(*b, "logits")), 0.0);
    EXPECT_EQ(MaxAbsDiff(Floats(*a, "last_hidden_state"), Floats(*b, "last_hidden_state")), 0.0);
  }
}

TEST(LegacyNamesTest, ABareBertModelCheckpointLoadsIntoAClassifier) {
  // BertModel.save_pretrained: no "bert." prefix, no heads, the pooler kept.
  const std::string bare = WithWeights("bert-base-uncased", Renamed(BertUncased(), [](const std::string& n) {
    return n.rfind("bert.", 0) == 0 ? n.substr(5) : std::string();
  }), "bare-bert");
  LoadOptions options;
  options.head = HeadKind::kSequenceClassification;
  options.num_labels = 2;
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(bare, options);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->report().unused.empty()) << (*model)->report().Summary();
  EXPECT_TRUE((*model)->report().unexpected.empty()) << (*model)->report().Summary();
  EXPECT_EQ((*model)->report().initialised, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  std::unique_ptr<Model> full = *Model::Load(kLayouts + "bert-base-uncased", options);
  const SafetensorsFile in = Inputs(full->config());
  EXPECT_EQ(MaxAbsDiff(Floats(*(*model)->Forward(in), "logits"), Floats(*full->Forward(in), "logits")), 0.0);
}

TEST(PytorchModelBinTest, GivesTheSameModelAsTheSafetensorsFile) {
  absl::StatusOr<std::unique_ptr<Model>> bin = Model::Load(kLayouts + "bert-base-uncased-bin");
  ASSERT_TRUE(bin.ok()) << bin.status();
  // cls.predictions.decoder.weight (tied to the word embeddings in the .bin) is neither unused nor unexpected.
  EXPECT_EQ(Sorted((*bin)->report().unused), Sorted(Layouts()[0].unused)) << (*bin)->report().Summary();
  EXPECT_TRUE((*bin)->report().unexpected.empty()) << (*bin)->report().Summary();
  std::unique_ptr<Model> st = *Model::Load(kLayouts + "bert-base-uncased");
  const SafetensorsFile in = Inputs(st->config());
  EXPECT_EQ(MaxAbsDiff(Floats(*(*bin)->Forward(in), "logits"), Floats(*st->Forward(in), "logits")), 0.0);
}

TEST(PytorchModelBinTest, AFileLibTorchCannotReadIsRefusedWithTheConversion) {
  const std::string dir = TempDir("legacy-bin");
  std::filesystem::copy_file(kLayouts + "bert-base-uncased/config.json", dir + "/config.json");
  std::ofstream(dir + "/pytorch_model.bin") << "\x80\x02}q\x00.";  // a protocol-2 pickle, not a zip archive
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir);
  ASSERT_FALSE(model.ok());
  const std::string m(model.status().message());
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find(dir + "/pytorch_model.bin: not torch.save's zip format"), std::string::npos) << m;
  EXPECT_NE(m.find("convert it to model.safetensors"), std::string::npos) << m;
  std::filesystem::remove(dir + "/pytorch_model.bin");
  model = Model::Load(dir);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("none of model.safetensors, model.safetensors.index.json, pytorch_model.bin"),
            std::string::npos) << model.status();
}

// A torch.save-style archive holding `pickle` as its data.pkl, written with LibTorch's own writer.
std::string Archive(const std::string& name, const std::string& pickle) {
  const std::string path = TempDir(name) + "/pytorch_model.bin";
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  writer.writeEndOfFile();
  return path;
}

// The pickle machine builds state dicts only: a callable other than the tensor rebuilders (here eval) is never
// called but refused by name, as are non-tensor entries and damaged pickles; each error is one line with the
// conversion.
TEST(PytorchModelBinTest, APickleThatIsNotAStateDictIsRefusedByName) {
  const struct {
    std::string pickle;
    std::string message;
  } cases[] = {
      {std::string("\x80\x02" "cbuiltins\neval\n" "X\x03\x00\x00\x00" "1+1" "\x85R.", 28),
       "it calls builtins.eval, which a state dict does not need"},
      {std::string("\x80\x02}X\x01\x00\x00\x00" "aK\x05s.", 13), "entry 'a' is not a tensor"},
      {std::string("\x80\x02}X\xff\x00\x00\x00" "ab", 10), "the pickle is truncated"},
      {std::string("\x80\x02" "K\x01" "b.", 6), "it sets the state of an object other than a dict"},
      {std::string("\x80\x02" "K\x01" ".", 5), "it holds no state dict"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = Archive("bad-pickle-" + std::to_string(i++), c.pickle);
    absl::StatusOr<SafetensorsFile> read = ReadPytorchModelBin(path);
    ASSERT_FALSE(read.ok()) << c.message;
    const std::string m(read.status().message());
    EXPECT_EQ(m.rfind(path + ": " + c.message + "; convert it to model.safetensors", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(LayoutErrorTest, ACheckpointOfAnotherLayoutListsWhatWasExpectedAndFound) {
  // GPT-2-like names under a BERT config: nothing in common.
  int i = 0;
  const std::string dir = WithWeights("bert-base-uncased", Renamed(BertUncased(), [&](const std::string&) {
    return "h." + std::to_string(i++) + ".mlp.c_fc.weight";
  }), "other-layout");
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir);
  ASSERT_FALSE(model.ok());
  const std::string m(model.status().message());
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  const std::string expected = dir + ": the checkpoint's tensor names match no bert layout: expected names like "
                                     "bert.embeddings.word_embeddings.weight, bert.embeddings.position_embeddings.weight, "
                                     "bert.embeddings.token_type_embeddings.weight, bert.embeddings.LayerNorm.weight, ... (";
  EXPECT_EQ(m.substr(0, expected.size()), expected) << m;
  const std::string found = " in all); found h.0.mlp.c_fc.weight, h.1.mlp.c_fc.weight, h.2.mlp.c_fc.weight, "
                            "h.3.mlp.c_fc.weight, ... (" + std::to_string(i) + " in all)";
  ASSERT_GE(m.size(), found.size());
  EXPECT_EQ(m.substr(m.size() - found.size()), found) << m;
}

TEST(LayoutErrorTest, ADamagedCheckpointNamesTheFirstMissingWeights) {
  const std::string dir = WithWeights("bert-base-uncased", Renamed(BertUncased(), [](const std::string& n) {
    return n.find("layer.1.") != std::string::npos ? std::string() : n;
  }), "damaged");
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(dir);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            dir + ": checkpoint lacks 16 weight(s) of the bert model: bert.encoder.layer.1.attention.self.query.weight, "
                  "bert.encoder.layer.1.attention.self.query.bias, bert.encoder.layer.1.attention.self.key.weight, "
                  "bert.encoder.layer.1.attention.self.key.bias, ... (16 in all)");
}

// T5 v1.0: ReLU feed-forward, tied embeddings (the decoder output scaled by d_model^-0.5 before the shared
// projection), generation consistent with the teacher-forced logits.
TEST(T5V10Test, LoadsAsV10AndGeneratesItsOwnArgmax) {
  std::unique_ptr<Model> model = *Model::Load(kLayouts + "t5-small");
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.hidden_act, "relu");
  EXPECT_FALSE(c.gated_ffn);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.architecture, "T5WithLMHeadModel");
  SafetensorsFile in = Inputs(c);
  ASSERT_TRUE(in.Take("decoder_input_ids").ok());
  ForwardOptions options;
  options.generate = 4;
  absl::StatusOr<SafetensorsFile> out = model->Forward(in, options);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<int64_t> generated = *HostTensorToInt64(*out->Find("greedy_generate"));
  ASSERT_EQ(out->Find("greedy_generate")->shape, (std::vector<int64_t>{2, 5}));
  // Teacher-forcing the generated prefix gives logits whose argmax is the next generated token.
  SafetensorsFile forced = Inputs(c);
  ASSERT_TRUE(forced.Take("decoder_input_ids").ok());
  std::vector<int64_t> prefix;
  for (int r = 0; r < 2; ++r) prefix.insert(prefix.end(), generated.begin() + r * 5, generated.begin() + r * 5 + 4);
  ASSERT_TRUE(forced.Add("decoder_input_ids", Ids({2, 4}, prefix)).ok());
  absl::StatusOr<SafetensorsFile> logits = model->Forward(forced);
  ASSERT_TRUE(logits.ok()) << logits.status();
  const std::vector<float> v = Floats(*logits, "logits");
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(generated[r * 5], c.decoder_start_token_id);
    for (int t = 0; t < 4; ++t) {
      if (t > 0 && generated[r * 5 + t] == c.eos_token_id) break;  // padding follows EOS
      const float* row = v.data() + (r * 4 + t) * c.vocab_size;
      EXPECT_EQ(std::max_element(row, row + c.vocab_size) - row, generated[r * 5 + t + 1]) << "row " << r << " step " << t;
    }
  }
}

// The v1.0 scaling itself: the same checkpoint with scale_decoder_outputs=false gives logits exactly
// sqrt(d_model) times larger (the rescaling is the only difference; float32 rounding of one multiply and of
// the sums, about 1e-6 relative).
TEST(T5V10Test, TiedLogitsAreScaledByTheInverseSquareRootOfDModel) {
  const std::string dir = TempDir("t5-unscaled");
  for (const char* f : {"model.safetensors", "spiece.model", "generation_config.json"}) {
    std::filesystem::copy_file(kLayouts + "t5-small/" + f, dir + "/" + f);
  }
  std::ifstream in(kLayouts + "t5-small/config.json");
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t brace = config.find('{');
  ASSERT_NE(brace, std::string::npos);
  config.insert(brace + 1, "\n  \"scale_decoder_outputs\": false,");
  std::ofstream(dir + "/config.json") << config;
  std::unique_ptr<Model> scaled = *Model::Load(kLayouts + "t5-small");
  absl::StatusOr<std::unique_ptr<Model>> unscaled = Model::Load(dir);
  ASSERT_TRUE(unscaled.ok()) << unscaled.status();
  const SafetensorsFile in_ids = Inputs(scaled->config());
  const std::vector<float> a = Floats(*scaled->Forward(in_ids), "logits");
  const std::vector<float> b = Floats(*(*unscaled)->Forward(in_ids), "logits");
  ASSERT_EQ(a.size(), b.size());
  const double root = std::sqrt(static_cast<double>(scaled->config().hidden_size));
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(b[i], a[i] * root, 1e-5 * (1 + std::abs(b[i]))) << i;
}

}  // namespace
}  // namespace lrb
