#include "methods/fwsvd/fwsvd.h"

#include "gtest/gtest.h"
#include "methods/linalg/svd.h"
#include "methods/svd/svd.h"
#include "methods/testing/matrices.h"

namespace lrb {
namespace {

double FisherWeightedError(const Matrix& w, const Matrix& w_hat, const Matrix& fisher) {
  // The objective FWSVD minimises exactly: sum_ij I_ij-row-summed weights, ||(W - W_hat) diag(d)||_F.
  const Vector d = fisher.colwise().sum().transpose().cwiseSqrt();
  return ((w - w_hat) * d.asDiagonal()).norm();
}

TEST(FwsvdMethodTest, BeatsSvdOnTheFisherWeightedObjective) {
  const Matrix w = testing::WithSpectrum(64, 80, testing::PowerLawSpectrum(64, 0.5), 2);
  Matrix fisher = GaussianMatrix(64, 80, 7).cwiseAbs2();
  for (int j = 0; j < 80; j += 5) fisher.col(j) *= 50.0f;  // a few very important input features
  const LayerInputs in{&w, &fisher};
  const Matrix fw = Reconstruct(MakeFwsvdMethod()->Compress(in, Budget::Rank(12), MethodOptions())->factorization);
  const Matrix plain = Reconstruct(MakeSvdMethod()->Compress(in, Budget::Rank(12), MethodOptions())->factorization);
  EXPECT_LT(FisherWeightedError(w, fw, fisher), FisherWeightedError(w, plain, fisher));
  // And it is the weighted optimum: the tail of the singular values of W diag(d).
  const Vector d = fisher.colwise().sum().transpose().cwiseSqrt();
  const Vector sw = ExactSvd(w * d.asDiagonal())->s;
  EXPECT_NEAR(FisherWeightedError(w, fw, fisher), sw.tail(64 - 12).norm(), 1e-4 * sw.norm());
}

TEST(FwsvdMethodTest, UniformFisherIsPlainSvd) {
  const Matrix w = GaussianMatrix(30, 40, 1);
  const Matrix fisher = Matrix::Constant(30, 40, 0.5f);
  const LayerInputs in{&w, &fisher};
  const Matrix fw = Reconstruct(MakeFwsvdMethod()->Compress(in, Budget::Rank(5), MethodOptions())->factorization);
  const Matrix plain = Reconstruct(MakeSvdMethod()->Compress(in, Budget::Rank(5), MethodOptions())->factorization);
  EXPECT_LT((fw - plain).norm(), 1e-4 * w.norm());
}

TEST(FwsvdMethodTest, RefusesMissingWrongShapedOrZeroFisher) {
  const Matrix w = GaussianMatrix(10, 12, 1);
  absl::StatusOr<Compressed> r = MakeFwsvdMethod()->Compress({&w}, Budget::Rank(2), MethodOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("needs the statistic fisher"), std::string::npos);
  const Matrix wrong = Matrix::Ones(12, 10);
  r = MakeFwsvdMethod()->Compress({&w, &wrong}, Budget::Rank(2), MethodOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is 12x10, expected 10x12"), std::string::npos) << r.status();
  const Matrix zero = Matrix::Zero(10, 12);
  EXPECT_FALSE(MakeFwsvdMethod()->Compress({&w, &zero}, Budget::Rank(2), MethodOptions()).ok());
}

}  // namespace
}  // namespace lrb
