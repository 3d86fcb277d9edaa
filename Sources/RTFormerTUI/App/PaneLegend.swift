/// What each pane shows and what its marks mean, in the user's words: the legend row a pane
/// draws under its contents, and the longer explanation `?` shows for the focused pane.
///
/// New panes add a case here (or give `PaneLegend.Item`s of their own to `LegendRow`).
public enum PaneLegend {
    /// One mark and its meaning (`▲` `spike`).
    public struct Item: Hashable, Sendable {
        /// The mark as drawn with Unicode glyphs.
        public var mark: String
        /// The mark with ASCII glyphs.
        public var asciiMark: String
        public var meaning: String
        /// The mark's style (its colour in the pane).
        public var style: CellStyle

        public init(_ mark: String, ascii: String? = nil, _ meaning: String, style: CellStyle = .plain) {
            self.mark = mark
            self.asciiMark = ascii ?? mark
            self.meaning = meaning
            self.style = style
        }
    }

    /// The marks of `pane`, most important first (the legend row shows those that fit); none for
    /// a pane without an entry.
    public static func items(for pane: ExplorerPane) -> [Item] { itemsByPane[pane] ?? [] }

    /// The explanation `?` shows for `pane`: paragraphs, wrapped by the pop-up.
    public static func explanation(for pane: ExplorerPane) -> [String] {
        explanations[pane] ?? ["The \(pane) pane."]
    }

    /// Legend items per pane (a new pane adds its entry here).
    static let itemsByPane: [ExplorerPane: [Item]] = [
        .layers:
            [Item("dep:", ""), Item("fold", "folded"), Item("abs", "absorbed"), Item("=", "as is"),
             Item("‹›", ascii: "<>", "more columns"), Item("▾▸", ascii: "v>", "group open/closed")],
        .membrane:
            [Item("●", ascii: "*", "value", style: CellStyle(fg: .indexed(14), attributes: .bold)),
             Item("╌", ascii: "-", "threshold θ", style: CellStyle(fg: .indexed(9))),
             Item("▲", ascii: "^", "spike", style: CellStyle(fg: .indexed(11), attributes: .bold)),
             Item("·", ascii: ".", "silent", style: .dim),
             Item("■", ascii: "X", "cursor neuron")],
        .tsbn:
            [Item("!", "γ ≤ 0 (comparison flips)"), Item("θ", "folded threshold")],
        .rates:
            [Item("map", "channels spiking"), Item("■", ascii: "X", "cursor"), Item("bars", "rate per channel")],
        .diff:
            [Item("✓", ascii: "ok", "equivalent"), Item("≈", ascii: "~", "equal up to rounding"), Item("✗", ascii: "x", "not equivalent"),
             Item("loc s/r", "local structural/rounding")],
        .energy:
            [Item("AC", "spike-driven accumulate"), Item("MAC", "multiply-accumulate"), Item("µJ", ascii: "uJ", "per sample")],
        .logits:
            [Item("bar", "from 0 (negative to the left)"), Item("✓✗", ascii: "ok/x", "top-1 vs label")],
    ]

    /// Explanations per pane (a new pane adds its entry here).
    static let explanations: [ExplorerPane: [String]] = [
        .layers:
            [
                "Every layer of the model in the order it runs, as a tree by module path: blocks → attn / mlp → layers. "
                    + "Enter (or c) collapses the selected layer's group and opens it again; the selected row shows the full path.",
                "Columns: rate — share of the layer's neurons that spike at t; dep — what the deploy twin does with the "
                    + "layer: fold — replaced by its folded form (BN/TSBN folded into the conv, threshold θ per t and channel), "
                    + "abs — absorbed into the layer before it (gone from the deploy model), = — unchanged; shape — output "
                    + "[C,H,W]; params — learned parameters; SOP — synaptic operations at t; kind — module type; # — the "
                    + "index `layer N` selects.",
                "Columns that do not fit scroll sideways with < and >; ‹ and › in the heading mark hidden columns.",
            ],
        .membrane:
            [
                "One channel of the selected spiking layer at t: the heatmap shows every neuron's membrane potential "
                    + "(m switches between H, charged before the spike, and V, after the reset), blue below 0, red above, "
                    + "on the scale under it; the cursor neuron is drawn in the marker colour (X without colours).",
                "The trace plots the cursor neuron over t: ● is the value its comparator sees, ╌ the threshold θ, ▲ under "
                    + "a t where it spiked, · where it stayed silent; the highlighted band is the current t.",
                "H vs Ĥ: a TSBN-LIF in the unfused view compares Ĥ, its H after the temporal batch norm, with the threshold; "
                    + "the deploy twin folds that norm into θ and compares H. The title names what the trace shows.",
                "Magenta neurons (! without colours) sit within rounding distance of their threshold, where deploy and "
                    + "unfused may disagree by rounding alone.",
            ],
        .tsbn:
            [
                "The temporal batch norm feeding the selected spiking layer, per channel at t: γ, β (affine weights at t), "
                    + "μ, σ² (the statistics used: running ones in eval, the causal window's in the train preview) and the "
                    + "threshold θ the deploy twin folds them into.",
                "! marks a channel whose γ ≤ 0: there the folded comparison flips (spike below θ instead of above). "
                    + "The window line lists the timesteps whose statistics t uses and the window length L.",
            ],
        .rates:
            [
                "Firing at t in the selected layer: the map shows, per position, the share of channels that spiked "
                    + "(0 to 1, scale under it), with the cursor neuron's position marked; the sparkline the layer's rate "
                    + "per t; the bars each channel's rate at t (the selected channel highlighted).",
            ],
        .diff:
            [
                "The deploy twin against the unfused model over the computed timesteps. ✓ equivalent: every spike agrees; "
                    + "≈ equivalent up to rounding: the only mismatches start at neurons within rounding distance of "
                    + "their threshold; ✗ not equivalent: a mismatch with a structural cause (the line under it names it).",
                "Per spiking layer: e2e = spike mismatches end to end; orig = origins, the neurons where mismatches "
                    + "start: the deploy layer, fed the unfused spikes and reset as the unfused neuron is, fires differently "
                    + "(an origin need not show end to end). loc s / loc r = the membrane fold alone (TSBN-LIFs), structural / "
                    + "rounding: a deploy neuron fed the unfused input current runs on its own membrane, so one flip can "
                    + "repeat at later t and loc s may exceed orig. o jumps to the first origin.",
            ],
        .energy:
            [
                "Synaptic operations and energy of the computed timesteps for one sample: AC layers (fed spikes) cost "
                    + "0.9 pJ per operation, MAC layers (fed real values, the first conv) 4.6 pJ. SOP = operations, µJ = energy.",
            ],
        .logits:
            [
                "The class scores averaged over the computed timesteps, one bar per class drawn from 0 (negative scores to "
                    + "the left); the top class is highlighted and checked against the input's label (✓ right, ✗ wrong).",
            ],
        .attention:
            [
                "The attention of the selected layer's transformer block at t, for one head. Spikformer's SSA: the map is "
                    + "tokens × tokens, each cell the number of channels where query token and key token both spiked "
                    + "(q·kᵀ; the model multiplies it by 0.125); the right map lays the selected token's row back over the "
                    + "image grid of tokens.",
                "RTFormer's and the Spike-Driven Transformer's SDSA: the left map is the head's channels, each cell KV = the "
                    + "number of tokens where key and value both spiked (Σ K⊙V); channels flagged M=1 are those whose KV "
                    + "neuron fired, the mask every query is gated by. The right map shows each token's K⊙V spikes in the "
                    + "head over the image grid.",
                "Arrow keys move the selected token, n / N change the head; `token n` and `head h` select them directly.",
            ],
        .raster:
            [
                "Spikes of the selected layer over t: one row per neuron — the selected channel's neurons, or (R) the most "
                    + "active ones of the layer — and one column per timestep; a mark where the neuron spiked. The counts "
                    + "at the end of each row and under each column are spikes per neuron and per t.",
                "P pins the cursor neuron: pinned neurons are overlaid on the membrane trace with their own mark and colour.",
            ],
        .input:
            [
                "What the model sees at t: a static image with its normalisation undone (the same at every t), or an "
                    + "event camera's frame at t with ON events green and OFF events red. The label and the current top-1 "
                    + "are above it; the box marks the input pixels under the selected neuron's position (its layer's "
                    + "downsampling factor).",
            ],
    ]

    /// The title of `pane`'s explanation pop-up.
    public static func title(for pane: ExplorerPane) -> String { "? \(pane) pane · ? again lists every key · q closes" }

    /// The explanation pop-up's text: what the pane shows, its marks, the status line, the
    /// pane's own keys.
    public static func document(for pane: ExplorerPane, keys: KeyTable) -> String {
        var lines: [String] = []
        for paragraph in explanation(for: pane) + [statusLine] {
            lines.append(paragraph)
            lines.append("")
        }
        let own = keys.bindings.filter { $0.panes.contains(pane) }
        if !own.isEmpty {
            lines.append("Keys in this pane:")
            let width = min(12, own.map(\.label.count).max() ?? 0)
            lines += own.map { "  " + $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.summary }
            lines.append("")
        }
        lines.append("Everywhere: space steps, , goes back, v cycles the view, Tab moves the focus, 1-9 and 0 show or hide panes, "
                     + "e zooms, : runs any command (:help lists them), q quits. Press ? again for every key.")
        return lines.joined(separator: "\n")
    }

    /// What the status line's fields mean (shown under every pane's explanation).
    public static let statusLine =
        "Status line: model and weights · t = current timestep / T · view (unfused, deploy or split) · fold (exact or paper) · "
            + "the deploy-vs-unfused verdict · from rest / state carried (whether the input started from resting neurons or "
            + "carried the previous input's state) · the input and its label · memory the recordings use."
}

/// A one-row legend: `mark meaning` pairs separated by two spaces, as many whole pairs as fit.
public struct LegendRow: Sendable {
    public var items: [PaneLegend.Item]
    public init(_ items: [PaneLegend.Item]) { self.items = items }

    /// The items on each row of a legend `width` cells wide: in order, a new row when the next
    /// item does not fit (an item is never cut).
    public func rows(width: Int, ascii: Bool) -> [[PaneLegend.Item]] {
        var out: [[PaneLegend.Item]] = [[]]
        var used = 0
        for item in items {
            let w = (ascii ? item.asciiMark : item.mark).count + (item.meaning.isEmpty ? 0 : 1 + ASCIIText.fold(item.meaning, ascii: ascii).count)
            guard w <= width else { continue }
            if used > 0 && used + 2 + w > width {
                out.append([])
                used = 0
            }
            used += (used > 0 ? 2 : 0) + w
            out[out.count - 1].append(item)
        }
        return out
    }

    /// Draws as many rows as `rect` has (items beyond them are left out, whole).
    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        for (r, rowItems) in rows(width: rect.width, ascii: ascii).prefix(rect.height).enumerated() {
            let row = Rect(x: rect.x, y: rect.y + r, width: rect.width, height: 1)
            var x = rect.x
            for item in rowItems {
                let mark = ascii ? item.asciiMark : item.mark
                x += screen.write(mark, x: x, y: row.y, style: item.style, clip: row)
                if !item.meaning.isEmpty { x += screen.write(" " + ASCIIText.fold(item.meaning, ascii: ascii), x: x, y: row.y, style: .dim, clip: row) }
                // A heading item (`dep:`) sits one space from what it heads.
                x += item.meaning.isEmpty ? 1 : 2
            }
        }
    }
}

extension LegendRow: Widget {}
