#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// The ncurses backend: owns the terminal while the UI runs, flushes `Screen`s to it and reads
/// keys. At most one may exist at a time.
///
/// Start-up order: `setlocale(LC_ALL, "")`; stdin and stdout must be terminals (`.notATTY`);
/// `newterm(NULL, stdout, stdin)` (`.unknownTerminal`); the terminal must have `cup`
/// (`.noCursorAddressing`). Colours: 256 when the terminal has them, else 8, else none; the glyph
/// set is ASCII when asked for or when the locale is not UTF-8 (ncurses draws nothing for
/// non-ASCII characters then).
///
/// The terminal is restored by `restore()` (idempotent), by `deinit`, on SIGINT/SIGTERM/SIGHUP/
/// SIGQUIT and at `exit`. `Terminal.run(_:body:)` adds a `defer` for thrown errors.
public final class Terminal {
    /// Choices the command line can make; the terminal's capabilities cap them.
    public struct Options: Sendable {
        /// Use at most this many colours (`--mono`, `--colors 8`); nil uses what the terminal has.
        public var colors: ColorMode?
        /// Draw with ASCII only (`--ascii`).
        public var ascii: Bool
        /// Milliseconds ncurses waits after Esc for the rest of an escape sequence.
        public var escapeDelay: Int

        public init(colors: ColorMode? = nil, ascii: Bool = false, escapeDelay: Int = 25) {
            self.colors = colors
            self.ascii = ascii
            self.escapeDelay = escapeDelay
        }
    }

    /// The terminal size in cells; updated when `readKey` returns `.resize`.
    public private(set) var size: Size
    /// What screens for this terminal are drawn with.
    public let appearance: Appearance
    /// `COLORS` and `COLOR_PAIRS` as ncurses reports them (0 without colour support).
    public let terminalColors: Int
    public let terminalPairs: Int
    /// The `TERM` value in effect.
    public let termName: String?

    private let screenHandle: OpaquePointer
    private var pairs: ColorPairCache
    private var previous: Screen?
    private var repaintAll = true
    private var keyTimeout: Int32 = -1
    private var restored = false

    /// Takes over the terminal. Throws `TerminalError` (after putting the terminal back) when it
    /// cannot be used; callers then fall back to the plain REPL.
    public init(options: Options = Options()) throws(TerminalError) {
        setlocale(LC_ALL, "")
        let term = getenv("TERM").map { String(cString: $0) }
        guard isatty(0) == 1, isatty(1) == 1 else { throw .notATTY }
        TerminalGuard.arm()
        guard let handle = newterm(nil, cn_stdout(), cn_stdin()) else {
            TerminalGuard.disarm()
            throw .unknownTerminal(term)
        }
        guard cn_has_cup() != 0 else {
            endwin()
            delscreen(handle)
            TerminalGuard.disarm()
            throw .noCursorAddressing(term)
        }
        screenHandle = handle
        termName = term
        cbreak()
        noecho()
        nonl()
        keypad(cn_stdscr(), true)
        set_escdelay(Int32(options.escapeDelay))
        curs_set(0)
        if has_colors() {
            start_color()
            use_default_colors()
        }
        terminalColors = has_colors() ? Int(cn_colors()) : 0
        terminalPairs = has_colors() ? Int(cn_color_pairs()) : 0
        var mode = ColorMode(terminalColors: terminalColors)
        if let cap = options.colors, cap.rawValue < mode.rawValue { mode = cap }
        let glyphs: GlyphSet = options.ascii || cn_locale_is_utf8() == 0 ? .ascii : .unicode
        appearance = Appearance(colors: mode, glyphs: glyphs)
        pairs = ColorPairCache(capacity: terminalPairs)
        var h: Int32 = 0, w: Int32 = 0
        cn_getmaxyx(cn_stdscr(), &h, &w)
        size = Size(width: Int(w), height: Int(h))
    }

    deinit { restore() }

    /// Runs `body` with a terminal and restores the terminal when `body` returns or throws.
    public static func run<T>(_ options: Options = Options(), body: (Terminal) throws -> T) throws -> T {
        let terminal = try Terminal(options: options)
        defer { terminal.restore() }
        return try body(terminal)
    }

    /// A blank screen of the current size and appearance.
    public func makeScreen() -> Screen { Screen(size: size, appearance: appearance) }

    /// Shows `screen`: writes the cells that differ from the last flushed screen (all of them
    /// after a resize or `redrawAll()`), then refreshes.
    public func flush(_ screen: Screen) {
        guard !restored else { return }
        let window = cn_stdscr()
        var full = repaintAll || previous?.size != screen.size
        if full { werase(window) }
        for attempt in 0..<2 {
            var exhausted = false
            for y in 0..<screen.height {
                for x in 0..<screen.width {
                    let cell = screen[x, y]
                    if !full, let previous, previous[x, y] == cell { continue }
                    if !put(cell, x: x, y: y) { exhausted = true }
                }
            }
            // Out of colour pairs: start the numbering over and paint everything once more, so no
            // cell keeps a pair number that now means other colours.
            guard exhausted, attempt == 0 else { break }
            pairs.removeAll()
            reset_color_pairs()
            full = true
            werase(window)
        }
        if repaintAll { clearok(window, true) }
        wrefresh(window)
        repaintAll = false
        previous = screen
    }

    /// Makes the next `flush` repaint every cell and clear the physical screen first (Ctrl-L).
    public func redrawAll() { repaintAll = true }

    /// Waits for a key: `timeoutMilliseconds` nil blocks, 0 polls, n > 0 waits up to n ms and
    /// returns `.timeout` when nothing came (play mode). A resize returns `.resize(newSize)`
    /// and makes the next flush repaint everything.
    public func readKey(timeoutMilliseconds: Int? = nil) -> Key {
        guard !restored else { return .timeout }
        let window = cn_stdscr()
        let t = Int32(clamping: timeoutMilliseconds ?? -1)
        if t != keyTimeout {
            wtimeout(window, t)
            keyTimeout = t
        }
        var code: wint_t = 0
        let status = wget_wch(window, &code)
        if status == ERR { return .timeout }
        let key = Key.decode(isKeyCode: status == KEY_CODE_YES, code: Int(code))
        if case .resize = key {
            var h: Int32 = 0, w: Int32 = 0
            cn_getmaxyx(window, &h, &w)
            size = Size(width: Int(w), height: Int(h))
            repaintAll = true
            return .resize(size)
        }
        return key
    }

    /// Gives the terminal back: shows the cursor, `endwin`, frees the ncurses screen and resets
    /// the signal handlers. Safe to call more than once.
    public func restore() {
        guard !restored else { return }
        restored = true
        if TerminalGuard.isActive {
            curs_set(1)
            endwin()
            TerminalGuard.disarm()
        }
        delscreen(screenHandle)
    }

    /// Writes one cell; false when no colour pair was left for its colours (drawn in the default
    /// pair then).
    private func put(_ cell: Cell, x: Int, y: Int) -> Bool {
        var attributes: attr_t = CN_A_NORMAL
        if cell.style.attributes.contains(.bold) { attributes |= CN_A_BOLD }
        if cell.style.attributes.contains(.dim) { attributes |= CN_A_DIM }
        if cell.style.attributes.contains(.reverse) { attributes |= CN_A_REVERSE }
        if cell.style.attributes.contains(.underline) { attributes |= CN_A_UNDERLINE }
        var pair: Int32 = 0
        var ok = true
        if appearance.colors != .monochrome {
            let colors = ColorPairCache.Colors(fg: number(cell.style.fg), bg: number(cell.style.bg))
            if let p = pairs.pair(for: colors, define: { p, f, b in init_extended_pair(p, f, b) }) {
                pair = p
            } else {
                ok = false
            }
        }
        var text: [wchar_t] = cell.character.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) }
        text.append(0)
        var cc = cchar_t()
        setcchar(&cc, text, attributes, 0, &pair)
        mvwadd_wch(cn_stdscr(), Int32(y), Int32(x), &cc)
        return ok
    }

    private func number(_ color: TermColor) -> Int32 {
        switch color {
        case .default: -1
        case .indexed(let i): Int32(i) < Int32(terminalColors) ? Int32(i) : Int32(XtermColor.nearestBasic(i))
        }
    }
}
