import RTFormer

extension Session {
    /// The diff pane: deploy twin vs unfused model over the computed timesteps (SPEC decision 6, R9).
    ///
    /// Built from the engine's `Equivalence.compare` on the session's two recordings; per-t
    /// entries are limited to the timesteps computed so far (later ones hold no data yet).
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`, and the engine's errors.
    public func diffView() throws -> DiffView {
        guard let unfused else { throw SessionError.noModel }
        guard encodedInput != nil, let logitsU = unfused.logits else { throw SessionError.noInput }
        guard let deploy, let logitsD = deploy.logits else { throw SessionError.noDeployTwin(reason: deployUnavailableReason ?? "") }
        let steps = computedSteps
        let report = try Equivalence.compare(unfused: unfused, unfusedRecorder: unfusedRecorder, unfusedLogits: logitsU,
                                             deploy: deploy, deployRecorder: deployRecorder, deployLogits: logitsD, fold: fold)
        let local = report.localSpikes.filter { $0.t < steps }
        var rows: [DiffRow] = []
        var e2e = MismatchCount(), stateful = MismatchCount(), stateless = MismatchCount()
        for layer in report.endToEnd {
            let perT = Array(layer.perTimestep.prefix(steps))
            let total = perT.reduce(MismatchCount()) { sum($0, $1) }
            e2e = sum(e2e, total)
            let mine = local.filter { $0.path == layer.path }
            var row = DiffRow(path: layer.path, isTSBNLIF: layer.isTSBNLIF, e2ePerT: perT, e2e: total, local: nil, localStateless: nil)
            if !mine.isEmpty {
                row.local = mine.map(\.stateful).reduce(MismatchCount()) { sum($0, $1) }
                row.localStateless = mine.map(\.stateless).reduce(MismatchCount()) { sum($0, $1) }
                stateful = sum(stateful, row.local!)
                stateless = sum(stateless, row.localStateless!)
            }
            rows.append(row)
        }
        return DiffView(fold: fold, computedSteps: steps, rows: rows, e2e: e2e, local: stateful, localStateless: stateless,
                        firstDivergence: report.firstDivergence.flatMap { $0.t < steps ? $0 : nil }, propagated: report.propagated,
                        localReal: report.localReal, riskyChannels: report.riskyChannels,
                        logitsMaxAbs: report.logitsMaxAbs, logitsMaxRel: report.logitsMaxRel)
    }
}

private func sum(_ a: MismatchCount, _ b: MismatchCount) -> MismatchCount {
    MismatchCount(mismatches: a.mismatches + b.mismatches, rounding: a.rounding + b.rounding, structural: a.structural + b.structural)
}
