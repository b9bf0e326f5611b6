// The train configuration's attributes: their tables, verifiers and the
// forms they print in (the model file's own spelling of each setting).
#include "ir/AxonDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace axon;

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

namespace {
constexpr llvm::StringLiteral kInputsLabels[] = {"inputs", "labels"};
constexpr llvm::StringLiteral kOneFile[] = {"file"};
constexpr DataOption kCsvOptions[] = {
    {"label", DataOption::Kind::Integer,
     "label = column number (negative: from the end)"}};

const DataFormat kDataFormats[] = {
    {"idx", R"(idx("images", "labels"))", kInputsLabels, {}},
    {"npy", R"(npy("inputs", "labels"))", kInputsLabels, {}},
    {"csv", R"(csv("file", label = column))", kOneFile, kCsvOptions},
};

constexpr unsigned bit(OptimizerKind k) { return 1u << unsigned(k); }
constexpr unsigned kAllKinds = bit(OptimizerKind::sgd) |
                               bit(OptimizerKind::momentum) |
                               bit(OptimizerKind::adam);

// In OptimizerAttr's parameter order.
const OptimizerSetting kOptimizerSettings[] = {
    {"lr", kAllKinds, 0.01, 1e-3},
    {"weight_decay", kAllKinds, 0, 0},
    {"clip_norm", kAllKinds, 0, 0},
    {"beta", bit(OptimizerKind::momentum), 0.9, 0.9},
    {"beta1", bit(OptimizerKind::adam), 0.9, 0.9},
    {"beta2", bit(OptimizerKind::adam), 0.999, 0.999},
    {"eps", bit(OptimizerKind::adam), 1e-8, 1e-8},
};

/// The optimizer's fields in parameter order (kOptimizerSettings').
std::array<APFloat, 7> fieldsOf(OptimizerAttr o) {
  return {o.getLr(),   o.getWeightDecay(), o.getClipNorm(), o.getBeta(),
          o.getBeta1(), o.getBeta2(),      o.getEps()};
}
} // namespace

const DataOption *DataFormat::findOption(llvm::StringRef n) const {
  for (const DataOption &o : options)
    if (o.name == n)
      return &o;
  return nullptr;
}

llvm::ArrayRef<DataFormat> axon::dataFormats() { return kDataFormats; }

const DataFormat *axon::findDataFormat(llvm::StringRef name) {
  for (const DataFormat &f : kDataFormats)
    if (f.name == name)
      return &f;
  return nullptr;
}

bool OptimizerSetting::takenBy(OptimizerKind kind) const {
  return kindMask & bit(kind);
}

double OptimizerSetting::defaultFor(OptimizerKind kind) const {
  return kind == OptimizerKind::adam ? adamDefault : defaultValue;
}

llvm::ArrayRef<OptimizerSetting> axon::optimizerSettings() {
  return kOptimizerSettings;
}

//===----------------------------------------------------------------------===//
// Parameter parsers
//===----------------------------------------------------------------------===//

FailureOr<double> axon::parseNumber(AsmParser &parser) {
  // An attribute, so that both `1` and `1.0e-03` are numbers.
  SMLoc loc = parser.getCurrentLocation();
  Attribute a;
  if (parser.parseAttribute(a))
    return failure();
  if (auto i = dyn_cast<IntegerAttr>(a))
    return double(i.getInt());
  if (auto f = dyn_cast<FloatAttr>(a))
    return f.getValueAsDouble();
  return parser.emitError(loc, "expected a number");
}

FailureOr<APFloat> axon::parseF64(AsmParser &parser) {
  FailureOr<double> v = parseNumber(parser);
  if (failed(v))
    return failure();
  return APFloat(*v);
}

FailureOr<bool> axon::parseBool(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected true or false");
}

FailureOr<SmallVector<FlatSymbolRefAttr>>
axon::parseSymbolList(AsmParser &parser) {
  SmallVector<FlatSymbolRefAttr> symbols;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        FlatSymbolRefAttr s;
        if (parser.parseAttribute(s))
          return failure();
        symbols.push_back(s);
        return success();
      }))
    return failure();
  return symbols;
}

void axon::printSymbolList(AsmPrinter &printer,
                           llvm::ArrayRef<FlatSymbolRefAttr> symbols) {
  printer << '[';
  llvm::interleaveComma(symbols, printer,
                        [&](FlatSymbolRefAttr s) { printer.printAttribute(s); });
  printer << ']';
}

void axon::printNumber(AsmPrinter &printer, const APFloat &value) {
  // The shortest decimal that reads back as the same double, with a '.' as
  // MLIR's float literals need: 0.001, not 1.000000e-03.
  double v = value.convertToDouble();
  if (!std::isfinite(v)) {
    printer << value;
    return;
  }
  char text[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v)
      break;
  }
  std::string s = text;
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  else if (s.find('.') == std::string::npos)
    s.insert(s.find('e'), ".0");
  printer << s;
}

/// `name = value` pairs up to the closing parenthesis (the opening one
/// parsed), each through `one`.
static ParseResult
parseSettings(AsmParser &parser,
              llvm::function_ref<ParseResult(StringRef name)> one) {
  if (succeeded(parser.parseOptionalRParen()))
    return success();
  do {
    StringRef name;
    if (parser.parseKeyword(&name) || parser.parseEqual() || one(name))
      return failure();
  } while (succeeded(parser.parseOptionalComma()));
  return parser.parseRParen();
}

//===----------------------------------------------------------------------===//
// DataSourceAttr: csv("train.csv", label = -1)
//===----------------------------------------------------------------------===//

int64_t DataSourceAttr::getIntOption(StringRef name, int64_t otherwise) const {
  if (DictionaryAttr options = getOptions())
    if (auto v = options.getAs<IntegerAttr>(name))
      return v.getInt();
  return otherwise;
}

LogicalResult
DataSourceAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                       StringRef format, ArrayRef<StringAttr> files,
                       DictionaryAttr options) {
  const DataFormat *f = findDataFormat(format);
  if (!f)
    return emitError() << "unknown data format '" << format << "'";
  if (files.size() != f->files.size())
    return emitError() << format << "(...) takes " << f->files.size()
                       << " file name" << (f->files.size() == 1 ? "" : "s");
  if (options)
    for (NamedAttribute o : options) {
      const DataOption *d = f->findOption(o.getName());
      if (!d)
        return emitError() << format << "(...) has no setting '"
                           << o.getName().getValue() << "'";
      bool ok = d->kind == DataOption::Kind::Integer
                    ? llvm::isa<IntegerAttr>(o.getValue())
                : d->kind == DataOption::Kind::Number
                    ? llvm::isa<IntegerAttr, FloatAttr>(o.getValue())
                    : llvm::isa<StringAttr>(o.getValue());
      if (!ok)
        return emitError() << "'" << o.getName().getValue()
                           << "' must be: " << d->usage;
    }
  return success();
}

FailureOr<DataSourceAttr> DataSourceAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef format;
  if (parser.parseKeyword(&format) || parser.parseLParen())
    return failure();
  SmallVector<StringAttr> files;
  SmallVector<NamedAttribute> options;
  if (failed(parser.parseOptionalRParen())) {
    do {
      std::string file;
      if (succeeded(parser.parseOptionalString(&file))) {
        files.push_back(parser.getBuilder().getStringAttr(file));
        continue;
      }
      StringRef name;
      Attribute value;
      if (parser.parseKeyword(&name) || parser.parseEqual() ||
          parser.parseAttribute(value))
        return failure();
      options.push_back(parser.getBuilder().getNamedAttr(name, value));
    } while (succeeded(parser.parseOptionalComma()));
    if (parser.parseRParen())
      return failure();
  }
  DictionaryAttr dict =
      options.empty() ? DictionaryAttr()
                      : parser.getBuilder().getDictionaryAttr(options);
  auto attr = getChecked([&] { return parser.emitError(loc); },
                         parser.getContext(), format, files, dict);
  if (!attr)
    return failure();
  return attr;
}

void DataSourceAttr::printBody(AsmPrinter &printer) const {
  printer << getFormat() << '(';
  llvm::interleaveComma(getFiles(), printer,
                        [&](StringAttr f) { printer.printString(f.getValue()); });
  if (DictionaryAttr options = getOptions())
    for (auto [i, o] : llvm::enumerate(options)) {
      printer << (getFiles().empty() && i == 0 ? "" : ", ")
              << o.getName().getValue() << " = ";
      printer.printAttributeWithoutType(o.getValue());
    }
  printer << ')';
}

//===----------------------------------------------------------------------===//
// OptimizerAttr: adam(lr = 0.001, beta2 = 0.99)
//===----------------------------------------------------------------------===//

FailureOr<OptimizerAttr> OptimizerAttr::fromSettings(
    MLIRContext *context, OptimizerKind kind,
    ArrayRef<std::pair<StringRef, double>> settings,
    llvm::function_ref<InFlightDiagnostic()> emitError) {
  SmallVector<APFloat> values;
  for (const OptimizerSetting &s : kOptimizerSettings)
    values.push_back(APFloat(s.defaultFor(kind)));
  for (auto [name, value] : settings) {
    auto s = llvm::find_if(kOptimizerSettings, [&](const OptimizerSetting &s) {
      return s.name == name && s.takenBy(kind);
    });
    if (s == std::end(kOptimizerSettings))
      return emitError() << "'" << stringifyOptimizerKind(kind)
                         << "' has no setting '" << name << "'";
    values[s - std::begin(kOptimizerSettings)] = APFloat(value);
  }
  auto attr = getChecked(emitError, context, kind, values[0], values[1],
                         values[2], values[3], values[4], values[5], values[6]);
  if (!attr)
    return failure();
  return attr;
}

LogicalResult
OptimizerAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      OptimizerKind kind, APFloat lr, APFloat weightDecay,
                      APFloat clipNorm, APFloat beta, APFloat beta1,
                      APFloat beta2, APFloat eps) {
  APFloat values[] = {lr, weightDecay, clipNorm, beta, beta1, beta2, eps};
  for (auto [s, v] : llvm::zip(kOptimizerSettings, values)) {
    double d = v.convertToDouble();
    if (!(d >= 0))
      return emitError() << "'" << s.name << "' must be a non-negative number";
    if (!s.takenBy(kind) && d != s.defaultFor(kind))
      return emitError() << "'" << stringifyOptimizerKind(kind)
                         << "' has no setting '" << s.name << "'";
  }
  return success();
}

FailureOr<OptimizerAttr> OptimizerAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name) || parser.parseLParen())
    return failure();
  auto kind = symbolizeOptimizerKind(name);
  if (!kind)
    return parser.emitError(loc, "expected sgd, momentum or adam");
  SmallVector<std::pair<StringRef, double>> settings;
  if (parseSettings(parser, [&](StringRef setting) {
        FailureOr<double> v = parseNumber(parser);
        if (failed(v))
          return failure();
        settings.push_back({setting, *v});
        return success();
      }))
    return failure();
  return fromSettings(parser.getContext(), *kind, settings,
                      [&] { return parser.emitError(loc); });
}

void OptimizerAttr::printBody(AsmPrinter &printer) const {
  printer << stringifyOptimizerKind(getKind()) << '(';
  for (auto [s, v] : llvm::zip(kOptimizerSettings, fieldsOf(*this))) {
    // lr always; the others where they differ from their defaults.
    bool first = s.name == "lr";
    if (first || (s.takenBy(getKind()) &&
                  v.convertToDouble() != s.defaultFor(getKind())))
    {
      printer << (first ? "" : ", ") << s.name << " = ";
      printNumber(printer, v);
    }
  }
  printer << ')';
}

//===----------------------------------------------------------------------===//
// NormalizeAttr: scale | standard | none | normalize(mean = m, std = s)
//===----------------------------------------------------------------------===//

LogicalResult
NormalizeAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      NormalizeKind kind, APFloat mean, APFloat std) {
  if (kind == NormalizeKind::fixed) {
    if (!(std.convertToDouble() > 0))
      return emitError() << "'std' must be positive";
    if (!mean.isFinite())
      return emitError() << "'mean' must be a finite number";
  } else if (mean.convertToDouble() != 0 || std.convertToDouble() != 1) {
    return emitError() << "only normalize(mean = m, std = s) has a mean and "
                          "std";
  }
  return success();
}

FailureOr<NormalizeAttr> NormalizeAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name))
    return failure();
  auto emitError = [&] { return parser.emitError(loc); };
  if (name != "normalize") {
    auto kind = symbolizeNormalizeKind(name);
    if (!kind || *kind == NormalizeKind::fixed)
      return emitError() << "expected scale, standard, none or "
                            "normalize(mean = m, std = s)";
    return get(parser.getContext(), *kind);
  }
  std::optional<double> mean, std;
  if (parser.parseLParen() ||
      parseSettings(parser, [&](StringRef setting) -> ParseResult {
        FailureOr<double> v = parseNumber(parser);
        if (failed(v))
          return failure();
        if (setting == "mean")
          mean = *v;
        else if (setting == "std")
          std = *v;
        else
          return parser.emitError(parser.getCurrentLocation(),
                                  "expected mean or std");
        return success();
      }))
    return failure();
  if (!mean || !std)
    return emitError() << "normalize(...) needs mean and std";
  auto attr = getChecked(emitError, parser.getContext(), NormalizeKind::fixed,
                         APFloat(*mean), APFloat(*std));
  if (!attr)
    return failure();
  return attr;
}

void NormalizeAttr::printBody(AsmPrinter &printer) const {
  if (getKind() == NormalizeKind::fixed)
  {
    printer << "normalize(mean = ";
    printNumber(printer, getMean());
    printer << ", std = ";
    printNumber(printer, getStd());
    printer << ")";
  }
  else
    printer << stringifyNormalizeKind(getKind());
}

//===----------------------------------------------------------------------===//
// TrainConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult TrainConfigAttr::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError, DataSourceAttr,
    DataSourceAttr, OptimizerAttr, std::optional<int64_t> batch,
    int64_t epochs, int64_t seed, bool, StringRef, FlatSymbolRefAttr,
    ArrayRef<FlatSymbolRefAttr>, NormalizeAttr, int64_t oneHot) {
  if (batch && *batch < 1)
    return emitError() << "'batch' must be a positive integer";
  if (epochs < 1)
    return emitError() << "'epochs' must be a positive integer";
  if (seed < 0)
    return emitError() << "'seed' must be a non-negative integer";
  if (oneHot < 0)
    return emitError() << "'one_hot' must be a positive integer";
  return success();
}

NormalizeAttr TrainConfigAttr::getNormalizeOrDefault() const {
  if (NormalizeAttr n = getNormalize())
    return n;
  // IDX files hold bytes; scaling them to [0, 1] is what every model of
  // them wants, so it is the default there.
  bool bytes = getData() && getData().getFormat() == "idx";
  return NormalizeAttr::get(getContext(),
                            bytes ? NormalizeKind::scale : NormalizeKind::none);
}

TrainConfigAttr axon::emptyTrainConfig(MLIRContext *context) {
  // The defaults of AxonAttrs.td's parameters.
  return TrainConfigAttr::get(context, {}, {}, {}, std::nullopt, /*epochs=*/1,
                              /*seed=*/0, /*shuffle=*/true, /*log=*/"", {}, {},
                              {}, /*one_hot=*/0);
}

ParseResult axon::parseTrainConfig(OpAsmParser &parser,
                                   TrainConfigAttr &config) {
  // The parser cannot give a token back: look at the current one's text.
  if (*parser.getCurrentLocation().getPointer() != '<') {
    config = emptyTrainConfig(parser.getContext());
    return success();
  }
  config = dyn_cast_or_null<TrainConfigAttr>(
      TrainConfigAttr::parse(parser, Type()));
  return success(config != nullptr);
}

void axon::printTrainConfig(OpAsmPrinter &printer, Operation *,
                            TrainConfigAttr config) {
  if (config == emptyTrainConfig(config.getContext()))
    return;
  printer << ' ';
  config.print(printer);
}

//===----------------------------------------------------------------------===//
// The standalone forms: #axon.data<...>, #axon.optimizer<...>, ...
//===----------------------------------------------------------------------===//

template <typename AttrT> static Attribute parseAngled(AsmParser &parser) {
  if (parser.parseLess())
    return {};
  FailureOr<AttrT> body = AttrT::parseBody(parser);
  if (failed(body) || parser.parseGreater())
    return {};
  return *body;
}

template <typename AttrT>
static void printAngled(AsmPrinter &printer, AttrT attr) {
  printer << '<';
  attr.printBody(printer);
  printer << '>';
}

Attribute DataSourceAttr::parse(AsmParser &parser, Type) {
  return parseAngled<DataSourceAttr>(parser);
}
void DataSourceAttr::print(AsmPrinter &printer) const {
  printAngled(printer, *this);
}
Attribute OptimizerAttr::parse(AsmParser &parser, Type) {
  return parseAngled<OptimizerAttr>(parser);
}
void OptimizerAttr::print(AsmPrinter &printer) const {
  printAngled(printer, *this);
}
Attribute NormalizeAttr::parse(AsmParser &parser, Type) {
  return parseAngled<NormalizeAttr>(parser);
}
void NormalizeAttr::print(AsmPrinter &printer) const {
  printAngled(printer, *this);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

#define GET_ATTRDEF_CLASSES
#include "ir/AxonAttrs.cpp.inc"

void AxonDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ir/AxonAttrs.cpp.inc"
      >();
}
