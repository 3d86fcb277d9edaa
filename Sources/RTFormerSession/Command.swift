import RTFormer

/// One command of the session language (DESIGN §4), as parsed from a line.
///
/// The terminal UI's keys, the REPL and `.session` scripts all produce these; `Session.execute`
/// runs them.
public enum Command: Equatable, Sendable {
    /// `model <config-name | file.json>`: build a model with seeded weights.
    /// `model NAME [uncalibrated]`: seeded weights, calibrated on the bundled samples before the
    /// first input runs unless `uncalibrated`.
    case model(String, uncalibrated: Bool = false)
    /// `load weights <file> [ema] [key NAME] [map FILE] [heads N]`: strict load; the model is
    /// rebuilt from the file's config when it carries one (or when no model is loaded yet).
    case loadWeights(String, ema: Bool = false, key: String? = nil, keyMap: String? = nil, heads: Int? = nil)
    /// `calibrate <file | default> [N]`: BN/TSBN running statistics from N real samples.
    case calibrate(source: String, count: Int?)
    /// `input <file | default> [index N] [T N] [carry]`.
    case input(InputRequest)
    /// `build [next | all | <layer path>]`: a layer-by-layer build (Session+Build.swift).
    case build(BuildAmount)
    /// `pin [clear]`: pin (or unpin) the selected neuron on the membrane trace.
    case pin(PinAction)
    /// `raster channel | top [k]`: which neurons the raster pane shows.
    case raster(RasterRows)
    /// `step [n]`: compute n more timesteps (both twins, lockstep).
    case step(Int)
    /// `back [n]`: move the cursor n timesteps back; nothing is recomputed.
    case back(Int)
    /// `goto t=<k>`: move the cursor to timestep k, computing up to k if needed.
    case goto(Int)
    /// `run`: compute every remaining timestep.
    case run
    /// `reset`: neuron state back to rest, cursor to t = 0.
    case reset
    /// `layer <path | index | next | prev>`.
    case layer(LayerSelector)
    /// `channel <c>`.
    case channel(Int)
    /// `channel next | prev`: the channel after or before the cursor's (clamped).
    case channelStep(Int)
    /// `neuron up | down | left | right`: move the neuron cursor one position in the grid (clamped).
    case neuronMove(dy: Int, dx: Int)
    /// `neuron <c,y,x>` or `neuron <y,x>` (channel unchanged).
    case neuron(channel: Int?, y: Int, x: Int)
    /// `token <n>`: position n of a token layer (row-major `n = y·W′ + x`); also the attention
    /// pane's selected token.
    case token(Int)
    /// `token up | down | left | right`: the attention pane's token one step on the H′×W′ grid (clamped).
    case tokenMove(dy: Int, dx: Int)
    /// `head <h>`: the attention pane's head.
    case head(Int)
    /// `head next | prev`: the head after or before the cursor's (clamped).
    case headStep(Int)
    /// `show attention [head h] [token n]`: print the attention of the selected layer's block,
    /// selecting head and token first when given.
    case showAttention(head: Int?, token: Int?)
    /// `view unfused | deploy | split`.
    case view(ViewMode)
    /// `fold exact | paper`: rebuild the deploy twin with that threshold fold.
    case fold(ThresholdFoldMode)
    /// `mode eval | train`: running statistics, or window/batch statistics that update them.
    case mode(ForwardMode)
    /// `show <pane>`: print a pane as text.
    case show(Pane)
    /// `diff [local|e2e]`.
    case diff(DiffScope)
    /// `origin`: cursor to the first structural mismatch origin (else the first origin).
    case origin
    /// `energy`.
    case energy
    /// `layers`.
    case layers
    /// `save <file.session>`: the commands that built the current state, as a script.
    case save(String)
    /// `export <what> <file>`.
    case export(ExportKind, String)
    /// `export png|svg|csv <file> [rates|membrane|tsbn|logits|raster]`: a pane as a figure or its numbers.
    case exportFigure(FigureFormat, String, FigurePane?)
    /// `expect <query> <op> <value>`.
    case expect(Expectation)
    /// `encode cifar|cifar10|cifar100|png|events [number|time]`: how inputs are encoded.
    case encode(EncodeSetting)
    /// `help [command]`.
    case help(String?)
    /// `quit`.
    case quit
}

/// How the session encodes inputs (DESIGN §4 `encode`): the normalisation of static images and
/// how event streams are binned into T frames.
public struct InputEncodingOptions: Equatable, Sendable {
    /// Image normalisation: nil = what the reader suggests (CIFAR-100 statistics for CIFAR-100
    /// batches, CIFAR-10 otherwise, SPEC R19).
    public var stats: NormalisationStats?
    /// Event binning: equal event counts (`number`) or equal durations (`time`).
    public var splitBy: EventSplit
    /// The input file's format when named (`input FILE format NAME`); nil: recognised by content.
    public var format: InputFormat?

    public init(stats: NormalisationStats? = nil, splitBy: EventSplit = .number, format: InputFormat? = nil) {
        self.stats = stats
        self.splitBy = splitBy
        self.format = format
    }
}

/// One `encode` setting: image normalisation (nil = the reader's choice) or event binning.
public enum EncodeSetting: Equatable, Sendable {
    case images(NormalisationStats?)
    case events(EventSplit)
}

/// What `input` loads.
public struct InputRequest: Equatable, Sendable {
    /// A file path, or `default` for the bundled sample.
    public var source: String
    /// Sample (record) index in the file; 0 when absent.
    public var index: Int?
    /// Timesteps to encode a static image over (must equal the model's T unless the weights are seeded).
    public var timesteps: Int?
    /// Keep the neuron state of the previous input instead of starting from rest.
    public var carry: Bool
    /// The file's format when named (`format NAME`, `FormatRecognition.optionNames`); nil:
    /// recognised by content.
    public var format: InputFormat?

    public init(source: String, index: Int? = nil, timesteps: Int? = nil, carry: Bool = false, format: InputFormat? = nil) {
        self.source = source
        self.index = index
        self.timesteps = timesteps
        self.carry = carry
        self.format = format
    }
}

/// What `build` does.
public enum BuildAmount: Sendable, Equatable {
    /// `build`: start a layer-by-layer build from the input (no layer built).
    case start
    /// `build next`: add the next layer (with its norm) to both twins.
    case next
    /// `build all`: complete the model.
    case all
    /// `build <path>`: build up to and including that layer (a path or unique suffix).
    case upTo(String)
}

/// Which layer `layer` selects.
public enum LayerSelector: Equatable, Sendable {
    /// A module path (exact, or a unique suffix such as `q_lif`).
    case path(String)
    /// A row of the layer table (0-based).
    case index(Int)
    case next, prev
}

/// Which model the panes show.
public enum ViewMode: String, Sendable, Equatable, CaseIterable {
    /// The trained model (branches, TSBN, TSBN_mem).
    case unfused
    /// The re-parameterized twin.
    case deploy
    /// Both side by side.
    case split
}

/// A pane of the explorer (what `show` prints; the TUI draws the same view models).
public enum Pane: String, Sendable, Equatable, CaseIterable {
    case layers, membrane, tsbn, rates, diff, energy, logits, weights, status
    /// `show attention [head h] [token n]` (`Command.showAttention`).
    case attention
    /// Spikes × t of the selected layer (Session+Raster.swift).
    case raster
    /// The encoded input image or event frames (Session+Input.swift).
    case input
}

/// Which equivalence check `diff` reports (SPEC R9).
public enum DiffScope: String, Sendable, Equatable, CaseIterable {
    /// Each deploy TSBN-LIF fed the unfused input current.
    case local
    /// Both models on the same input.
    case e2e
    /// Both tables.
    case both
    /// Both twins recomputed in Float64: do the Float32 origins disappear (`DoubleCheck`)?
    case float64
}

/// What `export` writes.
public enum ExportKind: String, Sendable, Equatable, CaseIterable {
    /// The unfused weights (running statistics included), safetensors.
    case weights
    /// The deploy twin's weights (SPEC R14), safetensors.
    case deploy
    /// Every LIF's spikes/h/v(/h_hat) of the computed timesteps plus logits, safetensors (DESIGN §6 `--dump` keys).
    case dump
    /// The transcript of this session so far, text.
    case transcript
}

/// What `pin` does.
public enum PinAction: Sendable, Equatable {
    /// Pin the selected neuron, or unpin it when pinned.
    case toggle
    /// Remove every pin.
    case clear
}

/// Which neurons the raster pane shows as rows.
public enum RasterRows: Sendable, Equatable {
    /// Every position of the selected channel.
    case channel
    /// The k neurons of the layer with the most spikes over the computed timesteps.
    case top(Int)
}
