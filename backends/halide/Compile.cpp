// Compiling kernels with Halide: object files for JIT loading and for
// binaries, and the lowered statement for `axonc --emit=halide`.
#include "backends/halide/Backend.h"
#include "backends/halide/KernelLowering.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

using namespace Halide;

namespace axon::halide {
namespace {

Target targetFor(const CompileOptions &options) {
  Target t = options.target.empty() ? get_host_target()
                                    : Target(options.target);
  return t.with_feature(Target::NoRuntime);
}

/// Runs `body`, turning Halide's and the lowering's exceptions into `error`.
template <typename F> bool guarded(const std::string &what, std::string &error, F body) {
  try {
    body();
    return true;
  } catch (const Halide::Error &e) {
    error = what + ": Halide: " + e.what();
  } catch (const std::exception &e) {
    error = what + ": " + e.what();
  }
  return false;
}

} // namespace

bool isValidSchedule(const std::string &schedule, std::string &error) {
  if (schedule == "manual" || schedule == "auto:adams2019" ||
      schedule == "auto:mullapudi2016" || schedule == "auto:li2018")
    return true;
  error = "unknown schedule '" + schedule +
          "': use manual, auto:adams2019, auto:mullapudi2016 or auto:li2018";
  return false;
}

bool compileToObjects(const std::vector<kernel::KernelSpec> &kernels,
                      const CompileOptions &options, const std::string &dir,
                      std::vector<std::string> &objects, std::string &error) {
  Target target = targetFor(options);
  for (const kernel::KernelSpec &spec : kernels) {
    std::string path = dir + "/" + spec.name + ".o";
    bool ok = guarded("kernel '" + spec.name + "'", error, [&] {
      LoweredKernel k = lowerKernel(spec, options, target);
      k.pipeline.compile_to_object(path, k.arguments(), spec.name, target);
    });
    if (!ok)
      return false;
    objects.push_back(path);
  }
  std::string runtime = dir + "/halide_runtime.o";
  if (!guarded("Halide runtime", error, [&] {
        compile_standalone_runtime(runtime,
                                   target.without_feature(Target::NoRuntime));
      }))
    return false;
  objects.push_back(runtime);
  return true;
}

bool loweredStatement(const kernel::KernelSpec &spec,
                      const CompileOptions &options, std::string &stmt,
                      std::string &error) {
  Target target = targetFor(options);
  std::string path = "/tmp/axon-stmt-" + std::to_string(::getpid()) + "-" +
                     spec.name + ".stmt";
  bool ok = guarded("kernel '" + spec.name + "'", error, [&] {
    LoweredKernel k = lowerKernel(spec, options, target);
    k.pipeline.compile_to_lowered_stmt(path, k.arguments(), Text, target);
  });
  if (!ok)
    return false;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  stmt = text.str();
  std::remove(path.c_str());
  return true;
}

} // namespace axon::halide
