import RTFormerSession

/// The raster pane (issue 14 point 2): one row per neuron of the selected layer — the selected
/// channel's positions, or the most active neurons (`R`) — one band per t: `█` (`|`) a spike,
/// `·` (`.`) silent, blank not computed. The spike count of each neuron on the right, the count
/// per t underneath, a legend on the last row.
extension PaneDrawer {
    /// Spike colour (bright yellow, xterm 11), apart from the cursor's reverse video.
    static let spikeColor: TermColor = .indexed(11)

    mutating func drawRaster(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.rasterView()
        let ascii = self.ascii
        let fold = { (s: String) in ASCIIText.fold(s, ascii: ascii) }
        let (header, rest) = rect.splitTop(1)
        let (body, footer) = rest.splitBottom(min(2, max(0, rest.height - 2)))
        let steps = view.timesteps
        let labelWidth = min(16, max(8, body.width / 3))
        let countWidth = 5
        let band = max(1, min(4, (body.width - labelWidth - countWidth - 1) / max(1, steps)))
        let shownSteps = min(steps, max(0, (body.width - labelWidth - countWidth - 1) / band))
        // Header: t labels over the bands, the cursor's t in bold.
        screen.write(TextLayout.truncate("neuron", to: labelWidth, ascii: ascii), x: header.x, y: header.y, style: .dim, clip: header)
        for t in 0..<shownSteps {
            let label = band >= 2 || t % 5 == 0 ? String(t) : ""
            screen.write(String(label.prefix(band)), x: header.x + labelWidth + t * band, y: header.y,
                         style: t == view.t ? CellStyle(attributes: [.bold, .underline]) : .dim, clip: header)
        }
        screen.write("spk", x: header.x + labelWidth + shownSteps * band + 1, y: header.y, style: .dim, clip: header)
        // Rows, scrolled to keep the cursor's neuron in view.
        let visible = body.height
        let offset = Scrolling.offset(keeping: view.selectedRow, visible: visible, count: view.rows.count,
                                      from: scrollOffsets[.raster] ?? 0)
        scrollOffsets[.raster] = offset
        let spikeGlyph: Character = ascii ? "|" : "█", silentGlyph: Character = ascii ? "." : "·"
        for i in 0..<min(visible, max(0, view.rows.count - offset)) {
            let row = view.rows[offset + i]
            let y = body.y + i
            let selected = offset + i == view.selectedRow
            let name = view.mode == .channel ? "y \(row.y) x \(row.x)" : "c \(row.channel) y \(row.y) x \(row.x)"
            screen.write(TextLayout.truncate((selected ? "›" : " ") + name, to: labelWidth - 1, ascii: ascii), x: body.x, y: y,
                         style: selected ? .reverse : .plain, clip: body)
            for t in 0..<shownSteps {
                let x0 = body.x + labelWidth + t * band
                let cursorStyle: CellAttributes = t == view.t ? .bold : []
                for dx in 0..<band {
                    switch row.spikes[t] {
                    case .some(true):
                        screen.put(dx == band - 1 && band > 1 ? " " : spikeGlyph, x: x0 + dx, y: y,
                                   style: CellStyle(fg: Self.spikeColor, attributes: cursorStyle), clip: body)
                    case .some(false):
                        screen.put(dx == 0 ? silentGlyph : " ", x: x0 + dx, y: y, style: CellStyle(attributes: cursorStyle.union(.dim)),
                                   clip: body)
                    case .none:
                        break
                    }
                }
            }
            screen.write(TextLayout.fit(String(row.count), to: countWidth - 1, alignment: .right, ascii: ascii),
                         x: body.x + labelWidth + shownSteps * band + 1, y: y, style: row.count > 0 ? .bold : .dim, clip: body)
        }
        if footer.height >= 1 {
            let perT = view.perT.prefix(shownSteps).enumerated().map { "t\($0.offset) " + ($0.element.map(String.init) ?? "-") }
            let line = "per t: " + perT.joined(separator: "  ")
            screen.write(TextLayout.truncate(fold(line), to: footer.width, ascii: ascii), x: footer.x, y: footer.y, style: .plain,
                         clip: footer)
        }
        if footer.height >= 2 {
            let legend = "\(spikeGlyph) spike  \(silentGlyph) silent  blank: not computed · R: rows"
            screen.put(spikeGlyph, x: footer.x, y: footer.y + 1, style: CellStyle(fg: Self.spikeColor), clip: footer)
            screen.write(TextLayout.truncate(String(legend.dropFirst()), to: footer.width - 1, ascii: ascii), x: footer.x + 1,
                         y: footer.y + 1, style: .dim, clip: footer)
        }
        let rows = view.mode == .channel ? "c \(view.channel) · \(view.rows.count) neurons"
            : "top \(view.rows.count) of \(Self.compact(Double(view.neurons)))"
        return "\(view.path) · \(rows) · t \(view.t)"
    }
}

/// Pinned neurons on the membrane trace (issue 14 point 2): each pinned neuron of the selected
/// layer is overlaid on the selected neuron's trace with its own mark and colour, and a legend
/// row names them.
extension PaneDrawer {
    func pinOverlays(_ m: MembraneView) -> [TraceOverlay] {
        guard let traces = try? session.pinnedTraces(for: m.model) else { return [] }
        return traces.enumerated().map { k, p in
            let style = TraceOverlay.style(k)
            return TraceOverlay(values: p.values.map { $0 ?? .nan }, mark: style.mark, asciiMark: style.ascii, color: style.color,
                                name: "c \(p.pin.channel) y \(p.y) x \(p.x)")
        }
    }

    /// The trace, with the pins' legend on its last row when there are pins.
    func drawTrace(_ trace: TracePlot, _ m: MembraneView, into screen: inout Screen, in rect: Rect) {
        guard !trace.overlays.isEmpty, rect.height >= 5 else {
            trace.draw(into: &screen, in: rect)
            return
        }
        let (plot, legend) = rect.splitBottom(1)
        trace.draw(into: &screen, in: plot)
        TraceOverlay.drawLegend(trace.overlays, selected: "c \(m.channel) y \(m.y) x \(m.x)", into: &screen, in: legend)
    }
}
