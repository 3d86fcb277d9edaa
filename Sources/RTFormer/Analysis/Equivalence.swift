import Foundation

/// Spike mismatches split by SPEC R9: *rounding* iff the unfused margin `|Ĥ − V_th|` is below
/// `1e-5·max(1, |V_th|)` (exact ties included), otherwise *structural*.
public struct MismatchCount: Sendable, Equatable, Codable {
    public var mismatches = 0
    public var rounding = 0
    public var structural = 0

    public init(mismatches: Int = 0, rounding: Int = 0, structural: Int = 0) {
        self.mismatches = mismatches
        self.rounding = rounding
        self.structural = structural
    }

    static func + (a: MismatchCount, b: MismatchCount) -> MismatchCount {
        MismatchCount(mismatches: a.mismatches + b.mismatches, rounding: a.rounding + b.rounding, structural: a.structural + b.structural)
    }

    /// The rounding band of SPEC R9/R20.
    public static func isRounding(margin: Float, vThreshold: Float) -> Bool {
        abs(margin) < 1e-5 * max(1, abs(vThreshold))
    }
}

/// A fold checked in isolation on one TSBN-LIF at one timestep (SPEC R9 local checks).
public struct LocalSpikeCheck: Sendable, Equatable {
    public var path: String
    public var t: Int
    /// The deploy comparator applied to the unfused raw H[t] (`local_stateless`).
    public var stateless: MismatchCount
    /// The deploy neuron, with its own state, fed the unfused input current X[t] (`local`).
    public var stateful: MismatchCount
}

/// A real-valued fold (conv + norm, RepDW5) checked on the unfused layer's exact input.
public struct LocalRealCheck: Sendable, Equatable {
    public var path: String
    public var maxAbs: Float
    /// Largest |Δ|/|ref| over elements with |ref| ≥ 1e-3.
    public var maxRel: Float
    public var refMaxAbs: Float
    /// Every element within `atol + rtol·|ref|` (`Equivalence.rtol`, `atol = Equivalence.atolScale · max|ref|`).
    public var withinTolerance: Bool
}

/// Where the deploy model first departs from the unfused one end to end.
public struct Divergence: Sendable, Equatable {
    public var layer: String
    public var t: Int
    public var sample: Int
    public var channel: Int
    /// Flat position inside the channel (y·W + x for maps, token index for tokens).
    public var position: Int
    /// `rounding` or `structural` (SPEC R9) for that first neuron.
    public var isRounding: Bool
    public var unfusedMargin: Float
}

/// A TSBN_mem channel where the `paper` fold is at risk: γ ≤ 0, or σ² within 10× of ε.
public struct RiskyChannel: Sendable, Equatable {
    public var layer: String
    public var t: Int
    public var channel: Int
    public var gamma: Float
    public var variance: Float
    public var reason: String
}

/// Per-layer end-to-end spike mismatches.
public struct EndToEndLayer: Sendable, Equatable {
    public var path: String
    public var isTSBNLIF: Bool
    public var perTimestep: [MismatchCount]
    public var total: MismatchCount { perTimestep.reduce(MismatchCount(), +) }
}

/// The answer to "does the deploy model compute what the unfused one does, and if not where and
/// why" (SPEC decision 6, R9): local checks per fold, end-to-end spikes per layer and t, logits.
public struct EquivalenceReport: Sendable {
    public var fold: ThresholdFoldMode
    public var localSpikes: [LocalSpikeCheck]
    public var localReal: [LocalRealCheck]
    public var endToEnd: [EndToEndLayer]
    public var firstDivergence: Divergence?
    /// Mismatches in (layer, t) pairs after the first divergent one, in execution order.
    public var propagated: Int
    public var logitsMaxAbs: Float
    public var logitsMaxRel: Float
    public var logitsRefMaxAbs: Float
    public var riskyChannels: [RiskyChannel]
    /// Every spiking layer's local origins, the attribution chain and the verdict (issue 11).
    public var summary: EquivalenceSummary
    /// Wall-clock seconds per phase, in order (where the check's time goes).
    public var timings: [(phase: String, seconds: Double)] = []
    /// The verdict (`summary.verdict`).
    public var verdict: EquivalenceVerdict { summary.verdict }

    public var endToEndTotal: MismatchCount { endToEnd.reduce(MismatchCount()) { $0 + $1.total } }
    public var localStatelessTotal: MismatchCount { localSpikes.reduce(MismatchCount()) { $0 + $1.stateless } }
    public var localTotal: MismatchCount { localSpikes.reduce(MismatchCount()) { $0 + $1.stateful } }
    /// Structural mismatches of the local checks (stateful) plus real-valued folds out of tolerance.
    public var localStructural: Int { localTotal.structural + localReal.filter { !$0.withinTolerance }.count }
    /// True unless the verdict is `not_equivalent` (rounding flips and their cascade allowed).
    public var isEquivalent: Bool { verdict != .notEquivalent }
}

/// Runs the unfused and deploy models and compares them (SPEC decision 6, R9).
public enum Equivalence {
    /// Relative tolerance of real-valued comparisons (`Tolerance.equivalence`).
    public static var rtol: Float { Tolerance.equivalence(referenceMax: 1).relative }
    /// Absolute tolerance as a fraction of the reference's largest magnitude (`Tolerance.equivalence`).
    public static var atolScale: Float { Tolerance.equivalence(referenceMax: 1).absolute }

    /// - Parameters:
    ///   - unfused: the trained model (eval mode).
    ///   - deploy: its deploy twin (`DeployConversion.convert`).
    ///   - input: `[T, B, C, H, W]`.
    ///   - kind: what `input` is over time (`Network.start(_:kind:)`; default `.frames`).
    ///   - fold: the fold mode the deploy model was built with (reported).
    /// - Throws: the models' shape errors (`ModelInputError`), `EquivalenceError`.
    public static func compare(unfused: Network, deploy: Network, input: Tensor, kind: InputKind = .frames,
                               fold: ThresholdFoldMode) throws -> EquivalenceReport {
        var clock = PhaseClock()
        let recU = Recorder(recordUnitInputs: true)
        let logitsU = try unfused.forward(input, kind: kind, recorder: recU)
        clock.lap("unfused forward (recorded)")
        let recD = Recorder()
        let logitsD = try deploy.forward(input, kind: kind, recorder: recD)
        clock.lap("deploy forward (recorded)")
        var report = try compare(unfused: unfused, unfusedRecorder: recU, unfusedLogits: logitsU,
                           deploy: deploy, deployRecorder: recD, deployLogits: logitsD, fold: fold)
        report.timings = clock.laps + report.timings
        return report
    }

    /// The verdict alone for one input (per-sample use, e.g. `rtformer eval`): runs both twins
    /// with the recording the check needs; callers record nothing themselves.
    /// - Parameters: as `compare(unfused:deploy:input:kind:fold:)`; `input` `[T, B, C, H, W]` (usually B = 1).
    /// - Throws: as `compare`.
    public static func verdict(unfused: Network, deploy: Network, input: Tensor, kind: InputKind = .frames,
                               fold: ThresholdFoldMode) throws -> EquivalenceVerdict {
        try compare(unfused: unfused, deploy: deploy, input: input, kind: kind, fold: fold).verdict
    }

    /// Compares two finished runs (`recU` must have recorded unit inputs for the local checks;
    /// `unfused.input` is the input both ran on).
    /// - Parameter steps: timesteps computed by both runs (default: all).
    /// - Throws: `EquivalenceError` when a LIF recording is missing; the deploy model's errors.
    public static func compare(unfused: Network, unfusedRecorder recU: Recorder, unfusedLogits logitsU: Tensor,
                               deploy: Network, deployRecorder recD: Recorder, deployLogits logitsD: Tensor,
                               fold: ThresholdFoldMode, steps: Int? = nil) throws -> EquivalenceReport {
        var clock = PhaseClock()
        let timesteps = min(steps ?? unfused.config.timesteps, unfused.config.timesteps)
        var mismatchSites: [String: [[Int]]] = [:]
        // End to end.
        var e2e: [EndToEndLayer] = []
        var first: Divergence?
        var propagated = 0
        let tsbnLIFs = Set(unfused.lifUnits.filter { if case .tsbnMem = $0.kind { return true } else { return false } }.map(\.path))
        for path in recU.lifOrder {
            guard let ru = recU.lifs[path], let rd = recD.lifs[path] else { continue }
            var per: [MismatchCount] = []
            let n = ru.perStep
            let compared = ru.hHat ?? ru.h
            var sites: [[Int]] = []
            for t in 0..<timesteps {
                var m = MismatchCount()
                var here: [Int] = []
                // Bit-packed spikes: only the words that differ are looked into.
                for local in ru.spikeDifferences(from: rd, at: t) {
                    let i = t * n + local
                    here.append(local)
                    let margin = compared[i] - ru.vThreshold
                    let r = MismatchCount.isRounding(margin: margin, vThreshold: ru.vThreshold)
                    m.mismatches += 1
                    if r { m.rounding += 1 } else { m.structural += 1 }
                    if first == nil {
                        let perSample = ru.shape.product
                        let spatial = ru.shape.dropFirst().product
                        let within = local % perSample
                        first = Divergence(layer: path, t: t, sample: local / perSample, channel: within / max(spatial, 1),
                                           position: within % max(spatial, 1), isRounding: r, unfusedMargin: margin)
                    }
                }
                if let f = first, !(f.layer == path && f.t == t) { propagated += m.mismatches }
                per.append(m)
                sites.append(here)
            }
            mismatchSites[path] = sites
            e2e.append(EndToEndLayer(path: path, isTSBNLIF: tsbnLIFs.contains(path), perTimestep: per))
        }

        clock.lap("end-to-end spike comparison")
        // Local spike checks on TSBN-LIFs.
        var local: [LocalSpikeCheck] = []
        var risky: [RiskyChannel] = []
        for uLIF in unfused.lifUnits {
            guard case let .tsbnMem(tsbn) = uLIF.kind, let ru = recU.lifs[uLIF.path],
                  let dLIF = deploy.lifUnits.first(where: { $0.path == uLIF.path }),
                  case let .folded(theta, sign, fireConst) = dLIF.kind else { continue }
            let c = uLIF.channels, s = uLIF.spatial, b = ru.batch, n = ru.perStep
            // Stateful: a fresh deploy neuron fed the unfused X.
            let probe = LIFUnit(path: uLIF.path, parameters: uLIF.parameters, kind: dLIF.kind, shape: uLIF.shape)
            let ctx = RunContext(mode: .eval, recorder: nil, t0: 0, steps: unfused.config.timesteps, batch: b,
                                 timesteps: unfused.config.timesteps)
            let statefulSpikes = try probe.forward(ru.tensor(\.x), ctx)
            let compared = ru.hHat ?? ru.h
            for t in 0..<timesteps {
                let spikesU = ru.spikes(at: t)
                var sl = MismatchCount(), sf = MismatchCount()
                for bb in 0..<b {
                    for ch in 0..<c {
                        let k = t * c + ch
                        for j in 0..<s {
                            let i = t * n + (bb * c + ch) * s + j
                            let margin = compared[i] - ru.vThreshold
                            let r = MismatchCount.isRounding(margin: margin, vThreshold: ru.vThreshold)
                            let stateless = ThresholdFold.fires(h: ru.h[i], theta: theta[k], sign: sign[k], fireConst: fireConst[k])
                            if stateless != spikesU[i - t * n] {
                                sl.mismatches += 1
                                if r { sl.rounding += 1 } else { sl.structural += 1 }
                            }
                            if statefulSpikes.storage[i] != spikesU[i - t * n] {
                                sf.mismatches += 1
                                if r { sf.rounding += 1 } else { sf.structural += 1 }
                            }
                        }
                    }
                }
                local.append(LocalSpikeCheck(path: uLIF.path, t: t, stateless: sl, stateful: sf))
            }
            for t in 0..<unfused.config.timesteps {
                for ch in 0..<c {
                    let k = t * c + ch
                    let g = tsbn.weight[k], v = tsbn.runningVar[k]
                    var reasons: [String] = []
                    if g < 0 { reasons.append("γ<0: paper fold inverts") } else if g == 0 { reasons.append("γ=0: constant spike") }
                    if v < 10 * tsbn.eps { reasons.append("σ²<10ε: dropped ε matters") }
                    if !reasons.isEmpty {
                        risky.append(RiskyChannel(layer: uLIF.path, t: t, channel: ch, gamma: g, variance: v, reason: reasons.joined(separator: ", ")))
                    }
                }
            }
        }

        clock.lap("TSBN-LIF fold checks (R9)")
        let lm = compareReal(path: "logits", logitsD, logitsU)

        // Local origins of every spiking layer, then the attribution chain (issue 11).
        guard let input = unfused.input else { throw EquivalenceError.notRecorded(layer: "input") }
        // The same run compares every real-valued fold (conv + norm, RepDW5) on the unfused
        // layer's exact input: each deploy unit receives the unfused spikes there.
        let origins = LocalOriginCheck(recorder: recU, unfused: unfused, steps: timesteps)
        try deploy.runLocalOriginCheck(origins, input: input, steps: timesteps)
        let order = deploy.convUnits.map(\.path)
        let real = order.compactMap { origins.realChecks[$0] }
        clock.lap("local origins of every spiking layer + real-valued folds")
        let summary = EquivalenceSummary.attribute(origins: origins.origins, originIndices: origins.originIndices,
                                                   layerOrder: recU.lifOrder, e2eMismatches: mismatchSites, steps: timesteps,
                                                   realFoldFaults: real.filter { !$0.withinTolerance }.map(\.path),
                                                   logitsMaxAbs: lm.maxAbs,
                                                   locate: { origins.describe(path: $0, t: $1, flat: $2) })
        clock.lap("attribution")
        return EquivalenceReport(fold: fold, localSpikes: local, localReal: real, endToEnd: e2e, firstDivergence: first,
                                 propagated: propagated, logitsMaxAbs: lm.maxAbs, logitsMaxRel: lm.maxRel,
                                 logitsRefMaxAbs: lm.refMaxAbs, riskyChannels: risky, summary: summary, timings: clock.laps)
    }

    /// max-abs, max-rel (over |ref| ≥ 1e-3) and the tolerance verdict of `actual` against `reference`.
    public static func compareReal(path: String, _ actual: Tensor, _ reference: Tensor) -> LocalRealCheck {
        precondition(actual.shape == reference.shape, "\(path): shapes \(actual.shape) vs \(reference.shape)")
        var c = RealComparison(refMax: reference.maxAbs)
        c.add(actual.storage[...], reference.storage[...])
        return c.check(path: path)
    }
}

/// max-abs, max-rel and the tolerance of `Equivalence.compareReal`, accumulated chunk by chunk
/// (the local-origin run compares each deploy unit's output timestep by timestep).
struct RealComparison {
    /// max|ref| over everything that will be compared (sets `atol`).
    let refMax: Float
    private(set) var maxAbs: Float = 0
    private(set) var maxRel: Float = 0
    private(set) var ok = true

    init(refMax: Float) { self.refMax = refMax }

    mutating func add(_ actual: ArraySlice<Float>, _ reference: ArraySlice<Float>) {
        let tolerance = Tolerance.equivalence(referenceMax: refMax)
        for (a, r) in zip(actual, reference) {
            let d = abs(a - r)
            if !tolerance.accepts(a, reference: r) { ok = false }
            maxAbs = max(maxAbs, d.isNaN ? .infinity : d)
            if abs(r) >= 1e-3 { maxRel = max(maxRel, d / abs(r)) }
        }
    }

    func check(path: String) -> LocalRealCheck {
        LocalRealCheck(path: path, maxAbs: maxAbs, maxRel: maxRel, refMaxAbs: refMax, withinTolerance: ok)
    }
}

/// Wall-clock laps of the equivalence check's phases.
struct PhaseClock {
    private var last = Date()
    private(set) var laps: [(phase: String, seconds: Double)] = []

    mutating func lap(_ phase: String) {
        let now = Date()
        laps.append((phase, now.timeIntervalSince(last)))
        last = now
    }
}
