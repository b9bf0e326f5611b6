// Every op registered in the axon dialect has an entry in the per-op table
// (OpTable.h) with each of the three generated checks (evaluator, gradient,
// compiled), or an exemption that says why the check cannot apply. A new
// op without them fails here, by name.
#include "ir/AxonDialect.h"
#include "tests/unit/OpTable.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <map>

using namespace axon;
using namespace axon::op_table;

namespace {

/// Whether the table generates `check` for `entry`.
bool generates(const OpEntry &entry, Check check) {
  if (check == Evaluator && !entry.examples.empty())
    return true;
  for (const Instance &i : entry.instances)
    if ((i.checks & check) && (check != Evaluator || i.oracle))
      return true;
  return false;
}

TEST(OpCoverage, EveryOpHasEveryCheckOrAReasonWhyNot) {
  std::map<std::string, const OpEntry *> entries;
  for (const OpEntry &e : opTable())
    EXPECT_TRUE(entries.insert({e.op, &e}).second)
        << e.op << " has two entries";

  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  std::vector<std::string> problems;
  int registered = 0;
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations()) {
    if (name.getDialectNamespace() != "axon")
      continue;
    ++registered;
    std::string op = name.getStringRef().str();
    auto it = entries.find(op);
    if (it == entries.end()) {
      problems.push_back(op + ": no entry in the op table");
      continue;
    }
    const OpEntry &entry = *it->second;
    entries.erase(it);
    for (Check check : {Evaluator, Gradient, Compiled}) {
      bool has = generates(entry, check);
      const std::string *why = entry.exemption(check);
      if (!has && !why)
        problems.push_back(op + ": no " + checkName(check) + " check");
      if (has && why)
        problems.push_back(op + ": a " + checkName(check) +
                           " check and an exemption from it");
      if (why && why->empty())
        problems.push_back(op + ": an exemption from the " + checkName(check) +
                           " check without a reason");
    }
    // A VJP rule must be checked; an op without one cannot be.
    bool rule = name.hasInterface<GradientOpInterface>();
    if (rule && entry.exemption(Gradient))
      problems.push_back(op + ": a VJP rule exempt from the gradient check");
    if (!rule && generates(entry, Gradient))
      problems.push_back(op + ": gradient cases but no VJP rule");
  }
  for (auto &[op, entry] : entries)
    problems.push_back(op + ": an entry for an op the dialect lacks");
  EXPECT_GE(registered, 50) << "the dialect's ops were not enumerated";
  EXPECT_TRUE(problems.empty()) << llvm::join(problems, "\n");
}

} // namespace
