import RTFormer

/// What a cached diff was computed from: it is reused while none of these change.
struct DiffCacheKey: Equatable {
    var unfused: ObjectIdentifier
    var deploy: ObjectIdentifier
    var computedStepCount: Int
    var computedSteps: Int
    var fold: ThresholdFoldMode
    var mode: ForwardMode
}

extension Session {
    /// The diff pane: deploy twin vs unfused model over the computed timesteps (SPEC decision 6,
    /// R9) with the verdict and its attribution chain (issue 11, `EquivalenceSummary`).
    ///
    /// Built from the engine's `Equivalence.compare` on the session's two recordings, limited to
    /// the timesteps computed so far; the result is cached until the models, the fold or the
    /// computed timesteps change (the status bar asks for the verdict on every frame).
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`, and the engine's errors.
    public func diffView() throws -> DiffView {
        guard let unfused else { throw SessionError.noModel }
        try requireWholeModel("the deploy-vs-unfused check")
        guard encodedInput != nil, let logitsU = unfused.logits else { throw SessionError.noInput }
        let deploy = try requireDeploy()
        guard let logitsD = deploy.logits else { throw SessionError.noInput }
        let key = DiffCacheKey(unfused: ObjectIdentifier(unfused), deploy: ObjectIdentifier(deploy), computedStepCount: computedStepCount,
                               computedSteps: computedSteps, fold: fold, mode: unfused.mode)
        if let diffCache, diffCache.key == key { return diffCache.view }
        let steps = computedSteps
        // The check reads every layer's real values, one timestep at a time: the session's own
        // recording when it keeps everything, else a replay that holds one timestep.
        let stream = try EquivalenceStream(unfused: unfused, deploy: deploy, fold: fold, steps: steps)
        try run.eachUnfusedTimestep("comparing the deploy twin with the unfused model over \(steps) timestep(s)") { t, recU in
            try stream.add(t: t, unfused: recU, deploy: deployRecorder)
        }
        let report = stream.finish(unfusedLogits: logitsU, deployLogits: logitsD)
        var rows: [DiffRow] = []
        var e2e = MismatchCount(), stateful = MismatchCount(), stateless = MismatchCount()
        for layer in report.endToEnd {
            let perT = Array(layer.perTimestep.prefix(steps))
            let total = perT.reduce(MismatchCount()) { sum($0, $1) }
            e2e = sum(e2e, total)
            let mine = report.localSpikes.filter { $0.path == layer.path }
            var row = DiffRow(path: layer.path, isTSBNLIF: layer.isTSBNLIF, e2ePerT: perT, e2e: total, local: nil, localStateless: nil)
            if !mine.isEmpty {
                row.local = mine.map(\.stateful).reduce(MismatchCount()) { sum($0, $1) }
                row.localStateless = mine.map(\.stateless).reduce(MismatchCount()) { sum($0, $1) }
                stateful = sum(stateful, row.local!)
                stateless = sum(stateless, row.localStateless!)
            }
            row.origins = report.summary.origins.filter { $0.path == layer.path }.count
            rows.append(row)
        }
        let view = DiffView(fold: fold, computedSteps: steps, rows: rows, e2e: e2e, local: stateful, localStateless: stateless,
                            firstDivergence: report.firstDivergence.flatMap { $0.t < steps ? $0 : nil }, propagated: report.propagated,
                            localReal: report.localReal, riskyChannels: report.riskyChannels,
                            logitsMaxAbs: report.logitsMaxAbs, logitsMaxRel: report.logitsMaxRel, summary: report.summary)
        diffCache = (key, view)
        return view
    }

    /// The verdict over the computed timesteps, or nil when there is nothing to compare (no
    /// model, input or deploy twin).
    public var verdict: EquivalenceVerdict? { (try? diffView())?.summary.verdict }

    /// The verdict if the diff of the current state is already computed (costs nothing), else nil.
    public var cachedVerdict: EquivalenceVerdict? {
        guard let diffCache, let unfused, let deploy else { return nil }
        let key = DiffCacheKey(unfused: ObjectIdentifier(unfused), deploy: ObjectIdentifier(deploy), computedStepCount: computedStepCount,
                               computedSteps: computedSteps, fold: fold, mode: unfused.mode)
        return diffCache.key == key ? diffCache.view.summary.verdict : nil
    }

    /// The origin `origin` moves to: the first structural one if any, else the first.
    public func jumpTarget() throws -> MismatchOrigin? {
        let s = try diffView().summary
        return s.firstStructural ?? s.firstOrigin
    }

    /// `diff float64`: both twins recomputed in Float64 over the computed timesteps of the
    /// current input (`DoubleCheck`), and whether the Float32 origins disappear.
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`; `DoubleCheck.Failure` (spikformer family).
    func float64Check() throws -> String {
        let view = try diffView()
        guard let unfused, let encodedInput else { throw SessionError.noInput }
        let d = try DoubleCheck.run(unfused: unfused, fold: fold, input: encodedInput, origins: view.summary.origins, steps: computedSteps)
        let confirmed = d.confirmed(view.summary.verdict)
        return "verdict (float32): " + view.summary.sentence + "\n" + d.sentence
            + (confirmed.reason.map { "\nverdict with float64: \(confirmed.verdict.rawValue): \($0)" } ?? "")
    }

    /// `origin`: moves the cursor to the layer, t, channel and neuron of the first structural
    /// origin (else the first rounding one), as the commands `layer`, `goto`, `neuron`/`token` do.
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`; the cursor commands' errors.
    func jumpToOrigin() throws -> String {
        guard let o = try jumpTarget() else { return "no mismatch origin in \(computedSteps) computed timestep(s): nothing to jump to" }
        _ = try execute(.layer(.path(o.path)))
        _ = try execute(.goto(o.t))
        guard let l = selectedLayer else { throw SessionError.noModel }
        let lay = layout(of: l)
        if lay.isTokenMajor {
            _ = try execute(.channel(o.channel))
            _ = try execute(.token(o.position))
        } else {
            _ = try execute(.neuron(channel: o.channel, y: o.position / max(lay.columns, 1), x: o.position % max(lay.columns, 1)))
        }
        return "\(o.kind.rawValue) origin: \(o.site)" + String(format: ", margin %.3g (bound %.3g)", o.margin, o.bound)
            + (o.cause.map { " — \($0)" } ?? "")
    }
}

private func sum(_ a: MismatchCount, _ b: MismatchCount) -> MismatchCount {
    MismatchCount(mismatches: a.mismatches + b.mismatches, rounding: a.rounding + b.rounding, structural: a.structural + b.structural)
}
