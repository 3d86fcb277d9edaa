import Foundation
import RTFormer

/// Whether a session has a deploy twin and, when it has none, why (shown when the user asks for it).
public enum DeployAvailability {
    /// The re-parameterized twin (SPEC R14), built from the unfused model.
    case available(Network)
    /// No twin: no model yet, no deploy conversion in this build, or the conversion failed.
    case unavailable(reason: String)

    /// The twin, or nil.
    public var network: Network? {
        if case let .available(net) = self { return net }
        return nil
    }

}

/// The two twins of a session running in lockstep on one input (DESIGN §1, issue 10 point 2):
/// the unfused model and its deploy twin, the encoded input `[T, 1, C, H, W]` both see, the
/// progress (one counter of computed timesteps), and the two recordings with what they watch.
///
/// What the run records (issue 10 point 4): spikes of every LIF, bit-packed; X, H, V (and Ĥ)
/// only for watched layers — all layers when they fit `membraneBudget`, else the selected layer
/// and the few viewed before it (an LRU). A layer the cursor moves to that is not watched gets
/// its membranes by replaying the forward over the computed timesteps (`Network.rerecord`: the
/// same kernels in the same order, so the values are exactly those of the first run). The diff
/// reads every layer's real values one timestep at a time (`eachUnfusedTimestep`: a replay into a
/// recording that holds one timestep); `export dump`, which writes them all, replays into a
/// temporary full recording.
///
/// `Session` owns one and keeps the cursor, view, fold, mode and history; it decides when to
/// start, advance or replay, and this type does the running.
public final class LockstepRun {
    /// Layers viewed most recently whose membranes stay recorded (the selected one included).
    public static let watchedLayerCount = 4

    /// The unfused (trained-form) model.
    public internal(set) var unfused: Network?
    /// The deploy twin, or why there is none.
    public internal(set) var deployAvailability: DeployAvailability = .unavailable(reason: "no model")
    /// The re-parameterized twin (nil when unavailable).
    public var deploy: Network? { deployAvailability.network }
    /// The input as both models see it, `[T, 1, C, H, W]`.
    public internal(set) var encodedInput: Tensor?
    /// What the input is over time: a static image (the encoding conv runs once) or frames.
    public internal(set) var inputKind: InputKind = .frames
    /// Whether the current input started from rest or carried the previous input's neuron state.
    public internal(set) var neuronState: NeuronStateMode = .fresh
    /// Timesteps the unfused model has computed since the session started (tests use it to check
    /// that `back` and `goto` do not recompute).
    public private(set) var computedStepCount = 0
    /// Recording of the unfused model: spikes of every LIF, membranes of the watched ones.
    public let unfusedRecorder = Recorder(watching: [])
    /// Recording of the deploy twin (as the unfused one).
    public let deployRecorder = Recorder(watching: [])
    /// Most bytes the membranes of every layer (both twins) may take for the run to record them
    /// all; above it only the selected layer and the few viewed last are recorded, and a layer the
    /// cursor moves to is recomputed.
    public var membraneBudget = 48 << 20
    /// Neuron layers viewed most recently, most recent first (their membranes stay recorded).
    var recentLayers: [String] = []
    /// The last membrane recomputation: layer and seconds (both twins).
    public internal(set) var lastMembraneRecompute: (path: String, seconds: Double)?
    /// Receives progress of long work (timesteps, replays).
    public var onProgress: ProgressHandler?

    /// An empty run: no model, no input.
    public init() {}

    /// Timesteps computed so far (0…T).
    public var computedSteps: Int { unfused?.computedSteps ?? 0 }

    /// Bytes held by both recordings.
    public var memoryBytes: Int { unfusedRecorder.bytes + deployRecorder.bytes }

    /// Sends a progress report to `onProgress`, if set.
    func report(_ p: WorkProgress) { onProgress?(p) }

    // MARK: running

    /// Starts both twins on the encoded input without computing a timestep: from rest, or with
    /// every membrane carried over from the previous input (`carry`; the previous input's
    /// remaining timesteps complete first, so the carried state is its final one). The selected
    /// layer is watched from t = 0 when its membranes fit the budget; a larger one (a 224² stem
    /// layer takes hundreds of MiB) is recomputed when a view asks for it.
    /// - Throws: `noModel`, `noInput`, and the forward's errors.
    func start(carry: Bool, selected: LayerInfo?) throws {
        guard let unfused else { throw SessionError.noModel }
        guard let encodedInput else { throw SessionError.noInput }
        if carry {
            try unfused.advance(to: unfused.config.timesteps)
            try deploy?.advance(to: unfused.config.timesteps)
        }
        neuronState = carry ? .carried : neuronState
        if let l = selected, l.isNeuron, membraneBytes(of: l) <= membraneBudget { touchLayer(l.path) }
        try unfused.start(encodedInput, kind: inputKind, recorder: unfusedRecorder, carryState: carry)
        configureRecorders()
        if let deploy { try deploy.start(encodedInput, kind: inputKind, recorder: deployRecorder, carryState: carry) } else { deployRecorder.clear() }
    }

    /// Starts both twins from rest and computes them up to `steps` timesteps again (a changed
    /// build prefix); nothing when there is no model or input.
    func restart(through steps: Int) throws {
        guard let unfused, let encodedInput else { return }
        try unfused.start(encodedInput, kind: inputKind, recorder: unfusedRecorder)
        if let deploy { try deploy.start(encodedInput, kind: inputKind, recorder: deployRecorder) }
        try advance(to: steps)
    }

    /// Reruns a rebuilt deploy twin from rest up to the unfused model's computed timesteps.
    func rerunDeploy() throws {
        guard let deploy, let encodedInput else { return }
        let steps = computedSteps
        try deploy.start(encodedInput, kind: inputKind, recorder: deployRecorder)
        try deploy.advance(to: steps)
    }

    /// Computes both twins up to `end` timesteps (capped at T), one timestep at a time
    /// (bit-identical to a chunk), reporting each.
    /// - Throws: `noModel`, `noInput`, and the forward's errors.
    func advance(to end: Int) throws {
        guard let unfused else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
        let before = unfused.computedSteps
        let last = min(end, unfused.config.timesteps)
        for t in stride(from: before, to: last, by: 1) {
            report(WorkProgress("computing t \(t) of \(unfused.config.name)", done: t - before, total: last - before))
            try unfused.advance(to: t + 1)
            try deploy?.advance(to: t + 1)
        }
        computedStepCount += unfused.computedSteps - before
    }

    /// Runs the whole unfused model from rest over the computed timesteps into a fresh full
    /// recording (returned), then recomputes the run's own unfused recording as it was, with
    /// `prefix` built (a layer-by-layer build's layers; nil: all). The deploy twin is untouched.
    /// - Throws: `noModel`, `noInput`, and the forward's errors.
    func wholeUnfusedRecording(restoringPrefix prefix: Set<String>?) throws -> Recorder {
        guard let unfused else { throw SessionError.noModel }
        guard let encodedInput else { throw SessionError.noInput }
        let steps = computedSteps
        let full = Recorder(level: .full)
        unfused.setBuildPrefix(nil)
        try unfused.start(encodedInput, kind: inputKind, recorder: full)
        try unfused.advance(to: steps)
        unfused.setBuildPrefix(prefix)
        try unfused.start(encodedInput, kind: inputKind, recorder: unfusedRecorder)
        try unfused.advance(to: steps)
        return full
    }

    /// Forgets the input and both recordings.
    func dropInput() {
        encodedInput = nil
        inputKind = .frames
        unfusedRecorder.clear()
        deployRecorder.clear()
    }

    // MARK: recording

    /// Bytes the membranes of every LIF of both twins take for the current model (X, H, V, and Ĥ
    /// for TSBN-LIFs, 4 bytes each, over T), plus the conv/norm unit outputs: what recording
    /// everything costs (`export dump`'s temporary recording allocates about half: one twin).
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
        layer.outputShape.product * (unfused?.config.timesteps ?? 0) * 4 * 4 * (deploy == nil ? 1 : 2)
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

    /// Sets what both recorders keep (`start`).
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

    /// Calls `body` for every computed timestep t of the unfused model, in order, with a recording
    /// holding t (spikes, X, H, Ĥ of every LIF): the run's own recording when it keeps everything
    /// (with its unit outputs), else an exact replay into a recording of one timestep at a time
    /// (the check then recomputes the unit outputs it compares), so the equivalence check holds the
    /// real values of one timestep, never the whole run's.
    /// - Throws: `noModel`, `noInput`; the replay's and `body`'s errors.
    func eachUnfusedTimestep(_ phase: String, _ body: (Int, Recorder) throws -> Void) throws {
        guard let unfused else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
        let steps = unfused.computedSteps
        if unfusedRecorder.watched == nil {
            for t in 0..<steps { try body(t, unfusedRecorder) }
            return
        }
        let held = Recorder.heldTimestepForCheck()
        report(WorkProgress(phase, done: 0, total: steps))
        try withoutActuallyEscaping(body) { body in
            try unfused.replay(into: held) { done, total in
                try body(done - 1, held)
                self.report(WorkProgress(phase, done: done, total: total))
            }
        }
    }

    /// `recorder` itself when it keeps every layer's membranes, else a temporary full recording of
    /// `net`'s computed timesteps, by an exact replay (`export dump`).
    func fullRecording(of net: Network, recorder: Recorder) throws -> Recorder {
        if recorder.watched == nil { return recorder }
        let temp = Recorder()
        let phase = "recording every layer of the \(net.flavour.rawValue) model"
        report(WorkProgress(phase, done: 0, total: net.computedSteps))
        try net.replay(into: temp) { done, total in self.report(WorkProgress(phase, done: done, total: total)) }
        return temp
    }
}
