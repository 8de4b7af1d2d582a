// A small SVG plotter of our own (no libraries): a grid of panels, each a y-against-x chart with one
// polyline per series and an optional dashed horizontal baseline, plus one shared legend. The output is
// a pure function of the input (fixed number formatting, no timestamps or ids), so it can be compared
// byte for byte with a golden file.
#ifndef LRB_EXPERIMENT_REPORT_SVG_PLOT_H_
#define LRB_EXPERIMENT_REPORT_SVG_PLOT_H_

#include <optional>
#include <string>
#include <vector>

namespace lrb {

struct PlotPoint {
  double x = 0, y = 0;
  std::string label;  // shown as the marker's tooltip (<title>), e.g. the row label
};

struct PlotSeries {
  std::string name;  // the legend entry; series of the same name share a colour across panels
  std::vector<PlotPoint> points;  // drawn sorted by x (then y, then label)
};

struct PlotBaseline {
  double y = 0;
  std::optional<double> x;  // where the baseline itself sits on the x axis (drawn as a hollow marker)
  std::string label;        // e.g. "uncompressed", printed at the line's right end
};

struct PlotPanel {
  std::string title;    // e.g. the column name
  std::string y_label;  // e.g. "matthews_correlation × 100"
  std::vector<PlotSeries> series;  // series without points are not drawn
  std::optional<PlotBaseline> baseline;
};

enum class AxisScale { kAuto, kLinear, kLog };

struct PlotSpec {
  std::string title;    // printed above the panels; empty: none
  std::string x_label;  // shared by every panel
  std::vector<PlotPanel> panels;
  AxisScale x_scale = AxisScale::kAuto;  // kAuto: log when all x > 0 and max / min >= 20
  int panel_width = 320, panel_height = 240;
  int columns = 3;  // panels per row (at most)
};

// The whole document, starting with "<svg" and ending with "</svg>\n". A panel with neither points nor
// a baseline says "no data"; a spec without panels draws one such panel.
std::string RenderSvgPlot(const PlotSpec& spec);

// The colour of the i-th distinct series (a fixed, colour-blind-friendly palette, cycling).
std::string SeriesColor(size_t index);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_SVG_PLOT_H_
