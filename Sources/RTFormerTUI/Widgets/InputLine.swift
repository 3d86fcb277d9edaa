/// A one-line text field such as the `:` command line: the prompt, then the text with the cursor
/// cell in reverse video. The text scrolls horizontally to keep the cursor in view; the line is
/// styled as a whole with `style`.
public struct InputLine: Sendable {
    public var prompt: String
    public var text: String
    /// The cursor position as a character index into `text`, 0…text.count.
    public var cursor: Int
    public var style: CellStyle

    public init(prompt: String = ":", text: String, cursor: Int? = nil, style: CellStyle = .plain) {
        self.prompt = prompt
        self.text = text
        self.cursor = min(max(0, cursor ?? text.count), text.count)
        self.style = style
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        screen.fill(row, style: style)
        let x0 = rect.x + screen.write(prompt, x: rect.x, y: rect.y, style: style, clip: row)
        let room = rect.maxX - x0
        guard room > 0 else { return }
        // Keep the cursor cell (which may sit one past the end) inside the field.
        let first = max(0, cursor - room + 1)
        let shown = Array(text).dropFirst(first).prefix(room)
        screen.write(String(shown), x: x0, y: rect.y, style: style, clip: row)
        let cursorCharacter: Character = cursor < text.count ? Array(text)[cursor] : " "
        var cursorStyle = style
        cursorStyle.attributes.formSymmetricDifference(.reverse)
        screen.put(cursorCharacter, x: x0 + cursor - first, y: rect.y, style: cursorStyle, clip: row)
    }
}
