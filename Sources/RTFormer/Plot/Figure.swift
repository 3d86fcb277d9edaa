import Foundation

/// An 8-bit sRGB colour.
public struct RGB: Equatable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    /// `#rrggbb`.
    public var hex: String { String(format: "#%02x%02x%02x", r, g, b) }

    public static let white = RGB(255, 255, 255), black = RGB(0, 0, 0), grey = RGB(150, 150, 150), lightGrey = RGB(225, 225, 225)
    /// Line colours of series, in order (distinguishable in print).
    public static let series: [RGB] = [RGB(31, 119, 180), RGB(214, 39, 40), RGB(44, 160, 44), RGB(148, 103, 189), RGB(255, 127, 14),
                                       RGB(23, 190, 207)]

    /// A perceptually ordered dark-blue → teal → yellow scale at `f` ∈ [0, 1] (our own anchors,
    /// linearly interpolated in sRGB), for heatmaps and their colour bar.
    public static func sequential(_ f: Double) -> RGB {
        let anchors: [(Double, Double, Double)] = [(48, 18, 80), (50, 90, 140), (30, 150, 140), (110, 200, 90), (250, 230, 40)]
        let x = min(1, max(0, f.isFinite ? f : 0)) * Double(anchors.count - 1)
        let i = min(anchors.count - 2, Int(x)), u = x - Double(i)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * u).rounded()) }
        return RGB(mix(anchors[i].0, anchors[i + 1].0), mix(anchors[i].1, anchors[i + 1].1), mix(anchors[i].2, anchors[i + 1].2))
    }
}

/// One drawing instruction of a laid-out figure, in pixels from the top-left corner. PNG
/// (`FigureRaster`) and SVG (`FigureSVG`) draw the same marks, so both show the same figure.
public enum PlotMark: Equatable, Sendable {
    /// A filled rectangle.
    case rect(x: Double, y: Double, width: Double, height: Double, fill: RGB)
    /// A polyline `width` pixels wide; `dashed` draws 6-pixel dashes.
    case line(points: [PlotPoint], color: RGB, width: Double, dashed: Bool)
    /// Text whose anchor point is `(x, y)`: vertically centred there, and starting, centred or
    /// ending there horizontally; `vertical` reads bottom to top. `scale` multiplies the 5×7 font.
    case text(String, x: Double, y: Double, scale: Int, anchor: TextAnchor, vertical: Bool, color: RGB)
}

/// A point in figure pixels.
public struct PlotPoint: Equatable, Sendable {
    public var x: Double, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// Horizontal anchoring of text.
public enum TextAnchor: String, Sendable { case start, middle, end }

/// A publication figure: title, axes with ticks and labels, and one of a heatmap with its colour
/// bar, line series with a legend, or bars drawn from zero. `marks()` lays it out.
public struct Figure: Sendable, Equatable {
    /// A `rows × columns` grid of values (row-major), coloured over `lower…upper`.
    public struct Heatmap: Sendable, Equatable {
        public var rows: Int, columns: Int
        public var values: [Double]
        public var lower: Double, upper: Double
        /// The colour bar's label (`firing rate`).
        public var colorbarLabel: String
        /// A cell to outline (the neuron under the cursor).
        public var marker: (row: Int, column: Int)?
        public init(rows: Int, columns: Int, values: [Double], lower: Double, upper: Double, colorbarLabel: String,
                    marker: (row: Int, column: Int)? = nil) {
            self.rows = rows; self.columns = columns; self.values = values; self.lower = lower; self.upper = upper
            self.colorbarLabel = colorbarLabel; self.marker = marker
        }
        public static func == (a: Heatmap, b: Heatmap) -> Bool {
            a.rows == b.rows && a.columns == b.columns && a.values == b.values && a.lower == b.lower && a.upper == b.upper
                && a.colorbarLabel == b.colorbarLabel && a.marker?.row == b.marker?.row && a.marker?.column == b.marker?.column
        }
    }

    /// One named series of (x, y) points; `markers` draws a dot per point instead of a line
    /// (spikes), `dashed` a dashed line (thresholds). NaN y values break the line.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var points: [PlotPoint]
        public var dashed: Bool
        public var markers: Bool
        public init(_ name: String, _ points: [PlotPoint], dashed: Bool = false, markers: Bool = false) {
            self.name = name; self.points = points; self.dashed = dashed; self.markers = markers
        }
    }

    public enum Content: Sendable, Equatable {
        case heatmap(Heatmap)
        case lines([Series])
        /// Category labels and values; bars start at 0.
        case bars([(label: String, value: Double)])
        public static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case let (.heatmap(x), .heatmap(y)): x == y
            case let (.lines(x), .lines(y)): x == y
            case let (.bars(x), .bars(y)): x.map(\.label) == y.map(\.label) && x.map(\.value) == y.map(\.value)
            default: false
            }
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var content: Content
    /// Size in pixels (PNG) or user units (SVG).
    public var width: Int
    public var height: Int

    public init(title: String, xLabel: String, yLabel: String, content: Content, width: Int = 800, height: Int = 560) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.content = content
        self.width = width; self.height = height
    }

    /// Tick values for `lo…hi`: about `count` steps of 1, 2 or 5 × 10^k inside the range.
    public static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return lo.isFinite ? [lo] : [] }
        let raw = (hi - lo) / Double(max(1, count))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 && out.count < 50 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// A tick label: at most 4 significant digits, no trailing zeros.
    public static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        var s = String(format: "%.4g", v)
        if s.contains("."), !s.contains("e") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// The figure as drawing instructions (white background first).
    public func marks() -> [PlotMark] {
        let w = Double(width), h = Double(height)
        var m: [PlotMark] = [.rect(x: 0, y: 0, width: w, height: h, fill: .white)]
        let isBars: Bool = { if case .bars = content { return true } else { return false } }()
        let isHeatmap: Bool = { if case .heatmap = content { return true } else { return false } }()
        // Heatmaps keep the right margin for their colour bar, line plots for their legend.
        let left = 90.0, right = isHeatmap ? 120.0 : isBars ? 30.0 : 200.0, top = 56.0, bottom = isBars ? 150.0 : 70.0
        var plot = (x: left, y: top, w: w - left - right, h: h - top - bottom)
        m.append(.text(title, x: w / 2, y: 24, scale: 2, anchor: .middle, vertical: false, color: .black))
        m.append(.text(xLabel, x: plot.x + plot.w / 2, y: h - 22, scale: 2, anchor: .middle, vertical: false, color: .black))
        m.append(.text(yLabel, x: 20, y: plot.y + plot.h / 2, scale: 2, anchor: .middle, vertical: true, color: .black))

        func frame() {
            let p = [PlotPoint(plot.x, plot.y), PlotPoint(plot.x + plot.w, plot.y), PlotPoint(plot.x + plot.w, plot.y + plot.h),
                     PlotPoint(plot.x, plot.y + plot.h), PlotPoint(plot.x, plot.y)]
            m.append(.line(points: p, color: .black, width: 1, dashed: false))
        }
        func yAxis(_ lo: Double, _ hi: Double) -> (Double) -> Double {
            let map = { (v: Double) in plot.y + plot.h - (v - lo) / (hi - lo) * plot.h }
            for t in Self.ticks(lo, hi) {
                let y = map(t)
                m.append(.line(points: [PlotPoint(plot.x - 5, y), PlotPoint(plot.x, y)], color: .black, width: 1, dashed: false))
                m.append(.text(Self.label(t), x: plot.x - 8, y: y, scale: 1, anchor: .end, vertical: false, color: .black))
            }
            return map
        }
        func xAxis(_ lo: Double, _ hi: Double, integer: Bool) -> (Double) -> Double {
            let map = { (v: Double) in plot.x + (v - lo) / (hi - lo) * plot.w }
            for t in Self.ticks(lo, hi) where !integer || t == t.rounded() {
                let x = map(t)
                m.append(.line(points: [PlotPoint(x, plot.y + plot.h), PlotPoint(x, plot.y + plot.h + 5)], color: .black, width: 1, dashed: false))
                m.append(.text(Self.label(t), x: x, y: plot.y + plot.h + 14, scale: 1, anchor: .middle, vertical: false, color: .black))
            }
            return map
        }

        switch content {
        case .heatmap(let hm):
            guard hm.rows > 0, hm.columns > 0 else { frame(); return m }
            // Square cells, the grid centred in the plot area.
            let cell = min(plot.w / Double(hm.columns), plot.h / Double(hm.rows))
            let gw = cell * Double(hm.columns), gh = cell * Double(hm.rows)
            plot = (plot.x + (plot.w - gw) / 2, plot.y + (plot.h - gh) / 2, gw, gh)
            let span = hm.upper > hm.lower ? hm.upper - hm.lower : 1
            for r in 0..<hm.rows {
                for c in 0..<hm.columns where r * hm.columns + c < hm.values.count {
                    let f = (hm.values[r * hm.columns + c] - hm.lower) / span
                    m.append(.rect(x: plot.x + Double(c) * cell, y: plot.y + Double(r) * cell, width: cell, height: cell, fill: .sequential(f)))
                }
            }
            if let mk = hm.marker, mk.row < hm.rows, mk.column < hm.columns {
                let x0 = plot.x + Double(mk.column) * cell, y0 = plot.y + Double(mk.row) * cell
                m.append(.line(points: [PlotPoint(x0, y0), PlotPoint(x0 + cell, y0), PlotPoint(x0 + cell, y0 + cell), PlotPoint(x0, y0 + cell),
                                        PlotPoint(x0, y0)], color: RGB(230, 0, 0), width: 2, dashed: false))
            }
            // Row/column ticks at cell centres.
            for t in Self.ticks(0, Double(hm.columns - 1)) where t == t.rounded() {
                let x = plot.x + (t + 0.5) * cell
                m.append(.text(Self.label(t), x: x, y: plot.y + plot.h + 14, scale: 1, anchor: .middle, vertical: false, color: .black))
            }
            for t in Self.ticks(0, Double(hm.rows - 1)) where t == t.rounded() {
                let y = plot.y + (t + 0.5) * cell
                m.append(.text(Self.label(t), x: plot.x - 8, y: y, scale: 1, anchor: .end, vertical: false, color: .black))
            }
            frame()
            // Colour bar: 64 bands, ticks and label.
            let cbx = w - right + 24, cbw = 18.0, cby = top, cbh = h - top - bottom
            for i in 0..<64 {
                let f0 = Double(i) / 64
                m.append(.rect(x: cbx, y: cby + cbh - (f0 + 1.0 / 64) * cbh, width: cbw, height: cbh / 64 + 0.5, fill: .sequential(f0 + 0.5 / 64)))
            }
            m.append(.line(points: [PlotPoint(cbx, cby), PlotPoint(cbx + cbw, cby), PlotPoint(cbx + cbw, cby + cbh), PlotPoint(cbx, cby + cbh),
                                    PlotPoint(cbx, cby)], color: .black, width: 1, dashed: false))
            for t in Self.ticks(hm.lower, hm.lower + span) {
                let y = cby + cbh - (t - hm.lower) / span * cbh
                m.append(.text(Self.label(t), x: cbx + cbw + 5, y: y, scale: 1, anchor: .start, vertical: false, color: .black))
            }
            m.append(.text(hm.colorbarLabel, x: w - 12, y: cby + cbh / 2, scale: 1, anchor: .middle, vertical: true, color: .black))

        case .lines(let series):
            let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
            let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
            var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1), (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
            if x1 <= x0 { x1 = x0 + 1 }
            if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
            let pad = (y1 - y0) * 0.05
            (y0, y1) = (y0 - pad, y1 + pad)
            let mx = xAxis(x0, x1, integer: xs.allSatisfy { $0 == $0.rounded() }), my = yAxis(y0, y1)
            if y0 < 0 && y1 > 0 {
                m.append(.line(points: [PlotPoint(plot.x, my(0)), PlotPoint(plot.x + plot.w, my(0))], color: .lightGrey, width: 1, dashed: false))
            }
            for (i, s) in series.enumerated() {
                let color = RGB.series[i % RGB.series.count]
                if s.markers {
                    for p in s.points where p.y.isFinite {
                        m.append(.rect(x: mx(p.x) - 4, y: my(p.y) - 4, width: 8, height: 8, fill: color))
                    }
                    continue
                }
                var run: [PlotPoint] = []
                for p in s.points {
                    if p.x.isFinite && p.y.isFinite { run.append(PlotPoint(mx(p.x), my(p.y))) } else if !run.isEmpty {
                        m.append(.line(points: run, color: color, width: 2, dashed: s.dashed)); run = []
                    }
                }
                if !run.isEmpty { m.append(.line(points: run, color: color, width: 2, dashed: s.dashed)) }
            }
            frame()
            // Legend in the right margin, beside the plot (never over the data).
            let lx = plot.x + plot.w + 14
            for (i, s) in series.enumerated() {
                let y = plot.y + 14 + Double(i) * 14, color = RGB.series[i % RGB.series.count]
                if s.markers {
                    m.append(.rect(x: lx + 8, y: y - 4, width: 8, height: 8, fill: color))
                } else {
                    m.append(.line(points: [PlotPoint(lx, y), PlotPoint(lx + 22, y)], color: color, width: 2, dashed: s.dashed))
                }
                m.append(.text(s.name, x: lx + 28, y: y, scale: 1, anchor: .start, vertical: false, color: .black))
            }

        case .bars(let bars):
            let vals = bars.map(\.value).filter(\.isFinite)
            let lo = min(0, vals.min() ?? 0), hiRaw = max(0, vals.max() ?? 0)
            let hi = hiRaw > lo ? hiRaw : lo + 1
            let pad = (hi - lo) * 0.05
            let my = yAxis(lo - (lo < 0 ? pad : 0), hi + pad)
            let zero = my(0)
            m.append(.line(points: [PlotPoint(plot.x, zero), PlotPoint(plot.x + plot.w, zero)], color: .grey, width: 1, dashed: false))
            let slot = plot.w / Double(max(1, bars.count))
            for (i, b) in bars.enumerated() {
                let x = plot.x + Double(i) * slot + slot * 0.15
                if b.value.isFinite && b.value != 0 {
                    let y = my(b.value)
                    m.append(.rect(x: x, y: min(y, zero), width: slot * 0.7, height: abs(zero - y),
                                   fill: b.value > 0 ? RGB.series[0] : RGB.series[1]))
                }
                m.append(.text(b.label, x: x + slot * 0.35, y: plot.y + plot.h + 8, scale: 1, anchor: .end, vertical: true, color: .black))
            }
            frame()
        }
        return m
    }
}
