#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// Process-wide guard that puts the terminal back (`endwin`) however the process ends: on
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT (restore, then re-raise the signal with its default action,
/// so the exit status is 128 + signal) and at `exit` (an `atexit` hook).
///
/// The state is global because signal handlers and `atexit` hooks are C function pointers that
/// cannot capture anything. It is written only from the thread that owns the terminal, before
/// handlers can observe it, and read in the handlers; hence `nonisolated(unsafe)`.
enum TerminalGuard {
    nonisolated(unsafe) private static var active = false
    nonisolated(unsafe) private static var atexitInstalled = false

    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Installs the handlers. Call before `newterm`: ncurses installs its own SIGINT/SIGTERM
    /// handlers (which exit with status 1) only where the disposition is still the default.
    static func arm() {
        active = true
        for s in signals { signal(s, handleSignal) }
        if !atexitInstalled {
            atexitInstalled = true
            atexit(restoreAtExit)
        }
    }

    /// Marks the terminal restored and gives the signals their default actions back.
    static func disarm() {
        active = false
        for s in signals { signal(s, SIG_DFL) }
    }

    static var isActive: Bool { active }
}

private func handleSignal(_ signalNumber: Int32) {
    // endwin is not formally async-signal-safe, but it only writes the reset sequences and
    // restores tty modes; leaving the user's terminal in raw mode on the alternate screen is worse.
    if TerminalGuard.isActive {
        endwin()
    }
    signal(signalNumber, SIG_DFL)
    raise(signalNumber)
}

private func restoreAtExit() {
    if TerminalGuard.isActive {
        curs_set(1)
        endwin()
        TerminalGuard.disarm()
    }
}
