// axonc: the Axon compiler driver.
//
//   axonc FILE --emit=ast|axon|grad|fused|plan|halide [-o OUT]
//                                           print a stage of the compiler
//   axonc run FILE --fn NAME --input x=a.npy [--param W=w.npy] [-o out.npy]
//                                           evaluate a function
//   axonc train FILE [--epochs N] [--limit N] run the train block
//   axonc build FILE -o BINARY               compile to a standalone binary
// run and train use JIT-compiled Halide kernels (--backend=halide, the
// default) or the reference evaluator (--backend=reference).
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "tools/axonc/BuildCommand.h"
#include "tools/axonc/Runner.h"
#include "tools/axonc/Fail.h"
#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "ir/AxonDialect.h"
#include "ir/ElementTypes.h"
#include "passes/Passes.h"
#include "runtime/core/CpuTarget.h"
#include "runtime/io/Npy.h"
#include "runtime/train/TrainSession.h"
#include "tools/axonc/TrainCommand.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <optional>

#include <unistd.h>

namespace cl = llvm::cl;
using namespace axon;

namespace {

cl::OptionCategory category("axonc options");
cl::SubCommand runCommand("run", "Evaluate a function of a model file");
cl::SubCommand trainCommand("train", "Run a model file's train block, with a "
                                     "progress bar and a metrics log");
cl::SubCommand buildCommand("build", "Compile a model file to a standalone "
                                     "binary (train, infer, bench) or a "
                                     "static library");

enum class Emit { AST, Axon, Grad, Fused, Plan, Halide };

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.axon>"),
                               cl::Required, cl::cat(category),
                               cl::sub(cl::SubCommand::getTopLevel()),
                               cl::sub(runCommand), cl::sub(trainCommand),
                               cl::sub(buildCommand));
cl::opt<Emit> emit("emit", cl::desc("The compiler stage to print"),
                   cl::init(Emit::Axon), cl::cat(category),
                   cl::values(clEnumValN(Emit::AST, "ast", "the syntax tree"),
                              clEnumValN(Emit::Axon, "axon",
                                         "the axon dialect (MLIR)"),
                              clEnumValN(Emit::Grad, "grad",
                                         "after autodiff, canonicalize and CSE"),
                              clEnumValN(Emit::Fused, "fused",
                                         "functions specialised to --batch and "
                                         "fused into axon.kernel ops"),
                              clEnumValN(Emit::Plan, "plan",
                                         "the memory plan of each function "
                                         "(arena size, buffer offsets)"),
                              clEnumValN(Emit::Halide, "halide",
                                         "each kernel's lowered Halide "
                                         "statement (its loop nest)")),
                   cl::sub(cl::SubCommand::getTopLevel()), cl::sub(buildCommand));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(category),
                                cl::sub(cl::SubCommand::getTopLevel()),
                                cl::sub(runCommand), cl::sub(buildCommand));

cl::opt<std::string> fnName("fn", cl::desc("Function to evaluate (run; "
                                           "default forward) or to print "
                                           "(--emit=fused|plan|halide; "
                                           "default: every function)"),
                            cl::value_desc("name"), cl::cat(category),
                            cl::sub(runCommand),
                            cl::sub(cl::SubCommand::getTopLevel()));
cl::opt<std::string> backendName(
    "backend",
    cl::desc("What runs the model: halide (JIT-compiled kernels, default) or "
             "reference (the plain C++ evaluator)"),
    cl::init("halide"), cl::cat(category), cl::sub(runCommand),
    cl::sub(trainCommand));
cl::opt<std::string> scheduleName(
    "schedule",
    cl::desc("Kernel schedules: manual (hand-written, default), "
             "auto:adams2019, auto:mullapudi2016 or auto:li2018"),
    cl::init("manual"), cl::cat(category), cl::sub(runCommand),
    cl::sub(trainCommand), cl::sub(buildCommand),
    cl::sub(cl::SubCommand::getTopLevel()));
cl::opt<bool> debugFlag("debug",
                        cl::desc("On a crash, print LLVM's stack trace"),
                        cl::cat(category), cl::sub(runCommand),
                        cl::sub(trainCommand), cl::sub(buildCommand),
                        cl::sub(cl::SubCommand::getTopLevel()));
cl::opt<std::string> targetName(
    "target",
    cl::desc(std::string("CPU the kernels are compiled for: ") + kTargetHelp),
    cl::init("host"), cl::cat(category), cl::sub(runCommand),
    cl::sub(trainCommand), cl::sub(buildCommand),
    cl::sub(cl::SubCommand::getTopLevel()));
cl::opt<int> threadCount("threads",
                         cl::desc("Threads for the compiled kernels (default: "
                                  "HL_NUM_THREADS, else one per core)"),
                         cl::init(0), cl::cat(category), cl::sub(runCommand),
                         cl::sub(trainCommand));
cl::opt<std::string> profilePath(
    "profile",
    cl::desc("Print time per kernel and write a Chrome trace to this path "
             "(view in Perfetto or chrome://tracing)"),
    cl::value_desc("trace.json"), cl::cat(category), cl::sub(runCommand),
    cl::sub(trainCommand));
cl::opt<std::string> maxMemory(
    "max-memory",
    cl::desc("The most memory the model's parameters, optimizer state and "
             "temporaries may take (2G, 512M); checked before allocating, "
             "like the memory this machine has available"),
    cl::value_desc("size"), cl::cat(category), cl::sub(runCommand),
    cl::sub(trainCommand));
cl::opt<bool> timeCall("time",
                       cl::desc("Print the wall time of the call to stderr "
                                "('time: 12.345 ms'; compilation excluded)"),
                       cl::cat(category), cl::sub(runCommand));
cl::opt<int64_t> emitBatch("batch",
                           cl::desc("The batch size (every `?` extent) that "
                                    "--emit=fused|plan|halide and build "
                                    "specialise to (default: the train "
                                    "block's batch, else 1)"),
                           cl::init(0), cl::cat(category),
                           cl::sub(cl::SubCommand::getTopLevel()),
                           cl::sub(buildCommand));

cl::list<std::string> inputs("input",
                             cl::desc("An argument of the function, by name: "
                                      "name=path.npy (repeat for each)"),
                             cl::value_desc("name=path.npy"), cl::cat(category),
                             cl::sub(runCommand));
cl::list<std::string> paramFiles(
    "param",
    cl::desc("Override a parameter's initial value: name=path.npy"),
    cl::value_desc("name=path.npy"), cl::cat(category), cl::sub(runCommand));

cl::opt<std::string> trainLoss("loss", cl::desc("The train block to run, by its loss "
                                               "function (default: the only one)"),
                               cl::value_desc("name"), cl::cat(category),
                               cl::sub(trainCommand));
cl::opt<int64_t> trainEpochs("epochs", cl::desc("Override the block's epochs"),
                             cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<int64_t> trainBatch("batch", cl::desc("Override the block's batch size"),
                            cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<int64_t> trainLimit("limit", cl::desc("Train on the first N samples only"),
                            cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<int64_t> evalLimit("eval-limit",
                           cl::desc("Evaluate on the first N held-out samples only"),
                           cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<std::string> metricsFile("metrics",
                                 cl::desc("Metrics log (JSON lines; default: the "
                                          "block's log, or MODEL.metrics.jsonl)"),
                                 cl::value_desc("path"), cl::cat(category),
                                 cl::sub(trainCommand));
cl::opt<std::string> checkpointFile(
    "checkpoint",
    cl::desc("Checkpoint written at each epoch's end (safetensors; default "
             "MODEL.ckpt.safetensors; 'none': no checkpoints)"),
    cl::value_desc("path"), cl::cat(category), cl::sub(trainCommand));
cl::opt<int64_t> checkpointEvery("checkpoint-every",
                                 cl::desc("Also checkpoint every N steps"),
                                 cl::init(0), cl::cat(category),
                                 cl::sub(trainCommand));
cl::opt<std::string> resumeFile(
    "resume",
    cl::desc("Continue the run saved in this checkpoint (same data, batch "
             "and seed): the result is bit-identical to an uninterrupted run"),
    cl::value_desc("path"), cl::cat(category), cl::sub(trainCommand));

cl::opt<bool> allowNonfiniteInputs(
    "allow-nonfinite-inputs",
    cl::desc("Load NaN and infinite input and label values instead of "
             "refusing them"),
    cl::cat(category), cl::sub(trainCommand));
cl::opt<OnNonfinite> onNonfinite(
    "on-nonfinite",
    cl::desc("A NaN or infinite loss: stop training (an error naming the "
             "step, exit 1) or continue. Checkpoints holding non-finite "
             "values are never written"),
    cl::values(clEnumValN(OnNonfinite::Stop, "stop", "stop (the default)"),
               clEnumValN(OnNonfinite::Continue, "continue", "train on")),
    cl::init(OnNonfinite::Stop), cl::cat(category), cl::sub(trainCommand));

/// Splits "name=path"; false when there is no '='.
bool splitAssignment(llvm::StringRef s, std::string &name, std::string &path) {
  auto [n, p] = s.split('=');
  if (n.empty() || p.empty() || !s.contains('='))
    return false;
  name = n.str();
  path = p.str();
  return true;
}

void printTensor(const Tensor &t, llvm::raw_ostream &os) {
  os << t.typeString() << "\n";
  // One row per line for matrices; integers without decimals.
  int64_t cols = t.rank() == 0 ? 1 : t.shape.back();
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = t.data[i];
    if (isFloat(t.dtype))
      os << llvm::format("%.6g", v);
    else
      os << static_cast<int64_t>(v);
    os << ((i + 1) % cols == 0 ? "\n" : " ");
  }
}

/// Why `value` cannot be argument `type` (empty: it can), for messages that
/// name the .npy file rather than an argument number.
std::string argumentMismatch(mlir::Type type, const Tensor &value,
                             std::string &expected) {
  auto t = mlir::dyn_cast<mlir::RankedTensorType>(type);
  if (!t)
    return "";
  auto dtype = dtypeOf(t.getElementType());
  expected = dtype ? dtypeName(*dtype) : "?";
  expected += "[";
  for (int64_t d = 0; d < t.getRank(); ++d)
    expected += (d ? ", " : "") + (t.isDynamicDim(d)
                                       ? std::string("?")
                                       : std::to_string(t.getDimSize(d)));
  expected += "]";
  if (!dtype || *dtype != value.dtype)
    return "element type differs";
  if (t.getRank() != value.rank())
    return "rank differs";
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (!t.isDynamicDim(d) && t.getDimSize(d) != value.shape[d])
      return "dim " + std::to_string(d) + " is " +
             std::to_string(value.shape[d]) + ", not " +
             std::to_string(t.getDimSize(d));
  return "";
}

RunnerOptions runnerOptions() {
  RunnerOptions o;
  o.backend = backendName;
  o.compile.schedule = scheduleName;
  o.compile.target = targetName;
  o.threads = threadCount;
  o.profilePath = profilePath;
  o.maxMemory = maxMemory;
  return o;
}

int runFunction(mlir::ModuleOp module) {
  if (fnName.empty())
    fnName = "forward";
  auto fn = module.lookupSymbol<mlir::func::FuncOp>(fnName);
  if (!fn)
    return fail("no function '" + fnName + "' in " + inputFile);
  // Arguments by name, in the function's order.
  std::map<std::string, std::string> given;
  for (const std::string &s : inputs) {
    std::string name, path;
    if (!splitAssignment(s, name, path))
      return fail("--input expects name=path.npy, got '" + s + "'");
    given[name] = path;
  }
  std::vector<std::pair<std::string, Tensor>> paramValues;
  for (const std::string &s : paramFiles) {
    std::string name, path;
    if (!splitAssignment(s, name, path))
      return fail("--param expects name=path.npy, got '" + s + "'");
    auto value = readNpy(path);
    if (!value)
      return fail(llvm::toString(value.takeError()));
    paramValues.emplace_back(name, std::move(*value));
  }
  // Argument names are kept on the function as `axon.arg_names`.
  auto names = fn->getAttrOfType<mlir::ArrayAttr>("axon.arg_names");
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    std::string name = names ? mlir::cast<mlir::StringAttr>(names[i]).str()
                             : "arg" + std::to_string(i);
    auto it = given.find(name);
    if (it == given.end())
      return fail("missing --input " + name + "=... for function '" + fnName +
                  "'");
    auto value = readNpy(it->second);
    if (!value)
      return fail(llvm::toString(value.takeError()));
    std::string expected;
    std::string why = argumentMismatch(fn.getArgumentTypes()[i], *value,
                                       expected);
    if (!why.empty())
      return fail(it->second + ": argument '" + name + "' (#" +
                  std::to_string(i) + ") of '" + fnName + "' takes " +
                  expected + ", but the file holds " + value->typeString() +
                  " (" + why + ")");
    args.push_back(std::move(*value));
    given.erase(it);
  }
  if (!given.empty())
    return fail("function '" + fnName + "' has no argument '" +
                given.begin()->first + "'");
  auto runner = makeRunner(module, runnerOptions(),
                           {FunctionRequest{fnName, shapesOf(args)}});
  if (!runner)
    return fail(llvm::toString(runner.takeError()));
  for (auto &[name, value] : paramValues)
    if (auto err = (*runner)->setParam(name, value))
      return fail(llvm::toString(std::move(err)));
  auto start = std::chrono::steady_clock::now();
  auto results = (*runner)->call(fnName, args);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (timeCall)
    llvm::errs() << llvm::format(
        "time: %.3f ms\n", std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - start)
                               .count());
  if (auto err = (*runner)->finish())
    return fail(llvm::toString(std::move(err)));
  for (size_t i = 0; i < results->size(); ++i) {
    const Tensor &r = (*results)[i];
    if (outputFile == "-") {
      printTensor(r, llvm::outs());
      continue;
    }
    std::string path = outputFile;
    if (results->size() > 1)
      path = (llvm::StringRef(path).rsplit(".npy").first + "." +
              std::to_string(i) + ".npy").str();
    if (auto err = writeNpy(path, r))
      return fail(llvm::toString(std::move(err)));
  }
  return 0;
}

} // namespace

/// Without --debug a crash says what happened and how to learn more,
/// instead of LLVM's "PLEASE submit a bug report" stack dump.
void quietCrash(int signal) {
  const char msg[] = "axonc: internal error (a crash, signal ";
  const char tail[] = "); run again with --debug for a stack trace\n";
  char num[4] = {char('0' + signal / 10 % 10), char('0' + signal % 10), 0, 0};
  (void)!::write(2, msg, sizeof msg - 1);
  (void)!::write(2, num, 2);
  (void)!::write(2, tail, sizeof tail - 1);
  ::_exit(128 + signal);
}

int main(int argc, char **argv) {
  bool debug = std::any_of(argv + 1, argv + argc, [](const char *a) {
    return llvm::StringRef(a) == "--debug" || llvm::StringRef(a) == "-debug";
  });
  std::optional<llvm::InitLLVM> init;
  if (debug)
    init.emplace(argc, argv);
  else
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
      std::signal(s, quietCrash);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "axonc: compile Axon model files\n\n"
      "  axonc model.axon --emit=axon          print the axon dialect\n"
      "  axonc run model.axon --fn forward --input x=x.npy\n");

  mlir::MLIRContext context;
  context.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  // Diagnostics of the generated IR are reported by the frontend itself.
  context.printOpOnDiagnostic(false);
  // The file prints the context's diagnostics while it is open: errors of
  // the frontend and of the passes point at the model file, with line and
  // caret.
  auto file = SourceFile::open(context, inputFile, llvm::errs());
  if (!file)
    return 1;
  if (emit == Emit::AST && !runCommand && !trainCommand && !buildCommand) {
    ast::Module m = parse(*file);
    if (file->errorCount())
      return 1;
    std::error_code ec;
    llvm::ToolOutputFile out(outputFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write " + outputFile + ": " + ec.message());
    ast::dump(m, out.os());
    out.keep();
    return 0;
  }

  auto module = compileSource(context, *file);
  if (!module)
    return 1;
  if (runCommand || trainCommand || buildCommand || emit != Emit::Axon) {
    mlir::PassManager pm(&context);
    addGradientPipeline(pm);
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  if (runCommand)
    return runFunction(*module);
  if (trainCommand) {
    TrainFlags flags;
    flags.modelPath = inputFile;
    flags.loss = trainLoss;
    flags.epochs = trainEpochs;
    flags.batch = trainBatch;
    flags.limit = trainLimit;
    flags.evalLimit = evalLimit;
    flags.metrics = metricsFile;
    flags.checkpoint = checkpointFile;
    flags.checkpointEvery = checkpointEvery;
    flags.resume = resumeFile;
    flags.allowNonfinite = allowNonfiniteInputs;
    flags.continueOnNonfinite = onNonfinite == OnNonfinite::Continue;
    flags.runner = runnerOptions();
    return runTraining(*module, flags);
  }
  std::string error;
  if (!halide::isValidSchedule(scheduleName, error))
    return fail(error);
  if (buildCommand) {
    BuildFlags flags;
    flags.modelPath = inputFile;
    flags.output = outputFile;
    flags.batch = emitBatch;
    flags.compile.schedule = scheduleName;
    flags.compile.target = targetName;
    return runBuild(*module, flags);
  }
  if (emit == Emit::Fused || emit == Emit::Plan || emit == Emit::Halide) {
    std::error_code ec;
    llvm::ToolOutputFile out(outputFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write " + outputFile + ": " + ec.message());
    EmitStage stage = emit == Emit::Fused  ? EmitStage::Fused
                      : emit == Emit::Plan ? EmitStage::Plan
                                           : EmitStage::Halide;
    halide::CompileOptions options;
    options.schedule = scheduleName;
    options.target = targetName;
    if (int rc = emitCompiled(*module, stage, fnName, emitBatch, options,
                              out.os()))
      return rc;
    out.keep();
    return 0;
  }

  std::error_code ec;
  llvm::ToolOutputFile out(outputFile, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail("cannot write " + outputFile + ": " + ec.message());
  module->print(out.os());
  out.keep();
  return 0;
}
