#include "experiment/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lrb {
namespace {

// Okabe-Ito without yellow, then a few darker extras: distinct for most colour-blind readers.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#000000", "#8C564B", "#7F7F7F", "#17BECF"};
constexpr int kTitleHeight = 30;
constexpr int kLegendRowHeight = 18;
// Inside a panel: room for the title, tick labels and axis labels.
constexpr int kPanelLeft = 58, kPanelRight = 14, kPanelTop = 28, kPanelBottom = 42;

std::string Num(double v) {
  std::string s = absl::StrFormat("%.1f", v);
  if (s == "-0.0") s = "0.0";
  return s;
}

std::string Xml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// Code points, for width estimates.
size_t Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  int decimals = 0;  // linear axes: digits after the point in tick labels

  // Position in [0, 1] along the axis.
  double Fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
  std::string Label(double v) const {
    if (log) return absl::StrFormat("%g", v);
    std::string s = absl::StrFormat("%.*f", decimals, v);
    if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
  }
};

Axis LinearAxis(double mn, double mx) {
  Axis a;
  if (mx - mn < 1e-12 * std::max(1.0, std::fabs(mx))) {
    const double pad = std::fabs(mn) > 0 ? std::fabs(mn) * 0.05 : 1.0;
    mn -= pad;
    mx += pad;
  } else {
    const double span = mx - mn;
    mn -= 0.1 * span;
    mx += 0.1 * span;
  }
  a.lo = mn;
  a.hi = mx;
  const double raw = (mx - mn) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const int64_t first = static_cast<int64_t>(std::ceil(mn / step - 1e-9));
  const int64_t last = static_cast<int64_t>(std::floor(mx / step + 1e-9));
  for (int64_t k = first; k <= last; ++k) a.ticks.push_back(static_cast<double>(k) * step);
  a.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return a;
}

Axis LogAxis(double mn, double mx) {
  Axis a;
  a.log = true;
  a.lo = mn / 1.3;
  a.hi = mx * 1.3;
  const int lo_exp = static_cast<int>(std::floor(std::log10(a.lo))) - 1;
  const int hi_exp = static_cast<int>(std::ceil(std::log10(a.hi))) + 1;
  for (const std::vector<int>& mantissas : std::vector<std::vector<int>>{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    a.ticks.clear();
    for (int e = lo_exp; e <= hi_exp; ++e) {
      for (int m : mantissas) {
        const double v = m * std::pow(10.0, e);
        if (v >= a.lo && v <= a.hi) a.ticks.push_back(v);
      }
    }
    if (a.ticks.size() >= 3) break;
  }
  return a;
}

struct Box {
  double x0, y0, x1, y1;
};

void DrawNoData(std::string& out, const Box& b) {
  absl::StrAppend(&out, "<text x=\"", Num((b.x0 + b.x1) / 2), "\" y=\"", Num((b.y0 + b.y1) / 2),
                  "\" text-anchor=\"middle\" fill=\"#777\" font-size=\"13\">no data</text>\n");
}

void DrawPanel(std::string& out, const PlotSpec& spec, const PlotPanel& panel, double px, double py,
               const std::map<std::string, size_t>& colors) {
  const double w = spec.panel_width, h = spec.panel_height;
  const Box box{px + kPanelLeft, py + kPanelTop, px + w - kPanelRight, py + h - kPanelBottom};
  absl::StrAppend(&out, "<g class=\"panel\">\n");
  absl::StrAppend(&out, "<text x=\"", Num(px + w / 2), "\" y=\"", Num(py + 18),
                  "\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">", Xml(panel.title),
                  "</text>\n");
  absl::StrAppend(&out, "<rect x=\"", Num(box.x0), "\" y=\"", Num(box.y0), "\" width=\"", Num(box.x1 - box.x0),
                  "\" height=\"", Num(box.y1 - box.y0), "\" fill=\"none\" stroke=\"#999\"/>\n");

  std::vector<double> xs, ys;
  for (const PlotSeries& s : panel.series) {
    for (const PlotPoint& p : s.points) {
      xs.push_back(p.x);
      ys.push_back(p.y);
    }
  }
  if (panel.baseline) {
    ys.push_back(panel.baseline->y);
    if (panel.baseline->x) xs.push_back(*panel.baseline->x);
  }
  if (ys.empty()) {
    DrawNoData(out, box);
    absl::StrAppend(&out, "</g>\n");
    return;
  }
  const bool has_x = !xs.empty();
  if (!has_x) xs.push_back(0);  // a baseline without x alone: no x ticks
  const double xmin = *std::min_element(xs.begin(), xs.end()), xmax = *std::max_element(xs.begin(), xs.end());
  const double ymin = *std::min_element(ys.begin(), ys.end()), ymax = *std::max_element(ys.begin(), ys.end());
  bool log = spec.x_scale == AxisScale::kLog;
  if (spec.x_scale == AxisScale::kAuto) log = xmin > 0 && xmax / xmin >= 20;
  if (xmin <= 0) log = false;
  Axis xa = log ? LogAxis(xmin, xmax) : LinearAxis(xmin, xmax);
  if (!has_x) xa.ticks.clear();
  const Axis ya = LinearAxis(ymin, ymax);
  auto X = [&](double v) { return box.x0 + xa.Fraction(v) * (box.x1 - box.x0); };
  auto Y = [&](double v) { return box.y1 - ya.Fraction(v) * (box.y1 - box.y0); };

  // Grid, ticks and tick labels.
  for (double t : xa.ticks) {
    const std::string x = Num(X(t));
    absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", Num(box.y0), "\" x2=\"", x, "\" y2=\"", Num(box.y1),
                    "\" stroke=\"#e5e5e5\"/>\n");
    absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", Num(box.y1), "\" x2=\"", x, "\" y2=\"", Num(box.y1 + 4),
                    "\" stroke=\"#333\"/>\n");
    absl::StrAppend(&out, "<text x=\"", x, "\" y=\"", Num(box.y1 + 15), "\" text-anchor=\"middle\">",
                    Xml(xa.Label(t)), "</text>\n");
  }
  for (double t : ya.ticks) {
    const std::string y = Num(Y(t));
    absl::StrAppend(&out, "<line x1=\"", Num(box.x0), "\" y1=\"", y, "\" x2=\"", Num(box.x1), "\" y2=\"", y,
                    "\" stroke=\"#e5e5e5\"/>\n");
    absl::StrAppend(&out, "<line x1=\"", Num(box.x0 - 4), "\" y1=\"", y, "\" x2=\"", Num(box.x0), "\" y2=\"", y,
                    "\" stroke=\"#333\"/>\n");
    absl::StrAppend(&out, "<text x=\"", Num(box.x0 - 6), "\" y=\"", Num(Y(t) + 4), "\" text-anchor=\"end\">",
                    Xml(ya.Label(t)), "</text>\n");
  }
  const std::string x_label = spec.x_label + (log ? " (log)" : "");
  absl::StrAppend(&out, "<text x=\"", Num((box.x0 + box.x1) / 2), "\" y=\"", Num(py + h - 10),
                  "\" text-anchor=\"middle\">", Xml(x_label), "</text>\n");
  if (!panel.y_label.empty()) {
    const double lx = px + 14, ly = (box.y0 + box.y1) / 2;
    absl::StrAppend(&out, "<text x=\"", Num(lx), "\" y=\"", Num(ly),
                    "\" text-anchor=\"middle\" transform=\"rotate(-90 ", Num(lx), " ", Num(ly), ")\">",
                    Xml(panel.y_label), "</text>\n");
  }

  if (panel.baseline) {
    const std::string y = Num(Y(panel.baseline->y));
    absl::StrAppend(&out, "<line class=\"baseline\" x1=\"", Num(box.x0), "\" y1=\"", y, "\" x2=\"", Num(box.x1),
                    "\" y2=\"", y, "\" stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n");
    if (!panel.baseline->label.empty()) {
      // At the left end, where the smallest (least accurate) models usually leave room.
      absl::StrAppend(&out, "<text x=\"", Num(box.x0 + 4), "\" y=\"", Num(Y(panel.baseline->y) - 4),
                      "\" fill=\"#555\" font-size=\"10\">", Xml(panel.baseline->label),
                      "</text>\n");
    }
    if (panel.baseline->x) {
      absl::StrAppend(&out, "<circle cx=\"", Num(X(*panel.baseline->x)), "\" cy=\"", y,
                      "\" r=\"4\" fill=\"#fff\" stroke=\"#555\" stroke-width=\"1.5\"><title>",
                      Xml(absl::StrFormat("%s: x=%g, y=%g", panel.baseline->label, *panel.baseline->x,
                                          panel.baseline->y)),
                      "</title></circle>\n");
    }
  }

  for (const PlotSeries& s : panel.series) {
    if (s.points.empty()) continue;
    std::vector<PlotPoint> pts = s.points;
    std::sort(pts.begin(), pts.end(), [](const PlotPoint& a, const PlotPoint& b) {
      return std::tie(a.x, a.y, a.label) < std::tie(b.x, b.y, b.label);
    });
    const std::string color = SeriesColor(colors.at(s.name));
    std::string points;
    for (const PlotPoint& p : pts) {
      if (!points.empty()) points += ' ';
      absl::StrAppend(&points, Num(X(p.x)), ",", Num(Y(p.y)));
    }
    absl::StrAppend(&out, "<polyline fill=\"none\" stroke=\"", color,
                    "\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"", points, "\"/>\n");
    for (const PlotPoint& p : pts) {
      absl::StrAppend(&out, "<circle cx=\"", Num(X(p.x)), "\" cy=\"", Num(Y(p.y)), "\" r=\"3.5\" fill=\"", color,
                      "\"><title>",
                      Xml(absl::StrFormat("%s%s%s: x=%g, y=%g", s.name, p.label.empty() ? "" : ", ", p.label, p.x,
                                          p.y)),
                      "</title></circle>\n");
    }
  }
  absl::StrAppend(&out, "</g>\n");
}

}  // namespace

std::string SeriesColor(size_t index) { return kPalette[index % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

std::string RenderSvgPlot(const PlotSpec& input) {
  PlotSpec spec = input;
  spec.panel_width = std::max(spec.panel_width, 160);
  spec.panel_height = std::max(spec.panel_height, 120);
  spec.columns = std::max(spec.columns, 1);
  if (spec.panels.empty()) spec.panels.push_back(PlotPanel{});

  // Legend order and colours: series names by first appearance (only those with points).
  std::vector<std::string> names;
  std::map<std::string, size_t> colors;
  std::string baseline_label;
  bool any_baseline = false;
  for (const PlotPanel& panel : spec.panels) {
    for (const PlotSeries& s : panel.series) {
      if (s.points.empty() || colors.count(s.name)) continue;
      colors[s.name] = names.size();
      names.push_back(s.name);
    }
    if (panel.baseline && !any_baseline) {
      any_baseline = true;
      baseline_label = panel.baseline->label.empty() ? "baseline" : panel.baseline->label;
    }
  }

  const int n = static_cast<int>(spec.panels.size());
  const int cols = std::min(spec.columns, n);
  const int rows = (n + cols - 1) / cols;
  const int width = cols * spec.panel_width;
  const int title_h = spec.title.empty() ? 0 : kTitleHeight;

  // Legend layout: entries left to right, wrapping at the figure's width.
  struct Entry {
    std::string name;
    bool baseline;
    double x;
    int row;
  };
  std::vector<Entry> entries;
  {
    double x = 12;
    int row = 0;
    auto add = [&](const std::string& name, bool baseline) {
      const double ew = 34 + 6.5 * static_cast<double>(Chars(name)) + 18;
      if (x > 12 && x + ew > width - 12) {
        x = 12;
        ++row;
      }
      entries.push_back({name, baseline, x, row});
      x += ew;
    };
    for (const std::string& name : names) add(name, false);
    if (any_baseline) add(baseline_label, true);
  }
  const int legend_rows = entries.empty() ? 0 : entries.back().row + 1;
  const int legend_h = legend_rows == 0 ? 0 : legend_rows * kLegendRowHeight + 14;
  const int height = title_h + rows * spec.panel_height + legend_h;

  std::string out;
  absl::StrAppend(&out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", width, "\" height=\"", height,
                  "\" viewBox=\"0 0 ", width, " ", height,
                  "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\" fill=\"#222\">\n");
  absl::StrAppend(&out, "<rect x=\"0\" y=\"0\" width=\"", width, "\" height=\"", height, "\" fill=\"#fff\"/>\n");
  if (!spec.title.empty()) {
    absl::StrAppend(&out, "<text x=\"", Num(width / 2.0), "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" "
                    "font-weight=\"bold\">", Xml(spec.title), "</text>\n");
  }
  for (int i = 0; i < n; ++i) {
    DrawPanel(out, spec, spec.panels[i], (i % cols) * spec.panel_width,
              title_h + (i / cols) * spec.panel_height, colors);
  }
  if (!entries.empty()) {
    absl::StrAppend(&out, "<g class=\"legend\">\n");
    const double top = title_h + rows * spec.panel_height + 6;
    for (const Entry& e : entries) {
      const double cy = top + e.row * kLegendRowHeight + kLegendRowHeight / 2.0;
      if (e.baseline) {
        absl::StrAppend(&out, "<line x1=\"", Num(e.x), "\" y1=\"", Num(cy), "\" x2=\"", Num(e.x + 26), "\" y2=\"",
                        Num(cy), "\" stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n");
      } else {
        const std::string color = SeriesColor(colors.at(e.name));
        absl::StrAppend(&out, "<line x1=\"", Num(e.x), "\" y1=\"", Num(cy), "\" x2=\"", Num(e.x + 26), "\" y2=\"",
                        Num(cy), "\" stroke=\"", color, "\" stroke-width=\"2\"/>\n");
        absl::StrAppend(&out, "<circle cx=\"", Num(e.x + 13), "\" cy=\"", Num(cy), "\" r=\"3.5\" fill=\"", color,
                        "\"/>\n");
      }
      absl::StrAppend(&out, "<text x=\"", Num(e.x + 32), "\" y=\"", Num(cy + 4), "\">", Xml(e.name), "</text>\n");
    }
    absl::StrAppend(&out, "</g>\n");
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace lrb
