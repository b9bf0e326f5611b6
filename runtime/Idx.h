// Reader of IDX files (the MNIST family's format), plain or gzip-compressed.
#ifndef AXON_RUNTIME_IDX_H
#define AXON_RUNTIME_IDX_H

#include "runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace axon {

/// Reads an unsigned-byte (0x08) IDX file as an I32 tensor of the file's
/// shape, e.g. [60000, 28, 28] or [60000]. A path ending in ".gz" must be
/// gzip-compressed; any other path may be raw or gzip. Errors start with the
/// path and say what is wrong: cannot open, not gzip, truncated or corrupt
/// gzip stream, bad magic, unsupported element type, or a payload whose size
/// differs from what the dimensions promise.
llvm::Expected<Tensor> readIdx(llvm::StringRef path);

} // namespace axon

#endif // AXON_RUNTIME_IDX_H
