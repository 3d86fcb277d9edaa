import Foundation
import RTFormer
import RTFormerSession

/// Draws one pane (its frame and contents) from the session's view models. A view model the
/// session cannot give (no neuron selected, no deploy twin, nothing computed) is drawn as the
/// session's error text, so the pane says why it is empty.
struct PaneDrawer {
    let app: ExplorerApp
    let session: Session
    let ascii: Bool
    /// Rows each scrolling pane started at in this frame.
    var scrollOffsets: [ExplorerPane: Int]

    init(app: ExplorerApp, session: Session, ascii: Bool) {
        self.app = app
        self.session = session
        self.ascii = ascii
        self.scrollOffsets = app.scrollOffsets
    }

    private func text(_ s: String) -> String { ASCIIText.fold(s, ascii: ascii) }

    mutating func draw(_ pane: ExplorerPane, in rect: Rect, into screen: inout Screen) {
        let inner = Frame.contentRect(for: rect)
        var detail = ""
        do {
            switch pane {
            case .layers: detail = try drawLayers(in: inner, into: &screen)
            case .membrane: detail = try drawMembrane(in: inner, into: &screen)
            case .tsbn: detail = try drawTSBN(in: inner, into: &screen)
            case .rates: detail = try drawRates(in: inner, into: &screen)
            case .diff: detail = try drawDiff(in: inner, into: &screen)
            case .energy: detail = try drawEnergy(in: inner, into: &screen)
            case .logits: detail = try drawLogits(in: inner, into: &screen)
            case .raster: detail = try drawRaster(in: inner, into: &screen)
            case .input: detail = try drawInput(in: inner, into: &screen)
            }
        } catch {
            screen.fill(inner)
            TextBlock(text("\(error)"), style: .dim).draw(into: &screen, in: inner)
        }
        let title = "\(pane.numberKey) \(pane)" + (detail.isEmpty ? "" : " · " + detail)
        Frame(title: text(title), isFocused: pane == app.focus).draw(into: &screen, in: rect)
    }

    // MARK: layers

    private mutating func drawLayers(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.layerTable()
        let wide = rect.width >= 72, narrow = rect.width < 40
        let shapes = view.rows.map { "[" + $0.outputShape.map(String.init).joined(separator: ",") + "]" }
        let shapeWidth = min(13, max(5, shapes.map(\.count).max() ?? 5))
        var columns: [Table.Column] = []
        if wide { columns.append(Table.Column("#", width: .fixed(3), alignment: .right)) }
        columns.append(Table.Column("layer", width: .flexible(1)))
        if wide { columns.append(Table.Column("kind", width: .fixed(16))) }
        if !narrow { columns.append(Table.Column("shape", width: .fixed(shapeWidth))) }
        if wide {
            columns.append(Table.Column("params", width: .fixed(8), alignment: .right))
            columns.append(Table.Column("SOP", width: .fixed(8), alignment: .right))
        }
        columns.append(Table.Column("rate", width: .fixed(5), alignment: .right))
        if !narrow { columns.append(Table.Column("dep", width: .fixed(4))) }
        var table = Table(columns: columns, rows: [], selected: view.selected, scrollOffset: scrollOffsets[.layers] ?? 0,
                          isFocused: app.focus == .layers)
        let scrollbar = view.rows.count > Table.visibleRowCount(in: rect) ? 1 : 0
        let pathWidth = table.columnWidths(total: rect.width - scrollbar)[wide ? 1 : 0]
        table.rows = zip(view.rows, shapes).map { row, shape in
            var cells: [String] = []
            if wide { cells.append(String(row.index)) }
            cells.append(Self.leftTruncated(row.path, to: pathWidth, ascii: ascii))
            if wide { cells.append(text(row.kind)) }
            if !narrow { cells.append(shape) }
            if wide {
                cells.append(Self.compact(Double(row.parameters)))
                cells.append(row.sop.map(Self.compact) ?? "-")
            }
            cells.append(row.rate.map { Self.fixed($0, 3) } ?? "-")
            if !narrow { cells.append(Self.marker(row.deploy)) }
            return cells
        }
        // Layers a layer-by-layer build has not reached yet are dimmed.
        table.dimmedRows = Set(view.rows.filter { !$0.built }.map(\.index))
        table.draw(into: &screen, in: rect)
        scrollOffsets[.layers] = table.visibleOffset(in: rect)
        if let built = session.builtLayers {
            return "built \(built)/\(view.rows.count) · b: next"
        }
        return "\(view.rows.count) · \(Self.compact(Double(view.parameters))) params"
    }

    private static func marker(_ m: DeployMarker) -> String {
        switch m {
        case .same: "="
        case .folded: "fold"
        case .absorbed: "abs"
        case .unknown: ""
        }
    }

    // MARK: membrane

    private func drawMembrane(in rect: Rect, into screen: inout Screen) throws -> String {
        let q = app.quantity.rawValue
        if session.view == .split {
            let unfused = try session.membraneView(for: .unfused)
            let deploy = try session.membraneView(for: .deploy)
            let halves = rect.columns(weights: [1, 1])
            drawMembrane(unfused, label: "unfused", in: halves[0].inset(right: 1), into: &screen)
            for y in rect.y..<rect.maxY { screen.put(ascii ? "|" : "│", x: halves[1].x - 1, y: y, style: .dim) }
            drawMembrane(deploy, label: "deploy", in: halves[1], into: &screen)
            return "\(q) · \(unfused.path) · split"
        }
        let m = try session.membraneView(for: session.view == .deploy ? .deploy : .unfused)
        drawMembrane(m, label: nil, in: rect, into: &screen)
        return "\(q) · \(m.path) · \(m.model.rawValue)"
    }

    private func drawMembrane(_ m: MembraneView, label: String?, in rect: Rect, into screen: inout Screen) {
        let (infoRow, body) = rect.splitTop(1)
        let point = m.trace.first { $0.t == m.t }
        var info = (label.map { $0 + " · " } ?? "") + "c \(m.channel) (y \(m.y), x \(m.x)) t \(m.t)"
        if let p = point {
            if let h = p.h { info += "  H " + ColorScale.label(h) }
            if m.comparedQuantity != "H", let c = p.compared { info += "  \(m.comparedQuantity.prefix(1) == "Ĥ" ? "Ĥ" : "cmp") " + ColorScale.label(c) }
            if let v = p.v { info += "  V " + ColorScale.label(v) }
            if let th = p.threshold { info += "  θ " + ColorScale.label(th) }
            if let s = p.spike { info += s ? "  spike" : "  silent" }
        }
        screen.write(TextLayout.truncate(text(info), to: infoRow.width, ascii: ascii), x: infoRow.x, y: infoRow.y,
                     style: .bold, clip: infoRow)
        let values = app.quantity == .h ? m.h : m.v
        var heatmap = Heatmap(values: values, rows: m.rows, columns: m.columns, kind: .diverging,
                              marker: GridPoint(row: m.y, column: m.x))
        // Neurons within the rounding bound of the threshold (issue 11), keyed on the legend row.
        heatmap.flagged = Set(m.nearThreshold.indices.filter { m.nearThreshold[$0] }.map { GridPoint(row: $0 / m.columns, column: $0 % m.columns) })
        heatmap.flagLabel = m.roundingBound.map { text("|H−θ| ≤ ") + ColorScale.label($0) }
        var trace = Self.trace(m)
        trace.overlays = pinOverlays(m)
        if body.width >= 50 {
            let (heatRect, traceRect) = body.splitLeft(max(20, body.width * 2 / 5))
            heatmap.draw(into: &screen, in: heatRect.inset(right: 2))
            // A rule keeps the legend's range and the trace's axis labels from reading as one.
            for y in heatRect.y..<heatRect.maxY { screen.put(ascii ? "|" : "│", x: heatRect.maxX - 1, y: y, style: .dim) }
            drawTrace(trace, m, into: &screen, in: traceRect)
        } else {
            let parts = body.rows(weights: [1, 1])
            heatmap.draw(into: &screen, in: parts[0])
            drawTrace(trace, m, into: &screen, in: parts[1])
        }
    }

    /// The neuron's trace: the value its comparator sees (Ĥ for an unfused TSBN-LIF, else H)
    /// against its threshold, with its spikes; timesteps not computed yet are left blank.
    private static func trace(_ m: MembraneView) -> TracePlot {
        let values = m.trace.map { $0.computed ? ($0.compared ?? $0.h ?? .nan) : .nan }
        let thresholds = m.trace.map { $0.threshold ?? .nan }
        let constant = thresholds.allSatisfy { $0 == thresholds.first && $0.isFinite }
        return TracePlot(values: values, thresholds: constant ? Array(thresholds.prefix(1)) : thresholds,
                         spikes: m.trace.map { $0.spike ?? false }, cursor: m.t)
    }

    // MARK: TSBN

    private mutating func drawTSBN(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.tsbnView()
        let (infoRow, tableRect) = rect.splitTop(1)
        var info = "window t∈{\(view.window.map(String.init).joined(separator: ","))} L \(view.windowLength) · \(view.statistics)"
        if !view.nonPositiveGammaChannels.isEmpty { info += " · γ≤0: \(view.nonPositiveGammaChannels.count) ch" }
        screen.write(TextLayout.truncate(text(info), to: infoRow.width, ascii: ascii), x: infoRow.x, y: infoRow.y,
                     style: .dim, clip: infoRow)
        let columns = [Table.Column("c", width: .fixed(4), alignment: .right)]
            + ["γ", "β", "μ", "σ²", "θ"].map { Table.Column(text($0), width: .flexible(1), alignment: .right) }
        var table = Table(columns: columns, rows: [], selected: view.channels.firstIndex { $0.channel == session.cursor.channel },
                          scrollOffset: scrollOffsets[.tsbn] ?? 0, isFocused: app.focus == .tsbn)
        let scrollbar = view.channels.count > Table.visibleRowCount(in: tableRect) ? 1 : 0
        let width = table.columnWidths(total: tableRect.width - scrollbar)[1]
        table.rows = view.channels.map { row in
            [(row.flagged ? "!" : "") + String(row.channel)]
                + [row.gamma, row.beta, row.mean, row.variance].map { Self.number($0, width: width) }
                + [row.theta.map { Self.number($0, width: width) } ?? "-"]
        }
        table.draw(into: &screen, in: tableRect)
        scrollOffsets[.tsbn] = table.visibleOffset(in: tableRect)
        return "\(view.path) · t \(view.t) · fold \(view.fold.rawValue)"
    }

    // MARK: rates

    private func drawRates(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.ratesView()
        let (heatRect, right) = rect.splitLeft(max(12, rect.width * 2 / 5))
        let marker = session.cursor.position < view.rows * view.columns
            ? GridPoint(row: session.cursor.position / max(1, view.columns), column: session.cursor.position % max(1, view.columns)) : nil
        Heatmap(values: view.positionMap.map(Float.init), rows: view.rows, columns: view.columns, kind: .sequential,
                scale: ColorScale(kind: .sequential, lower: 0, upper: 1), marker: marker)
            .draw(into: &screen, in: heatRect.inset(right: 1))
        let (sparkRow, bars) = right.splitTop(2)
        let perT = view.perT.map { $0.map(Float.init) ?? .nan }
        let layerRate = view.t < view.perT.count ? view.perT[view.t] : nil
        let label = "per t " + (layerRate.map { "(t \(view.t): \(Self.fixed($0, 3)))" } ?? "")
        screen.write(TextLayout.truncate(label, to: sparkRow.width, ascii: ascii), x: sparkRow.x, y: sparkRow.y, style: .dim,
                     clip: sparkRow)
        Sparkline(values: perT, range: 0...max(0.05, perT.filter(\.isFinite).max() ?? 0))
            .draw(into: &screen, in: Rect(x: sparkRow.x, y: sparkRow.y + 1, width: sparkRow.width, height: 1))
        BarChart(items: view.channelRates.enumerated().map { BarChart.Item("c\($0.offset)", Float($0.element)) },
                 range: 0...1, selected: session.cursor.channel, isFocused: app.focus == .rates)
            .draw(into: &screen, in: bars)
        return "\(view.path) · t \(view.t)"
    }

    // MARK: diff, energy, logits

    private mutating func drawDiff(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.diffView()
        let summary = view.summary
        let (header, tableRect) = rect.splitTop(3)
        let mark = switch summary.verdict {
        case .equivalent: "✓ "
        case .equivalentUpToRounding: "≈ "
        case .notEquivalent: "✗ "
        }
        var first = "no mismatch origin in \(view.computedSteps) step(s)"
        if let o = summary.firstStructural ?? summary.firstOrigin {
            first = (o.kind == .structural ? "structural " : "rounding ") + "\(o.path) t \(o.t) c \(o.channel) n \(o.position)"
                + " margin \(ColorScale.label(o.margin))" + (o.cause.map { " (\($0))" } ?? "") + " · o: jump"
        }
        let lines = [
            mark + summary.verdict.rawValue + " · origins \(summary.structuralOrigins) structural, \(summary.roundingFlips) rounding"
                + " · propagated \(summary.propagated)",
            first,
            "logits max |Δ| \(ColorScale.label(view.logitsMaxAbs)) · rel \(ColorScale.label(view.logitsMaxRel)) · e2e \(view.e2e.mismatches)",
        ]
        for (i, line) in lines.enumerated() {
            var style: CellStyle = .plain
            if i == 0 {
                switch summary.verdict {
                case .notEquivalent: style = CellStyle(fg: .indexed(9), attributes: .bold)
                case .equivalentUpToRounding: style = CellStyle(fg: .indexed(11), attributes: .bold)
                case .equivalent: style = CellStyle(attributes: .bold)
                }
            }
            screen.write(TextLayout.truncate(text(line), to: header.width, ascii: ascii), x: header.x, y: header.y + i, style: style,
                         clip: header)
        }
        var table = Table(
            columns: [Table.Column("LIF", width: .flexible(1)), Table.Column("e2e", width: .fixed(6), alignment: .right),
                      Table.Column("orig", width: .fixed(6), alignment: .right),
                      Table.Column("loc s", width: .fixed(6), alignment: .right), Table.Column("loc r", width: .fixed(6), alignment: .right)],
            rows: [], scrollOffset: scrollOffsets[.diff] ?? 0)
        let pathWidth = table.columnWidths(total: tableRect.width - 1)[0]
        table.rows = view.rows.map { r in
            [Self.leftTruncated(r.path, to: pathWidth, ascii: ascii), String(r.e2e.mismatches), String(r.origins),
             r.local.map { String($0.structural) } ?? "-", r.local.map { String($0.rounding) } ?? "-"]
        }
        table.draw(into: &screen, in: tableRect)
        scrollOffsets[.diff] = table.visibleOffset(in: tableRect)
        return "deploy vs unfused · fold \(view.fold.rawValue) · \(view.computedSteps) step(s)"
    }

    private mutating func drawEnergy(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.energyView()
        let (header, tableRect) = rect.splitTop(1)
        let line = "SOP \(Self.compact(view.totalSOP)) · \(Self.fixed(view.totalMilliJoules * 1000, 3)) µJ"
            + " (conv0 per t: \(Self.fixed(view.totalPicoJoulesConv0PerT * 1e-6, 3)) µJ)"
        screen.write(TextLayout.truncate(text(line), to: header.width, ascii: ascii), x: header.x, y: header.y, style: .bold, clip: header)
        var table = Table(
            columns: [Table.Column("layer", width: .flexible(1)), Table.Column("op", width: .fixed(3)),
                      Table.Column("SOP", width: .fixed(8), alignment: .right), Table.Column(text("µJ"), width: .fixed(8), alignment: .right)],
            rows: [], scrollOffset: scrollOffsets[.energy] ?? 0)
        let pathWidth = table.columnWidths(total: tableRect.width - 1)[0]
        table.rows = view.rows.map { r in
            [Self.leftTruncated(r.path, to: pathWidth, ascii: ascii), r.operation.rawValue,
             r.operation == .ac ? Self.compact(r.sop) : "-", Self.fixed(r.picoJoules * 1e-6, 4)]
        }
        table.draw(into: &screen, in: tableRect)
        scrollOffsets[.energy] = table.visibleOffset(in: tableRect)
        return "\(view.computedSteps) step(s), per sample"
    }

    private mutating func drawLogits(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.logitsView()
        var (header, chart) = rect.splitTop(1)
        if let warning = view.namesWarning, chart.height > 2 {
            let (w, rest) = chart.splitTop(1)
            screen.write(TextLayout.truncate(text("⚠ " + warning), to: w.width, ascii: ascii), x: w.x, y: w.y, style: .dim, clip: w)
            chart = rest
        }
        var line = ""
        if let top = view.top.first {
            line = "top-1 " + (top.className ?? "class \(top.classIndex)")
            if let label = view.label {
                line += " · label " + (view.labelName ?? String(label)) + (top.classIndex == label ? " ✓" : " ✗")
            }
        }
        screen.write(TextLayout.truncate(text(line), to: header.width, ascii: ascii), x: header.x, y: header.y, style: .bold, clip: header)
        let names = view.classNames
        // Bars from 0: a negative logit is drawn to the left of the zero column, never as a bar.
        let finite = view.logits.filter(\.isFinite)
        let lower = min(0, finite.min() ?? 0), upper = max(0, finite.max() ?? 0)
        let range: ClosedRange<Float> = upper > lower ? lower...upper : 0...1
        var bars = BarChart(items: view.logits.enumerated().map { i, v in
            BarChart.Item(names.flatMap { i < $0.count ? $0[i] : nil } ?? "class \(i)", v)
        }, range: range, selected: view.top.first?.classIndex, scrollOffset: scrollOffsets[.logits] ?? 0,
            isFocused: app.focus == .logits)
        bars.selected = view.top.first?.classIndex
        bars.draw(into: &screen, in: chart)
        scrollOffsets[.logits] = bars.visibleOffset(in: chart)
        return "mean over \(view.computedSteps) step(s) · \(view.model.rawValue)"
    }

    // MARK: formatting

    /// `path` cut from the left to `width` columns, so the layer's own name stays visible.
    static func leftTruncated(_ path: String, to width: Int, ascii: Bool) -> String {
        guard width > 0, path.count > width else { return path }
        return (ascii ? "~" : "…") + String(path.suffix(width - 1))
    }

    /// `v` in at most `width` columns: three significant digits, fewer when they do not fit.
    static func number(_ v: Float, width: Int) -> String {
        guard v.isFinite else { return String(v) }
        if v == 0 { return "0" }
        for digits in [3, 2, 1] {
            let s = String(format: "%.\(digits)g", Double(v))
            if s.count <= width { return s }
        }
        return String(format: "%.0e", Double(v))
    }

    /// `x` with `digits` decimals.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return String(x) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (x * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            s += "." + String(repeating: "0", count: digits)
        }
        return s
    }

    /// `84258` → `84.3k`, `1.2M`; three significant digits.
    static func compact(_ x: Double) -> String {
        let a = abs(x)
        if a < 1000 { return a == a.rounded() ? String(Int(x)) : ColorScale.label(Float(x)) }
        let (v, unit) = a < 1e6 ? (x / 1e3, "k") : a < 1e9 ? (x / 1e6, "M") : (x / 1e9, "G")
        return ColorScale.label(Float(v)) + unit
    }
}
