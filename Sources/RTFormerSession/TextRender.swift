import Foundation
import RTFormer

/// Number and shape formatting shared by the text renderings, the TUI and the CLI (one formatter).
public enum Fmt {
    /// `84258` → `84,258`.
    public static func int(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `[4, 1, 64, 8, 8]`.
    public static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    /// `1536` → `1.5 KiB` (binary units up to GiB).
    public static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return String(format: "%.1f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }

    /// `s` padded with spaces to `width` columns (right-aligned when `right`); never cut.
    public static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        guard s.count < width else { return s }
        let fill = String(repeating: " ", count: width - s.count)
        return right ? fill + s : s + fill
    }

    /// A firing rate with 4 decimals, or a dash when unknown.
    public static func rate(_ r: Double?) -> String { r.map { String(format: "%.4f", $0) } ?? "  -   " }
}

/// Plain-text renderings of the view models (what the REPL and transcripts print).
public enum TextRender {
    /// Shades from silent to full, for grids in plain text.
    static let shades: [Character] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// The layer table.
    public static func layers(_ v: LayerTableView) -> String {
        var lines = ["    # " + Fmt.pad("path", 34) + " " + Fmt.pad("kind", 30) + " " + Fmt.pad("shape", 14) + Fmt.pad("params", 8, right: true)
                     + Fmt.pad("FL/t", 12, right: true) + Fmt.pad("SOP", 12, right: true) + "  rate@t  deploy"]
        for r in v.rows {
            let mark = r.index == v.selected ? ">" : " "
            lines.append(mark + String(format: "%4d ", r.index) + Fmt.pad(r.path, 34) + " " + Fmt.pad(r.kind.description, 30) + " "
                         + Fmt.pad(Fmt.shape(r.outputShape), 14) + Fmt.pad(Fmt.int(r.parameters), 8, right: true)
                         + Fmt.pad(Fmt.int(r.flPerTimestep), 12, right: true)
                         + Fmt.pad(r.sop.map { String(format: "%.0f", $0) } ?? "-", 12, right: true)
                         + "  " + Fmt.rate(r.rate) + "  " + r.deploy.rawValue)
        }
        lines.append("parameters \(Fmt.int(v.parameters))" + (v.deployParameters.map { " · deploy \(Fmt.int($0))" } ?? "") + " · t \(v.t)")
        return lines.joined(separator: "\n")
    }

    /// The membrane pane: the H grid (shaded, `|` marks a spike) and the neuron's trace.
    public static func membrane(_ v: MembraneView) -> String {
        var lines = ["\(v.model.rawValue) \(v.path) (\(v.kind)) · t \(v.t) · channel \(v.channel) · H[t] \(v.rows)×\(v.columns)"]
        let lo = v.h.min() ?? 0, hi = v.h.max() ?? 0
        for y in 0..<v.rows {
            var row = "  "
            for x in 0..<v.columns {
                let i = y * v.columns + x
                if v.spikes[i] { row.append("|"); continue }
                let f = hi > lo ? (v.h[i] - lo) / (hi - lo) : 0
                row.append(shades[min(shades.count - 1, Int(f * Float(shades.count - 1)))])
            }
            lines.append(row)
        }
        lines.append(String(format: "  H range %.4f … %.4f · %d of %d spiking", lo, hi, v.spikes.filter { $0 }.count, v.spikes.count))
        lines.append("neuron c \(v.channel) y \(v.y) x \(v.x): compared quantity \(v.comparedQuantity)")
        lines.append("   t         X         H  compared   thresh         V  spike")
        for p in v.trace {
            guard p.computed, let x = p.x, let h = p.h, let c = p.compared, let th = p.threshold, let vv = p.v, let s = p.spike else {
                lines.append(String(format: "  %2d  not computed", p.t))
                continue
            }
            let cmp = p.sign > 0 ? "≥" : (p.sign < 0 ? "≤" : "const")
            lines.append(String(format: "  %2d %9.4f %9.4f %9.4f %8.4f%@ %9.4f  %@", p.t, x, h, c, th, cmp, vv, s ? "spike" : "silent"))
        }
        return lines.joined(separator: "\n")
    }

    /// The TSBN pane (channels with γ ≤ 0 marked `!`).
    public static func tsbn(_ v: TSBNView) -> String {
        var lines = ["\(v.path) · t \(v.t) · L \(v.windowLength) · window {\(v.window.map(String.init).joined(separator: ", "))} · \(v.statistics) statistics"
                     + (v.lifPath != nil ? " · fold \(v.fold.rawValue)" : "")]
        lines.append("     c      γ(t)      β(t)         μ        σ²      a(t)      b(t)" + (v.lifPath != nil ? "         θ  sign" : ""))
        for r in v.channels {
            var s = String(format: "%@ %4d %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f", r.flagged ? "!" : " ", r.channel, r.gamma, r.beta, r.mean,
                           r.variance, r.scale, r.shift)
            if let th = r.theta, let sg = r.sign { s += String(format: " %9.4f %5.0f", th, sg) }
            lines.append(s)
        }
        lines.append("γ(t) ≤ 0 in \(v.nonPositiveGammaChannels.count) channel(s)"
                     + (v.nonPositiveGammaChannels.isEmpty ? "" : ": " + v.nonPositiveGammaChannels.map(String.init).joined(separator: ", ")))
        return lines.joined(separator: "\n")
    }

    /// The rates pane: position map, per-channel bars (top 8), per-t rates.
    public static func rates(_ v: RatesView) -> String {
        var lines = ["\(v.path) · t \(v.t) · fraction of channels firing per position (\(v.rows)×\(v.columns))"]
        for y in 0..<v.rows {
            var row = "  "
            for x in 0..<v.columns {
                let f = v.positionMap[y * v.columns + x]
                row.append(f == 0 ? " " : shades[max(1, min(shades.count - 1, Int(f * Double(shades.count - 1))))])
            }
            lines.append(row)
        }
        let order = v.channelRates.indices.sorted { v.channelRates[$0] > v.channelRates[$1] }.prefix(8)
        lines.append("busiest channels at t \(v.t):")
        for c in order {
            let bar = String(repeating: "█", count: Int((v.channelRates[c] * 40).rounded()))
            lines.append(String(format: "  c %4d %.4f ", c, v.channelRates[c]) + bar)
        }
        let silent = v.channelRates.filter { $0 == 0 }.count
        lines.append("silent channels: \(silent) of \(v.channelRates.count)")
        lines.append("per t: " + v.perT.enumerated().map { "t\($0.offset) " + Fmt.rate($0.element) }.joined(separator: "  "))
        return lines.joined(separator: "\n")
    }

    /// The diff pane.
    public static func diff(_ v: DiffView, scope: DiffScope) throws -> String {
        var lines = ["deploy (fold \(v.fold.rawValue)) vs unfused over \(v.computedSteps) computed timestep(s)",
                     "verdict: " + v.summary.sentence]
        lines += chain(v.summary)
        if scope != .local {
            lines.append("end to end: \(v.e2e.mismatches) (near/far from threshold: \(v.e2e.rounding)/\(v.e2e.structural))"
                         + (v.firstDivergence.map { " · first divergence \($0.layer) at t \($0.t)" } ?? " · no divergence"))
            for r in v.rows {
                lines.append("  " + Fmt.pad(r.path, 34) + Fmt.pad("\(r.e2e.mismatches) (\(r.e2e.rounding)/\(r.e2e.structural))", 16, right: true)
                             + "   per t " + r.e2ePerT.map { String($0.mismatches) }.joined(separator: " "))
            }
            lines.append("propagated after the first divergence: \(v.propagated)")
            lines.append(String(format: "logits max-abs %.3g · max-rel %.3g", v.logitsMaxAbs, v.logitsMaxRel))
        }
        if scope != .e2e {
            lines.append("local (TSBN-LIFs): \(v.local.mismatches) (\(v.local.rounding)/\(v.local.structural)) · stateless "
                         + "\(v.localStateless.mismatches) (\(v.localStateless.rounding)/\(v.localStateless.structural))")
            for r in v.rows {
                guard let l = r.local, let s = r.localStateless else { continue }
                lines.append("  " + Fmt.pad(r.path, 34) + " local \(l.mismatches) (\(l.rounding)/\(l.structural)) · stateless "
                             + "\(s.mismatches) (\(s.rounding)/\(s.structural))")
            }
            for c in v.localReal {
                lines.append("  " + Fmt.pad(c.path, 34) + String(format: " max-abs %.3g max-rel %.3g (max|ref| %.3g)", c.maxAbs, c.maxRel, c.refMaxAbs)
                             + (c.withinTolerance ? "" : "  OUT OF TOLERANCE"))
            }
            if !v.riskyChannels.isEmpty {
                lines.append("channels at risk under the paper fold: \(v.riskyChannels.count)")
                for c in v.riskyChannels.prefix(12) {
                    lines.append("  \(c.layer) t \(c.t) c \(c.channel): γ \(c.gamma), σ² \(c.variance): \(c.reason)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The attribution chain under the verdict: first origin, counts, what it explains.
    static func chain(_ s: EquivalenceSummary) -> [String] {
        guard let first = s.firstOrigin else { return [] }
        func describe(_ o: MismatchOrigin) -> String {
            "\(o.kind.rawValue) at \(o.site)" + String(format: ", margin %.3g (bound %.3g)", o.margin, o.bound)
                + (o.cause.map { " — \($0)" } ?? "") + "; explains \(o.propagated) propagated"
        }
        var lines = ["origins: \(s.roundingFlips) rounding, \(s.structuralOrigins) structural · first: " + describe(first)]
        if let f = s.firstStructural, f != first { lines.append("first structural: " + describe(f)) }
        lines.append("propagated: \(s.propagated)" + (s.deepestPropagated.map { " in \(s.propagatedLayers) layer(s), as far as \($0.path) t=\($0.t)" } ?? "")
                     + (s.unattributed > 0 ? " · unattributed: \(s.unattributed)" : "") + " · `origin` moves the cursor there")
        return lines
    }

    /// The energy pane.
    public static func energy(_ v: EnergyView) -> String {
        var lines = ["energy over \(v.computedSteps) computed timestep(s), per sample (E_MAC 4.6 pJ, E_AC 0.9 pJ)"]
        // Columns sized to their content, two spaces apart, under headings.
        let rows: [[String]] = v.rows.map { r in
            [r.path, r.operation.rawValue.uppercased(), Fmt.int(r.flPerTimestep),
             r.ratePerT.map { $0.map { String(format: "%.4f", $0) }.joined(separator: " ") } ?? "-",
             String(format: "%.1f", r.sop), String(format: "%.1f", r.picoJoules)]
        }
        let headings = ["layer", "op", "FL/t", "input rate per t", "SOP", "pJ"]
        let right = [false, false, true, false, true, true]
        let widths = headings.indices.map { i in rows.reduce(headings[i].count) { max($0, $1[i].count) } }
        func line(_ cells: [String]) -> String {
            "  " + cells.indices.map { Fmt.pad(cells[$0], widths[$0], right: right[$0]) }.joined(separator: "  ")
        }
        lines.append(line(headings))
        lines += rows.map(line)
        lines.append(String(format: "total %.4f µJ = %.6f mJ (conv0 ×T: %.4f µJ) · SOP %.1f", v.totalPicoJoules * 1e-6, v.totalMilliJoules,
                            v.totalPicoJoulesConv0PerT * 1e-6, v.totalSOP))
        return lines.joined(separator: "\n")
    }

    /// The logits pane.
    public static func logits(_ v: LogitsView) -> String {
        var lines = ["\(v.model.rawValue) logits, mean over \(v.computedSteps) timestep(s)"
                     + (v.label.map { " · label \($0)" + (v.labelName.map { " \($0)" } ?? "") } ?? "")]
        if let w = v.namesWarning { lines.append("warning: " + w) }
        for (i, e) in v.top.enumerated() {
            lines.append(String(format: "  %d. %2d %@ %8.4f", i + 1, e.classIndex, Fmt.pad(e.className ?? "", 11), e.logit))
        }
        return lines.joined(separator: "\n")
    }

    /// The weights pane.
    public static func weights(_ v: WeightsView) -> String {
        var lines = ["\(v.model.rawValue) \(v.path): \(v.rows.count) tensor(s)"]
        for r in v.rows {
            lines.append("  " + Fmt.pad(r.key, 44) + " " + Fmt.pad(Fmt.shape(r.shape), 16)
                         + String(format: " min %9.4f max %9.4f mean|·| %8.4f", r.min, r.max, r.meanAbs) + (r.isParameter ? "" : "  (buffer)"))
        }
        return lines.joined(separator: "\n")
    }
}

/// The transcript format of replay: each line echoed with its line number, then its output.
public enum Transcript {
    /// One entry: `  12> step 2` followed by the output lines (blank lines and comments are echoed alone).
    public static func entry(lineNumber: Int, line: String, output: String) -> String {
        var s = String(format: "%4d> ", lineNumber) + line + "\n"
        if !output.isEmpty { s += output + "\n" }
        return s
    }
}
