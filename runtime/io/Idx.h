// Reader of IDX files (the MNIST family's format), plain or gzip-compressed.
#ifndef AXON_RUNTIME_IO_IDX_H
#define AXON_RUNTIME_IO_IDX_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace axon {

/// Reads an unsigned-byte (0x08) IDX file as an I32 tensor of the file's
/// shape, e.g. [60000, 28, 28] or [60000]. A path ending in ".gz" must be
/// gzip-compressed; any other path may be raw or gzip. Errors start with the
/// path and say what is wrong: cannot open, not gzip, truncated or corrupt
/// gzip stream, bad magic, unsupported element type, or a payload whose size
/// differs from what the dimensions promise.
/// Only regular files are read; the dimensions are checked against the
/// file's size (a raw file holds exactly what they promise, a gzip file at
/// most 1032 bytes per byte) and the machine's memory before any element
/// is read, and decompression stops at the promised size.
llvm::Expected<Tensor> readIdx(llvm::StringRef path);

/// An unsigned-byte IDX file's shape and elements, as stored.
struct IdxBytes {
  std::vector<int64_t> shape;
  std::vector<unsigned char> values; ///< Row-major, one byte per element.
};

/// readIdx's file as its bytes (an eighth of the memory of a Tensor's
/// doubles); the same checks and errors.
llvm::Expected<IdxBytes> readIdxBytes(llvm::StringRef path);

/// What an IDX file's header declares.
struct IdxHeader {
  std::vector<int64_t> shape;
  bool gzip = false;
};

/// Reads and checks only the header of an IDX file (the same checks and
/// errors as readIdx up to the elements; nothing is decompressed past it).
llvm::Expected<IdxHeader> readIdxHeader(llvm::StringRef path);

/// Checks, from the two headers alone, that `inputs` and `labels` declare
/// the same number of samples (their first dimensions), so a mismatch is
/// reported before either payload is decompressed. The error is
/// "INPUTS holds N samples but LABELS holds M labels".
llvm::Error checkIdxPair(llvm::StringRef inputs, llvm::StringRef labels);

} // namespace axon

#endif // AXON_RUNTIME_IO_IDX_H
