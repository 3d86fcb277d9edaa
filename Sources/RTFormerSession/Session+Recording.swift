import Foundation
import RTFormer

/// What the session records (issue 10 point 4): spikes of every LIF, bit-packed; X, H, V (and
/// Ĥ) only for watched layers — all layers when they fit `membraneBudget`, else the selected
/// layer and the few viewed before it (an LRU). A layer the cursor moves to that is not watched
/// gets its membranes by replaying the forward over the computed timesteps (`Network.rerecord`:
/// the same kernels in the same order, so the values are exactly those of the first run).
/// Whatever needs every layer's real values at once (`diff`, `export dump`) replays into a
/// temporary full recording and keeps only its result.
extension Session {
    /// Layers viewed most recently whose membranes stay recorded (the selected one included).
    static let watchedLayerCount = 4

    /// Bytes the membranes of every LIF of both twins take for the current model (X, H, V, and Ĥ
    /// for TSBN-LIFs, 4 bytes each, over T), plus the conv/norm unit outputs the diff reads: what
    /// recording everything costs, and about what a diff's temporary full recording allocates.
    public var fullRecordingBytes: Int {
        guard let unfused else { return 0 }
        let t = unfused.config.timesteps
        var n = 0
        for l in unfused.layers where l.isNeuron { n += membraneBytes(of: l) }
        for l in unfused.layers where !l.isNeuron && l.parameterCount > 0 { n += l.outputShape.product * t * 4 }
        return n
    }

    /// Bytes the membranes of one neuron layer take in both twins (X, H, V, Ĥ over T, B = 1).
    func membraneBytes(of layer: LayerInfo) -> Int {
        layer.outputShape.product * (config?.timesteps ?? 0) * 4 * 4 * (deploy == nil ? 1 : 2)
    }

    /// Makes `path` the most recently viewed layer; the others stay watched while they fit
    /// `membraneBudget` (at most `watchedLayerCount` layers; the selected one always).
    func touchLayer(_ path: String) {
        recentLayers.removeAll { $0 == path }
        recentLayers.insert(path, at: 0)
        let byPath = Dictionary((unfused?.layers ?? []).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var kept = [path], bytes = byPath[path].map(membraneBytes(of:)) ?? 0
        for p in recentLayers.dropFirst() where kept.count < Self.watchedLayerCount {
            let b = byPath[p].map(membraneBytes(of:)) ?? 0
            guard bytes + b <= membraneBudget else { continue }
            kept.append(p)
            bytes += b
        }
        recentLayers = kept
    }

    /// Whether both recordings keep everything (every layer's membranes, unit outputs): when it
    /// fits the budget, or when the run cannot be replayed (a carried neuron state, train mode).
    var recordsEverything: Bool {
        guard let unfused else { return true }
        return fullRecordingBytes <= membraneBudget || !unfused.canReplay || unfused.mode == .train || neuronState == .carried
    }

    /// Sets what both recorders keep before a run starts (`restartInput`).
    func configureRecorders() {
        if recordsEverything {
            unfusedRecorder.watch(nil)
            deployRecorder.watch(nil)
            unfusedRecorder.recordUnitInputs = true
        } else {
            let watched = Set(recentLayers)
            unfusedRecorder.watch(watched)
            deployRecorder.watch(watched)
            unfusedRecorder.recordUnitInputs = false
        }
    }

    /// Makes `path` the most recently viewed layer and, when the recordings lack its membranes,
    /// recomputes them in both twins (exact replay of the computed timesteps).
    /// - Returns: the seconds the recomputation took, or nil when nothing was recomputed.
    /// - Throws: the forward's errors; `ReplayError` (should not happen: runs that cannot be
    ///   replayed record everything).
    @discardableResult
    func ensureMembranes(_ path: String) throws -> Double? {
        touchLayer(path)
        guard !recordsEverything, let unfused, encodedInput != nil else { return nil }
        let watched = Set(recentLayers)
        unfusedRecorder.watch(watched)
        deployRecorder.watch(watched)
        let start = Date()
        var recomputed = false
        for (net, rec) in [(unfused, unfusedRecorder), (deploy, deployRecorder)] {
            guard let net, rec.lifs[path] != nil, !rec.hasMembranes(path), net.computedSteps > 0 else { continue }
            let steps = net.computedSteps
            report(WorkProgress("recomputing the membranes of \(path) (\(net.flavour.rawValue))", done: 0, total: steps))
            try net.rerecord { done, total in
                self.report(WorkProgress("recomputing the membranes of \(path) (\(net.flavour.rawValue))", done: done, total: total))
            }
            recomputed = true
        }
        guard recomputed else { return nil }
        let seconds = Date().timeIntervalSince(start)
        lastMembraneRecompute = (path, seconds)
        return seconds
    }

    /// `recorder` itself when it keeps everything, else a temporary full recording of `net`'s
    /// computed timesteps (with unit outputs when `unitOutputs`), by an exact replay.
    func fullRecording(of net: Network, recorder: Recorder, unitOutputs: Bool) throws -> Recorder {
        if recorder.watched == nil && (!unitOutputs || recorder.recordUnitInputs) { return recorder }
        let temp = Recorder(recordUnitInputs: unitOutputs)
        let phase = "recording every layer of the \(net.flavour.rawValue) model"
        report(WorkProgress(phase, done: 0, total: net.computedSteps))
        try net.replay(into: temp) { done, total in self.report(WorkProgress(phase, done: done, total: total)) }
        return temp
    }

    /// Sends a progress report to `onProgress`, if set.
    func report(_ p: WorkProgress) { onProgress?(p) }
}
