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
        /// Says the focused pane does not fit the layout: zooming answers it, and it goes then.
        public var isZoomHint = false
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
    public internal(set) var enabledPanes: Set<ExplorerPane>
    /// The pane movement keys act on; drawn with a heavy border.
    public internal(set) var focus: ExplorerPane
    /// The focused pane fills the body (`e`).
    public internal(set) var isZoomed = false
    /// The window over the panes, if any.
    public internal(set) var overlay: Overlay?
    /// Whether the `:` command line is open.
    public internal(set) var isEditingCommand = false
    /// The `:` line buffer and its history (kept between openings).
    public internal(set) var commandLine = CommandLineEditor()
    /// Stepping on a timer (`p`).
    public internal(set) var isPlaying = false
    /// Index into `playIntervals`.
    public internal(set) var speedIndex = 2
    /// What the membrane heatmap shows (`m`).
    public internal(set) var quantity = Quantity.h
    /// The message row.
    public internal(set) var message: Message?
    /// Set when the session ran `quit`.
    public internal(set) var shouldQuit = false
    /// Set by Ctrl-L; the run loop repaints every cell and clears it.
    public var needsFullRedraw = false
    /// First row shown per scrolling pane; the renderer keeps the selection in view from here.
    public var scrollOffsets: [ExplorerPane: Int] = [:]
    /// First scrolling column shown per table pane (`<` `>`); the table clamps it when drawn.
    public var columnOffsets: [ExplorerPane: Int] = [:]
    /// Module-path groups collapsed in the layer tree (Enter or `c` on the layers pane).
    public internal(set) var collapsedGroups: Set<String> = []
    /// First column shown of a table-like output pop-up (`←` `→`).
    public internal(set) var outputColumn = 0
    /// The command lines the last `handle` call ran, in order (for timing logs and tests).
    public internal(set) var lastCommands: [String] = []

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
        // An error answers only the key that caused it: the next key clears it (a command's
        // result stays until the next command replaces it).
        if message?.isError == true { message = nil }
        perform(binding.action, session: session)
    }

    /// Runs a key action as if its key had been pressed in the focused pane.
    public mutating func perform(_ action: KeyAction, session: Session) {
        switch action {
        case .togglePlay: togglePlay(session: session)
        case .faster: changeSpeed(by: 1)
        case .slower: changeSpeed(by: -1)
        case .togglePane(let pane): togglePane(pane)
        case .zoom:
            isZoomed.toggle()
            if isZoomed, message?.isZoomHint == true { message = nil }
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
    func neuronMove(_ direction: KeyAction.Direction, session: Session) -> [String] {
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
    func scrollAmount(_ action: KeyAction) -> Int? {
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
}
