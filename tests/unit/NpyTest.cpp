// Tests of .npy reading and writing (runtime/io/Npy.h).
#include "runtime/io/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/stat.h>

using namespace axon;

namespace {

class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-npy-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  void writeBytes(const std::string &file, const std::string &bytes) {
    std::ofstream os(file, std::ios::binary);
    os << bytes;
  }
  std::string readBytes(const std::string &file) {
    std::ifstream is(file, std::ios::binary);
    std::stringstream ss;
    ss << is.rdbuf();
    return ss.str();
  }
  /// A hand-made .npy file: version `major`, the given header dict
  /// (padded to 64 bytes), then `data`.
  std::string npyBytes(int major, const std::string &dict,
                       const std::string &data) {
    size_t prefix = 6 + 2 + (major == 1 ? 2 : 4);
    std::string header = dict;
    while ((prefix + header.size() + 1) % 64 != 0)
      header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    size_t n = header.size();
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>((n >> 8) & 0xff);
    if (major != 1)
      out += std::string(2, '\0');
    return out + header + data;
  }
  /// The message of an error, consuming it.
  std::string message(llvm::Error e) { return llvm::toString(std::move(e)); }

  llvm::SmallString<128> dir;
};

void roundTrip(const std::string &file, const Tensor &t) {
  ASSERT_FALSE(writeNpy(file, t)) << "writing " << file;
  auto back = readNpy(file);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->dtype, t.dtype);
  EXPECT_EQ(back->shape, t.shape);
  EXPECT_EQ(back->data, t.data);
}

TEST_F(NpyTest, RoundTripEachDtype) {
  roundTrip(
      path("f32.npy"),
      Tensor(DType::F32, {2, 3},
             {1.5, -2.25, 0.0, static_cast<double>(0.1f),
              static_cast<double>(std::numeric_limits<float>::max()),
              static_cast<double>(std::numeric_limits<float>::denorm_min())}));
  roundTrip(path("f64.npy"), Tensor(DType::F64, {3}, {0.1, -1e300, 5e-324}));
  roundTrip(path("i32.npy"),
            Tensor(DType::I32, {2, 2}, {-5, 2147483647, -2147483648.0, 0}));
  roundTrip(path("i64.npy"),
            Tensor(DType::I64, {2}, {-9007199254740992.0, 9007199254740992.0}));
  roundTrip(path("i1.npy"), Tensor(DType::I1, {1, 1, 3}, {1, 0, 1}));
  roundTrip(path("scalar.npy"), Tensor(DType::F32, {}, {42}));
  roundTrip(path("empty.npy"),
            Tensor(DType::F64, {0, 3}, std::vector<double>{}));
}

TEST_F(NpyTest, WritesTheStandardHeader) {
  std::string file = path("h.npy");
  ASSERT_FALSE(writeNpy(file, Tensor(DType::F32, {2, 3}, 1.0)));
  std::string bytes = readBytes(file);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t headerLen = static_cast<unsigned char>(bytes[8]) |
                     static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + headerLen + 6 * 4);
  std::string header = bytes.substr(10, headerLen);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (2, 3)"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
  // A rank-1 shape is written as a one-element tuple.
  ASSERT_FALSE(writeNpy(file, Tensor(DType::I64, {4}, 0.0)));
  EXPECT_NE(readBytes(file).find("'shape': (4,)"), std::string::npos);
}

TEST_F(NpyTest, ReadsVersion2AndU1) {
  std::string file = path("v2.npy");
  // Little-endian i32 values 1 and -2.
  writeBytes(
      file,
      npyBytes(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
               std::string("\x01\x00\x00\x00\xfe\xff\xff\xff", 8)));
  auto t = readNpy(file);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->dtype, DType::I32);
  EXPECT_EQ(t->data, (std::vector<double>{1, -2}));

  writeBytes(
      file,
      npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
               std::string("\x00\x7f\xff", 3)));
  t = readNpy(file);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->dtype, DType::I32);
  EXPECT_EQ(t->data, (std::vector<double>{0, 127, 255}));

  // Keys in another order, double quotes, no trailing comma.
  writeBytes(
      file,
      npyBytes(1,
               "{\"shape\": (), \"fortran_order\": False, \"descr\": \"<f8\"}",
               std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8)));
  t = readNpy(file);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->shape, std::vector<int64_t>{});
  EXPECT_EQ(t->data, std::vector<double>{1.0});
}

TEST_F(NpyTest, BadMagicNamesTheFile) {
  std::string file = path("bad.npy");
  writeBytes(file, "PK\x03\x04 this is a zip file, not an npy file");
  std::string msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
}

TEST_F(NpyTest, TruncatedDataNamesTheFile) {
  std::string file = path("trunc.npy");
  ASSERT_FALSE(writeNpy(file, Tensor(DType::F64, {4, 4}, 2.0)));
  std::string bytes = readBytes(file);
  writeBytes(file, bytes.substr(0, bytes.size() - 9));
  std::string msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated data"), std::string::npos) << msg;

  // Cut inside the header.
  writeBytes(file, bytes.substr(0, 30));
  msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated header"), std::string::npos) << msg;
}

TEST_F(NpyTest, UnsupportedDtypeNamesIt) {
  std::string file = path("be.npy");
  writeBytes(
      file,
      npyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
               std::string(4, '\0')));
  std::string msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsupported dtype '>f4'"), std::string::npos) << msg;
}

TEST_F(NpyTest, FortranOrderIsRejected) {
  std::string file = path("f.npy");
  writeBytes(
      file,
      npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
               std::string(16, '\0')));
  std::string msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("fortran_order"), std::string::npos) << msg;
}

TEST_F(NpyTest, HeaderParseErrorsNameTheFile) {
  std::string file = path("h.npy");
  for (const char *dict :
       {"{'descr': '<f4', 'fortran_order': False}",                  // no shape
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", // bad bool
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", // bad
                                                                       // tuple
        "['descr', '<f4']"}) {
    writeBytes(file, npyBytes(1, dict, std::string(4, '\0')));
    std::string msg = message(readNpy(file).takeError());
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find("header parse error"), std::string::npos) << msg;
  }
}

TEST_F(NpyTest, MissingFileNamesIt) {
  std::string file = path("does-not-exist.npy");
  std::string msg = message(readNpy(file).takeError());
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
}

TEST_F(NpyTest, OnlyRegularFilesAreRead) {
  // /dev/zero would be read until memory runs out; a FIFO would block.
  std::string msg = message(readNpy("/dev/zero").takeError());
  EXPECT_EQ(msg, "/dev/zero: not a regular file (a device); only regular "
                 "files are read");
  msg = message(readNpy(std::string(dir)).takeError());
  EXPECT_EQ(msg, std::string(dir) + ": not a regular file (a directory); "
                                    "only regular files are read");
  std::string fifo = path("pipe.npy");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  msg = message(readNpy(fifo).takeError());
  EXPECT_EQ(msg, fifo + ": not a regular file (a named pipe); only "
                        "regular files are read");
}

TEST_F(NpyTest, DataLongerThanTheShapeIsAnError) {
  std::string file = path("long.npy");
  writeBytes(
      file,
      npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
               std::string(12, '\0')));
  EXPECT_EQ(message(readNpy(file).takeError()),
            file + ": 4 bytes after the 8 data bytes of 2 elements of <f4 "
                   "(the shape in the header is wrong?)");
  // A shape far beyond the file is refused before anything is allocated.
  writeBytes(file,
             npyBytes(1,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': "
                      "(1000000000, 1000000), }",
                      std::string(8, '\0')));
  EXPECT_EQ(message(readNpy(file).takeError()),
            file + ": truncated data: expected 8000000000000000 bytes for "
                   "1000000000000000 elements of <f8, got 8");
}

} // namespace
