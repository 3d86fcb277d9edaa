import RTFormer
import RTFormerSession

/// The explorer's UI state and its key handling, with no terminal in sight.
///
/// `handle(_:session:)` looks a key up in the one `KeyTable` and either changes UI-only state
/// (focus, visible panes, zoom, overlays, the command-line buffer, play state and speed) or turns
/// it into session command lines run with `Session.execute(line:)`: everything that changes the
/// model, t, layer, channel, neuron, view or fold goes through the session's command language, so
/// a key does exactly what the same line in a `.session` script does.
public struct ExplorerApp: Sendable {
    /// A message under the panes: the last command's result or error.
    public struct Message: Hashable, Sendable {
        /// The text, one line.
        public var text: String
        /// Drawn in the error colour.
        public var isError: Bool
    }

    /// A window drawn over the panes.
    public enum Overlay: Hashable, Sendable {
        /// The key table, filtered by `filter`, with the row `selected` highlighted.
        case help(filter: String, selected: Int)
        /// Multi-line output of a command (`:layers`, `:help`, `:show …`), scrolled by `offset` lines.
        case output(title: String, text: String, offset: Int)
    }

    /// Which membrane quantity the membrane heatmap shows.
    public enum Quantity: String, Hashable, Sendable {
        /// Charged membrane H[t] (before the spike and reset).
        case h = "H"
        /// Membrane after reset V[t].
        case v = "V"
    }

    /// Play-mode intervals between steps, in milliseconds.
    public static let playIntervals = [2000, 1000, 500, 250, 100, 50]

    /// The one key table (keys, help overlay, hint bar).
    public let keyTable: KeyTable
    /// The terminal size the layout is computed for.
    public var size: Size
    /// Panes switched on with their number keys (some may not fit the terminal).
    public private(set) var enabledPanes: Set<ExplorerPane>
    /// The pane movement keys act on; drawn with a heavy border.
    public private(set) var focus: ExplorerPane
    /// The focused pane fills the body (`e`).
    public private(set) var isZoomed = false
    /// The window over the panes, if any.
    public private(set) var overlay: Overlay?
    /// Whether the `:` command line is open.
    public private(set) var isEditingCommand = false
    /// The `:` line buffer and its history (kept between openings).
    public private(set) var commandLine = CommandLineEditor()
    /// Stepping on a timer (`p`).
    public private(set) var isPlaying = false
    /// Index into `playIntervals`.
    public private(set) var speedIndex = 2
    /// What the membrane heatmap shows (`m`).
    public private(set) var quantity = Quantity.h
    /// The message row.
    public private(set) var message: Message?
    /// Set when the session ran `quit`.
    public private(set) var shouldQuit = false
    /// Set by Ctrl-L; the run loop repaints every cell and clears it.
    public var needsFullRedraw = false
    /// First row shown per scrolling pane; the renderer keeps the selection in view from here.
    public var scrollOffsets: [ExplorerPane: Int] = [:]
    /// First scrolling column shown per table pane (`<` `>`); the table clamps it when drawn.
    public var columnOffsets: [ExplorerPane: Int] = [:]
    /// Module-path groups collapsed in the layer tree (Enter or `c` on the layers pane).
    public private(set) var collapsedGroups: Set<String> = []
    /// First column shown of a table-like output pop-up (`←` `→`).
    public private(set) var outputColumn = 0
    /// The command lines the last `handle` call ran, in order (for timing logs and tests).
    public private(set) var lastCommands: [String] = []

    /// - Parameters:
    ///   - size: the terminal size.
    ///   - panes: the panes shown at start (layers, membrane, TSBN and rates by default).
    public init(size: Size, panes: Set<ExplorerPane> = [.layers, .membrane, .tsbn, .rates], keyTable: KeyTable = .standard) {
        self.size = size
        self.enabledPanes = panes
        self.keyTable = keyTable
        self.focus = ExplorerPane.allCases.first(where: panes.contains) ?? .layers
    }

    /// Shows `text` in the message row (a welcome line, a note from the caller).
    public mutating func show(_ text: String, isError: Bool = false) {
        message = Message(text: text, isError: isError)
    }

    /// Milliseconds between steps while playing.
    public var playInterval: Int { Self.playIntervals[speedIndex] }

    /// The panes the current size has room for, in layout order.
    public var layout: ExplorerLayout { ExplorerLayout(app: self) }

    // MARK: keys

    /// Handles one key (or `.timeout` while playing, or `.resize`).
    public mutating func handle(_ key: Key, session: Session) {
        lastCommands = []
        if case .resize(let newSize) = key {
            size = newSize
            return
        }
        if key == .timeout {
            if isPlaying { tick(session: session) }
            return
        }
        if isEditingCommand {
            editCommand(key, session: session)
            return
        }
        switch overlay {
        case .help(let filter, let selected):
            handleHelp(key, filter: filter, selected: selected, session: session)
            return
        case .output(let title, let text, let offset):
            if key == .character("?") && title == PaneLegend.title(for: focus) {
                overlay = .help(filter: "", selected: 0)
                return
            }
            guard !handleOutput(key, title: title, text: text, offset: offset) else { return }
            // Any other key closes the pop-up and does what it does (a `:load weights` result
            // must not swallow the next key).
            overlay = nil
        case nil:
            break
        }
        guard let binding = keyTable.binding(for: key, focused: focus) else {
            if key != .timeout { message = Message(text: "no binding for \(Self.describe(key)) (? lists the keys)", isError: false) }
            return
        }
        perform(binding.action, session: session)
    }

    /// Runs a key action as if its key had been pressed in the focused pane.
    public mutating func perform(_ action: KeyAction, session: Session) {
        switch action {
        case .togglePlay: togglePlay(session: session)
        case .faster: changeSpeed(by: 1)
        case .slower: changeSpeed(by: -1)
        case .togglePane(let pane): togglePane(pane)
        case .zoom: isZoomed.toggle()
        case .focusNext: moveFocus(by: 1)
        case .focusPrevious: moveFocus(by: -1)
        case .help:
            // `?` explains the focused pane (a pop-up that wraps and scrolls); `?` again lists every key.
            overlay = .output(title: PaneLegend.title(for: focus), text: PaneLegend.document(for: focus, keys: keyTable), offset: 0)
            outputColumn = 0
        case .commandLine:
            isEditingCommand = true
            commandLine.open()
        case .dismiss:
            // Esc never ends the session: one Esc too many after a pop-up must be harmless.
            if isZoomed { isZoomed = false } else { message = Message(text: "nothing to close (q quits)", isError: false) }
        case .quit:
            // The session keeps no unsaved state that quitting would lose (train mode is a
            // preview; `save` and `export` write at once), so `q` quits without asking.
            run("quit", session: session)
        case .redraw: needsFullRedraw = true
        case .toggleQuantity: quantity = quantity == .h ? .v : .h
        case .columnsLeft, .columnsRight:
            let delta = action == .columnsLeft ? -1 : 1
            // At most the pane's scrolling columns less one; the table clamps further to its width.
            let scrolling: [ExplorerPane: Int] = [.layers: 7, .tsbn: 5, .diff: 4, .energy: 3]
            columnOffsets[focus] = min(max(0, (columnOffsets[focus] ?? 0) + delta), max(0, (scrolling[focus] ?? 1) - 1))
        case .toggleGroup: toggleGroup(session: session)
        case .move(let direction) where focus == .layers && !collapsedGroups.isEmpty && (direction == .up || direction == .down):
            let paths = session.unfused?.layers.map(\.path) ?? []
            if let l = session.selectedLayer,
               let target = TreeTable.step(paths: paths, collapsed: collapsedGroups, selected: l.path, by: direction == .up ? -1 : 1),
               let index = paths.firstIndex(of: target) {
                run("layer \(index)", session: session)
            }
        case .move, .pageUp, .pageDown, .first, .last:
            if let scroll = scrollAmount(action) {
                scrollOffsets[focus] = max(0, (scrollOffsets[focus] ?? 0) + scroll)
            } else {
                runAll(commands(for: action, session: session), session: session)
            }
        default:
            runAll(commands(for: action, session: session), session: session)
        }
    }

    /// The session command lines `action` stands for in the focused pane, given the session's
    /// current state (empty for UI-only actions and at a boundary, e.g. channel 0 going back).
    public func commands(for action: KeyAction, session: Session) -> [String] {
        let cursor = session.cursor
        let layerCount = session.unfused?.layers.count ?? 0
        let channels = session.selectedLayer.map { session.layout(of: $0).channels } ?? 1
        func channel(_ c: Int) -> [String] {
            let target = min(max(0, c), channels - 1)
            return target == cursor.channel ? [] : ["channel \(target)"]
        }
        func layer(_ i: Int) -> [String] {
            let target = min(max(0, i), layerCount - 1)
            return target == cursor.layerIndex || layerCount == 0 ? [] : ["layer \(target)"]
        }
        switch action {
        case .step: return ["step"]
        case .back: return ["back"]
        case .reset: return ["reset"]
        case .gotoStart: return ["goto t=0"]
        case .runAll: return ["run"]
        case .cycleView:
            let next: ViewMode = switch session.view {
            case .unfused: .deploy
            case .deploy: .split
            case .split: .unfused
            }
            return ["view \(next.rawValue)"]
        case .toggleFold: return ["fold \(session.fold == .exact ? "paper" : "exact")"]
        case .jumpToOrigin: return ["origin"]
        case .previousLayer: return ["layer prev"]
        case .nextLayer: return ["layer next"]
        case .previousChannel: return cursor.channel > 0 ? ["channel prev"] : []
        case .nextChannel: return cursor.channel < channels - 1 ? ["channel next"] : []
        case .toggleStatistics: return ["mode \(session.unfused?.mode == .train ? "eval" : "train")"]
        case .move(let direction):
            switch focus {
            case .layers:
                switch direction {
                case .up: return ["layer prev"]
                case .down: return ["layer next"]
                case .left: return ["back"]
                case .right: return ["step"]
                }
            case .tsbn:
                switch direction {
                case .up, .left: return commands(for: .previousChannel, session: session)
                case .down, .right: return commands(for: .nextChannel, session: session)
                }
            case .membrane, .rates, .raster, .input:
                return neuronMove(direction, session: session)
            case .attention:
                let words: [KeyAction.Direction: String] = [.up: "up", .down: "down", .left: "left", .right: "right"]
                return ["token \(words[direction]!)"]
            case .diff, .energy, .logits:
                return []
            }
        case .pageUp: return focus == .tsbn ? channel(cursor.channel - 10) : layer(cursor.layerIndex - 10)
        case .pageDown: return focus == .tsbn ? channel(cursor.channel + 10) : layer(cursor.layerIndex + 10)
        case .first: return layer(0)
        case .last: return layer(layerCount - 1)
        case .nextHead: return ["head next"]
        case .previousHead: return ["head prev"]
        case .buildNext: return ["build next"]
        case .buildAll: return session.builtLayers == nil ? [] : ["build all"]
        case .pin: return ["pin"]
        case .toggleRasterRows: return [session.rasterRows == .channel ? "raster top 32" : "raster channel"]
        default: return []
        }
    }

    /// `neuron up|down|left|right`, or nothing when the neuron is already at that edge of its grid.
    private func neuronMove(_ direction: KeyAction.Direction, session: Session) -> [String] {
        guard let l = session.selectedLayer else { return [] }
        let lay = session.layout(of: l)
        guard lay.columns > 0, lay.rows > 0 else { return [] }
        let y = session.cursor.position / lay.columns, x = session.cursor.position % lay.columns
        switch direction {
        case .up: return y > 0 ? ["neuron up"] : []
        case .down: return y < lay.rows - 1 ? ["neuron down"] : []
        case .left: return x > 0 ? ["neuron left"] : []
        case .right: return x < lay.columns - 1 ? ["neuron right"] : []
        }
    }

    /// Rows to scroll for a movement key in a pane that scrolls instead of moving a cursor.
    private func scrollAmount(_ action: KeyAction) -> Int? {
        guard [.diff, .energy, .logits].contains(focus) else { return nil }
        let page = max(1, size.height / 2)
        switch action {
        case .move(.up), .move(.left): return -1
        case .move(.down), .move(.right): return 1
        case .pageUp: return -page
        case .pageDown: return page
        case .first: return -Int(Int32.max)
        case .last: return Int(Int32.max)
        default: return nil
        }
    }

    // MARK: session commands

    /// Runs one command line in the session and shows its result: one line in the message row,
    /// several lines (a table, help, a parse error with its caret) in the output overlay.
    public mutating func run(_ line: String, session: Session, fromCommandLine: Bool = false) {
        lastCommands.append(line)
        session.focusedFigurePane = FigurePane(rawValue: focus == .tsbn ? "tsbn" : focus.description)
        let result = session.execute(line: line)
        if result.quit {
            shouldQuit = true
            return
        }
        if let error = result.error {
            if error.contains("\n") {
                overlay = .output(title: line, text: error, offset: 0)
                outputColumn = 0
            }
            message = Message(text: error.split(separator: "\n").last.map(String.init) ?? error, isError: true)
            if isPlaying { isPlaying = false }
            return
        }
        let output = result.output
        if fromCommandLine && output.contains("\n") {
            overlay = .output(title: line, text: output, offset: 0)
            outputColumn = 0
            message = Message(text: "\(line): \(output.split(separator: "\n").count) lines (q closes)", isError: false)
        } else {
            let first = output.split(separator: "\n").first.map(String.init) ?? ""
            message = Message(text: first.isEmpty || first == line ? line : "\(line) → \(first)", isError: false)
        }
    }

    private mutating func runAll(_ lines: [String], session: Session) {
        for line in lines {
            run(line, session: session)
            if message?.isError == true || shouldQuit { break }
        }
    }

    /// Runs the lines of a `.session` script (`rtformer tui --session FILE`) and shows a summary.
    public mutating func replay(_ result: ReplayResult, file: String) {
        if result.passed {
            message = Message(text: "replayed \(file): \(result.linesRun) lines", isError: false)
        } else {
            message = Message(text: "replayed \(file): \(result.failures.count) failed (first: \(result.failures[0]))", isError: true)
            overlay = .output(title: "replay \(file)", text: result.transcript, offset: 0)
            outputColumn = 0
        }
    }

    /// Collapses the group of the selected layer, or opens the collapsed group that hides it.
    private mutating func toggleGroup(session: Session) {
        guard let path = session.selectedLayer?.path else { return }
        if let hiding = collapsedGroups.filter({ path.hasPrefix($0 + ".") }).min(by: { $0.count < $1.count }) {
            collapsedGroups.remove(hiding)
            message = Message(text: "opened \(hiding)", isError: false)
        } else if let group = TreeTable.group(of: path) {
            collapsedGroups.insert(group)
            message = Message(text: "collapsed \(group) (Enter opens it)", isError: false)
        } else {
            message = Message(text: "\(path) is at the top level", isError: false)
        }
    }

    // MARK: play

    private mutating func togglePlay(session: Session) {
        if isPlaying {
            isPlaying = false
            message = Message(text: "paused", isError: false)
            return
        }
        let timesteps = session.config?.timesteps ?? 0
        if session.cursor.t >= timesteps - 1 { run("goto t=0", session: session) }
        isPlaying = message?.isError != true
        if isPlaying { message = Message(text: "playing every \(playInterval) ms (p pauses, + - speed)", isError: false) }
    }

    private mutating func tick(session: Session) {
        let timesteps = session.config?.timesteps ?? 0
        guard session.cursor.t < timesteps - 1 else {
            isPlaying = false
            message = Message(text: "reached the last timestep t = \(timesteps - 1); p plays again from t = 0", isError: false)
            return
        }
        run("step", session: session)
    }

    private mutating func changeSpeed(by delta: Int) {
        speedIndex = min(Self.playIntervals.count - 1, max(0, speedIndex + delta))
        message = Message(text: "play interval \(playInterval) ms", isError: false)
    }

    // MARK: panes and focus

    private mutating func togglePane(_ pane: ExplorerPane) {
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
                message = Message(text: "\(pane) is on but does not fit \(size); e zooms it", isError: false)
            }
        }
    }

    private mutating func moveFocus(by delta: Int) {
        let shown = isZoomed ? ExplorerPane.allCases.filter(enabledPanes.contains) : layout.panes
        guard !shown.isEmpty else { return }
        let i = shown.firstIndex(of: focus) ?? 0
        focus = shown[(i + delta + shown.count) % shown.count]
    }

    // MARK: command line

    private mutating func editCommand(_ key: Key, session: Session) {
        switch key {
        case .character(let ch): commandLine.insert(ch)
        case .backspace:
            if !commandLine.deleteBackward() && commandLine.text.isEmpty { isEditingCommand = false }
        case .delete: commandLine.deleteForward()
        case .left: commandLine.moveLeft()
        case .right: commandLine.moveRight()
        case .home, .control("a"): commandLine.moveToStart()
        case .end, .control("e"): commandLine.moveToEnd()
        case .up: commandLine.historyUp()
        case .down: commandLine.historyDown()
        case .tab: commandLine.complete { Self.completions(after: $0, session: session) }
        case .escape, .control("c"), .control("g"):
            isEditingCommand = false
        case .enter:
            let line = commandLine.submit()
            isEditingCommand = false
            guard !line.trimmingWhitespace().isEmpty else { return }
            run(line, session: session, fromCommandLine: true)
        case .redraw: needsFullRedraw = true
        default: break
        }
    }

    /// Candidates for the word after `words` on a command line.
    static func completions(after words: [String], session: Session) -> [String] {
        guard let command = words.first else { return CommandTable.names }
        // `load weights FILE [ema] [key NAME] [map FILE] [heads N]`: the options after the file.
        if command == "load" && words.count >= 3 && !["key", "map", "heads"].contains(words.last!) {
            return ["ema", "key", "map", "heads"]
        }
        guard words.count == 1 else { return [] }
        switch command {
        case "view": return ViewMode.allCases.map(\.rawValue)
        case "fold": return ThresholdFoldMode.allCases.map(\.rawValue)
        case "show": return Pane.allCases.map(\.rawValue)
        case "diff": return ["local", "e2e"]
        case "export": return ExportKind.allCases.map(\.rawValue) + FigureFormat.allCases.map(\.rawValue)
        case "build": return ["next", "all"] + (session.unfused?.layers.map(\.path) ?? [])
        case "raster": return ["channel", "top"]
        case "pin": return ["clear"]
        case "layer": return ["next", "prev"] + (session.unfused?.layers.map(\.path) ?? [])
        case "goto": return ["t="]
        case "load": return ["weights"]
        case "input": return ["default"]
        case "help": return CommandTable.names
        case "model": return ModelConfig.namedOrder
        default: return []
        }
    }

    // MARK: overlays

    private mutating func handleHelp(_ key: Key, filter: String, selected: Int, session: Session) {
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
    private mutating func handleOutput(_ key: Key, title: String, text: String, offset: Int) -> Bool {
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
