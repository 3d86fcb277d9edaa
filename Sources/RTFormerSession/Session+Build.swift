import RTFormer

/// A real layer-by-layer build (issue 14 point 4): `build` starts from the input with no layer
/// built; each `build next` adds the next layer (a conv or linear together with its norm) to
/// both twins and computes it for the timesteps computed so far, and the cursor moves to it;
/// `build <path>` builds up to a layer and `build all` completes the model.
///
/// The twins run only the built prefix (`Network.setBuildPrefix`); each extension restarts them
/// from the input and recomputes the prefix for the computed timesteps, so a step costs one
/// forward of the prefix (a whole walk of L layers costs at most L full forwards). The built
/// layers' recordings are bit-identical to the full forward's (`expect build.mismatches == 0`).
extension Session {
    /// Paths of the built layers of the unfused model, nil when the whole model is built.
    var builtPathSet: Set<String>? {
        guard let builtLayers, let unfused else { return nil }
        return Set(unfused.layers.prefix(builtLayers).map(\.path))
    }

    /// Whether a layer-by-layer build is under way (some layers not built yet).
    public var isBuilding: Bool { builtLayers.map { $0 < (unfused?.layers.count ?? 0) } ?? false }

    /// Throws `buildIncomplete` during a layer-by-layer build (views over the whole model).
    func requireWholeModel(_ what: String) throws {
        if isBuilding, let unfused { throw SessionError.buildIncomplete(what: what, built: builtLayers ?? 0, total: unfused.layers.count) }
    }

    /// Whether row `index` of the layer table is built (always, outside a build).
    public func isBuilt(layerIndex index: Int) -> Bool { builtLayers.map { index < $0 } ?? true }

    func buildCommand(_ amount: BuildAmount) throws -> String {
        guard let unfused else { throw SessionError.noModel }
        let layers = unfused.layers
        let before = builtLayers
        switch amount {
        case .start:
            builtLayers = 0
        case .next:
            let from = builtLayers ?? 0
            guard from < layers.count else { return "all \(layers.count) layers built (\(Fmt.int(unfused.parameterCount)) parameters)" }
            builtLayers = nextBuildEnd(after: from)
        case .all:
            builtLayers = layers.count
        case let .upTo(path):
            let i = try Self.findLayer(path, in: layers)
            builtLayers = nextBuildEnd(after: i)
        }
        try applyBuild()
        let now = builtLayers ?? layers.count
        if now > 0, !(amount == .all && before == nil) {
            // Panes follow the newest layer: the last one added that is not a norm.
            let companions = unfused.companionLayerPaths
            cursor.layerIndex = (0..<now).last { !companions.contains(layers[$0].path) } ?? now - 1
            clampBuildCursor()
        }
        var lines: [String] = []
        if amount == .start {
            lines.append("build started: the input \(encodedInput.map { Fmt.shape(Array($0.shape.dropFirst(2))) } ?? "(none yet)"); "
                         + "`build next` adds the next layer (0 of \(layers.count) built)")
        } else if amount == .next, now < layers.count {
            // One line (the TUI's `b` shows it in the message row): the layer(s) added, their
            // shape and, for a neuron, its firing rate at t.
            let added = ((before ?? 0)..<now).map { i -> String in
                let l = layers[i]
                var s = "\(i) \(l.path) \(l.kind) \(Fmt.shape(l.outputShape))"
                if encodedInput != nil, l.isNeuron, let r = try? rate(of: l, at: cursor.t, in: unfusedRecorder) {
                    s += String(format: " rate@t%d %.4f", cursor.t, r)
                }
                return s
            }
            return "built \(now)/\(layers.count): " + added.joined(separator: " + ")
        } else {
            let from = before ?? 0
            if now > from, before != nil || amount != .all {
                for i in from..<now { lines.append(row(i, layers[i])) }
            }
        }
        if now == layers.count {
            builtLayers = nil
            lines.append("built \(layers.count) layers, \(Fmt.int(unfused.parameterCount)) parameters: the whole model")
        } else if amount != .start {
            lines.append("built \(now) of \(layers.count) layers")
        }
        if encodedInput != nil { lines.append(statusLine()) }
        return lines.joined(separator: "\n")
    }

    /// One built layer: index, path, kind, shape, parameters, FL, and — computed — its firing rate at t.
    private func row(_ i: Int, _ l: LayerInfo) -> String {
        var s = String(format: "%3d  ", i) + Fmt.pad(l.path, 34) + "  " + Fmt.pad(l.kind.description, 28) + "  "
            + Fmt.pad(Fmt.shape(l.outputShape), 14) + "  params " + Fmt.pad(Fmt.int(l.parameterCount), 7, right: true)
            + "  FL " + Fmt.int(l.flPerTimestep)
        if encodedInput != nil, l.isNeuron, let r = try? rate(of: l, at: cursor.t, in: unfusedRecorder) {
            s += String(format: "  rate@t%d %.4f", cursor.t, r)
        }
        return s
    }

    /// The layer count after adding the layer at `index` and the norm(s) computed with it.
    private func nextBuildEnd(after index: Int) -> Int {
        guard let unfused else { return index + 1 }
        let companions = unfused.companionLayerPaths
        var end = index + 1
        while end < unfused.layers.count, companions.contains(unfused.layers[end].path) { end += 1 }
        return end
    }

    /// Gives both twins the built prefix and recomputes it for the computed timesteps (cursor t kept).
    private func applyBuild() throws {
        guard let unfused else { return }
        let paths = builtPathSet.flatMap { $0.count == unfused.layers.count ? nil : $0 }
        unfused.setBuildPrefix(paths)
        deploy?.setBuildPrefix(paths)
        guard encodedInput != nil else { return }
        let steps = max(1, computedSteps), t = cursor.t
        try run.restart(through: steps)
        cursor.t = min(t, steps - 1)
    }

    private func clampBuildCursor() {
        guard let l = selectedLayer else { return }
        let lay = layout(of: l)
        cursor.channel = min(cursor.channel, max(0, lay.channels - 1))
        cursor.position = min(cursor.position, max(0, lay.positions - 1))
    }

    /// `built`, `shape`, `build.mismatches`.
    func buildValue(_ q: Query) throws -> QueryValue {
        guard let unfused else { throw SessionError.noModel }
        switch q {
        case .built: return .number(Double(builtLayers ?? unfused.layers.count))
        case .shape:
            guard let l = selectedLayer else { throw SessionError.noModel }
            return .text("[" + l.outputShape.map(String.init).joined(separator: ",") + "]")
        default: return .number(Double(try buildMismatches()))
        }
    }

    /// Values recorded for the built LIF layers (S, H, V, and Ĥ where kept) over the computed
    /// timesteps that differ from a full forward of the same input from rest (bitwise). The
    /// full forward runs on the unfused model with its own recorder; the session's recordings
    /// are then recomputed as they were. Eval mode only (a train-mode pass would update the
    /// running statistics).
    func buildMismatches() throws -> Int {
        guard let unfused else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
        guard unfused.mode == .eval else {
            throw SessionError.badExpectation(expectation: "build.mismatches", reason: "compares eval-mode forwards: `mode eval` first")
        }
        let steps = computedSteps
        let full = try run.wholeUnfusedRecording(restoringPrefix: builtPathSet.flatMap { $0.count == unfused.layers.count ? nil : $0 })
        var mismatches = 0
        for path in unfusedRecorder.lifOrder {
            guard let a = unfusedRecorder.lifs[path] else { continue }
            guard let b = full.lifs[path] else { mismatches += a.perStep * steps; continue }
            let n = a.perStep * steps
            for (x, y) in [(a.spikes, b.spikes), (a.h, b.h), (a.v, b.v), (a.hHat ?? [], b.hHat ?? [])] where x.count >= n && y.count >= n {
                for i in 0..<n where x[i].bitPattern != y[i].bitPattern { mismatches += 1 }
            }
        }
        return mismatches
    }
}
