// TrainConfig <-> JSON with llvm::json's ObjectMapper.
#include "runtime/core/TrainConfig.h"

#include <algorithm>

using namespace axon;
namespace json = llvm::json;

std::string DataSource::describe() const {
  std::string s = format + "(";
  for (size_t i = 0; i < files.size(); ++i)
    s += (i ? ", \"" : "\"") + files[i] + "\"";
  if (format == "csv")
    s += ", label = " + std::to_string(labelColumn);
  // The settings in name order (llvm::json::Object's is a hash order).
  std::vector<std::string> names;
  for (const auto &[name, value] : options)
    names.push_back(name.str());
  std::sort(names.begin(), names.end());
  for (const std::string &name : names) {
    std::string value;
    llvm::raw_string_ostream os(value);
    os << *options.get(name);
    s += ", " + name + " = " + value;
  }
  return s + ")";
}

const char *axon::normalizationName(Normalization::Kind kind) {
  switch (kind) {
  case Normalization::Kind::None:
    return "none";
  case Normalization::Kind::Scale:
    return "scale";
  case Normalization::Kind::Standard:
    return "standard";
  case Normalization::Kind::Fixed:
    return "fixed";
  }
  return "none";
}

llvm::Expected<Normalization>
axon::parseNormalization(llvm::StringRef kind, double mean, double std) {
  Normalization n;
  for (auto k : {Normalization::Kind::None, Normalization::Kind::Scale,
                 Normalization::Kind::Standard, Normalization::Kind::Fixed})
    if (kind == normalizationName(k))
      n.kind = k;
  if (kind != normalizationName(n.kind))
    return llvm::createStringError(
        "normalize must be scale, standard, none or normalize(mean = m, "
        "std = s), got '" + kind + "'");
  if (n.kind == Normalization::Kind::Fixed && !(std > 0))
    return llvm::createStringError("normalize(std = ...) must be positive");
  n.mean = mean;
  n.std = std;
  return n;
}

namespace axon {

// fromJSON/toJSON overloads found by ADL from ObjectMapper.
bool fromJSON(const json::Value &v, DType &out, json::Path p) {
  auto s = v.getAsString();
  if (auto d = s ? dtypeNamed(*s) : std::nullopt) {
    out = *d;
    return true;
  }
  p.report("expected a dtype name such as \"f32\"");
  return false;
}

static bool fromJSON(const json::Value &v, DataSource &out, json::Path p) {
  json::ObjectMapper o(v, p);
  if (!o || !o.map("format", out.format) || !o.map("files", out.files) ||
      !o.mapOptional("label_column", out.labelColumn))
    return false;
  if (const json::Value *options = v.getAsObject()->get("options")) {
    if (!options->getAsObject()) {
      p.field("options").report("expected an object");
      return false;
    }
    out.options = *options->getAsObject();
  }
  return true;
}

static json::Value toJSON(const DataSource &d) {
  return json::Object{{"format", d.format},
                      {"files", json::Array(d.files)},
                      {"label_column", d.labelColumn},
                      {"options", json::Object(d.options)}};
}

static bool fromJSON(const json::Value &v, LossArgument &out, json::Path p) {
  json::ObjectMapper o(v, p);
  return o && o.map("name", out.name) && o.map("dtype", out.dtype) &&
         o.map("shape", out.shape);
}

static json::Value toJSON(const LossArgument &a) {
  return json::Object{{"name", a.name},
                      {"dtype", dtypeName(a.dtype)},
                      {"shape", json::Array(a.shape)}};
}

static bool fromJSON(const json::Value &v, Normalization &out, json::Path p) {
  json::ObjectMapper o(v, p);
  std::string kind;
  if (!o || !o.map("kind", kind) || !o.map("mean", out.mean) ||
      !o.map("std", out.std))
    return false;
  auto n = parseNormalization(kind, out.mean, out.std);
  if (!n) {
    p.field("kind").report("unknown normalisation");
    llvm::consumeError(n.takeError());
    return false;
  }
  out = *n;
  return true;
}

static bool fromJSON(const json::Value &v, TrainConfig &c, json::Path p) {
  json::ObjectMapper o(v, p);
  int64_t seed = 0;
  bool ok = o && o.map("model", c.model) && o.map("step_fn", c.stepFn) &&
            o.map("loss_fn", c.lossFn) && o.map("eval_fn", c.evalFn) &&
            o.map("train", c.train) && o.map("eval", c.eval) &&
            o.map("input_shape", c.inputShape) &&
            o.map("label_shape", c.labelShape) &&
            o.map("input_type", c.inputType) &&
            o.map("label_type", c.labelType) &&
            o.map("normalize", c.normalize) && o.map("one_hot", c.oneHot) &&
            o.map("epochs", c.epochs) && o.map("batch", c.batch) &&
            o.map("seed", seed) && o.map("shuffle", c.shuffle) &&
            o.map("log", c.log) && o.mapOptional("params", c.params) &&
            o.mapOptional("optimizer", c.optimizer) &&
            o.mapOptional("num_classes", c.numClasses) &&
            o.mapOptional("allow_nonfinite", c.allowNonfinite) &&
            o.mapOptional("loss_args", c.lossArgs) &&
            o.mapOptional("validation", c.validation) &&
            o.mapOptional("eval_step_fn", c.evalStepFn);
  c.seed = uint64_t(seed);
  return ok;
}

} // namespace axon

json::Value axon::toJson(const TrainConfig &c) {
  return json::Object{
      {"model", c.model},
      {"step_fn", c.stepFn},
      {"loss_fn", c.lossFn},
      {"eval_fn", c.evalFn},
      {"eval_step_fn", c.evalStepFn},
      {"train", toJSON(c.train)},
      {"eval", toJSON(c.eval)},
      {"input_shape", json::Array(c.inputShape)},
      {"label_shape", json::Array(c.labelShape)},
      {"input_type", dtypeName(c.inputType)},
      {"label_type", dtypeName(c.labelType)},
      {"normalize", json::Object{{"kind", normalizationName(c.normalize.kind)},
                                 {"mean", c.normalize.mean},
                                 {"std", c.normalize.std}}},
      {"one_hot", c.oneHot},
      {"epochs", c.epochs},
      {"batch", c.batch},
      {"seed", int64_t(c.seed)},
      {"shuffle", c.shuffle},
      {"log", c.log},
      {"params", json::Array(c.params)},
      {"optimizer", c.optimizer},
      {"num_classes", c.numClasses},
      {"allow_nonfinite", c.allowNonfinite},
      {"loss_args", [&] {
         json::Array args;
         for (const LossArgument &a : c.lossArgs)
           args.push_back(toJSON(a));
         return args;
       }()},
      {"validation", c.validation}};
}

llvm::Expected<TrainConfig> axon::trainConfigFromJson(const json::Value &v) {
  TrainConfig c;
  json::Path::Root root("train config");
  if (!fromJSON(v, c, root))
    return root.getError();
  return c;
}
