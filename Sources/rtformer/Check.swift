import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// `rtformer check`: is the deploy model equivalent to the unfused one, and if not where and why
/// (SPEC decision 6, R9; issue 11's verdict, `EquivalenceVerdict`).
/// Exit 0: `equivalent` or `equivalent_up_to_rounding` (1 for the latter with `--strict`);
/// 1: `not_equivalent`; 2: error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the unfused and deploy models layer by layer and give the verdict.",
        discussion: """
            Verdicts: equivalent | equivalent_up_to_rounding (exit 0; 1 with --strict) | not_equivalent (exit 1). \
            Errors exit 2.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "Threshold fold: exact | paper.")
    var fold: ThresholdFoldMode = .exact

    @Flag(name: .long, help: "JSON report.")
    var json = false

    @Flag(name: .long, help: "Exit 1 on equivalent_up_to_rounding too (bit-identical spikes wanted).")
    var strict = false

    @Flag(name: .long, help: "Recompute both twins in Float64 and say whether the Float32 origins disappear (rtformer, sdt).")
    var float64 = false

    func run() throws {
        var report: EquivalenceReport
        var double: DoubleCheck.Result?
        var setup: [(String, Double)] = []
        let progress = ProgressPrinter()
        defer { progress.clear() }
        do {
            var t0 = Date()
            func lap(_ what: String) {
                setup.append((what, Date().timeIntervalSince(t0)))
                t0 = Date()
            }
            // No progress line while the model and input are read: their notes go to standard error too.
            let resolved = try model.resolve()
            let config = resolved.config
            let x = try input.encoded(for: config)
            lap("input")
            let nets = try model.networks(resolved, deploy: true, fold: fold)
            lap(model.weights == nil && !model.uncalibrated ? "model (seeded, calibrated) + deploy conversion" : "model + deploy conversion")
            guard let unfused = nets.unfused else {
                fail("check needs unfused weights (the deploy model is built from them); \(model.weights ?? "") is a deploy checkpoint")
            }
            progress.report(WorkProgress("running both twins and comparing them (\(config.timesteps) timesteps)"))
            report = try Equivalence.compare(unfused: unfused, deploy: nets.deploy!, input: x.input, kind: x.kind, fold: fold)
            report.timings = setup.map { (phase: $0.0, seconds: $0.1) } + report.timings
            if float64 {
                progress.report(WorkProgress("recomputing both twins in Float64"))
                double = try DoubleCheck.run(unfused: unfused, fold: fold, input: x.input, origins: report.summary.origins)
            }
            progress.clear()
        } catch {
            fail("\(error)")
        }
        // With --float64 the verdict is the confirmed one (rounding flips that persist in Double are not rounding).
        let confirmed = double.map { $0.confirmed(report.verdict) } ?? (verdict: report.verdict, reason: nil)
        if json {
            var j = Self.json(report)
            if let d = double {
                var f = Self.json(d)
                f["verdict"] = confirmed.verdict.rawValue
                f["reason"] = confirmed.reason ?? NSNull()
                j["float64"] = f
            }
            print(jsonString(j))
        } else {
            Self.printTable(report)
            if let d = double {
                print(d.sentence)
                if let reason = confirmed.reason { print("verdict with float64: \(confirmed.verdict.rawValue): \(reason)") }
            }
        }
        let code = confirmed.verdict.exitCode(strict: strict)
        if code != 0 { throw ExitCode(code) }
    }

    /// Origins listed in the JSON report (the counts are always complete).
    static let jsonOriginLimit = 10_000

    static func json(_ d: DoubleCheck.Result) -> [String: Any] {
        ["mismatches": d.mismatches, "float32_origins": d.float32Origins, "disappeared": d.disappeared,
         "all_disappear": d.disappeared == d.float32Origins, "persisting": d.persisting.map(json),
         "logits_max_abs": d.logitsMaxAbs, "seconds": d.seconds, "peak_bytes": d.peakBytes, "summary": d.sentence,
         "first_mismatch": d.first.map { ["path": $0.path, "t": $0.t, "sample": $0.sample, "index": $0.index] as [String: Any] } ?? NSNull()]
    }

    static func json(_ o: MismatchOrigin) -> [String: Any] {
        var d: [String: Any] = ["kind": o.kind.rawValue, "path": o.path, "t": o.t, "sample": o.sample, "channel": o.channel,
                                "position": o.position, "margin": Double(o.margin), "bound": Double(o.bound),
                                "propagated": o.propagated]
        if let c = o.cause { d["cause"] = c }
        return d
    }

    static func json(_ r: EquivalenceReport) -> [String: Any] {
        var local: [[String: Any]] = []
        for c in r.localSpikes {
            local.append(["path": c.path, "t": c.t, "kind": "tsbn_lif", "mismatches": c.stateful.mismatches,
                          "rounding": c.stateful.rounding, "structural": c.stateful.structural,
                          "stateless_mismatches": c.stateless.mismatches, "stateless_structural": c.stateless.structural])
        }
        for c in r.localReal {
            local.append(["path": c.path, "kind": "real", "max_abs": Double(c.maxAbs), "max_rel": Double(c.maxRel),
                          "ref_max_abs": Double(c.refMaxAbs), "within_tolerance": c.withinTolerance])
        }
        var e2e: [String: Any] = ["mismatches": r.endToEndTotal.mismatches, "rounding": r.endToEndTotal.rounding,
                                  "structural": r.endToEndTotal.structural, "propagated": r.propagated,
                                  "max_abs_logits": Double(r.logitsMaxAbs), "max_rel_logits": Double(r.logitsMaxRel)]
        if let f = r.firstDivergence {
            e2e["first_divergence"] = ["layer": f.layer, "t": f.t, "sample": f.sample, "channel": f.channel,
                                       "position": f.position, "class": f.isRounding ? "rounding" : "structural"]
        } else {
            e2e["first_divergence"] = NSNull()
        }
        e2e["layers"] = r.endToEnd.map { l in
            ["path": l.path, "mismatches": l.total.mismatches, "rounding": l.total.rounding, "structural": l.total.structural,
             "per_t": l.perTimestep.map(\.mismatches)] as [String: Any]
        }
        let risky = r.riskyChannels.map { ["layer": $0.layer, "t": $0.t, "channel": $0.channel, "gamma": Double($0.gamma),
                                           "variance": Double($0.variance), "reason": $0.reason] as [String: Any] }
        let s = r.summary
        var out: [String: Any] = ["fold": r.fold.rawValue, "local": local, "e2e": e2e, "local_structural": r.localStructural,
                "local_stateless": ["mismatches": r.localStatelessTotal.mismatches, "structural": r.localStatelessTotal.structural],
                "risky_channels": risky, "equivalent": r.isEquivalent,
                "verdict": s.verdict.rawValue, "summary": s.sentence,
                "origins": s.origins.prefix(jsonOriginLimit).map(json), "origins_total": s.origins.count,
                "first_origin": s.firstOrigin.map(json) ?? NSNull(), "first_structural": s.firstStructural.map(json) ?? NSNull(),
                "rounding_flips": s.roundingFlips, "structural_origins": s.structuralOrigins,
                "max_rounding_margin": Double(s.maxRoundingMargin), "propagated": s.propagated,
                "propagated_layers": s.propagatedLayers, "unattributed": s.unattributed,
                "real_fold_faults": s.realFoldFaults, "logits_max_abs": Double(s.logitsMaxAbs),
                "rounding_bound_relative": Double(RoundingBound.relative),
                "timings": r.timings.map { ["phase": $0.phase, "seconds": $0.seconds] as [String: Any] }]
        if let d = s.deepestPropagated { out["deepest_propagated"] = ["path": d.path, "t": d.t] as [String: Any] }
        return out
    }

    static func printTable(_ r: EquivalenceReport) {
        print("fold: \(r.fold.rawValue)   tolerance for real values: |Δ| ≤ \(Equivalence.atolScale)·max|ref| + \(Equivalence.rtol)·|ref|")
        print("")
        print("local, real-valued folds (deploy layer fed the unfused layer's input):")
        for c in r.localReal {
            print("  " + Fmt.pad(c.path, 28) + "  max-abs " + Fmt.pad(String(format: "%.3g", c.maxAbs), 9, right: true)
                  + "  max-rel " + Fmt.pad(String(format: "%.3g", c.maxRel), 9, right: true)
                  + "  max|ref| " + Fmt.pad(String(format: "%.3g", c.refMaxAbs), 7, right: true) + (c.withinTolerance ? "  ok" : "  OUT OF TOLERANCE"))
        }
        print("local, TSBN-LIF threshold folds (each fed the same input in both models):")
        for c in r.localSpikes {
            print("  " + Fmt.pad("\(c.path) t=\(c.t)", 28) + "  stateless \(c.stateless.mismatches) (\(c.stateless.structural) structural)"
                  + "   stateful \(c.stateful.mismatches) (\(c.stateful.rounding) rounding, \(c.stateful.structural) structural)")
        }
        print("end to end, spike mismatches per layer (per t); near/far: the unfused margin to the threshold inside/outside the rounding band:")
        for l in r.endToEnd {
            print("  " + Fmt.pad(l.path, 28) + "  " + Fmt.pad(String(l.total.mismatches), 6, right: true)
                  + "  (\(l.total.rounding) near, \(l.total.structural) far)  per t: "
                  + l.perTimestep.map { String($0.mismatches) }.joined(separator: " "))
        }
        let tot = r.endToEndTotal
        print("  total \(tot.mismatches) (\(tot.rounding) near, \(tot.structural) far); after the first divergent (layer, t): \(r.propagated)")
        if let f = r.firstDivergence {
            print("  first divergence: \(f.layer) t=\(f.t) sample \(f.sample) channel \(f.channel) position \(f.position)"
                  + String(format: " (unfused margin %.3g)", f.unfusedMargin))
        }
        printChain(r.summary)
        print(String(format: "logits: max-abs %.3g, max-rel %.3g (max|ref| %.3g)", r.logitsMaxAbs, r.logitsMaxRel, r.logitsRefMaxAbs))
        if !r.riskyChannels.isEmpty {
            print("channels where the paper fold is at risk (γ ≤ 0 or σ² < 10ε):")
            for c in r.riskyChannels.prefix(40) {
                print("  \(c.layer) t=\(c.t) c=\(c.channel): γ=\(c.gamma) σ²=\(c.variance) — \(c.reason)")
            }
            if r.riskyChannels.count > 40 { print("  … \(r.riskyChannels.count - 40) more") }
        }
        print("time: " + r.timings.map { "\($0.phase) " + String(format: "%.2f s", $0.seconds) }.joined(separator: ", "))
        print("verdict: " + r.summary.sentence)
    }

    /// The attribution chain (issue 11): origins found by the local check of every spiking layer.
    static func printChain(_ s: EquivalenceSummary) {
        print(String(format: "origins (each spiking layer fed the unfused input; rounding iff |margin| ≤ %.0e·M, M the layer's magnitude):",
                     RoundingBound.relative))
        guard let first = s.firstOrigin else {
            print("  none" + (s.unattributed > 0 ? "; \(s.unattributed) end-to-end mismatches no origin explains" : ""))
            return
        }
        print("  \(s.roundingFlips) rounding flip\(s.roundingFlips == 1 ? "" : "s")" + String(format: " (largest |margin| %.3g)", s.maxRoundingMargin)
              + ", \(s.structuralOrigins) structural origin\(s.structuralOrigins == 1 ? "" : "s")")
        func line(_ o: MismatchOrigin) -> String {
            "\(o.kind.rawValue) at \(o.site)" + String(format: ", margin %.3g (bound %.3g)", o.margin, o.bound)
                + (o.cause.map { " — \($0)" } ?? "") + "; explains \(o.propagated) propagated"
        }
        print("  first: " + line(first))
        if let f = s.firstStructural, f != first { print("  first structural: " + line(f)) }
        for o in s.origins.filter({ $0.propagated > 0 && $0 != first }).sorted(by: { $0.propagated > $1.propagated }).prefix(5) {
            print("  also: " + line(o))
        }
        var cascade = "  propagated: \(s.propagated) end-to-end mismatch\(s.propagated == 1 ? "" : "es")"
        if let d = s.deepestPropagated { cascade += " in \(s.propagatedLayers) layer\(s.propagatedLayers == 1 ? "" : "s"), as far as \(d.path) t=\(d.t)" }
        print(cascade + (s.unattributed > 0 ? "; unattributed: \(s.unattributed)" : ""))
    }
}
