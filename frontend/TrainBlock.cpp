// Train blocks: each setting is checked (names, kinds and ranges of
// values), then the block becomes one axon.train op whose configuration is
// the settings as attributes, with the gradient function of its loss.
#include "frontend/Translator.h"

#include "mlir/IR/BuiltinAttributes.h"

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

/// The checks of one setting, by name; the name itself was checked.
bool Translator::checkTrainSetting(const KeywordArg &kw) {
  const Expr &v = *kw.value;
  if ((kw.name == "batch" || kw.name == "epochs" ||
       kw.name == "one_hot") &&
      (!constInt(v) || *constInt(v) < 1)) {
    file_.emitError(v.loc) << "'" + kw.name + "' must be a positive integer";
    return false;
  }
  if (kw.name == "optimizer") {
    static const std::map<std::string, std::set<std::string>> opts = {
        {"sgd", {"lr", "weight_decay", "clip_norm"}},
        {"momentum", {"lr", "beta", "weight_decay", "clip_norm"}},
        {"adam",
         {"lr", "beta1", "beta2", "eps", "weight_decay", "clip_norm"}}};
    auto opt = v.kind == Expr::Call ? opts.find(v.name) : opts.end();
    if (opt == opts.end()) {
      file_.emitError(v.loc) << "optimizer must be sgd(...), momentum(...) or "
                                "adam(...)";
      return false;
    }
    bool ok = v.args.empty();
    if (!ok)
      file_.emitError(v.args[0]->loc)
          << "optimizer settings are named: " + v.name + "(lr = 0.01)";
    for (const KeywordArg &o : v.kwargs) {
      if (!opt->second.count(o.name)) {
        std::string list;
        for (const std::string &k : opt->second)
          list += (list.empty() ? "" : ", ") + k;
        file_.emitError(o.loc) << "'" + v.name + "' has no setting '" + o.name +
                                      "' (settings: " + list + ")";
        ok = false;
      } else if (!constNumber(*o.value) || *constNumber(*o.value) < 0) {
        file_.emitError(o.value->loc)
            << "'" + o.name + "' must be a non-negative number";
        ok = false;
      }
    }
    if (!ok)
      return false;
  }
  if (kw.name == "eval_fn" &&
      (v.kind != Expr::Name || !sigs_.count(v.name))) {
    file_.emitError(v.loc) << "eval_fn must name a function of the loss's "
                              "arguments, such as accuracy_of";
    return false;
  }
  if (kw.name == "params") {
    bool ok = v.kind == Expr::List && !v.args.empty();
    for (size_t i = 0; ok && i < v.args.size(); ++i) {
      const ExprPtr &item = v.args[i];
      if (item->kind != Expr::Name || !params_.count(item->name)) {
        file_.emitError(item->loc)
            << "'params' lists parameters; '" +
                   (item->kind == Expr::Name ? item->name : "?") +
                   "' is not one";
        ok = false;
        break;
      }
    }
    if (v.kind != Expr::List || v.args.empty())
      file_.emitError(v.loc)
          << "'params' must be a non-empty list of parameters";
    if (!ok)
      return false;
  }
  if (kw.name == "data" || kw.name == "eval_data") {
    static const std::set<std::string> loaders = {"idx", "npy", "csv"};
    bool ok = v.kind == Expr::Call && loaders.count(v.name);
    if (ok)
      for (const auto &arg : v.args)
        ok &= arg->kind == Expr::String;
    if (!ok) {
      file_.emitError(v.loc) << "data must be idx(\"images\", \"labels\"), "
                                "npy(\"inputs\", \"labels\") or "
                                "csv(\"file\", label = column) with file names";
      return false;
    }
    size_t files = v.name == "csv" ? 1 : 2;
    if (v.args.size() != files) {
      file_.emitError(v.loc) << v.name + "(...) takes " +
                                    std::to_string(files) +
                                    (files == 1 ? " file name"
                                                : " file names: "
                                                  "inputs, labels");
      return false;
    }
    for (const KeywordArg &o : v.kwargs)
      if (v.name != "csv" || o.name != "label" || !constInt(*o.value)) {
        file_.emitError(o.loc)
            << (v.name == "csv" ? "csv(...) takes one setting, label = "
                                  "column number (negative: from the end)"
                                : v.name + "(...) takes no settings");
        ok = false;
      }
    if (!ok)
      return false;
  }
  if (kw.name == "normalize") {
    static const std::set<std::string> kinds = {"scale", "standard",
                                                "none"};
    bool named = v.kind == Expr::Name && kinds.count(v.name);
    std::map<std::string, const Expr *> given;
    if (v.kind == Expr::Call && v.name == "normalize" && v.args.empty())
      for (const KeywordArg &o : v.kwargs)
        if (constNumber(*o.value))
          given[o.name] = o.value.get();
    bool fixed = v.kwargs.size() == 2 && given.count("mean") &&
                 given.count("std");
    if (!named && !fixed) {
      file_.emitError(v.loc) << "normalize must be scale, standard, none or "
                                "normalize(mean = m, std = s)";
      return false;
    }
    if (fixed && !(*constNumber(*given["std"]) > 0)) {
      file_.emitError(given["std"]->loc) << "'std' must be positive";
      return false;
    }
  }
  return true;
}


void Translator::emitTrain(const Train &t) {
  auto sig = sigs_.find(t.loss);
  if (sig == sigs_.end()) {
    file_.emitError(t.lossLoc)
        << "train block names unknown function '" + t.loss + "'";
    return;
  }
  if (sig->second.ok &&
      (sig->second.resultElems.size() != 1 ||
       !sig->second.resultShapes[0].empty() ||
       (sig->second.resultElems[0] != "f32" &&
        sig->second.resultElems[0] != "f64"))) {
    file_.emitError(t.lossLoc) << "loss function '" + t.loss +
                                      "' must return one floating-point scalar";
    return;
  }
  static const std::set<std::string> keys = {
      "data", "eval_data", "optimizer", "batch", "epochs", "seed",
      "shuffle", "log", "eval_fn", "params", "normalize", "one_hot"};
  llvm::SmallVector<mlir::NamedAttribute> fields;
  std::set<std::string> seen;
  for (const KeywordArg &kw : t.settings) {
    if (!keys.count(kw.name)) {
      file_.emitError(kw.loc)
          << "unknown train setting '" + kw.name +
                 "' (expected data, eval_data, optimizer, "
                 "batch, epochs, seed, shuffle, log, eval_fn, "
                 "params, normalize or one_hot)";
      continue;
    }
    if (!seen.insert(kw.name).second) {
      file_.emitError(kw.loc) << "train setting '" + kw.name + "' given twice";
      continue;
    }
    if (!checkTrainSetting(kw))
      continue;
    const Expr &v = *kw.value;
    mlir::Attribute a = configValue(v);
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
