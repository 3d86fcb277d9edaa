/// A pane of the explorer. Each is toggled by its number key (`1`…`9`, then `0` for the tenth)
/// and draws one of the session's view models.
public enum ExplorerPane: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case layers = 1
    case membrane
    case tsbn
    case rates
    case diff
    case energy
    case logits
    /// Issue 14: attention of the selected layer's block (`AttentionPane.swift`).
    case attention = 8
    /// Spikes × t of the selected layer (RasterPane.swift); key 9 (8 is left to the attention pane).
    case raster = 9
    /// The encoded input (InputPane.swift); key 0.
    case input = 10

    /// The pane's name in titles and help (`membrane`, `TSBN`).
    public var description: String {
        switch self {
        case .layers: "layers"
        case .membrane: "membrane"
        case .tsbn: "TSBN"
        case .rates: "rates"
        case .diff: "diff"
        case .energy: "energy"
        case .logits: "logits"
        case .attention: "attention"
        case .raster: "raster"
        case .input: "input"
        }
    }

    /// The number key that shows or hides the pane.
    public var numberKey: Character { Character(String(rawValue % 10)) }

    /// The pane for number key `character`, if any.
    public init?(numberKey character: Character) {
        guard let n = character.wholeNumberValue, let pane = ExplorerPane(rawValue: n == 0 ? 10 : n) else { return nil }
        self = pane
    }

    /// The smallest frame (border included) the pane is laid out in; below it the pane is left
    /// out of the layout rather than drawn unreadably.
    var minimumSize: Size {
        switch self {
        case .layers: Size(width: 26, height: 8)
        case .membrane: Size(width: 40, height: 12)
        case .tsbn, .rates, .diff, .energy, .logits: Size(width: 30, height: 7)
        case .attention: Size(width: 36, height: 8)
        case .raster, .input: Size(width: 30, height: 8)
        }
    }
}
