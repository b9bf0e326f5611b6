// Text files and the fortunes corpus (see TextCorpus.h).
#include "runtime/data/TextCorpus.h"

#include "runtime/io/AtomicFile.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace axon;

llvm::ArrayRef<const char *> axon::fortuneFileNames() {
  // fortunes-min: fortunes, literature, riddles; the rest: fortunes.
  static const char *const kNames[] = {
      "art",        "computers", "cookie",      "debian",        "definitions",
      "disclaimer", "drugs",     "education",   "ethnic",        "food",
      "fortunes",   "goedel",    "humorists",   "kids",          "knghtbrd",
      "law",        "linux",     "linuxcookie", "literature",    "love",
      "magic",      "medicine",  "men-women",   "miscellaneous", "news",
      "paradoxum",  "people",    "perl",        "pets",          "platitudes",
      "politics",   "pratchett", "riddles",     "science",       "songs-poems",
      "sports",     "startrek",  "tao",         "translate-me",  "wisdom",
      "work",       "zippy"};
  return kNames;
}

std::vector<std::string> axon::fortuneFiles(llvm::StringRef dir) {
  std::vector<std::string> paths;
  for (const char *name : fortuneFileNames()) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    paths.push_back(std::string(p));
  }
  return paths;
}

llvm::Expected<std::string> axon::readTextFile(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(path + ": " + why);
  };
  // `path:line:col: why`, as a compiler points at a place in a file.
  auto errorAt = [&](const std::string &place, const llvm::Twine &why) {
    return llvm::createStringError(path + ":" + place + why);
  };
  auto size = regularFileSize(path);
  if (!size)
    return size.takeError();
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.empty())
    return error("is empty; a text source needs some text");
  // Where byte `offset` is, as line:col (columns in bytes, from 1).
  auto at = [&](size_t offset) {
    llvm::StringRef before = bytes.take_front(offset);
    size_t lineStart = before.rfind('\n');
    size_t col =
        lineStart == llvm::StringRef::npos ? offset + 1 : offset - lineStart;
    return (llvm::Twine(before.count('\n') + 1) + ":" + llvm::Twine(col)).str();
  };
  if (size_t nul = bytes.find('\0'); nul != llvm::StringRef::npos)
    return errorAt(at(nul), ": holds a NUL byte (offset " + llvm::Twine(nul) +
                                "): a binary file, not text");
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(bytes.data());
  const llvm::UTF8 *cursor = begin;
  if (!llvm::isLegalUTF8String(&cursor, begin + bytes.size())) {
    size_t bad = cursor - begin;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", unsigned(uint8_t(bytes[bad])));
    return errorAt(at(bad), llvm::Twine(": not UTF-8 text (byte ") + hex +
                                " at offset " + llvm::Twine(bad) +
                                " does not start a valid sequence)");
  }
  return bytes.str();
}

std::vector<uint32_t> axon::codePoints(llvm::StringRef bytes) {
  std::vector<uint32_t> out(bytes.size());
  const auto *source = reinterpret_cast<const llvm::UTF8 *>(bytes.data());
  llvm::UTF32 *target = reinterpret_cast<llvm::UTF32 *>(out.data());
  // Lenient: readTextFile has checked the bytes; a caller's bad sequence
  // becomes U+FFFD instead of stopping the conversion.
  llvm::ConvertUTF8toUTF32(&source, source + bytes.size(), &target,
                           target + out.size(), llvm::lenientConversion);
  out.resize(reinterpret_cast<uint32_t *>(target) - out.data());
  return out;
}

std::string axon::utf8(uint32_t c) {
  char bytes[UNI_MAX_UTF8_BYTES_PER_CODE_POINT];
  char *end = bytes;
  if (!llvm::ConvertCodePointToUTF8(c, end))
    return "\xEF\xBF\xBD"; // U+FFFD
  return std::string(bytes, end);
}

namespace {

/// A line as a terminal shows it: a backspace steps back one character and
/// the next one written takes its column (the last character written to a
/// column stays, as `col -b` keeps it: "_\bx" and "x\bx" show "x"); other
/// control characters (BEL) show nothing, tabs and carriage returns stay.
std::string overstruck(llvm::StringRef line) {
  if (line.find_if([](char c) {
        return uint8_t(c) < 0x20 && c != '\t' && c != '\r';
      }) == llvm::StringRef::npos)
    return line.str();
  std::vector<uint32_t> shown;
  size_t column = 0;
  for (uint32_t c : codePoints(line)) {
    if (c == '\b') {
      column -= column > 0;
    } else if (c >= 0x20 || c == '\t' || c == '\r') {
      if (column < shown.size())
        shown[column] = c;
      else
        shown.push_back(c);
      ++column;
    }
  }
  std::string out;
  for (uint32_t c : shown)
    out += utf8(c);
  return out;
}

} // namespace

std::string axon::fortuneRecords(llvm::StringRef fileText) {
  std::string out, record;
  auto flush = [&] {
    if (record.find_first_not_of(" \t\n") != std::string::npos)
      out += record + "\n";
    record.clear();
  };
  while (!fileText.empty()) {
    auto [line, rest] = fileText.split('\n');
    fileText = rest;
    if (line.rtrim("\r") == "%")
      flush();
    else
      record += overstruck(line) + "\n";
  }
  flush();
  return out;
}

llvm::Expected<std::string>
axon::readCorpus(llvm::ArrayRef<std::string> sources,
                 llvm::StringRef fortunesDir) {
  if (sources.empty())
    return llvm::createStringError("a text source needs a file, or \"" +
                                   llvm::Twine(kFortunesName) + "\"");
  std::string text;
  for (const std::string &source : sources) {
    if (source != kFortunesName) {
      auto file = readTextFile(source);
      if (!file)
        return file.takeError();
      text += *file;
      continue;
    }
    for (const std::string &path : fortuneFiles(fortunesDir)) {
      if (!llvm::sys::fs::exists(path))
        return llvm::createStringError(
            path + ": missing; the \"fortunes\" corpus is Debian's fortunes "
                   "package (apt-get install fortunes, or scripts/setup.sh)");
      auto file = readTextFile(path);
      if (!file)
        return file.takeError();
      text += fortuneRecords(*file);
    }
  }
  return text;
}
