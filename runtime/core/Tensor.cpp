// Host tensor helpers (see Tensor.h).
#include "runtime/core/Tensor.h"

#include <cassert>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace axon {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I1: return "i1";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  }
  return "?";
}

std::optional<DType> dtypeNamed(std::string_view name,
                                const char *(*nameOf)(DType)) {
  for (DType d : {DType::F32, DType::F64, DType::I1, DType::I32, DType::I64})
    if (name == nameOf(d))
      return d;
  return std::nullopt;
}

bool isFloat(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }

double roundTo(DType dtype, double v) {
  switch (dtype) {
  case DType::F32: return static_cast<double>(static_cast<float>(v));
  case DType::F64: return v;
  case DType::I1: return v != 0.0 ? 1.0 : 0.0;
  // Defined for every double (a plain cast of NaN, inf or 1e300 is UB):
  // NaN becomes 0, values beyond the range saturate. Refusing such values
  // is the data loaders' job.
  case DType::I32:
    if (std::isnan(v))
      return 0.0;
    return std::trunc(std::clamp(v, -2147483648.0, 2147483647.0));
  case DType::I64:
    if (std::isnan(v))
      return 0.0;
    // INT64_MAX is not a double; the largest i64 that is: 2^63 - 1024.
    return std::trunc(std::clamp(v, -9223372036854775808.0,
                                 9223372036854774784.0));
  }
  return v;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, double fill)
    : dtype(dtype), shape(std::move(shape)) {
  data.assign(numElements(), fill);
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, std::vector<double> data)
    : dtype(dtype), shape(std::move(shape)), data(std::move(data)) {
  assert(static_cast<int64_t>(this->data.size()) == numElements());
}

int64_t Tensor::numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n))
      return std::numeric_limits<int64_t>::max();
  return n;
}

std::vector<int64_t> Tensor::strides() const {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = rank() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::string Tensor::shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string typeString(DType dtype, const std::vector<int64_t> &shape) {
  return dtypeName(dtype) + Tensor::shapeString(shape);
}

std::string numberText(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string Tensor::typeString() const { return axon::typeString(dtype, shape); }

} // namespace axon
