// Numeric CSV reader (see Csv.h).
#include "runtime/io/Csv.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace axon;

namespace {

llvm::StringRef cleanField(llvm::StringRef f) {
  f = f.trim();
  if (f.size() >= 2 && f.front() == '"' && f.back() == '"')
    f = f.drop_front().drop_back().trim();
  return f;
}

bool parseNumber(llvm::StringRef f, double &out) {
  // getAsDouble returns true on failure and accepts no trailing junk.
  return !f.empty() && !f.getAsDouble(out);
}

} // namespace

llvm::Expected<CsvTable> axon::readCsv(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(path + ": cannot open: " +
                                   buffer.getError().message());
  CsvTable table;
  table.values.dtype = DType::F64;
  int64_t columns = -1, rows = 0;
  llvm::StringRef rest = (*buffer)->getBuffer();
  for (int64_t lineNo = 1; !rest.empty(); ++lineNo) {
    auto [line, tail] = rest.split('\n');
    rest = tail;
    line = line.rtrim("\r");
    if (line.trim().empty())
      continue;
    llvm::SmallVector<llvm::StringRef> fields;
    line.split(fields, ',', -1, /*KeepEmpty=*/true);
    auto where = [&] {
      return (path + ":" + llvm::Twine(lineNo) + ": ").str();
    };
    if (columns >= 0 && int64_t(fields.size()) != columns)
      return llvm::createStringError(where() + "expected " +
                                     llvm::Twine(columns) + " fields, got " +
                                     llvm::Twine(fields.size()));
    llvm::SmallVector<double> numbers;
    for (size_t c = 0; c < fields.size(); ++c) {
      double v;
      if (parseNumber(cleanField(fields[c]), v)) {
        numbers.push_back(v);
        continue;
      }
      if (columns < 0) { // The first line has a name: it is the header.
        for (llvm::StringRef f : fields)
          table.header.push_back(cleanField(f).str());
        break;
      }
      return llvm::createStringError(
          where() + "column " + llvm::Twine(c + 1) + ": '" +
          cleanField(fields[c]) + "' is not a number");
    }
    if (columns < 0)
      columns = int64_t(fields.size());
    if (!table.header.empty() && numbers.size() != fields.size())
      continue; // The header line itself.
    table.values.data.insert(table.values.data.end(), numbers.begin(), numbers.end());
    table.lines.push_back(lineNo);
    ++rows;
  }
  if (rows == 0)
    return llvm::createStringError(path + ": no data rows");
  table.values.shape = {rows, columns};
  return table;
}
