// `axonc build`: the MLP example compiled to a standalone executable whose
// `infer` matches the reference evaluator, on more rows than the compiled
// batch (full batches, then single rows); whose `train` writes checkpoints
// that `--resume` continues bit-identically and `infer --checkpoint` loads.
#include "backends/reference/Evaluator.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/Npy.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <sys/wait.h>

using namespace axon;
using test_support::readText;

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

TEST(BuildBinary, TrainCheckpointResumeAndInfer) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-build-train", dir));
  auto path = [&](const std::string &name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string model = std::string(AXON_SOURCE_DIR) + "/examples/mlp/mlp.axon";
  std::string build = std::string(AXONC_PATH) + " build " + model +
                      " --batch 32 -o " + path("mlp");
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  // 10 steps an epoch over the first 320 images; 100 test images.
  auto train = [&](const std::string &epochs, const std::string &ckpt,
                   const std::string &extra) {
    std::string cmd = path("mlp") + " train --limit 320 --eval-limit 100 " +
                      "--epochs " + epochs + " --metrics " +
                      path(ckpt + ".jsonl") + " --checkpoint " + path(ckpt) +
                      " " + extra + " > " + path(ckpt + ".out") + " 2>&1";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(train("2", "full.safetensors", ""), 0) << readText(path("full.safetensors.out"));
  ASSERT_EQ(train("1", "half.safetensors", ""), 0);
  ASSERT_EQ(train("2", "resumed.safetensors",
                  "--resume " + path("half.safetensors")),
            0)
      << readText(path("resumed.safetensors.out"));
  std::string full = readText(path("full.safetensors"));
  ASSERT_GT(full.size(), 1000u);
  EXPECT_EQ(full, readText(path("resumed.safetensors")))
      << "resuming in the binary is not bit-identical";
  EXPECT_NE(readText(path("full.safetensors.out")).find("test accuracy_of"),
            std::string::npos);
  EXPECT_NE(readText(path("full.safetensors.svg")).find("<svg"),
            std::string::npos);

  // infer with the trained parameters == the reference evaluator with them.
  auto saved = readCheckpoint(path("full.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  Tensor x(DType::F32, {3, 784});
  for (double &v : x.data)
    v = roundTo(DType::F32, u(rng));
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  std::string infer = path("mlp") + " infer --fn forward --checkpoint " +
                      path("full.safetensors") + " --input x=" + path("x.npy") +
                      " -o " + path("y.npy");
  ASSERT_EQ(std::system(infer.c_str()), 0) << infer;
  auto got = readNpy(path("y.npy"));
  ASSERT_TRUE(bool(got));
  auto m = test_support::compileModel(readText(model), true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module);
  for (const auto &[name, t] : saved->tensors)
    ASSERT_FALSE(bool(reference.setParam(name, t))) << name;
  auto want = reference.call("forward", {x});
  ASSERT_TRUE(bool(want));
  for (int64_t i = 0; i < want->front().numElements(); ++i)
    EXPECT_NEAR(got->data[i], want->front().data[i], 1e-4);

  // A checkpoint of another shape is refused with the mismatches listed.
  Checkpoint wrong = *saved;
  wrong.tensors[0].second = Tensor(DType::F32, {2, 2});
  ASSERT_FALSE(bool(writeCheckpoint(path("wrong.safetensors"), wrong)));
  std::string bad = path("mlp") + " infer --fn forward --checkpoint " +
                    path("wrong.safetensors") + " --input x=" + path("x.npy") +
                    " 2> " + path("err.txt");
  EXPECT_NE(std::system(bad.c_str()), 0);
  std::string err = readText(path("err.txt"));
  EXPECT_NE(err.find("does not match the model (1 mismatch):\n  " +
                     wrong.tensors[0].first + ": checkpoint has f32[2, 2]"),
            std::string::npos)
      << err;
  llvm::sys::fs::remove_directories(dir);
}

// A binary built from a model whose train block reads text(...) trains from
// the corpus as axonc does: the windows bound to the loss's arguments by
// name (T from seq), the validation loss each epoch, the vocabulary in the
// checkpoint.
TEST(BuildBinary, TrainsFromATextSource) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-build-text", dir));
  auto path = [&](const std::string &name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string corpus;
  for (int i = 0; i < 60; ++i)
    corpus += i % 3 ? "the cat sat on the mat. " : "a dog ran. ";
  std::ofstream(path("corpus.txt")) << corpus;
  std::ofstream(path("m.axon")) << R"(param E: f32[20, 8] = normal(0, 0.1)
param W: f32[8, 20] = glorot_uniform
fn loss(targets: i32[N, T], tokens: i32[N, T]) -> f32 {
  return cross_entropy(gather(E, tokens) @ W, targets)
}
train loss {
  data = text(")" + path("corpus.txt") + R"(", seq = 7, validation = 0.2)
  optimizer = adam(lr = 0.05)
  batch = 8
}
)";
  std::string build = std::string(AXONC_PATH) + " build " + path("m.axon") +
                      " -o " + path("m") + " > " + path("build.out") + " 2>&1";
  ASSERT_EQ(std::system(build.c_str()), 0) << readText(path("build.out"));
  std::string train = path("m") + " train --epochs 2 --metrics " +
                      path("m.jsonl") + " --checkpoint " +
                      path("m.safetensors") + " > " + path("train.out") +
                      " 2>&1";
  ASSERT_EQ(std::system(train.c_str()), 0) << readText(path("train.out"));
  std::string out = readText(path("train.out"));
  EXPECT_NE(out.find("held out for validation"), std::string::npos) << out;
  EXPECT_NE(out.find("final train loss "), std::string::npos) << out;
  EXPECT_NE(out.find(", validation loss "), std::string::npos) << out;
  auto saved = readCheckpoint(path("m.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  EXPECT_NE(saved->metadata["vocabulary"].find("\"level\":\"char\""),
            std::string::npos)
      << saved->metadata["vocabulary"];
  llvm::sys::fs::remove_directories(dir);
}

// A binary whose kernels need CPU features this machine lacks exits 1 at
// start-up, naming them and the --target to rebuild with, instead of dying
// of SIGILL in the first kernel. Knights Landing's AVX512-ER is on no CPU
// made since, so every machine lacks it. The JIT refuses such a target too.
TEST(BuildBinary, RefusesToRunOnACpuWithoutItsFeatures) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-build-test", dir));
  std::string bin = std::string(dir) + "/mlp", log = std::string(dir) + "/log";
  std::string model = std::string(AXON_SOURCE_DIR) + "/examples/mlp/mlp.axon";
  std::string knl = "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_knl";
  std::string build = std::string(AXONC_PATH) + " build " + model +
                      " --batch 2 --target=" + knl + " -o " + bin;
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  std::string run = bin + " bench --iterations 1 > " + log + " 2>&1";
  int status = std::system(run.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string text = readText(log);
  EXPECT_NE(text.find("cannot run on this CPU"), std::string::npos) << text;
  EXPECT_NE(text.find("avx512er"), std::string::npos) << text;
  EXPECT_NE(text.find("--target=host"), std::string::npos) << text;

  std::string jit = std::string(AXONC_PATH) + " train " + model +
                    " --limit 4 --target=" + knl + " > " + log + " 2>&1";
  status = std::system(jit.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(readText(log).find("avx512er"), std::string::npos) << readText(log);
  llvm::sys::fs::remove_directories(dir);
}

// A built binary checks its plan's memory against --max-memory (and the
// machine's) before allocating anything, and says what needs how much.
TEST(BuildBinary, MaxMemoryIsCheckedBeforeAllocating) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-build-test", dir));
  std::string bin = std::string(dir) + "/mlp", log = std::string(dir) + "/log";
  std::string model = std::string(AXON_SOURCE_DIR) + "/examples/mlp/mlp.axon";
  std::string build = std::string(AXONC_PATH) + " build " + model +
                      " --batch 2 -o " + bin;
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  std::string run = bin + " bench --iterations 1 --max-memory 64K > " + log +
                    " 2>&1";
  int status = std::system(run.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string text = readText(log);
  EXPECT_NE(text.find("needs"), std::string::npos) << text;
  EXPECT_NE(text.find("--max-memory limit is 64.0 KiB"), std::string::npos)
      << text;
  run = bin + " bench --iterations 1 --max-memory 1G > " + log + " 2>&1";
  EXPECT_EQ(std::system(run.c_str()), 0) << readText(log);
  llvm::sys::fs::remove_directories(dir);
}
