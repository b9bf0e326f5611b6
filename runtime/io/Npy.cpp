// Reading and writing NumPy .npy files (see Npy.h).
//
// Layout: the magic "\x93NUMPY", major and minor version bytes, the header
// length (little-endian u16 in version 1, u32 in versions 2 and 3), then an
// ASCII Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a final '\n' so the data starts 64-byte aligned,
// then the raw elements in C order.
#include "runtime/io/Npy.h"

#include "runtime/io/AtomicFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <optional>

using llvm::StringRef;

namespace axon {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

/// How one element is stored in the file.
struct Storage {
  const char *descr;
  DType dtype;
  size_t itemSize;
};

constexpr Storage kStorages[] = {
    {"<f4", DType::F32, 4}, {"<f8", DType::F64, 8}, {"<i4", DType::I32, 4},
    {"<i8", DType::I64, 8}, {"|b1", DType::I1, 1},  {"|u1", DType::I32, 1},
};

std::optional<Storage> storageOf(StringRef descr) {
  for (const Storage &s : kStorages)
    if (descr == s.descr)
      return s;
  return std::nullopt;
}

llvm::Error fileError(StringRef path, const llvm::Twine &what) {
  return llvm::createStringError(path + ": " + what);
}

/// The parsed header dict: the three keys .npy files carry.
struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  bool hasDescr = false, hasFortranOrder = false, hasShape = false;
};

/// A recursive-descent parser for the small subset of Python literals an
/// .npy header uses: a dict of string keys whose values are strings,
/// booleans, integers or tuples of integers.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : text(text) {}

  /// Parses the dict into `header`; on failure returns why.
  std::optional<std::string> parse(Header &header) {
    skipSpace();
    if (!eat('{'))
      return std::string("expected '{'");
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return std::string("expected a quoted key");
      skipSpace();
      if (!eat(':'))
        return "expected ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (!parseString(header.descr))
          return std::string("'descr' must be a string");
        header.hasDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(header.fortranOrder))
          return std::string("'fortran_order' must be True or False");
        header.hasFortranOrder = true;
      } else if (key == "shape") {
        if (!parseTuple(header.shape))
          return std::string(
              "'shape' must be a tuple of non-negative integers");
        header.hasShape = true;
      } else {
        return "unexpected key '" + key + "'";
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return "expected ',' or '}' after the value of '" + key + "'";
    }
    skipSpace();
    if (pos != text.size())
      return std::string("unexpected text after the dict");
    if (!header.hasDescr || !header.hasFortranOrder || !header.hasShape)
      return std::string(
          "the dict must have 'descr', 'fortran_order' and 'shape'");
    return std::nullopt;
  }

private:
  StringRef text;
  size_t pos = 0;

  bool eat(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  void skipSpace() {
    while (pos < text.size() &&
           std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == StringRef::npos)
      return false;
    out = text.slice(pos, end).str();
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    if (text.substr(pos).starts_with("True")) {
      out = true, pos += 4;
      return true;
    }
    if (text.substr(pos).starts_with("False")) {
      out = false, pos += 5;
      return true;
    }
    return false;
  }
  bool parseInt(int64_t &out) {
    size_t start = pos;
    while (pos < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[pos])))
      ++pos;
    if (pos == start || text.slice(start, pos).getAsInteger(10, out))
      return false;
    eat('L'); // Python 2 longs: "(3L, 4L)".
    return true;
  }
  bool parseTuple(std::vector<int64_t> &out) {
    out.clear();
    if (!eat('('))
      return false;
    while (true) {
      skipSpace();
      if (eat(')'))
        return true;
      int64_t v;
      if (!parseInt(v))
        return false;
      out.push_back(v);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      return eat(')');
    }
  }
};

} // namespace

llvm::Expected<Tensor> readNpy(StringRef path) {
  // Devices (/dev/zero) and pipes would be read without end.
  auto fileSize = regularFileSize(path);
  if (!fileSize)
    return fileSize.takeError();
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot open: " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();

  if (bytes.size() < kMagicLen ||
      bytes.substr(0, kMagicLen) != StringRef(kMagic, kMagicLen))
    return fileError(path, "not an NPY file (bad magic)");
  if (bytes.size() < kMagicLen + 2)
    return fileError(path, "truncated header (no version)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  unsigned minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return fileError(path, "unsupported NPY version " + llvm::Twine(major) +
                               "." + llvm::Twine(minor));
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t prefix = kMagicLen + 2 + lenBytes;
  if (bytes.size() < prefix)
    return fileError(path, "truncated header (no header length)");
  uint64_t headerLen = major == 1
                           ? llvm::support::endian::read16le(bytes.data() + 8)
                           : llvm::support::endian::read32le(bytes.data() + 8);
  if (bytes.size() - prefix < headerLen)
    return fileError(path, "truncated header: " + llvm::Twine(headerLen) +
                               " bytes announced, " +
                               llvm::Twine(bytes.size() - prefix) + " present");

  Header header;
  HeaderParser parser(bytes.substr(prefix, headerLen));
  if (auto why = parser.parse(header))
    return fileError(path, "header parse error: " + *why);
  if (header.fortranOrder)
    return fileError(path,
                     "fortran_order arrays are not supported (C order only)");
  auto storage = storageOf(header.descr);
  if (!storage)
    return fileError(path, "unsupported dtype '" + header.descr +
                               "' (supported: <f4 <f8 <i4 <i8 |b1 |u1)");

  // Element count and byte size, refusing shapes whose size overflows.
  int64_t count = 1;
  for (int64_t d : header.shape)
    if (llvm::MulOverflow<int64_t>(count, d, count))
      return fileError(path, "header parse error: shape is too large");
  int64_t dataBytes;
  if (llvm::MulOverflow<int64_t>(count, static_cast<int64_t>(storage->itemSize),
                                 dataBytes))
    return fileError(path, "header parse error: shape is too large");
  // The declared size against the file's, before anything is allocated.
  StringRef data = bytes.substr(prefix + headerLen);
  if (data.size() < static_cast<uint64_t>(dataBytes))
    return fileError(path,
                     "truncated data: expected " + llvm::Twine(dataBytes) +
                         " bytes for " + llvm::Twine(count) + " elements of " +
                         header.descr + ", got " + llvm::Twine(data.size()));
  if (data.size() > static_cast<uint64_t>(dataBytes))
    return fileError(path, llvm::Twine(data.size() - dataBytes) +
                               " bytes after the " + llvm::Twine(dataBytes) +
                               " data bytes of " + llvm::Twine(count) +
                               " elements of " + header.descr +
                               " (the shape in the header is wrong?)");

  Tensor t(storage->dtype, header.shape);
  const char *p = data.data();
  for (int64_t i = 0; i < count; ++i) {
    const char *e = p + i * storage->itemSize;
    double v = 0;
    switch (storage->dtype) {
    case DType::F32:
      v = llvm::bit_cast<float>(llvm::support::endian::read32le(e));
      break;
    case DType::F64:
      v = llvm::bit_cast<double>(llvm::support::endian::read64le(e));
      break;
    case DType::I32:
      v = storage->itemSize == 1
              ? static_cast<double>(static_cast<unsigned char>(*e))
              : static_cast<double>(
                    static_cast<int32_t>(llvm::support::endian::read32le(e)));
      break;
    case DType::I64:
      v = static_cast<double>(
          static_cast<int64_t>(llvm::support::endian::read64le(e)));
      break;
    case DType::I1:
      v = *e != 0 ? 1.0 : 0.0;
      break;
    }
    t.data[i] = v;
  }
  return t;
}

llvm::Error writeNpy(StringRef path, const Tensor &tensor) {
  const char *descr = nullptr;
  size_t itemSize = 0;
  switch (tensor.dtype) {
  case DType::F32:
    descr = "<f4", itemSize = 4;
    break;
  case DType::F64:
    descr = "<f8", itemSize = 8;
    break;
  case DType::I32:
    descr = "<i4", itemSize = 4;
    break;
  case DType::I64:
    descr = "<i8", itemSize = 8;
    break;
  case DType::I1:
    descr = "|b1", itemSize = 1;
    break;
  }
  if (static_cast<int64_t>(tensor.data.size()) != tensor.numElements())
    return fileError(path, "cannot write " + tensor.typeString() +
                               ": it holds " + llvm::Twine(tensor.data.size()) +
                               " values");

  // The shape as a Python tuple: "()", "(3,)", "(2, 3)".
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(tensor.shape[i]);
  shape += tensor.shape.size() == 1 ? ",)" : ")";
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";

  // Pad with spaces and a final newline so the data starts 64-byte aligned.
  unsigned major = dict.size() + 1 + kMagicLen + 2 + 2 > 65535 ? 2 : 1;
  size_t prefix = kMagicLen + 2 + (major == 1 ? 2 : 4);
  size_t total = llvm::alignTo(prefix + dict.size() + 1, 64);
  std::string headerText =
      dict + std::string(total - prefix - dict.size() - 1, ' ') + "\n";

  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(major);
  out += '\0';
  char len[4];
  if (major == 1) {
    llvm::support::endian::write16le(len,
                                     static_cast<uint16_t>(headerText.size()));
    out.append(len, 2);
  } else {
    llvm::support::endian::write32le(len,
                                     static_cast<uint32_t>(headerText.size()));
    out.append(len, 4);
  }
  out += headerText;

  std::string data(tensor.data.size() * itemSize, '\0');
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    char *e = data.data() + i * itemSize;
    double v = roundTo(tensor.dtype, tensor.data[i]);
    switch (tensor.dtype) {
    case DType::F32:
      llvm::support::endian::write32le(
          e, llvm::bit_cast<uint32_t>(static_cast<float>(v)));
      break;
    case DType::F64:
      llvm::support::endian::write64le(e, llvm::bit_cast<uint64_t>(v));
      break;
    case DType::I32:
      llvm::support::endian::write32le(
          e, static_cast<uint32_t>(static_cast<int32_t>(v)));
      break;
    case DType::I64:
      llvm::support::endian::write64le(
          e, static_cast<uint64_t>(static_cast<int64_t>(v)));
      break;
    case DType::I1:
      *e = v != 0 ? 1 : 0;
      break;
    }
  }

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fileError(path, "cannot open for writing: " + ec.message());
  os << out << data;
  os.close();
  if (os.has_error()) {
    std::string why = os.error().message();
    os.clear_error();
    return fileError(path, "write failed: " + why);
  }
  return llvm::Error::success();
}

} // namespace axon
