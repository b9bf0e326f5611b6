// What kind of computation an axon op is. Every op declares its family in
// ODS (the Axon_*Family traits of AxonInterfaces.td); passes, the reference
// evaluator and the backends read it instead of keeping lists of ops.
// Plain C++, so the Halide side of the KernelSpec boundary can use it too.
#ifndef AXON_IR_OPFAMILY_H
#define AXON_IR_OPFAMILY_H

namespace axon {

enum class OpFamily {
  ElementwiseUnary,  ///< Math on one operand, same type in and out (exp, ...).
  ElementwiseBinary, ///< Two operands broadcast numpy-style (add, cmp, ...).
  Selection,         ///< cond ? a : b, all three broadcast (select).
  Conversion,        ///< Element type or shape-form change (cast).
  DataMovement,      ///< Result elements read at other coordinates (transpose, gather, ...).
  Constant,          ///< Values from attributes alone (constant, fill).
  Random,            ///< Counter-based random draws.
  Reduction,         ///< Reductions and normalisations over axes.
  Contraction,       ///< Matmul and convolutions.
  Window,            ///< Pooling and its gradients.
  Scatter,           ///< Accumulation at run-time indices (scatter_add).
  Scan,              ///< Recurrences along an axis (scan).
  ShapeQuery,        ///< An extent of its operand (dim).
  State,             ///< Parameters and the training configuration.
  Control,           ///< Loops, kernels and their terminators.
};

/// The number of families, for code that visits each of them.
inline constexpr int kNumOpFamilies = int(OpFamily::Control) + 1;

/// The family's name as written in ODS ("ElementwiseUnary"), for messages.
inline const char *opFamilyName(OpFamily f) {
  switch (f) {
  case OpFamily::ElementwiseUnary: return "ElementwiseUnary";
  case OpFamily::ElementwiseBinary: return "ElementwiseBinary";
  case OpFamily::Selection: return "Selection";
  case OpFamily::Conversion: return "Conversion";
  case OpFamily::DataMovement: return "DataMovement";
  case OpFamily::Constant: return "Constant";
  case OpFamily::Random: return "Random";
  case OpFamily::Reduction: return "Reduction";
  case OpFamily::Contraction: return "Contraction";
  case OpFamily::Window: return "Window";
  case OpFamily::Scatter: return "Scatter";
  case OpFamily::Scan: return "Scan";
  case OpFamily::ShapeQuery: return "ShapeQuery";
  case OpFamily::State: return "State";
  case OpFamily::Control: return "Control";
  }
  return "?";
}

} // namespace axon

#endif // AXON_IR_OPFAMILY_H
