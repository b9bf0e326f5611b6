// Train blocks: each setting is checked (names, kinds and ranges of
// values), then the block becomes one axon.train op whose configuration is
// the settings as attributes, with the gradient function of its loss.
#include "frontend/Translator.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <functional>
#include <map>
#include <set>

using namespace axon;
using namespace axon::ast;

mlir::Attribute Translator::configValue(const Expr &e) {
  if (auto i = constInt(e))
    return b_.getI64IntegerAttr(*i);
  if (auto n = constNumber(e))
    return b_.getF64FloatAttr(*n);
  if (e.kind == Expr::String)
    return b_.getStringAttr(e.name);
  if (e.kind == Expr::Name)
    return b_.getStringAttr(e.name);
  if (e.kind == Expr::List) {
    llvm::SmallVector<mlir::Attribute> items;
    for (const auto &item : e.args) {
      mlir::Attribute a = configValue(*item);
      if (!a)
        return {};
      items.push_back(a);
    }
    return b_.getArrayAttr(items);
  }
  if (e.kind == Expr::Call) {
    llvm::SmallVector<mlir::NamedAttribute> fields;
    fields.push_back(b_.getNamedAttr("kind", b_.getStringAttr(e.name)));
    llvm::SmallVector<mlir::Attribute> args;
    for (const auto &a : e.args) {
      mlir::Attribute v = configValue(*a);
      if (!v)
        return {};
      args.push_back(v);
    }
    if (!args.empty())
      fields.push_back(b_.getNamedAttr("args", b_.getArrayAttr(args)));
    for (const KeywordArg &kw : e.kwargs) {
      mlir::Attribute v = configValue(*kw.value);
      if (!v)
        return {};
      fields.push_back(b_.getNamedAttr(kw.name, v));
    }
    return b_.getDictionaryAttr(fields);
  }
  file_.emitError(e.loc)
      << "a train setting must be a number, a string, a name, "
         "a list or a call such as adam(lr = 1e-3)";
  return {};
}

namespace {

/// The checks of the settings' values; each reports why a value is wrong.
struct SettingChecks {
  SourceFile &file;
  std::function<bool(const std::string &)> isFunction, isParam;

  bool anything(const KeywordArg &) { return true; }
  bool positiveInteger(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    if (!Translator::constInt(v) || *Translator::constInt(v) < 1) {
      file.emitError(v.loc) << "'" + kw.name + "' must be a positive integer";
      return false;
    }
    return true;
  }
  bool optimizer(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    static const std::map<std::string, std::set<std::string>> opts = {
        {"sgd", {"lr", "weight_decay", "clip_norm"}},
        {"momentum", {"lr", "beta", "weight_decay", "clip_norm"}},
        {"adam", {"lr", "beta1", "beta2", "eps", "weight_decay", "clip_norm"}}};
    auto opt = v.kind == Expr::Call ? opts.find(v.name) : opts.end();
    if (opt == opts.end()) {
      file.emitError(v.loc) << "optimizer must be sgd(...), momentum(...) or "
                               "adam(...)";
      return false;
    }
    bool ok = v.args.empty();
    if (!ok)
      file.emitError(v.args[0]->loc)
          << "optimizer settings are named: " + v.name + "(lr = 0.01)";
    for (const KeywordArg &o : v.kwargs) {
      if (!opt->second.count(o.name)) {
        std::string list;
        for (const std::string &k : opt->second)
          list += (list.empty() ? "" : ", ") + k;
        file.emitError(o.loc) << "'" + v.name + "' has no setting '" + o.name +
                                     "' (settings: " + list + ")";
        ok = false;
      } else if (!Translator::constNumber(*o.value) ||
                 *Translator::constNumber(*o.value) < 0) {
        file.emitError(o.value->loc)
            << "'" + o.name + "' must be a non-negative number";
        ok = false;
      }
    }
    return ok;
  }
  bool evalFn(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    if (v.kind != Expr::Name || !isFunction(v.name)) {
      file.emitError(v.loc) << "eval_fn must name a function of the loss's "
                               "arguments, such as accuracy_of";
      return false;
    }
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
    }
    if (v.kind != Expr::List || v.args.empty())
      file.emitError(v.loc)
          << "'params' must be a non-empty list of parameters";
    return ok;
  }
  bool data(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    static const std::set<std::string> loaders = {"idx", "npy", "csv"};
    bool ok = v.kind == Expr::Call && loaders.count(v.name);
    if (ok)
      for (const auto &arg : v.args)
        ok &= arg->kind == Expr::String;
    if (!ok) {
      file.emitError(v.loc) << "data must be idx(\"images\", \"labels\"), "
                               "npy(\"inputs\", \"labels\") or "
                               "csv(\"file\", label = column) with file names";
      return false;
    }
    size_t files = v.name == "csv" ? 1 : 2;
    if (v.args.size() != files) {
      file.emitError(v.loc) << v.name + "(...) takes " + std::to_string(files) +
                                   (files == 1 ? " file name"
                                               : " file names: "
                                                 "inputs, labels");
      return false;
    }
    for (const KeywordArg &o : v.kwargs)
      if (v.name != "csv" || o.name != "label" ||
          !Translator::constInt(*o.value)) {
        file.emitError(o.loc)
            << (v.name == "csv" ? "csv(...) takes one setting, label = "
                                  "column number (negative: from the end)"
                                : v.name + "(...) takes no settings");
        ok = false;
      }
    return ok;
  }
  bool normalize(const KeywordArg &kw) {
    const Expr &v = *kw.value;
    static const std::set<std::string> kinds = {"scale", "standard", "none"};
    bool named = v.kind == Expr::Name && kinds.count(v.name);
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
    if (fixed && !(*Translator::constNumber(*given["std"]) > 0)) {
      file.emitError(given["std"]->loc) << "'std' must be positive";
      return false;
    }
    return true;
  }
};

/// A setting of a train block and the check of its value.
struct Setting {
  const char *name;
  bool (SettingChecks::*check)(const KeywordArg &);
};

/// The settings, in the order the error message lists them.
const Setting kSettings[] = {
    {"data", &SettingChecks::data},
    {"eval_data", &SettingChecks::data},
    {"optimizer", &SettingChecks::optimizer},
    {"batch", &SettingChecks::positiveInteger},
    {"epochs", &SettingChecks::positiveInteger},
    {"seed", &SettingChecks::anything},
    {"shuffle", &SettingChecks::anything},
    {"log", &SettingChecks::anything},
    {"eval_fn", &SettingChecks::evalFn},
    {"params", &SettingChecks::params},
    {"normalize", &SettingChecks::normalize},
    {"one_hot", &SettingChecks::positiveInteger},
};

const Setting *findSetting(llvm::StringRef name) {
  for (const Setting &s : kSettings)
    if (name == s.name)
      return &s;
  return nullptr;
}

/// "data, eval_data, ... or one_hot".
std::string settingNames() {
  std::string names;
  size_t n = std::size(kSettings);
  for (size_t i = 0; i < n; ++i)
    names += std::string(i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ") +
             kSettings[i].name;
  return names;
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
      file_, [&](const std::string &n) { return sigs_.count(n) > 0; },
      [&](const std::string &n) { return params_.count(n) > 0; }};
  llvm::SmallVector<mlir::NamedAttribute> fields;
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
    if (!(checks.*setting->check)(kw))
      continue;
    mlir::Attribute a = configValue(*kw.value);
    if (a)
      fields.push_back(b_.getNamedAttr(kw.name, a));
  }
  if (!seen.count("optimizer"))
    file_.emitError(t.loc) << "train block needs an 'optimizer' setting";
  // The gradient of the loss with respect to every parameter.
  // Only the listed parameters when `params` is given (one group per
  // train block: a GAN trains its two groups with two blocks).
  std::vector<std::string> wrt;
  for (const KeywordArg &kw : t.settings)
    if (kw.name == "params" && kw.value->kind == Expr::List)
      for (const auto &item : kw.value->args)
        if (item->kind == Expr::Name)
          wrt.push_back(item->name);
  if (wrt.empty())
    wrt = paramOrder_;
  if (!wrt.empty() && sig->second.ok && file_.errorCount() == 0) {
    std::string g = declareGradient(t.loss, wrt, t.loss + "_grad", t.loc);
    fields.push_back(b_.getNamedAttr("grad_fn", b_.getStringAttr(g)));
  }
  b_.create<TrainOp>(loc(t.loc), t.loss, b_.getDictionaryAttr(fields),
                     /*step_fn=*/nullptr);
}
