// Reader of IDX files (the MNIST family's format), plain or gzip-compressed.
#ifndef AXON_RUNTIME_IDX_H
#define AXON_RUNTIME_IDX_H

#include "runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace axon {

/// Reads an unsigned-byte IDX file (`.gz` or raw) as an I32 tensor of the
/// file's shape. Errors name the file and what is wrong with it.
llvm::Expected<Tensor> readIdx(llvm::StringRef path);

} // namespace axon

#endif // AXON_RUNTIME_IDX_H
