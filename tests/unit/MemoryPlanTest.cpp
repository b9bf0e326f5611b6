// Tests of axon-plan-memory on randomly generated chains and DAGs of
// kernels: an independent brute-force checker recomputes buffer sizes and
// live ranges from the IR and checks that no two buffers live at the same
// time share a byte, that in-place updates are safe, and that the reported
// sizes add up.
#include "ir/AxonDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

/// A random function of `numKernels` kernels. Each kernel reads 1-3 earlier
/// values (the argument, kernel results, parameters) and makes 1-3 results
/// of random element type and shape. Some kernels update a parameter
/// element for element (the in-place pattern); some results are returned
/// or stored; with `chain`, kernel i reads only kernel i-1. With
/// `rowWrites`, some kernels are lone row writes (dynamic_update_row) into
/// an earlier result, at the function's index %i, of a row a kernel just
/// before makes.
std::string randomFunction(unsigned seed, int numKernels, bool chain,
                           bool rowWrites = false) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char *elementTypes[] = {"f32", "f64", "i1", "i32", "i64", "f32", "f32"};
  auto randomType = [&] {
    std::string shape = pick(0, 1) ? llvm::formatv("{0}x{1}", pick(1, 20), pick(1, 40)).str()
                                   : std::to_string(pick(1, 300));
    if (pick(0, 9) == 0)
      shape = ""; // rank 0
    return "tensor<" + shape + (shape.empty() ? "" : "x") + elementTypes[pick(0, 6)] + ">";
  };

  struct Value {
    std::string name, type;
  };
  std::string text, body;
  std::vector<Value> values{{"%x", "tensor<8x8xf32>"}};
  std::vector<Value> kernelResults;
  const int numParams = 4;
  std::vector<std::string> paramTypes;
  for (int p = 0; p < numParams; ++p) {
    paramTypes.push_back(llvm::formatv("tensor<{0}xf32>", 16 * pick(1, 8)).str());
    text += llvm::formatv("axon.param @P{0} : {1} = zeros\n", p, paramTypes[p]).str();
    body += llvm::formatv("    %p{0} = axon.param_ref @P{0} : {1}\n", p, paramTypes[p]).str();
    values.push_back({"%p" + std::to_string(p), paramTypes[p]});
  }
  std::vector<std::string> stores;
  std::set<int> stored; // params with a store

  for (int k = 0; k < numKernels; ++k) {
    std::vector<Value> withRows;
    for (const Value &v : kernelResults)
      if (v.type.find('x') != std::string::npos)
        withRows.push_back(v); // rank >= 1: "tensor<AxBxf32>", "tensor<Axf32>"
    if (rowWrites && !chain && !withRows.empty() && pick(0, 2) == 0) {
      Value target = withRows[pick(0, withRows.size() - 1)];
      std::string row = "tensor<" + target.type.substr(target.type.find('x') + 1);
      std::string update = "%u" + std::to_string(k), name = "%k" + std::to_string(k);
      body += llvm::formatv("    {0} = axon.kernel \"u{1}\" \"injective\" {{\n"
                            "      %r = axon.fill {{value = 1.0 : f64} : {2}\n"
                            "      axon.kernel_yield %r : {2}\n    } -> {2}\n",
                            update, k, row)
                  .str();
      body += llvm::formatv(
                  "    {0} = axon.kernel \"k{1}\" \"single\" ({2}, %i, {3} : {4}, tensor<i64>, {5}) {{\n"
                  "    ^bb0(%a0: {4}, %a1: tensor<i64>, %a2: {5}):\n"
                  "      %r = axon.dynamic_update_row %a0[%a1], %a2 : {4}, {5}\n"
                  "      axon.kernel_yield %r : {4}\n    } -> {4}\n",
                  name, k, target.name, update, target.type, row)
                  .str();
      values.push_back({name, target.type});
      kernelResults.push_back({name, target.type});
      continue;
    }
    std::vector<Value> inputs;
    std::vector<std::string> types;
    std::string kind = "single";
    int updates = -1; // the param this kernel updates element for element
    if (!chain && pick(0, 3) == 0) {
      updates = pick(0, numParams - 1);
      inputs.push_back(values[1 + updates]);
      const char *kinds[] = {"injective", "injective", "injective", "reduction", "single"};
      kind = kinds[pick(0, 4)];
      for (int r = pick(1, 2); r > 0; --r)
        types.push_back(paramTypes[updates]);
    } else {
      for (int r = pick(1, 3); r > 0; --r)
        types.push_back(randomType());
    }
    if (chain) {
      inputs.push_back(k == 0 ? values[0] : kernelResults.back());
    } else {
      for (int i = pick(1, 3); i > 0; --i)
        inputs.push_back(values[pick(0, values.size() - 1)]);
      if (pick(0, 2) == 0) // the old value of a parameter
        inputs.push_back(values[1 + pick(0, numParams - 1)]);
    }

    std::string resultName = "%k" + std::to_string(k);
    body += "    " + resultName;
    if (types.size() > 1)
      body += ":" + std::to_string(types.size());
    body += llvm::formatv(" = axon.kernel \"k{0}\" \"{1}\" (", k, kind).str();
    for (size_t i = 0; i < inputs.size(); ++i)
      body += (i ? ", " : "") + inputs[i].name;
    body += " : ";
    for (size_t i = 0; i < inputs.size(); ++i)
      body += (i ? ", " : "") + inputs[i].type;
    body += ") {\n    ^bb0(";
    for (size_t i = 0; i < inputs.size(); ++i)
      body += llvm::formatv("{0}%a{1}: {2}", i ? ", " : "", i, inputs[i].type).str();
    body += "):\n";
    for (size_t r = 0; r < types.size(); ++r) {
      if (updates >= 0)
        body += llvm::formatv("      %r{0} = axon.neg %a0 : {1}\n", r, types[r]).str();
      else
        body += llvm::formatv("      %r{0} = axon.fill {{value = 1.0 : f64} : {1}\n", r,
                              types[r]).str();
    }
    body += "      axon.kernel_yield ";
    for (size_t r = 0; r < types.size(); ++r)
      body += llvm::formatv("{0}%r{1}", r ? ", " : "", r).str();
    body += " : ";
    for (size_t r = 0; r < types.size(); ++r)
      body += (r ? ", " : "") + types[r];
    body += "\n    } -> ";
    for (size_t r = 0; r < types.size(); ++r)
      body += (r ? ", " : "") + types[r];
    body += "\n";

    for (size_t r = 0; r < types.size(); ++r) {
      std::string name = types.size() > 1 ? resultName + "#" + std::to_string(r) : resultName;
      values.push_back({name, types[r]});
      kernelResults.push_back({name, types[r]});
    }
    if (updates >= 0 && (!stored.count(updates) || pick(0, 3) == 0)) {
      stored.insert(updates);
      stores.push_back(llvm::formatv("    axon.param_store {0} into @P{1} : {2}\n",
                                     kernelResults[kernelResults.size() - types.size()].name,
                                     updates, paramTypes[updates])
                           .str());
    }
  }

  // Return the last result and a few random others (sometimes a param).
  std::vector<Value> returned{kernelResults.back()};
  if (!chain)
    for (int i = pick(0, 2); i > 0; --i)
      returned.push_back(values[pick(0, values.size() - 1)]);
  text += "func.func @f(%x: tensor<8x8xf32>, %i: tensor<i64>) -> (";
  for (size_t i = 0; i < returned.size(); ++i)
    text += (i ? ", " : "") + returned[i].type;
  text += ") {\n" + body;
  for (const std::string &s : stores)
    text += s;
  text += "    return ";
  for (size_t i = 0; i < returned.size(); ++i)
    text += (i ? ", " : "") + returned[i].name;
  text += " : ";
  for (size_t i = 0; i < returned.size(); ++i)
    text += (i ? ", " : "") + returned[i].type;
  text += "\n}\n";
  return text;
}

/// Bytes of a tensor's buffer, computed independently of the pass.
int64_t expectedBytes(mlir::RankedTensorType type) {
  mlir::Type e = type.getElementType();
  int64_t elementBytes = e.isInteger(1) ? 1 : (e.getIntOrFloatBitWidth() + 7) / 8;
  int64_t bytes = type.getNumElements() * elementBytes;
  return (bytes + 63) / 64 * 64;
}

struct Stats {
  int arenaBuffers = 0, inPlace = 0, rowWritesInPlace = 0;
  int64_t arenaSize = 0, bufferBytes = 0;
};

/// Checks the plan of `fn` by brute force; returns what it saw.
Stats checkPlan(mlir::func::FuncOp fn, const std::string &what) {
  Stats stats;
  auto arenaAttr = fn->getAttrOfType<mlir::IntegerAttr>("axon.arena_size");
  auto bytesAttr = fn->getAttrOfType<mlir::IntegerAttr>("axon.buffer_bytes");
  EXPECT_TRUE(arenaAttr && bytesAttr) << what;
  if (!arenaAttr || !bytesAttr)
    return stats;
  stats.arenaSize = arenaAttr.getInt();
  stats.bufferBytes = bytesAttr.getInt();

  std::vector<axon::KernelOp> kernels;
  fn.walk([&](axon::KernelOp k) { kernels.push_back(k); });
  const int end = kernels.size();
  auto indexOf = [&](mlir::Operation *op) -> int {
    for (int i = 0; i < end; ++i)
      if (kernels[i].getOperation() == op)
        return i;
    return end; // func.return, param_store: the end of the function
  };

  struct Buf {
    std::string name;
    int64_t offset, bytes;
    int first, last;
  };
  std::vector<Buf> bufs;
  llvm::DenseMap<mlir::Value, size_t> bufOf; // kernel result -> its entry in bufs
  int64_t sum = 0, maxEnd = 0;
  for (int k = 0; k < end; ++k) {
    axon::KernelOp kernel = kernels[k];
    auto offsets = kernel->getAttrOfType<mlir::DenseI64ArrayAttr>("axon.offsets");
    auto inplace = kernel->getAttrOfType<mlir::ArrayAttr>("axon.inplace");
    EXPECT_TRUE(offsets && inplace) << what << " kernel " << k;
    if (!offsets || !inplace)
      continue;
    EXPECT_EQ(offsets.size(), kernel->getNumResults()) << what;
    EXPECT_EQ(inplace.size(), kernel->getNumResults()) << what;
    for (unsigned r = 0; r < kernel->getNumResults(); ++r) {
      mlir::Value v = kernel->getResult(r);
      std::string name = llvm::formatv("{0} k{1}#{2}", what, k, r).str();
      int last = k;
      for (mlir::Operation *user : v.getUsers())
        last = std::max(last, indexOf(user));
      llvm::StringRef param = llvm::cast<mlir::StringAttr>(inplace[r]).getValue();
      if (!param.empty()) {
        ++stats.inPlace;
        EXPECT_EQ(offsets[r], -1) << name;
        // Safe: v is stored only into `param` and not returned; nothing
        // after kernel k reads the old value of `param`; if kernel k reads
        // it, the kernel is one loop nest.
        int storesHere = 0;
        for (mlir::Operation *user : v.getUsers()) {
          EXPECT_FALSE(llvm::isa<mlir::func::ReturnOp>(user)) << name;
          if (auto s = llvm::dyn_cast<axon::ParamStoreOp>(user)) {
            EXPECT_EQ(s.getParam(), param) << name;
            ++storesHere;
          }
        }
        EXPECT_EQ(storesHere, 1) << name;
        int storesOfParam = 0;
        fn.walk([&](axon::ParamStoreOp s) { storesOfParam += s.getParam() == param; });
        EXPECT_EQ(storesOfParam, 1) << name;
        fn.walk([&](axon::ParamRefOp ref) {
          if (ref.getParam() != param)
            return;
          for (mlir::Operation *user : ref->getUsers()) {
            int at = indexOf(user);
            EXPECT_LE(at, k) << name << " reads old @" << param.str() << " later";
            if (at == k) {
              EXPECT_TRUE(kernel.getKind() == axon::KernelKind::injective)
                  << name;
              for (mlir::Value other : kernel->getResults())
                EXPECT_EQ(other.getType(), v.getType()) << name;
            }
          }
        });
        continue;
      }
      ++stats.arenaBuffers;
      // A lone row write may take its target's bytes when nothing reads the
      // target after it: then the two are one buffer, live over both.
      mlir::Block &inner = kernel.getBody().front();
      auto write = llvm::dyn_cast<axon::DynamicUpdateRowOp>(inner.front());
      if (write && &inner.front() == inner.getTerminator()->getPrevNode()) {
        mlir::Value target =
            kernel.getInputs()[llvm::cast<mlir::BlockArgument>(write.getTarget()).getArgNumber()];
        auto held = bufOf.find(target);
        if (held != bufOf.end() && bufs[held->second].offset == offsets[r]) {
          ++stats.rowWritesInPlace;
          for (mlir::Operation *user : target.getUsers())
            EXPECT_LE(indexOf(user), k) << name << ": its target is read after it";
          bufs[held->second].last = std::max(bufs[held->second].last, last);
          bufOf[v] = held->second;
          continue;
        }
      }
      int64_t bytes = expectedBytes(llvm::cast<mlir::RankedTensorType>(v.getType()));
      EXPECT_GE(offsets[r], 0) << name;
      EXPECT_EQ(offsets[r] % 64, 0) << name;
      bufOf[v] = bufs.size();
      bufs.push_back({name, offsets[r], bytes, k, last});
      sum += bytes;
      maxEnd = std::max(maxEnd, offsets[r] + bytes);
    }
  }
  EXPECT_EQ(stats.bufferBytes, sum) << what;
  EXPECT_EQ(stats.arenaSize, maxEnd) << what;
  EXPECT_LE(stats.arenaSize, stats.bufferBytes) << what;

  // Every pair: live at the same time -> disjoint bytes.
  for (size_t i = 0; i < bufs.size(); ++i)
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      const Buf &a = bufs[i], &b = bufs[j];
      bool liveTogether = a.first <= b.last && b.first <= a.last;
      bool shareBytes = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      EXPECT_FALSE(liveTogether && shareBytes)
          << a.name << " [" << a.offset << ", " << a.offset + a.bytes << ") live [" << a.first
          << ", " << a.last << "] overlaps " << b.name << " [" << b.offset << ", "
          << b.offset + b.bytes << ") live [" << b.first << ", " << b.last << "]";
    }
  return stats;
}

class MemoryPlanTest : public ::testing::Test {
protected:
  mlir::MLIRContext ctx;

  MemoryPlanTest() {
    ctx.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
    ctx.printOpOnDiagnostic(false);
  }

  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &src) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(src, mlir::ParserConfig(&ctx),
                                                          "test.mlir");
    EXPECT_TRUE(module) << "cannot parse:\n" << src;
    return module;
  }

  /// Runs axon-plan-memory `times` times on every function.
  bool plan(mlir::ModuleOp module, int times = 1) {
    mlir::PassManager pm(&ctx);
    for (int i = 0; i < times; ++i)
      pm.addNestedPass<mlir::func::FuncOp>(axon::createPlanMemory());
    return mlir::succeeded(pm.run(module));
  }

  mlir::func::FuncOp function(mlir::ModuleOp module, llvm::StringRef name = "f") {
    return module.lookupSymbol<mlir::func::FuncOp>(name);
  }
};

TEST_F(MemoryPlanTest, RandomDagsNeverOverlap) {
  int inPlace = 0, arena = 0, reused = 0;
  for (unsigned seed = 1; seed <= 60; ++seed) {
    std::string src = randomFunction(seed, 5 + seed % 30, /*chain=*/false);
    auto module = parse(src);
    ASSERT_TRUE(module);
    ASSERT_TRUE(plan(*module)) << src;
    Stats s = checkPlan(function(*module), "seed " + std::to_string(seed));
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << src;
      return;
    }
    inPlace += s.inPlace;
    arena += s.arenaBuffers;
    reused += s.arenaSize < s.bufferBytes;
  }
  // The generator exercises both outcomes and the planner reuses memory.
  EXPECT_GT(inPlace, 0);
  EXPECT_GT(arena, 0);
  EXPECT_GT(reused, 0);
}

// Row writes into earlier results: in place where the target is read by
// nothing after the write, and then target and result are one buffer that
// overlaps nothing else live over either of them.
TEST_F(MemoryPlanTest, RandomDagsWithRowWritesNeverOverlap) {
  int rowInPlace = 0, rowWrites = 0;
  for (unsigned seed = 200; seed < 240; ++seed) {
    std::string src = randomFunction(seed, 5 + seed % 30, /*chain=*/false,
                                     /*rowWrites=*/true);
    auto module = parse(src);
    ASSERT_TRUE(module);
    ASSERT_TRUE(plan(*module)) << src;
    Stats s = checkPlan(function(*module), "seed " + std::to_string(seed));
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << src;
      return;
    }
    rowInPlace += s.rowWritesInPlace;
    function(*module).walk([&](axon::DynamicUpdateRowOp) { ++rowWrites; });
  }
  // Both outcomes happen.
  EXPECT_GT(rowInPlace, 0);
  EXPECT_LT(rowInPlace, rowWrites);
}

TEST_F(MemoryPlanTest, ChainsReuseMemory) {
  for (unsigned seed = 100; seed < 120; ++seed) {
    int n = 5 + seed % 12;
    std::string src = randomFunction(seed, n, /*chain=*/true);
    auto module = parse(src);
    ASSERT_TRUE(module);
    ASSERT_TRUE(plan(*module)) << src;
    Stats s = checkPlan(function(*module), "chain seed " + std::to_string(seed));
    // In a chain of 5+ kernels results die two kernels later, so some
    // memory is shared.
    EXPECT_LT(s.arenaSize, s.bufferBytes) << src;
    if (HasFailure()) {
      ADD_FAILURE() << "chain seed " << seed << ":\n" << src;
      return;
    }
  }
}

TEST_F(MemoryPlanTest, ReplanningGivesTheSamePlan) {
  std::string src = randomFunction(7, 25, /*chain=*/false);
  auto once = parse(src), twice = parse(src);
  ASSERT_TRUE(once && twice);
  ASSERT_TRUE(plan(*once));
  ASSERT_TRUE(plan(*twice, 2));
  std::string a, b;
  llvm::raw_string_ostream osA(a), osB(b);
  once->print(osA);
  twice->print(osB);
  EXPECT_EQ(a, b);
}

TEST_F(MemoryPlanTest, UnfusedOpsAndDynamicShapesAreErrors) {
  std::string errors;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    errors += d.str() + "\n";
    return mlir::success();
  });
  auto unfused = parse(R"(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %y = axon.exp %x : tensor<4xf32>
      return %y : tensor<4xf32>
    })");
  ASSERT_TRUE(unfused);
  EXPECT_FALSE(plan(*unfused));
  EXPECT_TRUE(contains(errors, "run axon-fuse first")) << errors;

  auto dynamic = parse(R"(
    func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> {
      %y = axon.kernel "k0" "injective" (%x : tensor<?xf32>) {
      ^bb0(%a: tensor<?xf32>):
        %e = axon.exp %a : tensor<?xf32>
        axon.kernel_yield %e : tensor<?xf32>
      } -> tensor<?xf32>
      return %y : tensor<?xf32>
    })");
  ASSERT_TRUE(dynamic);
  EXPECT_FALSE(plan(*dynamic));
  EXPECT_TRUE(contains(errors, "dynamic shape")) << errors;
}

TEST_F(MemoryPlanTest, PrintsATable) {
  auto module = parse(R"(
    axon.param @W : tensor<4x4xf32> = zeros
    func.func @step(%g: tensor<4x4xf32>) -> tensor<f32> {
      %w = axon.param_ref @W : tensor<4x4xf32>
      %l = axon.kernel "loss" "reduction" (%w : tensor<4x4xf32>) {
      ^bb0(%p: tensor<4x4xf32>):
        %s = axon.sum %p {axes = array<i64>} : tensor<4x4xf32> -> tensor<f32>
        axon.kernel_yield %s : tensor<f32>
      } -> tensor<f32>
      %h = axon.kernel "half" "injective" (%g : tensor<4x4xf32>) {
      ^bb0(%q: tensor<4x4xf32>):
        %e = axon.neg %q : tensor<4x4xf32>
        axon.kernel_yield %e : tensor<4x4xf32>
      } -> tensor<4x4xf32>
      %nw = axon.kernel "update" "injective" (%w, %h : tensor<4x4xf32>, tensor<4x4xf32>) {
      ^bb0(%p: tensor<4x4xf32>, %q: tensor<4x4xf32>):
        %s = axon.sub %p, %q : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
        axon.kernel_yield %s : tensor<4x4xf32>
      } -> tensor<4x4xf32>
      axon.param_store %nw into @W : tensor<4x4xf32>
      return %l : tensor<f32>
    })");
  ASSERT_TRUE(module);
  std::string before;
  llvm::raw_string_ostream osBefore(before);
  axon::printMemoryPlan(function(*module, "step"), osBefore);
  EXPECT_TRUE(contains(before, "not planned")) << before;

  ASSERT_TRUE(plan(*module));
  std::string table;
  llvm::raw_string_ostream os(table);
  axon::printMemoryPlan(function(*module, "step"), os);
  EXPECT_TRUE(contains(table, "memory plan of @step")) << table;
  EXPECT_TRUE(contains(table, "arena:   128 bytes (0.12 KiB)")) << table;
  EXPECT_TRUE(contains(table, "buffers: 128 bytes in 2 arena buffers, 1 written in place"))
      << table;
  EXPECT_TRUE(contains(table, "reuse:   1.00x")) << table;
  EXPECT_TRUE(contains(table, "in place -> @W")) << table;
  EXPECT_TRUE(contains(table, "loss")) << table;
  EXPECT_TRUE(contains(table, "tensor<4x4xf32>")) << table;
  EXPECT_TRUE(contains(table, "[0, end]")) << table; // the returned loss
  EXPECT_TRUE(contains(table, "[1, 2]")) << table;   // %h, read by "update"
}

} // namespace
