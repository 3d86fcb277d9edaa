/// The one-row status line: segments on the left separated by `│` (`|`), an optional text on the
/// right, the whole row in the status colours (white on blue, reverse video in monochrome).
///
/// When the segments do not fit, whole segments are left out, the highest `priorities` number
/// first (later segments first among equals), rather than cutting the row's end; only a row whose
/// first segment alone is too wide ends in `…`.
public struct StatusLine: Sendable {
    public var segments: [String]
    public var trailing: String
    /// Per segment: 0 never left out, larger numbers left out first; empty keeps every segment.
    public var priorities: [Int]

    public init(segments: [String], trailing: String = "", priorities: [Int] = []) {
        self.segments = segments
        self.trailing = trailing
        self.priorities = priorities
    }

    /// The segments shown in a row `width` cells wide.
    public func shownSegments(width: Int, ascii: Bool) -> [String] {
        let separator = ascii ? " | " : " │ "
        let room = width - (trailing.isEmpty ? 0 : trailing.count + 2)
        var kept = Array(segments.indices)
        func length() -> Int { 1 + kept.map { segments[$0].count }.reduce(0, +) + separator.count * max(0, kept.count - 1) }
        while length() > room {
            let droppable = kept.filter { $0 < priorities.count && priorities[$0] > 0 }
            guard let drop = droppable.max(by: { (priorities[$0], $0) < (priorities[$1], $1) }) else { break }
            kept.removeAll { $0 == drop }
        }
        return kept.map { segments[$0] }
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let style = screen.appearance.colors == .monochrome
            ? CellStyle(attributes: .reverse) : CellStyle(fg: .indexed(15), bg: .indexed(24))
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        screen.fill(row, style: style)
        let left = " " + shownSegments(width: rect.width, ascii: ascii).joined(separator: ascii ? " | " : " │ ")
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
