/// The one-row status line: segments on the left separated by `│` (`|`), an optional text on the
/// right, the whole row in the status colours (white on blue, reverse video in monochrome).
public struct StatusLine: Sendable {
    public var segments: [String]
    public var trailing: String

    public init(segments: [String], trailing: String = "") {
        self.segments = segments
        self.trailing = trailing
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let style = screen.appearance.colors == .monochrome
            ? CellStyle(attributes: .reverse) : CellStyle(fg: .indexed(15), bg: .indexed(24))
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        screen.fill(row, style: style)
        let left = " " + segments.joined(separator: ascii ? " | " : " │ ")
        let right = trailing.isEmpty ? "" : trailing + " "
        let room = rect.width - (right.isEmpty ? 0 : right.count + 1)
        screen.write(TextLayout.truncate(left, to: room, ascii: ascii), x: rect.x, y: rect.y, style: style, clip: row)
        if !right.isEmpty && right.count < rect.width {
            var bold = style
            bold.attributes.insert(.bold)
            screen.write(right, x: rect.maxX - right.count, y: rect.y, style: bold, clip: row)
        }
    }
}

/// The bottom hint bar: `key action` pairs (`q quit  ? help  tab focus`), keys in reverse video,
/// as many whole pairs as fit in one row.
public struct HintBar: Sendable {
    public struct Hint: Hashable, Sendable {
        public var key: String
        public var action: String
        public init(_ key: String, _ action: String) {
            self.key = key
            self.action = action
        }
    }

    public var hints: [Hint]

    public init(_ hints: [Hint]) { self.hints = hints }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        var x = rect.x
        for hint in hints {
            let needed = hint.key.count + 1 + hint.action.count
            guard x + needed <= rect.maxX else { break }
            x += screen.write(hint.key, x: x, y: rect.y, style: CellStyle(attributes: [.reverse, .bold]), clip: row)
            x += screen.write(" " + hint.action, x: x, y: rect.y, style: .plain, clip: row)
            x += 2
        }
    }
}
