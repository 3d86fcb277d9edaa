import Foundation
import RTFormer

/// Prints `WorkProgress` on standard error: on a terminal, one line rewritten in place (cleared by
/// `clear()` before the command's own output); otherwise a phase is printed only once it has
/// taken longer than `quietSeconds`, one line each (logs stay short for fast work).
final class ProgressPrinter {
    private let live = isatty(STDERR_FILENO) != 0
    private let quietSeconds: Double
    private var phase = ""
    private var phaseStart = Date()
    private var printed = false
    private var lastDraw = Date.distantPast
    private var onScreen = false
    private let start = Date()

    init(quietSeconds: Double = 2) { self.quietSeconds = quietSeconds }

    /// The handler to give the engine or the session.
    var handler: ProgressHandler { { [self] p in self.report(p) } }

    func report(_ p: WorkProgress) {
        let now = Date()
        if p.phase != phase {
            phase = p.phase
            phaseStart = now
            printed = false
        }
        let line = p.line + String(format: " · %.1f s", now.timeIntervalSince(start))
        if live {
            // At most ~20 redraws a second.
            guard now.timeIntervalSince(lastDraw) > 0.05 || p.done == p.total else { return }
            lastDraw = now
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            onScreen = true
        } else if !printed && now.timeIntervalSince(phaseStart) >= quietSeconds {
            FileHandle.standardError.write(Data((line + "\n").utf8))
            printed = true
        }
    }

    /// Clears the live line (before the command prints its result).
    func clear() {
        guard onScreen else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        onScreen = false
    }
}
