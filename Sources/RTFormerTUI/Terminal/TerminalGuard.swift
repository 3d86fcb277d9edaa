#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// Process-wide guard that puts the terminal back (`endwin`) however the process ends: on
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT (restore, then re-raise the signal with its default action,
/// so the exit status is 128 + signal), at `exit` (an `atexit` hook), and on a crash — SIGSEGV,
/// SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP — where an async-signal-safe handler writes the saved
/// tty modes and the escape sequences back before the signal ends the process.
///
/// The state is global because signal handlers and `atexit` hooks are C function pointers that
/// cannot capture anything. It is written only from the thread that owns the terminal, before
/// handlers can observe it, and read in the handlers; hence `nonisolated(unsafe)`.
enum TerminalGuard {
    nonisolated(unsafe) private static var active = false
    nonisolated(unsafe) private static var atexitInstalled = false

    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Signals of a crash (a Swift trap is SIGILL on x86-64, SIGTRAP on arm64; a bad pointer
    /// SIGSEGV/SIGBUS; `abort` SIGABRT; an integer division trap SIGFPE).
    static let trapSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP]
    /// The tty modes before the explorer took the terminal, written back by the trap handler.
    nonisolated(unsafe) static var savedModes = termios()
    nonisolated(unsafe) static var haveSavedModes = false
    /// The escape sequences and the message the trap handler writes, prepared in advance (a
    /// signal handler must not allocate): attributes off, cursor shown, alternate screen left.
    nonisolated(unsafe) static var trapText: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var previousTrapActions: [Int32: sigaction] = [:]

    /// Installs the handlers. Call before `newterm`: ncurses installs its own SIGINT/SIGTERM
    /// handlers (which exit with status 1) only where the disposition is still the default.
    static func arm() {
        haveSavedModes = tcgetattr(STDOUT_FILENO, &savedModes) == 0 || tcgetattr(STDIN_FILENO, &savedModes) == 0
        if trapText == nil {
            let text = Array("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\r\nrtformer: internal error (fatal signal); the terminal was restored\n".utf8)
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
            _ = buffer.initialize(from: text)
            trapText = buffer
        }
        active = true
        for s in signals { signal(s, handleSignal) }
        for s in trapSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handleTrap
            sigemptyset(&action.sa_mask)
            // One shot, default action restored on entry, so the re-raised signal ends the process.
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND)) | Int32(SA_NODEFER)
            var previous = sigaction()
            sigaction(s, &action, &previous)
            if previousTrapActions[s] == nil { previousTrapActions[s] = previous }
        }
        if !atexitInstalled {
            atexitInstalled = true
            atexit(restoreAtExit)
        }
    }

    /// Marks the terminal restored and gives the signals their previous actions back (the Swift
    /// runtime's crash reporter for the trap signals).
    static func disarm() {
        active = false
        for s in signals { signal(s, SIG_DFL) }
        for (s, previous) in previousTrapActions {
            var p = previous
            sigaction(s, &p, nil)
        }
        previousTrapActions = [:]
    }

    /// `RTFORMER_DEBUG_TRAP` (debug switch for the tmux test): crashes on purpose once the
    /// explorer is on screen, to check that a trap restores the terminal. `1`/`trap`: a Swift
    /// runtime trap (`fatalError`); `segv`, `bus`, `abort`, `fpe`: that signal.
    static func debugTrapIfRequested() {
        guard let mode = getenv("RTFORMER_DEBUG_TRAP").map({ String(cString: $0) }), !mode.isEmpty, mode != "0" else { return }
        switch mode {
        case "segv": raise(SIGSEGV)
        case "bus": raise(SIGBUS)
        case "abort": abort()
        case "fpe": raise(SIGFPE)
        default: fatalError("RTFORMER_DEBUG_TRAP=\(mode): a deliberate trap")
        }
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

/// Async-signal-safe: writes the saved tty modes back (`tcsetattr`), writes the prepared escape
/// sequences and message (`write`), then re-raises the signal with its default action (restored
/// by `SA_RESETHAND`), so the exit status is the conventional 128 + signal and no crash prompt
/// waits on the user's keyboard.
private func handleTrap(_ signalNumber: Int32) {
    if TerminalGuard.isActive {
        if TerminalGuard.haveSavedModes {
            tcsetattr(STDOUT_FILENO, TCSANOW, &TerminalGuard.savedModes)
            tcsetattr(STDIN_FILENO, TCSANOW, &TerminalGuard.savedModes)
        }
        if let text = TerminalGuard.trapText {
            _ = write(STDOUT_FILENO, text.baseAddress, text.count)
        }
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
