#include "runtime/io/PlanJson.h"

#include "llvm/Support/JSON.h"

using namespace axon;
namespace json = llvm::json;

namespace {

json::Array ints(const std::vector<int64_t> &v) {
  json::Array a;
  for (int64_t x : v)
    a.push_back(x);
  return a;
}
json::Array ints(const std::vector<int> &v) {
  json::Array a;
  for (int x : v)
    a.push_back(x);
  return a;
}

std::optional<DType> dtypeNamed(llvm::StringRef s) {
  for (DType d : {DType::F32, DType::F64, DType::I1, DType::I32, DType::I64})
    if (s == dtypeName(d))
      return d;
  return std::nullopt;
}

/// Reads fields with one error for the first thing missing.
class Reader {
public:
  std::string error;
  const json::Object *obj(const json::Object &o, llvm::StringRef key) {
    const json::Object *v = o.getObject(key);
    if (!v)
      fail(key);
    return v;
  }
  const json::Array *arr(const json::Object &o, llvm::StringRef key) {
    const json::Array *v = o.getArray(key);
    if (!v)
      fail(key);
    return v;
  }
  std::string str(const json::Object &o, llvm::StringRef key) {
    auto v = o.getString(key);
    if (!v)
      fail(key);
    return v ? v->str() : "";
  }
  int64_t num(const json::Object &o, llvm::StringRef key) {
    auto v = o.getInteger(key);
    if (!v)
      fail(key);
    return v.value_or(0);
  }
  double real(const json::Object &o, llvm::StringRef key) {
    auto v = o.getNumber(key);
    if (!v)
      fail(key);
    return v.value_or(0);
  }
  template <typename T> std::vector<T> list(const json::Object &o, llvm::StringRef key) {
    std::vector<T> out;
    if (const json::Array *a = arr(o, key))
      for (const json::Value &v : *a)
        out.push_back(T(v.getAsInteger().value_or(0)));
    return out;
  }
  DType dtype(const json::Object &o) {
    auto d = dtypeNamed(str(o, "dtype"));
    if (!d)
      fail("dtype");
    return d.value_or(DType::F32);
  }

  void fail(llvm::StringRef key) {
    if (error.empty())
      error = "missing or malformed '" + key.str() + "'";
  }
};

/// Steps as JSON; a loop has "lower", "upper" and its "body" too.
json::Array stepsJson(const std::vector<PlanStep> &steps) {
  json::Array out;
  for (const PlanStep &s : steps) {
    json::Object o{{"kind", int(s.kind)},
                   {"kernel", s.kernel},
                   {"buffers", ints(s.buffers)}};
    if (s.kind == PlanStep::Kind::Loop) {
      o["lower"] = s.lower;
      o["upper"] = s.upper;
      o["body"] = stepsJson(s.body);
    }
    out.push_back(std::move(o));
  }
  return out;
}

/// Reads what stepsJson wrote.
void readSteps(Reader &r, const json::Array &array, std::vector<PlanStep> &steps) {
  for (const json::Value &sv : array) {
    const json::Object *so = sv.getAsObject();
    if (!so) {
      r.fail("steps");
      return;
    }
    PlanStep s;
    int64_t kind = r.num(*so, "kind");
    if (kind < 0 || kind > int64_t(PlanStep::Kind::Loop))
      r.fail("kind");
    s.kind = PlanStep::Kind(kind);
    s.kernel = int(r.num(*so, "kernel"));
    s.buffers = r.list<int>(*so, "buffers");
    if (s.kind == PlanStep::Kind::Loop) {
      s.lower = r.num(*so, "lower");
      s.upper = r.num(*so, "upper");
      if (const json::Array *body = r.arr(*so, "body"))
        readSteps(r, *body, s.body);
    }
    steps.push_back(std::move(s));
  }
}

} // namespace

std::string axon::writePlanJson(const Plan &plan, const BinaryConfig &c) {
  json::Array params, kernels, constants, functions;
  for (const PlanParam &p : plan.params)
    params.push_back(json::Object{{"name", p.name},
                                  {"dtype", dtypeName(p.dtype)},
                                  {"shape", ints(p.shape)},
                                  {"init", p.init},
                                  {"a", p.a},
                                  {"b", p.b},
                                  {"seed", int64_t(p.seed)},
                                  {"optimizer_state", p.optimizerState}});
  for (const PlanKernel &k : plan.kernels)
    kernels.push_back(json::Object{{"name", k.name},
                                   {"inputs", k.numInputs},
                                   {"outputs", k.numOutputs},
                                   {"location", k.location}});
  for (const Tensor &t : plan.constants) {
    json::Array data;
    for (double v : t.data)
      data.push_back(v);
    constants.push_back(json::Object{{"dtype", dtypeName(t.dtype)},
                                     {"shape", ints(t.shape)},
                                     {"data", std::move(data)}});
  }
  for (const FunctionPlan &f : plan.functions) {
    json::Array buffers, steps, names;
    for (const std::string &n : f.argNames)
      names.push_back(n);
    for (const PlanBuffer &b : f.buffers)
      buffers.push_back(json::Object{{"kind", int(b.kind)},
                                     {"dtype", dtypeName(b.dtype)},
                                     {"shape", ints(b.shape)},
                                     {"offset", b.offset},
                                     {"index", b.index}});
    steps = stepsJson(f.steps);
    functions.push_back(json::Object{{"name", f.name},
                                     {"arg_names", std::move(names)},
                                     {"inputs", ints(f.inputs)},
                                     {"outputs", ints(f.outputs)},
                                     {"buffers", std::move(buffers)},
                                     {"steps", std::move(steps)},
                                     {"arena_bytes", f.arenaBytes},
                                     {"buffer_bytes", f.bufferBytes}});
  }
  json::Object config{
      {"model", c.model}, {"batch", c.batch}, {"train", toJson(c.train)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(json::Object{{"format", "axon-plan-1"},
                                 {"target", plan.target},
                                 {"config", std::move(config)},
                                 {"params", std::move(params)},
                                 {"kernels", std::move(kernels)},
                                 {"constants", std::move(constants)},
                                 {"functions", std::move(functions)}});
  return out;
}

llvm::Error axon::readPlanJson(llvm::StringRef text, Plan &plan,
                               BinaryConfig &c) {
  auto parsed = json::parse(text);
  if (!parsed)
    return llvm::createStringError("embedded plan: " +
                                   llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "axon-plan-1")
    return llvm::createStringError("embedded plan: not an axon-plan-1 object");
  Reader r;
  plan.target = r.str(*root, "target");
  if (const json::Object *cfg = r.obj(*root, "config")) {
    c.model = r.str(*cfg, "model");
    c.batch = r.num(*cfg, "batch");
    if (const json::Value *train = cfg->get("train")) {
      auto t = trainConfigFromJson(*train);
      if (!t)
        return llvm::createStringError("embedded plan: " +
                                       llvm::toString(t.takeError()));
      c.train = std::move(*t);
    }
  }
  if (const json::Array *a = r.arr(*root, "params"))
    for (const json::Value &v : *a) {
      const json::Object &o = *v.getAsObject();
      PlanParam p;
      p.name = r.str(o, "name");
      p.dtype = r.dtype(o);
      p.shape = r.list<int64_t>(o, "shape");
      p.init = r.str(o, "init");
      p.a = r.real(o, "a");
      p.b = r.real(o, "b");
      p.seed = uint64_t(r.num(o, "seed"));
      p.optimizerState = o.getBoolean("optimizer_state").value_or(false);
      plan.params.push_back(p);
    }
  if (const json::Array *a = r.arr(*root, "kernels"))
    for (const json::Value &v : *a) {
      const json::Object &o = *v.getAsObject();
      plan.kernels.push_back({r.str(o, "name"), int(r.num(o, "inputs")),
                              int(r.num(o, "outputs")),
                              o.getString("location").value_or("").str()});
    }
  if (const json::Array *a = r.arr(*root, "constants"))
    for (const json::Value &v : *a) {
      const json::Object &o = *v.getAsObject();
      Tensor t(r.dtype(o), r.list<int64_t>(o, "shape"));
      if (const json::Array *d = r.arr(o, "data"))
        for (size_t i = 0; i < d->size() && i < t.data.size(); ++i)
          t.data[i] = (*d)[i].getAsNumber().value_or(0);
      plan.constants.push_back(std::move(t));
    }
  if (const json::Array *a = r.arr(*root, "functions"))
    for (const json::Value &v : *a) {
      const json::Object &o = *v.getAsObject();
      FunctionPlan f;
      f.name = r.str(o, "name");
      if (const json::Array *n = r.arr(o, "arg_names"))
        for (const json::Value &s : *n)
          f.argNames.push_back(s.getAsString().value_or("").str());
      f.inputs = r.list<int>(o, "inputs");
      f.outputs = r.list<int>(o, "outputs");
      if (const json::Array *bs = r.arr(o, "buffers"))
        for (const json::Value &bv : *bs) {
          const json::Object &bo = *bv.getAsObject();
          PlanBuffer b;
          b.kind = PlanBuffer::Kind(r.num(bo, "kind"));
          b.dtype = r.dtype(bo);
          b.shape = r.list<int64_t>(bo, "shape");
          b.offset = r.num(bo, "offset");
          b.index = int(r.num(bo, "index"));
          f.buffers.push_back(b);
        }
      if (const json::Array *ss = r.arr(o, "steps"))
        readSteps(r, *ss, f.steps);
      f.arenaBytes = r.num(o, "arena_bytes");
      f.bufferBytes = r.num(o, "buffer_bytes");
      plan.functions.push_back(std::move(f));
    }
  if (!r.error.empty())
    return llvm::createStringError("embedded plan: " + r.error);
  return llvm::Error::success();
}
