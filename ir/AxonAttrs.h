// The axon dialect's attributes (ir/AxonAttrs.td): a train block's
// configuration, typed, with the tables of data formats and optimizer
// settings that the frontend's checks and the attributes' verifiers share.
// Included through ir/AxonDialect.h, after the enums it uses.
#ifndef AXON_IR_AXONATTRS_H
#define AXON_IR_AXONATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace axon {

/// A data format's own setting, such as csv's `label = column`.
struct DataOption {
  enum class Kind { Integer, Number, String };
  llvm::StringLiteral name;
  Kind kind;
  /// What it means, for messages: "label = column number (negative: from
  /// the end)".
  llvm::StringLiteral usage;
  /// The values it takes: numbers in [minimum, below) (integers: from
  /// minimum), strings among `choices` (none: any).
  double minimum = -1e300, below = 1e300;
  llvm::ArrayRef<llvm::StringLiteral> choices = {};

  /// Why `value` (of this option's kind) is not one it takes: "seq must be
  /// at least 1, got 0"; empty when it is.
  std::string valueError(mlir::Attribute value) const;
};

/// A format a train block's data can come in: `idx(images, labels)`, ...
struct DataFormat {
  llvm::StringLiteral name;
  /// As a model file writes it, for messages: `idx("images", "labels")`.
  llvm::StringLiteral usage;
  /// What each file holds, in order: {"inputs", "labels"}.
  llvm::ArrayRef<llvm::StringLiteral> files;
  llvm::ArrayRef<DataOption> options;
  /// Why the settings together are not a source (text's `seq` and
  /// `window` exclude each other); empty when they are. Each value has
  /// been checked on its own. Null: any combination.
  std::string (*combinationError)(mlir::DictionaryAttr options) = nullptr;
  /// One role that takes any number of files, read in order as one (text's
  /// corpus: `text(["fortunes", "notes.txt"], ...)`), instead of one file
  /// for each of `files`.
  bool fileList = false;
  /// What the first argument may be where it names one of a fixed set
  /// rather than a file (task's "reverse", "sort"); empty: any file name.
  llvm::ArrayRef<llvm::StringLiteral> names = {};

  const DataOption *findOption(llvm::StringRef name) const;
  /// Why `name` (a first argument) is not one of `names`; empty when it is,
  /// or when any name goes.
  std::string nameError(llvm::StringRef name) const;
};

/// Every data format, in the order messages list them.
llvm::ArrayRef<DataFormat> dataFormats();
const DataFormat *findDataFormat(llvm::StringRef name);

/// A numeric optimizer setting: its name in a model file, the kinds that
/// take it and its default for each.
struct OptimizerSetting {
  llvm::StringLiteral name;
  bool takenBy(OptimizerKind kind) const;
  double defaultFor(OptimizerKind kind) const;
  unsigned kindMask; ///< Bit 1 << kind for each kind that takes it.
  double defaultValue, adamDefault;
};

/// The numeric settings in OptimizerAttr's parameter order (after lr,
/// which every kind takes).
llvm::ArrayRef<OptimizerSetting> optimizerSettings();
/// The learning rate of `kind` when a model file gives none.
double defaultLearningRate(OptimizerKind kind);

/// The settings a learning-rate schedule of `kind` takes after its rate,
/// sorted by name: {"min", "steps", "warmup"} for cosine.
llvm::SmallVector<llvm::StringRef> scheduleSettingNames(ScheduleKind kind);

// Parsers and printers of parameters, used by the generated code.
/// An integer or floating-point literal, as a double.
mlir::FailureOr<double> parseNumber(mlir::AsmParser &parser);
mlir::FailureOr<llvm::APFloat> parseF64(mlir::AsmParser &parser);
/// parseF64 for an optional parameter that is present.
mlir::FailureOr<std::optional<llvm::APFloat>>
parseOptionalF64(mlir::AsmParser &parser);
/// `value` as the shortest decimal that reads back the same: 0.001.
void printNumber(mlir::AsmPrinter &printer, const llvm::APFloat &value);
mlir::FailureOr<bool> parseBool(mlir::AsmParser &parser);
mlir::FailureOr<llvm::SmallVector<mlir::FlatSymbolRefAttr>>
parseSymbolList(mlir::AsmParser &parser);
void printSymbolList(mlir::AsmPrinter &printer,
                     llvm::ArrayRef<mlir::FlatSymbolRefAttr> symbols);

} // namespace axon

#define GET_ATTRDEF_CLASSES
#include "ir/AxonAttrs.h.inc"

namespace axon {
/// axon.train's config: `<...>` when the block sets anything, nothing
/// otherwise (an empty TrainConfigAttr).
mlir::ParseResult parseTrainConfig(mlir::OpAsmParser &parser,
                                   TrainConfigAttr &config);
void printTrainConfig(mlir::OpAsmPrinter &printer, mlir::Operation *op,
                      TrainConfigAttr config);
/// A config that sets nothing: every setting absent or at its default.
TrainConfigAttr emptyTrainConfig(mlir::MLIRContext *context);
} // namespace axon

#endif // AXON_IR_AXONATTRS_H
