/// A box around a pane with its title in the top border.
///
/// Unfocused: light lines `┌─┐│└┘` (ASCII `+-|`), dim. Focused: heavy lines `┏━┓┃┗┛` (ASCII
/// `+=|` with `#` corners), bold, coloured, and the title in reverse video, so focus reads even
/// in monochrome. Draws the border only; `contentRect(for:)` is the area inside it.
public struct Frame: Sendable {
    public var title: String
    public var isFocused: Bool

    public init(title: String = "", isFocused: Bool = false) {
        self.title = title
        self.isFocused = isFocused
    }

    /// The rectangle inside the border of a frame drawn in `rect`.
    public static func contentRect(for rect: Rect) -> Rect { rect.inset(by: 1) }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let ascii = screen.appearance.isASCII
        let g: (h: Character, v: Character, tl: Character, tr: Character, bl: Character, br: Character) =
            switch (ascii, isFocused) {
            case (false, false): ("─", "│", "┌", "┐", "└", "┘")
            case (false, true): ("━", "┃", "┏", "┓", "┗", "┛")
            case (true, false): ("-", "|", "+", "+", "+", "+")
            case (true, true): ("=", "|", "#", "#", "#", "#")
            }
        let style = isFocused ? CellStyle(fg: .indexed(14), attributes: .bold) : CellStyle(attributes: .dim)
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            screen.put(g.h, x: x, y: rect.y, style: style)
            screen.put(g.h, x: x, y: rect.maxY - 1, style: style)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            screen.put(g.v, x: rect.x, y: y, style: style)
            screen.put(g.v, x: rect.maxX - 1, y: y, style: style)
        }
        screen.put(g.tl, x: rect.x, y: rect.y, style: style)
        screen.put(g.tr, x: rect.maxX - 1, y: rect.y, style: style)
        screen.put(g.bl, x: rect.x, y: rect.maxY - 1, style: style)
        screen.put(g.br, x: rect.maxX - 1, y: rect.maxY - 1, style: style)
        guard !title.isEmpty, rect.width >= 6 else { return }
        let text = " " + TextLayout.truncate(title, to: rect.width - 4, ascii: ascii) + " "
        let titleStyle = isFocused ? CellStyle(fg: .indexed(14), attributes: [.bold, .reverse]) : CellStyle.bold
        screen.write(text, x: rect.x + 1, y: rect.y, style: titleStyle)
    }
}
