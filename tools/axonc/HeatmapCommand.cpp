// `axonc heatmap` (see HeatmapCommand.h).
#include "tools/axonc/HeatmapCommand.h"

#include "runtime/io/Npy.h"
#include "runtime/train/Heatmap.h"
#include "tools/axonc/Fail.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace axon;

cl::SubCommand &axon::heatmapCommand() {
  static cl::SubCommand command(
      "heatmap", "Draw a matrix from a .npy file (attention weights) as an "
                 "SVG heatmap");
  return command;
}

cl::OptionCategory &axon::heatmapCategory() {
  static cl::OptionCategory category("axonc heatmap options");
  return category;
}

namespace {

cl::opt<std::string> input(cl::Positional, cl::desc("<matrix.npy>"),
                           cl::Required, cl::cat(heatmapCategory()),
                           cl::sub(heatmapCommand()));
cl::opt<std::string> output("o", cl::desc("The SVG file to write"),
                            cl::value_desc("path.svg"), cl::Required,
                            cl::cat(heatmapCategory()),
                            cl::sub(heatmapCommand()));
cl::opt<std::string> title("title", cl::desc("A title above the cells"),
                           cl::cat(heatmapCategory()),
                           cl::sub(heatmapCommand()));
cl::opt<std::string>
    rowLabels("rows",
              cl::desc("Row labels, comma-separated (default 0, 1, ...)"),
              cl::value_desc("a,b,..."), cl::cat(heatmapCategory()),
              cl::sub(heatmapCommand()));
cl::opt<std::string>
    columnLabels("columns",
                 cl::desc("Column labels, comma-separated (default 0, 1, ...)"),
                 cl::value_desc("a,b,..."), cl::cat(heatmapCategory()),
                 cl::sub(heatmapCommand()));
cl::opt<std::string> rowAxis("row-axis", cl::desc("What the rows are"),
                             cl::cat(heatmapCategory()),
                             cl::sub(heatmapCommand()));
cl::opt<std::string> columnAxis("column-axis", cl::desc("What the columns are"),
                                cl::cat(heatmapCategory()),
                                cl::sub(heatmapCommand()));
cl::opt<double> low("low",
                    cl::desc("The value of the lightest shade (default: the "
                             "smallest value)"),
                    cl::cat(heatmapCategory()), cl::sub(heatmapCommand()));
cl::opt<double> high("high",
                     cl::desc("The value of the darkest shade (default: the "
                              "largest value)"),
                     cl::cat(heatmapCategory()), cl::sub(heatmapCommand()));

std::vector<std::string> labels(llvm::StringRef list) {
  std::vector<std::string> out;
  if (list.empty())
    return out;
  llvm::SmallVector<llvm::StringRef> parts;
  list.split(parts, ',');
  for (llvm::StringRef p : parts)
    out.push_back(p.trim().str());
  return out;
}

} // namespace

int axon::runHeatmap() {
  auto values = readNpy(input);
  if (!values)
    return fail(llvm::toString(values.takeError()));
  HeatmapOptions options;
  options.title = title;
  options.rowLabels = labels(rowLabels);
  options.columnLabels = labels(columnLabels);
  options.rowAxis = rowAxis;
  options.columnAxis = columnAxis;
  if (low.getNumOccurrences())
    options.low = low;
  if (high.getNumOccurrences())
    options.high = high;
  // The matrix's errors name the input; the file's name the output.
  if (auto svg = heatmapSvg(*values, options); !svg)
    return fail(input + ": " + llvm::toString(svg.takeError()));
  if (auto e = writeHeatmap(*values, options, output))
    return fail(llvm::toString(std::move(e)));
  llvm::outs() << "heatmap of " << input << " (" << values->typeString()
               << ") written to " << output << "\n";
  return 0;
}
