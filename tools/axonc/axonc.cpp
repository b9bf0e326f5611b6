// axonc: the Axon compiler driver.
//
//   axonc FILE --emit=ast|axon|grad|fused|plan|halide [-o OUT]
//                                           print a stage of the compiler
//   axonc run FILE --fn NAME --input x=a.npy [--param W=w.npy] [-o out.npy]
//             [--checkpoint CKPT] [--prompt TEXT --temperature T --seed S]
//                                           evaluate a function
//   axonc train FILE [--epochs N] [--limit N] run the train block
//   axonc build FILE -o BINARY [--timing]    compile to a standalone binary
//   axonc text-baseline [fortunes | FILE...]  a text's bigram NLL baseline
//   axonc heatmap M.npy -o M.svg             a matrix (attention) as an image
//   axonc similar CKPT [--param E]           word embeddings' cosine similarities
// run and train use JIT-compiled Halide kernels (--backend=halide, the
// default) or the reference evaluator (--backend=reference).
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "tools/axonc/BuildCommand.h"
#include "tools/axonc/EmitCompiled.h"
#include "tools/axonc/HeatmapCommand.h"
#include "tools/axonc/Runner.h"
#include "tools/axonc/SimilarityCommand.h"
#include "tools/axonc/Fail.h"
#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "ir/AxonDialect.h"
#include "ir/ElementTypes.h"
#include "passes/Passes.h"
#include "runtime/core/CpuTarget.h"
#include "runtime/data/TextArguments.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/FunctionIO.h"
#include "runtime/io/Npy.h"
#include "runtime/train/TrainFlags.h"
#include "tools/axonc/TextBaselineCommand.h"
#include "tools/axonc/TrainCommand.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Support/Timing.h"
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
#include <set>

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
// cl::desc keeps a StringRef: the text must outlive the option.
const std::string targetHelp =
    std::string("CPU the kernels are compiled for: ") + kTargetHelp;
cl::opt<std::string> targetName(
    "target", cl::desc(targetHelp),
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
cl::opt<bool> timingFlag(
    "timing",
    cl::desc("Print the time each phase of compilation took (the frontend, "
             "each pass of the gradient pipeline, plans, Halide kernels, "
             "link) to stderr"),
    cl::cat(category), cl::sub(buildCommand),
    cl::sub(cl::SubCommand::getTopLevel()));
cl::opt<int64_t> emitBatch("batch",
                           cl::desc("The batch size (every `?` extent) that "
                                    "--emit=fused|plan|halide and build "
                                    "specialise to (default: the train "
                                    "block's batch, else 1 for --emit and "
                                    "32 for build)"),
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

cl::opt<std::string> runCheckpoint(
    "checkpoint",
    cl::desc("Run with the parameters of this checkpoint (one `train` wrote, "
             "or any safetensors file naming every parameter; optimizer "
             "state may be absent)"),
    cl::value_desc("path"), cl::cat(category), cl::sub(runCommand));
cl::opt<std::string> promptText(
    "prompt",
    cl::desc("Text for the function's `prompt` argument, encoded with the "
             "checkpoint's vocabulary; implies --text"),
    cl::value_desc("text"), cl::cat(category), cl::sub(runCommand));
cl::opt<double> temperatureValue(
    "temperature", cl::desc("The function's `temperature` argument"),
    cl::value_desc("t"), cl::cat(category), cl::sub(runCommand));
cl::opt<int64_t> seedValue("seed", cl::desc("The function's `seed` argument"),
                           cl::value_desc("n"), cl::cat(category),
                           cl::sub(runCommand));
cl::opt<bool> textResults(
    "text",
    cl::desc("Print integer results as text, decoded with the checkpoint's "
             "vocabulary, and the tokens per second to stderr"),
    cl::cat(category), cl::sub(runCommand));

cl::opt<std::string> trainLoss("loss", cl::desc("The train block to run, by its loss "
                                               "function (default: the only one)"),
                               cl::value_desc("name"), cl::cat(category),
                               cl::sub(trainCommand));
cl::opt<int64_t> trainBatch("batch", cl::desc("Override the block's batch size"),
                            cl::init(0), cl::cat(category), cl::sub(trainCommand));
TrainFlags trainFlags(trainCommand, category);

/// What each argument of `fn` takes, for readArguments' messages; names
/// come from `axon.arg_names`.
std::vector<ArgumentSpec> argumentSpecs(mlir::func::FuncOp fn) {
  auto names = fn->getAttrOfType<mlir::ArrayAttr>("axon.arg_names");
  std::vector<ArgumentSpec> specs;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    ArgumentSpec spec;
    spec.name = names ? mlir::cast<mlir::StringAttr>(names[i]).str()
                      : "arg" + std::to_string(i);
    if (auto t = mlir::dyn_cast<mlir::RankedTensorType>(
            fn.getArgumentTypes()[i])) {
      spec.dtype = dtypeOf(t.getElementType());
      for (int64_t d : t.getShape())
        spec.dims.push_back(mlir::ShapedType::isDynamic(d) ? -1 : d);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
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
  auto files = parseAssignments(inputs, "input");
  if (!files)
    return fail(llvm::toString(files.takeError()));
  auto paramPaths = parseAssignments(paramFiles, "param");
  if (!paramPaths)
    return fail(llvm::toString(paramPaths.takeError()));
  std::vector<std::pair<std::string, Tensor>> paramValues;
  for (const auto &[name, path] : *paramPaths) {
    auto value = readNpy(path);
    if (!value)
      return fail(llvm::toString(value.takeError()));
    paramValues.emplace_back(name, std::move(*value));
  }
  std::optional<Checkpoint> checkpoint;
  std::optional<Vocabulary> vocabulary;
  if (!runCheckpoint.empty()) {
    auto saved = readCheckpoint(runCheckpoint);
    if (!saved)
      return fail(llvm::toString(saved.takeError()));
    checkpoint = std::move(*saved);
    if (checkpoint->metadata.count(kVocabularyKey)) {
      auto v = vocabularyOf(*checkpoint, runCheckpoint);
      if (!v)
        return fail(llvm::toString(v.takeError()));
      vocabulary = std::move(*v);
    }
  }
  TextFlags text;
  if (promptText.getNumOccurrences())
    text.prompt = promptText;
  if (temperatureValue.getNumOccurrences())
    text.temperature = temperatureValue;
  if (seedValue.getNumOccurrences())
    text.seed = seedValue;
  bool asText = textResults || text.prompt;
  if (asText && !vocabulary)
    return fail(std::string(text.prompt ? "--prompt" : "--text") +
                " needs a vocabulary: pass --checkpoint with a checkpoint "
                "trained on a text source" +
                (checkpoint ? " (" + runCheckpoint + " holds none)"
                            : std::string()));
  std::string note;
  auto args = readTextArguments(fnName, argumentSpecs(fn), *files, text,
                                vocabulary ? &*vocabulary : nullptr, &note);
  if (!args)
    return fail(llvm::toString(args.takeError()));
  if (!note.empty())
    llvm::errs() << "note: " << note << "\n";
  auto runner = makeRunner(module, runnerOptions(),
                           {FunctionRequest{fnName, shapesOf(*args)}});
  if (!runner)
    return fail(llvm::toString(runner.takeError()));
  if (checkpoint) {
    // Inference reads no optimizer state: a checkpoint may leave it out.
    std::set<std::string> optimizerState;
    for (ParamOp p : module.getOps<ParamOp>())
      if (p.getOptimizerState())
        optimizerState.insert(p.getSymName().str());
    if (auto err = restoreParams(**runner, *checkpoint, runCheckpoint,
                                 [&](llvm::StringRef name) {
                                   return optimizerState.count(name.str()) > 0;
                                 }))
      return fail(llvm::toString(std::move(err)));
  }
  for (auto &[name, value] : paramValues)
    if (auto err = (*runner)->setParam(name, value))
      return fail(llvm::toString(std::move(err)));
  auto start = std::chrono::steady_clock::now();
  auto results = (*runner)->call(fnName, *args);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  if (timeCall)
    llvm::errs() << llvm::format("time: %.3f ms\n", ms);
  if (auto err = (*runner)->finish())
    return fail(llvm::toString(std::move(err)));
  if (!asText || outputFile != "-") {
    if (auto err = writeResults(*results, outputFile, llvm::outs()))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }
  printTextResults(*results, *vocabulary, ms, llvm::outs(), llvm::errs());
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
  cl::HideUnrelatedOptions(
      {&category, &textBaselineCategory(), &heatmapCategory(),
       &similarityCategory()});
  cl::ParseCommandLineOptions(
      argc, argv,
      "axonc: compile Axon model files\n\n"
      "  axonc model.axon --emit=axon          print the axon dialect\n"
      "  axonc run model.axon --fn forward --input x=x.npy\n");
  if (textBaselineCommand())
    return runTextBaseline();
  if (heatmapCommand())
    return runHeatmap();
  if (similarityCommand())
    return runSimilarity();

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

  // MLIR's timing report, printed to stderr when `timing` ends.
  mlir::DefaultTimingManager timingManager;
  timingManager.setEnabled(timingFlag);
  mlir::TimingScope timing = timingManager.getRootScope();
  mlir::TimingScope frontendTiming = timing.nest("frontend");
  auto module = compileSource(context, *file);
  if (!module)
    return 1;
  frontendTiming.stop();
  if (runCommand || trainCommand || buildCommand || emit != Emit::Axon) {
    mlir::PassManager pm(&context);
    addGradientPipeline(pm);
    mlir::TimingScope pipelineTiming = timing.nest("gradient pipeline");
    if (timingFlag)
      pm.enableTiming(pipelineTiming);
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  if (runCommand)
    return runFunction(*module);
  if (trainCommand) {
    return runTraining(*module, inputFile, trainLoss, trainBatch, trainFlags,
                       runnerOptions());
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
    return runBuild(*module, flags, timing);
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
