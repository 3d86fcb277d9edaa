import RTFormer

/// How a layer of the unfused model appears in the deploy twin.
public enum DeployMarker: String, Sendable, Equatable {
    /// Present in the deploy model unchanged.
    case same
    /// Present, replaced by its folded form (conv + affine(t,c), LIF θ(t,c), fused DW kernel).
    case folded
    /// Absent: folded into the layer before it (a TSBN/BN after a conv, RepDW5 branches).
    case absorbed
    /// No deploy twin to compare with.
    case unknown
}

/// One row of the layer table.
public struct LayerRow: Sendable, Equatable {
    /// Row number (what `layer <index>` selects).
    public var index: Int
    /// Module path (SPEC R1).
    public var path: String
    /// What the layer is (`description`: e.g. `Conv2d 3×3`, `TSBN`, `TSBN-LIF`).
    public var kind: LayerKind
    /// Per-timestep, per-sample output shape.
    public var outputShape: [Int]
    /// Trainable parameters (buffers excluded).
    public var parameters: Int
    /// Synaptic operations per timestep if every input were active (SPEC §9 FL).
    public var flPerTimestep: Int
    /// MAC, AC or not counted (SPEC §9).
    public var operation: OperationClass
    /// SOPs over the computed timesteps, `Σ_t fr[t]·FL` (nil for layers with no rate source).
    public var sop: Double?
    /// Firing rate at the cursor's t: of the layer's spikes (neurons) or of its input spikes (AC layers).
    public var rate: Double?
    /// Whether the layer has H/S/V recordings (membrane pane).
    public var isNeuron: Bool
    /// Whether `build` has reached this row.
    public var built: Bool
    /// How the layer appears in the deploy twin.
    public var deploy: DeployMarker
}

/// The layer table pane: every layer of the unfused model (DESIGN §5).
public struct LayerTableView: Sendable, Equatable {
    /// Every layer in execution order.
    public var rows: [LayerRow]
    /// Row of the cursor.
    public var selected: Int
    /// The timestep the rates are taken at.
    public var t: Int
    /// The session's view when the table was made.
    public var view: ViewMode
    /// Parameters of the unfused model (SPEC §8) and of the deploy twin (R11; nil without a twin).
    public var parameters: Int
    public var deployParameters: Int?
}

/// One timestep of the chosen neuron's trace.
public struct TracePoint: Sendable, Equatable {
    public var t: Int
    /// False for timesteps not computed yet (drawn as "not yet", never as silent).
    public var computed: Bool
    /// Input current X[t].
    public var x: Float?
    /// Charged membrane H[t] (raw for TSBN-LIFs).
    public var h: Float?
    /// The value the comparator sees: Ĥ[t] for an unfused TSBN-LIF, else H[t].
    public var compared: Float?
    /// Membrane after reset V[t].
    public var v: Float?
    /// S[t]; false means the neuron was computed and silent.
    public var spike: Bool?
    /// Threshold `compared` is tested against: V_th, or θ[t, c] for a folded deploy neuron.
    public var threshold: Float?
    /// Comparator direction: 1 fires on `compared ≥ threshold`, −1 on `≤`, 0 constant (`fireConst`).
    public var sign: Float
}

/// The membrane pane: the chosen channel's H and V at t as a grid, and one neuron's trace over t.
public struct MembraneView: Sendable, Equatable {
    /// Which twin the recording comes from.
    public var model: ModelFlavour
    /// Module path of the neuron layer and its kind in that twin (`TSBN-LIF`, `LIF θ(t,c)`).
    public var path: String
    public var kind: LayerKind
    /// Timestep of the grid; channel shown.
    public var t: Int
    public var channel: Int
    /// Position of the neuron (flat, and as row/column of the grid).
    public var position: Int
    /// Row and column of the neuron in the grid.
    public var y: Int
    public var x: Int
    /// Grid size: `[H, W]` for maps, `[H′, W′]` or `[1, N]` for tokens, `[1, 1]` for per-channel neurons.
    public var rows: Int
    public var columns: Int
    /// H[t] of the channel, row-major `rows × columns` (raw H for TSBN-LIFs).
    public var h: [Float]
    /// V[t] of the channel (after reset).
    public var v: [Float]
    /// S[t] of the channel.
    public var spikes: [Bool]
    /// The chosen neuron over t = 0…T−1.
    public var trace: [TracePoint]
    /// What `compared` is: `H`, or `Ĥ = a·H + b` for an unfused TSBN-LIF.
    public var comparedQuantity: String
    /// Per grid cell: the unfused margin |Ĥ − V_th| (|H − V_th|) is within the rounding bound,
    /// where Float32 rounding may flip the deploy decision (`RoundingBound`); empty when unknown.
    public var nearThreshold: [Bool] = []
    /// That bound for the channel at t (potential units), nil when unknown.
    public var roundingBound: Float?
}

/// One channel of the TSBN pane at the cursor's t.
public struct TSBNChannelRow: Sendable, Equatable {
    public var channel: Int
    /// γ(t) and β(t).
    public var gamma: Float
    public var beta: Float
    /// μ and σ² used at t: the window statistics (train mode) or the running statistics (eval).
    public var mean: Float
    public var variance: Float
    /// Eval affine a(t) = γ/sqrt(σ²+ε), b(t) = β − a·μ (SPEC R5).
    public var scale: Float
    public var shift: Float
    /// Folded threshold θ(t, c) of a TSBN-LIF in the session's fold mode (nil for TSBN_pre).
    public var theta: Float?
    /// Comparator sign of the fold: 1, −1 (γ < 0 fires on H ≤ θ), 0 (γ = 0, constant).
    public var sign: Float?
    /// γ(t) ≤ 0: the channel inverts or freezes under Eq.7 (SPEC §4.3(b)).
    public var flagged: Bool
}

/// The TSBN pane: window at t, statistics, γ(t), β(t), θ per channel.
public struct TSBNView: Sendable, Equatable {
    /// The TSBN's state_dict path (`patch_embed.proj_tsbn`, `patch_embed.stcore.lif.tsbn`).
    public var path: String
    /// The neuron whose membrane it normalises (TSBN_mem), else nil.
    public var lifPath: String?
    public var t: Int
    /// Window length L and the timesteps of the window at t.
    public var windowLength: Int
    public var window: [Int]
    /// `running` (eval) or `window` (train-mode statistics of this run).
    public var statistics: String
    public var fold: ThresholdFoldMode
    public var channels: [TSBNChannelRow]
    /// Channels with γ(t) ≤ 0.
    public var nonPositiveGammaChannels: [Int]
}

/// The rates pane for the selected neuron layer.
public struct RatesView: Sendable, Equatable {
    public var path: String
    public var t: Int
    public var rows: Int
    public var columns: Int
    /// Fraction of channels firing at each position at t, row-major `rows × columns`.
    public var positionMap: [Double]
    /// Firing rate of each channel at t (over its positions).
    public var channelRates: [Double]
    /// Firing rate of the whole layer per timestep; nil where not computed.
    public var perT: [Double?]
}

/// One LIF of the diff pane.
public struct DiffRow: Sendable, Equatable {
    public var path: String
    public var isTSBNLIF: Bool
    /// End-to-end mismatches per computed timestep (SPEC R9 classes).
    public var e2ePerT: [MismatchCount]
    public var e2e: MismatchCount
    /// Local mismatches over the computed timesteps: the deploy neuron fed the unfused input
    /// current (R9 (i)); nil for plain LIFs, which no fold changes.
    public var local: MismatchCount?
    /// Local stateless mismatches: the deploy comparator on the unfused raw H (R9 (ii)); nil for plain LIFs.
    public var localStateless: MismatchCount?
    /// Mismatch origins of this layer (issue 11: every spiking layer fed the unfused input).
    public var origins: Int = 0
}

/// The diff pane: deploy twin vs unfused model over the computed timesteps (SPEC decision 6, R9),
/// from the engine's `EquivalenceReport`.
public struct DiffView: Sendable, Equatable {
    public var fold: ThresholdFoldMode
    public var computedSteps: Int
    /// Every LIF in execution order.
    public var rows: [DiffRow]
    public var e2e: MismatchCount
    public var local: MismatchCount
    public var localStateless: MismatchCount
    /// First divergent neuron: layers in execution order, t ascending within a layer.
    public var firstDivergence: Divergence?
    /// End-to-end mismatches in (layer, t) pairs after the first divergent one.
    public var propagated: Int
    /// Real-valued folds (conv + norm, RepDW5) on the unfused inputs: max-abs, max-rel.
    public var localReal: [LocalRealCheck]
    /// TSBN_mem channels where the paper fold is at risk (γ ≤ 0, σ² near ε).
    public var riskyChannels: [RiskyChannel]
    /// Logits over the computed timesteps: max |Δ| and max |Δ|/|ref| (|ref| ≥ 1e-3).
    public var logitsMaxAbs: Float
    public var logitsMaxRel: Float
    /// The verdict and its attribution chain (issue 11).
    public var summary: EquivalenceSummary
}

/// One layer of the energy pane.
public struct EnergyRow: Sendable, Equatable {
    /// Module path of the layer that spends the operations.
    public var path: String
    /// MAC (real-valued input) or AC (spike input).
    public var operation: OperationClass
    /// FL per timestep if every input were active.
    public var flPerTimestep: Int
    /// Input firing rate per computed timestep (nil for MAC layers).
    public var ratePerT: [Double]?
    /// Σ_t fr[t]·FL (AC layers) over the computed timesteps.
    public var sop: Double
    /// Energy in picojoules: 0.9·SOP (AC) or 4.6·FL (MAC, conv0 counted once for a static image).
    public var picoJoules: Double
}

/// The energy pane (SPEC §9, R8) over the computed timesteps, per sample.
public struct EnergyView: Sendable, Equatable {
    /// Timesteps whose operations are counted.
    public var computedSteps: Int
    /// Every layer that spends energy, in execution order (RepDW5 counted once, fused).
    public var rows: [EnergyRow]
    /// Σ SOP over AC layers.
    public var totalSOP: Double
    /// Total energy in picojoules, conv0 counted once.
    public var totalPicoJoules: Double
    /// The same with conv0 counted once per timestep (SPEC §10.22).
    public var totalPicoJoulesConv0PerT: Double
    /// Total energy in millijoules (what `expect energy.mJ` compares).
    public var totalMilliJoules: Double { totalPicoJoules * 1e-9 }
}

/// One entry of the logits pane.
public struct LogitEntry: Sendable, Equatable {
    public var classIndex: Int
    public var className: String?
    public var logit: Float
}

/// The logits pane: the mean over the computed timesteps.
public struct LogitsView: Sendable, Equatable {
    public var model: ModelFlavour
    public var computedSteps: Int
    public var logits: [Float]
    /// Top 5, largest first.
    public var top: [LogitEntry]
    public var label: Int?
    public var labelName: String?
    /// The name of every output (`Session.outputClassNames`), nil: they read `class k`.
    public var classNames: [String]? = nil
    /// Why the input's dataset names are not used (class count ≠ head size), one line.
    public var namesWarning: String? = nil
}

/// One parameter tensor of the weights pane.
public struct WeightRow: Sendable, Equatable {
    public var key: String
    public var shape: [Int]
    public var isParameter: Bool
    public var min: Float
    public var max: Float
    public var meanAbs: Float
}

/// The weights pane: the selected layer's tensors in the current view's model.
public struct WeightsView: Sendable, Equatable {
    public var path: String
    public var model: ModelFlavour
    public var rows: [WeightRow]
}

/// The status line as values.
public struct StatusView: Sendable, Equatable {
    public var model: String?
    /// Where the weights come from (seeded or a file) and whether they were calibrated.
    public var weights: WeightOrigin
    public var input: String?
    public var t: Int
    public var timesteps: Int
    public var computedSteps: Int
    public var view: ViewMode
    public var fold: ThresholdFoldMode
    public var neuronState: NeuronStateMode
    public var layer: String?
    public var memoryBytes: Int
}
