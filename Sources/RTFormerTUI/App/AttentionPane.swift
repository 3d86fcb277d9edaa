import RTFormer
import RTFormerSession

/// The attention pane (issue 14): the selected layer's block at the cursor's t, head and token.
///
/// SSA (`spikformer`): left the head's token × token map of `q·kᵀ` counts (query i down, key j
/// across; the model uses them ×0.125), the selected token marked on the diagonal; right that
/// token's row, scaled, laid over the H′ × W′ token grid. SDSA (`rtformer`, `sdt`): left the KV
/// token sums per head (down) × channel (across), channels whose KV neuron fired (mask M = 1)
/// flagged; right the K⊙V spikes each token adds to the selected head's KV, the token marked.
/// Arrow keys move the token, `n` / `N` the head (session `token …`, `head …`); this terminal
/// code reads no mouse events, so there is no click selection.
extension PaneDrawer {
    func drawAttention(in rect: Rect, into screen: inout Screen) throws -> String {
        let v = try session.attentionView()
        let fold = { (s: String) in ASCIIText.fold(s, ascii: ascii) }
        let (infoRow, rest) = rect.splitTop(1)
        let (captionRow, body) = rest.splitTop(1)
        let y = v.token / max(1, v.gridColumns), x = v.token % max(1, v.gridColumns)
        var info = "head \(v.head)/\(v.heads)"
        let caption: String
        var left: Heatmap
        var right: Heatmap
        switch v.kind {
        case .ssa:
            let row = Array(v.counts[(v.token * v.tokens)..<((v.token + 1) * v.tokens)])
            let best = row.max() ?? 0
            info += " · t \(v.t) · token \(v.token) (y \(y), x \(x)) · row max \(best) = \(Self.fixed(Double(best) * 0.125, 3))"
            caption = (ascii ? "q.k^T" : "q·kᵀ") + " counts: query ↓ key → (×0.125) " + (ascii ? "|" : "│")
                + " token \(v.token)'s row on \(v.gridRows)×\(v.gridColumns)"
            // One scale for both maps, 0 … the head's largest count at t (the legends say it).
            let top = Float(max(1, v.counts.max() ?? 1))
            left = Heatmap(values: v.counts.map(Float.init), rows: v.tokens, columns: v.tokens, kind: .sequential,
                           scale: ColorScale(kind: .sequential, lower: 0, upper: top),
                           marker: GridPoint(row: v.token, column: v.token))
            right = Heatmap(values: v.tokenMap, rows: v.gridRows, columns: v.gridColumns, kind: .sequential,
                            scale: ColorScale(kind: .sequential, lower: 0, upper: top * AttentionRecord.ssaScale),
                            marker: GridPoint(row: y, column: x))
        case .sdsa:
            let first = v.head * v.channelsPerHead
            let fired = v.mask.reduce(0) { $0 + $1.filter { $0 }.count }
            info += " c\(first)-\(first + v.channelsPerHead - 1) · t \(v.t) · token \(v.token) (y \(y), x \(x)) · mask \(fired)/\(v.heads * v.channelsPerHead)"
                + " · passes \(v.gate.filter { $0 }.count)/\(v.query.filter { $0 }.count) q"
            caption = (ascii ? "KV=sum K*V" : "KV=Σ K⊙V") + ": head ↓ channel → " + (ascii ? "|" : "│") + " K⊙V per token, head \(v.head)"
            let kv = v.kvSum.flatMap { $0 }
            left = Heatmap(values: kv, rows: v.heads, columns: v.channelsPerHead, kind: .sequential,
                           scale: ColorScale(kind: .sequential, lower: 0, upper: max(1, kv.max() ?? 1)))
            left.flagged = Set(v.mask.indices.flatMap { h in v.mask[h].indices.filter { v.mask[h][$0] }.map { GridPoint(row: h, column: $0) } })
            left.flagLabel = "M=1"
            right = Heatmap(values: v.tokenMap, rows: v.gridRows, columns: v.gridColumns, kind: .sequential,
                            scale: ColorScale(kind: .sequential, lower: 0, upper: max(1, v.tokenMap.max() ?? 1)),
                            marker: GridPoint(row: y, column: x))
        }
        // A narrow pane drops whole ` · ` fields from the end rather than cutting one.
        let separator = fold(" · ")
        let fitted = PaneDrawer.wholeFields(fold(info).components(separatedBy: separator), width: infoRow.width, separator: separator)
        screen.write(fitted, x: infoRow.x, y: infoRow.y, style: .bold, clip: infoRow)
        screen.write(TextLayout.truncate(fold(caption), to: captionRow.width, ascii: ascii), x: captionRow.x, y: captionRow.y,
                     style: .dim, clip: captionRow)
        left.maxZoom = 2
        let halves = body.columns(weights: [1, 1])
        left.draw(into: &screen, in: halves[0].inset(right: 2))
        for row in body.y..<body.maxY { screen.put(ascii ? "|" : "│", x: halves[1].x - 1, y: row, style: .dim) }
        right.draw(into: &screen, in: halves[1])
        return "\(v.block) · \(v.kind == .ssa ? "SSA" : "SDSA") · t \(v.t) · \(v.model.rawValue)"
    }
}
