import Foundation
import RTFormer
import RTFormerSession

/// Draws the whole explorer frame from the app state and the session's view models. Pure: no
/// terminal, the same inputs give the same `Screen`, so frames are snapshot-tested as text.
public enum ExplorerRenderer {
    /// The frame for `app` and `session` at `size` (the app's layout is computed for this size).
    public static func render(_ app: ExplorerApp, session: Session, size: Size, appearance: Appearance) -> Screen {
        renderWithScrollOffsets(app, session: session, size: size, appearance: appearance).screen
    }

    /// The frame, and the first row each scrolling pane showed; the run loop stores the offsets
    /// in `ExplorerApp.scrollOffsets` so lists do not jump between frames.
    public static func renderWithScrollOffsets(_ app: ExplorerApp, session: Session, size: Size, appearance: Appearance)
        -> (screen: Screen, scrollOffsets: [ExplorerPane: Int])
    {
        let frame = renderFrame(app, session: session, size: size, appearance: appearance)
        return (frame.screen, frame.scrollOffsets)
    }

    /// The frame, the first row each scrolling pane showed and the first column each table pane
    /// showed (clamped to what its width can use); the run loop stores both in the app.
    public static func renderFrame(_ app: ExplorerApp, session: Session, size: Size, appearance: Appearance)
        -> (screen: Screen, scrollOffsets: [ExplorerPane: Int], columnOffsets: [ExplorerPane: Int])
    {
        var app = app
        app.size = size
        var screen = Screen(size: size, appearance: appearance)
        if ExplorerLayout.minimumSize.drawMessageIfTooSmall(into: &screen) {
            return (screen, app.scrollOffsets, app.columnOffsets)
        }
        let layout = app.layout
        var drawer = PaneDrawer(app: app, session: session, ascii: appearance.isASCII)
        for (pane, rect) in layout.frames {
            drawer.draw(pane, in: rect, into: &screen)
        }
        // After the panes: a verdict the diff pane has just computed shows in this frame.
        drawStatus(app, session: session, layout: layout, into: &screen)
        drawMessage(app, layout: layout, into: &screen)
        drawHints(app, layout: layout, into: &screen)
        switch app.overlay {
        case .help(let filter, let selected):
            drawHelp(app, filter: filter, selected: selected, into: &screen)
        case .output(let title, let text, let offset):
            drawOutput(title: title, text: text, offset: offset, column: app.outputColumn, into: &screen)
        case nil:
            break
        }
        return (screen, drawer.scrollOffsets, drawer.columnOffsets)
    }

    // MARK: rows

    private static func drawStatus(_ app: ExplorerApp, session: Session, layout: ExplorerLayout, into screen: inout Screen) {
        let s = session.statusView()
        // What changes as the user explores comes first, so narrow terminals keep it.
        // Each field with how readily it is left out when the row is short (0: never); `?`
        // explains the fields (PaneLegend.statusLine).
        var fields: [(text: String, priority: Int)] = []
        var model = s.model ?? "no model"
        if s.model != nil || !s.weights.isSeeded {
            model += " " + TextLayout.truncate(lastPathComponent(s.weights.description), to: 28)
        }
        fields.append((model, 0))
        fields.append(("t \(s.t)/\(s.timesteps)", 0))
        fields.append((s.view.rawValue, 0))
        fields.append(("fold \(s.fold.rawValue)", 1))
        let train = session.unfused?.mode == .train
        if train {
            // Deploy keeps the running statistics, so a verdict against the preview says nothing.
            fields.append(("train preview (deploy: running stats)", 0))
        } else if let v = session.cachedVerdict ?? (session.fullRecordingBytes <= 256 << 20 ? session.verdict : nil) {
            // The verdict (issue 11): computed here for models whose full recording would take up to
            // 256 MiB (their diff replays in well under a second); larger models show it once the
            // diff pane (or `diff`) has computed it for the current state.
            // As important as the model and t: it is what the explorer is for (the fold goes first).
            fields.append((v.rawValue, 0))
        }
        fields.append((s.neuronState == .fresh ? "from rest" : "state carried", 4))
        let label = session.input.flatMap { input in
            input.label.map { l in input.classNames.flatMap { l < $0.count ? " " + $0[l] : nil } ?? " label \(l)" }
        } ?? ""
        fields.append((s.input.map { TextLayout.truncate($0, to: 32) + label } ?? "no input", 2))
        fields.append(("mem " + Fmt.bytes(s.memoryBytes), 3))
        var trailing = app.isPlaying ? "▶ \(app.playInterval) ms" : ""
        if !layout.hiddenPanes.isEmpty {
            let hidden = "+\(layout.hiddenPanes.count) hidden"
            trailing = trailing.isEmpty ? hidden : trailing + " · " + hidden
        }
        let ascii = screen.appearance.isASCII
        StatusLine(segments: fields.map { ASCIIText.fold($0.text, ascii: ascii) }, trailing: ASCIIText.fold(trailing, ascii: ascii),
                   priorities: fields.map(\.priority))
            .draw(into: &screen, in: layout.statusRow)
    }

    private static func drawMessage(_ app: ExplorerApp, layout: ExplorerLayout, into screen: inout Screen) {
        let row = layout.messageRow
        if app.isEditingCommand {
            InputLine(prompt: ":", text: app.commandLine.text, cursor: app.commandLine.cursor).draw(into: &screen, in: row)
            return
        }
        guard let message = app.message else { return }
        let style = message.isError ? CellStyle(fg: .indexed(9), attributes: .bold) : CellStyle.dim
        let ascii = screen.appearance.isASCII
        let text = ASCIIText.fold(message.text, ascii: ascii)
        // A long result loses whole ` · ` fields from its end rather than a cut word.
        let separator = ASCIIText.fold(" · ", ascii: ascii)
        let fitted = text.count <= row.width ? text
            : PaneDrawer.wholeFields(text.components(separatedBy: separator), width: row.width, separator: separator)
        screen.write(TextLayout.truncate(fitted, to: row.width, ascii: ascii), x: row.x, y: row.y, style: style, clip: row)
    }

    private static func drawHints(_ app: ExplorerApp, layout: ExplorerLayout, into screen: inout Screen) {
        let ascii = screen.appearance.isASCII
        let hints: [HintBar.Hint]
        if app.isEditingCommand {
            if !app.commandLine.candidates.isEmpty {
                let text = "Tab: " + app.commandLine.candidates.joined(separator: " ")
                screen.write(TextLayout.truncate(text, to: layout.hintRow.width, ascii: ascii), x: layout.hintRow.x,
                             y: layout.hintRow.y, style: .dim, clip: layout.hintRow)
                return
            }
            hints = [.init("Enter", "run"), .init("Tab", "complete"), .init("↑↓", "history"), .init("Esc", "cancel")]
        } else {
            switch app.overlay {
            case .help:
                hints = [.init("type", "filter"), .init("↑↓", "select"), .init("Enter", "run"), .init("Esc", "close")]
            case .output:
                hints = [.init("↑↓ PgUp PgDn", "scroll"), .init("←→", "columns"), .init("q Esc", "close"), .init("other keys", "close and act")]
            case nil:
                hints = app.keyTable.hints(focused: app.focus)
            }
        }
        HintBar(hints.map { HintBar.Hint(ASCIIText.fold($0.key, ascii: ascii), ASCIIText.fold($0.action, ascii: ascii)) })
            .draw(into: &screen, in: layout.hintRow)
    }

    // MARK: overlays

    private static func overlayRect(in screen: Screen) -> Rect { OutputLayout.box(for: screen.size) }

    private static func drawHelp(_ app: ExplorerApp, filter: String, selected: Int, into screen: inout Screen) {
        let ascii = screen.appearance.isASCII
        let box = overlayRect(in: screen)
        screen.fill(box)
        // Esc clears a filter first (`ExplorerApp.handleHelp`), and the title says which it will do.
        let esc = filter.isEmpty ? "Esc closes" : "Esc clears the filter"
        Frame(title: ASCIIText.fold("help · keys (type to filter, ↑↓ select, Enter runs, \(esc))", ascii: ascii), isFocused: true)
            .draw(into: &screen, in: box)
        let inner = Frame.contentRect(for: box)
        let (filterRow, rest) = inner.splitTop(1)
        InputLine(prompt: "filter: ", text: filter).draw(into: &screen, in: filterRow)
        let matches = app.keyTable.matching(filter)
        let (tableRect, footer) = rest.splitBottom(1)
        // key | where | what it does, the description wrapped over as many rows as it needs.
        let keyWidth = max(3, matches.map(\.label.count).max() ?? 3)
        let scopeWidth = min(tableRect.width >= 90 ? 20 : 14, max(5, matches.map(\.scope.count).max() ?? 5))
        let actionWidth = max(10, tableRect.width - keyWidth - scopeWidth - 3)
        var rows: [[String]] = []
        var rowOf: [Int] = []
        for (i, m) in matches.enumerated() {
            let scope = TextLayout.wrap(m.scope, width: scopeWidth)
            let action = TextLayout.wrap(ASCIIText.fold(m.summary, ascii: ascii), width: actionWidth)
            for j in 0..<max(scope.count, action.count) {
                rows.append([j == 0 ? ASCIIText.fold(m.label, ascii: ascii) : "", j < scope.count ? scope[j] : "", j < action.count ? action[j] : ""])
                rowOf.append(i)
            }
        }
        let pick = matches.isEmpty ? nil : min(selected, matches.count - 1)
        var table = Table(columns: [Table.Column("key", width: .fixed(keyWidth)), Table.Column("where", width: .fixed(scopeWidth)),
                                    Table.Column("what it does", width: .flexible(1))],
                          rows: rows, selected: pick.flatMap { p in rowOf.lastIndex(of: p) })
        var scroll = table.visibleOffset(in: tableRect)
        if let p = pick, let start = rowOf.firstIndex(of: p), start < scroll { scroll = start }
        table.scrollOffset = scroll
        table.rowStyles = rowOf.map { $0 == pick ? CellStyle.reverse : nil }
        table.draw(into: &screen, in: tableRect)
        let note = matches.isEmpty ? "no key matches \"\(filter)\"" : "\(matches.count) of \(app.keyTable.bindings.count) keys · `:help` lists the session commands"
        screen.write(TextLayout.truncate(note, to: footer.width, ascii: ascii), x: footer.x, y: footer.y, style: .dim, clip: footer)
    }

    private static func drawOutput(title: String, text: String, offset: Int, column: Int, into screen: inout Screen) {
        let ascii = screen.appearance.isASCII
        let box = overlayRect(in: screen)
        screen.fill(box)
        // A command's output is titled with its line; a pane's explanation (`?`) with its own title.
        Frame(title: ASCIIText.fold(title.hasPrefix("?") ? title : ":\(title)", ascii: ascii), isFocused: true).draw(into: &screen, in: box)
        let inner = Frame.contentRect(for: box)
        let layout = OutputLayout(text: ASCIIText.fold(text, ascii: ascii), size: screen.size)
        let lines = layout.lines
        let column = min(column, layout.maxColumn)
        for (i, line) in lines.dropFirst(offset).prefix(inner.height).enumerated() {
            let style: CellStyle = line.hasPrefix("error") ? CellStyle(fg: .indexed(9), attributes: .bold) : .plain
            let shown = String(line.dropFirst(column))
            screen.write(String(shown.prefix(inner.width)), x: inner.x, y: inner.y + i, style: style, clip: inner)
            if shown.count > inner.width { screen.put(ascii ? ">" : "›", x: inner.maxX - 1, y: inner.y + i, style: .reverse) }
            if column > 0 && !line.isEmpty { screen.put(ascii ? "<" : "‹", x: inner.x, y: inner.y + i, style: .reverse) }
        }
        var notes: [String] = []
        if lines.count > inner.height { notes.append("\(offset + 1)-\(min(lines.count, offset + inner.height)) of \(lines.count)") }
        if layout.maxColumn > 0 { notes.append(ascii ? "<- -> columns" : "← → columns") }
        if !notes.isEmpty {
            let position = " " + notes.joined(separator: " · ") + " "
            screen.write(position, x: box.maxX - position.count - 1, y: box.maxY - 1, style: .dim)
        }
    }

    // MARK: formatting

    private static func lastPathComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
