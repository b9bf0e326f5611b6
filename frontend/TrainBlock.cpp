// Train blocks: each setting is checked (names, kinds and ranges of
// values) and stored, typed, in one TrainConfigAttr (ir/AxonAttrs.td); the
// block becomes one axon.train op with that configuration and the gradient
// function of its loss.
#include "frontend/Translator.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

using namespace axon;
using namespace axon::ast;

namespace {

/// A train block's settings as checked, the parameters of its
/// TrainConfigAttr; each is absent or at its default until set.
struct Settings {
  DataSourceAttr data, evalData;
  OptimizerAttr optimizer;
  std::optional<int64_t> batch;
  int64_t epochs = 1, seed = 0, oneHot = 0;
  bool shuffle = true;
  std::string log;
  mlir::FlatSymbolRefAttr evalFn;
  llvm::SmallVector<mlir::FlatSymbolRefAttr> params;
  NormalizeAttr normalize;
  std::optional<double> validation;
  /// Where `validation` is written, for the check against data's.
  const KeywordArg *validationArg = nullptr;
};

/// "a, b or c".
std::string listed(llvm::ArrayRef<std::string> items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i)
    s += std::string(i == 0                  ? ""
                     : i + 1 == items.size() ? " or "
                                             : ", ") +
         items[i];
  return s;
}

/// The checks of the settings' values: each reports why a value is wrong,
/// or stores it in `out`.
struct SettingChecks {
  SourceFile &file;
  mlir::MLIRContext *context;
  std::function<bool(const std::string &)> isFunction, isParam;
  Settings out;

  bool positiveInteger(const KeywordArg &kw, int64_t &into) {
    const Expr &v = *kw.value;
    auto i = Translator::constInt(v);
    if (!i || *i < 1) {
      file.emitError(v.loc) << "'" + kw.name + "' must be a positive integer";
      return false;
    }
    into = *i;
    return true;
  }
  bool batch(const KeywordArg &kw) {
    int64_t b;
    if (!positiveInteger(kw, b))
      return false;
    out.batch = b;
    return true;
  }
  bool seed(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    auto i = Translator::constInt(v);
    if (!i || *i < 0) {
      file.emitError(v.loc) << "'seed' must be a non-negative integer";
      return false;
    }
    out.seed = *i;
    return true;
  }
  bool shuffle(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    auto i = Translator::constInt(v);
    bool named = v.kind == Expr::Name && (v.name == "true" || v.name == "false");
    if (!named && (!i || (*i != 0 && *i != 1))) {
      file.emitError(v.loc) << "'shuffle' must be true or false";
      return false;
    }
    out.shuffle = named ? v.name == "true" : *i == 1;
    return true;
  }
  bool log(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    if (v.kind != Expr::String) {
      file.emitError(v.loc) << "'log' must be a file name in quotes, such as "
                               "log = \"run.metrics.jsonl\"";
      return false;
    }
    out.log = v.name;
    return true;
  }
  bool optimizer(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    auto kind = v.kind == Expr::Call ? symbolizeOptimizerKind(v.name)
                                     : std::nullopt;
    if (!kind) {
      file.emitError(v.loc) << "optimizer must be sgd(...), momentum(...) or "
                               "adam(...)";
      return false;
    }
    bool ok = v.args.empty();
    if (!ok)
      file.emitError(v.args[0]->loc)
          << "optimizer settings are named: " + v.name + "(lr = 0.01)";
    std::vector<std::string> names = {"lr"};
    for (const OptimizerSetting &s : optimizerSettings())
      if (s.takenBy(*kind))
        names.push_back(s.name.str());
    std::sort(names.begin(), names.end());
    llvm::SmallVector<std::pair<llvm::StringRef, double>> given;
    LrScheduleAttr lr;
    for (const KeywordArg &o : v.kwargs) {
      auto value = Translator::constNumber(*o.value);
      if (o.name == "lr" && o.value->kind == Expr::Call) {
        lr = schedule(*o.value);
        ok &= bool(lr);
      } else if (std::find(names.begin(), names.end(), o.name) == names.end()) {
        std::string list;
        for (const std::string &k : names)
          list += (list.empty() ? "" : ", ") + k;
        file.emitError(o.loc) << "'" + v.name + "' has no setting '" + o.name +
                                     "' (settings: " + list + ")";
        ok = false;
      } else if (!value || *value < 0) {
        file.emitError(o.value->loc)
            << "'" + o.name + "' must be a non-negative number";
        ok = false;
      } else if (o.name == "lr") {
        lr = LrScheduleAttr::getConstant(context, *value);
      } else {
        given.push_back({o.name, *value});
      }
    }
    if (!ok)
      return false;
    auto attr = OptimizerAttr::fromSettings(context, *kind, lr, given,
                                            [&] { return file.emitError(v.loc); });
    if (failed(attr))
      return false;
    out.optimizer = *attr;
    return true;
  }
  /// `lr = cosine(0.01, warmup = 100, steps = 5000)`; null after an error.
  LrScheduleAttr schedule(const Expr &v) {
    auto kind = symbolizeScheduleKind(v.name);
    if (!kind) {
      file.emitError(v.loc)
          << "lr must be a number or a schedule: constant(lr, warmup = W), "
             "cosine(lr, steps = S, warmup = W, min = m), linear(lr, steps = "
             "S, warmup = W, min = m) or step_decay(lr, every = K, factor = "
             "f, warmup = W)";
      return {};
    }
    auto lr = v.args.size() == 1 ? Translator::constNumber(*v.args[0])
                                 : std::nullopt;
    if (!lr || *lr < 0) {
      file.emitError(v.args.empty() ? v.loc : v.args[0]->loc)
          << v.name + "(...) takes the peak learning rate first, a "
                      "non-negative number: " +
                 v.name + "(0.01, ...)";
      return {};
    }
    llvm::SmallVector<llvm::StringRef> names = scheduleSettingNames(*kind);
    int64_t warmup = 0, steps = 0, every = 0;
    double min = 0, factor = 1;
    bool ok = true;
    for (const KeywordArg &o : v.kwargs) {
      if (!llvm::is_contained(names, o.name)) {
        file.emitError(o.loc) << "'" + v.name + "' has no setting '" + o.name +
                                     "' (settings: " + llvm::join(names, ", ") +
                                     ")";
        ok = false;
        continue;
      }
      bool integer = o.name == "warmup" || o.name == "steps" || o.name == "every";
      auto i = Translator::constInt(*o.value);
      auto n = Translator::constNumber(*o.value);
      if (integer ? (!i || *i < 0) : (!n || *n < 0)) {
        file.emitError(o.value->loc)
            << "'" + o.name + "' must be a non-negative " +
                   (integer ? "integer (steps)" : "number");
        ok = false;
        continue;
      }
      if (o.name == "warmup")
        warmup = *i;
      else if (o.name == "steps")
        steps = *i;
      else if (o.name == "every")
        every = *i;
      else if (o.name == "min")
        min = *n;
      else
        factor = *n;
    }
    if (!ok)
      return {};
    return LrScheduleAttr::getChecked(
        [&] { return file.emitError(v.loc); }, context, *kind,
        llvm::APFloat(*lr), warmup, steps, llvm::APFloat(min), every,
        llvm::APFloat(factor));
  }
  bool evalFn(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    if (v.kind != Expr::Name || !isFunction(v.name)) {
      file.emitError(v.loc) << "eval_fn must name a function of the loss's "
                               "arguments, such as accuracy_of";
      return false;
    }
    out.evalFn = mlir::FlatSymbolRefAttr::get(context, v.name);
    return true;
  }
  bool params(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    bool ok = v.kind == Expr::List && !v.args.empty();
    for (size_t i = 0; ok && i < v.args.size(); ++i) {
      const ExprPtr &item = v.args[i];
      if (item->kind != Expr::Name || !isParam(item->name)) {
        file.emitError(item->loc)
            << "'params' lists parameters; '" +
                   (item->kind == Expr::Name ? item->name : "?") +
                   "' is not one";
        ok = false;
        break;
      }
      out.params.push_back(mlir::FlatSymbolRefAttr::get(context, item->name));
    }
    if (v.kind != Expr::List || v.args.empty())
      file.emitError(v.loc)
          << "'params' must be a non-empty list of parameters";
    return ok;
  }
  bool data(const KeywordArg &kw, DataSourceAttr &into) {
    const Expr &v = *kw.value;
    const DataFormat *format =
        v.kind == Expr::Call ? findDataFormat(v.name) : nullptr;
    // The file names: the arguments, or the items of a format's file list.
    std::vector<const Expr *> fileArgs;
    for (const auto &arg : v.args)
      fileArgs.push_back(arg.get());
    if (format && format->fileList && v.args.size() == 1 &&
        v.args[0]->kind == Expr::List) {
      const Expr &list = *v.args[0];
      if (list.args.empty()) {
        file.emitError(list.loc)
            << v.name + "(...) takes a list of at least one file name";
        return false;
      }
      fileArgs.clear();
      for (const auto &item : list.args) {
        if (item->kind != Expr::String) {
          file.emitError(item->loc)
              << v.name + "(...)'s list holds file names in quotes, such as "
                          "\"fortunes\" or \"notes.txt\"";
          return false;
        }
        fileArgs.push_back(item.get());
      }
    }
    bool ok = format;
    if (ok)
      for (const Expr *arg : fileArgs)
        ok &= arg->kind == Expr::String;
    if (!ok) {
      std::vector<std::string> usages;
      for (const DataFormat &f : dataFormats())
        usages.push_back(f.usage.str());
      file.emitError(v.loc) << "data must be " + listed(usages) +
                                   " with file names";
      return false;
    }
    for (const Expr *arg : fileArgs)
      if (std::string why = format->nameError(arg->name); !why.empty()) {
        file.emitError(arg->loc) << why;
        return false;
      }
    size_t files = format->files.size();
    if (!format->fileList && v.args.size() != files) {
      std::string roles;
      for (llvm::StringRef r : format->files)
        roles += (roles.empty() ? "" : ", ") + r.str();
      file.emitError(v.loc) << v.name + "(...) takes " + std::to_string(files) +
                                   (files == 1 ? " file name"
                                               : " file names: " + roles);
      return false;
    }
    llvm::SmallVector<mlir::NamedAttribute> options;
    for (const KeywordArg &o : v.kwargs) {
      const DataOption *option = format->findOption(o.name);
      mlir::Attribute value;
      if (option && option->kind == DataOption::Kind::Integer) {
        if (auto i = Translator::constInt(*o.value))
          value = mlir::IntegerAttr::get(mlir::IntegerType::get(context, 64), *i);
      } else if (option && option->kind == DataOption::Kind::Number) {
        if (auto n = Translator::constNumber(*o.value))
          value = mlir::FloatAttr::get(mlir::Float64Type::get(context), *n);
      } else if (option && (o.value->kind == Expr::String ||
                            o.value->kind == Expr::Name)) {
        value = mlir::StringAttr::get(context, o.value->name);
      }
      if (value)
        if (std::string why = option->valueError(value); !why.empty()) {
          file.emitError(o.value->loc) << v.name + "(...): " + why;
          ok = false;
          continue;
        }
      if (!value) {
        std::string usage;
        for (const DataOption &d : format->options)
          usage += (usage.empty() ? "" : "; ") + d.usage.str();
        file.emitError(o.loc)
            << (format->options.empty()
                    ? v.name + "(...) takes no settings"
                : format->options.size() == 1
                    ? v.name + "(...) takes one setting, " + usage
                    : v.name + "(...) takes the settings " + usage);
        ok = false;
        continue;
      }
      options.push_back(mlir::NamedAttribute(
          mlir::StringAttr::get(context, o.name), value));
    }
    if (!ok)
      return false;
    llvm::SmallVector<mlir::StringAttr> names;
    for (const Expr *arg : fileArgs)
      names.push_back(mlir::StringAttr::get(context, arg->name));
    // The settings together (text's seq or window, ...), at the source.
    into = DataSourceAttr::getChecked(
        [&] { return file.emitError(v.loc); }, context, llvm::StringRef(v.name),
        llvm::ArrayRef<mlir::StringAttr>(names),
        options.empty() ? mlir::DictionaryAttr()
                        : mlir::DictionaryAttr::get(context, options));
    return bool(into);
  }
  bool validation(const KeywordArg &kw) {
    auto v = Translator::constNumber(*kw.value);
    if (!v || !(*v >= 0 && *v < 1)) {
      file.emitError(kw.value->loc)
          << "'validation' must be a fraction in [0, 1): the part of the "
             "training data held out, such as validation = 0.1";
      return false;
    }
    out.validation = *v;
    out.validationArg = &kw;
    return true;
  }
  bool normalize(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    auto kind = v.kind == Expr::Name ? symbolizeNormalizeKind(v.name)
                                     : std::nullopt;
    bool named = kind && *kind != NormalizeKind::fixed;
    std::map<std::string, const Expr *> given;
    if (v.kind == Expr::Call && v.name == "normalize" && v.args.empty())
      for (const KeywordArg &o : v.kwargs)
        if (Translator::constNumber(*o.value))
          given[o.name] = o.value.get();
    bool fixed =
        v.kwargs.size() == 2 && given.count("mean") && given.count("std");
    if (!named && !fixed) {
      file.emitError(v.loc) << "normalize must be scale, standard, none or "
                               "normalize(mean = m, std = s)";
      return false;
    }
    if (named) {
      out.normalize = NormalizeAttr::get(context, *kind);
      return true;
    }
    double mean = *Translator::constNumber(*given["mean"]),
           std = *Translator::constNumber(*given["std"]);
    if (!(std > 0)) {
      file.emitError(given["std"]->loc) << "'std' must be positive";
      return false;
    }
    out.normalize = NormalizeAttr::get(context, NormalizeKind::fixed,
                                       llvm::APFloat(mean), llvm::APFloat(std));
    return true;
  }
};

/// A setting of a train block and the check that stores its value.
struct Setting {
  const char *name;
  bool (*check)(SettingChecks &, const KeywordArg &);
};

/// The settings, in the order the error message lists them.
const Setting kSettings[] = {
    {"data",
     [](SettingChecks &c, const KeywordArg &kw) {
       return c.data(kw, c.out.data);
     }},
    {"eval_data",
     [](SettingChecks &c, const KeywordArg &kw) {
       // A text or task source's held-out part is its validation split.
       if (kw.value->kind == Expr::Call &&
           (kw.value->name == "text" || kw.value->name == "task")) {
         c.file.emitError(kw.value->loc)
             << "eval_data cannot be " + kw.value->name +
                    "(...): a " + kw.value->name +
                    " source holds out its last part itself (validation = "
                    "fraction)";
         return false;
       }
       return c.data(kw, c.out.evalData);
     }},
    {"optimizer",
     [](SettingChecks &c, const KeywordArg &kw) { return c.optimizer(kw); }},
    {"batch", [](SettingChecks &c, const KeywordArg &kw) { return c.batch(kw); }},
    {"epochs",
     [](SettingChecks &c, const KeywordArg &kw) {
       return c.positiveInteger(kw, c.out.epochs);
     }},
    {"seed", [](SettingChecks &c, const KeywordArg &kw) { return c.seed(kw); }},
    {"shuffle",
     [](SettingChecks &c, const KeywordArg &kw) { return c.shuffle(kw); }},
    {"log", [](SettingChecks &c, const KeywordArg &kw) { return c.log(kw); }},
    {"eval_fn",
     [](SettingChecks &c, const KeywordArg &kw) { return c.evalFn(kw); }},
    {"params",
     [](SettingChecks &c, const KeywordArg &kw) { return c.params(kw); }},
    {"normalize",
     [](SettingChecks &c, const KeywordArg &kw) { return c.normalize(kw); }},
    {"one_hot",
     [](SettingChecks &c, const KeywordArg &kw) {
       return c.positiveInteger(kw, c.out.oneHot);
     }},
    {"validation",
     [](SettingChecks &c, const KeywordArg &kw) { return c.validation(kw); }},
};

const Setting *findSetting(llvm::StringRef name) {
  for (const Setting &s : kSettings)
    if (name == s.name)
      return &s;
  return nullptr;
}

/// "data, eval_data, ... or one_hot".
std::string settingNames() {
  std::vector<std::string> names;
  for (const Setting &s : kSettings)
    names.push_back(s.name);
  return listed(names);
}

} // namespace

void Translator::emitTrain(const Train &t) {
  auto sig = sigs_.find(t.loss);
  if (sig == sigs_.end()) {
    file_.emitError(t.lossLoc)
        << "train block names unknown function '" + t.loss + "'";
    return;
  }
  if (sig->second.ok && (sig->second.resultElems.size() != 1 ||
                         !sig->second.resultShapes[0].empty() ||
                         (sig->second.resultElems[0] != "f32" &&
                          sig->second.resultElems[0] != "f64"))) {
    file_.emitError(t.lossLoc) << "loss function '" + t.loss +
                                      "' must return one floating-point scalar";
    return;
  }
  SettingChecks checks{
      file_, &ctx_, [&](const std::string &n) { return sigs_.count(n) > 0; },
      [&](const std::string &n) { return params_.count(n) > 0; }, {}};
  std::set<std::string> seen;
  for (const KeywordArg &kw : t.settings) {
    const Setting *setting = findSetting(kw.name);
    if (!setting) {
      file_.emitError(kw.loc) << "unknown train setting '" + kw.name +
                                     "' (expected " + settingNames() + ")";
      continue;
    }
    if (!seen.insert(kw.name).second) {
      file_.emitError(kw.loc) << "train setting '" + kw.name + "' given twice";
      continue;
    }
    setting->check(checks, kw);
  }
  if (!seen.count("optimizer"))
    file_.emitError(t.loc) << "train block needs an 'optimizer' setting";
  // One place says how much is held out: text(..., validation = f) or the
  // block's validation = f, not both.
  if (const Settings &s = checks.out; s.validationArg && s.data &&
                                      s.data.getOptions() &&
                                      s.data.getOptions().get("validation"))
    file_.emitError(s.validationArg->loc)
        << "'validation' is given twice, here and in " +
               s.data.getFormat().str() +
               "(...); give the fraction held out once";
  if (file_.errorCount() != 0 || !sig->second.ok)
    return;
  const Settings &s = checks.out;
  // The gradient of the loss with respect to every parameter, or only
  // the listed ones when `params` is given (one group per train block: a
  // GAN trains its two groups with two blocks).
  std::vector<std::string> wrt;
  for (mlir::FlatSymbolRefAttr p : s.params)
    wrt.push_back(p.getValue().str());
  if (wrt.empty())
    wrt = paramOrder_;
  mlir::FlatSymbolRefAttr gradFn;
  if (!wrt.empty())
    gradFn = mlir::FlatSymbolRefAttr::get(
        &ctx_, declareGradient(t.loss, wrt, t.loss + "_grad", t.loc));
  auto config = TrainConfigAttr::get(
      &ctx_, s.data, s.evalData, s.optimizer, s.batch, s.epochs, s.seed,
      s.shuffle, s.log, s.evalFn, s.params, s.normalize, s.oneHot,
      s.validation ? std::optional<llvm::APFloat>(llvm::APFloat(*s.validation))
                   : std::nullopt);
  b_.create<TrainOp>(loc(t.loc), t.loss, config, gradFn,
                     /*step_fn=*/nullptr);
}
