#include "tools/axonc/Runner.h"

#include "backends/reference/Evaluator.h"

using namespace mlir;
using namespace axon;

namespace {

class ReferenceRunner : public Runner {
public:
  ReferenceRunner(ModuleOp module, int64_t maxMemory)
      : evaluator(module, maxMemory) {}
  const std::string &allocationError() const {
    return evaluator.allocationError();
  }
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override {
    return evaluator.call(fn, args);
  }
  llvm::Error setParam(const std::string &name, const Tensor &value) override {
    return evaluator.setParam(name, value);
  }
  std::vector<std::string> paramNames() const override {
    return evaluator.paramNames();
  }
  llvm::Expected<Tensor> getParam(const std::string &name) const override {
    if (const Tensor *t = evaluator.getParam(name))
      return *t;
    return llvm::createStringError("no parameter named @" + name);
  }

private:
  reference::Evaluator evaluator;
};

class HalideRunner : public Runner {
public:
  HalideRunner(std::unique_ptr<JitProgram> program, std::string profilePath)
      : program(std::move(program)), profilePath(std::move(profilePath)) {}
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override {
    return program->executor().call(fn, args);
  }
  llvm::Error setParam(const std::string &name, const Tensor &value) override {
    return program->executor().setParam(name, value);
  }
  std::vector<std::string> paramNames() const override {
    return program->executor().paramNames();
  }
  llvm::Expected<Tensor> getParam(const std::string &name) const override {
    return program->executor().getParam(name);
  }
  llvm::Error finish() override {
    if (profilePath.empty())
      return llvm::Error::success();
    Profiler &p = program->executor().profiler();
    p.print(llvm::errs());
    if (llvm::Error e = p.writeChromeTrace(profilePath))
      return e;
    llvm::errs() << "trace written to " << profilePath << "\n";
    return llvm::Error::success();
  }

private:
  std::unique_ptr<JitProgram> program;
  std::string profilePath;
};

} // namespace

std::vector<std::vector<int64_t>>
axon::shapesOf(const std::vector<Tensor> &args) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor &t : args)
    shapes.push_back(t.shape);
  return shapes;
}

llvm::Expected<std::unique_ptr<Runner>>
axon::makeRunner(ModuleOp module, const RunnerOptions &options,
                 const std::vector<FunctionRequest> &requests) {
  int64_t maxMemory = 0;
  if (!options.maxMemory.empty()) {
    std::string error;
    if (!parseByteSize(options.maxMemory, maxMemory, error))
      return llvm::createStringError("--max-memory: " + error);
  }
  if (options.backend == "reference") {
    auto runner = std::make_unique<ReferenceRunner>(module, maxMemory);
    if (!runner->allocationError().empty())
      return llvm::createStringError(runner->allocationError());
    return std::unique_ptr<Runner>(std::move(runner));
  }
  if (options.backend != "halide")
    return llvm::createStringError("unknown backend '" + options.backend +
                                   "': use halide or reference");
  std::string error;
  if (!halide::isValidSchedule(options.compile.schedule, error))
    return llvm::createStringError(error);
  auto program =
      JitProgram::compile(module, requests, options.compile, maxMemory);
  if (!program)
    return program.takeError();
  if (options.threads > 0)
    (*program)->library().setThreads(options.threads);
  if (!options.profilePath.empty()) {
    (*program)->executor().profiler().enable();
    (*program)->executor().setThreadControl(
        (*program)->library().threadControl());
  }
  return std::make_unique<HalideRunner>(std::move(*program),
                                        options.profilePath);
}
