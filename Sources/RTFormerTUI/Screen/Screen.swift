/// An in-memory grid of character cells that widgets draw into; the terminal backend flushes it,
/// tests render it as text. Row-major, `size.height` rows of `size.width` cells.
///
/// Every write is clipped to the screen and passed through the screen's `Appearance`: colours the
/// mode cannot show are reduced (`ColorMode.reduce`), and with the ASCII glyph set any non-ASCII
/// character becomes `?`, so a frame drawn for `--ascii` never contains Unicode. Control
/// characters become spaces.
public struct Screen: Hashable, Sendable {
    public let size: Size
    public let appearance: Appearance
    public private(set) var cells: [Cell]

    public init(size: Size, appearance: Appearance = .standard) {
        self.size = Size(width: max(0, size.width), height: max(0, size.height))
        self.appearance = appearance
        self.cells = Array(repeating: .blank, count: self.size.width * self.size.height)
    }

    public init(width: Int, height: Int, appearance: Appearance = .standard) {
        self.init(size: Size(width: width, height: height), appearance: appearance)
    }

    public var width: Int { size.width }
    public var height: Int { size.height }
    /// The whole screen as a rectangle.
    public var bounds: Rect { Rect(size: size) }

    /// The cell at column `x`, row `y`; reading outside gives a blank cell, writing outside is
    /// ignored.
    public subscript(x: Int, y: Int) -> Cell {
        get { bounds.contains(x: x, y: y) ? cells[y * size.width + x] : .blank }
        set { put(newValue.character, x: x, y: y, style: newValue.style) }
    }

    /// Resets every cell to a blank with the default style.
    public mutating func clear() {
        for i in cells.indices { cells[i] = .blank }
    }

    /// Puts one character at (`x`, `y`) if that cell lies inside the screen and inside `clip`.
    public mutating func put(_ character: Character, x: Int, y: Int, style: CellStyle = .plain, clip: Rect? = nil) {
        guard bounds.contains(x: x, y: y) else { return }
        if let clip, !clip.contains(x: x, y: y) { return }
        cells[y * size.width + x] = Cell(sanitize(character), style: reduce(style))
    }

    /// Writes `text` left to right from (`x`, `y`), one character per column, clipped to the screen
    /// and to `clip`. Returns the number of columns the text occupies (clipped or not).
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: CellStyle = .plain, clip: Rect? = nil) -> Int {
        var column = x
        for ch in text {
            put(ch, x: column, y: y, style: style, clip: clip)
            column += 1
        }
        return column - x
    }

    /// Fills `rect` (clipped to the screen) with `character` in `style`.
    public mutating func fill(_ rect: Rect, with character: Character = " ", style: CellStyle = .plain) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let c = Cell(sanitize(character), style: reduce(style))
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { cells[y * size.width + x] = c }
        }
    }

    /// Changes the style of the cells in `rect` without changing their characters; `change`
    /// receives each cell's current style.
    public mutating func restyle(_ rect: Rect, _ change: (inout CellStyle) -> Void) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX {
                var s = cells[y * size.width + x].style
                change(&s)
                cells[y * size.width + x].style = reduce(s)
            }
        }
    }

    private func sanitize(_ character: Character) -> Character {
        if let ascii = character.asciiValue {
            return ascii < 32 || ascii == 127 ? " " : character
        }
        return appearance.glyphs == .ascii ? "?" : character
    }

    private func reduce(_ style: CellStyle) -> CellStyle {
        guard appearance.colors != .color256 else { return style }
        return CellStyle(fg: appearance.colors.reduce(style.fg), bg: appearance.colors.reduce(style.bg),
                         attributes: style.attributes)
    }
}
