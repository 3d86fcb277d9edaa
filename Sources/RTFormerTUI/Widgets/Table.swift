/// A table: a bold underlined header row, then rows of cells in columns, with the selected row
/// highlighted (reverse video when the pane is focused, bold otherwise) and a scrollbar
/// (`█` on `│`, ASCII `#` on `|`) in the last column when not all rows fit.
///
/// Columns are sized to their content (the widest of the title and the cells) unless `fixed`;
/// `flexible` columns also take the room left over, by weight. When the columns do not all fit,
/// the first `frozenColumns` stay in place and the others scroll horizontally from
/// `columnOffset`: only whole columns are drawn, and the header marks hidden columns with `‹`
/// (left) and `›` (right) (ASCII `<` `>`). A cell is cut (ending in `…`) only when a frozen
/// column alone is wider than the table, or when the first scrolling column shown is wider than
/// the room the frozen ones leave (the frozen ones then keep up to half the table).
///
/// Scrolling: rows start at `scrollOffset`, moved as little as needed to keep `selected` in view
/// (`Scrolling.offset`); callers keep the result of `visibleOffset(in:)` as the next frame's
/// `scrollOffset` so the view does not jump.
public struct Table: Sendable {
    /// How wide a column is.
    public enum Width: Hashable, Sendable {
        /// Exactly this many columns.
        case fixed(Int)
        /// The content's width, growing into the room left over by weight.
        case flexible(Int)
        /// The content's width (the widest of the title and the cells).
        case fit
    }

    public struct Column: Hashable, Sendable {
        public var title: String
        public var width: Width
        public var alignment: Alignment

        public init(_ title: String, width: Width = .fit, alignment: Alignment = .left) {
            self.title = title
            self.width = width
            self.alignment = alignment
        }
    }

    /// Where one drawn column goes.
    public struct Placement: Hashable, Sendable {
        /// Index into `columns`.
        public var column: Int
        /// Offset from the table's left edge.
        public var x: Int
        public var width: Int
    }

    public var columns: [Column]
    /// Row cells; a row with fewer cells than columns leaves the rest blank.
    public var rows: [[String]]
    public var selected: Int?
    public var scrollOffset: Int
    public var isFocused: Bool
    /// Columns that never scroll sideways (the row names).
    public var frozenColumns: Int
    /// The first scrolling column shown (0 = the one after the frozen ones).
    public var columnOffset: Int
    /// Per-row styles (nil: plain); the selection's style wins.
    public var rowStyles: [CellStyle?] = []
    /// Rows drawn dimmed (layers not built yet); the selected row keeps its highlight.
    public var dimmedRows: Set<Int> = []

    public init(columns: [Column], rows: [[String]], selected: Int? = nil, scrollOffset: Int = 0, isFocused: Bool = true,
                frozenColumns: Int = 1, columnOffset: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
        self.scrollOffset = scrollOffset
        self.isFocused = isFocused
        self.frozenColumns = frozenColumns
        self.columnOffset = columnOffset
    }

    /// How many body rows fit in `rect` (its height less the header).
    public static func visibleRowCount(in rect: Rect) -> Int { max(0, rect.height - 1) }

    /// The first body row drawn in `rect`.
    public func visibleOffset(in rect: Rect) -> Int {
        Scrolling.offset(keeping: selected, visible: Table.visibleRowCount(in: rect), count: rows.count, from: scrollOffset)
    }

    /// The width column `i`'s content needs.
    public func naturalWidth(of i: Int) -> Int {
        if case .fixed(let n) = columns[i].width { return n }
        return rows.reduce(columns[i].title.count) { max($0, i < $1.count ? $1[i].count : 0) }
    }

    /// Whether all columns fit in `width` cells.
    public func fitsWithoutScrolling(total width: Int) -> Bool {
        columns.indices.reduce(0) { $0 + naturalWidth(of: $1) } + max(0, columns.count - 1) <= width
    }

    /// The largest useful `columnOffset` for a table `width` cells wide: the one that shows the
    /// last column with as many before it as fit.
    public func maxColumnOffset(total width: Int) -> Int {
        let frozen = min(frozenColumns, columns.count)
        guard !fitsWithoutScrolling(total: width), columns.count > frozen else { return 0 }
        let frozenWidth = frozenWidths(total: width, firstScrolling: columns.count - 1).reduce(0) { $0 + $1 + 1 }
        var room = width - frozenWidth
        var offset = columns.count - frozen
        while offset > 0 {
            let w = naturalWidth(of: frozen + offset - 1) + 1
            guard w <= room else { break }
            room -= w
            offset -= 1
        }
        return min(offset, columns.count - frozen - 1)
    }

    private func frozenWidths(total width: Int, firstScrolling: Int?) -> [Int] {
        let frozen = min(frozenColumns, columns.count)
        let reserve = firstScrolling.map { naturalWidth(of: $0) + 1 } ?? 0
        var widths = (0..<frozen).map(naturalWidth(of:))
        let floors = (0..<frozen).map { min(widths[$0], max(columns[$0].title.count, 4)) }
        // A frozen column gives up room only for the first scrolling column, never below its title.
        var excess = widths.reduce(0) { $0 + $1 + 1 } + reserve - width
        if excess > 0 && floors.reduce(0) { $0 + $1 + 1 } + reserve > width {
            // That column cannot fit whole even then: it is cut instead (`placements`), and the
            // frozen columns keep up to half the table, so the rows stay recognisable.
            let half = max(1, width / 2 / max(frozen, 1) - 1)
            return (0..<frozen).map { min(widths[$0], max(floors[$0], half)) }
        }
        for i in (0..<frozen).reversed() where excess > 0 {
            let give = min(excess, widths[i] - floors[i])
            widths[i] -= give
            excess -= give
        }
        return widths
    }

    /// The columns drawn in a table `width` cells wide, left to right.
    public func placements(total width: Int) -> [Placement] {
        var natural = columns.indices.map(naturalWidth(of:))
        if fitsWithoutScrolling(total: width) {
            var free = width - natural.reduce(0, +) - max(0, columns.count - 1)
            var weightLeft = columns.reduce(0) { sum, c in if case .flexible(let w) = c.width { sum + w } else { sum } }
            for (i, c) in columns.enumerated() {
                guard case .flexible(let w) = c.width, weightLeft > 0 else { continue }
                let share = free * w / weightLeft
                natural[i] += share
                free -= share
                weightLeft -= w
            }
            var x = 0
            return natural.enumerated().map { i, w in
                defer { x += w + 1 }
                return Placement(column: i, x: x, width: w)
            }
        }
        let frozen = min(frozenColumns, columns.count)
        let offset = min(max(0, columnOffset), maxColumnOffset(total: width))
        let first = frozen + offset < columns.count ? frozen + offset : nil
        var out: [Placement] = []
        var x = 0
        for (i, w) in frozenWidths(total: width, firstScrolling: first).enumerated() {
            out.append(Placement(column: i, x: x, width: min(w, max(0, width - x))))
            x += w + 1
        }
        guard let first else { return out }
        for i in first..<columns.count {
            let w = natural[i]
            guard x + w <= width else {
                // A scrolling column wider than all the room left is shown cut rather than not at all.
                if i == first && width - x >= 3 { out.append(Placement(column: i, x: x, width: width - x)) }
                break
            }
            out.append(Placement(column: i, x: x, width: w))
            x += w + 1
        }
        return out
    }

    /// The width of each column in a table `width` cells wide (0 for a column scrolled out of view).
    public func columnWidths(total width: Int) -> [Int] {
        var widths = Array(repeating: 0, count: columns.count)
        for p in placements(total: width) { widths[p.column] = p.width }
        return widths
    }

    /// `columnOffset` as drawn in `rect` (clamped to the largest useful one); callers keep it so
    /// a key past the last column does not have to be undone.
    public func visibleColumnOffset(in rect: Rect) -> Int {
        min(max(0, columnOffset), maxColumnOffset(total: bodyWidth(in: rect)))
    }

    /// The width the body of the table takes in `rect` (less the scrollbar when one is drawn).
    public func bodyWidth(in rect: Rect) -> Int {
        let visible = Table.visibleRowCount(in: rect)
        return rect.width - (rows.count > visible && visible > 0 ? 1 : 0)
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let visible = Table.visibleRowCount(in: rect)
        let needsScrollbar = rows.count > visible && visible > 0
        let (body, scrollbar) = rect.splitRight(needsScrollbar ? 1 : 0)
        let placements = placements(total: body.width)

        func drawRow(_ cells: [String], y: Int, style: CellStyle) {
            screen.fill(Rect(x: body.x, y: y, width: body.width, height: 1), style: style)
            for p in placements where p.width > 0 {
                let text = p.column < cells.count ? cells[p.column] : ""
                screen.write(TextLayout.fit(text, to: p.width, alignment: columns[p.column].alignment, ascii: ascii),
                             x: body.x + p.x, y: y, style: style, clip: body)
            }
        }
        let headerStyle = CellStyle(attributes: [.bold, .underline])
        drawRow(columns.map(\.title), y: rect.y, style: headerStyle)
        let frozen = min(frozenColumns, columns.count)
        let shownScrolling = placements.filter { $0.column >= frozen }.map(\.column)
        if let firstShown = shownScrolling.first, firstShown > frozen, let gap = placements.first(where: { $0.column == firstShown }) {
            screen.put(ascii ? "<" : "‹", x: body.x + gap.x - 1, y: rect.y, style: headerStyle, clip: body)
        } else if shownScrolling.isEmpty && columns.count > frozen, let last = placements.last {
            screen.put(ascii ? ">" : "›", x: body.x + min(body.width - 1, last.x + last.width), y: rect.y, style: headerStyle, clip: body)
        }
        if let lastShown = shownScrolling.last, lastShown < columns.count - 1 {
            screen.put(ascii ? ">" : "›", x: body.maxX - 1, y: rect.y, style: headerStyle, clip: body)
        }
        let offset = visibleOffset(in: rect)
        for i in 0..<max(0, min(visible, rows.count - offset)) {
            let index = offset + i
            let style: CellStyle = index == selected ? (isFocused ? .reverse : .bold)
                : dimmedRows.contains(index) ? .dim : (index < rowStyles.count ? rowStyles[index] ?? .plain : .plain)
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
