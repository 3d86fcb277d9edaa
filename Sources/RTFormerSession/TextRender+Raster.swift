import Foundation

extension TextRender {
    /// Rows of the raster printed as text at most (the pane scrolls; `raster top k` narrows).
    static let rasterTextRows = 64

    /// The raster pane: one line per neuron, `|` spike, `.` silent, blank not computed; the
    /// spike count per neuron on the right and per t underneath.
    public static func raster(_ v: RasterView) -> String {
        let what: String
        switch v.mode {
        case .channel: what = "channel \(v.channel), \(v.rows.count) neurons"
        case let .top(k): what = "top \(k) of \(v.neurons) neurons by spike count"
        }
        var lines = ["\(v.path) · \(what) · t \(v.t) · computed \(v.computedSteps)/\(v.timesteps) · | spike  . silent"]
        lines.append("  neuron           " + (0..<v.timesteps).map { String($0 % 10) }.joined() + "  spikes")
        for (i, r) in v.rows.prefix(rasterTextRows).enumerated() {
            let mark = i == v.selectedRow ? ">" : " "
            let name = Fmt.pad("c \(r.channel) y \(r.y) x \(r.x)", 16)
            let cells = r.spikes.map { $0 == nil ? " " : ($0! ? "|" : ".") }.joined()
            lines.append(" " + mark + name + " " + cells + "  " + Fmt.pad(String(r.count), 6, right: true))
        }
        if v.rows.count > rasterTextRows { lines.append("  … \(v.rows.count - rasterTextRows) more rows (`raster top k` shows the busiest)") }
        lines.append("  spikes per t     " + v.perT.enumerated().map { "t\($0.offset) " + ($0.element.map(String.init) ?? "-") }.joined(separator: "  "))
        return lines.joined(separator: "\n")
    }

    /// Pinned neurons' traces (the value compared with the threshold per t, `*` after a spike),
    /// one line each, after the membrane pane; empty without pins.
    static func pins(_ traces: [PinnedTrace]) -> String {
        guard !traces.isEmpty else { return "" }
        var lines = ["", "pinned neurons (value compared with the threshold per t, * spike):"]
        for p in traces {
            let values = zip(p.values, p.spikes).map { v, s in
                v.map { String(format: "%8.4f", Double($0)) + (s == true ? "*" : " ") } ?? "       - "
            }
            lines.append("  " + Fmt.pad("c \(p.pin.channel) y \(p.y) x \(p.x)", 16) + values.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// The input pane as text: a shaded grey image (luminance, or ON − OFF for events) with the
    /// selected neuron's receptive position drawn as `[ ]` corners.
    public static func input(_ v: InputView) -> String {
        var head = "\(v.name) · \(v.kind.rawValue) \(v.height)×\(v.width) · t \(v.t)/\(v.timesteps) · \(v.scaling)"
        if let l = v.label { head += " · label \(l)" + (v.labelName.map { " (\($0))" } ?? "") }
        head += " · top-1 " + (v.top1.map { String($0) + (v.top1Name.map { " (\($0))" } ?? "") } ?? "-")
        var lines = [head]
        let plane = v.height * v.width
        // Two pixel columns per character would distort; one character per pixel, every other row.
        for y in stride(from: 0, to: v.height, by: 2) {
            var row = "  "
            for x in 0..<v.width {
                let i = y * v.width + x
                let value: Float
                if v.kind == .image {
                    value = 0.299 * v.pixels[i] + 0.587 * v.pixels[plane + i] + 0.114 * v.pixels[2 * plane + i]
                } else {
                    value = max(v.pixels[i], v.pixels[plane + i])
                }
                var ch = shades[max(0, min(shades.count - 1, Int((value * Float(shades.count - 1)).rounded())))]
                if let b = v.receptive, y >= b.y0 - 1, y < b.y1 + 1, x == b.x0 - 1 || x == b.x1 { ch = x < b.x0 ? "[" : "]" }
                row.append(ch)
            }
            lines.append(row)
        }
        if let b = v.receptive, let layer = v.layer, let f = v.factor {
            lines.append("  neuron of \(layer) at input y \(b.y0)…\(b.y1 - 1), x \(b.x0)…\(b.x1 - 1) (factor \(f))")
        }
        return lines.joined(separator: "\n")
    }
}
