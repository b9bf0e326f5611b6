// safetensors checkpoints (see Checkpoint.h).
#include "runtime/io/Checkpoint.h"

#include "runtime/io/AtomicFile.h"
#include "runtime/core/Plan.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <tuple>
#include <optional>
#include <set>

using namespace axon;
namespace json = llvm::json;
namespace endian = llvm::support::endian;
using llvm::endianness;

namespace {

const char *const kAxonFormat = "axon-checkpoint-1";
/// Limits on a header, checked before it is parsed: its size (a checkpoint
/// of 100,000 tensors needs about 10 MB) and how deep arrays and objects
/// nest (3 in a checkpoint; LLVM's parser recurses once per level).
constexpr uint64_t kMaxHeaderBytes = 100 << 20;
constexpr size_t kMaxHeaderDepth = 64;

const char *safetensorsDType(DType d) {
  switch (d) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I1:
    return "BOOL";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  }
  return "F32";
}

/// Little-endian bytes of `t`'s elements.
std::string bytesOf(const Tensor &t) {
  std::string out(t.numElements() * dtypeBytes(t.dtype), '\0');
  char *p = out.data();
  for (double v : t.data) {
    switch (t.dtype) {
    case DType::F32:
      endian::write<float, endianness::little>(p, float(v));
      break;
    case DType::F64:
      endian::write<double, endianness::little>(p, v);
      break;
    case DType::I32:
      endian::write<int32_t, endianness::little>(p, int32_t(v));
      break;
    case DType::I64:
      endian::write<int64_t, endianness::little>(p, int64_t(v));
      break;
    case DType::I1:
      *p = v != 0;
      break;
    }
    p += dtypeBytes(t.dtype);
  }
  return out;
}

double readElement(DType d, const char *p) {
  switch (d) {
  case DType::F32:
    return endian::read<float, endianness::little>(p);
  case DType::F64:
    return endian::read<double, endianness::little>(p);
  case DType::I32:
    return endian::read<int32_t, endianness::little>(p);
  case DType::I64:
    return double(endian::read<int64_t, endianness::little>(p));
  case DType::I1:
    return *p != 0;
  }
  return 0;
}

} // namespace

const Tensor *Checkpoint::find(llvm::StringRef name) const {
  for (const auto &[n, t] : tensors)
    if (n == name)
      return &t;
  return nullptr;
}

llvm::Error
axon::writeCheckpoint(llvm::StringRef path, const Checkpoint &checkpoint,
                      const std::function<void(size_t)> &afterEachTensor) {
  json::Object header;
  int64_t offset = 0;
  for (const auto &[name, t] : checkpoint.tensors) {
    int64_t size = t.numElements() * dtypeBytes(t.dtype);
    header[name] = json::Object{{"dtype", safetensorsDType(t.dtype)},
                                {"shape", json::Array(t.shape)},
                                {"data_offsets", json::Array{offset, offset + size}}};
    offset += size;
  }
  if (!checkpoint.metadata.empty()) {
    json::Object meta;
    for (const auto &[k, v] : checkpoint.metadata)
      meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  std::string headerText;
  llvm::raw_string_ostream(headerText) << json::Value(std::move(header));
  // The data section starts 8-byte aligned; the format allows trailing
  // spaces in the header.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');

  return writeAtomically(path, "checkpoint", [&](llvm::raw_fd_ostream &os) {
    char length[8];
    endian::write<uint64_t, endianness::little>(length, headerText.size());
    os.write(length, 8);
    os << headerText;
    for (size_t i = 0; i < checkpoint.tensors.size(); ++i) {
      os << bytesOf(checkpoint.tensors[i].second);
      if (afterEachTensor) {
        os.flush();
        afterEachTensor(i);
      }
    }
  });
}

namespace {

/// The deepest nesting of arrays and objects in JSON `text` (strings
/// skipped), so that a header of 100,000 '[' is refused before the
/// recursive parser sees it.
size_t jsonDepth(llvm::StringRef text) {
  size_t depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (inString) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        inString = false;
    } else if (ch == '"') {
      inString = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// Checks the metadata of an Axon training checkpoint: each known key with
/// its type. Returns why not, naming the key.
std::optional<std::string>
badMetadata(const std::map<std::string, std::string> &meta) {
  auto it = meta.find("format");
  if (it == meta.end() || it->second != kAxonFormat)
    return std::nullopt; // another writer's keys are not ours to judge
  // Integers in [0, 2^53]: counts and positions a run can reach.
  for (const char *key : {"epoch", "step", "global_step", "batch",
                          "train_samples", "shuffle", "seed"}) {
    auto f = meta.find(key);
    if (f == meta.end())
      continue;
    llvm::StringRef text = f->second;
    if (llvm::StringRef(key) != "seed") {
      int64_t v;
      if (text.getAsInteger(10, v) || v < 0 || v > (int64_t(1) << 53) ||
          (llvm::StringRef(key) == "shuffle" && v > 1))
        return "__metadata__." + std::string(key) + " is \"" + f->second +
               "\", not " +
               (llvm::StringRef(key) == "shuffle"
                    ? "0 or 1"
                    : "an integer from 0 to 2^53");
    } else {
      uint64_t v;
      if (text.getAsInteger(10, v))
        return "__metadata__.seed is \"" + f->second +
               "\", not an unsigned 64-bit integer";
    }
  }
  auto f = meta.find("loss_sum");
  if (f != meta.end()) {
    // A C99 number ("%a" as written, decimal accepted), nothing after it.
    const char *begin = f->second.c_str();
    char *end = nullptr;
    std::strtod(begin, &end);
    if (f->second.empty() || end != begin + f->second.size() ||
        std::isspace(static_cast<unsigned char>(f->second[0])))
      return "__metadata__.loss_sum is \"" + f->second + "\", not a number";
  }
  return std::nullopt;
}

} // namespace

llvm::Expected<Checkpoint> axon::readCheckpoint(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(path + ": " + why);
  };
  // Devices (/dev/zero) and pipes would be read without end.
  auto fileSize = regularFileSize(path);
  if (!fileSize)
    return fileSize.takeError();
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 8)
    return error("not a safetensors file (" + llvm::Twine(bytes.size()) +
                 " bytes, shorter than the 8-byte header length)");
  uint64_t headerSize = endian::read<uint64_t, endianness::little>(bytes.data());
  if (headerSize > bytes.size() - 8)
    return error("truncated: the header claims " + llvm::Twine(headerSize) +
                 " bytes but the file has " + llvm::Twine(bytes.size() - 8) +
                 " after the length");
  if (headerSize > kMaxHeaderBytes)
    return error("the header claims " + llvm::Twine(headerSize) +
                 " bytes, more than the " + llvm::Twine(kMaxHeaderBytes) +
                 " a checkpoint header may have");
  llvm::StringRef headerText = bytes.substr(8, headerSize);
  if (size_t depth = jsonDepth(headerText); depth > kMaxHeaderDepth)
    return error("the header nests arrays or objects " + llvm::Twine(depth) +
                 " deep, more than the " + llvm::Twine(kMaxHeaderDepth) +
                 " allowed (a checkpoint header needs 3)");
  llvm::StringRef data = bytes.drop_front(8 + headerSize);
  auto parsed = json::parse(headerText);
  if (!parsed)
    return error("the header is not JSON: " +
                 llvm::toString(parsed.takeError()));
  const json::Object *header = parsed->getAsObject();
  if (!header)
    return error("the header is not a JSON object");

  Checkpoint c;
  // Tensors in data order, so the file's layout is kept on a rewrite.
  struct Found {
    int64_t begin, end;
    std::string name;
    Tensor tensor;
  };
  std::vector<Found> found;
  for (const auto &[key, value] : *header) {
    std::string name = key.str();
    if (name == "__metadata__") {
      const json::Object *meta = value.getAsObject();
      if (!meta)
        return error("__metadata__ is not an object");
      for (const auto &[k, v] : *meta) {
        auto s = v.getAsString();
        if (!s)
          return error("__metadata__." + k.str() + " is not a string");
        c.metadata[k.str()] = s->str();
      }
      continue;
    }
    const json::Object *o = value.getAsObject();
    auto dtypeName = o ? o->getString("dtype") : std::nullopt;
    const json::Array *shape = o ? o->getArray("shape") : nullptr;
    const json::Array *offsets = o ? o->getArray("data_offsets") : nullptr;
    if (!dtypeName || !shape || !offsets || offsets->size() != 2)
      return error("tensor '" + name +
                   "' needs dtype, shape and data_offsets [begin, end]");
    auto dtype = dtypeNamed(*dtypeName, safetensorsDType);
    if (!dtype)
      return error("tensor '" + name + "' has unsupported dtype " +
                   *dtypeName + " (F32, F64, I32, I64, BOOL)");
    Tensor t;
    t.dtype = *dtype;
    // The byte size, refusing shapes whose size overflows.
    int64_t size = dtypeBytes(t.dtype);
    for (const json::Value &d : *shape) {
      auto extent = d.getAsInteger();
      if (!extent || *extent < 0)
        return error("tensor '" + name + "' has a malformed shape");
      if (llvm::MulOverflow<int64_t>(size, *extent, size))
        return error("tensor '" + name + "': its shape's size overflows");
      t.shape.push_back(*extent);
    }
    auto begin = (*offsets)[0].getAsInteger(), end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin ||
        uint64_t(*end) > data.size())
      return error("tensor '" + name + "': data offsets fall outside the " +
                   llvm::Twine(data.size()) + " data bytes (truncated?)");
    if (*end - *begin != size)
      return error("tensor '" + name + "': " + llvm::Twine(*end - *begin) +
                   " data bytes for " + dtypeName->str() + Tensor::shapeString(t.shape) +
                   ", which needs " + llvm::Twine(size));
    found.push_back({*begin, *end, name, std::move(t)});
  }
  if (auto why = badMetadata(c.metadata))
    return error(*why);

  // The tensors tile the data section, as safetensors requires: no two
  // share a byte, and no byte belongs to none.
  std::sort(found.begin(), found.end(), [](const Found &a, const Found &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  auto span = [](const Found &f) {
    return "'" + f.name + "' [" + std::to_string(f.begin) + ", " +
           std::to_string(f.end) + ")";
  };
  int64_t covered = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    const Found &f = found[i];
    if (f.begin < covered)
      return error("tensor " + span(f) + " overlaps tensor " +
                   span(found[i - 1]) + " in the data section");
    if (f.begin > covered)
      return error(llvm::Twine(f.begin - covered) + " data bytes " +
                   (i == 0 ? "before the first tensor " + span(f)
                           : "between tensors " + span(found[i - 1]) +
                                 " and " + span(f)) +
                   " belong to no tensor");
    covered = f.end;
  }
  if (uint64_t(covered) != data.size())
    return error(llvm::Twine(data.size() - covered) + " data bytes " +
                 (found.empty() ? std::string("but the header lists no tensor")
                                : "after the last tensor " + span(found.back()) +
                                      " belong to no tensor"));

  for (Found &f : found) {
    Tensor &t = f.tensor;
    t.data.resize(t.numElements());
    const char *p = data.data() + f.begin;
    for (double &v : t.data) {
      v = readElement(t.dtype, p);
      p += dtypeBytes(t.dtype);
    }
    c.tensors.push_back({std::move(f.name), std::move(t)});
  }
  return c;
}

llvm::Expected<Checkpoint> axon::checkpointOf(const Model &model) {
  Checkpoint c;
  for (const std::string &name : model.paramNames()) {
    auto t = model.getParam(name);
    if (!t)
      return t.takeError();
    c.tensors.push_back({name, std::move(*t)});
  }
  return c;
}

llvm::Expected<std::vector<std::string>>
axon::paramMismatches(const Model &model, const Checkpoint &checkpoint,
                      const MayBeAbsent &mayBeAbsent) {
  std::vector<std::string> problems;
  std::vector<std::string> names = model.paramNames();
  std::set<std::string> known(names.begin(), names.end());
  for (const std::string &name : names) {
    auto current = model.getParam(name);
    if (!current)
      return current.takeError();
    const Tensor *saved = checkpoint.find(name);
    if (!saved && mayBeAbsent && mayBeAbsent(name))
      continue;
    if (!saved)
      problems.push_back(name + ": missing from the checkpoint (model has " +
                         current->typeString() + ")");
    else if (saved->dtype != current->dtype || saved->shape != current->shape)
      problems.push_back(name + ": checkpoint has " + saved->typeString() +
                         ", model has " + current->typeString());
  }
  for (const auto &[name, t] : checkpoint.tensors)
    if (!known.count(name))
      problems.push_back(name + ": in the checkpoint (" + t.typeString() +
                         ") but not a parameter of the model");
  return problems;
}

llvm::Error axon::restoreParams(Model &model, const Checkpoint &checkpoint,
                                llvm::StringRef path,
                                const MayBeAbsent &mayBeAbsent) {
  auto problems = paramMismatches(model, checkpoint, mayBeAbsent);
  if (!problems)
    return problems.takeError();
  if (!problems->empty()) {
    std::string msg = path.str() + ": does not match the model (" +
                      std::to_string(problems->size()) + " mismatch" +
                      (problems->size() == 1 ? "" : "es") + "):";
    for (const std::string &p : *problems)
      msg += "\n  " + p;
    return llvm::createStringError(msg);
  }
  for (const std::string &name : model.paramNames())
    if (const Tensor *saved = checkpoint.find(name))
      if (llvm::Error e = model.setParam(name, *saved))
        return e;
  return llvm::Error::success();
}
