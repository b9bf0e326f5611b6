// Tests of safetensors checkpoints (runtime/io/Checkpoint.h): exact round trips
// of every dtype, the file layout, atomic replacement when the writer dies
// mid-write, every malformed-file error, and restoring into a model whose
// parameters do not match.
#include "runtime/io/Checkpoint.h"

#include "runtime/io/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace axon;

namespace {

/// A model that is only its parameters.
class ParamsOnly : public Model {
public:
  std::map<std::string, Tensor> params;
  std::vector<std::string> order;

  void add(const std::string &name, Tensor t) {
    order.push_back(name);
    params[name] = std::move(t);
  }
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &) override {
    return llvm::createStringError("no function " + fn);
  }
  std::vector<std::string> paramNames() const override { return order; }
  llvm::Expected<Tensor> getParam(const std::string &name) const override {
    return params.at(name);
  }
  llvm::Error setParam(const std::string &name, const Tensor &v) override {
    params[name] = v;
    return llvm::Error::success();
  }
};

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-ckpt-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string readBytes(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  void writeBytes(const std::string &p, const std::string &bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  /// A file with this header JSON and `data` after it.
  std::string withHeader(const std::string &header, const std::string &data) {
    std::string bytes(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
      bytes[i] = char((n >> (8 * i)) & 0xff);
    return bytes + header + data;
  }
  std::string errorOf(const std::string &p) {
    auto c = readCheckpoint(p);
    if (c) {
      ADD_FAILURE() << "read without an error";
      return "";
    }
    return llvm::toString(c.takeError());
  }

  static Checkpoint sample(double scale) {
    Checkpoint c;
    c.tensors.push_back(
        {"W", Tensor(DType::F32, {2, 3},
                     {roundTo(DType::F32, 0.1 * scale), -0.0, roundTo(DType::F32, 1e-40),
                      roundTo(DType::F32, 3.4e38), -2.5 * scale,
                      roundTo(DType::F32, 1.0 / 3)})});
    c.tensors.push_back({"d", Tensor(DType::F64, {1}, {M_PI * scale})});
    c.tensors.push_back({"i", Tensor(DType::I32, {3}, {-7, 0, 2147483647})});
    c.tensors.push_back({"step", Tensor(DType::I64, {}, {double(1ll << 52)})});
    c.tensors.push_back({"mask", Tensor(DType::I1, {2}, {1, 0})});
    c.tensors.push_back({"none", Tensor(DType::F32, {0, 4})});
    c.metadata = {{"format", "test"}, {"epoch", "3"}};
    return c;
  }

  llvm::SmallString<128> dir;
};

void expectSame(const Checkpoint &a, const Checkpoint &b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    const Tensor &x = a.tensors[i].second, &y = b.tensors[i].second;
    EXPECT_EQ(x.dtype, y.dtype) << a.tensors[i].first;
    EXPECT_EQ(x.shape, y.shape) << a.tensors[i].first;
    ASSERT_EQ(x.data.size(), y.data.size());
    for (size_t k = 0; k < x.data.size(); ++k) // bit-exact, sign of zero too
      EXPECT_EQ(std::signbit(x.data[k]), std::signbit(y.data[k]));
    EXPECT_EQ(x.data, y.data) << a.tensors[i].first;
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST_F(CheckpointTest, RoundTripsEveryDtypeExactly) {
  Checkpoint c = sample(1);
  ASSERT_FALSE(bool(writeCheckpoint(path("a.safetensors"), c)));
  auto back = readCheckpoint(path("a.safetensors"));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(c, *back);
}

TEST_F(CheckpointTest, FileLayoutIsSafetensors) {
  ASSERT_FALSE(bool(writeCheckpoint(path("a.safetensors"), sample(1))));
  std::string bytes = readBytes(path("a.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = n << 8 | uint8_t(bytes[i]);
  EXPECT_EQ(n % 8, 0u); // the data section is 8-byte aligned
  auto header = llvm::json::parse(llvm::StringRef(bytes).substr(8, n));
  ASSERT_TRUE(bool(header)) << llvm::toString(header.takeError());
  const llvm::json::Object *w = header->getAsObject()->getObject("W");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->getString("dtype"), "F32");
  EXPECT_EQ(*w->getArray("data_offsets"), (llvm::json::Array{0, 24}));
  EXPECT_EQ(header->getAsObject()->getObject("__metadata__")->getString("epoch"),
            "3");
  // Data: the little-endian f32 bits of 0.1f first.
  float first;
  std::memcpy(&first, bytes.data() + 8 + n, 4);
  EXPECT_EQ(first, 0.1f);
  // 24 + 8 + 12 + 8 + 2 + 0 data bytes.
  EXPECT_EQ(bytes.size(), 8 + n + 54);
}

TEST_F(CheckpointTest, CrashMidWriteLeavesThePreviousCheckpoint) {
  std::string p = path("run.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(p, sample(1))));
  // A second writer dies after its first tensor: the file is still the
  // first checkpoint, complete.
  EXPECT_EXIT(
      {
        (void)writeCheckpoint(p, sample(2), [](size_t i) {
          if (i == 0)
            _exit(3);
        });
      },
      ::testing::ExitedWithCode(3), "");
  auto back = readCheckpoint(p);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(sample(1), *back);
  // A writer that finishes replaces it.
  ASSERT_FALSE(bool(writeCheckpoint(p, sample(2))));
  back = readCheckpoint(p);
  ASSERT_TRUE(bool(back));
  expectSame(sample(2), *back);
}

TEST_F(CheckpointTest, UnwritableDirectoryIsAnError) {
  llvm::Error e = writeCheckpoint(path("absent/dir/x.safetensors"), sample(1));
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("absent/dir/x.safetensors: "),
            std::string::npos);
}

TEST_F(CheckpointTest, MalformedFilesNameTheFileAndTheProblem) {
  std::string p = path("bad.safetensors");
  EXPECT_NE(errorOf(p).find(p + ": cannot open"), std::string::npos);
  writeBytes(p, "abc");
  EXPECT_EQ(errorOf(p), p + ": not a safetensors file (3 bytes, shorter than "
                            "the 8-byte header length)");
  writeBytes(p, withHeader("{}", "").substr(0, 9));
  EXPECT_NE(errorOf(p).find("truncated: the header claims 2 bytes but the file has 1"),
            std::string::npos);
  writeBytes(p, withHeader("{\"W\": [", ""));
  EXPECT_NE(errorOf(p).find(p + ": the header is not JSON"), std::string::npos);
  writeBytes(p, withHeader("{\"W\":{\"dtype\":\"F16\",\"shape\":[1],"
                           "\"data_offsets\":[0,2]}}",
                           "xx"));
  EXPECT_EQ(errorOf(p), p + ": tensor 'W' has unsupported dtype F16 (F32, F64, "
                            "I32, I64, BOOL)");
  writeBytes(p, withHeader("{\"W\":{\"dtype\":\"F32\",\"shape\":[2],"
                           "\"data_offsets\":[0,4]}}",
                           "xxxx"));
  EXPECT_EQ(errorOf(p), p + ": tensor 'W': 4 data bytes for F32[2], which "
                            "needs 8");
  writeBytes(p, withHeader("{\"W\":{\"dtype\":\"F32\",\"shape\":[2]}}", ""));
  EXPECT_EQ(errorOf(p), p + ": tensor 'W' needs dtype, shape and data_offsets "
                            "[begin, end]");
  // A checkpoint cut short on disk.
  ASSERT_FALSE(bool(writeCheckpoint(p, sample(1))));
  std::string bytes = readBytes(p);
  writeBytes(p, bytes.substr(0, bytes.size() - 20));
  EXPECT_NE(errorOf(p).find("data offsets fall outside"), std::string::npos);
}

TEST_F(CheckpointTest, RestoreListsEveryMismatchAndChangesNothing) {
  ParamsOnly model;
  model.add("W", Tensor(DType::F32, {2, 3}, 5.0));
  model.add("b", Tensor(DType::F32, {3}, 5.0));
  model.add("v", Tensor(DType::F32, {3}, 5.0));
  Checkpoint c;
  c.tensors.push_back({"W", Tensor(DType::F32, {3, 2})});  // shape differs
  c.tensors.push_back({"b", Tensor(DType::F32, {3}, 1.0)}); // fine
  c.tensors.push_back({"extra", Tensor(DType::I32, {1})});  // not a param
  llvm::Error e = restoreParams(model, c, "ck.safetensors");
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(llvm::toString(std::move(e)),
            "ck.safetensors: does not match the model (3 mismatches):\n"
            "  W: checkpoint has f32[3, 2], model has f32[2, 3]\n"
            "  v: missing from the checkpoint (model has f32[3])\n"
            "  extra: in the checkpoint (i32[1]) but not a parameter of the "
            "model");
  EXPECT_EQ(model.params["b"].data, (std::vector<double>{5, 5, 5}));
  // A matching checkpoint restores every parameter.
  c.tensors = {{"W", Tensor(DType::F32, {2, 3}, 2.0)},
               {"b", Tensor(DType::F32, {3}, 1.0)},
               {"v", Tensor(DType::F32, {3}, 0.5)}};
  ASSERT_FALSE(bool(restoreParams(model, c, "ck.safetensors")));
  EXPECT_EQ(model.params["v"].data, (std::vector<double>{0.5, 0.5, 0.5}));
  auto saved = checkpointOf(model);
  ASSERT_TRUE(bool(saved));
  expectSame(c, *saved);
}

/// Two F32[2] tensors at these offsets in `dataBytes` bytes of data.
std::string twoTensors(int a0, int a1, int b0, int b1) {
  auto one = [](const char *name, int begin, int end) {
    return std::string("\"") + name +
           "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
  };
  return "{" + one("a", a0, a1) + "," + one("b", b0, b1) + "}";
}

TEST_F(CheckpointTest, TensorsMustTileTheDataSection) {
  std::string p = path("bad.safetensors");
  // Overlapping: b's first 4 bytes are a's last 4.
  writeBytes(p, withHeader(twoTensors(0, 8, 4, 12), std::string(12, 'x')));
  EXPECT_EQ(errorOf(p), p + ": tensor 'b' [4, 12) overlaps tensor 'a' [0, 8) "
                            "in the data section");
  // The same bytes twice.
  writeBytes(p, withHeader(twoTensors(0, 8, 0, 8), std::string(8, 'x')));
  EXPECT_EQ(errorOf(p), p + ": tensor 'b' [0, 8) overlaps tensor 'a' [0, 8) "
                            "in the data section");
  // A gap that hides 4 bytes between them, before them, after them.
  writeBytes(p, withHeader(twoTensors(0, 8, 12, 20), std::string(20, 'x')));
  EXPECT_EQ(errorOf(p), p + ": 4 data bytes between tensors 'a' [0, 8) and "
                            "'b' [12, 20) belong to no tensor");
  writeBytes(p, withHeader(twoTensors(4, 12, 12, 20), std::string(20, 'x')));
  EXPECT_EQ(errorOf(p), p + ": 4 data bytes before the first tensor 'a' "
                            "[4, 12) belong to no tensor");
  writeBytes(p, withHeader(twoTensors(0, 8, 8, 16), std::string(20, 'x')));
  EXPECT_EQ(errorOf(p), p + ": 4 data bytes after the last tensor 'b' "
                            "[8, 16) belong to no tensor");
  writeBytes(p, withHeader("{}", "xx"));
  EXPECT_EQ(errorOf(p), p + ": 2 data bytes but the header lists no "
                            "tensor");
  // Tiled exactly, in any header order, with empty tensors anywhere: fine.
  writeBytes(p, withHeader(twoTensors(8, 16, 0, 8), std::string(16, '\0')));
  auto c = readCheckpoint(p);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->tensors[0].first, "b");
  writeBytes(p, withHeader("{\"e\":{\"dtype\":\"F32\",\"shape\":[0],"
                           "\"data_offsets\":[8,8]}," +
                               twoTensors(0, 8, 8, 16).substr(1),
                           std::string(16, '\0')));
  c = readCheckpoint(p);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  ASSERT_EQ(c->tensors.size(), 3u);
  // A shape whose byte size overflows (wrapping to the 12 bytes given).
  writeBytes(p, withHeader("{\"W\":{\"dtype\":\"F32\",\"shape\":"
                           "[4611686018427387907,4],\"data_offsets\":[0,12]}}",
                           std::string(12, 'x')));
  EXPECT_EQ(errorOf(p), p + ": tensor 'W': its shape's size overflows");
}

TEST_F(CheckpointTest, AxonMetadataKeysHaveTheirTypes) {
  std::string p = path("meta.safetensors");
  auto withMeta = [&](const std::string &key, const std::string &value) {
    Checkpoint c;
    c.tensors.push_back({"W", Tensor(DType::F32, {1}, {1.0})});
    c.metadata = {{"format", "axon-checkpoint-1"}, {"epoch", "2"},
                  {"step", "3"},   {"global_step", "10"},
                  {"batch", "32"}, {"seed", "18446744073709551615"},
                  {"shuffle", "1"}, {"train_samples", "100"},
                  {"loss_sum", "0x1.8p+1"}};
    c.metadata[key] = value;
    EXPECT_FALSE(bool(writeCheckpoint(p, c)));
  };
  withMeta("loss_sum", "1.5");
  auto good = readCheckpoint(p);
  EXPECT_TRUE(bool(good)) << llvm::toString(good.takeError());
  withMeta("loss_sum", "hello");
  EXPECT_EQ(errorOf(p), p + ": __metadata__.loss_sum is \"hello\", not a number");
  withMeta("loss_sum", "1.5x");
  EXPECT_NE(errorOf(p).find("loss_sum is \"1.5x\", not a number"),
            std::string::npos);
  withMeta("loss_sum", "");
  EXPECT_NE(errorOf(p).find("loss_sum is \"\", not a number"), std::string::npos);
  withMeta("step", "-1");
  EXPECT_EQ(errorOf(p), p + ": __metadata__.step is \"-1\", not an integer "
                            "from 0 to 2^53");
  withMeta("epoch", "1.5");
  EXPECT_NE(errorOf(p).find("__metadata__.epoch is \"1.5\""), std::string::npos);
  withMeta("global_step", "9223372036854775807");
  EXPECT_NE(errorOf(p).find("__metadata__.global_step is "
                            "\"9223372036854775807\", not an integer"),
            std::string::npos);
  withMeta("shuffle", "2");
  EXPECT_EQ(errorOf(p), p + ": __metadata__.shuffle is \"2\", not 0 or 1");
  withMeta("seed", "-3");
  EXPECT_EQ(errorOf(p), p + ": __metadata__.seed is \"-3\", not an unsigned "
                            "64-bit integer");
  // A value that is not a string at all.
  writeBytes(p, withHeader("{\"__metadata__\":{\"loss_sum\":1.5}}", ""));
  EXPECT_EQ(errorOf(p), p + ": __metadata__.loss_sum is not a string");
  // Another writer's metadata is not judged by Axon's keys.
  Checkpoint other = sample(1);
  other.metadata["step"] = "the second";
  ASSERT_FALSE(bool(writeCheckpoint(p, other)));
  EXPECT_TRUE(bool(readCheckpoint(p)));
}

TEST_F(CheckpointTest, HeaderSizeAndDepthAreCheckedBeforeParsing) {
  std::string p = path("deep.safetensors");
  // 100,000 nested arrays, or objects: LLVM's parser would recurse 100,000
  // deep and overflow the stack.
  writeBytes(p, withHeader("{\"W\":" + std::string(100000, '['), ""));
  EXPECT_EQ(errorOf(p), p + ": the header nests arrays or objects 100001 deep, "
                            "more than the 64 allowed (a checkpoint header "
                            "needs 3)");
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"a\":";
  writeBytes(p, withHeader(objects, ""));
  EXPECT_NE(errorOf(p).find("nests arrays or objects 100000 deep"),
            std::string::npos);
  // Brackets inside strings are text, not nesting.
  Checkpoint c = sample(1);
  c.metadata["note"] = std::string(1000, '[') + "\\\"{";
  ASSERT_FALSE(bool(writeCheckpoint(p, c)));
  auto back = readCheckpoint(p);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(c, *back);
  // A header length over 100 MB (the file is sparse: nothing is written).
  uint64_t n = (100u << 20) + 8;
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i)
    length[i] = char((n >> (8 * i)) & 0xff);
  writeBytes(p, length + "{");
  ASSERT_EQ(::truncate(p.c_str(), off_t(8 + n)), 0);
  EXPECT_EQ(errorOf(p), p + ": the header claims 104857608 bytes, more than "
                            "the 104857600 a checkpoint header may have");
}

TEST_F(CheckpointTest, OnlyRegularFilesAreRead) {
  EXPECT_EQ(errorOf("/dev/zero"), "/dev/zero: not a regular file (a device); "
                                  "only regular files are read");
  std::string fifo = path("pipe.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(errorOf(fifo).find("not a regular file (a named pipe"),
            std::string::npos);
  EXPECT_NE(errorOf(std::string(dir)).find("not a regular file (a directory)"),
            std::string::npos);
}

/// The names in `dir`, sorted.
std::vector<std::string> filesIn(llvm::StringRef dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(CheckpointTest, KilledWritersTemporariesAreRemovedByTheNextWrite) {
  std::string p = path("ck.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(p, sample(1))));
  // A writer killed mid-write leaves its temporary file, named with its PID.
  EXPECT_EXIT(
      {
        (void)writeCheckpoint(p, sample(2), [](size_t i) {
          if (i == 1)
            ::raise(SIGKILL);
        });
      },
      ::testing::KilledBySignal(SIGKILL), "");
  std::vector<std::string> left = filesIn(dir);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], "ck.safetensors");
  EXPECT_EQ(left[1].rfind("ck.safetensors.tmp-", 0), 0u) << left[1];
  std::string killed = left[1];
  // The checkpoint itself is whole.
  auto back = readCheckpoint(p);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(sample(1), *back);

  // A PID that is surely gone: a child's, waited for.
  pid_t child = ::fork();
  if (child == 0)
    _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  std::string dead = std::to_string(child), live = std::to_string(::getpid());
  auto make = [&](const std::string &name) {
    writeBytes(path(name.c_str()), "partial");
    return name;
  };
  std::string stale = make("ck.safetensors.tmp-" + dead + "-a1b2c3");
  std::string running = make("ck.safetensors.tmp-" + live + "-d4e5f6");
  // A dead PID, but a writer (here: this test) holds the file locked, as a
  // writer in another PID namespace would.
  std::string locked = make("ck.safetensors.tmp-" + dead + "-0f0f0f");
  int lockFd = ::open(path(locked.c_str()).c_str(), O_RDONLY);
  ASSERT_GE(lockFd, 0);
  ASSERT_EQ(::flock(lockFd, LOCK_EX | LOCK_NB), 0);
  // Another checkpoint's temporary, and files that only look alike.
  std::string otherCk = make("other.safetensors.tmp-" + dead + "-a1b2c3");
  std::string notTmp = make("ck.safetensors.tmp-" + dead + "-notours.bak");
  // Names of earlier versions (no PID): removed once an hour old.
  std::string oldLegacy = make("ck.safetensors.tmp-9a8b7c");
  std::string newLegacy = make("ck.safetensors.tmp-7c8b9a");
  {
    int fd = ::open(path(oldLegacy.c_str()).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
        fd, llvm::sys::toTimePoint(::time(nullptr) - 7200)));
    ::close(fd);
  }

  ASSERT_FALSE(bool(writeCheckpoint(p, sample(2))));
  std::vector<std::string> want = {"ck.safetensors", running, locked, notTmp,
                                   newLegacy,        otherCk};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(filesIn(dir), want);
  back = readCheckpoint(p);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(sample(2), *back);

  // Unlocked, the dead writer's file goes too; the living one's stays.
  ::close(lockFd);
  std::vector<std::string> removed = removeStaleTemporaries(p);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], path(locked.c_str()));
  EXPECT_TRUE(llvm::sys::fs::exists(path(running.c_str())));
  (void)killed;
}

} // namespace
