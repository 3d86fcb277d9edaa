/// A table: a bold underlined header row, then rows of cells in columns, with the selected row
/// highlighted (reverse video when the pane is focused, bold otherwise) and a scrollbar
/// (`█` on `│`, ASCII `#` on `|`) in the last column when not all rows fit.
///
/// Scrolling: rows start at `scrollOffset`, moved as little as needed to keep `selected` in view
/// (`Scrolling.offset`); callers keep the result of `visibleOffset(in:)` as the next frame's
/// `scrollOffset` so the view does not jump. Cells longer than their column end in `…`.
public struct Table: Sendable {
    /// How wide a column is.
    public enum Width: Hashable, Sendable {
        /// Exactly this many columns.
        case fixed(Int)
        /// A share of the width left after fixed columns and separators, by weight.
        case flexible(Int)
    }

    public struct Column: Hashable, Sendable {
        public var title: String
        public var width: Width
        public var alignment: Alignment

        public init(_ title: String, width: Width = .flexible(1), alignment: Alignment = .left) {
            self.title = title
            self.width = width
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    /// Row cells; a row with fewer cells than columns leaves the rest blank.
    public var rows: [[String]]
    public var selected: Int?
    public var scrollOffset: Int
    public var isFocused: Bool
    /// Rows drawn dimmed (layers not built yet); the selected row keeps its highlight.
    public var dimmedRows: Set<Int> = []

    public init(columns: [Column], rows: [[String]], selected: Int? = nil, scrollOffset: Int = 0, isFocused: Bool = true) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
        self.scrollOffset = scrollOffset
        self.isFocused = isFocused
    }

    /// How many body rows fit in `rect` (its height less the header).
    public static func visibleRowCount(in rect: Rect) -> Int { max(0, rect.height - 1) }

    /// The first body row drawn in `rect`.
    public func visibleOffset(in rect: Rect) -> Int {
        Scrolling.offset(keeping: selected, visible: Table.visibleRowCount(in: rect), count: rows.count, from: scrollOffset)
    }

    /// The width of each column in a table `width` cells wide (one space between columns).
    public func columnWidths(total width: Int) -> [Int] {
        let fixed = columns.reduce(0) { sum, c in if case .fixed(let n) = c.width { sum + n } else { sum } }
        let weights = columns.reduce(0) { sum, c in if case .flexible(let w) = c.width { sum + w } else { sum } }
        var free = max(0, width - fixed - max(0, columns.count - 1))
        var widths: [Int] = []
        var weightLeft = weights
        for c in columns {
            switch c.width {
            case .fixed(let n): widths.append(n)
            case .flexible(let w):
                let share = weightLeft > 0 ? free * w / weightLeft : 0
                widths.append(share)
                free -= share
                weightLeft -= w
            }
        }
        return widths
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let visible = Table.visibleRowCount(in: rect)
        let needsScrollbar = rows.count > visible && visible > 0
        let (body, scrollbar) = rect.splitRight(needsScrollbar ? 1 : 0)
        let widths = columnWidths(total: body.width)

        func drawRow(_ cells: [String], y: Int, style: CellStyle) {
            screen.fill(Rect(x: body.x, y: y, width: body.width, height: 1), style: style)
            var x = body.x
            for (i, column) in columns.enumerated() {
                let text = i < cells.count ? cells[i] : ""
                screen.write(TextLayout.fit(text, to: widths[i], alignment: column.alignment, ascii: ascii),
                             x: x, y: y, style: style, clip: body)
                x += widths[i] + 1
            }
        }
        drawRow(columns.map(\.title), y: rect.y, style: CellStyle(attributes: [.bold, .underline]))
        let offset = visibleOffset(in: rect)
        for i in 0..<min(visible, rows.count - offset) {
            let index = offset + i
            let style: CellStyle = index == selected ? (isFocused ? .reverse : .bold) : dimmedRows.contains(index) ? .dim : .plain
            drawRow(rows[index], y: rect.y + 1 + i, style: style)
        }
        if needsScrollbar {
            let track = Rect(x: scrollbar.x, y: rect.y + 1, width: 1, height: visible)
            let thumbLength = max(1, visible * visible / rows.count)
            let thumbStart = (visible - thumbLength) * offset / max(1, rows.count - visible)
            for i in 0..<visible {
                let inThumb = i >= thumbStart && i < thumbStart + thumbLength
                let character: Character = inThumb ? (ascii ? "#" : "█") : (ascii ? "|" : "│")
                screen.put(character, x: track.x, y: track.y + i, style: inThumb ? .plain : .dim)
            }
        }
    }
}
