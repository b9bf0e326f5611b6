#include "tools/axonc/BuildCommand.h"

#include "backends/halide/CompilePipeline.h"
#include "ir/AxonDialect.h"
#include "runtime/data/DataLoader.h"
#include "runtime/io/PlanJson.h"
#include "runtime/train/TrainSession.h"
#include "tools/axonc/BinaryArchives.h"
#include "tools/axonc/CompilePolicy.h"
#include "tools/axonc/Fail.h"
#include "tools/axonc/TrainBlock.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace axon;

namespace {

/// What the binary's `train` runs: the model's train block, if it has one
/// that can run standalone (a loss of inputs and labels).
BinaryConfig configOf(ModuleOp module, const std::string &modelPath,
                      int64_t batch) {
  BinaryConfig c;
  c.model = modelPath;
  c.batch = batch;
  auto train = findTrainBlock(module, "");
  if (!train) {
    llvm::consumeError(train.takeError());
    return c;
  }
  auto config = trainConfigOf(module, *train, modelPath);
  if (!config) {
    llvm::consumeError(config.takeError());
    return c;
  }
  c.train = std::move(*config);
  c.train.batch = batch; // what the train step was compiled at
  addEvalStep(module, c.train);
  return c;
}

/// The sizes of the sets `./binary train` evaluates on, from the train
/// block's data as it is now (the whole sets; --limit and --eval-limit
/// leftovers run in pieces). Data not readable here is left unknown: the
/// build never needs it.
EvaluatedSizes evaluatedSizes(const TrainConfig &train) {
  EvaluatedSizes sizes;
  if (train.stepFn.empty())
    return sizes;
  auto count = [](const DataSource &source) -> std::optional<int64_t> {
    if (source.empty())
      return std::nullopt;
    auto n = sampleCount(source);
    if (!n) {
      llvm::consumeError(n.takeError());
      return std::nullopt;
    }
    return *n;
  };
  sizes.eval = count(train.eval);
  if (train.train.namedArrays()) // the corpus is read when training
    return sizes;
  if (std::optional<int64_t> n = count(train.train)) {
    // The validation split is held out of the training samples.
    int64_t held = heldOut(*n, validationFraction(train));
    if (held > 0)
      sizes.validation = held;
    sizes.trainMetric =
        std::min(SessionOptions().trainMetricSamples, *n - held);
  }
  return sizes;
}

/// What a binary's infer may call: the entry points (public functions; the
/// frontend makes helpers, which other functions call, private). Gradient
/// functions are reached through the train step. The eval step (addEvalStep)
/// is one: a binary's `train` calls it at any row count, as the loss.
std::vector<std::string> publicFunctions(ModuleOp module) {
  std::vector<std::string> names;
  for (func::FuncOp f : module.getOps<func::FuncOp>())
    if (!f.isExternal() && !f.isPrivate() && !f->hasAttr("axon.grad_of"))
      names.push_back(f.getName().str());
  return names;
}

} // namespace

int axon::runBuild(ModuleOp module, const BuildFlags &flags,
                   TimingScope &timing) {
  auto start = std::chrono::steady_clock::now();
  if (flags.output.empty() || flags.output == "-")
    return fail("build needs -o <binary>");
  int64_t batch =
      flags.batch > 0 ? flags.batch : trainBlockBatch(module).value_or(32);
  BinaryConfig config = configOf(module, flags.modelPath, batch);

  std::vector<FunctionRequest> requests;
  std::vector<std::string> entries = publicFunctions(module), scalars;
  for (const std::string &name : entries)
    if (llvm::any_of(module.lookupSymbol<func::FuncOp>(name).getResultTypes(),
                     [](Type t) {
                       auto r = dyn_cast<RankedTensorType>(t);
                       return r && r.getRank() == 0;
                     }))
      scalars.push_back(name);
  for (const CompiledRows &f : rowsToCompile(config.train, batch,
                                             evaluatedSizes(config.train),
                                             entries, scalars))
  {
    auto fn = module.lookupSymbol<func::FuncOp>(f.function);
    if (!fn)
      return fail("no function '" + f.function + "' to compile");
    // The loss's arguments at the data's shapes; other functions with
    // every `?` at the row count.
    for (int64_t rows : f.rows) {
      FunctionRequest r =
          takesLossArguments(config.train, f.function)
              ? FunctionRequest{f.function,
                                lossArgumentShapes(config.train, f.function,
                                                   rows)}
              : requestAtRows(fn, rows);
      // A function without `?` extents (generate(prompt: i32[P]) with P
      // bound, example() -> ...) is the same at every row count: once.
      if (llvm::none_of(requests, [&](const FunctionRequest &q) {
            return q.function == r.function && q.argShapes == r.argShapes;
          }))
        requests.push_back(std::move(r));
    }
  }
  auto options = resolveOptions(flags.compile);
  if (!options)
    return fail(llvm::toString(options.takeError()));
  Plan plan;
  plan.target = options->target;
  std::vector<kernel::KernelSpec> kernels;
  {
    TimingScope planning = timing.nest("specialise, fuse and plan");
    if (failed(buildPlan(module, requests, plan, kernels)))
      return 1;
  }

  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("axon-build", dir))
    return fail("cannot create a temporary directory");
  std::string work = dir.str().str();
  std::vector<std::string> objects;
  std::string error;
  {
    TimingScope halide = timing.nest("Halide: compile the kernels");
    if (!halide::compileToObjects(kernels, *options, work, objects, error))
      return fail(error);
  }
  TimingScope linking = timing.nest("write the plan and link");

  // The kernel table and the plan, as a C++ source linked with them.
  std::string source = work + "/axon_model.cpp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(source, ec);
    if (ec)
      return fail("cannot write " + source + ": " + ec.message());
    os << "// Generated by axonc build from " << flags.modelPath << ".\n";
    for (const PlanKernel &k : plan.kernels)
      os << "extern \"C\" int " << k.name << "_argv(void **);\n";
    os << "extern \"C\" int (*const axon_kernel_table[])(void **) = {\n";
    for (const PlanKernel &k : plan.kernels)
      os << "  " << k.name << "_argv,\n";
    os << "};\nextern \"C\" const int axon_kernel_count = "
       << plan.kernels.size() << ";\n";
    std::string json = writePlanJson(plan, config);
    os << "extern \"C\" const char axon_plan_json[] = {";
    for (size_t i = 0; i < json.size(); ++i)
      os << (i % 24 ? "" : "\n  ") << int(json[i]) << ",";
    os << "0};\n";
  }
  std::vector<std::string> argv{"-O1", "-o", flags.output, source};
#ifdef AXON_SANITIZE_LINK
  // The runtime archives are instrumented: link the sanitizers' runtimes.
  {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(AXON_SANITIZE_LINK).split(parts, ' ', -1, false);
    for (llvm::StringRef f : parts)
      argv.push_back(f.str());
  }
#endif
  argv.insert(argv.end(), objects.begin(), objects.end());
  for (const char *a : kBinaryArchives)
    argv.push_back(a);
  for (const char *a : {"/usr/lib/llvm-19/lib/libLLVMTargetParser.a",
                        "/usr/lib/llvm-19/lib/libLLVMSupport.a",
                        "/usr/lib/llvm-19/lib/libLLVMDemangle.a", "-lz",
                        "-lpthread", "-ldl"})
    argv.push_back(a);
  if (llvm::Error e = runCxx(argv))
    return fail("linking " + flags.output + ": " + llvm::toString(std::move(e)));
  llvm::sys::fs::remove_directories(work);
  linking.stop();
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  llvm::outs() << llvm::formatv(
      "built {0}: {1} functions, {2} kernels, batch {3}, target {4}, in "
      "{5:F1} s\n",
      flags.output, plan.functions.size(), plan.kernels.size(), batch,
      plan.target, seconds);
  return 0;
}
