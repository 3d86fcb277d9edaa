/// Progress of long work (model build, calibration, a timestep of a large model, a replay, the
/// equivalence check, a benchmark): what is being done and how far it is. The engine and the
/// session report it through a `ProgressHandler`; the CLI prints it on standard error, the
/// explorer draws it, tests ignore it.
public struct WorkProgress: Sendable, Equatable {
    /// What is being done, e.g. `calibrating S-T-8-768 on 10 samples`, `computing t 0`.
    public var phase: String
    /// Units done so far (0 when just started) of `total` (0: unknown, an indeterminate phase).
    public var done: Int
    public var total: Int

    public init(_ phase: String, done: Int = 0, total: Int = 0) {
        self.phase = phase
        self.done = done
        self.total = total
    }

    /// One line: `phase`, or `phase (done/total)`.
    public var line: String { total > 0 ? "\(phase) (\(done)/\(total))" : phase + " …" }
}

/// Receives `WorkProgress` reports (on the thread doing the work).
public typealias ProgressHandler = (WorkProgress) -> Void
