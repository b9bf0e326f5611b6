// `axonc run examples/mlp/mlp.axon --fn forward` against a hand-written
// computation with the same weights: the driver, the .npy I/O, the frontend
// and the evaluator checked together.
#include "runtime/io/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

using namespace axon;

namespace {

Tensor randomTensor(std::vector<int64_t> shape, std::mt19937 &rng, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  Tensor t(DType::F32, shape);
  for (double &v : t.data)
    v = roundTo(DType::F32, u(rng));
  return t;
}

TEST(MlpEndToEnd, AxoncRunMatchesHandComputation) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-mlp", dir));
  auto path = [&](const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::mt19937 rng(7);
  const int64_t n = 5, in = 784, hid = 256, out = 10;
  Tensor x = randomTensor({n, in}, rng, 1.0);
  Tensor W1 = randomTensor({in, hid}, rng, 0.1), b1 = randomTensor({hid}, rng, 0.1);
  Tensor W2 = randomTensor({hid, out}, rng, 0.1), b2 = randomTensor({out}, rng, 0.1);
  for (auto [name, t] : {std::pair{"x.npy", &x}, {"W1.npy", &W1}, {"b1.npy", &b1},
                         {"W2.npy", &W2}, {"b2.npy", &b2}})
    ASSERT_FALSE(bool(writeNpy(path(name), *t)));

  std::string cmd = std::string(AXONC_PATH) + " run " + AXON_SOURCE_DIR +
                    "/examples/mlp/mlp.axon --fn forward --input x=" +
                    path("x.npy") + " --param W1=" + path("W1.npy") +
                    " --param b1=" + path("b1.npy") + " --param W2=" +
                    path("W2.npy") + " --param b2=" + path("b2.npy") + " -o " +
                    path("y.npy");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto y = readNpy(path("y.npy"));
  ASSERT_TRUE(bool(y)) << llvm::toString(y.takeError());
  ASSERT_EQ(y->shape, (std::vector<int64_t>{n, out}));

  // relu(x W1 + b1) W2 + b2, in double.
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> h(hid);
    for (int64_t j = 0; j < hid; ++j) {
      double s = b1.data[j];
      for (int64_t k = 0; k < in; ++k)
        s += x.data[i * in + k] * W1.data[k * hid + j];
      h[j] = std::max(0.0, s);
    }
    for (int64_t j = 0; j < out; ++j) {
      double s = b2.data[j];
      for (int64_t k = 0; k < hid; ++k)
        s += h[k] * W2.data[k * out + j];
      EXPECT_NEAR(y->data[i * out + j], s, 1e-4 * (1 + std::fabs(s)))
          << "row " << i << " col " << j;
    }
  }
  llvm::sys::fs::remove_directories(dir);
}

TEST(MlpEndToEnd, AxoncReportsBadInputFile) {
  std::string cmd = std::string(AXONC_PATH) + " run " + AXON_SOURCE_DIR +
                    "/examples/mlp/mlp.axon --fn forward --input "
                    "x=/nonexistent/x.npy 2> /dev/null";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

} // namespace
