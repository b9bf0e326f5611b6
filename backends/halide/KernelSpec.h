// A fused kernel as plain data: the contract between the MLIR side (which
// extracts it from an axon.kernel op) and the Halide backend (which builds a
// pipeline from it). No MLIR, LLVM or Halide types appear here, so the two
// sides never share a header with the other's LLVM.
#ifndef AXON_BACKENDS_HALIDE_KERNELSPEC_H
#define AXON_BACKENDS_HALIDE_KERNELSPEC_H

#include "ir/OpFamily.h"
#include "runtime/core/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace axon::kernel {

/// The fusion rule that formed a kernel: axon::KernelKind (ODS), value for
/// value (PlanBuilder.cpp checks they agree).
enum class KernelKind { Injective, Reduction, Contraction, Window, Single };

/// axon.cmp's predicate, in OpSpec::ints["predicate"]: axon::CmpPredicate
/// (ODS), value for value (PlanBuilder.cpp checks they agree).
enum class CmpPredicate : int64_t { Eq, Ne, Lt, Le, Gt, Ge };

/// Element type and static shape of a kernel input or op result.
struct TensorDesc {
  DType dtype = DType::F32;
  std::vector<int64_t> shape; ///< Outermost first, as in the dialect.
};

/// One op of the kernel body. Operands and the result are value ids: ids
/// 0..inputs-1 are the kernel's inputs, id inputs+i is the result of ops[i].
struct OpSpec {
  std::string name;          ///< Dialect op name without "axon.": "add".
  OpFamily family = OpFamily::ElementwiseUnary; ///< As declared in ODS.
  std::vector<int> operands; ///< Value ids, in the op's operand order.
  TensorDesc result;
  /// Integer, boolean (0/1), enum (as its integer) and integer-array
  /// attributes by their ODS name: axes, perm, axis, keepdims, strides,
  /// padding, dilations, groups, depth, predicate, seed, ...
  std::map<std::string, std::vector<int64_t>> ints;
  /// Floating-point attributes by ODS name (random ops' low/high/...).
  std::map<std::string, double> floats;
  /// axon.constant's values, row-major; one value for a splat.
  std::vector<double> values;
  /// Where the op comes from in the model file ("model.axon:4:12"), for
  /// the errors a kernel reports at run time (a gather index out of range).
  std::string location;

  int64_t getInt(const std::string &key, int64_t otherwise = 0) const {
    auto it = ints.find(key);
    return it == ints.end() || it->second.empty() ? otherwise : it->second[0];
  }
};

struct KernelSpec {
  std::string name; ///< Unique in the program; also the generated symbol.
  KernelKind kind = KernelKind::Injective; ///< See axon.kernel.
  std::vector<TensorDesc> inputs;
  std::vector<OpSpec> ops;  ///< In dependency order.
  std::vector<int> outputs; ///< Value ids the kernel writes, in order.

  int numValues() const { return int(inputs.size() + ops.size()); }
  const TensorDesc &type(int value) const {
    return value < int(inputs.size()) ? inputs[value]
                                      : ops[value - inputs.size()].result;
  }
};

/// Whether `k` is a lone dynamic_update_row yielding its result, the target
/// a kernel input: compiled, it writes just the row into an output buffer
/// that must already hold the target (PlanBuilder copies the target there
/// unless axon-plan-memory gave both one buffer), so a step of a loop that
/// stores a row costs O(row), not O(rows x row).
inline bool writesRowInPlace(const KernelSpec &k) {
  int inputs = int(k.inputs.size());
  return k.ops.size() == 1 && k.ops[0].name == "dynamic_update_row" &&
         k.ops[0].operands.size() == 3 && k.ops[0].operands[0] < inputs &&
         k.ops[0].operands[2] != k.ops[0].operands[0] && k.outputs.size() == 1 &&
         k.outputs[0] == inputs;
}

} // namespace axon::kernel

#endif // AXON_BACKENDS_HALIDE_KERNELSPEC_H
