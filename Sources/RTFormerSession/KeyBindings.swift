/// A key of the terminal UI and the command line it stands for (DESIGN §1: every key produces a
/// command of the session language, so the UI can do nothing a script cannot).
public struct KeyBinding: Sendable, Equatable {
    /// The key as the help overlay shows it: `space`, `.`, `,`, `r`, `[`, `Tab`, …
    public var key: String
    /// The command line it runs (parsed by `CommandParser` like any other line).
    public var command: String
    /// What the help overlay says.
    public var summary: String
}

/// The key map the session suggests to the terminal UI; keys that only move focus, scroll or zoom
/// panes (Tab, number keys, `e`, Ctrl-L, `:`, `?`, `q`) are the UI's own and not listed here.
public enum KeyBindings {
    /// Key → command line, in help-overlay order.
    public static let suggested: [KeyBinding] = [
        KeyBinding(key: "space", command: "step", summary: "one timestep forward"),
        KeyBinding(key: ".", command: "step", summary: "one timestep forward"),
        KeyBinding(key: ",", command: "back", summary: "one timestep back (recorded state)"),
        KeyBinding(key: "g", command: "goto t=0", summary: "first timestep"),
        KeyBinding(key: "G", command: "run", summary: "compute every timestep, go to the last"),
        KeyBinding(key: "r", command: "reset", summary: "neuron state back to rest"),
        KeyBinding(key: "J", command: "layer next", summary: "next layer"),
        KeyBinding(key: "K", command: "layer prev", summary: "previous layer"),
        KeyBinding(key: "]", command: "channel next", summary: "next channel"),
        KeyBinding(key: "[", command: "channel prev", summary: "previous channel"),
        KeyBinding(key: "k / up", command: "neuron up", summary: "neuron cursor one row up"),
        KeyBinding(key: "j / down", command: "neuron down", summary: "neuron cursor one row down"),
        KeyBinding(key: "h / left", command: "neuron left", summary: "neuron cursor one column left"),
        KeyBinding(key: "l / right", command: "neuron right", summary: "neuron cursor one column right"),
        KeyBinding(key: "u", command: "view unfused", summary: "show the unfused model"),
        KeyBinding(key: "d", command: "view deploy", summary: "show the deploy twin"),
        KeyBinding(key: "s", command: "view split", summary: "both side by side"),
        KeyBinding(key: "f", command: "fold paper", summary: "toggle fold exact ↔ paper (UI picks the other one)"),
        KeyBinding(key: "m", command: "mode train", summary: "toggle eval ↔ train statistics (UI picks the other one)"),
        KeyBinding(key: "b", command: "build next", summary: "build the next layer"),
        KeyBinding(key: "B", command: "build all", summary: "build every layer"),
    ]
}
