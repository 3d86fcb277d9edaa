/// A plot of one value over timesteps t = 0…T−1 (a neuron's membrane potential), with its firing
/// threshold as a horizontal line and its spikes marked on the t axis.
///
/// Layout, top to bottom: the plot area (y labels `upper` on the first row and `lower` on the last
/// in a left gutter, and a constant threshold's value on its row; each t a band of equal width with a `●` (`*`) at the value; the threshold
/// drawn `╌` (`-`) across each band at that t's threshold), then the axis row (`▲` (`^`) under a
/// t that spiked, `·` (`.`) otherwise), then t labels. The band of `cursor` is highlighted.
/// When T exceeds the columns available the bands are 1 cell and later t are cut off.
public struct TracePlot: Sendable {
    /// The value at each t, length T.
    public var values: [Float]
    /// The threshold at each t: empty for none, one element for a constant threshold, or T
    /// elements when it varies with t (a TSBN-folded threshold).
    public var thresholds: [Float]
    /// Whether the neuron spiked at each t; empty or length T.
    public var spikes: [Bool]
    /// The timestep to highlight.
    public var cursor: Int?
    /// The y range; nil fits the values and thresholds.
    public var range: ClosedRange<Float>?
    /// Pinned neurons drawn over the plot, each with its own mark (TraceOverlay.swift).
    public var overlays: [TraceOverlay] = []

    public init(values: [Float], thresholds: [Float] = [], spikes: [Bool] = [], cursor: Int? = nil,
                range: ClosedRange<Float>? = nil) {
        self.values = values
        self.thresholds = thresholds
        self.spikes = spikes
        self.cursor = cursor
        self.range = range
    }

    /// The threshold at timestep `t`, if any.
    public func threshold(at t: Int) -> Float? {
        if thresholds.count == 1 { return thresholds[0] }
        return t < thresholds.count ? thresholds[t] : nil
    }

    /// The y range drawn: `range`, or the span of the finite values and thresholds, widened when
    /// it has zero width.
    public var effectiveRange: ClosedRange<Float> {
        if let range { return range }
        let all = (values + thresholds + overlays.flatMap(\.values)).filter(\.isFinite)
        guard var lo = all.min(), var hi = all.max() else { return 0...1 }
        if hi - lo < 1e-6 {
            lo -= 0.5
            hi += 0.5
        }
        return lo...hi
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        let steps = values.count
        guard steps > 0, rect.height >= 3 else {
            screen.write("no trace", x: rect.x, y: rect.y, style: .dim, clip: rect)
            return
        }
        let ascii = screen.appearance.isASCII
        let range = effectiveRange
        let upperLabel = ColorScale.label(range.upperBound), lowerLabel = ColorScale.label(range.lowerBound)
        let constantThreshold = thresholds.count == 1 || (thresholds.count > 1 && Set(thresholds).count == 1)
            ? thresholds.first : nil
        let thresholdLabel = constantThreshold.map(ColorScale.label) ?? ""
        let gutter = max(upperLabel.count, lowerLabel.count, thresholdLabel.count) + 1
        let (body, tLabels) = rect.splitBottom(1)
        let (plotAndGutter, axis) = body.splitBottom(1)
        let (gutterRect, plot) = plotAndGutter.splitLeft(gutter)
        guard plot.width > 0, plot.height > 0 else { return }

        screen.write(pad(upperLabel, gutter - 1), x: gutterRect.x, y: gutterRect.y, style: .dim, clip: gutterRect)
        if plot.height > 1 {
            screen.write(pad(lowerLabel, gutter - 1), x: gutterRect.x, y: plot.maxY - 1, style: .dim, clip: gutterRect)
        }

        let band = max(1, plot.width / steps)
        let shown = min(steps, plot.width / band)
        func row(_ v: Float) -> Int? {
            guard v.isFinite else { return nil }
            let span = range.upperBound - range.lowerBound
            let p = span > 0 ? (v - range.lowerBound) / span : 0.5
            guard p >= -1e-6, p <= 1 + 1e-6 else { return nil }
            let fromBottom = Int((min(1, max(0, p)) * Float(plot.height - 1)).rounded())
            return plot.maxY - 1 - fromBottom
        }
        let thresholdStyle = CellStyle(fg: .indexed(9), attributes: .dim)
        if let th = constantThreshold, let r = row(th), r > plot.y, r < plot.maxY - 1 {
            screen.write(pad(thresholdLabel, gutter - 1), x: gutterRect.x, y: r, style: thresholdStyle, clip: gutterRect)
        }
        let valueStyle = CellStyle(fg: .indexed(14), attributes: .bold)
        let spikeStyle = CellStyle(fg: .indexed(11), attributes: .bold)
        for t in 0..<shown {
            let x0 = plot.x + t * band
            let mid = x0 + (band - 1) / 2
            if t == cursor {
                screen.fill(Rect(x: x0, y: plot.y, width: band, height: plot.height),
                            style: CellStyle(bg: .indexed(236)))
            }
            let cursorBG: TermColor = t == cursor ? .indexed(236) : .default
            if let th = threshold(at: t), let r = row(th) {
                for x in x0..<(x0 + band) {
                    screen.put(ascii ? "-" : "╌", x: x, y: r, style: with(thresholdStyle, bg: cursorBG))
                }
            }
            if let r = row(values[t]) {
                screen.put(ascii ? "*" : "●", x: mid, y: r, style: with(valueStyle, bg: cursorBG))
            }
            for (k, o) in overlays.enumerated() where t < o.values.count {
                guard let r = row(o.values[t]) else { continue }
                // Spread the series across the band so that equal values stay visible side by side.
                let x = band > 1 ? x0 + min(band - 1, (k + 1 + (band - 1) / 2) % band) : mid
                screen.put(ascii ? o.asciiMark : o.mark, x: x, y: r, style: CellStyle(fg: o.color, bg: cursorBG, attributes: .bold))
            }
            let spiked = t < spikes.count && spikes[t]
            let mark: Character = spiked ? (ascii ? "^" : "▲") : (ascii ? "." : "·")
            var markStyle = spiked ? spikeStyle : CellStyle.dim
            if t == cursor { markStyle.attributes.insert(.reverse) }
            screen.put(mark, x: mid, y: axis.y, style: markStyle, clip: axis)
        }

        // t labels left to right wherever one fits with a space before the next; the cursor's
        // label is placed first so the others make room for it.
        func labelSpan(_ t: Int) -> Range<Int> {
            let mid = plot.x + t * band + (band - 1) / 2
            return mid..<(mid + String(t).count)
        }
        var taken: [Range<Int>] = []
        if let cursor, cursor < shown {
            taken.append(labelSpan(cursor))
            screen.write(String(cursor), x: labelSpan(cursor).lowerBound, y: tLabels.y, style: .reverse, clip: tLabels)
        }
        for t in 0..<shown where t != cursor {
            let span = labelSpan(t)
            let padded = (span.lowerBound - 1)..<(span.upperBound + 1)
            guard !taken.contains(where: { $0.overlaps(padded) }) else { continue }
            taken.append(span)
            screen.write(String(t), x: span.lowerBound, y: tLabels.y, style: .dim, clip: tLabels)
        }
        screen.write("t", x: gutterRect.x, y: tLabels.y, style: .dim, clip: tLabels)
    }

    private func with(_ style: CellStyle, bg: TermColor) -> CellStyle {
        var s = style
        s.bg = bg
        return s
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
