/// What a key does. Actions that touch the model, t, layer, channel, neuron, view or fold become
/// session command lines (`ExplorerApp.commands(for:session:)`); the rest change only the UI.
public enum KeyAction: Hashable, Sendable {
    case step
    case back
    case togglePlay
    case faster
    case slower
    case reset
    case gotoStart
    case runAll
    case cycleView
    case toggleFold
    case toggleStatistics
    /// Cursor to the first mismatch origin of the diff (session `origin`).
    case jumpToOrigin
    case previousLayer
    case nextLayer
    case previousChannel
    case nextChannel
    /// Cursor movement inside the focused pane; what it moves depends on the pane.
    case move(Direction)
    case pageUp
    case pageDown
    case first
    case last
    case toggleQuantity
    /// Table columns scroll one column left / right (`<` `>`).
    case columnsLeft
    case columnsRight
    /// Collapse the layer tree's group of the selected layer, or open the one hiding it.
    case toggleGroup
    /// Attention pane: the next / previous head (session `head next|prev`).
    case nextHead
    case previousHead
    /// Layer-by-layer build: add the next layer / complete the model (session `build`).
    case buildNext
    case buildAll
    /// Pin or unpin the selected neuron on the membrane trace (session `pin`).
    case pin
    /// Raster rows: the selected channel ↔ the most active neurons (session `raster`).
    case toggleRasterRows
    case togglePane(ExplorerPane)
    case zoom
    case focusNext
    case focusPrevious
    case help
    case commandLine
    /// Esc: close, cancel or unzoom; never quits.
    case dismiss
    /// `q`: end the session.
    case quit
    case redraw

    /// A direction of cursor movement.
    public enum Direction: Hashable, Sendable {
        case up, down, left, right
    }
}

/// One entry of the key table: the keys, what they do and where.
public struct ExplorerBinding: Hashable, Sendable {
    /// The keys that trigger the binding.
    public var keys: [Key]
    /// How the keys are written in help and the hint bar (`space .`, `↑ k`).
    public var label: String
    /// What the keys do.
    public var action: KeyAction
    /// One line for the help overlay.
    public var summary: String
    /// The panes the binding applies to when focused; empty for everywhere.
    public var panes: Set<ExplorerPane>
    /// A short word for the hint bar, or nil to leave the binding out of it.
    public var hint: String?
    /// How the hint bar writes the keys, when not as `label` (`1-7` for the pane toggles).
    public var hintLabel: String?

    /// A binding; see the properties for the arguments.
    public init(_ keys: [Key], _ label: String, _ action: KeyAction, _ summary: String,
                panes: Set<ExplorerPane> = [], hint: String? = nil, hintLabel: String? = nil) {
        self.keys = keys
        self.label = label
        self.action = action
        self.summary = summary
        self.panes = panes
        self.hint = hint
        self.hintLabel = hintLabel
    }

    /// Where the binding applies, as help shows it: `all`, or the pane names.
    public var scope: String {
        panes.isEmpty ? "all" : ExplorerPane.allCases.filter(panes.contains).map(\.description).joined(separator: ", ")
    }
}

/// The one key table: `ExplorerApp.handle` looks keys up in it, the `?` overlay lists it and the
/// hint bar is drawn from it, so the three cannot disagree.
public struct KeyTable: Sendable {
    /// In help-overlay order.
    public var bindings: [ExplorerBinding]

    /// A table of `bindings`.
    public init(_ bindings: [ExplorerBinding]) { self.bindings = bindings }

    /// The binding for `key` with `pane` focused: a binding for that pane wins over a global one.
    public func binding(for key: Key, focused pane: ExplorerPane?) -> ExplorerBinding? {
        if let pane, let b = bindings.first(where: { $0.panes.contains(pane) && $0.keys.contains(key) }) { return b }
        return bindings.first { $0.panes.isEmpty && $0.keys.contains(key) }
    }

    /// The hint bar for `pane`: that pane's hinted bindings, then the global ones, most used
    /// first (the bar shows as many as fit).
    public func hints(focused pane: ExplorerPane?) -> [HintBar.Hint] {
        let local = bindings.filter { b in pane.map { b.panes.contains($0) } ?? false }
        let global = bindings.filter(\.panes.isEmpty).enumerated().sorted { a, b in
            (Self.hintPriority.firstIndex(of: a.element.action) ?? Self.hintPriority.count, a.offset)
                < (Self.hintPriority.firstIndex(of: b.element.action) ?? Self.hintPriority.count, b.offset)
        }.map(\.element)
        return (local + global).compactMap { b in b.hint.map { HintBar.Hint(b.hintLabel ?? b.label, $0) } }
    }

    /// Global actions in the order the hint bar offers them.
    private static let hintPriority: [KeyAction] = [
        .step, .back, .help, .togglePlay, .cycleView, .toggleFold, .commandLine, .quit, .nextLayer, .nextChannel,
        .focusNext, .zoom, .togglePane(.layers),
    ]

    /// The bindings whose label, summary or scope contains `filter` (case-insensitive); all of
    /// them for an empty filter.
    public func matching(_ filter: String) -> [ExplorerBinding] {
        let f = filter.lowercased()
        guard !f.isEmpty else { return bindings }
        return bindings.filter {
            $0.label.lowercased().contains(f) || $0.summary.lowercased().contains(f) || $0.scope.lowercased().contains(f)
        }
    }

    /// The explorer's keys (DESIGN §5): htop/lazygit/k9s/VisiData conventions.
    public static let standard: KeyTable = {
        let c = Key.character
        let neuronPanes: Set<ExplorerPane> = [.membrane, .rates, .raster, .input]
        let scrollPanes: Set<ExplorerPane> = [.diff, .energy, .logits]
        let tablePanes: Set<ExplorerPane> = [.layers, .tsbn, .diff, .energy]
        var b: [ExplorerBinding] = [
            ExplorerBinding([c(" "), c(".")], "space .", .step, "step: compute the next timestep (session `step`)", hint: "step"),
            ExplorerBinding([c(",")], ",", .back, "back one timestep (session `back`)", hint: "back"),
            ExplorerBinding([c("p")], "p", .togglePlay, "play / pause: step on a timer", hint: "play"),
            ExplorerBinding([c("+"), c("=")], "+", .faster, "play faster"),
            ExplorerBinding([c("-"), c("_")], "-", .slower, "play slower"),
            ExplorerBinding([c("r")], "r", .reset, "reset: neurons to rest, t = 0 (session `reset`)"),
            ExplorerBinding([c("g")], "g", .gotoStart, "go to t = 0 (session `goto t=0`)"),
            ExplorerBinding([c("G")], "G", .runAll, "compute every remaining timestep (session `run`)"),
            ExplorerBinding([c("v")], "v", .cycleView, "view: unfused → deploy → split (session `view`)", hint: "view"),
            ExplorerBinding([c("f")], "f", .toggleFold, "fold: exact ↔ paper (session `fold`)", hint: "fold"),
            ExplorerBinding([c("o")], "o", .jumpToOrigin, "jump to the first mismatch origin: layer, t, channel, neuron (session `origin`)"),
            ExplorerBinding([c("t")], "t", .toggleStatistics, "norm statistics: eval (running) ↔ train preview (window; eval restores the running ones) (session `mode`)"),
            ExplorerBinding([c("[")], "[", .previousLayer, "previous layer (session `layer prev`)"),
            ExplorerBinding([c("]")], "]", .nextLayer, "next layer (session `layer next`)", hint: "layer", hintLabel: "[ ]"),
            ExplorerBinding([c("{")], "{", .previousChannel, "previous channel (session `channel prev`)"),
            ExplorerBinding([c("}")], "}", .nextChannel, "next channel (session `channel next`)", hint: "channel", hintLabel: "{ }"),
        ]
        b += [
            ExplorerBinding([.up, c("k")], "↑ k", .move(.up), "previous layer", panes: [.layers], hint: "layer", hintLabel: "↑↓"),
            ExplorerBinding([.down, c("j")], "↓ j", .move(.down), "next layer", panes: [.layers]),
            ExplorerBinding([.left, c("h")], "← h", .move(.left), "back one timestep", panes: [.layers], hint: "t", hintLabel: "←→"),
            ExplorerBinding([.right, c("l")], "→ l", .move(.right), "step one timestep", panes: [.layers]),
            ExplorerBinding([.enter, c("c")], "Enter c", .toggleGroup, "collapse the selected layer's group (blocks → attn/mlp), or open it again",
                            panes: [.layers], hint: "group", hintLabel: "Enter"),
            ExplorerBinding([c("<")], "<", .columnsLeft, "table columns: scroll one column left", panes: tablePanes),
            ExplorerBinding([c(">")], ">", .columnsRight, "table columns: scroll one column right (‹ › in the heading mark hidden columns)",
                            panes: tablePanes),
            ExplorerBinding([.pageUp], "PgUp", .pageUp, "ten layers up", panes: [.layers]),
            ExplorerBinding([.pageDown], "PgDn", .pageDown, "ten layers down", panes: [.layers]),
            ExplorerBinding([.home], "Home", .first, "first layer", panes: [.layers]),
            ExplorerBinding([.end], "End", .last, "last layer", panes: [.layers]),
            ExplorerBinding([.up, c("k")], "↑ k", .move(.up), "neuron one row up (session `neuron up`)", panes: neuronPanes, hint: "neuron",
                            hintLabel: "↑↓←→"),
            ExplorerBinding([.down, c("j")], "↓ j", .move(.down), "neuron one row down", panes: neuronPanes),
            ExplorerBinding([.left, c("h")], "← h", .move(.left), "neuron one column left", panes: neuronPanes),
            ExplorerBinding([.right, c("l")], "→ l", .move(.right), "neuron one column right", panes: neuronPanes),
            ExplorerBinding([c("R")], "R", .toggleRasterRows, "raster rows: the neurons of the selected map ↔ the 32 most active (session `raster`)",
                            panes: [.raster], hint: "rows"),
            ExplorerBinding([c("m")], "m", .toggleQuantity, "heatmap of H (charged) or V (after reset)", panes: [.membrane], hint: "H/V"),
            ExplorerBinding([.up, c("k")], "↑ k", .move(.up), "previous channel (session `channel prev`)", panes: [.tsbn], hint: "channel",
                            hintLabel: "↑↓"),
            ExplorerBinding([.down, c("j")], "↓ j", .move(.down), "next channel", panes: [.tsbn]),
            ExplorerBinding([.pageUp], "PgUp", .pageUp, "ten channels up", panes: [.tsbn]),
            ExplorerBinding([.pageDown], "PgDn", .pageDown, "ten channels down", panes: [.tsbn]),
            ExplorerBinding([.up, c("k")], "↑ k", .move(.up), "scroll up", panes: scrollPanes, hint: "scroll", hintLabel: "↑↓"),
            ExplorerBinding([.down, c("j")], "↓ j", .move(.down), "scroll down", panes: scrollPanes),
            ExplorerBinding([.pageUp], "PgUp", .pageUp, "scroll a page up", panes: scrollPanes),
            ExplorerBinding([.pageDown], "PgDn", .pageDown, "scroll a page down", panes: scrollPanes),
        ]
        // Issue 14: the attention pane's token (arrow keys) and head.
        b += [
            ExplorerBinding([.up, c("k")], "↑ k", .move(.up), "attention token one row up (session `token up`)", panes: [.attention],
                            hint: "token", hintLabel: "↑↓←→"),
            ExplorerBinding([.down, c("j")], "↓ j", .move(.down), "attention token one row down", panes: [.attention]),
            ExplorerBinding([.left, c("h")], "← h", .move(.left), "attention token one column left", panes: [.attention]),
            ExplorerBinding([.right, c("l")], "→ l", .move(.right), "attention token one column right", panes: [.attention]),
            ExplorerBinding([c("n")], "n", .nextHead, "next attention head (session `head next`)", panes: [.attention], hint: "head",
                            hintLabel: "n N"),
            ExplorerBinding([c("N")], "N", .previousHead, "previous attention head (session `head prev`)", panes: [.attention]),
        ]
        b += ExplorerPane.allCases.map { pane in
            ExplorerBinding([c(pane.numberKey)], String(pane.numberKey), .togglePane(pane), "show / hide the \(pane) pane",
                       hint: pane == .layers ? "panes" : nil,
                            hintLabel: pane == .layers ? "1-\(ExplorerPane.allCases.count)" : nil)
        }
        b += [
            ExplorerBinding([c("b")], "b", .buildNext, "build the next layer: both twins grow and compute it (session `build next`)"),
            ExplorerBinding([c("B")], "B", .buildAll, "complete the layer-by-layer build (session `build all`)"),
            ExplorerBinding([c("P")], "P", .pin, "pin / unpin the selected neuron: pinned traces overlay on the membrane (session `pin`)"),
            ExplorerBinding([c("e")], "e", .zoom, "zoom the focused pane (again to unzoom)", hint: "zoom"),
            ExplorerBinding([.tab], "Tab", .focusNext, "focus the next pane", hint: "focus"),
            ExplorerBinding([.backTab], "S-Tab", .focusPrevious, "focus the previous pane"),
            ExplorerBinding([c("?")], "?", .help, "what the focused pane shows and its marks, then every key (type to filter, Enter runs)",
                            hint: "help"),
            ExplorerBinding([c(":")], ":", .commandLine, "command line: any session command (Tab completes, ↑↓ history)", hint: "cmd"),
            ExplorerBinding([.escape], "Esc", .dismiss, "close a pop-up, cancel the command line, unzoom (never quits)"),
            ExplorerBinding([c("q")], "q", .quit, "quit", hint: "quit"),
            ExplorerBinding([.redraw], "C-l", .redraw, "redraw the screen"),
        ]
        return KeyTable(b)
    }()
}
