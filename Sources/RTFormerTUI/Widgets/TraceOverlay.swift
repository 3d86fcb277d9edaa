/// A further series drawn over a `TracePlot` (a pinned neuron's membrane, issue 14): its values
/// per t (NaN: not computed), a mark and a colour of its own, and the name its legend shows.
public struct TraceOverlay: Sendable, Equatable {
    public var values: [Float]
    /// The mark with Unicode glyphs and with ASCII.
    public var mark: Character
    public var asciiMark: Character
    public var color: TermColor
    /// e.g. `c 3 y 4 x 4`.
    public var name: String

    public init(values: [Float], mark: Character, asciiMark: Character, color: TermColor, name: String) {
        self.values = values
        self.mark = mark
        self.asciiMark = asciiMark
        self.color = color
        self.name = name
    }

    /// Marks and colours for the k-th pinned neuron (cycled), apart from the selected neuron's `●`
    /// in cyan (xterm 14) and the threshold's red.
    public static func style(_ k: Int) -> (mark: Character, ascii: Character, color: TermColor) {
        let styles: [(Character, Character, TermColor)] = [
            ("■", "#", .indexed(10)), ("◆", "@", .indexed(13)), ("▲", "A", .indexed(12)), ("★", "%", .indexed(208)),
            ("✚", "+", .indexed(15)), ("◀", "<", .indexed(11)),
        ]
        let s = styles[k % styles.count]
        return (s.0, s.1, s.2)
    }

    /// Draws the legend of `overlays` on one row: `● selected  ■ c 3 y 4 x 4 …` in their colours.
    public static func drawLegend(_ overlays: [TraceOverlay], selected: String, into screen: inout Screen, in rect: Rect) {
        guard rect.height > 0, rect.width > 0 else { return }
        let ascii = screen.appearance.isASCII
        var x = rect.x
        let entries = [(ascii ? "*" : "●", selected, TermColor.indexed(14))]
            + overlays.map { (String(ascii ? $0.asciiMark : $0.mark), $0.name, $0.color) }
        for (mark, name, color) in entries {
            guard x < rect.maxX else { break }
            x += screen.write(mark, x: x, y: rect.y, style: CellStyle(fg: color, attributes: .bold), clip: rect)
            x += screen.write(" " + name + " ", x: x, y: rect.y, style: .dim, clip: rect)
        }
    }
}
