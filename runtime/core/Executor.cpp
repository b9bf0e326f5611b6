#include "runtime/core/Executor.h"

#include "runtime/core/Initializers.h"

#include "HalideRuntime.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>

using namespace axon;

namespace {

std::mutex kernelErrorMutex;
std::string kernelErrorMessage; ///< The last, until a failure reports it.

/// The error of function `fn` whose kernel `k` returned `rc`: a check of
/// the model's (kernelCheck in the Halide lowering) says where and what;
/// anything else is Halide's own message with the kernel's position.
llvm::Error kernelFailure(const std::string &fn, const PlanKernel &k, int rc) {
  std::string message;
  {
    std::lock_guard<std::mutex> lock(kernelErrorMutex);
    message.swap(kernelErrorMessage);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  const std::string marker = kKernelCheckMarker;
  size_t at = message.find(marker);
  if (at != std::string::npos)
    return llvm::createStringError(message.substr(at + marker.size()) +
                                   " (in '" + fn + "')");
  std::string where = k.location.empty() ? "" : k.location + ": ";
  return llvm::createStringError(
      where + "in '" + fn + "': compiled kernel '" + k.name + "' failed: " +
      (message.empty() ? "Halide error " + std::to_string(rc) : message));
}

} // namespace

void axon::recordKernelError(void *, const char *message) {
  std::lock_guard<std::mutex> lock(kernelErrorMutex);
  if (kernelErrorMessage.empty()) // The first error is the cause.
    kernelErrorMessage = message ? message : "";
}

namespace {

halide_type_t halideTypeOf(DType d) {
  switch (d) {
  case DType::F32:
    return halide_type_t(halide_type_float, 32);
  case DType::F64:
    return halide_type_t(halide_type_float, 64);
  case DType::I1:
    return halide_type_t(halide_type_uint, 1);
  case DType::I32:
    return halide_type_t(halide_type_int, 32);
  case DType::I64:
    return halide_type_t(halide_type_int, 64);
  }
  return halide_type_t(halide_type_float, 32);
}

} // namespace

namespace {

/// Element `i` of typed bytes `out` set to `v`.
inline void storeTyped(DType dtype, unsigned char *out, int64_t i, double v) {
  switch (dtype) {
  case DType::F32:
    reinterpret_cast<float *>(out)[i] = float(v);
    break;
  case DType::F64:
    reinterpret_cast<double *>(out)[i] = v;
    break;
  case DType::I1:
    out[i] = v != 0;
    break;
  case DType::I32:
    reinterpret_cast<int32_t *>(out)[i] = int32_t(v);
    break;
  case DType::I64:
    reinterpret_cast<int64_t *>(out)[i] = int64_t(v);
    break;
  }
}

} // namespace

void axon::toBytes(const Tensor &t, std::vector<unsigned char> &out) {
  int64_t n = t.numElements();
  out.resize(size_t(n * dtypeBytes(t.dtype)));
  // The common case in a loop of its own, which the compiler vectorises
  // (a train step's batch: 100k values).
  if (t.dtype == DType::F32) {
    float *f = reinterpret_cast<float *>(out.data());
    const double *d = t.data.data();
    for (int64_t i = 0; i < n; ++i)
      f[i] = float(d[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    storeTyped(t.dtype, out.data(), i, t.data[i]);
}

std::vector<unsigned char> axon::toBytes(const Tensor &t) {
  std::vector<unsigned char> out;
  toBytes(t, out);
  return out;
}

Tensor axon::fromBytes(DType dtype, const std::vector<int64_t> &shape,
                       const unsigned char *data) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (dtype) {
    case DType::F32:
      t.data[i] = reinterpret_cast<const float *>(data)[i];
      break;
    case DType::F64:
      t.data[i] = reinterpret_cast<const double *>(data)[i];
      break;
    case DType::I1:
      t.data[i] = data[i] != 0;
      break;
    case DType::I32:
      t.data[i] = reinterpret_cast<const int32_t *>(data)[i];
      break;
    case DType::I64:
      t.data[i] = double(reinterpret_cast<const int64_t *>(data)[i]);
      break;
    }
  }
  return t;
}

/// halide_buffer_t descriptors of one function plan, built once: every
/// call reuses them (only input host pointers change). The steps are
/// flattened into a program of instructions, loops into a head and a jump
/// back, so that a pass over a loop body does no allocation and no lookup.
struct Executor::Bound {
  struct Instr {
    enum Op : uint8_t { Kernel, Copy, LoopHead, LoopNext };
    Op op = Kernel;
    int kernel = 0;             ///< Kernel.
    size_t args = 0;            ///< Kernel: offset into argv.
    const halide_buffer_t *src = nullptr; ///< Copy.
    halide_buffer_t *dst = nullptr;       ///< Copy.
    size_t bytes = 0;                     ///< Copy.
    int64_t *step = nullptr;    ///< Loop: the step buffer's element.
    int64_t lower = 0, upper = 0;
    size_t jump = 0; ///< LoopHead: past its LoopNext; LoopNext: its body.
  };
  const FunctionPlan *fn = nullptr;
  std::vector<halide_buffer_t> buffers;
  std::vector<std::vector<halide_dimension_t>> dims;
  std::vector<std::vector<unsigned char>> inputs; ///< Staging, typed.
  std::vector<void *> argv; ///< Every kernel's arguments, back to back.
  std::vector<Instr> program;
  int64_t profiledCalls = 0; ///< The profile's reference skips the first.

  void compile(const std::vector<PlanStep> &steps) {
    for (const PlanStep &s : steps) {
      Instr in;
      switch (s.kind) {
      case PlanStep::Kind::Kernel:
        in.op = Instr::Kernel;
        in.kernel = s.kernel;
        in.args = argv.size();
        for (int buffer : s.buffers)
          argv.push_back(&buffers[buffer]);
        program.push_back(in);
        break;
      case PlanStep::Kind::Copy:
        in.op = Instr::Copy;
        in.src = &buffers[s.buffers[0]];
        in.dst = &buffers[s.buffers[1]];
        in.bytes = size_t(fn->buffers[s.buffers[1]].bytes());
        program.push_back(in);
        break;
      case PlanStep::Kind::Loop: {
        in.op = Instr::LoopHead;
        in.step = static_cast<int64_t *>(
            static_cast<void *>(buffers[s.buffers[0]].host));
        in.lower = s.lower;
        in.upper = s.upper;
        size_t head = program.size();
        program.push_back(in);
        compile(s.body);
        Instr next = in;
        next.op = Instr::LoopNext;
        next.jump = head + 1;
        program.push_back(next);
        program[head].jump = program.size();
        break;
      }
      }
    }
  }
};

Executor::Executor(const Plan &plan, std::vector<KernelEntry> kernels,
                   int64_t maxMemory)
    : plan(plan), kernels(std::move(kernels)) {
  // Nothing is allocated for a plan that cannot fit.
  allocationError_ = checkPlanMemory(plan, maxMemory);
  if (allocationError_.empty()) // Halide's extents and strides are 32-bit.
    allocationError_ = checkPlanExtents(plan);
  if (!allocationError_.empty())
    return;
  std::string what;
  try {
    for (const PlanParam &p : plan.params) {
      what = "parameter " + p.name;
      params.emplace_back(size_t(saturatingBytes(p.shape, dtypeBytes(p.dtype))));
      unsigned char *out = params.back().data();
      initializeEach(p.init, p.dtype, p.shape, p.a, p.b, p.seed,
                     [&](int64_t i, double v) { storeTyped(p.dtype, out, i, v); });
    }
    what = "the plan's constants";
    for (const Tensor &c : plan.constants)
      constants.push_back(toBytes(c));
  } catch (const std::bad_alloc &) {
    params = {};
    constants = {};
    allocationError_ = "out of memory allocating " + what + " (the plan needs " +
                       formatBytes(totalBytes(planMemory(plan))) + ")";
    return;
  } catch (const std::length_error &) {
    params = {};
    constants = {};
    allocationError_ = "out of memory allocating " + what;
    return;
  }
  for (const FunctionPlan &f : plan.functions)
    arenaBytes_ = std::max(arenaBytes_, f.arenaBytes);
  // One arena for all functions: calls never overlap.
  arena = static_cast<unsigned char *>(
      std::aligned_alloc(64, size_t((arenaBytes_ + 63) / 64 * 64 + 64)));
  if (!arena) {
    params = {};
    constants = {};
    allocationError_ = "out of memory allocating the arena of temporaries (" +
                       formatBytes(arenaBytes_) + ")";
  }
}

Executor::~Executor() { std::free(arena); }

const FunctionPlan *Executor::find(const std::string &name,
                                   const std::vector<Tensor> &args) const {
  for (const FunctionPlan &f : plan.functions) {
    if (f.name != name || f.inputs.size() != args.size())
      continue;
    bool match = true;
    for (size_t i = 0; match && i < args.size(); ++i)
      match = f.buffers[f.inputs[i]].shape == args[i].shape;
    if (match)
      return &f;
  }
  return nullptr;
}

bool Executor::hasPlan(const std::string &name,
                       const std::vector<Tensor> &args) const {
  return find(name, args) != nullptr;
}

Executor::Bound &Executor::bind(const FunctionPlan &fn) {
  for (auto &b : bound)
    if (b->fn == &fn)
      return *b;
  auto b = std::make_unique<Bound>();
  b->fn = &fn;
  b->buffers.resize(fn.buffers.size());
  b->dims.resize(fn.buffers.size());
  b->inputs.resize(fn.inputs.size());
  for (size_t i = 0; i < fn.buffers.size(); ++i) {
    const PlanBuffer &pb = fn.buffers[i];
    halide_buffer_t &hb = b->buffers[i];
    std::memset(&hb, 0, sizeof hb);
    std::vector<halide_dimension_t> &d = b->dims[i];
    int64_t stride = 1;
    for (size_t k = pb.shape.size(); k-- > 0;) {
      d.push_back(halide_dimension_t(0, int32_t(pb.shape[k]), int32_t(stride)));
      stride *= pb.shape[k];
    }
    hb.type = halideTypeOf(pb.dtype);
    hb.dimensions = int32_t(d.size());
    hb.dim = d.empty() ? nullptr : d.data();
    switch (pb.kind) {
    case PlanBuffer::Kind::Arena:
      hb.host = arena + pb.offset;
      break;
    case PlanBuffer::Kind::Param:
      hb.host = params[pb.index].data();
      break;
    case PlanBuffer::Kind::Constant:
      hb.host = constants[pb.index].data();
      break;
    case PlanBuffer::Kind::Input:
      break; // Set per call.
    }
  }
  b->compile(fn.steps);
  bound.push_back(std::move(b));
  return *bound.back();
}

llvm::Expected<std::vector<Tensor>>
Executor::call(const std::string &name, const std::vector<Tensor> &args) {
  const FunctionPlan *fn = find(name, args);
  if (!fn) {
    std::string shapes;
    for (const FunctionPlan &f : plan.functions)
      if (f.name == name) {
        shapes += "\n  (";
        for (size_t i = 0; i < f.inputs.size(); ++i)
          shapes += (i ? ", " : "") + Tensor::shapeString(f.buffers[f.inputs[i]].shape);
        shapes += ")";
      }
    std::string given;
    for (size_t i = 0; i < args.size(); ++i)
      given += (i ? ", " : "") + Tensor::shapeString(args[i].shape);
    if (shapes.empty())
      return llvm::createStringError("no compiled function '" + name + "'");
    return llvm::createStringError("no compiled plan of '" + name +
                                   "' for arguments (" + given +
                                   "); compiled for:" + shapes);
  }
  if (!allocationError_.empty())
    return llvm::createStringError(allocationError_);
  Bound &b = bind(*fn);
  for (size_t i = 0; i < args.size(); ++i) {
    const PlanBuffer &pb = fn->buffers[fn->inputs[i]];
    if (args[i].dtype != pb.dtype)
      return llvm::createStringError(
          "argument " + std::to_string(i) + " of '" + name + "' must be " +
          dtypeName(pb.dtype) + ", got " + dtypeName(args[i].dtype));
    toBytes(args[i], b.inputs[i]); // into last call's storage
    b.buffers[fn->inputs[i]].host = b.inputs[i].data();
  }
  // A 1-thread reference on profiled calls 2 to 1 + kReferenceCalls.
  bool profile = profiler_.isEnabled();
  bool reference = profile && threadControl.setNumThreads &&
                   threadControl.setDoParFor && b.profiledCalls >= 1 &&
                   b.profiledCalls <= kReferenceCalls;
  b.profiledCalls += profile;
  std::vector<KernelTime> threaded;
  if (llvm::Error e = run(b, name, profile, reference ? &threaded : nullptr))
    return std::move(e);
  std::vector<Tensor> results;
  for (int out : fn->outputs) {
    const PlanBuffer &pb = fn->buffers[out];
    results.push_back(fromBytes(pb.dtype, pb.shape,
                                static_cast<unsigned char *>(b.buffers[out].host)));
  }
  if (reference)
    if (llvm::Error e = runOneThreadReference(b, name, threaded))
      return std::move(e);
  return results;
}

llvm::Error Executor::run(Bound &b, const std::string &name, bool profile,
                          std::vector<KernelTime> *times) {
  using Instr = Bound::Instr;
  const Instr *program = b.program.data();
  void **argv = b.argv.data();
  const bool timed = profile || times;
  for (size_t pc = 0, end = b.program.size(); pc < end;) {
    const Instr &in = program[pc];
    switch (in.op) {
    case Instr::Kernel: {
      auto start = timed ? Profiler::Clock::now() : Profiler::Clock::time_point();
      int rc = kernels[in.kernel](argv + in.args);
      if (timed) {
        auto stop = Profiler::Clock::now();
        if (profile)
          profiler_.record(plan.kernels[in.kernel].name, start, stop);
        if (times)
          times->push_back(
              {in.kernel, std::chrono::duration<double>(stop - start).count()});
      }
      if (rc != 0)
        return kernelFailure(name, plan.kernels[in.kernel], rc);
      ++pc;
      break;
    }
    case Instr::Copy:
      std::memmove(in.dst->host, in.src->host, in.bytes);
      ++pc;
      break;
    case Instr::LoopHead:
      *in.step = in.lower;
      pc = in.lower < in.upper ? pc + 1 : in.jump;
      break;
    case Instr::LoopNext:
      pc = ++*in.step < in.upper ? in.jump : pc + 1;
      break;
    }
  }
  return llvm::Error::success();
}

namespace {

/// Halide's do_par_for, one task after another on the calling thread.
int serialDoParFor(void *userContext, int (*task)(void *, int, uint8_t *),
                   int min, int size, uint8_t *closure) {
  for (int i = min; i < min + size; ++i)
    if (int rc = task(userContext, i, closure))
      return rc;
  return 0;
}

} // namespace

llvm::Error Executor::runOneThreadReference(Bound &b, const std::string &name,
                                            const std::vector<KernelTime> &threaded) {
  // The thread count the call ran at: halide_set_num_threads returns the
  // previous count, 0 before the runtime's first parallel loop (then the
  // default ran: HL_NUM_THREADS, else one per core).
  int threads = threadControl.setNumThreads(1);
  if (threads == 0) {
    threadControl.setNumThreads(0);
    threads = threadControl.setNumThreads(1);
  }
  threadControl.setNumThreads(threads);
  profiler_.setThreads(threads);
  if (threads <= 1)
    return llvm::Error::success();
  // The kernels' buffers point into the parameters' storage: it is copied
  // back in place, not swapped.
  std::vector<std::vector<unsigned char>> saved = params;
  std::vector<KernelTime> oneThread;
  oneThread.reserve(threaded.size());
  DoParFor pool = threadControl.setDoParFor(serialDoParFor);
  llvm::Error e = run(b, name, /*profile=*/false, &oneThread);
  threadControl.setDoParFor(pool);
  for (size_t i = 0; i < params.size(); ++i)
    std::memcpy(params[i].data(), saved[i].data(), saved[i].size());
  if (e)
    return e;
  // The same program again: the kernel calls pair up in order.
  for (size_t i = 0; i < threaded.size() && i < oneThread.size(); ++i)
    profiler_.recordReference(plan.kernels[threaded[i].kernel].name,
                              threaded[i].seconds, oneThread[i].seconds);
  return llvm::Error::success();
}

Tensor Executor::getParam(int index) const {
  const PlanParam &p = plan.params[index];
  return fromBytes(p.dtype, p.shape, params[index].data());
}

std::vector<std::string> Executor::paramNames() const {
  std::vector<std::string> names;
  for (const PlanParam &p : plan.params)
    names.push_back(p.name);
  return names;
}

llvm::Expected<Tensor> Executor::getParam(const std::string &name) const {
  if (!allocationError_.empty())
    return llvm::createStringError(allocationError_);
  int index = plan.paramIndex(name);
  if (index < 0)
    return llvm::createStringError("no parameter named @" + name);
  return getParam(index);
}

llvm::Error Executor::setParam(const std::string &name, const Tensor &value) {
  if (!allocationError_.empty())
    return llvm::createStringError(allocationError_);
  int index = plan.paramIndex(name);
  if (index < 0)
    return llvm::createStringError("no parameter named @" + name);
  const PlanParam &p = plan.params[index];
  if (value.dtype != p.dtype || value.shape != p.shape)
    return llvm::createStringError(
        "parameter @" + name + " is " + Tensor(p.dtype, p.shape).typeString() +
        ", got " + value.typeString());
  std::vector<unsigned char> bytes = toBytes(value);
  std::memcpy(params[index].data(), bytes.data(), bytes.size());
  return llvm::Error::success();
}
