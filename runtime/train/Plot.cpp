// SVG training curves (see Plot.h). Hand-written SVG: two panels of line
// series with "nice" ticks; no plotting library is packaged for C++.
#include "runtime/train/Plot.h"

#include "runtime/core/Tensor.h"
#include "runtime/io/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

using namespace axon;

namespace {

struct Point {
  double x, y;
};

struct Series {
  std::string label, color;
  std::vector<Point> points;
  bool thin = false; ///< Per-step noise: a faint line without markers.
};

/// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi].
std::vector<double> niceTicks(double lo, double hi) {
  double span = hi - lo > 0 ? hi - lo : 1;
  double raw = span / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : 5);
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

class Panel {
public:
  Panel(double left, double top, double width, double height, std::string title)
      : left(left), top(top), width(width), height(height),
        title(std::move(title)) {}

  void add(Series s) {
    if (!s.points.empty())
      series.push_back(std::move(s));
  }

  void draw(llvm::raw_ostream &os, llvm::StringRef emptyNote) const {
    os << llvm::formatv("<text x='{0}' y='{1}' class='title'>{2}</text>\n",
                        left + width / 2, top - 12, title);
    os << llvm::formatv("<rect x='{0}' y='{1}' width='{2}' height='{3}' "
                        "class='frame'/>\n",
                        left, top, width, height);
    if (series.empty()) {
      os << llvm::formatv("<text x='{0}' y='{1}' class='note'>{2}</text>\n",
                          left + width / 2, top + height / 2, emptyNote);
      return;
    }
    double x0 = 0, x1 = 1, y0 = INFINITY, y1 = -INFINITY;
    for (const Series &s : series)
      for (Point p : s.points) {
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
      }
    double pad = (y1 - y0 > 0 ? y1 - y0 : std::max(1e-3, std::abs(y1))) * 0.08;
    y0 -= pad;
    y1 += pad;
    auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * width; };
    auto sy = [&](double y) { return top + height - (y - y0) / (y1 - y0) * height; };
    for (double t : niceTicks(y0, y1))
      os << llvm::formatv("<line x1='{0}' x2='{1}' y1='{2:F1}' y2='{2:F1}' "
                          "class='grid'/><text x='{3}' y='{4:F1}' "
                          "class='ylabel'>{5}</text>\n",
                          left, left + width, sy(t), left - 6, sy(t) + 4,
                          numberText(t));
    for (double t : niceTicks(x0, x1))
      os << llvm::formatv("<text x='{0:F1}' y='{1}' class='xlabel'>{2}</text>\n",
                          sx(t), top + height + 16, numberText(t));
    os << llvm::formatv("<text x='{0}' y='{1}' class='axis'>epoch</text>\n",
                        left + width / 2, top + height + 34);
    for (const Series &s : series) {
      os << "<polyline fill='none' stroke='" << s.color << "' stroke-width='"
         << (s.thin ? "1' opacity='0.35" : "2") << "' points='";
      for (Point p : s.points)
        os << llvm::formatv("{0:F1},{1:F1} ", sx(p.x), sy(p.y));
      os << "'/>\n";
      if (!s.thin)
        for (Point p : s.points)
          os << llvm::formatv("<circle cx='{0:F1}' cy='{1:F1}' r='3' "
                              "fill='{2}'/>\n",
                              sx(p.x), sy(p.y), s.color);
    }
    double ly = top + 14;
    for (const Series &s : series) {
      os << llvm::formatv("<line x1='{0}' x2='{1}' y1='{2}' y2='{2}' "
                          "stroke='{3}' stroke-width='2'/><text x='{4}' "
                          "y='{5}' class='legend'>{6}</text>\n",
                          left + width - 150, left + width - 130, ly, s.color,
                          left + width - 124, ly + 4, s.label);
      ly += 16;
    }
  }

private:
  double left, top, width, height;
  std::string title;
  std::vector<Series> series;
};

} // namespace

std::string axon::plotPathFor(llvm::StringRef metricsPath) {
  llvm::SmallString<256> p(metricsPath);
  if (llvm::sys::path::extension(p) == ".jsonl")
    llvm::sys::path::replace_extension(p, ".svg");
  else
    p += ".svg";
  return std::string(p);
}

llvm::Error axon::writeTrainingPlot(llvm::StringRef metricsPath,
                                    llvm::StringRef svgPath,
                                    llvm::StringRef metricName) {
  auto buffer = llvm::MemoryBuffer::getFile(metricsPath, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(metricsPath + ": cannot read: " +
                                   buffer.getError().message());
  // Steps are placed at epoch - 1 + step / (steps in that epoch).
  std::map<int64_t, std::vector<std::pair<int64_t, double>>> stepLoss;
  Series trainLoss{"train loss (epoch)", "#1f77b4"},
      evalLoss{"test loss", "#d62728"},
      trainMetric{"train " + metricName.str(), "#1f77b4"},
      evalMetric{"test " + metricName.str(), "#d62728"},
      validationLoss{"validation loss", "#2ca02c"},
      validationMetric{"validation " + metricName.str(), "#2ca02c"};
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto record = llvm::json::parse(lines[i]);
    const llvm::json::Object *o = record ? record->getAsObject() : nullptr;
    if (!o) {
      llvm::consumeError(record.takeError());
      return llvm::createStringError(metricsPath + ":" + llvm::Twine(i + 1) +
                                     ": not a JSON object");
    }
    int64_t epoch = o->getInteger("epoch").value_or(0);
    auto value = [&](llvm::StringRef key, Series &into) {
      if (auto v = o->getNumber(key))
        into.points.push_back({double(epoch), *v});
    };
    if (o->getString("kind") == "step") {
      if (auto loss = o->getNumber("loss"))
        stepLoss[epoch].push_back({o->getInteger("step").value_or(0), *loss});
    } else if (o->getString("kind") == "epoch") {
      value("train_loss", trainLoss);
      value("eval_loss", evalLoss);
      value("train_metric", trainMetric);
      value("eval_metric", evalMetric);
      value("validation_loss", validationLoss);
      value("validation_metric", validationMetric);
    }
  }
  Series steps{"train loss (step)", "#7f7f7f", {}, /*thin=*/true};
  for (auto &[epoch, losses] : stepLoss) {
    int64_t last = 1;
    for (auto &[s, l] : losses)
      last = std::max(last, s);
    for (auto &[s, l] : losses)
      steps.points.push_back({double(epoch - 1) + double(s) / double(last), l});
  }

  std::string svg;
  llvm::raw_string_ostream os(svg);
  os << "<svg xmlns='http://www.w3.org/2000/svg' width='960' height='380' "
        "font-family='sans-serif' font-size='12'>\n"
        "<style>.title{font-size:15px;text-anchor:middle;font-weight:bold}"
        ".frame{fill:none;stroke:#333}.grid{stroke:#ddd}"
        ".ylabel{text-anchor:end}.xlabel,.axis,.note{text-anchor:middle}"
        ".note{fill:#888}</style>\n"
        "<rect width='100%' height='100%' fill='white'/>\n";
  Panel loss(70, 40, 380, 280, "loss");
  loss.add(std::move(steps));
  loss.add(std::move(trainLoss));
  loss.add(std::move(evalLoss));
  loss.add(std::move(validationLoss));
  loss.draw(os, "no steps yet");
  Panel metric(550, 40, 380, 280, metricName.empty() ? "metric" : metricName.str());
  metric.add(std::move(trainMetric));
  metric.add(std::move(evalMetric));
  metric.add(std::move(validationMetric));
  metric.draw(os, "no eval_fn in the train block");
  os << "</svg>\n";

  return writeAtomically(svgPath, "plot",
                         [&](llvm::raw_fd_ostream &out) { out << svg; });
}
