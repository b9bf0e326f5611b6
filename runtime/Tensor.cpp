// Host tensor helpers (see Tensor.h).
#include "runtime/Tensor.h"

#include <cassert>
#include <cmath>

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

bool isFloat(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }

double roundTo(DType dtype, double v) {
  switch (dtype) {
  case DType::F32: return static_cast<double>(static_cast<float>(v));
  case DType::F64: return v;
  case DType::I1: return v != 0.0 ? 1.0 : 0.0;
  case DType::I32: return static_cast<double>(static_cast<int32_t>(std::trunc(v)));
  case DType::I64: return static_cast<double>(static_cast<int64_t>(std::trunc(v)));
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
    n *= d;
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

std::string Tensor::typeString() const {
  return dtypeName(dtype) + shapeString(shape);
}

} // namespace axon
