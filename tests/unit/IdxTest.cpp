// Tests of the IDX reader (runtime/io/Idx.h): the real Fashion-MNIST files, and
// one hand-made file per error, each message starting with the file's path.
#include "runtime/io/Idx.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace axon;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

class IdxTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-idx-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string writeRaw(const char *name, const std::string &bytes) {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string writeGzip(const char *name, const std::string &bytes) {
    std::string p = path(name);
    gzFile f = gzopen(p.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, bytes.data(), bytes.size()), int(bytes.size()));
    gzclose(f);
    return p;
  }
  static std::string readBytes(const std::string &p) {
    std::ifstream is(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(is), {});
  }
  /// An IDX header: magic, `type`, then big-endian `dims`.
  static std::string header(unsigned char type, std::vector<uint32_t> dims) {
    std::string h = {0, 0, static_cast<char>(type),
                     static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int shift = 24; shift >= 0; shift -= 8)
        h += static_cast<char>((d >> shift) & 0xff);
    return h;
  }
  /// The error message of a read that must fail; checks it names the file.
  static std::string errorOf(const std::string &p) {
    auto r = readIdx(p);
    if (r) {
      ADD_FAILURE() << p << " was read without an error";
      return "";
    }
    std::string msg = llvm::toString(r.takeError());
    EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << msg;
    return msg;
  }

  llvm::SmallString<128> dir;
};

TEST_F(IdxTest, ReadsFashionMnistTrainingSet) {
  auto labels = readIdx(kData + "train-labels-idx1-ubyte.gz");
  ASSERT_TRUE(bool(labels)) << llvm::toString(labels.takeError());
  EXPECT_EQ(labels->dtype, DType::I32);
  EXPECT_EQ(labels->shape, (std::vector<int64_t>{60000}));
  EXPECT_EQ(labels->data[0], 9); // an ankle boot
  for (double v : labels->data)
    ASSERT_TRUE(v >= 0 && v <= 9) << v;

  auto images = readIdx(kData + "train-images-idx3-ubyte.gz");
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  EXPECT_EQ(images->dtype, DType::I32);
  EXPECT_EQ(images->shape, (std::vector<int64_t>{60000, 28, 28}));
  double lo = 255, hi = 0;
  for (double v : images->data)
    lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);
}

TEST_F(IdxTest, ReadsFashionMnistTestSet) {
  auto labels = readIdx(kData + "t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(bool(labels)) << llvm::toString(labels.takeError());
  EXPECT_EQ(labels->shape, (std::vector<int64_t>{10000}));
  auto images = readIdx(kData + "t10k-images-idx3-ubyte.gz");
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  EXPECT_EQ(images->shape, (std::vector<int64_t>{10000, 28, 28}));
}

TEST_F(IdxTest, ReadsRawAndGzipFilesAlike) {
  std::string bytes =
      header(0x08, {2, 3}) + std::string("\x00\x01\x7f\x80\xfe\xff", 6);
  std::vector<double> values = {0, 1, 127, 128, 254, 255};
  for (const std::string &p :
       {writeRaw("m.idx", bytes), writeGzip("m.idx.gz", bytes),
        writeGzip("gzip-without-suffix.idx", bytes)}) {
    auto t = readIdx(p);
    ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(t->dtype, DType::I32);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(t->data, values);
  }
}

TEST_F(IdxTest, MissingFile) {
  std::string p = path("absent.gz");
  EXPECT_NE(errorOf(p).find("cannot open: No such file or directory"),
            std::string::npos);
}

TEST_F(IdxTest, BadMagic) {
  std::string p = writeRaw("bad.idx", "not an idx file");
  EXPECT_NE(errorOf(p).find("not an IDX file (bad magic number)"),
            std::string::npos);
  p = writeGzip("bad.idx.gz",
                std::string("\x01\x00\x08\x01\x00\x00\x00\x00", 8));
  EXPECT_NE(errorOf(p).find("bad magic"), std::string::npos);
  p = writeRaw("tiny.idx", std::string(2, '\0'));
  EXPECT_NE(errorOf(p).find("bad magic"), std::string::npos);
}

TEST_F(IdxTest, UnsupportedElementType) {
  std::string p = writeRaw("f32.idx", header(0x0D, {1}) + std::string(4, '\0'));
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("unsupported element type 0x0d (f32)"), std::string::npos)
      << msg;
}

TEST_F(IdxTest, TruncatedHeader) {
  std::string p =
      writeRaw("head.idx", header(0x08, {60000, 28, 28}).substr(0, 9));
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("truncated header: 3 dimensions announced, 1 present"),
            std::string::npos)
      << msg;
}

TEST_F(IdxTest, TruncatedPayload) {
  std::string p = writeRaw("short.idx", header(0x08, {10}) + "\x01\x02\x03");
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("truncated: the header promises 10 values but the file "
                     "holds 3 (dimensions 10)"),
            std::string::npos)
      << msg;
  p = writeGzip("short.idx.gz",
                header(0x08, {4, 28, 28}) + std::string(100, 'x'));
  msg = errorOf(p);
  EXPECT_NE(msg.find("promises 3136 values but the file holds 100 (dimensions "
                     "4 x 28 x 28)"),
            std::string::npos)
      << msg;
}

TEST_F(IdxTest, TrailingData) {
  std::string p = writeRaw("long.idx", header(0x08, {2}) + "\x01\x02\x03");
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("holds more than the 2 values its dimensions 2 promise"),
            std::string::npos)
      << msg;
}

TEST_F(IdxTest, GzipNameOnGarbage) {
  std::string p = writeRaw("garbage.gz", "\x00\x00\x08\x01 this is no gzip");
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("not a gzip file"), std::string::npos) << msg;
}

TEST_F(IdxTest, TruncatedGzipStream) {
  std::string payload = header(0x08, {1000});
  for (int i = 0; i < 1000; ++i)
    payload += static_cast<char>((i * 7919) % 251); // poorly compressible
  std::string whole = readBytes(writeGzip("whole.gz", payload));
  std::string p = writeRaw("cut.gz", whole.substr(0, whole.size() / 2));
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("truncated gzip stream"), std::string::npos) << msg;
}

TEST_F(IdxTest, BytesAreTheValuesReadIdxGives) {
  // 33 images of 7x1 bytes, gzip (room reserved up front) and raw alike.
  std::string values;
  for (int i = 0; i < 33 * 7; ++i)
    values += static_cast<char>((i * 37) % 256);
  for (const std::string &p :
       {writeGzip("x.idx.gz", header(0x08, {33, 7, 1}) + values),
        writeRaw("x.idx", header(0x08, {33, 7, 1}) + values)}) {
    auto bytes = readIdxBytes(p);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    EXPECT_EQ(bytes->shape, (std::vector<int64_t>{33, 7, 1}));
    ASSERT_EQ(bytes->values.size(), values.size());
    auto t = readIdx(p);
    ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(bytes->values[i], static_cast<unsigned char>(values[i])) << i;
      ASSERT_EQ(t->data[i], double(static_cast<unsigned char>(values[i]))) << i;
    }
  }
  // A one-value file, and errors that name the file and why.
  auto one = readIdxBytes(writeRaw("one.idx", header(0x08, {1}) + "\x07"));
  ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
  EXPECT_EQ(one->values, (std::vector<unsigned char>{7}));
  std::string p = writeGzip("short.idx.gz", header(0x08, {7, 33}) + "ab");
  auto cut = readIdxBytes(p);
  ASSERT_FALSE(bool(cut));
  EXPECT_EQ(llvm::toString(cut.takeError()),
            p + ": truncated: the header promises 231 values but the file "
                "holds 2 (dimensions 7 x 33)");
}

TEST_F(IdxTest, CorruptGzipStream) {
  std::string payload = header(0x08, {1000}) + std::string(1000, 'a');
  std::string bytes = readBytes(writeGzip("whole.gz", payload));
  bytes[bytes.size() - 6] ^= 0x5a; // the CRC-32 in the trailer
  std::string p = writeRaw("crc.gz", bytes);
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("corrupt gzip stream"), std::string::npos) << msg;
}

TEST_F(IdxTest, OnlyRegularFilesAreRead) {
  std::string msg = errorOf("/dev/zero");
  EXPECT_EQ(msg, "/dev/zero: not a regular file (a device); only regular "
                 "files are read");
  std::string fifo = path("pipe.idx");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(errorOf(fifo).find("not a regular file (a named pipe"),
            std::string::npos);
  EXPECT_NE(errorOf(std::string(dir)).find("not a regular file (a directory)"),
            std::string::npos);
}

TEST_F(IdxTest, RawFileSizeIsCheckedBeforeReading) {
  // 4 billion values promised by a 16-byte file: refused at once.
  std::string p = writeRaw("liar.idx", header(0x08, {4000000000u}) + "abcd");
  EXPECT_NE(errorOf(p).find("truncated: the header promises 4000000000 values "
                            "but the file holds 4 (dimensions 4000000000)"),
            std::string::npos);
}

TEST_F(IdxTest, GzipBombIsRefusedFromItsHeader) {
  // A header promising 2^32 - 1 values, then 1 MB of zeros: about 1 KB of
  // gzip, which can inflate to at most 1032 times its size. Refused from
  // the header, without inflating the rest.
  std::string p = writeGzip("bomb.idx.gz", header(0x08, {4294967295u}) +
                                               std::string(1 << 20, '\0'));
  auto start = std::chrono::steady_clock::now();
  std::string msg = errorOf(p);
  EXPECT_NE(msg.find("the header promises 4294967295 values (dimensions "
                     "4294967295) but a gzip file of "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(" bytes holds at most "), std::string::npos) << msg;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  // A stream longer than its header says: inflating stops one byte past the
  // promise (the rest, 8 MB of zeros, is never inflated).
  p = writeGzip("long.idx.gz", header(0x08, {1000}) +
                                   std::string(8 << 20, '\0'));
  msg = errorOf(p);
  EXPECT_NE(msg.find("holds more than the 1000 values its dimensions 1000 "
                     "promise"),
            std::string::npos)
      << msg;
}

TEST_F(IdxTest, MemoryIsCheckedFromTheHeader) {
  // A raw file (sparse) exactly as long as its dimensions promise, more
  // than this machine can hold once loaded: refused from the header.
  uint64_t memory = uint64_t(::sysconf(_SC_PHYS_PAGES)) *
                    uint64_t(::sysconf(_SC_PAGESIZE));
  uint64_t rows = memory / 9 / 65536 + 1;
  if (rows > 0xffffffffu)
    GTEST_SKIP() << "more memory than one IDX file can promise";
  std::string p = writeRaw("huge.idx", header(0x08, {uint32_t(rows), 65536}));
  ASSERT_EQ(::truncate(p.c_str(), off_t(12 + rows * 65536)), 0);
  // readIdxHeader: even if the check were missing, nothing is loaded.
  auto h = readIdxHeader(p);
  ASSERT_FALSE(bool(h));
  std::string msg = llvm::toString(h.takeError());
  EXPECT_NE(msg.find(p + ": the header promises " +
                     std::to_string(rows * 65536) + " values"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("MiB of memory"), std::string::npos) << msg;
}

TEST_F(IdxTest, PairCountsAreCheckedFromTheHeaders) {
  // Images promising 100,000 samples (zeros: 100 KB inflated from a few
  // hundred bytes), labels 10: the mismatch is found from the headers.
  std::string images = writeGzip(
      "images.gz", header(0x08, {100000, 1}) + std::string(100000, '\0'));
  std::string labels =
      writeGzip("labels.gz", header(0x08, {10}) + std::string(10, '\1'));
  auto h = readIdxHeader(images);
  ASSERT_TRUE(bool(h)) << llvm::toString(h.takeError());
  EXPECT_EQ(h->shape, (std::vector<int64_t>{100000, 1}));
  EXPECT_TRUE(h->gzip);
  llvm::Error e = checkIdxPair(images, labels);
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(llvm::toString(std::move(e)),
            images + " holds 100000 samples but " + labels + " holds 10 labels");
  std::string more = writeGzip("more.gz", header(0x08, {100000}) +
                                              std::string(100000, '\2'));
  EXPECT_FALSE(bool(checkIdxPair(images, more)));
  // Header errors come with the file's name.
  e = checkIdxPair(images, path("absent.gz"));
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("absent.gz: cannot open"),
            std::string::npos);
}

} // namespace
