#include "runtime/core/Plan.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

using namespace axon;

int64_t axon::dtypeBytes(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::I1:
    return 1;
  }
  return 8;
}

const FunctionPlan *Plan::function(const std::string &name) const {
  for (const FunctionPlan &f : functions)
    if (f.name == name)
      return &f;
  return nullptr;
}

int Plan::paramIndex(const std::string &name) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == name)
      return int(i);
  return -1;
}

void axon::forEachStep(std::vector<PlanStep> &steps,
                       const std::function<void(PlanStep &)> &f) {
  for (PlanStep &s : steps) {
    f(s);
    forEachStep(s.body, f);
  }
}

void axon::forEachStep(const std::vector<PlanStep> &steps,
                       const std::function<void(const PlanStep &)> &f) {
  for (const PlanStep &s : steps) {
    f(s);
    forEachStep(s.body, f);
  }
}

//===----------------------------------------------------------------------===//
// Memory checks
//===----------------------------------------------------------------------===//

namespace {

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

/// A number from the first line of `path` that starts with `key` (or the
/// whole first line when `key` is empty); -1 when there is none.
int64_t readNumber(const char *path, const std::string &key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0)
      continue;
    const char *p = line.c_str() + key.size();
    while (*p == ' ' || *p == '\t')
      ++p;
    if (*p < '0' || *p > '9')
      return -1;
    errno = 0;
    long long v = std::strtoll(p, nullptr, 10);
    return errno ? -1 : int64_t(v);
  }
  return -1;
}

} // namespace

int64_t axon::availableMemoryBytes() {
  int64_t available = -1;
  int64_t kib = readNumber("/proc/meminfo", "MemAvailable:");
  if (kib >= 0)
    available = saturatingMul(kib, 1024);
  if (available < 0) {
    long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0)
      available = saturatingMul(pages, size);
  }
  // A container's limit (cgroup v2): "max" reads as no number.
  int64_t max = readNumber("/sys/fs/cgroup/memory.max", "");
  int64_t current = readNumber("/sys/fs/cgroup/memory.current", "");
  if (max >= 0 && current >= 0) {
    int64_t left = max > current ? max - current : 0;
    if (available < 0 || left < available)
      available = left;
  }
  return available < 0 ? INT64_MAX : available;
}

std::string axon::formatBytes(int64_t bytes) {
  const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  double v = double(bytes);
  int u = -1;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

bool axon::parseByteSize(const std::string &text, int64_t &bytes,
                         std::string &error) {
  error = "'" + text +
          "' is not a size: use a number of bytes with an optional K, M, G "
          "or T suffix (2G, 512M)";
  const char *p = text.c_str();
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(p, &end);
  if (end == p || errno || !(v > 0))
    return false;
  std::string suffix(end);
  double scale = 1;
  if (!suffix.empty()) {
    const std::string letters = "KMGT";
    size_t k = letters.find(char(std::toupper((unsigned char)suffix[0])));
    if (k == std::string::npos)
      return false;
    for (size_t i = 0; i <= k; ++i)
      scale *= 1024;
    std::string rest = suffix.substr(1);
    if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB" ||
          rest == "ib"))
      return false;
  } else if (v != std::floor(v)) {
    return false;
  }
  double b = v * scale;
  if (!(b >= 1) || b >= 9.2e18)
    return false;
  bytes = int64_t(b);
  error.clear();
  return true;
}

int64_t axon::saturatingBytes(const std::vector<int64_t> &shape,
                              int64_t elementBytes) {
  int64_t n = elementBytes;
  for (int64_t d : shape)
    n = saturatingMul(n, d < 0 ? 0 : d);
  return n;
}

int64_t axon::totalBytes(const std::vector<MemoryItem> &items) {
  int64_t total = 0;
  for (const MemoryItem &m : items)
    total = saturatingAdd(total, m.bytes);
  return total;
}

std::string axon::checkMemory(const std::vector<MemoryItem> &items,
                              const std::string &whole, int64_t limit,
                              int64_t available) {
  int64_t total = 0;
  const MemoryItem *largest = nullptr;
  for (const MemoryItem &m : items) {
    total = saturatingAdd(total, m.bytes);
    if (!largest || m.bytes > largest->bytes)
      largest = &m;
  }
  std::string why;
  if (limit > 0 && total > limit) {
    why = "the --max-memory limit is " + formatBytes(limit);
  } else {
    if (available < 0)
      available = availableMemoryBytes();
    if (total > available)
      why = "this machine has " + formatBytes(available) + " available";
  }
  if (why.empty())
    return "";
  std::string message;
  if (largest && !largest->where.empty())
    message = largest->where + ": ";
  if (largest)
    message += largest->what + " needs " + formatBytes(largest->bytes) + "; ";
  bool plural = !whole.empty() && whole.back() == 's';
  return message + whole + (plural ? " need " : " needs ") +
         formatBytes(total) + ", " + why;
}

std::vector<MemoryItem> axon::planMemory(const Plan &plan) {
  std::vector<MemoryItem> items;
  for (const PlanParam &p : plan.params)
    items.push_back({(p.optimizerState ? "optimizer state " : "parameter ") +
                         p.name + " (" + typeString(p.dtype, p.shape) + ")",
                     saturatingBytes(p.shape, dtypeBytes(p.dtype)),
                     ""});
  for (size_t i = 0; i < plan.constants.size(); ++i) {
    const Tensor &c = plan.constants[i];
    items.push_back({"constant #" + std::to_string(i) + " (" +
                         typeString(c.dtype, c.shape) + ")",
                     saturatingBytes(c.shape, dtypeBytes(c.dtype)), ""});
  }
  const FunctionPlan *widest = nullptr;
  for (const FunctionPlan &f : plan.functions)
    if (!widest || f.arenaBytes > widest->arenaBytes)
      widest = &f;
  if (widest && widest->arenaBytes > 0)
    items.push_back({"the arena of '" + widest->name + "' (its temporaries)",
                     saturatingAdd(widest->arenaBytes, 128), ""});
  return items;
}

std::string axon::checkPlanMemory(const Plan &plan, int64_t limit,
                                  int64_t available) {
  return checkMemory(planMemory(plan), "the plan", limit, available);
}

std::string axon::checkPlanExtents(const Plan &plan) {
  const int64_t most = INT32_MAX;
  auto tooMany = [&](const std::string &what, DType dtype,
                     const std::vector<int64_t> &shape) -> std::string {
    int64_t n = saturatingBytes(shape, 1);
    if (n <= most)
      return "";
    return what + " (" + typeString(dtype, shape) + ") has " +
           (n == INT64_MAX ? std::string("more than 2^63") : std::to_string(n)) +
           " elements; compiled kernels address at most 2147483647 (2^31 - 1) "
           "in one buffer (--backend=reference has no such limit)";
  };
  for (const PlanParam &p : plan.params) {
    std::string e = tooMany((p.optimizerState ? "optimizer state " : "parameter ") +
                                p.name,
                            p.dtype, p.shape);
    if (!e.empty())
      return e;
  }
  for (const FunctionPlan &f : plan.functions)
    for (size_t i = 0; i < f.buffers.size(); ++i) {
      const PlanBuffer &b = f.buffers[i];
      std::string what;
      switch (b.kind) {
      case PlanBuffer::Kind::Param:
        continue; // Above.
      case PlanBuffer::Kind::Input:
        what = "argument " +
               (size_t(b.index) < f.argNames.size() ? f.argNames[b.index]
                                                   : std::to_string(b.index)) +
               " of '" + f.name + "'";
        break;
      case PlanBuffer::Kind::Constant:
        what = "a constant of '" + f.name + "'";
        break;
      case PlanBuffer::Kind::Arena:
        what = "a temporary of '" + f.name + "'";
        break;
      }
      std::string e = tooMany(what, b.dtype, b.shape);
      if (!e.empty())
        return e;
    }
  return "";
}
