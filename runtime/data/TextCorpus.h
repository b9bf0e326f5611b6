// The text a text source trains on: files read as UTF-8 code points, and
// the fortunes corpus (Debian's `fortunes` and `fortunes-min` packages).
#ifndef AXON_RUNTIME_DATA_TEXTCORPUS_H
#define AXON_RUNTIME_DATA_TEXTCORPUS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// The name a model file gives the fortunes corpus: `text("fortunes")`.
constexpr const char *kFortunesName = "fortunes";
/// Where Debian installs the fortune files.
constexpr const char *kFortunesDir = "/usr/share/games/fortunes";

/// The fortune files that make the corpus, in the order they are read: every
/// file of the `fortunes` and `fortunes-min` packages (Debian 12, 1.99.1)
/// except `ascii-art` (pictures, not prose), 2.57 MB of English, all ASCII.
/// Not the .dat indexes, not the .u8 links (the same files), not the
/// `off/` directory of `fortunes-off` nor the files of other languages'
/// fortune packages, so the corpus does not change with what else is
/// installed.
llvm::ArrayRef<const char *> fortuneFileNames();

/// The paths of fortuneFileNames() in `dir`.
std::vector<std::string> fortuneFiles(llvm::StringRef dir = kFortunesDir);

/// A text file's bytes. Errors name the file and why: it cannot be read or
/// is not a regular file, it is empty, it holds a NUL byte (binary, not
/// text), or it is not valid UTF-8 (with the line and column of the first
/// bad byte).
llvm::Expected<std::string> readTextFile(llvm::StringRef path);

/// `bytes` (valid UTF-8) as Unicode code points.
std::vector<uint32_t> codePoints(llvm::StringRef bytes);
/// Code point `c` as UTF-8 (U+FFFD for a value that is not one).
std::string utf8(uint32_t c);

/// A fortune file's records (separated by lines holding just "%"), each
/// followed by one empty line: the "%" lines, and records with nothing in
/// them, are dropped. Lines read as a terminal shows them: backspace
/// overstrikes ("____\b\b\b\bBODY", 311 backspaces in the corpus) keep the
/// last character of each column, and BEL and the other control characters
/// but tab and CR are dropped.
std::string fortuneRecords(llvm::StringRef fileText);

/// The text of `sources`, in order: "fortunes" stands for the fortune files
/// (read as records), any other name is a plain UTF-8 text file, read as it
/// is. Errors name the file (readTextFile's); a missing fortune file says
/// to install the `fortunes` package (scripts/setup.sh).
llvm::Expected<std::string>
readCorpus(llvm::ArrayRef<std::string> sources,
           llvm::StringRef fortunesDir = kFortunesDir);

} // namespace axon

#endif // AXON_RUNTIME_DATA_TEXTCORPUS_H
