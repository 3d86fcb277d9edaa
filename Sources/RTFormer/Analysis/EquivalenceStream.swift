import Foundation

/// The equivalence check (SPEC decision 6, R9; issue 11's attribution) computed one timestep at a
/// time, so that it needs the unfused twin's real-valued recording of one timestep only.
///
/// Feed `add(t:unfused:deploy:)` the timesteps 0, 1, … in order, then call `finish`. The unfused
/// recorder must hold timestep t when it is added — either a whole run (`Recorder()` with unit
/// outputs) or a recorder that keeps only the latest timestep (`Recorder.heldTimestepForCheck()`)
/// filled by a forward advanced one timestep at a time. The deploy recorder needs only its spikes
/// (kept for every timestep by any recorder). Per timestep it
/// 1. compares the twins' spikes layer by layer (end to end; first divergence, propagation);
/// 2. runs the local fold checks of every TSBN-LIF: the deploy comparator on the unfused raw H
///    (stateless) and a deploy neuron, with its own membrane, fed the unfused X (stateful);
/// 3. runs the deploy network with the unfused spikes upstream of every layer
///    (`LocalOriginCheck`): local origins of every spiking layer, real-valued folds;
/// and `finish` attributes the end-to-end mismatches to origins and gives the verdict.
/// The result is the same as checking the whole run at once (`Equivalence.compare`, which is this
/// type fed a whole run): the checks are causal in t, and the tolerance of the real-valued folds
/// is settled at the end (`RealComparison`).
public final class EquivalenceStream {
    /// Timesteps compared (`steps` given, capped at T).
    public let steps: Int
    private let unfused: Network
    private let deploy: Network
    private let fold: ThresholdFoldMode
    private let input: Tensor
    private let tsbnLIFs: Set<String>
    private let origins: LocalOriginCheck
    /// LIF paths in recording order, and per path the mismatch counts and sites per t.
    private var layerOrder: [String] = []
    private var perTimestep: [String: [MismatchCount]] = [:]
    private var sites: [String: [[Int]]] = [:]
    /// Per layer, its first end-to-end divergence (the earliest t).
    private var firstByLayer: [String: Divergence] = [:]
    /// Per (layer, t), the first end-to-end mismatch that is not itself an origin, described as
    /// an origin would be (what the attribution reports when no origin explains it).
    private var firstNonOrigin: [String: MismatchOrigin] = [:]
    /// TSBN-LIF fold checks: the stateful probe neurons and the checks per layer, in unit order.
    private var probes: [String: LIFUnit] = [:]
    private var localChecks: [String: [LocalSpikeCheck]] = [:]
    private var checkedTSBNLIFs: [String] = []
    private var laps: [(phase: String, seconds: Double)] = []
    private var nextT = 0

    /// - Parameters:
    ///   - unfused: the trained model, after its run (`unfused.input` is what both twins ran on).
    ///   - deploy: its deploy twin.
    ///   - fold: the fold the deploy twin was built with (reported).
    ///   - steps: timesteps to compare (default: all T).
    /// - Throws: `EquivalenceError.notRecorded` when the unfused model has no input.
    public init(unfused: Network, deploy: Network, fold: ThresholdFoldMode, steps: Int? = nil) throws {
        guard let input = unfused.input else { throw EquivalenceError.notRecorded(layer: "input") }
        self.unfused = unfused
        self.deploy = deploy
        self.fold = fold
        self.input = input
        self.steps = min(steps ?? unfused.config.timesteps, unfused.config.timesteps)
        tsbnLIFs = Set(unfused.lifUnits.filter { if case .tsbnMem = $0.kind { return true } else { return false } }.map(\.path))
        origins = LocalOriginCheck(unfused: unfused, steps: self.steps)
    }

    /// Checks timestep t (the next one: 0, 1, … in order).
    /// - Parameters:
    ///   - recU: the unfused twin's recording holding timestep t (spikes, X, H, Ĥ of every LIF,
    ///     unit outputs).
    ///   - recD: the deploy twin's recording (its spikes at t).
    /// - Throws: `EquivalenceError` for a recording that is missing or does not fit; the deploy
    ///   model's errors.
    public func add(t: Int, unfused recU: Recorder, deploy recD: Recorder) throws {
        precondition(t == nextT && t < steps, "EquivalenceStream: timestep \(t) added out of order (expected \(nextT) < \(steps))")
        nextT += 1
        var clock = PhaseClock()
        compareEndToEnd(t: t, recU, recD)
        clock.lap("end-to-end spike comparison")
        try checkTSBNLIFs(t: t, recU)
        clock.lap("TSBN-LIF fold checks")
        // The deploy units fed the unfused spikes: local origins of every spiking layer and the
        // real-valued folds (conv + norm, RepDW5) on the unfused layers' exact inputs.
        let before = origins.origins.count
        origins.hold(recU)
        try deploy.runLocalOriginCheck(origins, input: input, t: t)
        describeUnexplained(t: t, newOrigins: before..<origins.origins.count)
        clock.lap("local origins of every spiking layer + real-valued folds")
        for lap in clock.laps {
            if let i = laps.firstIndex(where: { $0.phase == lap.phase }) { laps[i].seconds += lap.seconds } else { laps.append(lap) }
        }
    }

    /// The report over the timesteps added.
    /// - Parameters: the two twins' logits `[B, classes]` over those timesteps.
    public func finish(unfusedLogits logitsU: Tensor, deployLogits logitsD: Tensor) -> EquivalenceReport {
        var clock = PhaseClock()
        var first: Divergence?
        for path in layerOrder { if let d = firstByLayer[path] { first = d; break } }
        var e2e: [EndToEndLayer] = []
        var propagated = 0
        for path in layerOrder {
            let per = perTimestep[path] ?? []
            e2e.append(EndToEndLayer(path: path, isTSBNLIF: tsbnLIFs.contains(path), perTimestep: per))
            for (t, m) in per.enumerated() where !(first?.layer == path && first?.t == t) { propagated += m.mismatches }
        }
        let lm = Equivalence.compareReal(path: "logits", logitsD, logitsU)
        let real = deploy.convUnits.map(\.path).compactMap { origins.realChecks[$0] }
        let described = firstNonOrigin
        let summary = EquivalenceSummary.attribute(origins: origins.origins, originIndices: origins.originIndices,
                                                   layerOrder: layerOrder, e2eMismatches: sites, steps: steps,
                                                   realFoldFaults: real.filter { !$0.withinTolerance }.map(\.path),
                                                   logitsMaxAbs: lm.maxAbs,
                                                   locate: { path, t, i in
                                                       described["\(path)#\(t)"]
                                                           ?? MismatchOrigin(kind: .structural, path: path, t: t, sample: 0, channel: 0,
                                                                             position: i, margin: .nan, bound: .nan)
                                                   })
        clock.lap("attribution")
        return EquivalenceReport(fold: fold, localSpikes: checkedTSBNLIFs.flatMap { localChecks[$0] ?? [] }, localReal: real,
                                 endToEnd: e2e, firstDivergence: first, propagated: propagated, logitsMaxAbs: lm.maxAbs,
                                 logitsMaxRel: lm.maxRel, logitsRefMaxAbs: lm.refMaxAbs, riskyChannels: riskyChannels(),
                                 summary: summary, timings: laps + clock.laps)
    }

    // MARK: the checks of one timestep

    /// Spikes of the two twins at t, layer by layer; the unfused margin classifies each mismatch.
    private func compareEndToEnd(t: Int, _ recU: Recorder, _ recD: Recorder) {
        for path in recU.lifOrder {
            guard let ru = recU.lifs[path], let rd = recD.lifs[path] else { continue }
            if perTimestep[path] == nil { layerOrder.append(path) }
            let base = ru.offset(at: t)
            let compared = ru.hHat ?? ru.h
            var m = MismatchCount()
            var here: [Int] = []
            // Bit-packed spikes: only the words that differ are looked into.
            for local in ru.spikeDifferences(from: rd, at: t) {
                here.append(local)
                let margin = compared[base + local] - ru.vThreshold
                let r = MismatchCount.isRounding(margin: margin, vThreshold: ru.vThreshold)
                m.mismatches += 1
                if r { m.rounding += 1 } else { m.structural += 1 }
                if firstByLayer[path] == nil {
                    let perSample = ru.shape.product
                    let spatial = ru.shape.dropFirst().product
                    let within = local % perSample
                    firstByLayer[path] = Divergence(layer: path, t: t, sample: local / perSample, channel: within / max(spatial, 1),
                                                    position: within % max(spatial, 1), isRounding: r, unfusedMargin: margin)
                }
            }
            perTimestep[path, default: []].append(m)
            sites[path, default: []].append(here)
        }
    }

    /// The local fold checks of every TSBN-LIF at t (SPEC R9): stateless (the deploy comparator
    /// on the unfused raw H) and stateful (a deploy neuron with its own membrane fed the unfused X).
    private func checkTSBNLIFs(t: Int, _ recU: Recorder) throws {
        for uLIF in unfused.lifUnits {
            guard case .tsbnMem = uLIF.kind, let ru = recU.lifs[uLIF.path],
                  let dLIF = deploy.lifUnits.first(where: { $0.path == uLIF.path }),
                  case let .folded(theta, sign, fireConst) = dLIF.kind else { continue }
            let c = uLIF.channels, s = uLIF.spatial, b = ru.batch, n = ru.perStep, base = ru.offset(at: t)
            let probe: LIFUnit
            if let p = probes[uLIF.path] {
                probe = p
            } else {
                probe = LIFUnit(path: uLIF.path, parameters: uLIF.parameters, kind: dLIF.kind, shape: uLIF.shape)
                probes[uLIF.path] = probe
                checkedTSBNLIFs.append(uLIF.path)
            }
            let ctx = RunContext(mode: .eval, recorder: nil, t0: t, steps: 1, batch: b, timesteps: unfused.config.timesteps)
            let x = Tensor(shape: [1, b] + ru.shape, storage: Array(ru.x[base..<(base + n)]))
            let statefulSpikes = try probe.forward(x, ctx)
            let compared = ru.hHat ?? ru.h
            let spikesU = ru.spikes(at: t)
            var sl = MismatchCount(), sf = MismatchCount()
            for bb in 0..<b {
                for ch in 0..<c {
                    let k = t * c + ch
                    for j in 0..<s {
                        let i = (bb * c + ch) * s + j
                        let margin = compared[base + i] - ru.vThreshold
                        let r = MismatchCount.isRounding(margin: margin, vThreshold: ru.vThreshold)
                        let stateless = ThresholdFold.fires(h: ru.h[base + i], theta: theta[k], sign: sign[k], fireConst: fireConst[k])
                        if stateless != spikesU[i] {
                            sl.mismatches += 1
                            if r { sl.rounding += 1 } else { sl.structural += 1 }
                        }
                        if statefulSpikes.storage[i] != spikesU[i] {
                            sf.mismatches += 1
                            if r { sf.rounding += 1 } else { sf.structural += 1 }
                        }
                    }
                }
            }
            localChecks[uLIF.path, default: []].append(LocalSpikeCheck(path: uLIF.path, t: t, stateless: sl, stateful: sf))
        }
    }

    /// For every layer with end-to-end mismatches at t, describes the first one that is not an
    /// origin site (while the recording still holds t): the attribution reports the first such
    /// mismatch no origin explains.
    private func describeUnexplained(t: Int, newOrigins: Range<Int>) {
        var originSites: [String: Set<Int>] = [:]
        for k in newOrigins { originSites[origins.origins[k].path, default: []].insert(origins.originIndices[k]) }
        for path in layerOrder {
            guard let here = sites[path]?.last, !here.isEmpty else { continue }
            let own = originSites[path] ?? []
            if let i = here.first(where: { !own.contains($0) }) { firstNonOrigin["\(path)#\(t)"] = origins.describe(path: path, t: t, flat: i) }
        }
    }

    /// TSBN_mem channels where the `paper` fold is at risk (γ ≤ 0, σ² within 10× of ε), over all T,
    /// for the TSBN-LIFs checked.
    private func riskyChannels() -> [RiskyChannel] {
        var risky: [RiskyChannel] = []
        for uLIF in unfused.lifUnits where checkedTSBNLIFs.contains(uLIF.path) {
            guard case let .tsbnMem(tsbn) = uLIF.kind else { continue }
            for t in 0..<unfused.config.timesteps {
                for ch in 0..<uLIF.channels {
                    let k = t * uLIF.channels + ch
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
        return risky
    }
}
