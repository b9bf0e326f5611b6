#include "runtime/Executor.h"

#include "runtime/Initializers.h"

#include "HalideRuntime.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

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
  const std::string marker = "@axon: ";
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

std::vector<unsigned char> axon::toBytes(const Tensor &t) {
  int64_t n = t.numElements();
  std::vector<unsigned char> out(size_t(n * dtypeBytes(t.dtype)));
  for (int64_t i = 0; i < n; ++i) {
    double v = t.data[i];
    switch (t.dtype) {
    case DType::F32:
      reinterpret_cast<float *>(out.data())[i] = float(v);
      break;
    case DType::F64:
      reinterpret_cast<double *>(out.data())[i] = v;
      break;
    case DType::I1:
      out[i] = v != 0;
      break;
    case DType::I32:
      reinterpret_cast<int32_t *>(out.data())[i] = int32_t(v);
      break;
    case DType::I64:
      reinterpret_cast<int64_t *>(out.data())[i] = int64_t(v);
      break;
    }
  }
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
/// call reuses them (only input host pointers change).
struct Executor::Bound {
  const FunctionPlan *fn = nullptr;
  std::vector<halide_buffer_t> buffers;
  std::vector<std::vector<halide_dimension_t>> dims;
  std::vector<std::vector<unsigned char>> inputs; ///< Staging, typed.
  std::vector<std::vector<void *>> stepArgs;
};

Executor::Executor(const Plan &plan, std::vector<KernelEntry> kernels)
    : plan(plan), kernels(std::move(kernels)) {
  for (const PlanParam &p : plan.params)
    params.push_back(toBytes(
        initialize(p.init, p.dtype, p.shape, p.a, p.b, p.seed)));
  for (const Tensor &c : plan.constants)
    constants.push_back(toBytes(c));
  for (const FunctionPlan &f : plan.functions)
    arenaBytes_ = std::max(arenaBytes_, f.arenaBytes);
  // One arena for all functions: calls never overlap.
  arena = static_cast<unsigned char *>(
      std::aligned_alloc(64, size_t((arenaBytes_ + 63) / 64 * 64 + 64)));
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
  for (const PlanStep &s : fn.steps) {
    std::vector<void *> args;
    for (int buffer : s.buffers)
      args.push_back(&b->buffers[buffer]);
    b->stepArgs.push_back(std::move(args));
  }
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
  Bound &b = bind(*fn);
  for (size_t i = 0; i < args.size(); ++i) {
    const PlanBuffer &pb = fn->buffers[fn->inputs[i]];
    if (args[i].dtype != pb.dtype)
      return llvm::createStringError(
          "argument " + std::to_string(i) + " of '" + name + "' must be " +
          dtypeName(pb.dtype) + ", got " + dtypeName(args[i].dtype));
    b.inputs[i] = toBytes(args[i]);
    b.buffers[fn->inputs[i]].host = b.inputs[i].data();
  }
  for (size_t s = 0; s < fn->steps.size(); ++s) {
    const PlanStep &step = fn->steps[s];
    if (step.kind == PlanStep::Kind::Copy) {
      const halide_buffer_t &src = b.buffers[step.buffers[0]];
      halide_buffer_t &dst = b.buffers[step.buffers[1]];
      std::memmove(dst.host, src.host,
                   size_t(fn->buffers[step.buffers[1]].bytes()));
      continue;
    }
    auto start = Profiler::Clock::now();
    int rc = kernels[step.kernel](b.stepArgs[s].data());
    if (profiler_.isEnabled())
      profiler_.record(plan.kernels[step.kernel].name, start,
                       Profiler::Clock::now());
    if (rc != 0)
      return kernelFailure(name, plan.kernels[step.kernel], rc);
  }
  std::vector<Tensor> results;
  for (int out : fn->outputs) {
    const PlanBuffer &pb = fn->buffers[out];
    results.push_back(fromBytes(pb.dtype, pb.shape,
                                static_cast<unsigned char *>(b.buffers[out].host)));
  }
  return results;
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
  int index = plan.paramIndex(name);
  if (index < 0)
    return llvm::createStringError("no parameter named @" + name);
  return getParam(index);
}

llvm::Error Executor::setParam(const std::string &name, const Tensor &value) {
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
