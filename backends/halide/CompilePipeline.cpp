#include "backends/halide/CompilePipeline.h"

#include "backends/halide/PlanBuilder.h"
#include "passes/Passes.h"
#include "runtime/core/HostCpu.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;
using namespace axon;

std::string axon::specializedName(const FunctionRequest &request,
                                  size_t index) {
  return request.function + "_s" + std::to_string(index);
}

LogicalResult axon::buildPlan(ModuleOp module,
                              const std::vector<FunctionRequest> &requests,
                              Plan &plan,
                              std::vector<kernel::KernelSpec> &kernels) {
  addParams(module, plan);
  for (size_t i = 0; i < requests.size(); ++i) {
    const FunctionRequest &r = requests[i];
    auto fn = module.lookupSymbol<func::FuncOp>(r.function);
    if (!fn)
      return module.emitError("no function '") << r.function << "'";
    if (fn.getNumArguments() != r.argShapes.size())
      return fn.emitError("'") << r.function << "' takes "
                               << fn.getNumArguments() << " arguments, got "
                               << r.argShapes.size();
    SmallVector<Type> types;
    for (auto [declared, shape] : llvm::zip(fn.getArgumentTypes(), r.argShapes))
      types.push_back(RankedTensorType::get(
          shape, cast<RankedTensorType>(declared).getElementType()));
    std::string name = specializedName(r, i);
    PassManager specialize(module.getContext());
    specialize.addPass(createSpecialize(r.function, types, name));
    if (failed(specialize.run(module)))
      return failure();
    auto spec = module.lookupSymbol<func::FuncOp>(name);
    PassManager pm(module.getContext(), func::FuncOp::getOperationName());
    pm.addPass(createHoistLoopProducts()); // per-step input projections
    pm.addPass(createHoistLoopSums()); // per-step weight gradients
    pm.addPass(createContractBatchSums());
    pm.addPass(createCSEPass()); // the operands' transposes, rewritten alike
    pm.addPass(createFuse());
    pm.addPass(createPlanMemory());
    if (failed(pm.run(spec)))
      return failure();
    if (failed(addFunctionPlan(spec, r.function, plan, kernels)))
      return failure();
  }
  dedupeKernels(plan, kernels);
  return success();
}

FunctionRequest axon::requestAtRows(func::FuncOp fn, int64_t rows) {
  FunctionRequest r{fn.getName().str(), {}};
  for (Type t : fn.getArgumentTypes()) {
    auto rt = cast<RankedTensorType>(t);
    std::vector<int64_t> shape(rt.getShape().begin(), rt.getShape().end());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = rows;
    r.argShapes.push_back(shape);
  }
  return r;
}

llvm::Expected<halide::CompileOptions>
axon::resolveOptions(const halide::CompileOptions &options) {
  halide::CompileOptions resolved = options;
  std::string error;
  if (!hostTarget(options.target, resolved.target, error))
    return llvm::createStringError(error);
  return resolved;
}

llvm::Error axon::runCxx(const std::vector<std::string> &args) {
  auto cxx = llvm::sys::findProgramByName("c++");
  if (!cxx)
    return llvm::createStringError("no C++ compiler (c++) on PATH");
  std::vector<std::string> argv{*cxx};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<llvm::StringRef> refs(argv.begin(), argv.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cxx, refs, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return llvm::createStringError("c++ failed" +
                                   (message.empty() ? "" : ": " + message));
  return llvm::Error::success();
}

llvm::Error axon::linkSharedObject(const std::vector<std::string> &objects,
                                   const std::string &output) {
  std::vector<std::string> args{"-shared", "-o", output};
  args.insert(args.end(), objects.begin(), objects.end());
  args.push_back("-lpthread");
  args.push_back("-ldl");
  if (llvm::Error e = runCxx(args))
    return llvm::createStringError("linking kernels into '" + output +
                                   "': " + llvm::toString(std::move(e)));
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<JitProgram>>
JitProgram::compile(ModuleOp module,
                    const std::vector<FunctionRequest> &requests,
                    const halide::CompileOptions &requested,
                    int64_t maxMemory) {
  auto resolved = resolveOptions(requested);
  if (!resolved)
    return resolved.takeError();
  const halide::CompileOptions &options = *resolved;
  std::string unsupported = checkTargetRunsHere(options.target);
  if (!unsupported.empty())
    return llvm::createStringError(unsupported);
  auto program = std::unique_ptr<JitProgram>(new JitProgram());
  program->plan_.target = options.target;
  std::vector<kernel::KernelSpec> kernels;
  if (failed(buildPlan(module, requests, program->plan_, kernels)))
    return llvm::createStringError("compilation failed (see the errors above)");
  // Before Halide compiles kernels over buffers that could never be
  // allocated.
  std::string tooBig = checkPlanMemory(program->plan_, maxMemory);
  if (tooBig.empty())
    tooBig = checkPlanExtents(program->plan_);
  if (!tooBig.empty())
    return llvm::createStringError(tooBig);
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("axon-jit", dir))
    return llvm::createStringError(ec, "cannot create a temporary directory");
  program->dir = dir.str().str();
  std::vector<std::string> objects;
  std::string error;
  if (!halide::compileToObjects(kernels, options, program->dir, objects,
                                error))
    return llvm::createStringError(error);
  std::string so = program->dir + "/kernels.so";
  if (llvm::Error e = linkSharedObject(objects, so))
    return std::move(e);
  std::vector<std::string> names;
  for (const PlanKernel &k : program->plan_.kernels)
    names.push_back(k.name);
  auto library = KernelLibrary::load(so, names);
  if (!library)
    return library.takeError();
  program->library_ = std::move(*library);
  program->executor_ = std::make_unique<Executor>(
      program->plan_, program->library_->entries(), maxMemory);
  if (!program->executor_->allocationError().empty())
    return llvm::createStringError(program->executor_->allocationError());
  return program;
}

JitProgram::~JitProgram() {
  executor_.reset();
  library_.reset();
  if (!dir.empty())
    llvm::sys::fs::remove_directories(dir);
}
