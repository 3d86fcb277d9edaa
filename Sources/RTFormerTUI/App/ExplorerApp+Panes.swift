import RTFormer
import RTFormerSession

/// Which panes show, and which has the focus.
extension ExplorerApp {
    // MARK: panes and focus

    mutating func togglePane(_ pane: ExplorerPane) {
        if enabledPanes.contains(pane) {
            guard enabledPanes.count > 1 else {
                message = Message(text: "the last pane stays on", isError: false)
                return
            }
            enabledPanes.remove(pane)
            if focus == pane {
                isZoomed = false
                focus = layout.panes.first ?? ExplorerPane.allCases.first(where: enabledPanes.contains) ?? .layers
            }
        } else {
            enabledPanes.insert(pane)
            focus = pane
            if !layout.panes.contains(pane) {
                message = Message(text: "\(pane) is on but does not fit \(size); e zooms it", isError: false, isZoomHint: true)
            }
        }
    }

    mutating func moveFocus(by delta: Int) {
        let shown = isZoomed ? ExplorerPane.allCases.filter(enabledPanes.contains) : layout.panes
        guard !shown.isEmpty else { return }
        let i = shown.firstIndex(of: focus) ?? 0
        focus = shown[(i + delta + shown.count) % shown.count]
    }
}
