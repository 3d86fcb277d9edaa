/// The model's module paths as an indented tree with collapsible groups.
///
/// Paths are dotted module paths in model order (`patch_embed.proj_conv`,
/// `block.0.attn.q_lif`). A numeric component stays with the one before it, so `block.0` is one
/// node and `block.0.attn` its child. Every proper prefix of a path becomes a group node, drawn
/// `▾` when open and `▸` when collapsed (ASCII `v` / `>`); children of a collapsed group are
/// hidden. Each row may carry a right-aligned detail (shape, rate, a deploy marker). The selected
/// row is highlighted and kept in view as in `Table`.
public struct LayerTree: Sendable {
    /// One node of the tree.
    public struct Node: Hashable, Sendable {
        /// The full dotted path of the node (`block.0.attn`).
        public var path: String
        /// The node's own component (`attn`, or `block.0` for an indexed child).
        public var name: String
        public var depth: Int
        /// Whether other nodes lie below this one.
        public var isGroup: Bool
    }

    public var paths: [String]
    /// Paths of the groups whose children are hidden.
    public var collapsed: Set<String>
    /// The path of the selected node.
    public var selected: String?
    /// Right-aligned text per path.
    public var details: [String: String]
    public var scrollOffset: Int
    public var isFocused: Bool

    public init(paths: [String], collapsed: Set<String> = [], selected: String? = nil,
                details: [String: String] = [:], scrollOffset: Int = 0, isFocused: Bool = true) {
        self.paths = paths
        self.collapsed = collapsed
        self.selected = selected
        self.details = details
        self.scrollOffset = scrollOffset
        self.isFocused = isFocused
    }

    /// The components of a path, with numeric components joined to the one before:
    /// `block.0.attn` → `["block.0", "attn"]`.
    public static func components(of path: String) -> [String] {
        var out: [String] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: true) {
            if let last = out.last, part.allSatisfy(\.isNumber) {
                out[out.count - 1] = last + "." + part
            } else {
                out.append(String(part))
            }
        }
        return out
    }

    /// Every node, groups included, in model order (a group before its first child).
    public var allNodes: [Node] {
        var order: [(path: String, name: String, depth: Int)] = []
        var seen: Set<String> = []
        var parents: Set<String> = []
        for path in paths {
            var prefix = ""
            let parts = LayerTree.components(of: path)
            for (depth, part) in parts.enumerated() {
                if depth > 0 { parents.insert(prefix) }
                prefix = prefix.isEmpty ? part : prefix + "." + part
                if seen.insert(prefix).inserted { order.append((prefix, part, depth)) }
            }
        }
        return order.map { Node(path: $0.path, name: $0.name, depth: $0.depth, isGroup: parents.contains($0.path)) }
    }

    /// The nodes shown: all nodes except those under a collapsed group. Key handling moves the
    /// selection through this list.
    public var visibleNodes: [Node] {
        var out: [Node] = []
        var hiddenBelow: Int? = nil
        for node in allNodes {
            if let depth = hiddenBelow {
                if node.depth > depth { continue }
                hiddenBelow = nil
            }
            out.append(node)
            if node.isGroup && collapsed.contains(node.path) { hiddenBelow = node.depth }
        }
        return out
    }

    /// The index in `visibleNodes` of the first row drawn in `rect`.
    public func visibleOffset(in rect: Rect) -> Int {
        let nodes = visibleNodes
        let index = selected.flatMap { s in nodes.firstIndex { $0.path == s } }
        return Scrolling.offset(keeping: index, visible: rect.height, count: nodes.count, from: scrollOffset)
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let nodes = visibleNodes
        let offset = visibleOffset(in: rect)
        for (i, node) in nodes.dropFirst(offset).prefix(rect.height).enumerated() {
            let y = rect.y + i
            let isSelected = node.path == selected
            let style: CellStyle = isSelected ? (isFocused ? .reverse : .bold) : .plain
            screen.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: style)
            let marker: String
            if node.isGroup {
                marker = collapsed.contains(node.path) ? (ascii ? "> " : "▸ ") : (ascii ? "v " : "▾ ")
            } else {
                marker = "  "
            }
            let detail = details[node.path] ?? ""
            let nameWidth = rect.width - (detail.isEmpty ? 0 : detail.count + 1)
            var label = String(repeating: " ", count: 2 * node.depth) + marker + node.name
            label = TextLayout.truncate(label, to: nameWidth, ascii: ascii)
            var nameStyle = style
            if node.isGroup { nameStyle.attributes.insert(.bold) }
            screen.write(label, x: rect.x, y: y, style: nameStyle, clip: rect)
            if !detail.isEmpty && detail.count < rect.width {
                var detailStyle = style
                if !isSelected { detailStyle.attributes.insert(.dim) }
                screen.write(detail, x: rect.maxX - detail.count, y: y, style: detailStyle, clip: rect)
            }
        }
    }
}
