import ArgumentParser
import Foundation
import RTFormer

/// `rtformer check`: is the deploy model equivalent to the unfused one, and if not where and why.
/// Exit 0: no structural mismatch; 1: structural mismatches; 2: error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the unfused and deploy models layer by layer (exit 1 on a structural mismatch).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "Threshold fold: exact | paper.")
    var fold: ThresholdFoldMode = .exact

    @Flag(name: .long, help: "JSON report.")
    var json = false

    func run() throws {
        let report: EquivalenceReport
        do {
            let (config, weights) = try model.resolve()
            let x = try input.encoded(for: config)
            let nets = try model.networks(config: config, weights: weights, deploy: true, fold: fold)
            guard let unfused = nets.unfused else {
                fail("check needs unfused weights (the deploy model is built from them); \(model.weights ?? "") is a deploy checkpoint")
            }
            report = try Equivalence.compare(unfused: unfused, deploy: nets.deploy!, input: x, fold: fold)
        } catch {
            fail("\(error)")
        }
        if json { print(jsonString(Self.json(report))) } else { Self.printTable(report) }
        if !report.isEquivalent { throw ExitCode(1) }
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
        return ["fold": r.fold.rawValue, "local": local, "e2e": e2e, "local_structural": r.localStructural,
                "local_stateless": ["mismatches": r.localStatelessTotal.mismatches, "structural": r.localStatelessTotal.structural],
                "risky_channels": risky, "equivalent": r.isEquivalent]
    }

    static func printTable(_ r: EquivalenceReport) {
        print("fold: \(r.fold.rawValue)   tolerance for real values: |Δ| ≤ \(Equivalence.atolScale)·max|ref| + \(Equivalence.rtol)·|ref|")
        print("")
        print("local, real-valued folds (deploy layer fed the unfused layer's input):")
        for c in r.localReal {
            print("  " + pad(c.path, 28) + "  max-abs " + pad(String(format: "%.3g", c.maxAbs), 9, right: true)
                  + "  max-rel " + pad(String(format: "%.3g", c.maxRel), 9, right: true)
                  + "  max|ref| " + pad(String(format: "%.3g", c.refMaxAbs), 7, right: true) + (c.withinTolerance ? "  ok" : "  OUT OF TOLERANCE"))
        }
        print("local, TSBN-LIF threshold folds (R9):")
        for c in r.localSpikes {
            print("  " + pad("\(c.path) t=\(c.t)", 28) + "  stateless \(c.stateless.mismatches) (\(c.stateless.structural) structural)"
                  + "   stateful \(c.stateful.mismatches) (\(c.stateful.rounding) rounding, \(c.stateful.structural) structural)")
        }
        print("end to end, spike mismatches per layer (per t):")
        for l in r.endToEnd {
            print("  " + pad(l.path, 28) + "  " + pad(String(l.total.mismatches), 6, right: true)
                  + "  (\(l.total.rounding) rounding, \(l.total.structural) structural)  per t: "
                  + l.perTimestep.map { String($0.mismatches) }.joined(separator: " "))
        }
        let tot = r.endToEndTotal
        print("  total \(tot.mismatches) (\(tot.rounding) rounding, \(tot.structural) structural); propagated after the first divergence: \(r.propagated)")
        if let f = r.firstDivergence {
            print("  first divergence: \(f.layer) t=\(f.t) sample \(f.sample) channel \(f.channel) position \(f.position): "
                  + (f.isRounding ? "rounding" : "structural") + String(format: " (unfused margin %.3g)", f.unfusedMargin))
        }
        print(String(format: "logits: max-abs %.3g, max-rel %.3g (max|ref| %.3g)", r.logitsMaxAbs, r.logitsMaxRel, r.logitsRefMaxAbs))
        if !r.riskyChannels.isEmpty {
            print("channels where the paper fold is at risk (γ ≤ 0 or σ² < 10ε):")
            for c in r.riskyChannels.prefix(40) {
                print("  \(c.layer) t=\(c.t) c=\(c.channel): γ=\(c.gamma) σ²=\(c.variance) — \(c.reason)")
            }
            if r.riskyChannels.count > 40 { print("  … \(r.riskyChannels.count - 40) more") }
        }
        print(r.isEquivalent ? "verdict: equivalent (no structural mismatch)" : "verdict: NOT equivalent (structural mismatches)")
    }
}
