import Foundation
import RTFormer

/// The session's view of its lockstep run (`LockstepRun`, which does the running and the
/// recording): the properties the TUI, the CLI and the tests read, forwarded.
extension Session {
    /// Layers viewed most recently whose membranes stay recorded (the selected one included).
    static let watchedLayerCount = LockstepRun.watchedLayerCount

    /// The unfused (trained-form) model.
    public var unfused: Network? { run.unfused }
    /// The re-parameterized twin (nil when no `DeployBuilder` is available or the conversion failed).
    public var deploy: Network? { run.deploy }
    /// Whether there is a deploy twin, and why not.
    public var deployAvailability: DeployAvailability { run.deployAvailability }

    /// The deploy twin.
    /// - Throws: `noDeployTwin` with the reason there is none.
    func requireDeploy() throws -> Network {
        switch run.deployAvailability {
        case let .available(net): return net
        case let .unavailable(reason): throw SessionError.noDeployTwin(reason: reason)
        }
    }
    /// The input as both models see it, `[T, 1, C, H, W]`.
    public var encodedInput: Tensor? { run.encodedInput }
    /// Whether the current input started from rest or carried the previous input's neuron state.
    public var neuronState: NeuronStateMode { run.neuronState }
    /// Recording of the unfused model: spikes of every LIF, membranes of the watched ones.
    public var unfusedRecorder: Recorder { run.unfusedRecorder }
    /// Recording of the deploy twin (as the unfused one).
    public var deployRecorder: Recorder { run.deployRecorder }
    /// Timesteps the unfused model has computed since the session started.
    public var computedStepCount: Int { run.computedStepCount }
    /// Timesteps computed so far (0…T).
    public var computedSteps: Int { run.computedSteps }
    /// Bytes held by both recordings.
    public var memoryBytes: Int { run.memoryBytes }
    /// Bytes recording every layer of both twins would take (`LockstepRun.fullRecordingBytes`).
    public var fullRecordingBytes: Int { run.fullRecordingBytes }
    /// Most bytes the membranes of every layer may take to record them all (`LockstepRun.membraneBudget`).
    public var membraneBudget: Int {
        get { run.membraneBudget }
        set { run.membraneBudget = newValue }
    }
    /// The last membrane recomputation: layer and seconds (both twins).
    public var lastMembraneRecompute: (path: String, seconds: Double)? { run.lastMembraneRecompute }
    /// Receives progress of long work (model build, calibration, timesteps, replays, diff).
    public var onProgress: ProgressHandler? {
        get { run.onProgress }
        set { run.onProgress = newValue }
    }

    /// Makes `path` the most recently viewed layer and recomputes its membranes when the
    /// recordings lack them (`LockstepRun.ensureMembranes`).
    /// - Returns: the seconds the recomputation took, or nil when nothing was recomputed.
    @discardableResult
    func ensureMembranes(_ path: String) throws -> Double? { try run.ensureMembranes(path) }

    /// `recorder` itself when it keeps everything, else a temporary full recording of `net`
    /// (`LockstepRun.fullRecording`).
    func fullRecording(of net: Network, recorder: Recorder) throws -> Recorder {
        try run.fullRecording(of: net, recorder: recorder)
    }

    /// Computes both twins up to `end` timesteps (`LockstepRun.advance(to:)`).
    func advance(to end: Int) throws { try run.advance(to: end) }

    /// Sends a progress report to `onProgress`, if set.
    func report(_ p: WorkProgress) { run.report(p) }
}
