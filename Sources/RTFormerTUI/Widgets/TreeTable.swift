/// A table whose first column is a collapsible tree of dotted module paths (`LayerTree`'s
/// grouping: `block.0` → `attn` → `q_lif`), the other columns sized and scrolled sideways as in
/// `Table`. Group rows are bold with `▾` open / `▸` collapsed (ASCII `v` / `>`); the selected
/// row shows its full path instead of its indented name, so a long path is never cut from the
/// left. A selection hidden in a collapsed group selects that group's row.
///
/// Panes with module paths (layers, and the attention/raster panes) can draw their lists with
/// it: give the paths in model order, the cells per path and the selected path.
public struct TreeTable: Sendable {
    /// Paths in model order (a path may also be the group of later paths).
    public var paths: [String]
    /// Collapsed group paths.
    public var collapsed: Set<String>
    /// The selected path (it may be hidden in a collapsed group).
    public var selected: String?
    /// The columns; the first is the tree column (its width is taken from the labels).
    public var columns: [Table.Column]
    /// Cells of the columns after the first, per path; group rows without an entry are blank.
    public var cells: [String: [String]]
    public var scrollOffset: Int
    public var columnOffset: Int
    public var isFocused: Bool
    /// Paths drawn dimmed (layers a layer-by-layer build has not reached yet).
    public var dimmedPaths: Set<String> = []

    public init(paths: [String], collapsed: Set<String> = [], selected: String? = nil, columns: [Table.Column],
                cells: [String: [String]] = [:], scrollOffset: Int = 0, columnOffset: Int = 0, isFocused: Bool = true) {
        self.paths = paths
        self.collapsed = collapsed
        self.selected = selected
        self.columns = columns
        self.cells = cells
        self.scrollOffset = scrollOffset
        self.columnOffset = columnOffset
        self.isFocused = isFocused
    }

    /// The rows shown, in order.
    public var visibleNodes: [LayerTree.Node] { LayerTree(paths: paths, collapsed: collapsed).visibleNodes }

    /// The index in `visibleNodes` of the row standing for the selected path: its own row, or the
    /// collapsed group that hides it.
    public var selectedRow: Int? {
        guard let selected else { return nil }
        let nodes = visibleNodes
        if let i = nodes.firstIndex(where: { $0.path == selected }) { return i }
        return nodes.lastIndex { selected.hasPrefix($0.path + ".") }
    }

    /// The `Table` drawn: one row per visible node.
    public func table(ascii: Bool) -> Table {
        let nodes = visibleNodes
        let row = selectedRow
        var table = Table(columns: columns, rows: [], selected: row, scrollOffset: scrollOffset, isFocused: isFocused,
                          frozenColumns: 1, columnOffset: columnOffset)
        table.rows = nodes.enumerated().map { i, node in
            let label: String
            if i == row, let selected {
                // The full path on the selected row (a hidden selection names its collapsed group too).
                let marker = node.isGroup ? (collapsed.contains(node.path) ? (ascii ? "> " : "▸ ") : (ascii ? "v " : "▾ ")) : ""
                label = marker + (node.path == selected || !node.isGroup ? node.path : selected)
            } else {
                let marker = node.isGroup ? (collapsed.contains(node.path) ? (ascii ? "> " : "▸ ") : (ascii ? "v " : "▾ ")) : "  "
                label = String(repeating: " ", count: node.depth) + marker + node.name
            }
            return [label] + (cells[node.path] ?? [])
        }
        table.rowStyles = nodes.map { $0.isGroup && cells[$0.path] == nil ? CellStyle(attributes: .bold) : nil }
        table.dimmedRows = Set(nodes.indices.filter { dimmedPaths.contains(nodes[$0].path) })
        return table
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        table(ascii: screen.appearance.isASCII).draw(into: &screen, in: rect)
    }

    /// The first visible row drawn in `rect`.
    public func visibleOffset(in rect: Rect) -> Int { table(ascii: false).visibleOffset(in: rect) }

    /// The column offset as drawn in `rect` (see `Table.visibleColumnOffset`).
    public func visibleColumnOffset(in rect: Rect) -> Int { table(ascii: false).visibleColumnOffset(in: rect) }

    // MARK: navigation

    /// The innermost group holding `path` (nil at the top level).
    public static func group(of path: String) -> String? {
        let parts = LayerTree.components(of: path)
        guard parts.count > 1 else { return nil }
        return parts.dropLast().joined(separator: ".")
    }

    /// The path `delta` selectable rows away from `selected` (a row with a path of its own, or a
    /// collapsed group, which stands for its first path), or nil at either end.
    public static func step(paths: [String], collapsed: Set<String>, selected: String, by delta: Int) -> String? {
        let tree = TreeTable(paths: paths, collapsed: collapsed, selected: selected, columns: [])
        let nodes = tree.visibleNodes
        let own = Set(paths)
        let stops = nodes.indices.filter { own.contains(nodes[$0].path) || collapsed.contains(nodes[$0].path) }
        guard let current = tree.selectedRow else { return nil }
        let position = stops.firstIndex { $0 >= current } ?? stops.count
        let target = delta > 0 ? position + delta : position + delta
        guard target >= 0, target < stops.count, stops[target] != current || delta == 0 else { return nil }
        let node = nodes[stops[target]]
        if own.contains(node.path) && !collapsed.contains(node.path) { return node.path }
        return paths.first { $0 == node.path || $0.hasPrefix(node.path + ".") }
    }
}

extension TreeTable: Widget {}
