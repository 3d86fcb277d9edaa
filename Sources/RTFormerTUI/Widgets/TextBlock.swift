/// Text word-wrapped to the rectangle's width (see `TextLayout.wrap`), starting `scrollOffset`
/// lines down; lines past the rectangle's bottom are not drawn.
public struct TextBlock: Sendable {
    public var text: String
    public var style: CellStyle
    public var alignment: Alignment
    /// Wrapped lines to skip at the top.
    public var scrollOffset: Int

    public init(_ text: String, style: CellStyle = .plain, alignment: Alignment = .left, scrollOffset: Int = 0) {
        self.text = text
        self.style = style
        self.alignment = alignment
        self.scrollOffset = scrollOffset
    }

    /// How many lines the text takes when wrapped to `width`.
    public func lineCount(width: Int) -> Int { TextLayout.wrap(text, width: width).count }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let lines = TextLayout.wrap(text, width: rect.width).dropFirst(max(0, scrollOffset)).prefix(rect.height)
        for (i, line) in lines.enumerated() {
            let x: Int
            switch alignment {
            case .left: x = rect.x
            case .right: x = rect.maxX - line.count
            case .center: x = rect.x + (rect.width - line.count) / 2
            }
            screen.write(line, x: x, y: rect.y + i, style: style, clip: rect)
        }
    }
}
