import Foundation
import RTFormer

/// The read-only side of a session: `expect` (a query's current value compared with the
/// script's) and `show` (a pane rendered as text). Nothing here changes state, though a query
/// may compute a view (a diff, a replay of unwatched membranes) that the session then caches.
/// `Session.execute` hands `expect` and `show` to it; `Session.value(of:)` forwards to it.
struct SessionQueries {
    /// The session queried (a transient value: `Session.queries` makes one per command).
    let session: Session

    /// `expect`: the query's current value compared with the script's.
    /// - Returns: `ok: <expectation> (actual <value>)`.
    /// - Throws: `SessionError.expectationFailed` (the value does not hold), `.badExpectation`
    ///   (a number query compared with a word).
    func check(_ e: Expectation) throws -> String {
        let actual = value(of: e.query)
        let text = "\(e.query.rawValue) \(e.op.rawValue) \(e.value)"
        // A number compared with a word is a mistake in the script, not a failed expectation.
        if case .number = actual, Double(e.value) == nil {
            throw SessionError.badExpectation(expectation: text, reason: "`\(e.query.rawValue)` is a number, `\(e.value)` is not")
        }
        guard e.holds(for: actual) else { throw SessionError.expectationFailed(expectation: text, actual: actual.description) }
        return "ok: \(text) (actual \(actual))"
    }

    /// The current value of an `expect` query; `.unavailable(reason)` when the session cannot give it.
    func value(of q: Query) -> QueryValue {
        do {
            return try valueThrowing(q)
        } catch {
            return .unavailable("\(error)")
        }
    }

    /// The current value of an `expect` query.
    /// - Throws: `SessionError` when the session cannot give it (no model, no input, not computed,
    ///   no deploy twin), or the view's own errors.
    func valueThrowing(_ q: Query) throws -> QueryValue {
        switch q {
        case .t: return .number(Double(session.cursor.t))
        case .timesteps:
            guard let c = session.config else { throw SessionError.noModel }
            return .number(Double(c.timesteps))
        case .layer:
            guard let l = session.selectedLayer else { throw SessionError.noModel }
            return .text(l.path)
        case .view: return .text(session.view.rawValue)
        case .fold: return .text(session.fold.rawValue)
        case .mode: return .text(session.unfused?.mode.rawValue ?? "eval")
        case .params:
            guard let u = session.unfused else { throw SessionError.noModel }
            return .number(Double(u.parameterCount))
        case .deployParams:
            return .number(Double(try session.requireDeploy().parameterCount))
        case .rate:
            guard let l = session.selectedLayer else { throw SessionError.noModel }
            return .number(try session.rate(of: l, at: session.cursor.t, in: session.primaryRecorder))
        case .rateMean:
            guard let l = session.selectedLayer else { throw SessionError.noModel }
            var s = 0.0
            for t in 0...session.cursor.t { s += try session.rate(of: l, at: t, in: session.primaryRecorder) }
            return .number(s / Double(session.cursor.t + 1))
        case .spikes:
            let (_, r) = try session.selectedLIF(in: session.primaryRecorder)
            guard session.cursor.t < session.computedSteps else { throw SessionError.notComputed(t: session.cursor.t) }
            return .number(Double(r.spikeCount(at: session.cursor.t)))
        case .computed: return .number(Double(session.computedSteps))
        case .channel: return .number(Double(session.cursor.channel))
        case .diffStructural: return .number(Double(try session.diffView().e2e.structural))
        case .diffRounding: return .number(Double(try session.diffView().e2e.rounding))
        case .diffMismatches: return .number(Double(try session.diffView().e2e.mismatches))
        case .diffLocalStructural: return .number(Double(try session.diffView().local.structural))
        case .diffLocalRounding: return .number(Double(try session.diffView().local.rounding))
        case .diffFirstLayer: return .text(try session.diffView().firstDivergence?.layer ?? "none")
        case .diffFirstT: return try session.diffView().firstDivergence.map { .number(Double($0.t)) } ?? .text("none")
        case .diffVerdict: return .text(try session.diffView().summary.verdict.rawValue)
        case .diffRoundingFlips: return .number(Double(try session.diffView().summary.roundingFlips))
        case .diffStructuralOrigins: return .number(Double(try session.diffView().summary.structuralOrigins))
        case .diffPropagated: return .number(Double(try session.diffView().summary.propagated))
        case .diffOriginLayer: return .text(try session.jumpTarget()?.path ?? "none")
        case .energyMJ: return .number(try session.energyView().totalMilliJoules)
        case .energyUJ: return .number(try session.energyView().totalMilliJoules * 1000)
        case .sop: return .number(try session.energyView().totalSOP)
        case .logitsTop1:
            guard let top = try session.logitsView().top.first else { throw SessionError.notComputed(t: 0) }
            return .number(Double(top.classIndex))
        case .inputLabel:
            guard let input = session.input else { throw SessionError.noInput }
            guard let l = input.label else { return .unavailable("input \(input.name) has no label") }
            return .number(Double(l))
        case .tsbnWindow:
            let v = try session.tsbnView()
            return .number(Double(v.window.count))
        case .tsbnMean:
            let v = try session.tsbnView()
            return .number(Double(v.channels[session.cursor.channel].mean))
        case .tsbnVariance:
            let v = try session.tsbnView()
            return .number(Double(v.channels[session.cursor.channel].variance))
        case .tsbnNegativeGamma:
            return .number(Double(try session.tsbnView().nonPositiveGammaChannels.count))
        case .theta:
            let m = try session.membraneView(for: session.view == .deploy ? .deploy : .unfused)
            let t = session.cursor.t
            guard let p = m.trace.first(where: { $0.t == t }), let th = p.threshold else { throw SessionError.notComputed(t: t) }
            return .number(Double(th))
        case .membrane:
            let m = try session.membraneView(for: session.view == .deploy ? .deploy : .unfused)
            let t = session.cursor.t
            guard let p = m.trace.first(where: { $0.t == t }), let h = p.h else { throw SessionError.notComputed(t: t) }
            return .number(Double(h))
        case .memoryBytes: return .number(Double(session.memoryBytes))
        case .built, .shape, .buildMismatches: return try session.buildValue(q)
        }
    }

    /// `show`: a pane rendered as text (`TextRender`).
    /// - Throws: `SessionError` when the pane has nothing to show (no model, no input, no deploy twin).
    func show(_ pane: Pane) throws -> String {
        switch pane {
        case .layers: return TextRender.layers(try session.layerTable())
        case .membrane:
            let models: [ModelFlavour] = session.view == .split ? [.unfused, .deploy] : [session.view == .deploy ? .deploy : .unfused]
            return try models.map {
                TextRender.membrane(try session.membraneView(for: $0)) + TextRender.pins(try session.pinnedTraces(for: $0))
            }.joined(separator: "\n")
        case .tsbn: return TextRender.tsbn(try session.tsbnView())
        case .rates: return TextRender.rates(try session.ratesView())
        case .diff: return try TextRender.diff(try session.diffView(), scope: .both)
        case .energy: return TextRender.energy(try session.energyView())
        case .logits: return TextRender.logits(try session.logitsView())
        case .weights: return TextRender.weights(try session.weightsView())
        case .status: return session.statusLine()
        case .attention: return try session.showAttention(head: nil, token: nil)
        case .raster: return TextRender.raster(try session.rasterView())
        case .input: return TextRender.input(try session.inputView())
        }
    }
}

extension Session {
    /// The read-only side of the session (`expect`, `show`).
    var queries: SessionQueries { SessionQueries(session: self) }

    /// The current value of an `expect` query (`SessionQueries.value(of:)`); `.unavailable(reason)`
    /// when the session cannot give it (no model, no input, not computed, no deploy twin).
    public func value(of q: Query) -> QueryValue { queries.value(of: q) }
}
