// Compiling kernels with Halide: object files for JIT loading and for
// binaries, and the lowered statement for `axonc --emit=halide`.
#include "backends/halide/Backend.h"
#include "backends/halide/KernelLowering.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace Halide;

namespace axon::halide {
namespace {

/// The target the kernels are compiled for. The LLVM side resolves "host"
/// into a target string from the CPU's features (runtime/core/HostCpu.h), since
/// Halide 14's get_host_target() over-claims on some CPUs; it stays "host"
/// (or empty) only off x86-64, where Halide's detection is all there is.
Target targetFor(const CompileOptions &options) {
  if (options.target.empty() || options.target == "host")
    return get_host_target().with_feature(Target::NoRuntime);
  if (!Target::validate_target_string(options.target))
    throw std::invalid_argument("unknown target '" + options.target +
                                "' (not a Halide target string)");
  return Target(options.target).with_feature(Target::NoRuntime);
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
  Target target;
  if (!guarded("target", error, [&] { target = targetFor(options); }))
    return false;
  int jobs = options.jobs > 0 ? options.jobs
                              : int(std::max(1u, std::thread::hardware_concurrency()));
  jobs = std::max(1, std::min<int>(jobs, int(kernels.size())));
  // Worker w compiles kernels w, w + jobs, ...; worker 0 is this process,
  // the others are forked children that report an error in a file. `jobs`
  // stays fixed once children exist: they stride by it.
  auto compileShare = [&](int w, std::string &err) {
    for (size_t i = w; i < kernels.size(); i += jobs) {
      const kernel::KernelSpec &spec = kernels[i];
      bool ok = guarded("kernel '" + spec.name + "'", err, [&] {
        LoweredKernel k = lowerKernel(spec, options, target);
        k.pipeline.compile_to_object(dir + "/" + spec.name + ".o",
                                     k.arguments(), spec.name, target);
      });
      if (!ok)
        return false;
    }
    return true;
  };
  std::vector<pid_t> children;
  for (int w = 1; w < jobs; ++w) {
    std::cout.flush();
    std::cerr.flush();
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string err;
      bool ok = compileShare(w, err);
      if (!ok)
        std::ofstream(dir + "/worker-" + std::to_string(w) + ".err") << err;
      ::_exit(ok ? 0 : 1); // no destructors: they belong to the parent
    }
    if (pid < 0) // No process to spare: this process compiles the rest.
      break;
    children.push_back(pid);
  }
  // This process compiles share 0 and the shares of workers it could not
  // fork (children are workers 1, 2, ... in order).
  bool ok = compileShare(0, error);
  for (int w = int(children.size()) + 1; ok && w < jobs; ++w)
    ok = compileShare(w, error);
  if (ok)
    ok = guarded("Halide runtime", error, [&] {
      compile_standalone_runtime(dir + "/halide_runtime.o",
                                 target.without_feature(Target::NoRuntime));
    });
  for (size_t c = 0; c < children.size(); ++c) {
    int status = 0;
    ::waitpid(children[c], &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      continue;
    if (ok) {
      std::ifstream in(dir + "/worker-" + std::to_string(c + 1) + ".err");
      std::stringstream text;
      text << in.rdbuf();
      error = text.str().empty() ? "a kernel compiler process died" : text.str();
    }
    ok = false;
  }
  if (!ok)
    return false;
  for (const kernel::KernelSpec &spec : kernels)
    objects.push_back(dir + "/" + spec.name + ".o");
  objects.push_back(dir + "/halide_runtime.o");
  return true;
}

bool loweredStatement(const kernel::KernelSpec &spec,
                      const CompileOptions &options, std::string &stmt,
                      std::string &error) {
  Target target;
  if (!guarded("target", error, [&] { target = targetFor(options); }))
    return false;
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
