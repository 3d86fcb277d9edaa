/// Why the terminal UI cannot start. Callers fall back to the plain REPL.
public enum TerminalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Standard input or output is not a terminal.
    case notATTY
    /// ncurses found no terminfo entry for `TERM` (nil when `TERM` is unset).
    case unknownTerminal(String?)
    /// The terminal cannot move the cursor (`TERM=dumb`): no `cup` capability.
    case noCursorAddressing(String?)

    public var description: String {
        switch self {
        case .notATTY:
            "standard input and output must both be a terminal"
        case .unknownTerminal(let term):
            "unknown terminal type TERM=\(term ?? "(unset)"): no terminfo entry"
        case .noCursorAddressing(let term):
            "terminal TERM=\(term ?? "(unset)") cannot address the cursor (no cup capability)"
        }
    }
}
