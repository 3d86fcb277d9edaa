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
    /// First scrolling column each table pane showed in this frame.
    var columnOffsets: [ExplorerPane: Int]

    init(app: ExplorerApp, session: Session, ascii: Bool) {
        self.app = app
        self.session = session
        self.ascii = ascii
        self.scrollOffsets = app.scrollOffsets
        self.columnOffsets = app.columnOffsets
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
            case .attention: detail = try drawAttention(in: inner, into: &screen)
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

    /// The legend row at the bottom of `rect` when the pane has room for it; the rest above.
    private func withLegend(_ pane: ExplorerPane, in rect: Rect, minimumBody: Int, into screen: inout Screen) -> Rect {
        withLegend(LegendRow(PaneLegend.items(for: pane)), in: rect, minimumBody: minimumBody, into: &screen)
    }

    /// `legend` on the bottom one or two rows of `rect` (two when it needs them and the body
    /// keeps `minimumBody` rows); the rest above.
    private func withLegend(_ legend: LegendRow, in rect: Rect, minimumBody: Int, into screen: inout Screen) -> Rect {
        guard rect.height >= minimumBody + 1 else { return rect }
        let needed = legend.rows(width: rect.width, ascii: ascii).count
        let rows = min(needed, rect.height - minimumBody >= 2 && rect.height >= 12 ? 2 : 1)
        let (body, legendRows) = rect.splitBottom(rows)
        legend.draw(into: &screen, in: legendRows)
        return body
    }

    private mutating func drawLayers(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.layerTable()
        let body = withLegend(.layers, in: rect, minimumBody: 5, into: &screen)
        let columns = [
            Table.Column("layer", width: .flexible(1)), Table.Column("rate", alignment: .right), Table.Column("dep"),
            Table.Column("shape"), Table.Column("params", alignment: .right), Table.Column("SOP", alignment: .right),
            Table.Column("kind"), Table.Column("#", alignment: .right),
        ]
        var cells: [String: [String]] = [:]
        for row in view.rows {
            cells[row.path] = [row.rate.map { Self.fixed($0, 3) } ?? "-", Self.marker(row.deploy),
                               "[" + row.outputShape.map(String.init).joined(separator: ",") + "]",
                               Self.compact(Double(row.parameters)), row.sop.map(Self.compact) ?? "-", text(row.kind.description), String(row.index)]
        }
        let paths = view.rows.map(\.path)
        let selected = view.selected < paths.count ? paths[view.selected] : nil
        var tree = TreeTable(paths: paths, collapsed: app.collapsedGroups, selected: selected, columns: columns, cells: cells,
                             scrollOffset: scrollOffsets[.layers] ?? 0, columnOffset: app.columnOffsets[.layers] ?? 0,
                             isFocused: app.focus == .layers)
        // Layers a layer-by-layer build has not reached yet are dimmed.
        tree.dimmedPaths = Set(view.rows.filter { !$0.built }.map(\.path))
        tree.draw(into: &screen, in: body)
        scrollOffsets[.layers] = tree.visibleOffset(in: body)
        columnOffsets[.layers] = tree.visibleColumnOffset(in: body)
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

    /// What the trace of `m` plots: Ĥ for an unfused TSBN-LIF, else H.
    private static func tracedQuantity(_ m: MembraneView) -> String { m.comparedQuantity.hasPrefix("Ĥ") ? "Ĥ" : "H" }

    private func drawMembrane(in rect: Rect, into screen: inout Screen) throws -> String {
        let q = app.quantity.rawValue
        if session.view == .split {
            let unfused = try session.membraneView(for: .unfused)
            let deploy = try session.membraneView(for: .deploy)
            let body = membraneLegend(traced: "unfused \(Self.tracedQuantity(unfused)), deploy \(Self.tracedQuantity(deploy))", in: rect, into: &screen)
            let halves = body.columns(weights: [1, 1])
            drawMembrane(unfused, label: "unfused", in: halves[0].inset(right: 1), into: &screen)
            for y in body.y..<body.maxY { screen.put(ascii ? "|" : "│", x: halves[1].x - 1, y: y, style: .dim) }
            drawMembrane(deploy, label: "deploy", in: halves[1], into: &screen)
            return "map \(q) · trace \(Self.tracedQuantity(unfused)) | \(Self.tracedQuantity(deploy)) · \(unfused.path) · split"
        }
        let m = try session.membraneView(for: session.view == .deploy ? .deploy : .unfused)
        let body = membraneLegend(traced: Self.tracedQuantity(m), in: rect, into: &screen)
        drawMembrane(m, label: nil, in: body, into: &screen)
        return "map \(q) · trace \(Self.tracedQuantity(m)) · \(m.path) · \(m.model.rawValue)"
    }

    /// The trace's legend row (what ● plots, θ, spikes, the cursor neuron) at the bottom.
    private func membraneLegend(traced: String, in rect: Rect, into screen: inout Screen) -> Rect {
        var items = PaneLegend.items(for: .membrane)
        items[0].meaning = traced == "Ĥ" ? "Ĥ (H after the norm)" : traced
        return withLegend(LegendRow(items), in: rect, minimumBody: 8, into: &screen)
    }

    private func drawMembrane(_ m: MembraneView, label: String?, in rect: Rect, into screen: inout Screen) {
        let point = m.trace.first { $0.t == m.t }
        // What matters first (where, when, spike or not), then the values; two rows when one is short.
        // Where (compact in a narrow half), when, spike or not: kept whole, in this order.
        let position = rect.width >= 40 ? "c \(m.channel) (y \(m.y), x \(m.x)) t \(m.t)" : "c\(m.channel) y\(m.y) x\(m.x) t\(m.t)"
        var headFields = (label.map { [$0] } ?? []) + [position]
        var values: [String] = []
        if let p = point {
            if let s = p.spike { headFields.append(s ? "spike" : "silent") }
            // What the comparator sees and its threshold first; H and V after.
            if m.comparedQuantity != "H", let c = p.compared { values.append("\(m.comparedQuantity.prefix(1) == "Ĥ" ? "Ĥ" : "cmp") " + ColorScale.label(c)) }
            if let th = p.threshold { values.append("θ " + ColorScale.label(th)) }
            if let h = p.h { values.append("H " + ColorScale.label(h)) }
            if let v = p.v { values.append("V " + ColorScale.label(v)) }
        }
        // A half too narrow for its `unfused`/`deploy` label drops it (left is unfused, as the title says).
        if label != nil && text(headFields.joined(separator: " ")).count > rect.width { headFields.removeFirst() }
        let head = text(headFields.joined(separator: "  ")).count <= rect.width
            ? headFields.joined(separator: "  ") : Self.wholeFields(headFields.map(text), width: rect.width, separator: " ")
        let oneRow = text(([head] + values).joined(separator: "  "))
        var infoLines = [oneRow]
        if oneRow.count > rect.width {
            if rect.height >= 10 {
                infoLines = [text(head), Self.wholeFields(values.map(text), width: rect.width)]
            } else {
                infoLines = [Self.wholeFields([text(head)] + values.map(text), width: rect.width)]
            }
        }
        let (infoRect, body) = rect.splitTop(infoLines.count)
        for (i, line) in infoLines.enumerated() {
            screen.write(TextLayout.truncate(line, to: infoRect.width, ascii: ascii), x: infoRect.x, y: infoRect.y + i,
                         style: .bold, clip: infoRect)
        }
        let values2 = app.quantity == .h ? m.h : m.v
        var heatmap = Heatmap(values: values2, rows: m.rows, columns: m.columns, kind: .diverging,
                              marker: GridPoint(row: m.y, column: m.x))
        // Neurons within the rounding bound of the threshold (issue 11), keyed on the legend row.
        heatmap.flagged = Set(m.nearThreshold.indices.filter { m.nearThreshold[$0] }.map { GridPoint(row: $0 / m.columns, column: $0 % m.columns) })
        heatmap.flagLabel = m.roundingBound.map { text("|H−θ| ≤ ") + ColorScale.label($0) }
        heatmap.label = app.quantity.rawValue
        var trace = Self.trace(m)
        trace.overlays = pinOverlays(m)
        if body.width >= 50 {
            // The map gets the share of the width its aspect ratio can use at the body's height.
            let pixelRows = 2 * max(1, body.height - 1)
            let wanted = Int((Double(pixelRows) * Double(m.columns) / Double(max(1, m.rows))).rounded(.up)) + 3
            let heatWidth = min(max(20, body.width * 2 / 5), max(20, min(wanted, body.width / 2)))
            let (heatRect, traceRect) = body.splitLeft(heatWidth)
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

    /// The fields that fit in `width`, whole, in order, two spaces apart (the first is cut only
    /// when it alone is too wide).
    static func wholeFields(_ fields: [String], width: Int, separator: String = "  ") -> String {
        var out = ""
        for f in fields {
            let next = out.isEmpty ? f : out + separator + f
            if next.count <= width { out = next } else if out.isEmpty { return TextLayout.truncate(f, to: width) }
        }
        return out
    }

    // MARK: TSBN

    private mutating func drawTSBN(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.tsbnView()
        let body = view.nonPositiveGammaChannels.isEmpty ? rect : withLegend(.tsbn, in: rect, minimumBody: 5, into: &screen)
        let (infoRow, tableRect) = body.splitTop(1)
        var info = ["window t∈{\(view.window.map(String.init).joined(separator: ","))} L \(view.windowLength)", view.statistics]
        if !view.nonPositiveGammaChannels.isEmpty { info.append("γ≤0: \(view.nonPositiveGammaChannels.count) ch") }
        screen.write(Self.wholeFields(info.map(text), width: infoRow.width, separator: text(" · ")), x: infoRow.x, y: infoRow.y,
                     style: .dim, clip: infoRow)
        let columns = [Table.Column("c", alignment: .right)]
            + ["γ", "β", "μ", "σ²", "θ"].map { Table.Column(text($0), width: .flexible(1), alignment: .right) }
        var table = Table(columns: columns, rows: [], selected: view.channels.firstIndex { $0.channel == session.cursor.channel },
                          scrollOffset: scrollOffsets[.tsbn] ?? 0, isFocused: app.focus == .tsbn,
                          columnOffset: app.columnOffsets[.tsbn] ?? 0)
        // Three significant digits where five numbers fit beside the channel, fewer in a narrow pane.
        let width = max(4, min(9, (tableRect.width - 1 - 3 - 5) / 5))
        table.rows = view.channels.map { row in
            [(row.flagged ? "!" : "") + String(row.channel)]
                + [row.gamma, row.beta, row.mean, row.variance].map { Self.number($0, width: width) }
                + [row.theta.map { Self.number($0, width: width) } ?? "-"]
        }
        table.draw(into: &screen, in: tableRect)
        scrollOffsets[.tsbn] = table.visibleOffset(in: tableRect)
        columnOffsets[.tsbn] = table.visibleColumnOffset(in: tableRect)
        return "\(view.path) · t \(view.t) · fold \(view.fold.rawValue)"
    }

    // MARK: rates

    private func drawRates(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.ratesView()
        let body = withLegend(.rates, in: rect, minimumBody: 7, into: &screen)
        let (heatRect, right) = body.splitLeft(max(12, body.width * 2 / 5))
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
        let body = withLegend(.diff, in: rect, minimumBody: 6, into: &screen)
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
        if session.unfused?.mode == .train {
            first = "train preview: unfused uses window statistics, deploy the running ones, so they differ by design"
        }
        let lines = [
            mark + summary.verdict.rawValue + " · origins \(summary.structuralOrigins) structural, \(summary.roundingFlips) rounding"
                + " · propagated \(summary.propagated)",
            first,
            "logits max |Δ| \(ColorScale.label(view.logitsMaxAbs)) · rel \(ColorScale.label(view.logitsMaxRel)) · e2e \(view.e2e.mismatches)",
        ]
        // The summary wraps (a long origin and its cause are not cut) into at most half the pane.
        let verdictStyle: CellStyle = switch summary.verdict {
        case .notEquivalent: CellStyle(fg: .indexed(9), attributes: .bold)
        case .equivalentUpToRounding: CellStyle(fg: .indexed(11), attributes: .bold)
        case .equivalent: CellStyle(attributes: .bold)
        }
        let wrapped = lines.enumerated().flatMap { i, line in
            TextLayout.wrap(text(line), width: body.width).map { ($0, i == 0 ? verdictStyle : CellStyle.plain) }
        }
        let (header, tableRect) = body.splitTop(min(wrapped.count, max(3, body.height / 2)))
        for (i, (line, style)) in wrapped.prefix(header.height).enumerated() {
            screen.write(TextLayout.truncate(line, to: header.width, ascii: ascii), x: header.x, y: header.y + i, style: style,
                         clip: header)
        }
        var cells: [String: [String]] = [:]
        for r in view.rows {
            cells[r.path] = [String(r.e2e.mismatches), String(r.origins), r.local.map { String($0.structural) } ?? "-",
                             r.local.map { String($0.rounding) } ?? "-"]
        }
        let tree = TreeTable(paths: view.rows.map(\.path), columns: [
            Table.Column("spiking layer", width: .flexible(1)), Table.Column("e2e", alignment: .right),
            Table.Column("orig", alignment: .right), Table.Column("loc s", alignment: .right), Table.Column("loc r", alignment: .right),
        ], cells: cells, scrollOffset: scrollOffsets[.diff] ?? 0, columnOffset: app.columnOffsets[.diff] ?? 0, isFocused: false)
        tree.draw(into: &screen, in: tableRect)
        scrollOffsets[.diff] = tree.visibleOffset(in: tableRect)
        columnOffsets[.diff] = tree.visibleColumnOffset(in: tableRect)
        return "deploy vs unfused · fold \(view.fold.rawValue) · \(view.computedSteps) step(s)"
    }

    private mutating func drawEnergy(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.energyView()
        let (header, tableRect) = withLegend(.energy, in: rect, minimumBody: 5, into: &screen).splitTop(1)
        let fields = ["SOP \(Self.compact(view.totalSOP))", "\(Self.fixed(view.totalMilliJoules * 1000, 3)) µJ",
                      "(conv0 per t: \(Self.fixed(view.totalPicoJoulesConv0PerT * 1e-6, 3)) µJ)"]
        screen.write(Self.wholeFields(fields.map(text), width: header.width, separator: text(" · ")), x: header.x, y: header.y, style: .bold, clip: header)
        var cells: [String: [String]] = [:]
        for r in view.rows {
            cells[r.path] = [r.operation.rawValue.uppercased(), r.operation == .ac ? Self.compact(r.sop) : "-", Self.fixed(r.picoJoules * 1e-6, 4)]
        }
        let tree = TreeTable(paths: view.rows.map(\.path), columns: [
            Table.Column("layer", width: .flexible(1)), Table.Column("op"), Table.Column("SOP", alignment: .right),
            Table.Column(text("µJ"), alignment: .right),
        ], cells: cells, scrollOffset: scrollOffsets[.energy] ?? 0, columnOffset: app.columnOffsets[.energy] ?? 0, isFocused: false)
        tree.draw(into: &screen, in: tableRect)
        scrollOffsets[.energy] = tree.visibleOffset(in: tableRect)
        columnOffsets[.energy] = tree.visibleColumnOffset(in: tableRect)
        return "\(view.computedSteps) step(s), per sample"
    }

    private mutating func drawLogits(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.logitsView()
        var (header, chart) = withLegend(.logits, in: rect, minimumBody: 6, into: &screen).splitTop(1)
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
