import Foundation
import RTFormer

/// `step`, `back`, `goto`, `run`, `reset` and the status line. Stepping is causal: `step` and
/// `goto` compute more timesteps (`LockstepRun.advance(to:)`), `back` only moves the cursor.
extension Session {
    var timesteps: Int { config?.timesteps ?? 0 }

    func requireRun() throws {
        guard unfused != nil else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
    }

    func step(_ n: Int) throws -> String {
        try requireRun()
        guard cursor.t < timesteps - 1 else { throw SessionError.lastTimestep(t: cursor.t) }
        // `step 9223372036854775807` is valid input: saturate instead of overflowing.
        let target = min(cursor.t.addingReportingOverflow(n).overflow ? Int.max : cursor.t + n, timesteps - 1)
        try advance(to: target + 1)
        cursor.t = target
        return statusLine()
    }

    func back(_ n: Int) throws -> String {
        try requireRun()
        cursor.t = max(0, cursor.t - n)
        return statusLine()
    }

    func goto(_ t: Int) throws -> String {
        try requireRun()
        guard t < timesteps else { throw SessionError.timestepOutOfRange(t: t, timesteps: timesteps) }
        try advance(to: t + 1)
        cursor.t = t
        return statusLine()
    }

    func runAll() throws -> String {
        try requireRun()
        try advance(to: timesteps)
        cursor.t = timesteps - 1
        var out = statusLine()
        if let l = try? logitsView(), let top = l.top.first {
            out += "\nlogits top-1: \(top.classIndex)" + (top.className.map { " \($0)" } ?? "") + String(format: " (%.4f)", top.logit)
        }
        return out
    }

    func reset() throws -> String {
        try requireRun()
        run.neuronState = .fresh
        return try restartInput()
    }

    /// One line: model, input, t/T, computed, view, fold, layer, memory.
    public func statusLine() -> String {
        guard let cfg = config else { return "no model" }
        var s = "t \(cursor.t)/\(cfg.timesteps) (computed \(computedSteps)) · view \(view.rawValue) · fold \(fold.rawValue)"
        if unfused?.mode == .train { s += " · train" }
        if let l = selectedLayer {
            s += " · \(l.path)"
            if let r = try? rate(of: l, at: cursor.t, in: primaryRecorder) { s += String(format: " rate %.4f", r) }
        }
        s += " · mem " + Fmt.bytes(memoryBytes)
        return s
    }
}
