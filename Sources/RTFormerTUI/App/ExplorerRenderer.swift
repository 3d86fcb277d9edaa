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
        var app = app
        app.size = size
        var screen = Screen(size: size, appearance: appearance)
        if ExplorerLayout.minimumSize.drawMessageIfTooSmall(into: &screen) {
            return (screen, app.scrollOffsets)
        }
        let layout = app.layout
        var drawer = PaneDrawer(app: app, session: session, ascii: appearance.isASCII)
        drawStatus(app, session: session, layout: layout, into: &screen)
        for (pane, rect) in layout.frames {
            drawer.draw(pane, in: rect, into: &screen)
        }
        drawMessage(app, layout: layout, into: &screen)
        drawHints(app, layout: layout, into: &screen)
        switch app.overlay {
        case .help(let filter, let selected):
            drawHelp(app, filter: filter, selected: selected, into: &screen)
        case .output(let title, let text, let offset):
            drawOutput(title: title, text: text, offset: offset, into: &screen)
        case nil:
            break
        }
        return (screen, drawer.scrollOffsets)
    }

    // MARK: rows

    private static func drawStatus(_ app: ExplorerApp, session: Session, layout: ExplorerLayout, into screen: inout Screen) {
        let s = session.statusView()
        // What changes as the user explores comes first, so narrow terminals keep it.
        var segments: [String] = []
        var model = s.model ?? "no model"
        if s.weights != "seeded" { model += " " + lastPathComponent(s.weights) } else if s.model != nil { model += " seeded" }
        segments.append(model)
        segments.append("t \(s.t)/\(s.timesteps)")
        segments.append(s.view.rawValue)
        segments.append("fold \(s.fold.rawValue)")
        // The verdict (issue 11): computed here when a full recording (what the diff replays
        // into) takes up to 256 MiB; larger models show
        // it once the diff pane (or `diff`) has computed it for the current state.
        if let v = session.cachedVerdict ?? (session.fullRecordingBytes <= 256 << 20 ? session.verdict : nil) {
            segments.append(v.rawValue)
        }
        segments.append(s.neuronState.rawValue)
        if session.unfused?.mode == .train { segments.append("train stats") }
        let label = session.input.flatMap { input in
            input.label.map { l in input.classNames.flatMap { l < $0.count ? " " + $0[l] : nil } ?? " label \(l)" }
        } ?? ""
        segments.append(s.input.map { $0 + label } ?? "no input")
        segments.append("mem " + formatBytes(s.memoryBytes))
        var trailing = app.isPlaying ? "▶ \(app.playInterval) ms" : ""
        if !layout.hiddenPanes.isEmpty {
            let hidden = "+\(layout.hiddenPanes.count) hidden"
            trailing = trailing.isEmpty ? hidden : trailing + " · " + hidden
        }
        let ascii = screen.appearance.isASCII
        StatusLine(segments: segments.map { ASCIIText.fold($0, ascii: ascii) }, trailing: ASCIIText.fold(trailing, ascii: ascii))
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
        let text = ASCIIText.fold(message.text, ascii: screen.appearance.isASCII)
        screen.write(TextLayout.truncate(text, to: row.width, ascii: screen.appearance.isASCII), x: row.x, y: row.y,
                     style: style, clip: row)
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
                hints = [.init("↑↓ PgUp PgDn", "scroll"), .init("q Esc", "close")]
            case nil:
                hints = app.keyTable.hints(focused: app.focus)
            }
        }
        HintBar(hints.map { HintBar.Hint(ASCIIText.fold($0.key, ascii: ascii), ASCIIText.fold($0.action, ascii: ascii)) })
            .draw(into: &screen, in: layout.hintRow)
    }

    // MARK: overlays

    private static func overlayRect(in screen: Screen) -> Rect {
        screen.bounds.inset(top: 1, left: 0, bottom: 2, right: 0)
            .centered(Size(width: min(screen.width - 4, 100), height: screen.height - 5))
    }

    private static func drawHelp(_ app: ExplorerApp, filter: String, selected: Int, into screen: inout Screen) {
        let ascii = screen.appearance.isASCII
        let box = overlayRect(in: screen)
        screen.fill(box)
        Frame(title: ASCIIText.fold("help · keys (type to filter, ↑↓ select, Enter runs, Esc closes)", ascii: ascii), isFocused: true)
            .draw(into: &screen, in: box)
        let inner = Frame.contentRect(for: box)
        let (filterRow, rest) = inner.splitTop(1)
        InputLine(prompt: "filter: ", text: filter).draw(into: &screen, in: filterRow)
        let matches = app.keyTable.matching(filter)
        let (tableRect, footer) = rest.splitBottom(1)
        let table = Table(columns: [Table.Column("key", width: .fixed(9)), Table.Column("action", width: .flexible(1)),
                                    Table.Column("where", width: .fixed(20))],
                          rows: matches.map { [ASCIIText.fold($0.label, ascii: ascii), ASCIIText.fold($0.summary, ascii: ascii),
                                               $0.scope] },
                          selected: matches.isEmpty ? nil : min(selected, matches.count - 1))
        table.draw(into: &screen, in: tableRect)
        let note = matches.isEmpty ? "no key matches \"\(filter)\"" : "\(matches.count) of \(app.keyTable.bindings.count) keys · `:help` lists the session commands"
        screen.write(TextLayout.truncate(note, to: footer.width, ascii: ascii), x: footer.x, y: footer.y, style: .dim, clip: footer)
    }

    private static func drawOutput(title: String, text: String, offset: Int, into screen: inout Screen) {
        let ascii = screen.appearance.isASCII
        let box = overlayRect(in: screen)
        screen.fill(box)
        Frame(title: ASCIIText.fold(":\(title)", ascii: ascii), isFocused: true).draw(into: &screen, in: box)
        let inner = Frame.contentRect(for: box)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.dropFirst(offset).prefix(inner.height).enumerated() {
            let style: CellStyle = line.hasPrefix("error") ? CellStyle(fg: .indexed(9), attributes: .bold) : .plain
            screen.write(TextLayout.truncate(ASCIIText.fold(String(line), ascii: ascii), to: inner.width, ascii: ascii),
                         x: inner.x, y: inner.y + i, style: style, clip: inner)
        }
        if lines.count > inner.height {
            let position = " \(offset + 1)-\(min(lines.count, offset + inner.height)) of \(lines.count) "
            screen.write(position, x: box.maxX - position.count - 1, y: box.maxY - 1, style: .dim)
        }
    }

    // MARK: formatting

    static func formatBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[u]
    }

    private static func lastPathComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
