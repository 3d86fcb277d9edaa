/// A terminal colour: the terminal's own default, or an index into the xterm 256-colour table
/// (0–7 the basic colours, 8–15 their bright forms, 16–231 the 6×6×6 cube, 232–255 greys).
public enum TermColor: Hashable, Sendable {
    case `default`
    case indexed(UInt8)

    public static let black = TermColor.indexed(0)
    public static let red = TermColor.indexed(1)
    public static let green = TermColor.indexed(2)
    public static let yellow = TermColor.indexed(3)
    public static let blue = TermColor.indexed(4)
    public static let magenta = TermColor.indexed(5)
    public static let cyan = TermColor.indexed(6)
    public static let white = TermColor.indexed(7)
}

/// Text attributes of a cell.
public struct CellAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = CellAttributes(rawValue: 1 << 0)
    public static let dim = CellAttributes(rawValue: 1 << 1)
    public static let reverse = CellAttributes(rawValue: 1 << 2)
    public static let underline = CellAttributes(rawValue: 1 << 3)
}

/// Foreground, background and attributes of a cell.
public struct CellStyle: Hashable, Sendable {
    public var fg: TermColor
    public var bg: TermColor
    public var attributes: CellAttributes

    public init(fg: TermColor = .default, bg: TermColor = .default, attributes: CellAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }

    public static let plain = CellStyle()
    public static let bold = CellStyle(attributes: .bold)
    public static let dim = CellStyle(attributes: .dim)
    public static let reverse = CellStyle(attributes: .reverse)
}

/// One character cell. `character` is a single grapheme that occupies exactly one column; wide
/// (East Asian) characters are not supported by `Screen`.
public struct Cell: Hashable, Sendable {
    public var character: Character
    public var style: CellStyle

    public init(_ character: Character = " ", style: CellStyle = .plain) {
        self.character = character
        self.style = style
    }

    public static let blank = Cell()
}
