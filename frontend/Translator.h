// The translator of one model file to the axon dialect (see MLIRGen.h):
// its typed values, its state, and the services the built-ins table
// (Builtins.cpp) and the train-block checks (TrainBlock.cpp) build with.
// Private to the frontend.
//
// Checking and emission happen in one walk, node by node (as in MLIR's Toy
// tutorial): each expression is typed with the shared shape rules of
// ir/ShapeRules.h before its op is built, so the IR verifier never sees a
// shape the frontend did not already accept, and every error points at the
// model file. An expression that fails yields an invalid value that
// silences follow-on errors, so independent errors are all reported.
#ifndef AXON_FRONTEND_TRANSLATOR_H
#define AXON_FRONTEND_TRANSLATOR_H

#include "frontend/AST.h"
#include "frontend/Lexer.h"
#include "ir/AxonDialect.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace axon {

/// A typed value of the language. Number literals stay unmaterialised until
/// an operator gives them an element type (`2 * x` with x: f64 makes an f64
/// constant), as in most array languages.
struct TV {
  mlir::Value value;
  std::string elem; ///< "f32", "f64", "i32", "i64", "bool"; empty if invalid.
  shape::Shape shape;
  bool literal = false;
  double number = 0;
  bool isInt = false;
  int64_t intValue = 0; ///< Exact value of an isInt literal.
  llvm::SMLoc litLoc;   ///< Where the literal was written.

  /// A number literal not yet given an element type.
  static TV numberLiteral(double v) {
    TV t;
    t.literal = true;
    t.number = v;
    return t;
  }
  bool valid() const { return !elem.empty() || literal; }
  bool isFloat() const { return elem == "f32" || elem == "f64"; }
  bool isInteger() const { return elem == "i32" || elem == "i64"; }
  std::string typeString() const {
    if (literal)
      return "number";
    return elem + (shape.empty() ? "" : shape::str(shape));
  }
};

/// Whether `s` names an element type (f32, f64, i32, i64, bool).
bool isElemName(llvm::StringRef s);

/// A user function's signature, as declared.
struct FnSig {
  const ast::Function *ast = nullptr;
  std::vector<std::string> argElems, resultElems;
  std::vector<shape::Shape> argShapes, resultShapes;
  mlir::FunctionType type;
  bool ok = true;
};

class Translator {
public:
  Translator(mlir::MLIRContext &ctx, SourceFile &file)
      : ctx_(ctx), file_(file), b_(&ctx) {}

  /// Checks and emits the whole module; null when any error was reported.
  mlir::OwningOpRef<mlir::ModuleOp> run(const ast::Module &m);

  // ---------------------------------------------------------------------
  // Services for the built-ins: locations, errors, types, operands.

  SourceFile &file() { return file_; }
  mlir::OpBuilder &builder() { return b_; }
  mlir::Location loc(llvm::SMLoc l);
  /// Reports `msg` at `l`; returns the invalid value.
  TV fail(llvm::SMLoc l, const llvm::Twine &msg);
  mlir::Type elemType(llvm::StringRef elem);
  /// The language's name of an element type ("f32", ..., "bool").
  static std::string elemName(mlir::Type elem);
  mlir::RankedTensorType tensorType(llvm::StringRef elem,
                                    const shape::Shape &s);

  TV emitExpr(const ast::Expr &e);
  /// Gives a number literal an element type and emits it as a constant.
  TV materialize(TV v, llvm::StringRef elem);
  /// The value of literal `v` as an `elem` (i32 or i64) integer; a value
  /// that does not fit (or inf, NaN) is a located error (the result is 0
  /// then, and the module is dropped). Fractions truncate toward zero.
  int64_t integerLiteral(const TV &v, llvm::StringRef elem);
  TV castTo(TV v, llvm::StringRef elem, llvm::SMLoc l);
  /// Brings two operands to one element type (literals adapt).
  bool unifyElems(TV &a, TV &b, llvm::SMLoc l, const char *what);
  /// `a op b` for a binary operator token (+ - * / ^ @ and comparisons).
  TV binary(Tok op, llvm::SMLoc l, TV a, TV b);
  /// An argument of built-in `fn` that must be a floating-point tensor.
  TV floatArg(const ast::Expr &e, const std::string &fn);
  /// An argument that must be an integer tensor (indices, labels).
  TV intTensor(const ast::Expr &e);
  /// A shape literal `[N, 128]`: integers and symbolic dimensions of the
  /// function; -1 allowed where `allowInfer` (reshape).
  bool shapeArg(const ast::Expr &e, shape::Shape &shape, bool allowInfer);
  /// An extent (arange(n), eye(n)): a positive integer constant or a
  /// symbolic dimension of the function's arguments; reports otherwise.
  bool extentArg(const ast::Expr &e, shape::Dim &dim, const std::string &fn);
  /// One rank-0 i64 operand per symbolic dim of `shape`.
  llvm::SmallVector<mlir::Value> dynamicDims(const shape::Shape &shape,
                                             llvm::SMLoc l);
  /// The seed of the next random draw site without an explicit seed: each
  /// site gets its own stream.
  int64_t nextRandomSeed() { return 1000 + randomSites_++; }

  static std::optional<double> constNumber(const ast::Expr &e);
  /// The parser refused integers above INT64_MAX, so these are exact.
  static std::optional<int64_t> constInt(const ast::Expr &e);

  /// Builds op OpT, which infers its result type from its operands and
  /// attributes (InferTypeOpInterface); `shape` is the result's shape in the
  /// language (with its symbols), checked by the caller with the same shape
  /// rule. Reports a result whose element count does not fit in int64.
  template <typename OpT, typename... Args>
  TV make(llvm::SMLoc l, const shape::Shape &shape, Args &&...args) {
    OpT op = b_.create<OpT>(loc(l), std::forward<Args>(args)...);
    TV v{op.getResult(), elemName(op.getType().getElementType()), shape};
    if (!checkElements(shape, v.elem, l, "the result")) {
      op->erase();
      return TV{};
    }
    return v;
  }
  /// Builds op OpT with result type elem[shape], for the ops whose result
  /// type the operands do not fix (a target shape, an element type of the
  /// caller's choosing), after checking that its element count fits in int64.
  template <typename OpT, typename... Args>
  TV makeTyped(llvm::SMLoc l, const std::string &elem,
               const shape::Shape &shape, Args &&...args) {
    if (!checkElements(shape, elem, l, "the result"))
      return TV{};
    mlir::Value v = b_.create<OpT>(loc(l), tensorType(elem, shape),
                                   std::forward<Args>(args)...);
    return TV{v, elem, shape};
  }

private:
  // Types and declarations (MLIRGen.cpp).
  /// Resolves a type annotation; symbols must be bound when `bound` is given.
  bool resolveType(const ast::Type &t, std::string &elem, shape::Shape &shape,
                   const std::set<std::string> *bound, const char *what);
  void declareParam(const ast::Param &p);
  bool resolveInit(const ast::Param &p, InitKind &kind, double &a,
                   double &bval);
  void declareFunction(const ast::Function &f);
  /// Whether `name` is taken by the language: a built-in or `grad`.
  static bool isReservedName(llvm::StringRef name);
  /// For an unknown qualified name (`nn.linaer`): whether its module is
  /// imported but lacks the function, or is not imported.
  std::string moduleHint(llvm::StringRef name) const;

  // Functions and statements.
  void emitFunction(const ast::Function &f);
  /// Emits statements; returns whether a `return` ended the block.
  bool emitBlock(const std::vector<ast::StmtPtr> &body, FnSig *sig);
  /// `W <- expr`: the parameter takes the value when the call returns.
  void emitUpdate(const ast::Stmt &s, bool inLoop);
  void emitReturn(const ast::Stmt &s, FnSig &sig);
  /// `let (h, c) = f(...)` and `(h, c) = ...`: a function's results, or a
  /// tuple's values, bound or assigned to two or more names.
  void emitDestructuring(const ast::Stmt &s);
  /// Reports an assignment to `name`, which is not a local: a parameter
  /// (immutable inside a function) or a name no `let` declared.
  void diagnoseBadAssignment(llvm::SMLoc l, const std::string &name);
  /// Converts `v` to the type of `want` (same element type; shapes must
  /// agree, static dims may become dynamic ones and back).
  TV coerceTo(TV v, const TV &want, llvm::SMLoc l, const std::string &what);
  TV checkAnnotation(TV v, const ast::Type &t, llvm::SMLoc l);
  /// `for t in lo..hi { ... }`: names assigned in the body that exist
  /// outside it are the loop's carried values.
  void emitFor(const ast::Stmt &s);
  void collectAssigned(const std::vector<ast::StmtPtr> &body,
                       std::vector<std::string> &names);
  /// A loop bound: an integer expression, as a rank-0 i64 tensor.
  TV emitIndex(const ast::Expr &e);

  // Expressions.
  /// The element count of the known dims of `shape` (symbols count 1), or
  /// none when it exceeds INT64_MAX.
  static std::optional<int64_t> knownElements(const shape::Shape &shape);
  /// Reports a shape whose element count overflows int64.
  bool checkElements(const shape::Shape &shape, llvm::StringRef elem,
                     llvm::SMLoc l, llvm::StringRef what);
  TV emitName(const ast::Expr &e);
  /// The run-time extent of symbolic dimension `sym`, as a rank-0 i64.
  TV dimValue(const std::string &sym, llvm::SMLoc l);
  /// Walks the left spine of an operator chain iteratively: `a + a + ...`
  /// (left-associative) is as deep as it is long, and a generated model
  /// may have thousands of terms.
  TV emitBinary(const ast::Expr &e);

  // Calls: user functions, grad and built-ins.
  TV emitCall(const ast::Expr &e);
  TV emitUserCall(const ast::Expr &e, FnSig &sig);
  /// Calls `callee` (whose signature is `sig`, described to the user as
  /// `shown`) on `argExprs` and returns result `resultIndex`. The callee's
  /// symbolic dims are instantiated from the arguments and must agree.
  TV emitCallTo(llvm::SMLoc l, const std::string &callee,
                const std::string &shown, FnSig &sig,
                const std::vector<const ast::Expr *> &argExprs,
                unsigned resultIndex);
  /// The same call, every result; empty after an error.
  std::vector<TV> emitCallResults(llvm::SMLoc l, const std::string &callee,
                                  const std::string &shown, FnSig &sig,
                                  const std::vector<const ast::Expr *> &argExprs);
  /// Declares (once) the gradient function of `fn` with respect to
  /// `wrt` (parameter or argument names), for axon-autodiff to fill in.
  /// Returns its name and signature: fn's inputs -> (fn's value, grads...).
  std::string declareGradient(const std::string &fn,
                              const std::vector<std::string> &wrt,
                              const std::string &preferredName, llvm::SMLoc l);
  /// `grad(f, args..., wrt = name)`: the gradient of scalar function f at
  /// args with respect to one of its arguments or a parameter.
  TV emitGrad(const ast::Expr &e);
  void checkRecursion();
  /// Makes the functions that other functions call private (helpers), but
  /// for `export fn` and the train blocks' loss and eval_fn.
  void markHelpers(const ast::Module &m);
  /// Erases the imported functions nothing calls (after checking them).
  void eraseUnusedImports(const ast::Module &m);

  // Train blocks (TrainBlock.cpp).
  /// Checks a train block's settings and emits its axon.train op, with the
  /// settings as one TrainConfigAttr.
  void emitTrain(const ast::Train &t);

  mlir::MLIRContext &ctx_;
  SourceFile &file_;
  mlir::OpBuilder b_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::map<std::string, TV> params_;
  std::vector<std::string> paramOrder_; ///< Declaration order.
  std::set<std::string> updated_;       ///< Parameters updated in this fn.
  std::map<std::string, FnSig> sigs_;
  std::map<std::string, TV> scope_;
  /// Where each symbolic dim of the current function can be read.
  std::map<std::string, std::pair<mlir::Value, int64_t>> symbolSource_;
  std::string currentFn_;
  std::map<std::string, std::vector<std::pair<std::string, llvm::SMLoc>>>
      calls_;
  int64_t randomSites_ = 0;
  std::map<std::pair<std::string, std::string>, std::string> gradFns_;
};

} // namespace axon

#endif // AXON_FRONTEND_TRANSLATOR_H
