// Tests of the JSON-lines metrics log (runtime/train/MetricsLog.h): every line
// parses back with llvm::json and holds what was logged.
#include "runtime/train/MetricsLog.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;

namespace {

class MetricsLogTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("axon-metrics-test", dir));
    llvm::sys::path::append(file, dir, "metrics.jsonl");
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// The file's lines, each parsed as a JSON object.
  std::vector<llvm::json::Object> records() {
    std::vector<llvm::json::Object> out;
    auto buffer = llvm::MemoryBuffer::getFile(file);
    EXPECT_TRUE(bool(buffer));
    if (!buffer)
      return out;
    llvm::SmallVector<llvm::StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef line : lines) {
      auto v = llvm::json::parse(line);
      if (!v) {
        ADD_FAILURE() << line.str() << ": " << llvm::toString(v.takeError());
        continue;
      }
      EXPECT_NE(v->getAsObject(), nullptr) << line.str();
      if (auto *o = v->getAsObject())
        out.push_back(std::move(*o));
    }
    return out;
  }

  llvm::SmallString<128> dir, file;
};

TEST_F(MetricsLogTest, StepAndEpochRecordsParseBack) {
  {
    auto log = MetricsLog::open(file);
    ASSERT_TRUE(bool(log)) << llvm::toString(log.takeError());
    log->logStep(1, 1, 0, 2.5, 1000);
    log->logStep(1, 2, 1, 1.25, 2000);
    ASSERT_FALSE(bool(log->logEpoch(1, 1.875, 1.5, 0.75, 3.5)));
    log->logStep(2, 1, 2, 1.0, 1500);
    ASSERT_FALSE(bool(log->logEpoch(2, 1.0, std::nullopt, std::nullopt, 1.0)));
  }
  auto r = records();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].getString("kind"), "step");
  EXPECT_EQ(r[0].getInteger("epoch"), 1);
  EXPECT_EQ(r[0].getInteger("step"), 1);
  EXPECT_EQ(r[0].getInteger("global_step"), 0);
  EXPECT_EQ(r[0].getNumber("loss"), 2.5);
  EXPECT_EQ(r[0].getNumber("samples_per_s"), 1000);
  EXPECT_EQ(r[1].getInteger("global_step"), 1);
  EXPECT_EQ(r[1].getNumber("loss"), 1.25);

  EXPECT_EQ(r[2].getString("kind"), "epoch");
  EXPECT_EQ(r[2].getInteger("epoch"), 1);
  EXPECT_EQ(r[2].getNumber("train_loss"), 1.875);
  EXPECT_EQ(r[2].getNumber("eval_loss"), 1.5);
  EXPECT_EQ(r[2].getNumber("eval_metric"), 0.75);
  EXPECT_EQ(r[2].getNumber("seconds"), 3.5);

  EXPECT_EQ(r[3].getInteger("global_step"), 2);
  // Absent eval results are left out, not written as null.
  EXPECT_EQ(r[4].getString("kind"), "epoch");
  EXPECT_EQ(r[4].get("eval_loss"), nullptr);
  EXPECT_EQ(r[4].get("eval_metric"), nullptr);
}

TEST_F(MetricsLogTest, NonFiniteNumbersAreNull) {
  {
    auto log = MetricsLog::open(file);
    ASSERT_TRUE(bool(log));
    log->logStep(1, 1, 0, std::nan(""), INFINITY);
    ASSERT_FALSE(bool(log->logEpoch(1, std::nan(""), -INFINITY, 0.5, 1)));
  }
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  ASSERT_NE(r[0].get("loss"), nullptr);
  EXPECT_EQ(r[0].get("loss")->kind(), llvm::json::Value::Null);
  EXPECT_EQ(r[0].get("samples_per_s")->kind(), llvm::json::Value::Null);
  EXPECT_EQ(r[1].get("train_loss")->kind(), llvm::json::Value::Null);
  EXPECT_EQ(r[1].get("eval_loss")->kind(), llvm::json::Value::Null);
  EXPECT_EQ(r[1].getNumber("eval_metric"), 0.5);
}

TEST_F(MetricsLogTest, EachEpochIsFlushed) {
  auto log = MetricsLog::open(file);
  ASSERT_TRUE(bool(log));
  log->logStep(1, 1, 0, 1.0, 10);
  ASSERT_FALSE(bool(log->logEpoch(1, 1.0, std::nullopt, std::nullopt, 1)));
  // Still open: the records are on disk all the same.
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].getString("kind"), "epoch");
}

TEST_F(MetricsLogTest, OpenTruncates) {
  {
    auto log = MetricsLog::open(file);
    ASSERT_TRUE(bool(log));
    log->logStep(1, 1, 0, 1.0, 10);
  }
  {
    auto log = MetricsLog::open(file);
    ASSERT_TRUE(bool(log));
    EXPECT_EQ(log->path(), std::string(file));
  }
  EXPECT_TRUE(records().empty());
}

TEST_F(MetricsLogTest, OpenErrorNamesTheFile) {
  llvm::SmallString<128> bad(dir);
  llvm::sys::path::append(bad, "no-such-dir", "m.jsonl");
  auto log = MetricsLog::open(bad);
  ASSERT_FALSE(bool(log));
  std::string msg = llvm::toString(log.takeError());
  EXPECT_EQ(msg.rfind(std::string(bad) + ": cannot open the metrics log", 0),
            0u)
      << msg;
}

} // namespace
