// Tests of SVG heatmaps (runtime/train/Heatmap.h): a cell's shade from its
// value, the range, labels escaped, awkward sizes, NaN cells, and the
// errors of shapes, labels and ranges it cannot draw.
#include "runtime/train/Heatmap.h"

#include "TempDirTest.h"

#include <gtest/gtest.h>

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace axon;

namespace {

Tensor matrix(std::vector<int64_t> shape, std::vector<double> values) {
  Tensor t(DType::F32, shape);
  t.data = std::move(values);
  return t;
}

std::string svgOf(const Tensor &t, const HeatmapOptions &o = {}) {
  auto svg = heatmapSvg(t, o);
  if (!svg) {
    ADD_FAILURE() << llvm::toString(svg.takeError());
    return "";
  }
  return *svg;
}

std::string errorOf(const Tensor &t, const HeatmapOptions &o = {}) {
  auto svg = heatmapSvg(t, o);
  if (svg)
    return "no error";
  return llvm::toString(svg.takeError());
}

/// The fill of the cell whose tooltip is `value` (values are distinct).
std::string fillOf(const std::string &svg, const std::string &value) {
  size_t title = svg.find("<title>" + value + "</title>");
  if (title == std::string::npos)
    return "no cell " + value;
  size_t fill = svg.rfind("fill='", title);
  return svg.substr(fill + 6, 7);
}

size_t count(const std::string &s, const std::string &what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos;
       at = s.find(what, at + 1))
    ++n;
  return n;
}

TEST(HeatmapTest, ShadesGoFromWhiteAtTheLowestToDarkBlueAtTheHighest) {
  // Shades are linear from white (255, 255, 255) to (8, 48, 107): the
  // middle value is (131.5, 151.5, 181) rounded, #8498b5.
  std::string svg = svgOf(matrix({2, 3}, {0, 0.25, 0.5, 0.75, 1, 0.125}));
  EXPECT_EQ(count(svg, "<title>"), 6u);
  EXPECT_EQ(fillOf(svg, "0"), "#ffffff");
  EXPECT_EQ(fillOf(svg, "1"), "#08306b");
  EXPECT_EQ(fillOf(svg, "0.5"), "#8498b5");
  // Cells this large show their values.
  EXPECT_NE(svg.find(">0.75</text>"), std::string::npos);
}

TEST(HeatmapTest, AGivenRangeClampsTheShades) {
  HeatmapOptions o;
  o.low = 0;
  o.high = 2;
  std::string svg = svgOf(matrix({1, 3}, {1, 2, 5}), o);
  EXPECT_EQ(fillOf(svg, "1"), "#8498b5");
  EXPECT_EQ(fillOf(svg, "2"), "#08306b");
  EXPECT_EQ(fillOf(svg, "5"), "#08306b");
  o.low = 3;
  o.high = 3;
  EXPECT_EQ(errorOf(matrix({1, 1}, {1}), o),
            "the heatmap's range is empty: low 3 >= high 3");
}

TEST(HeatmapTest, AwkwardSizesAndABatchOfOne) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {1, 7}, {33, 7}, {7, 33}, {512, 1}}) {
    std::vector<double> v(rows * cols);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = double(i);
    std::string svg = svgOf(matrix({rows, cols}, v));
    EXPECT_EQ(count(svg, "<title>"), size_t(rows * cols))
        << rows << "x" << cols;
    EXPECT_EQ(fillOf(svg, "0"), "#ffffff");
  }
  // [1, rows, columns], as a function of a batch of one returns it.
  std::string svg = svgOf(matrix({1, 2, 2}, {0, 1, 2, 3}));
  EXPECT_EQ(count(svg, "<title>"), 4u);
  EXPECT_EQ(fillOf(svg, "3"), "#08306b");
}

TEST(HeatmapTest, EqualValuesTakeTheLightestShade) {
  std::string svg = svgOf(matrix({2, 2}, {0.5, 0.5, 0.5, 0.5}));
  EXPECT_EQ(count(svg, "fill='#ffffff'"), 4u);
}

TEST(HeatmapTest, NonFiniteCellsAreGreyAndLeaveTheRangeAlone) {
  std::string svg = svgOf(matrix({2, 2}, {0, std::nan(""), INFINITY, 2}));
  EXPECT_EQ(fillOf(svg, "nan"), "#bbbbbb");
  EXPECT_EQ(fillOf(svg, "inf"), "#bbbbbb");
  EXPECT_EQ(fillOf(svg, "0"), "#ffffff");
  EXPECT_EQ(fillOf(svg, "2"), "#08306b");
}

TEST(HeatmapTest, LabelsAndTitleAreEscaped) {
  HeatmapOptions o;
  o.title = "attention <decoder & encoder>";
  o.rowLabels = {"'a'", "b"};
  o.columnLabels = {"x<y", "\"z\""};
  o.rowAxis = "output step";
  o.columnAxis = "input position";
  std::string svg = svgOf(matrix({2, 2}, {0, 1, 2, 3}), o);
  EXPECT_NE(svg.find(">attention &lt;decoder &amp; encoder&gt;</text>"),
            std::string::npos);
  EXPECT_NE(svg.find(">&apos;a&apos;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">x&lt;y</text>"), std::string::npos);
  EXPECT_NE(svg.find(">&quot;z&quot;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">output step</text>"), std::string::npos);
  EXPECT_NE(svg.find(">input position</text>"), std::string::npos);
}

TEST(HeatmapTest, WhatItCannotDrawIsAnError) {
  EXPECT_EQ(errorOf(matrix({4}, {0, 1, 2, 3})),
            "a heatmap draws a matrix (rank 2, or [1, rows, columns]), got "
            "f32[4]");
  EXPECT_NE(errorOf(matrix({2, 1, 2}, {0, 1, 2, 3})).find("got f32[2, 1, 2]"),
            std::string::npos);
  EXPECT_EQ(errorOf(matrix({0, 3}, {})), "a heatmap of f32[0, 3] has no cells");
  EXPECT_EQ(errorOf(matrix({513, 1}, std::vector<double>(513))),
            "a heatmap draws at most 512 rows and columns, got f32[513, 1]");
  HeatmapOptions o;
  o.columnLabels = {"a", "b", "c"};
  EXPECT_EQ(errorOf(matrix({2, 2}, {0, 1, 2, 3}), o),
            "3 column labels for 2 columns");
  o.columnLabels.clear();
  o.rowLabels = {"a"};
  EXPECT_EQ(errorOf(matrix({2, 2}, {0, 1, 2, 3}), o),
            "1 row labels for 2 rows");
}

class HeatmapFileTest : public test::TempDirTest {};

TEST_F(HeatmapFileTest, WritesTheFileOrNamesIt) {
  std::string file = path("attention.svg");
  ASSERT_FALSE(bool(writeHeatmap(matrix({1, 2}, {0, 1}), {}, file)));
  auto buffer = llvm::MemoryBuffer::getFile(file);
  ASSERT_TRUE(bool(buffer));
  EXPECT_TRUE((*buffer)->getBuffer().starts_with("<svg "));
  std::string bad = path("missing/dir/attention.svg");
  llvm::Error e = writeHeatmap(matrix({1, 2}, {0, 1}), {}, bad);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find(bad), std::string::npos);
}

} // namespace
