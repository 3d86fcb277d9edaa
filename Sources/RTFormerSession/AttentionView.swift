import RTFormer

/// The attention pane (issue 14): one block's attention at the cursor's t, head and token.
///
/// * SSA (`spikformer`): `counts` is the head's token × token map of `q·kᵀ` (integers 0…d_h;
///   the model uses them times 0.125), and `tokenMap` the selected token's row, scaled, laid
///   over the H′ × W′ token grid.
/// * SDSA (`rtformer`, `sdt`): there is no token × token map; `kvSum` and `mask` are the KV
///   token sums and the KV neuron's spikes per channel (every head), `tokenMap` what each token
///   adds to the selected head's KV (its K⊙V spikes over the head's channels), `query` the
///   selected token's Q spikes in the head; the token's output is Q ⊙ M (`gate`).
public struct AttentionView: Sendable, Equatable {
    public var kind: AttentionRecord.Kind
    /// `block.i`.
    public var block: String
    /// Which twin the recording comes from.
    public var model: ModelFlavour
    public var t: Int
    /// The head shown, of `heads`; its channels are `head·d_h …` (`channelsPerHead` = d_h).
    public var head: Int
    public var heads: Int
    public var channelsPerHead: Int
    /// The selected token n (row-major over the grid) and the token count N.
    public var token: Int
    public var tokens: Int
    /// The token grid H′ × W′ (`1 × N` when N is not a square).
    public var gridRows: Int
    public var gridColumns: Int
    /// SSA: `q·kᵀ` counts `[N, N]` row-major (row = query token i, column = key token j); empty for SDSA.
    public var counts: [Int] = []
    /// Per token, `gridRows × gridColumns`: SSA the selected token's attention row (scaled,
    /// `(q·kᵀ)·0.125`); SDSA the K⊙V spikes of that token over the head's channels.
    public var tokenMap: [Float] = []
    /// SDSA: KV = Σ_n K⊙V `[heads][d_h]` (integer counts); empty for SSA.
    public var kvSum: [[Float]] = []
    /// SDSA: M = LIF_kv(KV) `[heads][d_h]`; empty for SSA.
    public var mask: [[Bool]] = []
    /// SDSA: Q spikes of the selected token over the head's channels (d_h); empty for SSA.
    public var query: [Bool] = []

    /// SDSA: what the selected token passes on, Q ⊙ M over the head's channels.
    public var gate: [Bool] {
        guard head < mask.count else { return [] }
        return query.indices.map { query[$0] && $0 < mask[head].count && mask[head][$0] }
    }

    public init(kind: AttentionRecord.Kind, block: String, model: ModelFlavour, t: Int, head: Int, heads: Int, channelsPerHead: Int,
                token: Int, tokens: Int, gridRows: Int, gridColumns: Int) {
        self.kind = kind; self.block = block; self.model = model; self.t = t; self.head = head; self.heads = heads
        self.channelsPerHead = channelsPerHead; self.token = token; self.tokens = tokens; self.gridRows = gridRows; self.gridColumns = gridColumns
    }
}
