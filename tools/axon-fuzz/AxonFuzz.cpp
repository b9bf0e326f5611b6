// axon-fuzz TARGET SEED... [--seconds N] [--out DIR]
//
// Feeds mutated inputs to one of Axon's input readers until the time is up:
//   model        lexer, parser and MLIRGen (compileSource) on model text
//   npy, idx,    the .npy, IDX, CSV and safetensors readers on a file
//   csv, safetensors
// Every input must end in a value or an llvm::Error; a crash, an abort or
// a sanitizer report is a finding. Before each run the input is written to
// DIR/current-TARGET, so a crash leaves its reproducer there; the driver
// prints the runs, the distinct error messages (first line, clipped) and
// the seconds taken. Mutations: flip, set, insert, delete and duplicate
// bytes, splice two seeds, overwrite with boundary numbers ("0", "-1",
// "99999999999999999999", "1e400", "nan", 0xff bytes).
#include "frontend/MLIRGen.h"
#include "ir/AxonDialect.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/Csv.h"
#include "runtime/io/Idx.h"
#include "runtime/io/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace cl = llvm::cl;

namespace {

cl::opt<std::string> target(cl::Positional, cl::Required,
                            cl::desc("<model|npy|idx|csv|safetensors>"));
cl::list<std::string> seeds(cl::Positional, cl::OneOrMore,
                            cl::desc("<seed files>"));
cl::opt<double> seconds("seconds", cl::desc("Time budget"), cl::init(30));
cl::opt<std::string> outDir("out", cl::desc("Where the current input goes"),
                            cl::init("."));
cl::opt<unsigned> randomSeed("seed", cl::desc("Mutation RNG seed"),
                             cl::init(1));

using Bytes = std::string;

Bytes mutate(const std::vector<Bytes> &corpus, std::mt19937_64 &rng) {
  auto pick = [&](size_t n) { return size_t(rng() % std::max<size_t>(n, 1)); };
  Bytes b = corpus[pick(corpus.size())];
  static const char *tokens[] = {"0", "-1", "99999999999999999999", "1e400",
                                 "nan", "inf", "(", "[", "{", "\xff\xff\xff\xff",
                                 "\"", "\n", "65536", "2147483648"};
  int edits = 1 + int(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    size_t at = pick(b.size() + 1);
    switch (rng() % 7) {
    case 0: // flip a bit
      if (!b.empty())
        b[pick(b.size())] ^= char(1u << (rng() % 8));
      break;
    case 1: // set a byte
      if (!b.empty())
        b[pick(b.size())] = char(rng());
      break;
    case 2: // insert a token
      b.insert(at, tokens[pick(std::size(tokens))]);
      break;
    case 3: // delete a run
      if (!b.empty())
        b.erase(pick(b.size()), 1 + pick(16));
      break;
    case 4: { // duplicate a run
      if (b.empty())
        break;
      size_t from = pick(b.size());
      b.insert(at, b.substr(from, 1 + pick(64)));
      break;
    }
    case 5: { // splice another seed's tail
      const Bytes &other = corpus[pick(corpus.size())];
      b = b.substr(0, at) + other.substr(std::min(at, other.size()));
      break;
    }
    default: // overwrite with a token
      if (!b.empty()) {
        const char *t = tokens[pick(std::size(tokens))];
        b.replace(pick(b.size()), std::strlen(t), t);
      }
    }
  }
  return b;
}

/// Runs one input; returns the error's first line ("" on success).
std::string runOne(const Bytes &input, const std::string &path,
                   mlir::MLIRContext &context) {
  if (target == "model") {
    std::string errors;
    llvm::raw_string_ostream os(errors);
    axon::SourceFile file(context, "fuzz.axon", input, os);
    auto module = axon::compileSource(context, file);
    os.flush();
    return errors.substr(0, errors.find('\n'));
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << input;
  }
  llvm::Error error = llvm::Error::success();
  if (target == "npy") {
    auto t = axon::readNpy(path);
    error = t ? llvm::Error::success() : t.takeError();
  } else if (target == "idx") {
    auto t = axon::readIdx(path);
    error = t ? llvm::Error::success() : t.takeError();
  } else if (target == "csv") {
    auto t = axon::readCsv(path);
    error = t ? llvm::Error::success() : t.takeError();
  } else {
    auto t = axon::readCheckpoint(path);
    error = t ? llvm::Error::success() : t.takeError();
  }
  std::string text = llvm::toString(std::move(error));
  return text.substr(0, text.find('\n'));
}

/// An error message with its file path and numbers blanked, so that the
/// distinct kinds of errors can be counted.
std::string kindOf(std::string message) {
  std::string out;
  for (char c : message)
    if (!(c >= '0' && c <= '9'))
      out += c;
  return out.substr(0, 100);
}

} // namespace

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "axon-fuzz: mutation fuzzer\n");
  static const std::set<std::string> targets = {"model", "npy", "idx", "csv",
                                                "safetensors"};
  if (!targets.count(target)) {
    llvm::errs() << "axon-fuzz: unknown target '" << target << "'\n";
    return 2;
  }
  std::vector<Bytes> corpus;
  for (const std::string &s : seeds) {
    auto buffer = llvm::MemoryBuffer::getFile(s);
    if (!buffer) {
      llvm::errs() << "axon-fuzz: cannot read seed " << s << "\n";
      return 2;
    }
    corpus.push_back((*buffer)->getBuffer().str());
  }
  mlir::MLIRContext context;
  context.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
  context.printOpOnDiagnostic(false);
  std::mt19937_64 rng(randomSeed);
  std::string current = outDir + "/current-" + target;
  std::string file = outDir + "/input-" + target;
  std::set<std::string> kinds;
  size_t runs = 0, accepted = 0;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
        .count();
  };
  while (elapsed() < seconds) {
    Bytes input = runs < corpus.size() ? corpus[runs] : mutate(corpus, rng);
    {
      std::ofstream out(current, std::ios::binary | std::ios::trunc);
      out << input;
    }
    std::string error = runOne(input, file, context);
    ++runs;
    if (error.empty())
      ++accepted;
    else
      kinds.insert(kindOf(error));
  }
  llvm::sys::fs::remove(current);
  llvm::sys::fs::remove(file);
  llvm::outs() << target << ": " << runs << " runs in " << llvm::format("%.0f", elapsed())
               << " s, " << accepted << " accepted, " << kinds.size()
               << " kinds of error, no crash\n";
  return 0;
}
