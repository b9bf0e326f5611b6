// A test fixture with a fresh directory per test, removed afterwards, and
// helpers to write files into it: for tests of file readers.
#ifndef AXON_TESTS_UNIT_TEMPDIRTEST_H
#define AXON_TESTS_UNIT_TEMPDIRTEST_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace axon::test {

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  /// `name` inside the test's directory.
  std::string path(const std::string &name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Writes `bytes` to `name` and returns its path.
  std::string write(const std::string &name, const std::string &bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  /// The message of a failed result, or "no error".
  template <typename T> static std::string errorOf(llvm::Expected<T> r) {
    if (r)
      return "no error";
    return llvm::toString(r.takeError());
  }
  llvm::SmallString<128> dir;
};

} // namespace axon::test

#endif // AXON_TESTS_UNIT_TEMPDIRTEST_H
