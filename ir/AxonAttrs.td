// Attributes of the axon dialect: a train block's configuration, typed.
//
// The frontend checks a model file's `train` block and builds one
// TrainConfigAttr; axon-lower-train reads its optimizer and the driver
// (tools/axonc/TrainBlock) copies its fields into the runtime's plain
// TrainConfig. Each attribute prints as the model file writes the setting:
//   <data = idx("images.gz", "labels.gz"), optimizer = adam(lr = 0.001),
//    batch = 128, epochs = 10, seed = 42, eval_fn = @accuracy_of>
#ifndef AXON_ATTRS_TD
#define AXON_ATTRS_TD

include "ir/AxonDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class Axon_Attr<string name, string attrMnemonic>
    : AttrDef<Axon_Dialect, name> {
  let mnemonic = attrMnemonic;
}

// A floating-point setting (learning rate, betas, ...), held as an f64
// APFloat so the attribute can be hashed and compared bit for bit.
def Axon_F64Parameter : APFloatParameter<"an f64 value"> {
  let parser = [{ ::axon::parseF64($_parser) }];
  let printer = [{ ::axon::printNumber($_printer, $_self) }];
}

class Axon_BoolParameter<string default>
    : DefaultValuedParameter<"bool", default, "true or false"> {
  let parser = [{ ::axon::parseBool($_parser) }];
  let printer = [{ $_printer << ($_self ? "true" : "false") }];
}

def Axon_OptionalIntParameter
    : OptionalParameter<"std::optional<int64_t>", "an integer, if given"> {
  let printer = [{ $_printer << *$_self }];
}

def Axon_OptionalF64Parameter
    : OptionalParameter<"std::optional<::llvm::APFloat>", "a number, if given"> {
  let parser = [{ ::axon::parseOptionalF64($_parser) }];
  let printer = [{ ::axon::printNumber($_printer, *$_self) }];
}

// `[@W1, @b1]`.
def Axon_SymbolListParameter
    : OptionalArrayRefParameter<"::mlir::FlatSymbolRefAttr", "symbols"> {
  let parser = [{ ::axon::parseSymbolList($_parser) }];
  let printer = [{ ::axon::printSymbolList($_printer, $_self) }];
}

def Axon_OptimizerKind : I32EnumAttr<"OptimizerKind", "optimizer", [
    I32EnumAttrCase<"sgd", 0>, I32EnumAttrCase<"momentum", 1>,
    I32EnumAttrCase<"adam", 2>]> {
  let cppNamespace = "::axon";
  let genSpecializedAttr = 0;
}

def Axon_NormalizeKind : I32EnumAttr<"NormalizeKind", "input normalisation", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"scale", 1>,
    I32EnumAttrCase<"standard", 2>, I32EnumAttrCase<"fixed", 3>]> {
  let cppNamespace = "::axon";
  let genSpecializedAttr = 0;
}

def Axon_ScheduleKind : I32EnumAttr<"ScheduleKind", "learning-rate schedule", [
    I32EnumAttrCase<"constant", 0>, I32EnumAttrCase<"cosine", 1>,
    I32EnumAttrCase<"linear", 2>, I32EnumAttrCase<"step_decay", 3>]> {
  let cppNamespace = "::axon";
  let genSpecializedAttr = 0;
}

def Axon_LrScheduleAttr : Axon_Attr<"LrSchedule", "lr"> {
  let summary = "the learning rate as a function of the step";
  let description = [{
    The learning rate at global step t (0, 1, ...), computed in the train
    step from its step counter (axon-lower-train), so a resumed run takes
    the same rates. `lr` is the peak; the first `warmup` steps ramp up to
    it linearly, lr * (t + 1) / warmup, then:
      constant   lr
      cosine     min + (lr - min) (1 + cos(pi p)) / 2
      linear     min + (lr - min) (1 - p)
      step_decay lr * factor ^ floor((t - warmup) / every)
    with p = (t - warmup) / (steps - warmup) clamped to [0, 1] (`min` from
    step `steps` on). Printed as written: `0.01` (constant, no warm-up),
    `cosine(0.01, warmup = 100, steps = 5000)`.
  }];
  let parameters = (ins EnumParameter<Axon_ScheduleKind>:$kind,
                        Axon_F64Parameter:$lr,
                        "int64_t":$warmup,
                        "int64_t":$steps,
                        Axon_F64Parameter:$min,
                        "int64_t":$every,
                        Axon_F64Parameter:$factor);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The form between `<` and `>`, which OptimizerAttr prints alone.
    static ::mlir::FailureOr<LrScheduleAttr> parseBody(::mlir::AsmParser &parser);
    void printBody(::mlir::AsmPrinter &printer) const;
    /// A constant rate without warm-up.
    static LrScheduleAttr getConstant(::mlir::MLIRContext *context, double lr);
    /// The rate at step `step`, in double: the formula the train step
    /// computes (in the loss's element type), for tests and messages.
    double at(int64_t step) const;
  }];
}

def Axon_DataSourceAttr : Axon_Attr<"DataSource", "data"> {
  let summary = "where a train block's samples come from";
  let description = [{
    A data format (one of `dataFormats()` in ir/AxonAttrs.h: `idx`, `npy`,
    `csv`, `text`), its files in the order the format names them, and the
    format's own settings (`csv`'s `label` column, `text`'s `level`, `seq`,
    ...), each checked against the format's table. Printed as written:
    `csv("train.csv", label = -1)`.
  }];
  let parameters = (ins StringRefParameter<"the format's name">:$format,
                        OptionalArrayRefParameter<"::mlir::StringAttr">:$files,
                        OptionalParameter<"::mlir::DictionaryAttr">:$options);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The form between `<` and `>`, which TrainConfigAttr prints alone.
    static ::mlir::FailureOr<DataSourceAttr> parseBody(::mlir::AsmParser &parser);
    void printBody(::mlir::AsmPrinter &printer) const;
    /// The integer setting `name` (csv's `label`), or `otherwise`.
    int64_t getIntOption(::llvm::StringRef name, int64_t otherwise) const;
  }];
}

def Axon_ScheduleParameter : AttrParameter<"::axon::LrScheduleAttr", "a schedule"> {
  let parser = "::axon::LrScheduleAttr::parseBody($_parser)";
  let printer = "$_self.printBody($_printer)";
}

def Axon_OptimizerAttr : Axon_Attr<"Optimizer", "optimizer"> {
  let summary = "an optimizer and its hyper-parameters";
  let description = [{
    `sgd(lr, weight_decay, clip_norm)`, `momentum(lr, beta, weight_decay,
    clip_norm)` or `adam(lr, beta1, beta2, eps, weight_decay, clip_norm)`.
    `lr` is a number or a schedule (LrScheduleAttr). Every field holds a
    value: settings a model file leaves out hold their defaults
    (`optimizerSettings()`), and a field another kind uses holds its
    default. Printed with `lr` and the settings that differ from their
    defaults: `adam(lr = 0.001, clip_norm = 1.0)`.
  }];
  let parameters = (ins EnumParameter<Axon_OptimizerKind>:$kind,
                        Axon_ScheduleParameter:$lr,
                        Axon_F64Parameter:$weight_decay,
                        Axon_F64Parameter:$clip_norm,
                        Axon_F64Parameter:$beta,
                        Axon_F64Parameter:$beta1,
                        Axon_F64Parameter:$beta2,
                        Axon_F64Parameter:$eps);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The form between `<` and `>`, which TrainConfigAttr prints alone.
    static ::mlir::FailureOr<OptimizerAttr> parseBody(::mlir::AsmParser &parser);
    void printBody(::mlir::AsmPrinter &printer) const;
    /// `kind` with the learning rate `lr` (null: the kind's default) and
    /// the named numeric settings given, the others at their defaults; an
    /// unknown name or one `kind` does not take is an error.
    static ::mlir::FailureOr<OptimizerAttr>
    fromSettings(::mlir::MLIRContext *context, OptimizerKind kind,
        LrScheduleAttr lr,
        ::llvm::ArrayRef<std::pair<::llvm::StringRef, double>> settings,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Axon_NormalizeAttr : Axon_Attr<"Normalize", "normalize"> {
  let summary = "how inputs are rescaled";
  let description = [{
    `none`, `scale` (min-max to [0, 1]), `standard` (zero mean, unit
    deviation, statistics of the training set) or
    `normalize(mean = m, std = s)` (kind `fixed`); mean and std are 0 and 1
    for the other kinds.
  }];
  let parameters = (ins EnumParameter<Axon_NormalizeKind>:$kind,
                        Axon_F64Parameter:$mean, Axon_F64Parameter:$std);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The form between `<` and `>`, which TrainConfigAttr prints alone.
    static ::mlir::FailureOr<NormalizeAttr> parseBody(::mlir::AsmParser &parser);
    void printBody(::mlir::AsmPrinter &printer) const;
  }];
  let builders = [
    AttrBuilder<(ins "NormalizeKind":$kind), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(0.0), ::llvm::APFloat(1.0));
    }]>
  ];
}

// A parameter holding one of the attributes above, written without its
// `<...>`: `optimizer = adam(lr = 0.001)`.
class Axon_BodyParameter<string attr>
    : OptionalParameter<"::axon::" # attr # "Attr"> {
  let parser = "::axon::" # attr # "Attr::parseBody($_parser)";
  let printer = "$_self.printBody($_printer)";
}

def Axon_TrainConfigAttr : Axon_Attr<"TrainConfig", "train"> {
  let summary = "a train block's settings";
  let description = [{
    The settings of a model file's `train` block, by name, as the frontend
    checked them. A setting the block leaves out is absent (data,
    eval_data, optimizer, batch, eval_fn, params, normalize, validation) or
    at its default (epochs 1, seed 0, shuffle true, log "", one_hot 0: off).
    `validation` is the fraction of the training data held out (the last
    part: by position) and evaluated each epoch.
  }];
  let parameters = (ins
      Axon_BodyParameter<"DataSource">:$data,
      Axon_BodyParameter<"DataSource">:$eval_data,
      Axon_BodyParameter<"Optimizer">:$optimizer,
      Axon_OptionalIntParameter:$batch,
      DefaultValuedParameter<"int64_t", "1">:$epochs,
      DefaultValuedParameter<"int64_t", "0">:$seed,
      Axon_BoolParameter<"true">:$shuffle,
      StringRefParameter<"the metrics log's path", "\"\"">:$log,
      OptionalParameter<"::mlir::FlatSymbolRefAttr">:$eval_fn,
      Axon_SymbolListParameter:$params,
      Axon_BodyParameter<"Normalize">:$normalize,
      DefaultValuedParameter<"int64_t", "0">:$one_hot,
      Axon_OptionalF64Parameter:$validation);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The block's normalisation: `normalize` if given, else `scale` for
    /// IDX data (bytes) and `none` otherwise.
    NormalizeAttr getNormalizeOrDefault() const;
  }];
}

#endif // AXON_ATTRS_TD
