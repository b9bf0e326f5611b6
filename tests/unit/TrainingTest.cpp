// Training end to end: a short real run of the MLP example on Fashion-MNIST
// through `axonc train`. The runtime pieces have their own tests (IdxTest,
// DatasetTest, BatcherTest, TrainerTest, MetricsLogTest, ProgressBarTest).
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

std::string tempPath(const char *name) {
  llvm::SmallString<128> dir;
  llvm::sys::fs::createUniqueDirectory("axon-training", dir);
  llvm::sys::path::append(dir, name);
  return std::string(dir);
}

/// The MLP example learns: a short run on a fixed Fashion-MNIST subset must
/// beat chance (10%, loss ln 10 = 2.30) by a wide margin.
TEST(Training, MlpLearnsFashionMnistSubset) {
  std::string metrics = tempPath("mlp.jsonl");
  std::string cmd = std::string(AXONC_PATH) + " train " + AXON_SOURCE_DIR +
                    "/examples/mlp/mlp.axon --limit 1024 --eval-limit 500 "
                    "--epochs 2 --batch 64 --metrics " + metrics +
                    " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto log = llvm::MemoryBuffer::getFile(metrics);
  ASSERT_TRUE(bool(log));
  llvm::SmallVector<llvm::StringRef> lines;
  (*log)->getBuffer().trim().split(lines, '\n');
  auto last = llvm::json::parse(lines.back());
  ASSERT_TRUE(bool(last));
  const llvm::json::Object &epoch = *last->getAsObject();
  EXPECT_LT(*epoch.getNumber("eval_loss"), 1.0);
  EXPECT_GT(*epoch.getNumber("eval_metric"), 0.65);
}

} // namespace
