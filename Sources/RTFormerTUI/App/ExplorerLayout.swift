/// Where each pane goes for the app's size, enabled panes, focus and zoom.
///
/// Rows: the status line on top, the panes, a message (or `:` command) line, the hint bar. Panes:
/// the layer table as a full-height left column; on the right the membrane pane on top and the
/// other panes below it, two side by side where the width allows. Panes that do not fit their
/// minimum size are left out, lowest priority (highest number) first, and counted in
/// `hiddenPanes`; `e` zooms the focused pane to the whole body.
public struct ExplorerLayout: Sendable {
    /// The smallest terminal the explorer draws in; smaller ones get a message instead.
    public static let minimumSize = MinimumSize(width: 60, height: 16)

    /// The terminal size laid out.
    public let size: Size
    /// The top row.
    public let statusRow: Rect
    /// The rows between the status line and the message row.
    public let body: Rect
    /// The row above the hint bar (messages, or the `:` line).
    public let messageRow: Rect
    /// The bottom row.
    public let hintRow: Rect
    /// The panes laid out, in pane order, and their frames.
    public let frames: [(pane: ExplorerPane, rect: Rect)]
    /// Enabled panes left out for lack of room.
    public let hiddenPanes: [ExplorerPane]

    /// The panes laid out, in pane order.
    public var panes: [ExplorerPane] { frames.map(\.pane) }

    /// The frame of `pane`, if it is laid out.
    public func rect(of pane: ExplorerPane) -> Rect? { frames.first { $0.pane == pane }?.rect }

    /// The layout for the app's size, panes, focus and zoom.
    public init(app: ExplorerApp) {
        size = app.size
        let all = Rect(size: app.size)
        let (top, rest) = all.splitTop(1)
        let (middle, hints) = rest.splitBottom(1)
        let (panesRect, message) = middle.splitBottom(1)
        statusRow = top
        body = panesRect
        messageRow = message
        hintRow = hints
        let enabled = ExplorerPane.allCases.filter(app.enabledPanes.contains)
        if app.isZoomed, enabled.contains(app.focus) {
            frames = [(app.focus, panesRect)]
            hiddenPanes = enabled.filter { $0 != app.focus }
            return
        }
        var candidates = enabled
        var dropped: [ExplorerPane] = []
        while true {
            if let arranged = Self.arrange(candidates, in: panesRect) ?? Self.arrangeUnderLayers(candidates, in: panesRect) {
                frames = arranged
                break
            }
            guard let last = candidates.popLast() else {
                frames = []
                break
            }
            dropped.insert(last, at: 0)
        }
        hiddenPanes = dropped
    }

    /// As `arrange`, with the last pane moved under the layer list in the left column (a short
    /// terminal has room there when the right column has none), or nil.
    static func arrangeUnderLayers(_ panes: [ExplorerPane], in rect: Rect) -> [(pane: ExplorerPane, rect: Rect)]? {
        guard panes.count >= 3, panes.first == .layers, let last = panes.last else { return nil }
        guard var out = arrange(Array(panes.dropLast()), in: rect), let i = out.firstIndex(where: { $0.pane == .layers }) else { return nil }
        let column = out[i].rect
        let parts = column.rows(weights: [3, 2])
        out[i].rect = parts[0]
        out.append((last, parts[1]))
        if out.contains(where: { $0.rect.width < $0.pane.minimumSize.width || $0.rect.height < $0.pane.minimumSize.height }) {
            return nil
        }
        return out.sorted { $0.pane.rawValue < $1.pane.rawValue }
    }

    /// The frames of `panes` in `rect`, or nil when one would be smaller than its minimum.
    static func arrange(_ panes: [ExplorerPane], in rect: Rect) -> [(pane: ExplorerPane, rect: Rect)]? {
        guard !panes.isEmpty else { return [] }
        var out: [(pane: ExplorerPane, rect: Rect)] = []
        var right = rect
        var rest = panes
        if rest.first == .layers {
            rest.removeFirst()
            if rest.isEmpty {
                out.append((.layers, rect))
            } else {
                let leftWidth = rect.width >= 160 ? 56 : rect.width >= 110 ? 44 : max(26, min(44, rect.width * 2 / 5 + 2))
                let (left, r) = rect.splitLeft(leftWidth)
                out.append((.layers, left))
                right = r
            }
        }
        if !rest.isEmpty {
            var rows: [[ExplorerPane]] = []
            var weights: [Int] = []
            if rest.first == .membrane {
                rows.append([.membrane])
                weights.append(3)
                rest.removeFirst()
            }
            let perRow = right.width >= 2 * 36 ? 2 : 1
            while !rest.isEmpty {
                rows.append(Array(rest.prefix(perRow)))
                weights.append(2)
                rest.removeFirst(min(perRow, rest.count))
            }
            for (row, rowRect) in zip(rows, right.rows(weights: weights)) {
                for (pane, cell) in zip(row, rowRect.columns(weights: Array(repeating: 1, count: row.count))) {
                    out.append((pane, cell))
                }
            }
        }
        if out.contains(where: { $0.rect.width < $0.pane.minimumSize.width || $0.rect.height < $0.pane.minimumSize.height }) {
            return nil
        }
        return out.sorted { $0.pane.rawValue < $1.pane.rawValue }
    }
}
