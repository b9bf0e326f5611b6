// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// Supported: little-endian <f4 <f8 <i4 <i8, |b1, and |u1 (read as i32),
// C order only. Every error names the file and what is wrong with it.
#ifndef AXON_RUNTIME_IO_NPY_H
#define AXON_RUNTIME_IO_NPY_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace axon {

/// Reads a .npy file into a host tensor. Only regular files are read
/// (devices, FIFOs and directories are refused), and the data must be
/// exactly the size the header's shape and dtype declare, checked before
/// anything is allocated.
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
/// Writes `tensor` as a version 1.0 .npy file (2.0 if the header needs it):
/// f32 as <f4, f64 as <f8, i32 as <i4, i64 as <i8, i1 as |b1.
llvm::Error writeNpy(llvm::StringRef path, const Tensor &tensor);

} // namespace axon

#endif // AXON_RUNTIME_IO_NPY_H
