// Reader of numeric CSV files: comma-separated numbers, one sample per
// line, an optional header line of column names.
#ifndef AXON_RUNTIME_IO_CSV_H
#define AXON_RUNTIME_IO_CSV_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace axon {

struct CsvTable {
  std::vector<std::string> header; ///< Empty when the file has none.
  Tensor values; ///< F64 [rows, columns].
  std::vector<int64_t> lines; ///< The file's line number (from 1) of each row.
};

/// Reads `path`. The first line is a header when any of its fields is not a
/// number. Fields may be surrounded by spaces or double quotes; blank lines
/// are skipped; CRLF line ends are accepted. Errors start with the path and
/// the line (`file:line: ...`): cannot open, no data rows, a row with a
/// different number of fields than the first, a field that is not a number
/// (quoted in the message, with its column). `nan`, `inf` and numbers too
/// large for a double (read as inf) are read as they are: callers check.
llvm::Expected<CsvTable> readCsv(llvm::StringRef path);

} // namespace axon

#endif // AXON_RUNTIME_IO_CSV_H
