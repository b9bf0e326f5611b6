// A host tensor: element type, shape and values, for file I/O and the
// reference evaluator.
//
// Values are held as doubles whatever the element type: every f32, i32 and
// i64 value of interest (|i| < 2^53) is exact in a double, and one storage
// type keeps the oracle's loops plain. The compiled runtime uses typed
// arena buffers instead.
#ifndef AXON_RUNTIME_CORE_TENSOR_H
#define AXON_RUNTIME_CORE_TENSOR_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace axon {

enum class DType { F32, F64, I1, I32, I64 };

/// "f32", "f64", "i1", "i32", "i64".
const char *dtypeName(DType dtype);
/// The DType that `nameOf` names `name` (by default dtypeName's names), or
/// nullopt: the one parser of every file format's element-type names.
std::optional<DType> dtypeNamed(std::string_view name,
                                const char *(*nameOf)(DType) = dtypeName);
/// "f32[2, 3]".
std::string typeString(DType dtype, const std::vector<int64_t> &shape);
/// A number as a person writes it, for messages and labels: 9, 0.5, 1e-05.
std::string numberText(double v);
bool isFloat(DType dtype);
/// Rounds `v` to what an element of `dtype` can hold (f32 rounding, integer
/// truncation toward zero, i1 to 0/1). Defined for every double: NaN
/// becomes integer 0, out-of-range values saturate.
double roundTo(DType dtype, double v);

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data; ///< Row-major, numElements() values.

  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape, double fill = 0.0);
  Tensor(DType dtype, std::vector<int64_t> shape, std::vector<double> data);

  /// The product of the extents; INT64_MAX when it overflows (so an
  /// allocation of it fails loudly instead of wrapping to a small size).
  static int64_t numElements(const std::vector<int64_t> &shape);
  int64_t numElements() const { return numElements(shape); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// Row-major strides of `shape`, in elements.
  std::vector<int64_t> strides() const;
  /// "f32[2, 3]".
  std::string typeString() const;
  /// "[2, 3]".
  static std::string shapeString(const std::vector<int64_t> &shape);
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_TENSOR_H
