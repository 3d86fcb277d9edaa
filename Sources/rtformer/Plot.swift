import ArgumentParser
import Foundation
import RTFormerSession

/// `rtformer plot`: one pane of the explorer as a figure (PNG, SVG) or its numbers (CSV), without
/// the TUI — the session commands `layer`, `run`, `goto` and `export png|svg|csv` in one go.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a pane as a figure (PNG or SVG, by --out's extension) or its numbers (.csv).",
        discussion: "Kinds: rates (firing-rate heatmap at t), membrane (the neuron's trace over t), tsbn (γ, β, μ, σ², θ over the "
            + "channels at t), logits (bars from 0), attention (--layer block.N, or any layer in it: SSA the head's token × token map (q·kᵀ)·0.125, SDSA the KV token sums per channel; head 0, token 0), raster (spikes × t of the layer: the neurons of --neuron's channel, or the "
            + "--top K most active). Every timestep is computed; --t picks the one shown (default: the last).")

    @OptionGroup var options: SessionOptions

    @Option(name: .long, help: "Layer path (`rtformer info` lists them); required except for --kind logits.")
    var layer: String?

    @Option(name: .long, help: ArgumentHelp("What to draw.", valueName: FigurePane.allCases.map(\.rawValue).joined(separator: "|")))
    var kind: String

    @Option(name: .long, help: "Neuron of the membrane trace and marked on the rate map: c,y,x (maps) or c,n (tokens); default: c 0 at the first position.")
    var neuron: String?

    @Option(name: .long, parsing: .unconditional, help: "Raster: the K most active neurons of the layer instead of the neurons of --neuron's channel.")
    var top: Int?

    @Option(name: .customLong("t"), parsing: .unconditional, help: "Timestep shown (0-based; default: the last).")
    var t: Int?

    @Option(name: .long, help: "Output file: .png, .svg or .csv (written all or nothing).")
    var out: String

    func run() throws {
        guard options.input != nil else { fail("plot: --input is required (a file, `digits`, `gesture` or `default`)") }
        guard let pane = FigurePane(rawValue: kind) else {
            fail("plot: --kind '\(kind)' is not one of \(FigurePane.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        guard let format = FigureFormat(rawValue: ext) else {
            fail("plot: --out '\(out)' must end in .png, .svg or .csv")
        }
        guard layer != nil || pane == .logits else { fail("plot: --layer is required for --kind \(kind)") }
        let session = Session()
        if let e = options.apply(to: session, defaults: true).first { fail(e) }
        var lines: [String] = []
        // Attention belongs to a block: `--layer block.N` stands for the block's q_lif.
        if let layer, pane == .attention, layer.range(of: #"^block\.[0-9]+$"#, options: .regularExpression) != nil {
            lines.append("layer \(layer).attn.q_lif")
        } else if let layer { lines.append("layer \(layer)") }
        if let neuron { lines.append("neuron \(neuron)") }
        if let top { lines.append("raster top \(top)") }
        lines.append("run")
        if let t { lines.append("goto t=\(t)") }
        // The out path travels as one token: quoted, so spaces and `#` stay part of it.
        guard !out.contains("\"") else { fail("plot: --out '\(out)' must not contain a double quote") }
        let quoted = "\"\(out)\""
        lines.append("export \(format.rawValue) \(quoted) \(pane.rawValue)")
        for line in lines {
            let r = session.execute(line: line)
            if let e = r.error { fail("plot: `\(line)`: \(e)") }
            if line.hasPrefix("export") { print(r.output) }
        }
    }
}
