// `axonc build`: the MLP example compiled to a standalone executable whose
// `infer` matches the reference evaluator, on more rows than the compiled
// batch (full batches, then single rows).
#include "backends/reference/Evaluator.h"
#include "runtime/Npy.h"
#include "tests/unit/CompileModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

using namespace axon;

TEST(BuildBinary, MlpInferMatchesTheReference) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-build-test", dir));
  auto path = [&](const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string model = std::string(AXON_SOURCE_DIR) + "/examples/mlp/mlp.axon";
  std::string build = std::string(AXONC_PATH) + " build " + model +
                      " --batch 4 -o " + path("mlp");
  ASSERT_EQ(std::system(build.c_str()), 0) << build;

  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  Tensor x(DType::F32, {9, 784}); // 2 batches of 4, then 1 row.
  for (double &v : x.data)
    v = roundTo(DType::F32, u(rng));
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  for (const char *fn : {"forward", "predict"}) {
    std::string infer = path("mlp") + " infer --fn " + fn + " --input x=" +
                        path("x.npy") + " -o " + path("y.npy");
    ASSERT_EQ(std::system(infer.c_str()), 0) << infer;
    auto got = readNpy(path("y.npy"));
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());

    std::ifstream in(model);
    std::stringstream text;
    text << in.rdbuf();
    auto m = test_support::compileModel(text.str(), true);
    ASSERT_TRUE(m->module) << m->errors;
    reference::Evaluator reference(*m->module);
    auto want = reference.call(fn, {x});
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    const Tensor &w = want->front();
    ASSERT_EQ(got->shape, w.shape) << fn;
    for (int64_t i = 0; i < w.numElements(); ++i)
      EXPECT_NEAR(got->data[i], w.data[i], 1e-4 * std::max(1.0, std::fabs(w.data[i])))
          << fn << " element " << i;
  }
  // Bad input: a clear error, not a crash.
  std::string bad = path("mlp") + " infer --fn forward --input x=" +
                    path("missing.npy") + " 2> " + path("err.txt");
  EXPECT_NE(std::system(bad.c_str()), 0);
  std::ifstream err(path("err.txt"));
  std::stringstream e;
  e << err.rdbuf();
  EXPECT_NE(e.str().find("missing.npy"), std::string::npos) << e.str();
  llvm::sys::fs::remove_directories(dir);
}
