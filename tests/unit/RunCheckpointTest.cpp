// `axonc run --checkpoint`: a function runs with the checkpoint's
// parameters (optimizer state may be absent); a missing, malformed or
// mismatched checkpoint is an error naming the file and the parameter; and
// with a vocabulary in the checkpoint, `--prompt` / `--temperature` /
// `--seed` drive a `generate` function whose tokens print as text.
// Checkpoints are written here with the Checkpoint API, as training would.
#include "runtime/data/TextArguments.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/Npy.h"
#include "tests/unit/TempDirTest.h"

#include "llvm/ADT/STLExtras.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace axon;

namespace {

/// A bigram model: E[a, b] is the logit of token b after token a; also
/// trainable (so the module has optimizer state a checkpoint may lack).
const char *kModel = R"(
param E: f32[5, 5] = zeros

fn forward(x: f32[N, 5]) -> f32[N, 5] {
  return x @ E
}

fn loss(x: f32[N, 5], t: i32[N]) -> f32 {
  return cross_entropy(forward(x), t)
}

fn generate(prompt: i32[P], temperature: f32, seed: i64) -> i32[12] {
  let pos = arange(4) - (4 - dim(prompt, 0))
  let ctx = where(pos >= 0, gather(prompt, max(pos, 0), axis = 0), 0)
  let out = zeros([12], dtype = i32)
  for t in 0..12 {
    let logits = gather(E, slice(ctx, axis = 0, start = 3, end = 4), axis = 0)
    let next = categorical(logits, temperature = temperature,
                           counter = seed * 1000 + t)
    ctx = concat([slice(ctx, axis = 0, start = 1, end = 4), next], axis = 0)
    out = where(arange(12) == t, next, out)
  }
  return out
}

train loss {
  data      = npy("x.npy", "t.npy")
  optimizer = adam(lr = 1e-3)
  batch     = 4
  epochs    = 1
}
)";

/// One clear successor per token: a -> c -> b -> d -> a (ids 1 3 2 4 1),
/// 0 -> b.
Tensor bigramTable() {
  Tensor e(DType::F32, {5, 5});
  const int successor[5] = {2, 3, 4, 2, 1};
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b)
      e.data[a * 5 + b] = b == successor[a] ? 2.0 : 0.25 * ((a + b) % 3);
  return e;
}

class RunCheckpoint : public test::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    model = write("bigram.axon", kModel);
  }

  /// Writes a checkpoint of `tensors`, with the vocabulary a, b, c, d
  /// (ids 1..4) unless `withVocabulary` is false.
  std::string checkpoint(const std::string &name,
                         std::vector<std::pair<std::string, Tensor>> tensors,
                         bool withVocabulary = true) {
    Checkpoint c;
    c.tensors = std::move(tensors);
    if (withVocabulary)
      storeVocabulary(c, Vocabulary(TokenLevel::Char, {"a", "b", "c", "d"}));
    EXPECT_FALSE(bool(writeCheckpoint(path(name), c)));
    return path(name);
  }

  /// Runs `axonc run <model> <args>`; its exit status, stdout and stderr.
  int run(const std::string &args) {
    std::string cmd = std::string(AXONC_PATH) + " run " + model + " " + args +
                      " > " + path("out.txt") + " 2> " + path("err.txt");
    int status = std::system(cmd.c_str());
    out = readFile(path("out.txt"));
    err = readFile(path("err.txt"));
    return status;
  }
  static std::string readFile(const std::string &p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string model, out, err;
};

TEST_F(RunCheckpoint, RunsWithTheCheckpointsParameters) {
  Tensor e = bigramTable();
  std::string ckpt = checkpoint("ck.safetensors", {{"E", e}});
  Tensor x(DType::F32, {7, 5});
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data[i] = roundTo(DType::F32, std::sin(0.7 * double(i)));
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  for (const char *backend : {"halide", "reference"}) {
    ASSERT_EQ(run("--fn forward --input x=" + path("x.npy") + " --checkpoint " +
                  ckpt + " --backend=" + backend + " -o " + path("y.npy")),
              0)
        << err;
    auto y = readNpy(path("y.npy"));
    ASSERT_TRUE(bool(y)) << llvm::toString(y.takeError());
    ASSERT_EQ(y->shape, (std::vector<int64_t>{7, 5}));
    for (int64_t r = 0; r < 7; ++r)
      for (int64_t c = 0; c < 5; ++c) {
        double want = 0;
        for (int64_t k = 0; k < 5; ++k)
          want += x.data[r * 5 + k] * e.data[k * 5 + c];
        EXPECT_NEAR(y->data[r * 5 + c], want, 1e-5) << backend;
      }
  }
}

TEST_F(RunCheckpoint, BadCheckpointsAreErrorsNamingFileAndParameter) {
  Tensor x(DType::F32, {2, 5}, 1.0);
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  std::string fwd = "--fn forward --input x=" + path("x.npy") + " --checkpoint ";

  EXPECT_NE(run(fwd + path("absent.safetensors")), 0);
  EXPECT_NE(err.find(path("absent.safetensors")), std::string::npos) << err;

  std::string garbage = write("garbage.safetensors", "not a checkpoint at all");
  EXPECT_NE(run(fwd + garbage), 0);
  EXPECT_NE(err.find(garbage), std::string::npos) << err;

  std::string other = checkpoint("other.safetensors",
                                 {{"F", Tensor(DType::F32, {5, 5})}});
  EXPECT_NE(run(fwd + other), 0);
  EXPECT_NE(err.find(other + ": does not match the model"), std::string::npos)
      << err;
  EXPECT_NE(err.find("E: missing from the checkpoint (model has f32[5, 5])"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("F: in the checkpoint (f32[5, 5]) but not a parameter"),
            std::string::npos)
      << err;
  // Optimizer state is not required, so it is not listed as missing.
  EXPECT_EQ(err.find("E.loss.m"), std::string::npos) << err;

  std::string shaped = checkpoint("shaped.safetensors",
                                  {{"E", Tensor(DType::F32, {4, 5})}});
  EXPECT_NE(run(fwd + shaped), 0);
  EXPECT_NE(err.find("E: checkpoint has f32[4, 5], model has f32[5, 5]"),
            std::string::npos)
      << err;
}

TEST_F(RunCheckpoint, GeneratePrintsTheGreedyChainAsText) {
  std::string ckpt = checkpoint("ck.safetensors", {{"E", bigramTable()}});
  for (const char *backend : {"halide", "reference"}) {
    ASSERT_EQ(run("--fn generate --checkpoint " + ckpt +
                  " --prompt ab --temperature 0 --seed 1 --backend=" + backend),
              0)
        << err;
    EXPECT_EQ(out, "dacbdacbdacb\n") << backend;
    EXPECT_NE(err.find("12 tokens in "), std::string::npos) << err;
    EXPECT_NE(err.find(" tokens/s"), std::string::npos) << err;
    // The context window keeps the last 4 tokens of a longer prompt.
    ASSERT_EQ(run("--fn generate --checkpoint " + ckpt +
                  " --prompt dddddca --temperature 0 --seed 1 --backend=" +
                  backend),
              0)
        << err;
    EXPECT_EQ(out, "cbdacbdacbda\n") << backend;
  }
}

TEST_F(RunCheckpoint, SampledTextIsFixedBySeed) {
  std::string ckpt = checkpoint("ck.safetensors", {{"E", bigramTable()}});
  auto sample = [&](int seed, const char *backend) {
    EXPECT_EQ(run("--fn generate --checkpoint " + ckpt +
                  " --prompt a --temperature 1.5 --seed " +
                  std::to_string(seed) + " --backend=" + backend),
              0)
        << err;
    return out;
  };
  std::string first = sample(5, "halide");
  // 12 characters (id 0 decodes as U+FFFD, 3 bytes) and a newline.
  EXPECT_EQ(llvm::count_if(first, [](char c) { return (c & 0xc0) != 0x80; }),
            13)
      << first;
  EXPECT_EQ(sample(5, "halide"), first);
  EXPECT_EQ(sample(5, "reference"), first);
  EXPECT_NE(sample(6, "halide"), first);
}

TEST_F(RunCheckpoint, PromptErrors) {
  std::string ckpt = checkpoint("ck.safetensors", {{"E", bigramTable()}});
  std::string gen = "--fn generate --temperature 0 --seed 1 ";
  EXPECT_NE(run(gen + "--checkpoint " + ckpt + " --prompt 'abx\xc3\xa9'"), 0);
  EXPECT_NE(err.find("--prompt: characters not in the checkpoint's vocabulary "
                     "(4 characters): 'x' (U+0078), '\xc3\xa9' (U+00E9)"),
            std::string::npos)
      << err;
  EXPECT_NE(run(gen + "--checkpoint " + ckpt + " --prompt ''"), 0);
  EXPECT_NE(err.find("--prompt: the prompt is empty"), std::string::npos)
      << err;

  std::string bare =
      checkpoint("bare.safetensors", {{"E", bigramTable()}}, false);
  EXPECT_NE(run(gen + "--checkpoint " + bare + " --prompt ab"), 0);
  EXPECT_NE(err.find("--prompt needs a vocabulary"), std::string::npos) << err;
  EXPECT_NE(err.find(bare + " holds none"), std::string::npos) << err;

  Tensor x(DType::F32, {2, 5}, 1.0);
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  EXPECT_NE(run("--fn forward --input x=" + path("x.npy") + " --checkpoint " +
                ckpt + " --prompt ab"),
            0);
  EXPECT_NE(err.find("--prompt: function 'forward' has no argument 'prompt'"),
            std::string::npos)
      << err;
}

/// A built binary's `infer` takes the same flags; its prompt has the fixed
/// length the function was compiled at.
TEST_F(RunCheckpoint, BinaryInferGeneratesFromTheCheckpoint) {
  std::string fixed = write("fixed.axon", R"(
param E: f32[5, 5] = zeros

fn generate(prompt: i32[4], temperature: f32, seed: i64) -> i32[12] {
  let ctx = prompt
  let out = zeros([12], dtype = i32)
  for t in 0..12 {
    let logits = gather(E, slice(ctx, axis = 0, start = 3, end = 4), axis = 0)
    let next = categorical(logits, temperature = temperature,
                           counter = seed * 1000 + t)
    ctx = concat([slice(ctx, axis = 0, start = 1, end = 4), next], axis = 0)
    out = where(arange(12) == t, next, out)
  }
  return out
}
)");
  std::string build = std::string(AXONC_PATH) + " build " + fixed + " -o " +
                      path("gen") + " > /dev/null";
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  std::string ckpt = checkpoint("ck.safetensors", {{"E", bigramTable()}});
  auto infer = [&](const std::string &args) {
    std::string cmd = path("gen") + " infer --fn generate --checkpoint " +
                      ckpt + " " + args + " > " + path("out.txt") + " 2> " +
                      path("err.txt");
    int status = std::system(cmd.c_str());
    out = readFile(path("out.txt"));
    err = readFile(path("err.txt"));
    return status;
  };
  ASSERT_EQ(infer("--prompt abca --temperature 0 --seed 1"), 0) << err;
  EXPECT_EQ(out, "cbdacbdacbda\n");
  EXPECT_NE(err.find("12 tokens in "), std::string::npos) << err;
  // The same draws as axonc run's JIT kernels.
  ASSERT_EQ(infer("--prompt abca --temperature 1.5 --seed 5"), 0) << err;
  std::string sampled = out;
  model = fixed;
  ASSERT_EQ(run("--fn generate --checkpoint " + ckpt +
                " --prompt abca --temperature 1.5 --seed 5"),
            0)
      << err;
  EXPECT_EQ(out, sampled);

  EXPECT_NE(infer("--prompt abc --temperature 0 --seed 1"), 0);
  EXPECT_NE(err.find("'generate' takes a prompt of exactly 4 tokens, the "
                     "prompt has 3"),
            std::string::npos)
      << err;
  std::string bare =
      checkpoint("bare.safetensors", {{"E", bigramTable()}}, false);
  ckpt = bare;
  EXPECT_NE(infer("--prompt abca --temperature 0 --seed 1"), 0);
  EXPECT_NE(err.find("--prompt needs a vocabulary"), std::string::npos) << err;
}

/// `prompt_length` next to `prompt`: the prompt's ids in the first places
/// of a fixed extent, then 0s, and their count; a longer prompt keeps its
/// last tokens (with a note); a symbolic extent takes the prompt as it is.
TEST(TextArguments, PromptLengthPadsThePromptToItsRoom) {
  Vocabulary chars(TokenLevel::Char, {"a", "b", "c", "d"});
  std::vector<ArgumentSpec> args{{"prompt", DType::I32, {8}},
                                 {"prompt_length", DType::I64, {}},
                                 {"seed", DType::I64, {}}};
  TextFlags flags;
  flags.seed = 3;
  auto read = [&](const std::string &prompt, std::string *note,
                  llvm::ArrayRef<ArgumentSpec> specs) {
    flags.prompt = prompt;
    return readTextArguments("generate", specs, {}, flags, &chars, note);
  };
  std::string note;
  auto one = read("b", &note, args);
  ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
  EXPECT_EQ((*one)[0].shape, (std::vector<int64_t>{8}));
  EXPECT_EQ((*one)[0].data, (std::vector<double>{2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ((*one)[1].dtype, DType::I64);
  EXPECT_EQ((*one)[1].data, (std::vector<double>{1}));
  EXPECT_EQ((*one)[2].data, (std::vector<double>{3}));
  EXPECT_EQ(note, "");

  auto full = read("abcdabcd", &note, args);
  ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
  EXPECT_EQ((*full)[0].data, (std::vector<double>{1, 2, 3, 4, 1, 2, 3, 4}));
  EXPECT_EQ((*full)[1].data, (std::vector<double>{8}));
  EXPECT_EQ(note, "");

  auto longer = read("dcbaabcdabc", &note, args);
  ASSERT_TRUE(bool(longer)) << llvm::toString(longer.takeError());
  EXPECT_EQ((*longer)[0].data, (std::vector<double>{1, 1, 2, 3, 4, 1, 2, 3}));
  EXPECT_EQ((*longer)[1].data, (std::vector<double>{8}));
  EXPECT_EQ(note, "the prompt has 11 tokens and 'generate' reads at most 8: "
                  "it reads the last 8");

  // A symbolic extent (axonc run compiles at the prompt's length): as is.
  flags.seed.reset();
  std::vector<ArgumentSpec> open{{"prompt", DType::I32, {1, -1}},
                                 {"prompt_length", DType::I32, {}}};
  auto any = read("dcbaabcdabc", nullptr, open);
  ASSERT_TRUE(bool(any)) << llvm::toString(any.takeError());
  EXPECT_EQ((*any)[0].shape, (std::vector<int64_t>{1, 11}));
  EXPECT_EQ((*any)[1].dtype, DType::I32);
  EXPECT_EQ((*any)[1].data, (std::vector<double>{11}));

  auto error = [&](llvm::Expected<std::vector<Tensor>> r) {
    EXPECT_FALSE(bool(r));
    return r ? std::string() : llvm::toString(r.takeError());
  };
  std::vector<ArgumentSpec> floatLength{{"prompt", DType::I32, {8}},
                                        {"prompt_length", DType::F32, {}}};
  EXPECT_EQ(error(read("ab", nullptr, floatLength)),
            "--prompt: argument 'prompt_length' of 'generate' must be an "
            "integer scalar (i64 or i32)");
  std::vector<ArgumentSpec> exact{{"prompt", DType::I32, {8}}};
  EXPECT_EQ(error(read("ab", nullptr, exact)),
            "--prompt: 'generate' takes a prompt of exactly 8 tokens, the "
            "prompt has 2 (a function that also takes prompt_length: i64 "
            "reads any prompt of up to its extent, padded)");
  flags.prompt = "ab";
  EXPECT_EQ(error(readTextArguments("generate", args,
                                    {{"prompt_length", "n.npy"}}, flags,
                                    &chars)),
            "argument 'prompt_length' of 'generate' is given twice (by "
            "--prompt and --input)");
  flags.prompt = "";
  EXPECT_EQ(error(readTextArguments("generate", args, {}, flags, &chars)),
            "--prompt: the prompt is empty");
}

TEST(TextArguments, WordLevelUnknownWordsBecomeTheUnknownToken) {
  Vocabulary words(TokenLevel::Word, {"the", "cat"});
  auto ids = encodePrompt(words, "the dog");
  ASSERT_TRUE(bool(ids)) << llvm::toString(ids.takeError());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, Vocabulary::kUnknown}));
}

TEST(TextArguments, DecodesRowsAndRefusesFloats) {
  Vocabulary chars(TokenLevel::Char, {"a", "b"});
  auto text = decodeTokens(Tensor(DType::I32, {2, 3}, {1, 2, 1, 2, 2, 0}),
                           chars);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_EQ(*text, "aba\nbb\xef\xbf\xbd\n");
  auto bad = decodeTokens(Tensor(DType::F32, {3}), chars);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("not f32[3]"),
            std::string::npos);
}

} // namespace
