// Tests of a function's arguments and results as .npy files (runtime/io/
// FunctionIO.h), the I/O `axonc run` and a built binary's `infer` share.
#include "runtime/io/FunctionIO.h"
#include "runtime/io/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

class FunctionIOTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-fnio-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string errorOf(llvm::Error e) { return llvm::toString(std::move(e)); }

  llvm::SmallString<128> dir;
};

TEST_F(FunctionIOTest, AssignmentsByName) {
  auto ok = parseAssignments({"x=a.npy", "y=b.npy", "x=c.npy"}, "input");
  ASSERT_TRUE(bool(ok)) << errorOf(ok.takeError());
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ(ok->at("x"), "c.npy"); // the last one given
  EXPECT_EQ(ok->at("y"), "b.npy");
  for (const char *bad : {"x", "=a.npy", "x="}) {
    auto e = parseAssignments({bad}, "param");
    ASSERT_FALSE(bool(e)) << bad;
    EXPECT_EQ(errorOf(e.takeError()), std::string("--param expects "
                                                  "name=path.npy, got '") +
                                          bad + "'");
  }
}

TEST_F(FunctionIOTest, ArgumentsAreReadInOrderAndChecked) {
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), Tensor(DType::F32, {3, 4}, 1.0))));
  ASSERT_FALSE(bool(writeNpy(path("t.npy"), Tensor(DType::I32, {3}, 2.0))));
  std::vector<ArgumentSpec> args{{"x", DType::F32, {-1, 4}},
                                 {"t", DType::I32, {-1}}};
  std::map<std::string, std::string> files{{"t", path("t.npy")},
                                           {"x", path("x.npy")}};
  auto read = readArguments("loss", args, files);
  ASSERT_TRUE(bool(read)) << errorOf(read.takeError());
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].typeString(), "f32[3, 4]");
  EXPECT_EQ((*read)[1].typeString(), "i32[3]");

  auto missing = readArguments("loss", args, {{"x", path("x.npy")}});
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(errorOf(missing.takeError()),
            "missing --input t=... for function 'loss'");

  files["z"] = path("x.npy");
  auto unknown = readArguments("loss", args, files);
  ASSERT_FALSE(bool(unknown));
  EXPECT_EQ(errorOf(unknown.takeError()),
            "function 'loss' has no argument 'z'");

  args[0].dims = {-1, 5};
  auto wrong = readArguments("loss", args, {{"x", path("x.npy")}});
  ASSERT_FALSE(bool(wrong));
  EXPECT_EQ(errorOf(wrong.takeError()),
            path("x.npy") + ": argument 'x' (#0) of 'loss' takes f32[?, 5], "
                            "but the file holds f32[3, 4] (dim 1 is 4, not 5)");
  // Without a type the file is taken as it is.
  auto untyped = readArguments("f", {{"x", std::nullopt, {}}},
                               {{"x", path("x.npy")}});
  EXPECT_TRUE(bool(untyped)) << errorOf(untyped.takeError());
}

TEST_F(FunctionIOTest, SeveralResultsGoToNumberedFiles) {
  EXPECT_EQ(resultPath("out.npy", 0, 1), "out.npy");
  EXPECT_EQ(resultPath("out.npy", 0, 2), "out.0.npy");
  EXPECT_EQ(resultPath("out.npy", 1, 2), "out.1.npy");
  EXPECT_EQ(resultPath("out", 1, 2), "out.1.npy");

  std::vector<Tensor> results{Tensor(DType::F32, {2}, {0.5, 1.5}),
                              Tensor(DType::I32, {}, 7.0)};
  ASSERT_FALSE(bool(writeResults(results, path("y.npy"), llvm::nulls())));
  auto first = readNpy(path("y.0.npy"));
  auto second = readNpy(path("y.1.npy"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->data, results[0].data);
  EXPECT_EQ(second->data, results[1].data);
  EXPECT_FALSE(llvm::sys::fs::exists(path("y.npy")));

  std::string printed;
  llvm::raw_string_ostream os(printed);
  ASSERT_FALSE(bool(writeResults(results, "-", os)));
  EXPECT_EQ(printed, "f32[2]\n0.5 1.5\ni32[]\n7\n");
}

} // namespace
