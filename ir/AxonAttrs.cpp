// The train configuration's attributes: their tables, verifiers and the
// forms they print in (the model file's own spelling of each setting).
#include "ir/AxonDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
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
constexpr llvm::StringLiteral kCorpus[] = {"corpus"};
constexpr DataOption kCsvOptions[] = {
    {"label", DataOption::Kind::Integer,
     "label = column number (negative: from the end)"}};

// runtime/data/TextSource.h's settings (textSettings), with their ranges so
// that a model file's mistakes are located; the runtime checks them again
// when a built binary reads its configuration.
constexpr llvm::StringLiteral kLevels[] = {"char", "word"};
constexpr DataOption kTextOptions[] = {
    {"level", DataOption::Kind::String, "level = \"char\" or \"word\" (tokens)",
     -1e300, 1e300, kLevels},
    {"seq", DataOption::Kind::Integer, "seq = T (windows of T + 1 tokens)", 1},
    {"stride", DataOption::Kind::Integer,
     "stride = tokens between windows (0: seq)", 0},
    {"validation", DataOption::Kind::Number,
     "validation = the fraction at the end held out (default 0.1)", 0, 1},
    {"words", DataOption::Kind::Integer,
     "words = K most frequent words (word level; 0: all)", 0},
    {"window", DataOption::Kind::Integer,
     "window = reach of skip-gram pairs", 1},
    {"negatives", DataOption::Kind::Integer,
     "negatives = noise words per pair", 0},
};

// runtime/data/SequenceTask.h's tasks (sequenceTaskSpec) and settings
// (sequenceTaskSettings), located like text's.
constexpr llvm::StringLiteral kTaskName[] = {"task"};
constexpr llvm::StringLiteral kTasks[] = {"reverse", "sort"};
constexpr DataOption kTaskOptions[] = {
    {"length", DataOption::Kind::Integer, "length = L (digits per string)", 1},
    {"samples", DataOption::Kind::Integer,
     "samples = strings in both splits", 1},
    {"validation", DataOption::Kind::Number,
     "validation = the fraction held out (default 0.1)", 0, 1},
    {"seed", DataOption::Kind::Integer, "seed = which strings are drawn", 0},
};

/// Windows (seq) or skip-gram pairs (window), each with its own settings;
/// pairs and `words` are of the word level.
std::string textCombinationError(DictionaryAttr options) {
  auto has = [&](StringRef name) { return options && options.get(name); };
  bool seq = has("seq"), window = has("window");
  if (seq == window)
    return seq ? "seq (windows) and window (skip-gram pairs) exclude each "
                 "other"
               : "text(...) needs seq = T (windows for a language model) or "
                 "window = W (skip-gram pairs)";
  if (seq && has("negatives"))
    return "negatives is a setting of skip-gram pairs (window = W)";
  if (window && has("stride"))
    return "stride is a setting of windows (seq = T)";
  auto level = options.getAs<StringAttr>("level");
  bool word = level && level.getValue() == "word";
  if (window && !word)
    return "skip-gram pairs (window = W) need level = \"word\"";
  if (has("words") && !word)
    return "words = K is a setting of level = \"word\"";
  return "";
}

const DataFormat kDataFormats[] = {
    {"idx", R"(idx("images", "labels"))", kInputsLabels, {}},
    {"npy", R"(npy("inputs", "labels"))", kInputsLabels, {}},
    {"csv", R"(csv("file", label = column))", kOneFile, kCsvOptions},
    {"text", R"(text("corpus", level = "char", seq = T))", kCorpus,
     kTextOptions, textCombinationError, /*fileList=*/true},
    {"task", R"(task("reverse", length = L, samples = S))", kTaskName,
     kTaskOptions, nullptr, /*fileList=*/false, kTasks},
};

constexpr unsigned bit(OptimizerKind k) { return 1u << unsigned(k); }
constexpr unsigned kAllKinds = bit(OptimizerKind::sgd) |
                               bit(OptimizerKind::momentum) |
                               bit(OptimizerKind::adam);

// In OptimizerAttr's parameter order, after lr.
const OptimizerSetting kOptimizerSettings[] = {
    {"weight_decay", kAllKinds, 0, 0},
    {"clip_norm", kAllKinds, 0, 0},
    {"beta", bit(OptimizerKind::momentum), 0.9, 0.9},
    {"beta1", bit(OptimizerKind::adam), 0.9, 0.9},
    {"beta2", bit(OptimizerKind::adam), 0.999, 0.999},
    {"eps", bit(OptimizerKind::adam), 1e-8, 1e-8},
};

/// The optimizer's numeric fields in kOptimizerSettings' order.
std::array<APFloat, 6> fieldsOf(OptimizerAttr o) {
  return {o.getWeightDecay(), o.getClipNorm(), o.getBeta(),
          o.getBeta1(),       o.getBeta2(),    o.getEps()};
}
} // namespace

std::string DataOption::valueError(Attribute value) const {
  auto text = [](double v) {
    char s[32];
    std::snprintf(s, sizeof s, "%g", v);
    return std::string(s);
  };
  if (auto string = dyn_cast<StringAttr>(value)) {
    if (choices.empty() || llvm::is_contained(choices, string.getValue()))
      return "";
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i)
      list += std::string(i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") +
              "\"" + choices[i].str() + "\"";
    return (name + " must be " + list + ", got \"" + string.getValue() + "\"")
        .str();
  }
  double v = 0;
  if (auto i = dyn_cast<IntegerAttr>(value))
    v = double(i.getInt());
  else if (auto f = dyn_cast<FloatAttr>(value))
    v = f.getValueAsDouble();
  else
    return "";
  if (v < minimum)
    return (name + " must be at least " + text(minimum) + ", got " + text(v))
        .str();
  if (!(v < below))
    return (name + " must be in [" + text(minimum) + ", " + text(below) +
            "), got " + text(v))
        .str();
  return "";
}

const DataOption *DataFormat::findOption(llvm::StringRef n) const {
  for (const DataOption &o : options)
    if (o.name == n)
      return &o;
  return nullptr;
}

std::string DataFormat::nameError(llvm::StringRef n) const {
  if (names.empty() || llvm::is_contained(names, n))
    return "";
  std::string list;
  for (size_t i = 0; i < names.size(); ++i)
    list += std::string(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") +
            "\"" + names[i].str() + "\"";
  return ("unknown " + files.front() + " \"" + n + "\" (expected " + list +
          ")")
      .str();
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

double axon::defaultLearningRate(OptimizerKind kind) {
  return kind == OptimizerKind::adam ? 1e-3 : 0.01;
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

FailureOr<std::optional<APFloat>> axon::parseOptionalF64(AsmParser &parser) {
  FailureOr<APFloat> v = parseF64(parser);
  if (failed(v))
    return failure();
  return std::optional<APFloat>(*v);
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
  if (f->fileList ? files.empty() : files.size() != f->files.size())
    return emitError() << format << "(...) takes "
                       << (f->fileList ? "at least one"
                                       : std::to_string(f->files.size()))
                       << " file name" << (f->files.size() == 1 ? "" : "s");
  for (StringAttr name : files)
    if (std::string why = f->nameError(name.getValue()); !why.empty())
      return emitError() << why;
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
      if (std::string why = d->valueError(o.getValue()); !why.empty())
        return emitError() << format << "(...): " << why;
    }
  if (f->combinationError)
    if (std::string why = f->combinationError(options); !why.empty())
      return emitError() << format << "(...): " << why;
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
      // Numbers as a model file writes them: 0.1, not 1.000000e-01.
      if (auto f = llvm::dyn_cast<FloatAttr>(o.getValue()))
        printNumber(printer, f.getValue());
      else
        printer.printAttributeWithoutType(o.getValue());
    }
  printer << ')';
}

//===----------------------------------------------------------------------===//
// OptimizerAttr: adam(lr = 0.001, beta2 = 0.99)
//===----------------------------------------------------------------------===//

FailureOr<OptimizerAttr> OptimizerAttr::fromSettings(
    MLIRContext *context, OptimizerKind kind, LrScheduleAttr lr,
    ArrayRef<std::pair<StringRef, double>> settings,
    llvm::function_ref<InFlightDiagnostic()> emitError) {
  if (!lr)
    lr = LrScheduleAttr::getConstant(context, defaultLearningRate(kind));
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
  auto attr = getChecked(emitError, context, kind, lr, values[0], values[1],
                         values[2], values[3], values[4], values[5]);
  if (!attr)
    return failure();
  return attr;
}

LogicalResult
OptimizerAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      OptimizerKind kind, LrScheduleAttr lr,
                      APFloat weightDecay, APFloat clipNorm, APFloat beta,
                      APFloat beta1, APFloat beta2, APFloat eps) {
  if (!lr)
    return emitError() << "an optimizer needs a learning rate";
  APFloat values[] = {weightDecay, clipNorm, beta, beta1, beta2, eps};
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
  LrScheduleAttr lr;
  SmallVector<std::pair<StringRef, double>> settings;
  if (parseSettings(parser, [&](StringRef setting) -> ParseResult {
        if (setting == "lr") {
          FailureOr<LrScheduleAttr> schedule = LrScheduleAttr::parseBody(parser);
          if (failed(schedule))
            return failure();
          lr = *schedule;
          return success();
        }
        FailureOr<double> v = parseNumber(parser);
        if (failed(v))
          return failure();
        settings.push_back({setting, *v});
        return success();
      }))
    return failure();
  return fromSettings(parser.getContext(), *kind, lr, settings,
                      [&] { return parser.emitError(loc); });
}

void OptimizerAttr::printBody(AsmPrinter &printer) const {
  // lr always; the others where they differ from their defaults.
  printer << stringifyOptimizerKind(getKind()) << "(lr = ";
  getLr().printBody(printer);
  for (auto [s, v] : llvm::zip(kOptimizerSettings, fieldsOf(*this)))
    if (s.takenBy(getKind()) && v.convertToDouble() != s.defaultFor(getKind())) {
      printer << ", " << s.name << " = ";
      printNumber(printer, v);
    }
  printer << ')';
}

//===----------------------------------------------------------------------===//
// LrScheduleAttr: 0.01 | cosine(0.01, warmup = 100, steps = 5000)
//===----------------------------------------------------------------------===//

namespace {
/// A schedule's integer and number settings, by name.
struct ScheduleSetting {
  llvm::StringLiteral name;
  bool integer;
  unsigned kindMask; ///< Bit 1 << kind for each kind that takes it.
};
constexpr unsigned sbit(ScheduleKind k) { return 1u << unsigned(k); }
constexpr unsigned kDecays = sbit(ScheduleKind::cosine) | sbit(ScheduleKind::linear);
const ScheduleSetting kScheduleSettings[] = {
    {"warmup", true,
     sbit(ScheduleKind::constant) | kDecays | sbit(ScheduleKind::step_decay)},
    {"steps", true, kDecays},
    {"min", false, kDecays},
    {"every", true, sbit(ScheduleKind::step_decay)},
    {"factor", false, sbit(ScheduleKind::step_decay)},
};
} // namespace

llvm::SmallVector<llvm::StringRef> axon::scheduleSettingNames(ScheduleKind kind) {
  llvm::SmallVector<llvm::StringRef> names;
  for (const ScheduleSetting &s : kScheduleSettings)
    if (s.kindMask & sbit(kind))
      names.push_back(s.name);
  llvm::sort(names);
  return names;
}

LrScheduleAttr LrScheduleAttr::getConstant(MLIRContext *context, double lr) {
  return get(context, ScheduleKind::constant, APFloat(lr), 0, 0, APFloat(0.0),
             0, APFloat(1.0));
}

double LrScheduleAttr::at(int64_t step) const {
  double lr = getLr().convertToDouble(), min = getMin().convertToDouble();
  int64_t warmup = getWarmup(), t = step;
  double ramp = warmup > 0 ? std::min(1.0, double(t + 1) / double(warmup)) : 1;
  double p = 0;
  if (getSteps() > warmup)
    p = std::clamp(double(t - warmup) / double(getSteps() - warmup), 0.0, 1.0);
  switch (getKind()) {
  case ScheduleKind::constant:
    return ramp * lr;
  case ScheduleKind::cosine:
    return ramp * (min + (lr - min) * (1 + std::cos(llvm::numbers::pi * p)) / 2);
  case ScheduleKind::linear:
    return ramp * (min + (lr - min) * (1 - p));
  case ScheduleKind::step_decay:
    return ramp * lr *
           std::pow(getFactor().convertToDouble(),
                    double(std::max<int64_t>(t - warmup, 0) / getEvery()));
  }
  llvm_unreachable("a ScheduleKind");
}

LogicalResult
LrScheduleAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                       ScheduleKind kind, APFloat lrValue, int64_t warmup,
                       int64_t steps, APFloat minValue, int64_t every,
                       APFloat factorValue) {
  double lr = lrValue.convertToDouble(), min = minValue.convertToDouble(),
         factor = factorValue.convertToDouble();
  StringRef name = stringifyScheduleKind(kind);
  if (!(lr >= 0))
    return emitError() << "'lr' must be a non-negative number";
  if (warmup < 0)
    return emitError() << "'warmup' must be a non-negative integer (steps)";
  bool decays = kind == ScheduleKind::cosine || kind == ScheduleKind::linear;
  if (decays && steps <= warmup)
    return emitError() << name << "(...) needs steps = S, the step its decay "
                       << "ends at, after the warm-up (steps > warmup = "
                       << warmup << ")";
  if (decays && !(min >= 0 && min <= lr))
    return emitError() << "'min' must be a number in [0, lr]";
  if (kind == ScheduleKind::step_decay && every < 1)
    return emitError() << "step_decay(...) needs every = K, the steps between "
                          "decays (K >= 1)";
  if (kind == ScheduleKind::step_decay && !(factor > 0 && factor <= 1))
    return emitError() << "'factor' must be a number in (0, 1]";
  if (!decays && (steps != 0 || min != 0))
    return emitError() << "'" << name << "' has no setting '"
                       << (steps != 0 ? "steps" : "min") << "'";
  if (kind != ScheduleKind::step_decay && (every != 0 || factor != 1))
    return emitError() << "'" << name << "' has no setting '"
                       << (every != 0 ? "every" : "factor") << "'";
  return success();
}

FailureOr<LrScheduleAttr> LrScheduleAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  auto emitError = [&] { return parser.emitError(loc); };
  StringRef name;
  if (failed(parser.parseOptionalKeyword(&name))) {
    FailureOr<double> lr = parseNumber(parser);
    if (failed(lr))
      return failure();
    auto attr = getChecked(emitError, parser.getContext(),
                           ScheduleKind::constant, APFloat(*lr), 0, 0,
                           APFloat(0.0), 0, APFloat(1.0));
    if (!attr)
      return failure();
    return attr;
  }
  auto kind = symbolizeScheduleKind(name);
  if (!kind)
    return emitError() << "expected a number or constant(...), cosine(...), "
                          "linear(...) or step_decay(...)";
  FailureOr<double> lr;
  if (parser.parseLParen() || failed(lr = parseNumber(parser)))
    return failure();
  int64_t warmup = 0, steps = 0, every = 0;
  double min = 0, factor = 1;
  auto one = [&](StringRef setting) -> ParseResult {
    auto s = llvm::find_if(kScheduleSettings, [&](const ScheduleSetting &s) {
      return s.name == setting && (s.kindMask & sbit(*kind));
    });
    if (s == std::end(kScheduleSettings))
      return parser.emitError(parser.getCurrentLocation())
             << "'" << name << "' has no setting '" << setting << "'";
    FailureOr<double> v = parseNumber(parser);
    if (failed(v))
      return failure();
    if (setting == "warmup")
      warmup = int64_t(*v);
    else if (setting == "steps")
      steps = int64_t(*v);
    else if (setting == "every")
      every = int64_t(*v);
    else if (setting == "min")
      min = *v;
    else
      factor = *v;
    return success();
  };
  if (succeeded(parser.parseOptionalComma()) ? failed(parseSettings(parser, one))
                                             : failed(parser.parseRParen()))
    return failure();
  auto attr = getChecked(emitError, parser.getContext(), *kind, APFloat(*lr),
                         warmup, steps, APFloat(min), every, APFloat(factor));
  if (!attr)
    return failure();
  return attr;
}

void LrScheduleAttr::printBody(AsmPrinter &printer) const {
  if (getKind() == ScheduleKind::constant && getWarmup() == 0) {
    printNumber(printer, getLr());
    return;
  }
  printer << stringifyScheduleKind(getKind()) << '(';
  printNumber(printer, getLr());
  if (getWarmup() != 0)
    printer << ", warmup = " << getWarmup();
  if (getKind() == ScheduleKind::cosine || getKind() == ScheduleKind::linear) {
    printer << ", steps = " << getSteps();
    if (!getMin().isZero()) {
      printer << ", min = ";
      printNumber(printer, getMin());
    }
  }
  if (getKind() == ScheduleKind::step_decay) {
    printer << ", every = " << getEvery() << ", factor = ";
    printNumber(printer, getFactor());
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
    llvm::function_ref<InFlightDiagnostic()> emitError, DataSourceAttr data,
    DataSourceAttr, OptimizerAttr, std::optional<int64_t> batch,
    int64_t epochs, int64_t seed, bool, StringRef, FlatSymbolRefAttr,
    ArrayRef<FlatSymbolRefAttr>, NormalizeAttr, int64_t oneHot,
    std::optional<APFloat> validation) {
  if (batch && *batch < 1)
    return emitError() << "'batch' must be a positive integer";
  if (epochs < 1)
    return emitError() << "'epochs' must be a positive integer";
  if (seed < 0)
    return emitError() << "'seed' must be a non-negative integer";
  if (oneHot < 0)
    return emitError() << "'one_hot' must be a positive integer";
  if (validation) {
    double v = validation->convertToDouble();
    if (!(v >= 0 && v < 1))
      return emitError() << "'validation' must be a fraction in [0, 1)";
    if (data && data.getOptions() && data.getOptions().get("validation"))
      return emitError() << "'validation' is given twice, in the train block "
                            "and in " << data.getFormat() << "(...)";
  }
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
                              {}, /*one_hot=*/0, /*validation=*/std::nullopt);
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
Attribute LrScheduleAttr::parse(AsmParser &parser, Type) {
  return parseAngled<LrScheduleAttr>(parser);
}
void LrScheduleAttr::print(AsmPrinter &printer) const {
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
