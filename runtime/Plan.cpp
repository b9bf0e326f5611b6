#include "runtime/Plan.h"

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
