import Foundation
import RTFormer

/// Where a block's attention lives and how big it is, known from the model alone (no input needed).
struct AttentionGeometry: Equatable {
    /// `block.i`.
    var block: String
    var kind: AttentionRecord.Kind
    /// Heads and channels per head (d_h = D / heads; channel c = head·d_h + j).
    var heads: Int
    var channelsPerHead: Int
    /// Tokens N and their grid H′ × W′ (`[1, N]` when N is not a square).
    var tokens: Int
    var rows: Int
    var columns: Int
}

extension Session {
    // MARK: geometry and cursor

    /// The block whose attention the pane shows: the selected layer's (`block.i.…`), else the first block.
    var attentionBlock: String? {
        guard let unfused else { return nil }
        if let path = selectedLayer?.path, path.hasPrefix("block.") {
            let parts = path.split(separator: ".")
            if parts.count >= 2, Int(parts[1]) != nil { return "block.\(parts[1])" }
        }
        return unfused.layers.first { $0.path.hasPrefix("block.") && $0.path.hasSuffix(".attn.q_lif") }
            .map { String($0.path.dropLast(".attn.q_lif".count)) }
    }

    /// Heads, tokens and grid of the attention block, from the block's `q_lif` layer.
    func attentionGeometry() -> AttentionGeometry? {
        guard let cfg = config, let unfused, let block = attentionBlock,
              let q = unfused.layers.first(where: { $0.path == block + ".attn.q_lif" }) else { return nil }
        let lay = layout(of: q)
        let heads = max(1, cfg.numHeads)
        return AttentionGeometry(block: block, kind: cfg.family == .spikformer ? .ssa : .sdsa, heads: heads,
                                 channelsPerHead: max(1, lay.channels / heads), tokens: lay.positions, rows: lay.rows, columns: lay.columns)
    }

    private func requireAttentionGeometry() throws -> AttentionGeometry {
        guard unfused != nil else { throw SessionError.noModel }
        guard let g = attentionGeometry() else {
            throw SessionError.unknownLayer("block.0.attn", suggestions: [])
        }
        return g
    }

    /// `head <h>` (or `head next|prev` with `clamped`).
    func selectHead(_ h: Int, clamped: Bool = false) throws -> String {
        let g = try requireAttentionGeometry()
        let head = clamped ? max(0, min(g.heads - 1, h)) : h
        guard head >= 0, head < g.heads else {
            throw SessionError.positionOutOfRange(path: g.block, what: "head \(h)", limit: "0…\(g.heads - 1)")
        }
        cursor.head = head
        let first = head * g.channelsPerHead
        return "head \(head) of \(g.block) (channels \(first)…\(first + g.channelsPerHead - 1))"
    }

    /// `token up|down|left|right`: the attention token one step on the token grid, clamped.
    func moveAttentionToken(dy: Int, dx: Int) throws -> String {
        let g = try requireAttentionGeometry()
        let token = min(cursor.token, g.tokens - 1)
        let y = max(0, min(g.rows - 1, token / g.columns + dy)), x = max(0, min(g.columns - 1, token % g.columns + dx))
        cursor.token = y * g.columns + x
        return "attention token \(cursor.token) (y \(y), x \(x)) of \(g.block)"
    }

    /// `show attention [head h] [token n]`.
    func showAttention(head: Int?, token: Int?) throws -> String {
        let g = try requireAttentionGeometry()
        if let head { _ = try selectHead(head) }
        if let token {
            guard token < g.tokens else {
                throw SessionError.positionOutOfRange(path: g.block, what: "token \(token)", limit: "0…\(g.tokens - 1)")
            }
            cursor.token = token
        }
        return TextRender.attention(try attentionView())
    }

    // MARK: reading the recordings

    /// Reads S[t] of (channel, token position) of the LIF `path`, sample 0, through its record
    /// and layer layout: the one place the attention pane reads spikes (false where not recorded).
    private func spikeReader(_ path: String, in recorder: Recorder) -> (_ t: Int, _ channel: Int, _ position: Int) -> Bool {
        guard let layer = unfused?.layers.first(where: { $0.path == path }), let r = recorder.lifs[path] else { return { _, _, _ in false } }
        let lay = layout(of: layer)
        return { t, c, n in
            let i = t * r.perStep + lay.index(channel: c, position: n)
            return i < r.spikes.count && r.spikes[i] != 0
        }
    }

    /// The attention pane of the selected layer's block at the cursor's t, head and token, in
    /// the current view's model (the unfused one in split view).
    /// - Throws: `noModel`, `noInput`, `notComputed`, `positionOutOfRange` (head or token).
    public func attentionView() throws -> AttentionView {
        let g = try requireAttentionGeometry()
        guard encodedInput != nil else { throw SessionError.noInput }
        let t = cursor.t
        guard t < computedSteps else { throw SessionError.notComputed(t: t) }
        guard cursor.head < g.heads else {
            throw SessionError.positionOutOfRange(path: g.block, what: "head \(cursor.head)", limit: "0…\(g.heads - 1)")
        }
        let recorder = primaryRecorder
        guard let record = recorder.attention(block: g.block) else { throw SessionError.notComputed(t: t) }
        let token = min(cursor.token, g.tokens - 1), head = cursor.head
        let n = g.tokens, dh = g.channelsPerHead
        var v = AttentionView(kind: g.kind, block: g.block, model: primaryNetwork?.flavour ?? .unfused, t: t, head: head, heads: g.heads,
                              channelsPerHead: dh, token: token, tokens: n, gridRows: g.rows, gridColumns: g.columns)
        switch g.kind {
        case .ssa:
            guard let a = record.attention, a.shape.count == 5, a.shape[2] == g.heads, a.shape[3] == n else { throw SessionError.notComputed(t: t) }
            let base = ((t * a.shape[1]) * g.heads + head) * n * n
            v.counts = (0..<(n * n)).map { Int((a.storage[base + $0] / AttentionRecord.ssaScale).rounded()) }
            v.tokenMap = (0..<n).map { a.storage[base + token * n + $0] }
        case .sdsa:
            guard let kv = record.kvSum, let m = record.kvMask else { throw SessionError.notComputed(t: t) }
            let d = g.heads * dh
            let per = kv.count / max(1, kv.shape[0])
            guard per >= d else { throw SessionError.notComputed(t: t) }
            v.kvSum = (0..<g.heads).map { h in (0..<dh).map { kv.storage[t * per + h * dh + $0] } }
            v.mask = (0..<g.heads).map { h in (0..<dh).map { m.storage[t * per + h * dh + $0] != 0 } }
            let channels = (head * dh)..<((head + 1) * dh)
            let k = spikeReader(g.block + ".attn.k_lif", in: recorder), value = spikeReader(g.block + ".attn.v_lif", in: recorder)
            let q = spikeReader(g.block + ".attn.q_lif", in: recorder)
            v.tokenMap = (0..<n).map { position in Float(channels.filter { k(t, $0, position) && value(t, $0, position) }.count) }
            v.query = channels.map { q(t, $0, token) }
        }
        return v
    }

    // MARK: figures

    /// The attention figure: SSA the head's N×N map (scaled, as the model uses it) with the
    /// selected token's row marked; SDSA the KV token sums per head × channel.
    func attentionFigure() throws -> Figure {
        let v = try attentionView()
        let model = v.model.rawValue
        switch v.kind {
        case .ssa:
            let values = v.counts.map { Double($0) * Double(AttentionRecord.ssaScale) }
            return Figure(title: "attention · \(v.block) · head \(v.head) · t \(v.t) · token \(v.token) · \(model)",
                          xLabel: "key token j", yLabel: "query token i",
                          content: .heatmap(.init(rows: v.tokens, columns: v.tokens, values: values, lower: 0,
                                                  upper: Double(v.channelsPerHead) * Double(AttentionRecord.ssaScale),
                                                  colorbarLabel: "(q·kᵀ)·0.125", marker: (row: v.token, column: v.token))))
        case .sdsa:
            let values = v.kvSum.flatMap { $0.map(Double.init) }
            let fired = v.mask.reduce(0) { $0 + $1.filter { $0 }.count }
            return Figure(title: "SDSA KV · \(v.block) · t \(v.t) · mask \(fired)/\(v.heads * v.channelsPerHead) · \(model)",
                          xLabel: "channel j in head (c = head·d_h + j)", yLabel: "head",
                          content: .heatmap(.init(rows: v.heads, columns: v.channelsPerHead, values: values, lower: 0,
                                                  upper: Double(max(1, v.tokens)), colorbarLabel: "KV = Σ_n K⊙V",
                                                  marker: (row: v.head, column: 0))))
        }
    }

    /// The numbers behind `attentionFigure()`: SSA `query,key,count,attention` (the head's N×N
    /// map at t); SDSA `channel,head,kv_sum,mask` (every channel at t).
    func attentionCSV() throws -> [String] {
        let v = try attentionView()
        switch v.kind {
        case .ssa:
            var lines = ["query,key,count,attention"]
            for i in 0..<v.tokens {
                for j in 0..<v.tokens {
                    let c = v.counts[i * v.tokens + j]
                    lines.append("\(i),\(j),\(c),\(Float(c) * AttentionRecord.ssaScale)")
                }
            }
            return lines
        case .sdsa:
            var lines = ["channel,head,kv_sum,mask"]
            for h in 0..<v.heads {
                for j in 0..<v.channelsPerHead {
                    lines.append("\(h * v.channelsPerHead + j),\(h),\(v.kvSum[h][j]),\(v.mask[h][j] ? 1 : 0)")
                }
            }
            return lines
        }
    }
}

extension TextRender {
    /// The attention pane as text: the selected token's row over the token grid (SSA counts),
    /// or the head's channels with KV, mask and the token's Q ⊙ M (SDSA).
    public static func attention(_ v: AttentionView) -> String {
        let (y, x) = (v.token / max(1, v.gridColumns), v.token % max(1, v.gridColumns))
        var lines: [String] = []
        let first = v.head * v.channelsPerHead
        switch v.kind {
        case .ssa:
            lines.append("attention \(v.block) (SSA, (q·kᵀ)·0.125) · head \(v.head)/\(v.heads) · t \(v.t) · token \(v.token) (y \(y), x \(x))"
                         + " · \(v.model.rawValue)")
            let row = Array(v.counts[(v.token * v.tokens)..<((v.token + 1) * v.tokens)])
            let width = String(v.channelsPerHead).count
            lines.append("q·kᵀ counts of token \(v.token) with every key token, on the \(v.gridRows)×\(v.gridColumns) token grid (×0.125 = attention):")
            for r in 0..<v.gridRows {
                lines.append("  " + (0..<v.gridColumns).map { Fmt.pad(String(row[r * v.gridColumns + $0]), width, right: true) }.joined(separator: " "))
            }
            let best = row.indices.max { row[$0] < row[$1] } ?? 0
            let nonZero = v.counts.filter { $0 > 0 }.count
            lines.append("row max \(row[best]) (\(Float(row[best]) * AttentionRecord.ssaScale)) at token \(best); map max "
                         + "\(v.counts.max() ?? 0) of d_h \(v.channelsPerHead); non-zero \(nonZero)/\(v.counts.count)")
        case .sdsa:
            lines.append("attention \(v.block) (SDSA, Q ⊙ LIF_kv(Σ_n K⊙V)) · head \(v.head)/\(v.heads) (channels \(first)…\(first + v.channelsPerHead - 1))"
                         + " · t \(v.t) · token \(v.token) (y \(y), x \(x)) · \(v.model.rawValue)")
            lines.append("channel  kv_sum  mask  q  q⊙m")
            for j in 0..<v.channelsPerHead {
                let q = j < v.query.count && v.query[j], m = v.mask[v.head][j]
                lines.append(Fmt.pad(String(first + j), 7, right: true) + "  " + Fmt.pad(String(Int(v.kvSum[v.head][j])), 6, right: true)
                             + "  " + Fmt.pad(m ? "1" : "0", 4, right: true) + "  " + (q ? "1" : "0") + "  " + Fmt.pad((q && m) ? "1" : "0", 4, right: true))
            }
            let fired = v.mask.reduce(0) { $0 + $1.filter { $0 }.count }
            lines.append("mask open on \(fired)/\(v.heads * v.channelsPerHead) channels (all heads); token \(v.token) passes \(v.gate.filter { $0 }.count)"
                         + " of its \(v.query.filter { $0 }.count) q spikes in this head")
            lines.append("K⊙V spikes per token in this head (what each token adds to KV), \(v.gridRows)×\(v.gridColumns):")
            let width = String(v.channelsPerHead).count
            for r in 0..<v.gridRows {
                lines.append("  " + (0..<v.gridColumns).map { Fmt.pad(String(Int(v.tokenMap[r * v.gridColumns + $0])), width, right: true) }
                    .joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n")
    }
}
