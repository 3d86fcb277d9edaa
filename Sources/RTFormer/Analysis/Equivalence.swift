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
        if unfused.mode == .train || deploy.mode == .train {
            // Train-mode BN pools the whole sequence, so neither stepping nor recomputing a unit
            // alone reproduces the run: whole forwards, everything recorded.
            let recU = Recorder(recordUnitInputs: true), recD = Recorder()
            var clock = PhaseClock()
            let logitsU = try unfused.forward(input, kind: kind, recorder: recU)
            clock.lap("unfused forward (recorded)")
            let logitsD = try deploy.forward(input, kind: kind, recorder: recD)
            clock.lap("deploy forward (recorded)")
            var report = try compare(unfused: unfused, unfusedRecorder: recU, unfusedLogits: logitsU, deploy: deploy,
                                     deployRecorder: recD, deployLogits: logitsD, fold: fold)
            report.timings = clock.laps + report.timings
            return report
        }
        // Both twins advance one timestep at a time (bit-identical to whole forwards in eval mode)
        // and the check takes each timestep as it comes: the unfused twin's real values are held
        // for one timestep only, the deploy twin's spikes (bit-packed) for all. Unit outputs are
        // recomputed from the held inputs (`LocalOriginCheck.compareUnit`).
        let recU = Recorder.heldTimestepForCheck()
        let recD = Recorder(watching: [])
        let prefixes = (unfused.buildPrefix, deploy.buildPrefix)
        unfused.buildPrefix = nil
        deploy.buildPrefix = nil
        defer { (unfused.buildPrefix, deploy.buildPrefix) = prefixes }
        try unfused.start(input, kind: kind, recorder: recU)
        try deploy.start(input, kind: kind, recorder: recD)
        let stream = try EquivalenceStream(unfused: unfused, deploy: deploy, fold: fold)
        var forwardLaps: [(phase: String, seconds: Double)] = [("unfused forward (recorded)", 0), ("deploy forward (recorded)", 0)]
        for t in 0..<unfused.config.timesteps {
            var step = PhaseClock()
            try unfused.advance(to: t + 1)
            step.lap("unfused")
            try deploy.advance(to: t + 1)
            step.lap("deploy")
            forwardLaps[0].seconds += step.laps[0].seconds
            forwardLaps[1].seconds += step.laps[1].seconds
            try stream.add(t: t, unfused: recU, deploy: recD)
        }
        guard let logitsU = unfused.logits, let logitsD = deploy.logits else { throw EquivalenceError.notRecorded(layer: "logits") }
        var report = stream.finish(unfusedLogits: logitsU, deployLogits: logitsD)
        report.timings = forwardLaps + report.timings
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

    /// Compares two finished runs (`recU` must have recorded unit outputs for the local checks;
    /// `unfused.input` is the input both ran on): `EquivalenceStream` fed every timestep.
    /// - Parameter steps: timesteps computed by both runs (default: all).
    /// - Throws: `EquivalenceError` when a LIF recording is missing; the deploy model's errors.
    public static func compare(unfused: Network, unfusedRecorder recU: Recorder, unfusedLogits logitsU: Tensor,
                               deploy: Network, deployRecorder recD: Recorder, deployLogits logitsD: Tensor,
                               fold: ThresholdFoldMode, steps: Int? = nil) throws -> EquivalenceReport {
        let stream = try EquivalenceStream(unfused: unfused, deploy: deploy, fold: fold, steps: steps)
        for t in 0..<stream.steps { try stream.add(t: t, unfused: recU, deploy: recD) }
        return stream.finish(unfusedLogits: logitsU, deployLogits: logitsD)
    }

    /// max-abs, max-rel (over |ref| ≥ 1e-3) and the tolerance verdict of `actual` against `reference`.
    public static func compareReal(path: String, _ actual: Tensor, _ reference: Tensor) -> LocalRealCheck {
        precondition(actual.shape == reference.shape, "\(path): shapes \(actual.shape) vs \(reference.shape)")
        var c = RealComparison(fixedReferenceMax: reference.maxAbs)
        c.add(actual.storage[...], reference.storage[...])
        return c.check(path: path)
    }
}

/// max-abs, max-rel and the tolerance of `Equivalence.compareReal`, accumulated chunk by chunk
/// (the local-origin run compares each deploy unit's output timestep by timestep, and the
/// streamed check sees one timestep at a time).
///
/// The absolute tolerance scales with max|ref| over *everything* compared, which is known only at
/// the end. Since `Tolerance.accepts` only grows with max|ref|, an element accepted under the
/// maximum seen so far stays accepted; the others are kept and decided by `check` under the final
/// maximum — the same decision as comparing everything at once. Beyond `pendingLimit` kept
/// elements the comparison counts as out of tolerance (thousands of elements out of a few-ulp
/// tolerance are a broken fold, not rounding).
struct RealComparison {
    /// Elements kept for the final decision, at most.
    static let pendingLimit = 1 << 16
    /// max|ref| over everything compared so far (sets `atol`); fixed when given at init.
    private(set) var refMax: Float = 0
    private let refMaxIsFixed: Bool
    private(set) var maxAbs: Float = 0
    private(set) var maxRel: Float = 0
    /// (actual, reference) pairs not accepted under the `refMax` of their time.
    private var pending: [(Float, Float)] = []
    private var overflow = false

    /// max|ref| accumulated from the references added.
    init() { refMaxIsFixed = false }

    /// max|ref| given (the whole reference is known).
    init(fixedReferenceMax: Float) {
        refMax = fixedReferenceMax
        refMaxIsFixed = true
    }

    mutating func add(_ actual: ArraySlice<Float>, _ reference: ArraySlice<Float>) {
        if !refMaxIsFixed { refMax = reference.reduce(refMax) { max($0, abs($1)) } }
        let tolerance = Tolerance.equivalence(referenceMax: refMax)
        for (a, r) in zip(actual, reference) {
            let d = abs(a - r)
            if !tolerance.accepts(a, reference: r) {
                if pending.count < Self.pendingLimit { pending.append((a, r)) } else { overflow = true }
            }
            maxAbs = max(maxAbs, d.isNaN ? .infinity : d)
            if abs(r) >= 1e-3 { maxRel = max(maxRel, d / abs(r)) }
        }
    }

    func check(path: String) -> LocalRealCheck {
        let tolerance = Tolerance.equivalence(referenceMax: refMax)
        let ok = !overflow && pending.allSatisfy { tolerance.accepts($0.0, reference: $0.1) }
        return LocalRealCheck(path: path, maxAbs: maxAbs, maxRel: maxRel, refMaxAbs: refMax, withinTolerance: ok)
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
