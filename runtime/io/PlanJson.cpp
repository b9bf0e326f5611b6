#include "runtime/io/PlanJson.h"

#include "llvm/Support/JSON.h"

using namespace axon;
namespace json = llvm::json;

// toJSON and fromJSON overloads of the plan's structs, found by ADL from
// llvm::json::Value and ObjectMapper: writePlanJson writes with the first,
// readPlanJson reads with the second.
namespace axon {

static json::Value toJSON(const PlanParam &p) {
  return json::Object{{"name", p.name},
                      {"dtype", dtypeName(p.dtype)},
                      {"shape", p.shape},
                      {"init", p.init},
                      {"a", p.a},
                      {"b", p.b},
                      {"seed", int64_t(p.seed)},
                      {"optimizer_state", p.optimizerState}};
}

static json::Value toJSON(const PlanKernel &k) {
  return json::Object{{"name", k.name},
                      {"inputs", k.numInputs},
                      {"outputs", k.numOutputs},
                      {"location", k.location}};
}

/// A constant: "dtype", "shape" and its values as "data".
static json::Value toJSON(const Tensor &t) {
  return json::Object{
      {"dtype", dtypeName(t.dtype)}, {"shape", t.shape}, {"data", t.data}};
}

static json::Value toJSON(const PlanBuffer &b) {
  return json::Object{{"kind", int(b.kind)},
                      {"dtype", dtypeName(b.dtype)},
                      {"shape", b.shape},
                      {"offset", b.offset},
                      {"index", b.index}};
}

/// A step; a loop has "lower", "upper" and its "body" too.
static json::Value toJSON(const PlanStep &s) {
  json::Object o{
      {"kind", int(s.kind)}, {"kernel", s.kernel}, {"buffers", s.buffers}};
  if (s.kind == PlanStep::Kind::Loop) {
    o["lower"] = s.lower;
    o["upper"] = s.upper;
    o["body"] = s.body;
  }
  return o;
}

static json::Value toJSON(const FunctionPlan &f) {
  return json::Object{{"name", f.name},
                      {"arg_names", f.argNames},
                      {"inputs", f.inputs},
                      {"outputs", f.outputs},
                      {"buffers", f.buffers},
                      {"steps", f.steps},
                      {"arena_bytes", f.arenaBytes},
                      {"buffer_bytes", f.bufferBytes}};
}

/// An enum written as its integer; out of [0, last]: an error.
template <typename Enum>
static bool enumFromJSON(const json::Value &v, Enum &out, Enum last,
                         json::Path p) {
  int64_t n = 0;
  if (!fromJSON(v, n, p))
    return false;
  if (n < 0 || n > int64_t(last)) {
    p.report("out of range");
    return false;
  }
  out = Enum(n);
  return true;
}

static bool fromJSON(const json::Value &v, PlanBuffer::Kind &out,
                     json::Path p) {
  return enumFromJSON(v, out, PlanBuffer::Kind::Constant, p);
}

static bool fromJSON(const json::Value &v, PlanStep::Kind &out, json::Path p) {
  return enumFromJSON(v, out, PlanStep::Kind::Loop, p);
}

static bool fromJSON(const json::Value &v, PlanParam &out, json::Path p) {
  json::ObjectMapper o(v, p);
  int64_t seed = 0;
  bool ok = o && o.map("name", out.name) && o.map("dtype", out.dtype) &&
            o.map("shape", out.shape) && o.map("init", out.init) &&
            o.map("a", out.a) && o.map("b", out.b) && o.map("seed", seed) &&
            o.mapOptional("optimizer_state", out.optimizerState);
  out.seed = uint64_t(seed); // written as int64_t
  return ok;
}

static bool fromJSON(const json::Value &v, PlanKernel &out, json::Path p) {
  json::ObjectMapper o(v, p);
  return o && o.map("name", out.name) && o.map("inputs", out.numInputs) &&
         o.map("outputs", out.numOutputs) &&
         o.mapOptional("location", out.location);
}

static bool fromJSON(const json::Value &v, Tensor &out, json::Path p) {
  json::ObjectMapper o(v, p);
  std::vector<int64_t> shape;
  std::vector<double> data;
  if (!o || !o.map("dtype", out.dtype) || !o.map("shape", shape) ||
      !o.map("data", data))
    return false;
  out = Tensor(out.dtype, std::move(shape));
  if (data.size() != out.data.size()) {
    p.field("data").report("not as many values as the shape holds");
    return false;
  }
  out.data = std::move(data);
  return true;
}

static bool fromJSON(const json::Value &v, PlanBuffer &out, json::Path p) {
  json::ObjectMapper o(v, p);
  return o && o.map("kind", out.kind) && o.map("dtype", out.dtype) &&
         o.map("shape", out.shape) && o.map("offset", out.offset) &&
         o.map("index", out.index);
}

static bool fromJSON(const json::Value &v, PlanStep &out, json::Path p) {
  json::ObjectMapper o(v, p);
  if (!o || !o.map("kind", out.kind) || !o.map("kernel", out.kernel) ||
      !o.map("buffers", out.buffers))
    return false;
  return out.kind != PlanStep::Kind::Loop ||
         (o.map("lower", out.lower) && o.map("upper", out.upper) &&
          o.map("body", out.body));
}

static bool fromJSON(const json::Value &v, FunctionPlan &out, json::Path p) {
  json::ObjectMapper o(v, p);
  return o && o.map("name", out.name) && o.map("arg_names", out.argNames) &&
         o.map("inputs", out.inputs) && o.map("outputs", out.outputs) &&
         o.map("buffers", out.buffers) && o.map("steps", out.steps) &&
         o.map("arena_bytes", out.arenaBytes) &&
         o.map("buffer_bytes", out.bufferBytes);
}

/// The config but its "train" (TrainConfig has its own reader).
static bool fromJSON(const json::Value &v, BinaryConfig &out, json::Path p) {
  json::ObjectMapper o(v, p);
  return o && o.map("model", out.model) && o.map("batch", out.batch);
}

/// The whole file: "format" axon-plan-1, the plan and the binary's config.
static bool fromJSON(const json::Value &v, std::pair<Plan, BinaryConfig> &out,
                     json::Path p) {
  json::ObjectMapper o(v, p);
  std::string format;
  if (!o || !o.map("format", format))
    return false;
  if (format != "axon-plan-1") {
    p.field("format").report("not axon-plan-1");
    return false;
  }
  Plan &plan = out.first;
  return o.map("target", plan.target) && o.map("config", out.second) &&
         o.map("params", plan.params) && o.map("kernels", plan.kernels) &&
         o.map("constants", plan.constants) &&
         o.map("functions", plan.functions);
}

} // namespace axon

std::string axon::writePlanJson(const Plan &plan, const BinaryConfig &c) {
  json::Object config{
      {"model", c.model}, {"batch", c.batch}, {"train", toJson(c.train)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(json::Object{{"format", "axon-plan-1"},
                                 {"target", plan.target},
                                 {"config", std::move(config)},
                                 {"params", plan.params},
                                 {"kernels", plan.kernels},
                                 {"constants", plan.constants},
                                 {"functions", plan.functions}});
  return out;
}

llvm::Error axon::readPlanJson(llvm::StringRef text, Plan &plan,
                               BinaryConfig &c) {
  auto parsed = json::parse(text);
  if (!parsed)
    return llvm::createStringError("embedded plan: " +
                                   llvm::toString(parsed.takeError()));
  std::pair<Plan, BinaryConfig> read;
  json::Path::Root root("embedded plan");
  if (!fromJSON(*parsed, read, root))
    return llvm::createStringError("embedded plan: " +
                                   llvm::toString(root.getError()));
  plan = std::move(read.first);
  c = std::move(read.second);
  if (const json::Value *train =
          parsed->getAsObject()->getObject("config")->get("train")) {
    auto t = trainConfigFromJson(*train);
    if (!t)
      return llvm::createStringError("embedded plan: " +
                                     llvm::toString(t.takeError()));
    c.train = std::move(*t);
  }
  return llvm::Error::success();
}
