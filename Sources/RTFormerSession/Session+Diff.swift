import RTFormer

extension Session {
    /// The diff pane: deploy twin vs unfused model over the computed timesteps (SPEC decision 6, R9).
    ///
    /// End to end: each LIF's spikes in the two recordings, mismatches split by the unfused margin
    /// `|Ĥ − V_th| < 1e-5·max(1, |V_th|)` (rounding) or not (structural). Locally, for each unfused
    /// TSBN-LIF: the fold of the session's mode applied to the unfused raw H (stateless) and a deploy
    /// neuron fed the unfused input current X (with its own state).
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`.
    public func diffView() throws -> DiffView {
        guard let unfused, let cfg = config else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
        guard let deploy else { throw SessionError.noDeployTwin(reason: deployUnavailableReason ?? "") }
        let steps = computedSteps
        let u = unfusedRecorder, d = deployRecorder
        var rows: [DiffRow] = []
        var first: Divergence? = nil
        var e2e = MismatchCounts(), local = MismatchCounts(), stateless = MismatchCounts()
        let dict = unfused.currentStateDict()
        for path in u.lifOrder {
            guard let ur = u.lifs[path] else { continue }
            let compared = ur.hHat ?? ur.h
            let band = 1e-5 * max(1, abs(ur.vThreshold))
            func classify(_ other: [Float]) -> [MismatchCounts] {
                let n = ur.perStep
                return (0..<steps).map { t in
                    var m = MismatchCounts()
                    for i in (t * n)..<((t + 1) * n) where other[i] != ur.spikes[i] {
                        if abs(compared[i] - ur.vThreshold) < band { m.rounding += 1 } else { m.structural += 1 }
                    }
                    return m
                }
            }
            var perT = [MismatchCounts](repeating: MismatchCounts(), count: steps)
            if let dr = d.lifs[path] { perT = classify(dr.spikes) }
            if first == nil, let t = perT.firstIndex(where: { $0.mismatches > 0 }) { first = Divergence(layer: path, t: t) }
            let total = perT.reduce(MismatchCounts(), +)
            e2e = e2e + total
            var row = DiffRow(path: path, e2ePerT: perT, e2e: total, local: nil, localStateless: nil)
            if ur.hHat != nil, let w = dict[path + ".tsbn.weight"], let b = dict[path + ".tsbn.bias"],
               let rm = dict[path + ".tsbn.running_mean"], let rv = dict[path + ".tsbn.running_var"] {
                var tsbn = TSBN(timesteps: cfg.timesteps, channels: w.shape[1], window: cfg.tsbnWindow, eps: cfg.tsbnEps)
                tsbn.weight = w.storage; tsbn.bias = b.storage; tsbn.runningMean = rm.storage; tsbn.runningVar = rv.storage
                let fold = ThresholdFold(tsbn: tsbn, vThreshold: ur.vThreshold, mode: self.fold)
                let sl = classify(fold.spikes(stateless: ur.tensor(\.h)).storage).reduce(MismatchCounts(), +)
                let lo = classify(DeployTSBNLIF.multiStep(ur.tensor(\.x), fold: fold).spikes.storage).reduce(MismatchCounts(), +)
                row.localStateless = sl
                row.local = lo
                stateless = stateless + sl
                local = local + lo
            }
            rows.append(row)
        }
        var maxAbs: Float = 0, maxRel: Float = 0
        if let a = unfused.logits, let b = deploy.logits, a.count == b.count {
            for i in 0..<a.count {
                let diff = abs(a.storage[i] - b.storage[i])
                maxAbs = max(maxAbs, diff)
                if abs(a.storage[i]) >= 1e-3 { maxRel = max(maxRel, diff / abs(a.storage[i])) }
            }
        }
        return DiffView(fold: fold, computedSteps: steps, rows: rows, e2e: e2e, local: local, localStateless: stateless,
                        firstDivergence: first, logitsMaxAbs: maxAbs, logitsMaxRel: maxRel)
    }
}
