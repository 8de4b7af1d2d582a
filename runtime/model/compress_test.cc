// Model surgery: every registered method's factorization, executed inside a model, gives the outputs
// of the dense product with its reconstruction; compressed models save, reload and train.
#include <filesystem>
#include <map>
#include <variant>

#include "gtest/gtest.h"
#include "base/safetensors.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "methods/registry.h"

namespace lrb {
namespace {

const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";
const char kEncoderLinears[] = "bert.encoder.**";

SafetensorsFile Inputs() {
  absl::StatusOr<SafetensorsFile> f = ReadSafetensors(std::string(kBert) + "/expected.safetensors");
  return std::move(*f);
}

std::vector<float> Output(Model& model, const std::string& key) {
  absl::StatusOr<SafetensorsFile> out = model.Forward(Inputs());
  EXPECT_TRUE(out.ok()) << out.status();
  return *HostTensorToFloats(*out->Find(key));
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// A method applied to a weight through the registry, with a budget it accepts.
LinearCompressor Through(const Method* m) {
  return [m](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
    const Budget b = m->Budgets()[0] == Budget::Kind::kBits ? Budget::Bits(4) : Budget::ParamRatio(0.5);
    const Matrix fisher = Matrix::Ones(w.rows(), w.cols());
    const Matrix second_moment = Matrix::Identity(w.cols(), w.cols());
    absl::StatusOr<Compressed> c = m->Compress({&w, &fisher, &second_moment}, b, MethodOptions());
    if (!c.ok()) return c.status();
    return c->factorization;
  };
}

TEST(ModelSurgeryTest, PatternsSelectLinearsByName) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  EXPECT_EQ(model->LinearNames("bert.encoder.layer.*.attention.self.query"),
            (std::vector<std::string>{"bert.encoder.layer.0.attention.self.query",
                                      "bert.encoder.layer.1.attention.self.query"}));
  EXPECT_EQ(model->LinearNames(kEncoderLinears).size(), 12u);  // q, k, v, o, ffn in and out, per layer
  EXPECT_EQ(model->LinearNames("bert.encoder.layer.*.*.dense").size(), 4u);  // one segment per '*' 
  EXPECT_EQ(model->LinearNames("").size(), 14u);               // plus pooler and classifier
  absl::StatusOr<std::vector<LinearReplacement>> none =
      model->ReplaceLinears("decoder.*", Through(*FindMethod("svd")), false);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no linear layer matches 'decoder.*'"), std::string::npos);
}

// Every format runs inside the model by its plan (runtime/kernels), with the oneDNN kernels and with
// LibTorch ops, and must agree with LibTorch's dense product of the reconstruction. Both paths are
// float32 sums over at most 128 terms: 1e-4 absolute on O(1) hidden states.
TEST(ModelSurgeryTest, EveryFormatMatchesTheDenseProductOfItsReconstruction) {
  LoadOptions libtorch;
  libtorch.kernels = "libtorch";
  for (const std::string kernels : {"onednn", "libtorch"}) {
    for (const Method* m : AllMethods()) {
      LoadOptions options;
      options.kernels = kernels;
      std::unique_ptr<Model> compressed = *Model::Load(kBert, options);
      std::unique_ptr<Model> dense = *Model::Load(kBert, libtorch);
      absl::StatusOr<std::vector<LinearReplacement>> r = compressed->ReplaceLinears(kEncoderLinears, Through(m), false);
      ASSERT_TRUE(r.ok()) << m->Id() << ": " << r.status();
      ASSERT_EQ(r->size(), 12u);
      ASSERT_TRUE(dense
                      ->ReplaceLinears(kEncoderLinears,
                                       [m](const std::string& n, const Matrix& w) -> absl::StatusOr<Factorization> {
                                         absl::StatusOr<Factorization> f = Through(m)(n, w);
                                         if (!f.ok()) return f.status();
                                         return Factorization(Dense{Reconstruct(*f)});
                                       },
                                       false)
                      .ok());
      EXPECT_LT(MaxAbsDiff(Output(*compressed, "last_hidden_state"), Output(*dense, "last_hidden_state")), 1e-4)
          << m->Id() << " on " << kernels;
      for (const LinearReplacement& x : *r) EXPECT_LT(x.rel_error, 1.0) << m->Id() << " " << x.name;
    }
  }
  LoadOptions unknown;
  unknown.kernels = "mkl";
  absl::StatusOr<std::unique_ptr<Model>> bad = Model::Load(kBert, unknown);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown kernels 'mkl'"), std::string::npos) << bad.status();
}

TEST(ModelSurgeryTest, LowRankQueriesStoreFewerParametersAndChangeTheOutput) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  const std::vector<float> before = Output(*model, "logits");
  const int64_t params_before = model->ParameterCount();
  ASSERT_TRUE(model
                  ->ReplaceLinears("bert.encoder.layer.*.attention.self.query",
                                   [](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
                                     absl::StatusOr<Compressed> c =
                                         (*FindMethod("svd"))->Compress({&w}, Budget::Rank(16), MethodOptions());
                                     if (!c.ok()) return c.status();
                                     return c->factorization;
                                   },
                                   false)
                  .ok());
  // Two 64x64 query weights became rank-16 pairs: 2 * (4096 - 16 * 128) fewer numbers.
  EXPECT_EQ(model->ParameterCount(), params_before - 2 * (4096 - 16 * 128));
  EXPECT_GT(MaxAbsDiff(Output(*model, "logits"), before), 0.0);
}

TEST(ModelSurgeryTest, CompressedModelSavesAndReloads) {
  for (const char* id : {"losparse", "kronecker", "ada_tucker", "loretta", "kashin"}) {
    std::unique_ptr<Model> model = *Model::Load(kBert);
    ASSERT_TRUE(model->ReplaceLinears(kEncoderLinears, Through(*FindMethod(id)), false).ok()) << id;
    const std::string dir = ::testing::TempDir() + "/compressed_" + id;
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(model->Save(dir, false).ok()) << id;
    absl::StatusOr<std::unique_ptr<Model>> back = Model::Load(dir);
    ASSERT_TRUE(back.ok()) << id << ": " << back.status();
    EXPECT_TRUE((*back)->report().unexpected.empty()) << id << ": " << (*back)->report().Summary();
    EXPECT_EQ((*back)->ParameterCount(), model->ParameterCount()) << id;
    EXPECT_LT(MaxAbsDiff(Output(**back, "logits"), Output(*model, "logits")), 1e-6) << id;
  }
}

// Compressed token embeddings (KroneckerBERT's word embeddings: one Kronecker term with a one-row B; and
// low rank) look rows up without forming the table, and must agree with the model whose table is the
// dense reconstruction (float32: 1e-5 on O(1) logits); the embedding is not a linear; it saves and reloads.
TEST(ModelSurgeryTest, CompressedEmbeddingsLookUpTheReconstructedRows) {
  struct Case {
    const char* method;
    Budget budget;
    MethodOptions options;
    int64_t params;  // of the 1000 x 64 table
  };
  for (const Case& c : {Case{"kronecker", Budget::Rank(1), MethodOptions({{"m2", "1"}, {"n2", "8"}}), 1000 * 8 + 8},
                        Case{"svd", Budget::Rank(4), MethodOptions(), 4 * (1000 + 64)}}) {
    const Method* m = *FindMethod(c.method);
    Factorization kept;
    const LinearCompressor compress = [&](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
      absl::StatusOr<Compressed> r = m->Compress({&w}, c.budget, c.options);
      if (!r.ok()) return r.status();
      kept = r->factorization;
      return r->factorization;
    };
    std::unique_ptr<Model> model = *Model::Load(kBert);
    const int64_t params = model->ParameterCount();
    absl::StatusOr<std::vector<LinearReplacement>> r = model->ReplaceEmbeddings("**", compress, false);
    ASSERT_TRUE(r.ok()) << c.method << ": " << r.status();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].name, "bert.embeddings.word_embeddings");
    EXPECT_EQ((*r)[0].params_after, c.params) << c.method;
    EXPECT_EQ(model->ParameterCount(), params - 64000 + c.params) << c.method;
    EXPECT_EQ(model->LinearNames("").size(), 14u);

    std::unique_ptr<Model> dense = *Model::Load(kBert);
    ASSERT_TRUE(dense
                    ->ReplaceEmbeddings("**", [&](const std::string&, const Matrix&) -> absl::StatusOr<Factorization> {
                      return Dense{Reconstruct(kept)};
                    }, false)
                    .ok());
    EXPECT_LT(MaxAbsDiff(Output(*model, "logits"), Output(*dense, "logits")), 1e-5) << c.method;

    const std::string dir = ::testing::TempDir() + "/embeddings_" + c.method;
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(model->Save(dir, false).ok());
    absl::StatusOr<std::unique_ptr<Model>> back = Model::Load(dir);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ((*back)->ParameterCount(), model->ParameterCount());
    EXPECT_LT(MaxAbsDiff(Output(**back, "logits"), Output(*model, "logits")), 1e-6) << c.method;
  }
  std::unique_ptr<Model> model = *Model::Load(kBert);
  EXPECT_EQ(model->ReplaceEmbeddings("bert.nothing", Through(*FindMethod("svd")), false).status().message(),
            "no token embedding matches 'bert.nothing'");
}

// Fine-tunes on `examples` one-token sentences labelled by the token mod 3 (lr 3e-3, batch 16) and returns the
// loss on them before and after `epochs` epochs.
std::pair<double, double> TrainOnTokenLabels(Model& model, int examples, int epochs) {
  std::vector<Example> train;
  for (int i = 0; i < examples; ++i) {
    Example e;
    e.input_ids = {101, 5 + (i * 7) % 60, 9, 102};
    e.token_type_ids.assign(4, 0);
    e.label = static_cast<float>(e.input_ids[1] % 3);
    train.push_back(e);
  }
  const double before = Evaluate(model, train, 32)->loss;
  FinetuneRecipe recipe;
  recipe.epochs = epochs;
  recipe.learning_rate = 3e-3;
  recipe.batch_size = 16;
  absl::StatusOr<FinetuneReport> report = Finetune(model, train, train, recipe, nullptr);
  EXPECT_TRUE(report.ok()) << report.status();
  return {before, report.ok() ? report->epoch_dev.back().loss : before};
}

TEST(ModelSurgeryTest, TrainableFactorsLearn) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  ASSERT_TRUE(model->ReplaceLinears(kEncoderLinears, Through(*FindMethod("svd")), /*trainable=*/true).ok());
  const std::pair<double, double> loss = TrainOnTokenLabels(*model, 96, 10);
  EXPECT_LT(loss.second, 0.5 * loss.first);
}

// SCADA-Tucker: the encoder's linears compressed together with one core, tied into one parameter. The
// model then stores that core once, computes what the dense reconstructions compute (float32: 1e-5 on O(1)
// logits), trains it as one tensor that every layer sees, and saves and reloads with the sharing intact.
TEST(ModelSurgeryTest, SharedTuckerCoreIsOneParameterThatTrainsAndReloads) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  absl::StatusOr<std::vector<std::pair<std::string, Matrix>>> weights = model->LinearWeights(kEncoderLinears);
  ASSERT_TRUE(weights.ok()) << weights.status();
  std::vector<LayerInputs> layers;
  std::vector<std::string> names;
  for (const auto& [name, w] : *weights) {
    layers.push_back({&w});
    names.push_back(name);
  }
  const Method* method = *FindMethod("ada_tucker");
  const MethodOptions options({{"order", "4"}, {"shared_core", "1"}});
  absl::StatusOr<std::vector<Compressed>> compressed = method->CompressLayers(layers, Budget::ParamRatio(0.3), options);
  ASSERT_TRUE(compressed.ok()) << compressed.status();
  std::map<std::string, Factorization> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name[names[i]] = (*compressed)[i].factorization;
  const LinearCompressor precomputed = [&](const std::string& name, const Matrix&) -> absl::StatusOr<Factorization> {
    return by_name.at(name);
  };
  ASSERT_TRUE(model->ReplaceLinears(kEncoderLinears, precomputed, /*trainable=*/true).ok());
  const int64_t separate = model->ParameterCount();
  const int64_t core = std::get<Tucker>(by_name[names[0]]).tucker.core.size();
  absl::StatusOr<int64_t> freed = model->ShareTuckerCore(names);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(*freed, static_cast<int64_t>(names.size() - 1) * core);
  EXPECT_EQ(model->ParameterCount(), separate - *freed);

  std::unique_ptr<Model> dense = *Model::Load(kBert);
  ASSERT_TRUE(dense
                  ->ReplaceLinears(kEncoderLinears, [&](const std::string& name, const Matrix&) -> absl::StatusOr<Factorization> {
                    return Dense{Reconstruct(by_name.at(name))};
                  }, false)
                  .ok());
  EXPECT_LT(MaxAbsDiff(Output(*model, "logits"), Output(*dense, "logits")), 1e-5);

  // Training through the shared core (gradients from every layer reach the one parameter).
  const std::pair<double, double> loss = TrainOnTokenLabels(*model, 64, 5);
  EXPECT_LT(loss.second, loss.first);
  EXPECT_EQ(model->ParameterCount(), separate - *freed);

  const std::string dir = ::testing::TempDir() + "/shared_tucker";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(model->Save(dir, false).ok());
  absl::StatusOr<SafetensorsFile> file = ReadSafetensors(dir + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_NE(file->Find(names[0] + ".tucker.core"), nullptr);
  EXPECT_EQ(file->Find(names[1] + ".tucker.core"), nullptr);  // stored once
  absl::StatusOr<std::unique_ptr<Model>> back = Model::Load(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE((*back)->report().unexpected.empty()) << (*back)->report().Summary();
  EXPECT_EQ((*back)->ParameterCount(), model->ParameterCount());
  EXPECT_LT(MaxAbsDiff(Output(**back, "logits"), Output(*model, "logits")), 1e-6);
  // The file holds one core, so equal logits also show that training kept every layer on that one core.
  EXPECT_EQ((*back)->TrainableParameterCount(), model->TrainableParameterCount());

  EXPECT_EQ(model->ShareTuckerCore({names[0]}).status().message(), "sharing a Tucker core needs at least two layers");
  EXPECT_NE(model->ShareTuckerCore({names[0], names[1]}).status().message().find("it shares the core of"),
            std::string::npos);
  EXPECT_NE(dense->ShareTuckerCore({names[0], names[1]}).status().message().find("format dense"), std::string::npos);
}

}  // namespace
}  // namespace lrb
