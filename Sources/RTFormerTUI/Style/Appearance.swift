/// How many colours the terminal can show.
public enum ColorMode: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No colours: characters and attributes only.
    case monochrome = 0
    /// The 8 basic colours (indices 0–7).
    case color8 = 8
    /// The xterm 256-colour table.
    case color256 = 256

    /// The mode for a terminal reporting `colors` colours (ncurses' `COLORS`).
    public init(terminalColors colors: Int) {
        self = colors >= 256 ? .color256 : colors >= 8 ? .color8 : .monochrome
    }

    public var description: String {
        switch self {
        case .monochrome: "mono"
        case .color8: "8"
        case .color256: "256"
        }
    }

    /// `color` as this mode can show it: unchanged in 256 colours, the nearest basic colour in 8
    /// colours, `.default` in monochrome.
    public func reduce(_ color: TermColor) -> TermColor {
        switch (self, color) {
        case (_, .default), (.color256, _): color
        case (.monochrome, _): .default
        case (.color8, .indexed(let i)): .indexed(XtermColor.nearestBasic(i))
        }
    }
}

/// Which characters widgets may use.
public enum GlyphSet: Hashable, Sendable, CustomStringConvertible {
    /// Box drawing, block elements and other Unicode symbols.
    case unicode
    /// Printable ASCII only (`--ascii`, or a locale that is not UTF-8).
    case ascii

    public var description: String { self == .unicode ? "unicode" : "ascii" }
}

/// The colour mode and glyph set a `Screen` is drawn for. Widgets read it from the screen and pick
/// their characters and colours accordingly.
public struct Appearance: Hashable, Sendable, CustomStringConvertible {
    public var colors: ColorMode
    public var glyphs: GlyphSet

    public init(colors: ColorMode = .color256, glyphs: GlyphSet = .unicode) {
        self.colors = colors
        self.glyphs = glyphs
    }

    public static let standard = Appearance()
    public static let ascii = Appearance(colors: .color256, glyphs: .ascii)

    public var isASCII: Bool { glyphs == .ascii }

    public var description: String { "colors=\(colors) glyphs=\(glyphs)" }
}
