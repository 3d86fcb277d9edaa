import RTFormer

/// Where the user is looking: a layer, a timestep, a channel and a position in it.
public struct Cursor: Equatable, Sendable {
    /// Row of the unfused model's layer table (`Network.layers`).
    public var layerIndex: Int = 0
    /// Current timestep, 0…T−1.
    public var t: Int = 0
    /// Selected channel of the selected layer.
    public var channel: Int = 0
    /// Selected position within the channel (row-major `y·W + x`, or token index n).
    public var position: Int = 0
    /// Attention pane: the head shown (SSA map or SDSA channel group `head·d_h …`).
    public var head: Int = 0
    /// Attention pane: the selected (query) token n, row-major `n = y·W′ + x` over the token grid.
    public var token: Int = 0

    public init() {}
}

/// Whether a new input starts from rest or keeps the neuron state of the previous one.
public enum NeuronStateMode: String, Sendable, Equatable {
    case fresh, carried
}

/// Builds the deploy twin of an unfused network (the seam for `DeployConversion.convert`, issue 4).
/// - Parameters: the unfused network (never mutated) and the threshold fold mode.
/// - Returns: a deploy-flavour network with the same config.
public typealias DeployBuilder = (Network, ThresholdFoldMode) throws -> Network
