import Foundation

/// The one answer to "is the deploy model equivalent to the unfused one?" (issue 11), shared by
/// `rtformer check`, the session's `diff`, `expect diff.verdict`, the TUI and the JSON report.
///
/// - `equivalent`: no spike differs, locally or end to end, and every real-valued fold is within
///   tolerance.
/// - `equivalent_up_to_rounding`: spikes differ, but every difference descends from a *rounding*
///   origin: a neuron whose unfused margin lies within the Float32 rounding bound of its layer
///   (`RoundingBound`), where the two twins' algebraically equal arithmetic may round to opposite
///   sides of the threshold.
/// - `not_equivalent`: at least one *structural* origin (a fold that changes the decision beyond
///   rounding), a real-valued fold out of tolerance, or an end-to-end mismatch no local origin
///   explains.
public enum EquivalenceVerdict: String, Sendable, Equatable, Codable, CaseIterable {
    case equivalent
    case equivalentUpToRounding = "equivalent_up_to_rounding"
    case notEquivalent = "not_equivalent"

    /// Process exit status of `rtformer check`: 0 for the first two verdicts, 1 for
    /// `not_equivalent`; with `strict` (bit-identity wanted) a rounding-only verdict also exits 1.
    public func exitCode(strict: Bool) -> Int32 {
        switch self {
        case .equivalent: return 0
        case .equivalentUpToRounding: return strict ? 1 : 0
        case .notEquivalent: return 1
        }
    }
}

/// Whether a local mismatch is explained by Float32 rounding or by the fold itself.
public enum OriginKind: String, Sendable, Equatable, Codable {
    case rounding, structural
}

/// The Float32 rounding bound of a spiking site: a mismatch whose unfused margin `|Ĥ − V_th|`
/// (`|H − V_th|` for plain LIFs) is at most `relative · M` is *rounding*, beyond it *structural*.
///
/// `M` is the magnitude of the quantities that enter the compared value at that layer and
/// timestep (`magnitude(...)`): `max(1, |V_th|, max|X|, max|H|)` over the layer's neurons at t
/// for a plain LIF; for a TSBN-LIF, per channel c in Ĥ units,
/// `max(1, |V_th|, |b[t,c]|, max|Ĥ|, |a[t,c]|·max(|H|, |X|))` (a, b the eval affine, SPEC R5).
///
/// Why `relative = 1e-5` (≈ 168 unit roundoffs u = 2⁻²⁴): both twins start from the same Float32
/// values and run the same convolution kernels on the same weights (the deploy model keeps W,
/// SPEC R14), so their accumulations round identically; they differ only in the operations a fold
/// reorders, each of which rounds at most u·M: conv bias + norm (2–3 roundings) against one
/// affine (2); five RepDW5 branch sums against one fused 3×3 kernel (≤ 14); θ rounded once from
/// Float64 (SPEC R5, 1); the LIF charge (2); and, through the residual stream, one such
/// difference from every folded unit upstream in the same stream (≤ 2·depth + 1 = 17 for
/// S-T-8-768, 3 roundings each). That is at most ~60 u·M, so the bound leaves more than 2.5×
/// head room. At `M = max(1, |V_th|)` it is exactly SPEC R20's band `1e-5·max(1, |V_th|)`, so
/// the classification is SPEC's wherever magnitudes are of unit order, and it widens only where a
/// deep stream grows (Float32 spacing grows with it). A fold error larger than the bound is not
/// rounding: the `paper` fold on γ < 0 inverts the comparison, so every site of that channel
/// whose margin exceeds the bound flips (margins of order 0.1–1). Sites within the bound cannot
/// be told apart from rounding in Float32; `DoubleCheck` (`check --float64`) settles them.
public enum RoundingBound {
    /// The bound relative to the site's magnitude M.
    public static let relative: Float = 1e-5

    /// `relative · M`.
    public static func bound(magnitude: Float) -> Float { relative * magnitude }

    /// M at timestep t of a recorded LIF layer: one value for a plain LIF (`tsbn` nil), one per
    /// channel for a TSBN-LIF (`tsbn` its membrane TSBN; layout `[C, S...]` per sample).
    /// - Parameters:
    ///   - record: the unfused twin's recording (X, H, Ĥ at t must be filled).
    ///   - t: timestep.
    /// - Returns: `[M]` or `[M_c]` for c in 0..<C, potential units (Ĥ units for a TSBN-LIF).
    public static func magnitudes(record rec: LIFRecord, t: Int, tsbn: TSBN?) -> [Float] {
        let n = rec.perStep, base = rec.offset(at: t)
        let floor = max(1, abs(rec.vThreshold))
        guard let tsbn, let hHat = rec.hHat else {
            var m = floor
            if rec.x.isEmpty, !rec.inputMaxAbs.isEmpty {
                // Only max|X| kept (a recording for the check): the same maximum, taken in two parts.
                m = max(m, rec.inputMaxAbs[t - rec.firstStep])
                rec.h.withUnsafeBufferPointer { h in
                    for g in base..<(base + n) { m = max(m, abs(h[g])) }
                }
                return [m]
            }
            rec.x.withUnsafeBufferPointer { x in
                rec.h.withUnsafeBufferPointer { h in
                    for g in base..<(base + n) { m = max(m, abs(x[g]), abs(h[g])) }
                }
            }
            return [m]
        }
        let (a, b) = tsbn.affine(at: t)
        let c = tsbn.channels, s = rec.shape.dropFirst().product
        var result = (0..<c).map { max(floor, abs(b[$0])) }
        for bb in 0..<rec.batch {
            for ch in 0..<c {
                var m = result[ch]
                for j in 0..<s {
                    let g = base + (bb * c + ch) * s + j
                    m = max(m, abs(hHat[g]), abs(a[ch]) * max(abs(rec.h[g]), abs(rec.x[g])))
                }
                result[ch] = m
            }
        }
        return result
    }

    /// The bound per channel (or one for the layer) at t: `bound(magnitude:)` of `magnitudes`.
    public static func bounds(record: LIFRecord, t: Int, tsbn: TSBN?) -> [Float] {
        magnitudes(record: record, t: t, tsbn: tsbn).map(bound(magnitude:))
    }
}

/// A local mismatch: the deploy layer, fed the unfused twin's own spikes upstream (its membrane
/// reset on the unfused spikes), fires differently from the unfused layer at that t (issue 11;
/// `LocalOriginCheck`).
public struct MismatchOrigin: Sendable, Equatable {
    public var kind: OriginKind
    /// LIF module path (SPEC R1).
    public var path: String
    public var t: Int
    public var sample: Int
    /// Channel and position as `NeuronLayout` splits the layer (C and y·W + x for maps; for
    /// spikformer tokens `[N, D]` the feature and the token).
    public var channel: Int
    public var position: Int
    /// Unfused margin `Ĥ − V_th` (TSBN-LIF) or `H − V_th` (plain LIF), potential units; for a
    /// real-valued fold out of tolerance, the largest |Δ|.
    public var margin: Float
    /// The rounding bound at that site (`RoundingBound`).
    public var bound: Float
    /// Known cause, e.g. "γ<0: paper fold inverts" (the risky-channel analysis), or nil.
    public var cause: String?
    /// End-to-end mismatches attributed to this origin (its own site not included).
    public var propagated: Int = 0

    public init(kind: OriginKind, path: String, t: Int, sample: Int, channel: Int, position: Int, margin: Float, bound: Float,
                cause: String? = nil, propagated: Int = 0) {
        self.kind = kind
        self.path = path
        self.t = t
        self.sample = sample
        self.channel = channel
        self.position = position
        self.margin = margin
        self.bound = bound
        self.cause = cause
        self.propagated = propagated
    }

    /// "block.2.mlp.fc1_lif t=2 sample 0 channel 459 position 19".
    public var site: String { "\(path) t=\(t) sample \(sample) channel \(channel) position \(position)" }
}

/// The attribution chain and the verdict (issue 11).
///
/// Attribution rule: sites are ordered by (t, layer execution order). An end-to-end mismatch at a
/// site that is itself a local origin is that origin's own; any other end-to-end mismatch at
/// (layer L, t) is *propagated* from the earliest origin — first in (t, layer order), then
/// sample, channel, position — among the cells (L′, t′) ≠ (L, t) with t′ ≤ t and L′ not after L
/// in execution order (the cells that can reach it: the network is feed-forward within a
/// timestep and carries state only forward in t). Execution order over-approximates the true
/// dependency (q_lif precedes k_lif without feeding it), so attribution goes to the earliest
/// origin that may have caused the mismatch. A mismatch with no such origin is *unattributed*
/// and makes the verdict `not_equivalent`.
public struct EquivalenceSummary: Sendable, Equatable {
    public var verdict: EquivalenceVerdict
    /// Every origin, in (t, layer order, sample, channel, position) order.
    public var origins: [MismatchOrigin]
    public var roundingFlips: Int
    public var structuralOrigins: Int
    /// Largest |margin| among rounding origins (0 when none).
    public var maxRoundingMargin: Float
    /// End-to-end mismatches attributed to an origin (origin sites excluded).
    public var propagated: Int
    /// Layers holding a propagated mismatch, and the last of them in execution order with its
    /// last timestep: how far the origins cascaded.
    public var propagatedLayers: Int
    public var deepestPropagated: (path: String, t: Int)?
    /// End-to-end mismatches no origin explains, and the first of them.
    public var unattributed: Int
    public var firstUnattributed: MismatchOrigin?
    /// Real-valued folds out of tolerance (structural).
    public var realFoldFaults: [String]
    public var logitsMaxAbs: Float
    /// Timesteps compared.
    public var steps: Int

    public var firstOrigin: MismatchOrigin? { origins.first }
    /// The first structural origin (a spike origin; else an unattributed mismatch).
    public var firstStructural: MismatchOrigin? { origins.first { $0.kind == .structural } ?? firstUnattributed }

    public static func == (a: EquivalenceSummary, b: EquivalenceSummary) -> Bool {
        a.verdict == b.verdict && a.origins == b.origins && a.propagated == b.propagated && a.unattributed == b.unattributed
            && a.realFoldFaults == b.realFoldFaults && a.logitsMaxAbs == b.logitsMaxAbs && a.steps == b.steps
            && a.propagatedLayers == b.propagatedLayers && a.deepestPropagated?.path == b.deepestPropagated?.path
            && a.deepestPropagated?.t == b.deepestPropagated?.t
    }

    /// The verdict in one line, with its evidence (what `check`, `diff` and the TUI print).
    public var sentence: String {
        let logits = String(format: "logits max-abs %.3g", logitsMaxAbs)
        switch verdict {
        case .equivalent:
            return "equivalent: no spike differs over \(steps) timestep(s); \(logits)"
        case .equivalentUpToRounding:
            var s = "equivalent_up_to_rounding: \(roundingFlips) rounding flip\(roundingFlips == 1 ? "" : "s")"
                + String(format: " (largest |margin| %.3g)", maxRoundingMargin)
            if let d = deepestPropagated {
                s += ", cascaded to \(propagated) mismatch\(propagated == 1 ? "" : "es") in \(propagatedLayers) layer\(propagatedLayers == 1 ? "" : "s") (as far as \(d.path) t=\(d.t))"
            } else {
                s += ", no cascade"
            }
            return s + "; " + logits
        case .notEquivalent:
            var s = "not_equivalent: "
            if let f = firstStructural {
                s += "structural origin at \(f.site)" + String(format: ", margin %.3g (bound %.3g)", f.margin, f.bound)
                if let c = f.cause { s += " — \(c)" }
                s += "; \(structuralOrigins) structural origin\(structuralOrigins == 1 ? "" : "s"), \(roundingFlips) rounding flip\(roundingFlips == 1 ? "" : "s")"
            } else if let r = realFoldFaults.first {
                s += "real-valued fold \(r) out of tolerance"
            }
            return s + "; " + logits
        }
    }

    /// Attributes end-to-end mismatches to origins and decides the verdict (rule above).
    /// - Parameters:
    ///   - origins: local origins in (t, layer order, sample, flat index) order.
    ///   - originIndices: flat per-step index of each origin within its layer (parallel to `origins`).
    ///   - layerOrder: LIF paths in execution order.
    ///   - e2eMismatches: per layer path, per t, the flat per-step indices where the twins' spikes differ.
    ///   - locate: maps (path, t, flat per-step index) to an origin record (for unattributed mismatches).
    static func attribute(origins input: [MismatchOrigin], originIndices: [Int], layerOrder: [String],
                          e2eMismatches: [String: [[Int]]], steps: Int, realFoldFaults: [String], logitsMaxAbs: Float,
                          locate: (String, Int, Int) -> MismatchOrigin) -> EquivalenceSummary {
        var origins = input
        let nl = layerOrder.count
        let ord = Dictionary(uniqueKeysWithValues: layerOrder.enumerated().map { ($1, $0) })
        // First origin id per cell (t, layer) and prefix minima over t′ ≤ t, L′ ≤ L.
        var firstInCell = [Int](repeating: .max, count: steps * nl)
        var originSites = Set<Int64>()
        for (k, o) in origins.enumerated() {
            guard let l = ord[o.path], o.t < steps else { continue }
            firstInCell[o.t * nl + l] = min(firstInCell[o.t * nl + l], k)
            originSites.insert(siteKey(l, o.t, originIndices[k], nl))
        }
        var prefix = firstInCell
        for t in 0..<steps {
            for l in 0..<nl {
                var m = prefix[t * nl + l]
                if t > 0 { m = min(m, prefix[(t - 1) * nl + l]) }
                if l > 0 { m = min(m, prefix[t * nl + l - 1]) }
                prefix[t * nl + l] = m
            }
        }
        var propagated = 0, unattributed = 0
        var firstUnattributed: MismatchOrigin?
        var reached = Set<Int>()
        var deepest: (l: Int, t: Int)?
        for (l, path) in layerOrder.enumerated() {
            guard let perT = e2eMismatches[path] else { continue }
            for t in 0..<min(steps, perT.count) {
                var upstream = Int.max
                if t > 0 { upstream = min(upstream, prefix[(t - 1) * nl + l]) }
                if l > 0 { upstream = min(upstream, prefix[t * nl + l - 1]) }
                for i in perT[t] where !originSites.contains(siteKey(l, t, i, nl)) {
                    if upstream != .max {
                        origins[upstream].propagated += 1
                        propagated += 1
                        reached.insert(l)
                        if deepest == nil || l > deepest!.l || (l == deepest!.l && t > deepest!.t) { deepest = (l, t) }
                    } else {
                        unattributed += 1
                        if firstUnattributed == nil {
                            var o = locate(path, t, i)
                            o.kind = .structural
                            o.cause = "end-to-end mismatch no local origin explains"
                            firstUnattributed = o
                        }
                    }
                }
            }
        }
        let rounding = origins.filter { $0.kind == .rounding }
        let structural = origins.count - rounding.count
        let verdict: EquivalenceVerdict
        if structural > 0 || unattributed > 0 || !realFoldFaults.isEmpty {
            verdict = .notEquivalent
        } else if !origins.isEmpty {
            verdict = .equivalentUpToRounding
        } else {
            verdict = .equivalent
        }
        return EquivalenceSummary(verdict: verdict, origins: origins, roundingFlips: rounding.count, structuralOrigins: structural,
                                  maxRoundingMargin: rounding.map { abs($0.margin) }.max() ?? 0, propagated: propagated,
                                  propagatedLayers: reached.count, deepestPropagated: deepest.map { (layerOrder[$0.l], $0.t) },
                                  unattributed: unattributed, firstUnattributed: firstUnattributed, realFoldFaults: realFoldFaults,
                                  logitsMaxAbs: logitsMaxAbs, steps: steps)
    }

    private static func siteKey(_ l: Int, _ t: Int, _ i: Int, _ nl: Int) -> Int64 {
        (Int64(t) * Int64(nl) + Int64(l)) << 36 | Int64(i)
    }
}

/// The local check of every spiking layer (issue 11): the deploy network runs one timestep at a
/// time with every LIF replaced by this probe, which
/// 1. charges the deploy neuron's own membrane V[t−1] with the input current the deploy layers
///    computed from the unfused spikes upstream,
/// 2. fires with the deploy comparator (`H ≥ V_th`, or the folded θ of SPEC R14),
/// 3. records a `MismatchOrigin` wherever that differs from the unfused spike,
/// 4. resets the membrane on the *unfused* spike (so it carries the deploy arithmetic's rounding
///    from step to step, exactly as the free-running deploy model does until something flips,
///    but never the consequence of a flip), and
/// 5. passes the *unfused* spikes on,
/// so every deploy layer (convs, affines, RepDW5, residual stream, pooling, SDSA/SSA) works on
/// the unfused twin's own inputs, and every mismatch found is caused by that layer's fold alone.
final class LocalOriginCheck {
    /// The unfused twin's LIF records holding the timestep being checked (`hold(_:)`).
    private var records: [String: LIFRecord] = [:]
    private let unfusedTSBN: [String: TSBN]
    private let family: ModelFamily
    private(set) var origins: [MismatchOrigin] = []
    /// Flat per-step index of each origin within its layer.
    private(set) var originIndices: [Int] = []
    private var magnitudeCache: [String: [Float]] = [:]
    /// The deploy neurons' membranes V[t−1] in this run (`check`).
    private var membranes: [String: [Float]] = [:]
    /// The unfused units' recorded outputs (and the RepDW5 sum) the deploy units are compared
    /// with, when the unfused recording kept them, and the timestep at their index 0
    /// (`Recorder.firstHeldStep`).
    private var unitOutputs: [String: Tensor] = [:]
    private var unitOutputsFirstStep = 0
    /// Otherwise the reference is recomputed: the unfused unit (or RepDW5 core) on the deploy
    /// unit's input, which is the unfused run's own input there (every conv reads spikes that the
    /// check passes on from the unfused twin, or the encoded input), so the values are the same.
    private let unfusedUnits: [String: ConvUnit]
    private let unfusedCore: SpatialCore?
    private let steps: Int
    private var comparisons: [String: RealComparison] = [:]

    /// Real-valued folds by deploy unit path (`LocalRealCheck`), over the compared timesteps.
    var realChecks: [String: LocalRealCheck] {
        Dictionary(uniqueKeysWithValues: comparisons.map { ($0.key, $0.value.check(path: $0.key)) })
    }

    /// - Parameters:
    ///   - unfused: the unfused twin (its membrane TSBNs classify origins).
    ///   - steps: timesteps that will be checked.
    init(unfused: Network, steps: Int) {
        self.steps = steps
        unfusedUnits = Dictionary(unfused.convUnits.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        if let g = unfused.graph as? SpikeDrivenGraph, case .repDW5 = g.core { unfusedCore = g.core } else { unfusedCore = nil }
        var tsbn: [String: TSBN] = [:]
        for l in unfused.lifUnits { if case let .tsbnMem(t) = l.kind { tsbn[l.path] = t } }
        unfusedTSBN = tsbn
        family = unfused.config.family
    }

    /// Takes the unfused recording to check against: its LIF records, unit outputs and RepDW5 sum
    /// must hold the timesteps checked next (a whole run, or only the latest timestep).
    func hold(_ recorder: Recorder) {
        records = recorder.lifs
        var outputs = recorder.unitOutputs
        if let rep = recorder.streams["patch_embed.stcore.rep.out"] { outputs["patch_embed.stcore.rep"] = rep }
        unitOutputs = outputs
        unitOutputsFirstStep = recorder.firstHeldStep
    }

    /// Compares a deploy unit's output chunk `[steps, B, ...]`, computed from `x` (the unfused
    /// twin's input there), with the unfused unit's output at the same timesteps: the recorded one
    /// when held, else the unfused unit (the RepDW5 core for the fused kernel) recomputed on `x`.
    /// - Throws: the unfused unit's errors.
    func compareUnit(_ path: String, input x: Tensor, output y: Tensor, _ ctx: RunContext) throws {
        let reference: ArraySlice<Float>
        if let ref = unitOutputs[path] {
            guard ref.count / max(ref.shape[0], 1) * y.shape[0] == y.count else { return }
            let per = ref.count / ref.shape[0]
            let first = (ctx.t0 - unitOutputsFirstStep) * per
            guard first >= 0, first + y.count <= ref.count else { return }
            reference = ref.storage[first..<(first + y.count)]
        } else {
            var plain = ctx
            plain.teacher = nil
            plain.recorder = nil
            plain.limit = nil
            plain.staticInput = false
            let ref: Tensor
            if let unit = unfusedUnits[path] {
                ref = try unit.forward(x, plain)
            } else if path == "patch_embed.stcore.rep", let core = unfusedCore {
                ref = try core.forward(x, plain)
            } else {
                return
            }
            guard ref.count == y.count else { return }
            reference = ref.storage[...]
        }
        comparisons[path, default: RealComparison()].add(y.storage[...], reference)
    }

    func check(_ unit: LIFUnit, input x: Tensor, _ ctx: RunContext) throws -> Tensor {
        guard let rec = records[unit.path] else { throw EquivalenceError.notRecorded(layer: unit.path) }
        let steps = x.shape[0], n = rec.perStep
        guard x.count == steps * n else {
            throw EquivalenceError.shape(layer: unit.path, expected: [steps, rec.batch] + rec.shape, found: x.shape)
        }
        let p = unit.parameters, vth = p.vThreshold, rest = p.vReset ?? 0
        let c = unit.channels, s = unit.spatial
        var out = Tensor(uninitializedShape: x.shape)
        let layout = NeuronLayout(shape: unit.shape, path: unit.path, family: family)
        let compared = rec.hHat ?? rec.h
        var membrane = membranes.removeValue(forKey: unit.path) ?? rec.initialV ?? [Float](repeating: rest, count: n)
        defer { membranes[unit.path] = membrane }
        for i in 0..<steps {
            let t = ctx.t0 + i
            let offset = rec.offset(at: t)
            var affine: (scale: [Float], shift: [Float])?
            if case let .tsbnMem(tsbn) = unit.kind { affine = tsbn.affine(at: t) }
            let unfusedSpikes = rec.spikes(at: t)
            x.storage.withUnsafeBufferPointer { xp in
                membrane.withUnsafeMutableBufferPointer { vp in
                    unfusedSpikes.withUnsafeBufferPointer { sp in
                        out.storage.withUnsafeMutableBufferPointer { op in
                            for bb in 0..<rec.batch {
                                for ch in 0..<c {
                                    let base = (bb * c + ch) * s
                                    for j in base..<(base + s) {
                                        let g = offset + j
                                        let h = LIF.charge(v: vp[j], x: xp[i * n + j], p)
                                        let fire: Float
                                        switch unit.kind {
                                        case .plain: fire = h >= vth ? 1 : 0
                                        case let .folded(theta, sign, fireConst):
                                            let k = t * c + ch
                                            fire = ThresholdFold.fires(h: h, theta: theta[k], sign: sign[k], fireConst: fireConst[k])
                                        case .tsbnMem: fire = affine!.scale[ch] * h + affine!.shift[ch] >= vth ? 1 : 0
                                        }
                                        op[i * n + j] = sp[j]
                                        // Reset on the unfused spike: the membrane keeps what the
                                        // deploy arithmetic accumulates, never a flip's consequence.
                                        vp[j] = LIF.reset(h: h, spike: sp[j], p)
                                        if fire != sp[j] {
                                            record(unit: unit, rec: rec, layout: layout, t: t, flat: j, channel: ch,
                                                   margin: compared[g] - vth)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private func record(unit: LIFUnit, rec: LIFRecord, layout: NeuronLayout, t: Int, flat j: Int, channel ch: Int, margin: Float) {
        var o = origin(rec: rec, layout: layout, t: t, flat: j, channel: ch, margin: margin)
        if o.kind == .structural, let tsbn = unfusedTSBN[unit.path] {
            let k = t * tsbn.channels + ch
            var deploySign: Float = 1
            if case let .folded(_, sign, _) = unit.kind { deploySign = sign[k] }
            var reasons: [String] = []
            if tsbn.weight[k] < 0 && deploySign > 0 { reasons.append("γ<0: paper fold inverts") }
            if tsbn.weight[k] == 0 && deploySign != 0 { reasons.append("γ=0: Eq.7 divides by zero") }
            if tsbn.runningVar[k] < 10 * tsbn.eps { reasons.append("σ²<10ε: dropped ε matters") }
            if !reasons.isEmpty { o.cause = reasons.joined(separator: ", ") }
        }
        origins.append(o)
        originIndices.append(j)
    }

    private func origin(rec: LIFRecord, layout: NeuronLayout, t: Int, flat j: Int, channel ch: Int, margin: Float) -> MismatchOrigin {
        let bound = RoundingBound.bound(magnitude: magnitude(rec: rec, t: t, channel: ch))
        let perSample = rec.shape.product
        let (lc, lp) = layout.split(j % perSample)
        return MismatchOrigin(kind: abs(margin) <= bound ? .rounding : .structural, path: rec.path, t: t, sample: j / perSample,
                              channel: lc, position: lp, margin: margin, bound: bound)
    }

    /// The site (path, t, flat per-step index) described as an origin would be (for end-to-end
    /// mismatches no origin explains).
    func describe(path: String, t: Int, flat j: Int) -> MismatchOrigin {
        guard let rec = records[path] else {
            return MismatchOrigin(kind: .structural, path: path, t: t, sample: 0, channel: 0, position: j, margin: .nan, bound: .nan)
        }
        let layout = NeuronLayout(shape: rec.shape, path: path, family: family)
        let ch = (j % rec.shape.product) / max(rec.shape.dropFirst().product, 1)
        return origin(rec: rec, layout: layout, t: t, flat: j, channel: ch, margin: (rec.hHat ?? rec.h)[rec.offset(at: t) + j] - rec.vThreshold)
    }

    /// M of `RoundingBound` for (layer, t, channel), cached per (layer, t).
    private func magnitude(rec: LIFRecord, t: Int, channel ch: Int) -> Float {
        let key = "\(rec.path)#\(t)"
        let m: [Float]
        if let cached = magnitudeCache[key] { m = cached } else {
            m = RoundingBound.magnitudes(record: rec, t: t, tsbn: unfusedTSBN[rec.path])
            magnitudeCache[key] = m
        }
        return m.count == 1 ? m[0] : m[ch]
    }
}

/// A recording the equivalence check needs is missing or does not fit.
public enum EquivalenceError: Error, Equatable, CustomStringConvertible {
    case notRecorded(layer: String)
    case shape(layer: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .notRecorded(layer):
            return "equivalence check: the unfused run did not record LIF '\(layer)' (run the model with a recorder first)"
        case let .shape(layer, expected, found):
            return "equivalence check: input of LIF '\(layer)' is \(found), the unfused recording holds \(expected)"
        }
    }
}

extension NeuronLayout {
    /// (channel, position) of a flat index within one sample (inverse of `index(channel:position:)`).
    public func split(_ flat: Int) -> (channel: Int, position: Int) {
        isTokenMajor ? (flat % channels, flat / channels) : (flat / max(positions, 1), flat % max(positions, 1))
    }
}

extension Network {
    /// The membrane TSBN of an unfused TSBN-LIF (`<path>.tsbn`), nil for any other layer.
    public func membraneTSBN(of path: String) -> TSBN? {
        for l in lifUnits where l.path == path { if case let .tsbnMem(t) = l.kind { return t } }
        return nil
    }

    /// Runs the deploy network's local-origin check at timestep `t` of `input` `[T, B, ...]`
    /// (called for t = 0, 1, … in order, so origins come out in (t, layer order) and each probe
    /// carries its membrane from the previous timestep). Touches no neuron state of the network.
    func runLocalOriginCheck(_ check: LocalOriginCheck, input: Tensor, t: Int) throws {
        let per = input.count / config.timesteps
        let chunk = Tensor(shape: [1] + Array(input.shape.dropFirst()), storage: Array(input.storage[(t * per)..<((t + 1) * per)]))
        let ctx = RunContext(mode: .eval, recorder: nil, t0: t, steps: 1, batch: input.shape[1], timesteps: config.timesteps,
                             teacher: check)
        _ = try graph.run(chunk, ctx)
    }
}
