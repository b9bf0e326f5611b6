// SVG heatmaps (see Heatmap.h). Hand-written SVG, like Plot.cpp: a grid of
// rects shaded from white to dark blue, a colour bar, escaped labels.
#include "runtime/train/Heatmap.h"

#include "runtime/io/AtomicFile.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace axon;

namespace {

/// `s` with XML's special characters escaped, for text and attributes.
std::string escaped(llvm::StringRef s) {
  std::string out;
  for (char c : s)
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '\'':
      out += "&apos;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  return out;
}

/// The shade of t in [0, 1]: white to #08306b (matplotlib's "Blues" ends).
std::string shade(double t) {
  t = std::clamp(t, 0.0, 1.0);
  auto mix = [&](int from, int to) {
    return int(std::lround(from + (to - from) * t));
  };
  return llvm::formatv("#{0:x-2}{1:x-2}{2:x-2}", mix(255, 8), mix(255, 48),
                       mix(255, 107))
      .str();
}

/// A cell's value: two decimals where they tell (weights in [0, 1]), %g
/// otherwise.
std::string cellText(double v) {
  if (std::isfinite(v) && std::abs(v) < 100)
    return llvm::formatv("{0:F2}", v).str();
  return numberText(v);
}

} // namespace

llvm::Expected<std::string> axon::heatmapSvg(const Tensor &values,
                                             const HeatmapOptions &o) {
  std::vector<int64_t> shape = values.shape;
  if (shape.size() == 3 && shape[0] == 1)
    shape.erase(shape.begin());
  if (shape.size() != 2)
    return llvm::createStringError(
        "a heatmap draws a matrix (rank 2, or [1, rows, columns]), got " +
        values.typeString());
  int64_t rows = shape[0], cols = shape[1];
  if (rows == 0 || cols == 0)
    return llvm::createStringError("a heatmap of " + values.typeString() +
                                   " has no cells");
  if (rows > kHeatmapMaxSide || cols > kHeatmapMaxSide)
    return llvm::createStringError(
        llvm::formatv("a heatmap draws at most {0} rows and columns, got {1}",
                      kHeatmapMaxSide, values.typeString())
            .str());
  auto checkLabels = [&](const std::vector<std::string> &labels, int64_t want,
                         const char *what) -> llvm::Error {
    if (!labels.empty() && int64_t(labels.size()) != want)
      return llvm::createStringError(
          llvm::formatv("{0} {1} labels for {2} {1}s", labels.size(), what,
                        want)
              .str());
    return llvm::Error::success();
  };
  if (auto e = checkLabels(o.rowLabels, rows, "row"))
    return std::move(e);
  if (auto e = checkLabels(o.columnLabels, cols, "column"))
    return std::move(e);

  double low = INFINITY, high = -INFINITY;
  for (double v : values.data)
    if (std::isfinite(v)) {
      low = std::min(low, v);
      high = std::max(high, v);
    }
  if (!std::isfinite(low)) // no finite value: any range
    low = 0, high = 1;
  if (o.low)
    low = *o.low;
  if (o.high)
    high = *o.high;
  if (!(low < high)) {
    if (o.low || o.high)
      return llvm::createStringError("the heatmap's range is empty: low " +
                                     numberText(low) + " >= high " +
                                     numberText(high));
    high = low + 1; // every value the same: the lightest shade
  }

  // Cells of 8 to 48 pixels, about 480 pixels across the larger side.
  double cell = std::clamp(480.0 / double(std::max(rows, cols)), 8.0, 48.0);
  double left = 90, top = o.title.empty() ? 40 : 64;
  double width = cell * double(cols), height = cell * double(rows);
  double barLeft = left + width + 24;
  double svgWidth = barLeft + 90, svgHeight = top + height + 56;
  bool showValues = cell >= 28;
  double labelSize = std::min(12.0, cell * 0.8);

  std::string svg;
  llvm::raw_string_ostream os(svg);
  os << llvm::formatv("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' "
                      "height='{1}' font-family='sans-serif' "
                      "font-size='{2:F1}'>\n",
                      svgWidth, svgHeight, labelSize)
     << "<style>.title{font-size:15px;text-anchor:middle;font-weight:bold}"
        ".row{text-anchor:end}.col,.axis,.cell{text-anchor:middle}"
        ".axis{font-size:12px}</style>\n"
        "<rect width='100%' height='100%' fill='white'/>\n";
  if (!o.title.empty())
    os << llvm::formatv("<text x='{0}' y='24' class='title'>{1}</text>\n",
                        left + width / 2, escaped(o.title));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double v = values.data[r * cols + c];
      double x = left + cell * double(c), y = top + cell * double(r);
      double t = (v - low) / (high - low);
      std::string fill = std::isfinite(v) ? shade(t) : "#bbbbbb";
      os << llvm::formatv("<rect x='{0:F1}' y='{1:F1}' width='{2:F1}' "
                          "height='{2:F1}' fill='{3}'><title>{4}</title>"
                          "</rect>\n",
                          x, y, cell, fill, numberText(v));
      if (showValues)
        os << llvm::formatv(
            "<text x='{0:F1}' y='{1:F1}' class='cell' "
            "font-size='{2:F1}' fill='{3}'>{4}</text>\n",
            x + cell / 2, y + cell / 2 + cell * 0.1, cell * 0.28,
            std::isfinite(v) && t > 0.55 ? "white" : "black", cellText(v));
    }
  os << llvm::formatv("<rect x='{0}' y='{1}' width='{2:F1}' height='{3:F1}' "
                      "fill='none' stroke='#333'/>\n",
                      left, top, width, height);
  // Labels: every row and column while they fit (12 pixels), else every
  // step-th.
  int64_t step = std::max<int64_t>(1, int64_t(std::ceil(12.0 / cell)));
  for (int64_t r = 0; r < rows; r += step)
    os << llvm::formatv(
        "<text x='{0}' y='{1:F1}' class='row'>{2}</text>\n", left - 6,
        top + cell * (double(r) + 0.5) + 4,
        escaped(o.rowLabels.empty() ? std::to_string(r) : o.rowLabels[r]));
  for (int64_t c = 0; c < cols; c += step)
    os << llvm::formatv("<text x='{0:F1}' y='{1}' class='col'>{2}</text>\n",
                        left + cell * (double(c) + 0.5), top - 6,
                        escaped(o.columnLabels.empty() ? std::to_string(c)
                                                       : o.columnLabels[c]));
  if (!o.columnAxis.empty())
    os << llvm::formatv("<text x='{0}' y='{1}' class='axis'>{2}</text>\n",
                        left + width / 2, top + height + 22,
                        escaped(o.columnAxis));
  if (!o.rowAxis.empty())
    os << llvm::formatv("<text x='{0}' y='{1}' class='axis' "
                        "transform='rotate(-90 {0} {1})'>{2}</text>\n",
                        24, top + height / 2, escaped(o.rowAxis));
  // The colour bar: low at the bottom, high at the top.
  os << "<defs><linearGradient id='bar' x1='0' y1='1' x2='0' y2='0'>"
     << "<stop offset='0' stop-color='" << shade(0) << "'/>"
     << "<stop offset='1' stop-color='" << shade(1) << "'/>"
     << "</linearGradient></defs>\n";
  os << llvm::formatv("<rect x='{0}' y='{1}' width='14' height='{2:F1}' "
                      "fill='url(#bar)' stroke='#333'/>\n",
                      barLeft, top, height);
  os << llvm::formatv("<text x='{0}' y='{1}' font-size='11'>{2}</text>\n",
                      barLeft + 18, top + 10, numberText(high));
  os << llvm::formatv("<text x='{0}' y='{1:F1}' font-size='11'>{2}</text>\n",
                      barLeft + 18, top + height, numberText(low));
  os << "</svg>\n";
  return svg;
}

llvm::Error axon::writeHeatmap(const Tensor &values, const HeatmapOptions &o,
                               llvm::StringRef svgPath) {
  auto svg = heatmapSvg(values, o);
  if (!svg)
    return svg.takeError();
  return writeAtomically(svgPath, "heatmap",
                         [&](llvm::raw_fd_ostream &out) { out << *svg; });
}
