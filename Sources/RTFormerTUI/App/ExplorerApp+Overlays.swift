import RTFormer
import RTFormerSession

/// The help and output overlays and their keys.
extension ExplorerApp {
    // MARK: overlays

    mutating func handleHelp(_ key: Key, filter: String, selected: Int, session: Session) {
        let matches = keyTable.matching(filter)
        switch key {
        case .escape:
            overlay = filter.isEmpty ? nil : .help(filter: "", selected: 0)
        case .character(let ch) where filter.isEmpty && (ch == "q" || ch == "?"):
            overlay = nil
        case .character(let ch):
            overlay = .help(filter: filter + String(ch), selected: 0)
        case .backspace:
            overlay = .help(filter: String(filter.dropLast()), selected: 0)
        case .up, .backTab:
            overlay = .help(filter: filter, selected: max(0, selected - 1))
        case .down, .tab:
            overlay = .help(filter: filter, selected: min(max(0, matches.count - 1), selected + 1))
        case .pageUp:
            overlay = .help(filter: filter, selected: max(0, selected - 10))
        case .pageDown:
            overlay = .help(filter: filter, selected: min(max(0, matches.count - 1), selected + 10))
        case .enter:
            overlay = nil
            guard selected < matches.count else { return }
            let binding = matches[selected]
            if !binding.panes.isEmpty && !binding.panes.contains(focus),
               let pane = ExplorerPane.allCases.first(where: binding.panes.contains) {
                if !enabledPanes.contains(pane) { enabledPanes.insert(pane) }
                focus = pane
            }
            perform(binding.action, session: session)
        case .redraw: needsFullRedraw = true
        default: break
        }
    }

    /// Handles a key of the output pop-up; false for a key it has no use for.
    mutating func handleOutput(_ key: Key, title: String, text: String, offset: Int) -> Bool {
        let layout = OutputLayout(text: text, size: size)
        let lines = layout.lineCount
        let page = max(1, layout.visibleRows)
        let scrolls = lines > page
        func scrolled(_ o: Int) -> Overlay { .output(title: title, text: text, offset: min(max(0, o), max(0, lines - page))) }
        switch key {
        case .character("q"), .escape, .enter:
            overlay = nil
            outputColumn = 0
        case .up where scrolls, .character("k") where scrolls: overlay = scrolled(offset - 1)
        case .down where scrolls, .character("j") where scrolls: overlay = scrolled(offset + 1)
        case .pageUp where scrolls: overlay = scrolled(offset - page)
        case .pageDown where scrolls, .character(" ") where scrolls: overlay = scrolled(offset + page)
        case .home where scrolls, .character("g") where scrolls: overlay = scrolled(0)
        case .end where scrolls, .character("G") where scrolls: overlay = scrolled(lines - page)
        case .left where layout.maxColumn > 0, .character("h") where layout.maxColumn > 0:
            outputColumn = max(0, outputColumn - 8)
        case .right where layout.maxColumn > 0, .character("l") where layout.maxColumn > 0:
            outputColumn = min(layout.maxColumn, outputColumn + 8)
        case .redraw: needsFullRedraw = true
        case .resize, .timeout: break
        default:
            outputColumn = 0
            return false
        }
        return true
    }

    /// How a key is written in messages.
    static func describe(_ key: Key) -> String {
        switch key {
        case .character(let c): c == " " ? "space" : String(c)
        case .control(let c): "C-\(c)"
        case .function(let n): "F\(n)"
        case .unknown(let n): "key \(n)"
        default: "\(key)"
        }
    }
}
