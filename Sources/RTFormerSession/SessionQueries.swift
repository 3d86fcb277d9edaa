import Foundation
import RTFormer

/// The read-only side of a session: `expect` (a query's current value compared with the
/// script's) and `show` (a pane rendered as text). Nothing here changes state, though a query
/// may compute a view (a diff, a replay of unwatched membranes) that the session then caches.
extension Session {
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

    /// The current value of an `expect` query.
    public func value(of q: Query) -> QueryValue {
        do {
            return try valueThrowing(q)
        } catch {
            return .unavailable("\(error)")
        }
    }

    func valueThrowing(_ q: Query) throws -> QueryValue {
        switch q {
        case .t: return .number(Double(cursor.t))
        case .timesteps:
            guard let c = config else { throw SessionError.noModel }
            return .number(Double(c.timesteps))
        case .layer:
            guard let l = selectedLayer else { throw SessionError.noModel }
            return .text(l.path)
        case .view: return .text(view.rawValue)
        case .fold: return .text(fold.rawValue)
        case .mode: return .text(unfused?.mode.rawValue ?? "eval")
        case .params:
            guard let u = unfused else { throw SessionError.noModel }
            return .number(Double(u.parameterCount))
        case .deployParams:
            return .number(Double(try requireDeploy().parameterCount))
        case .rate:
            guard let l = selectedLayer else { throw SessionError.noModel }
            return .number(try rate(of: l, at: cursor.t, in: primaryRecorder))
        case .rateMean:
            guard let l = selectedLayer else { throw SessionError.noModel }
            var s = 0.0
            for t in 0...cursor.t { s += try rate(of: l, at: t, in: primaryRecorder) }
            return .number(s / Double(cursor.t + 1))
        case .spikes:
            let (_, r) = try selectedLIF(in: primaryRecorder)
            guard cursor.t < computedSteps else { throw SessionError.notComputed(t: cursor.t) }
            return .number(Double(r.spikeCount(at: cursor.t)))
        case .computed: return .number(Double(computedSteps))
        case .channel: return .number(Double(cursor.channel))
        case .diffStructural: return .number(Double(try diffView().e2e.structural))
        case .diffRounding: return .number(Double(try diffView().e2e.rounding))
        case .diffMismatches: return .number(Double(try diffView().e2e.mismatches))
        case .diffLocalStructural: return .number(Double(try diffView().local.structural))
        case .diffLocalRounding: return .number(Double(try diffView().local.rounding))
        case .diffFirstLayer: return .text(try diffView().firstDivergence?.layer ?? "none")
        case .diffFirstT: return try diffView().firstDivergence.map { .number(Double($0.t)) } ?? .text("none")
        case .diffVerdict: return .text(try diffView().summary.verdict.rawValue)
        case .diffRoundingFlips: return .number(Double(try diffView().summary.roundingFlips))
        case .diffStructuralOrigins: return .number(Double(try diffView().summary.structuralOrigins))
        case .diffPropagated: return .number(Double(try diffView().summary.propagated))
        case .diffOriginLayer: return .text(try jumpTarget()?.path ?? "none")
        case .energyMJ: return .number(try energyView().totalMilliJoules)
        case .energyUJ: return .number(try energyView().totalMilliJoules * 1000)
        case .sop: return .number(try energyView().totalSOP)
        case .logitsTop1:
            guard let top = try logitsView().top.first else { throw SessionError.notComputed(t: 0) }
            return .number(Double(top.classIndex))
        case .inputLabel:
            guard let input else { throw SessionError.noInput }
            guard let l = input.label else { return .unavailable("input \(input.name) has no label") }
            return .number(Double(l))
        case .tsbnWindow:
            let v = try tsbnView()
            return .number(Double(v.window.count))
        case .tsbnMean:
            let v = try tsbnView()
            return .number(Double(v.channels[cursor.channel].mean))
        case .tsbnVariance:
            let v = try tsbnView()
            return .number(Double(v.channels[cursor.channel].variance))
        case .tsbnNegativeGamma:
            return .number(Double(try tsbnView().nonPositiveGammaChannels.count))
        case .theta:
            let m = try membraneView(for: view == .deploy ? .deploy : .unfused)
            guard let p = m.trace.first(where: { $0.t == cursor.t }), let th = p.threshold else { throw SessionError.notComputed(t: cursor.t) }
            return .number(Double(th))
        case .membrane:
            let m = try membraneView(for: view == .deploy ? .deploy : .unfused)
            guard let p = m.trace.first(where: { $0.t == cursor.t }), let h = p.h else { throw SessionError.notComputed(t: cursor.t) }
            return .number(Double(h))
        case .memoryBytes: return .number(Double(memoryBytes))
        case .built, .shape, .buildMismatches: return try buildValue(q)
        }
    }

    func show(_ pane: Pane) throws -> String {
        switch pane {
        case .layers: return TextRender.layers(try layerTable())
        case .membrane:
            let models: [ModelFlavour] = view == .split ? [.unfused, .deploy] : [view == .deploy ? .deploy : .unfused]
            return try models.map { TextRender.membrane(try membraneView(for: $0)) + TextRender.pins(try pinnedTraces(for: $0)) }
                .joined(separator: "\n")
        case .tsbn: return TextRender.tsbn(try tsbnView())
        case .rates: return TextRender.rates(try ratesView())
        case .diff: return try TextRender.diff(try diffView(), scope: .both)
        case .energy: return TextRender.energy(try energyView())
        case .logits: return TextRender.logits(try logitsView())
        case .weights: return TextRender.weights(try weightsView())
        case .status: return statusLine()
        case .attention: return try showAttention(head: nil, token: nil)
        case .raster: return TextRender.raster(try rasterView())
        case .input: return TextRender.input(try inputView())
        }
    }
}
