/// How a layer's operations count in the energy model (SPEC §9).
public enum OperationClass: String, Sendable, Codable {
    /// Multiply-accumulate on real-valued input (conv0, or inputs that are not binary).
    case mac = "MAC"
    /// Accumulate-only on binary spike input (SOP).
    case ac = "AC"
    /// Not counted by the convention (norms, neurons, pooling, residual adds).
    case none = "-"
}

/// One state_dict entry a layer owns.
public struct ParameterInfo: Sendable, Equatable {
    /// Full state_dict key, e.g. `patch_embed.proj_tsbn.weight`.
    public var key: String
    public var shape: [Int]
    /// Buffers (running statistics, `num_batches_tracked`) and deploy flags are not parameters.
    public var isParameter: Bool
    public var count: Int { shape.product }
}

/// A layer of the model as `rtformer info` and the session's `build next` show it.
public struct LayerInfo: Sendable {
    /// Module path (the PyTorch state_dict prefix), e.g. `block.0.attn.q_conv`.
    public var path: String
    /// What it is (`LayerKind`); its `description` is the table text, e.g. `Conv2d 3×3`, `TSBN`,
    /// `TSBN-LIF`, `MaxPool 3/2/1`.
    public var kind: LayerKind
    /// Input shape of one timestep and sample, e.g. `[3, 32, 32]`.
    public var inputShape: [Int]
    /// Output shape of one timestep and sample.
    public var outputShape: [Int]
    public var parameters: [ParameterInfo]
    /// Synaptic operations per timestep and sample if every input were active (SPEC §9 FL).
    public var flPerTimestep: Int
    /// Whether the layer's input is a 0/1 spike tensor.
    public var inputIsBinary: Bool
    public var operation: OperationClass
    /// Name of the recorded binary tensor whose firing rate drives this layer's SOPs (SPEC §9, R8).
    public var rateSource: String?
    /// Whether the layer is a spiking neuron (has H, S, V recordings).
    public var isNeuron: Bool
    /// The folded deploy layer replaces this one (for the unfused/deploy marker).
    public var isFolded: Bool = false

    /// Trainable parameters (buffers excluded).
    public var parameterCount: Int { parameters.filter(\.isParameter).reduce(0) { $0 + $1.count } }
}
