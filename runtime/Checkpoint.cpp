// safetensors checkpoints (see Checkpoint.h).
#include "runtime/Checkpoint.h"

#include "runtime/AtomicFile.h"
#include "runtime/Plan.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <optional>
#include <set>

using namespace axon;
namespace json = llvm::json;
namespace endian = llvm::support::endian;
using llvm::endianness;

namespace {

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

std::optional<DType> dtypeOfSafetensors(llvm::StringRef s) {
  for (DType d : {DType::F32, DType::F64, DType::I1, DType::I32, DType::I64})
    if (s == safetensorsDType(d))
      return d;
  return std::nullopt;
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

llvm::Expected<Checkpoint> axon::readCheckpoint(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(path + ": " + why);
  };
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
  llvm::StringRef data = bytes.drop_front(8 + headerSize);
  auto parsed = json::parse(bytes.substr(8, headerSize));
  if (!parsed)
    return error("the header is not JSON: " +
                 llvm::toString(parsed.takeError()));
  const json::Object *header = parsed->getAsObject();
  if (!header)
    return error("the header is not a JSON object");

  Checkpoint c;
  // Tensors in data order, so the file's layout is kept on a rewrite.
  std::vector<std::pair<int64_t, std::pair<std::string, Tensor>>> found;
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
    auto dtype = dtypeOfSafetensors(*dtypeName);
    if (!dtype)
      return error("tensor '" + name + "' has unsupported dtype " +
                   *dtypeName + " (F32, F64, I32, I64, BOOL)");
    Tensor t;
    t.dtype = *dtype;
    for (const json::Value &d : *shape) {
      auto extent = d.getAsInteger();
      if (!extent || *extent < 0)
        return error("tensor '" + name + "' has a malformed shape");
      t.shape.push_back(*extent);
    }
    auto begin = (*offsets)[0].getAsInteger(), end = (*offsets)[1].getAsInteger();
    int64_t size = t.numElements() * dtypeBytes(t.dtype);
    if (!begin || !end || *begin < 0 || *end < *begin ||
        uint64_t(*end) > data.size())
      return error("tensor '" + name + "': data offsets fall outside the " +
                   llvm::Twine(data.size()) + " data bytes (truncated?)");
    if (*end - *begin != size)
      return error("tensor '" + name + "': " + llvm::Twine(*end - *begin) +
                   " data bytes for " + dtypeName->str() + Tensor::shapeString(t.shape) +
                   ", which needs " + llvm::Twine(size));
    t.data.resize(t.numElements());
    const char *p = data.data() + *begin;
    for (double &v : t.data) {
      v = readElement(t.dtype, p);
      p += dtypeBytes(t.dtype);
    }
    found.push_back({*begin, {name, std::move(t)}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (auto &f : found)
    c.tensors.push_back(std::move(f.second));
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
axon::paramMismatches(const Model &model, const Checkpoint &checkpoint) {
  std::vector<std::string> problems;
  std::vector<std::string> names = model.paramNames();
  std::set<std::string> known(names.begin(), names.end());
  for (const std::string &name : names) {
    auto current = model.getParam(name);
    if (!current)
      return current.takeError();
    const Tensor *saved = checkpoint.find(name);
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
                                llvm::StringRef path) {
  auto problems = paramMismatches(model, checkpoint);
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
    if (llvm::Error e = model.setParam(name, *checkpoint.find(name)))
      return e;
  return llvm::Error::success();
}
