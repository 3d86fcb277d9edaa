import Foundation
import RTFormer

/// What running one line produced.
public struct CommandResult: Sendable {
    /// The line as given.
    public var line: String
    /// The parsed command (nil for blank/comment lines and parse errors).
    public var command: Command?
    /// Text output (may be empty).
    public var output: String
    /// The error, rendered (parse errors with their caret), or nil.
    public var error: String?
    /// Whether the error was a failed `expect` (replay keeps going after those).
    public var expectationFailed: Bool
    /// The user asked to quit.
    public var quit: Bool
}

/// An interactive session over one model and its deploy twin (DESIGN §1): both run in lockstep
/// on the same input; a cursor selects layer, timestep, channel and neuron; view models for the
/// panes are computed from the recordings on demand.
///
/// Every user action is a `Command`; `execute(line:)` parses and runs one line. Stepping is causal:
/// `step` computes one more timestep with `Network.advance(to:)`, `back` only moves the cursor, and
/// stepping to t gives the same state as running all T at once (the engine guarantees it).
public final class Session {
    // MARK: state

    /// The model config (nil before `model`).
    public internal(set) var config: ModelConfig?
    /// The two twins running in lockstep: models, encoded input, progress and recordings
    /// (`Session+Recording` forwards what the views and the TUI read).
    public let run = LockstepRun()
    /// Where the weights came from and what their statistics were calibrated on.
    public internal(set) var weightOrigin = WeightOrigin(.seeded(seed: 0))
    /// Seeded weights waiting for their calibration on the bundled samples (done before the first
    /// input runs, so `model X` followed by `load weights` never calibrates for nothing).
    public internal(set) var calibrationPending = false
    /// `seeded`, `seeded + calibrated`, a weights file (what the status bar shows).
    public var weightsSource: String { weightOrigin.description }
    /// The current input as read (one sample).
    public internal(set) var input: SessionInput?
    /// Layer, timestep, channel and position the panes show.
    public internal(set) var cursor = Cursor()
    /// The running statistics as they were when `mode train` began; `mode eval` puts them back
    /// (nil in eval mode, and after `calibrate` or a model/weights change, which keep their own).
    public internal(set) var statisticsBeforeTrain: NormStatistics?
    /// The pane `export png|svg|csv FILE` writes when none is named (the TUI sets its focused pane).
    public var focusedFigurePane: FigurePane?
    /// Which model the panes show.
    public private(set) var view: ViewMode = .unfused
    /// Threshold fold of the deploy twin.
    public private(set) var fold: ThresholdFoldMode = .exact
    /// How inputs are encoded (`encode`).
    public internal(set) var encoding = InputEncodingOptions()
    /// The last `input` request, to encode it again after `encode`.
    var lastInputRequest: InputRequest?
    /// Layers built by a layer-by-layer build (`build`, Session+Build.swift): the first
    /// `builtLayers` rows of the unfused layer table; nil: the whole model (the default).
    public internal(set) var builtLayers: Int?
    /// Neurons pinned on the membrane trace, by layer path (`pin`, Session+Raster.swift).
    public internal(set) var pins: [String: [NeuronPin]] = [:]
    /// Which neurons the raster pane shows (`raster`).
    public internal(set) var rasterRows: RasterRows = .channel
    /// The last diff and what it was computed from (`diffView()`).
    var diffCache: (key: DiffCacheKey, view: DiffView)?
    /// The lines that changed state, in order (what `save` writes).
    public private(set) var history: [String] = []
    /// Everything run so far in transcript form.
    public private(set) var transcript = ""

    let inputSource: any InputSource
    let defaultInput: (any InputSource)?
    let deployBuilder: DeployBuilder?
    /// Relative paths in commands resolve against this directory (the script's directory in replay).
    public var baseDirectory: String
    private var lineNumber = 0

    /// A session with no model yet.
    /// - Parameters:
    ///   - inputSource: file readers for `input`.
    ///   - defaultInput: what `input default [index N]` loads (the bundled CIFAR-10 test images).
    ///   - deployBuilder: builds the deploy twin; nil leaves `view deploy/split`, `diff` unavailable.
    ///   - baseDirectory: where relative paths resolve (default: the current directory).
    public init(inputSource: any InputSource = FileInputSource(), defaultInput: (any InputSource)? = BundledInputSource(),
                deployBuilder: DeployBuilder? = Session.defaultDeployBuilder,
                baseDirectory: String = FileManager.default.currentDirectoryPath) {
        self.inputSource = inputSource
        self.defaultInput = defaultInput
        self.deployBuilder = deployBuilder
        self.baseDirectory = baseDirectory
    }

    /// The engine's deploy conversion (`DeployConversion.convert`, SPEC R14).
    public static var defaultDeployBuilder: DeployBuilder? { { try DeployConversion.convert($0, fold: $1) } }

    /// The selected layer of the unfused model.
    public var selectedLayer: LayerInfo? {
        guard let unfused, cursor.layerIndex < unfused.layers.count else { return nil }
        return unfused.layers[cursor.layerIndex]
    }

    // MARK: executing

    /// Parses and runs one line; never throws (errors come back rendered in the result).
    /// - Parameter lineNumber: the number the transcript shows (default: one more than the last).
    @discardableResult
    public func execute(line: String, lineNumber number: Int? = nil) -> CommandResult {
        lineNumber = number ?? lineNumber + 1
        var result = CommandResult(line: line, command: nil, output: "", error: nil, expectationFailed: false, quit: false)
        do {
            guard let command = try CommandParser.parse(line) else {
                appendTranscript(line: line, output: "")
                return result
            }
            result.command = command
            result.output = try execute(command)
            result.quit = command == .quit
            if command.changesState { history.append(line.trimmingCharacters(in: .whitespaces)) }
        } catch let e as ParseError {
            result.error = e.description
        } catch let e as SessionError {
            if case .expectationFailed = e { result.expectationFailed = true }
            result.error = "error: \(e)"
        } catch {
            result.error = "error: \(error)"
        }
        // Errors quote typed lines and file contents: control characters are shown escaped.
        result.error = result.error.map { Printable.escape($0, limit: 4000, keepNewlines: true) }
        appendTranscript(line: line, output: [result.output, result.error ?? ""].filter { !$0.isEmpty }.joined(separator: "\n"))
        return result
    }

    private func appendTranscript(line: String, output: String) {
        transcript += Transcript.entry(lineNumber: lineNumber, line: line, output: output)
    }

    /// Runs one command.
    /// - Returns: the text to print.
    /// - Throws: `SessionError` (including a failed `expect`), or the engine's errors (weights, shapes).
    public func execute(_ command: Command) throws -> String {
        switch command {
        case let .model(name, uncalibrated): return try loadModel(name, uncalibrated: uncalibrated)
        case let .loadWeights(path, ema, key, map, heads): return try loadWeights(path, ema: ema, key: key, keyMap: map, heads: heads)
        case let .calibrate(source, count): return try calibrate(source: source, count: count)
        case let .input(req): return try loadInput(req)
        case let .build(amount): return try buildCommand(amount)
        case let .pin(action): return try pin(action)
        case let .raster(rows): return try setRasterRows(rows)
        case let .step(n): return try step(n)
        case let .back(n): return try back(n)
        case let .goto(t): return try goto(t)
        case .run: return try runAll()
        case .reset: return try reset()
        case let .layer(sel): return try selectLayer(sel)
        case let .channel(c): return try selectChannel(c)
        case let .channelStep(d):
            guard let l = selectedLayer else { throw SessionError.noModel }
            return try selectChannel(max(0, min(layout(of: l).channels - 1, cursor.channel + d)))
        case let .neuronMove(dy, dx):
            guard let l = selectedLayer else { throw SessionError.noModel }
            let lay = layout(of: l)
            let y = max(0, min(lay.rows - 1, cursor.position / lay.columns + dy))
            let x = max(0, min(lay.columns - 1, cursor.position % lay.columns + dx))
            return try selectNeuron(channel: nil, y: y, x: x)
        case let .neuron(c, y, x): return try selectNeuron(channel: c, y: y, x: x)
        case let .token(n): return try selectToken(n)
        case let .tokenMove(dy, dx): return try moveAttentionToken(dy: dy, dx: dx)
        case let .head(h): return try selectHead(h)
        case let .headStep(d): return try selectHead(cursor.head + d, clamped: true)
        case let .showAttention(head, token): return try showAttention(head: head, token: token)
        case let .view(mode): return try setView(mode)
        case let .fold(mode): return try setFold(mode)
        case let .mode(mode): return try setMode(mode)
        case let .show(pane): return try queries.show(pane)
        case .diff(.float64): return try float64Check()
        case let .diff(scope): return try TextRender.diff(try diffView(), scope: scope)
        case .origin: return try jumpToOrigin()
        case .energy: return TextRender.energy(try energyView())
        case .layers: return TextRender.layers(try layerTable())
        case let .save(path): return try exporter.save(path)
        case let .export(kind, path): return try exporter.export(kind, path)
        case let .exportFigure(format, path, pane): return try exportFigure(format, path, pane: pane)
        case let .expect(e): return try queries.check(e)
        case let .encode(setting): return try setEncoding(setting)
        case let .help(name): return CommandTable.help(name)
        case .quit: return ""
        }
    }

    // MARK: view, fold, mode

    private func setView(_ mode: ViewMode) throws -> String {
        if mode != .unfused { _ = try requireDeploy() }
        view = mode
        return "view \(mode.rawValue)"
    }

    private func setFold(_ mode: ThresholdFoldMode) throws -> String {
        fold = mode
        guard unfused != nil else { return "fold \(mode.rawValue)" }
        try rebuildDeploy()
        switch deployAvailability {
        case let .available(deploy):
            try run.rerunDeploy()
            return "fold \(mode.rawValue): deploy twin rebuilt, \(Fmt.int(deploy.parameterCount)) parameters"
        case let .unavailable(reason):
            return "fold \(mode.rawValue) (no deploy twin: \(reason))"
        }
    }

    private func setMode(_ mode: ForwardMode) throws -> String {
        guard let unfused else { throw SessionError.noModel }
        var out = "mode \(mode.rawValue)"
        // Train mode is a preview: the running statistics it updates are put back, bit for bit,
        // when eval returns (issue 15 point 3).
        if mode == .train && unfused.mode == .eval {
            statisticsBeforeTrain = unfused.normStatistics()
            out += " (preview: window statistics; the running statistics it updates are restored by `mode eval`)"
        } else if mode == .train {
            out += " (preview: window statistics)"
        } else if unfused.mode == .train, let saved = statisticsBeforeTrain {
            unfused.restoreNormStatistics(saved)
            statisticsBeforeTrain = nil
            try rebuildDeploy()
            out += " (running statistics restored to their values before `mode train`)"
        }
        unfused.mode = mode
        if encodedInput != nil {
            // The input is rerun from rest with the new statistics; the cursor stays at its t.
            let t = cursor.t
            out += "\n" + (try restartInput())
            if t > 0 { out = out.split(separator: "\n").dropLast().joined(separator: "\n") + "\n" + (try goto(t)) }
        }
        return out
    }

    // MARK: reading recordings

    /// The recorder of the current view (the unfused one in split view).
    public var primaryRecorder: Recorder { view == .deploy ? deployRecorder : unfusedRecorder }

    /// The network of the current view (the unfused one in split view).
    public var primaryNetwork: Network? { view == .deploy ? deploy : unfused }

    /// Firing rate at t of a neuron layer (its spikes) or of the binary tensor feeding a layer.
    /// - Throws: `notComputed`, `notANeuron` (no spikes in or out).
    public func rate(of layer: LayerInfo, at t: Int, in recorder: Recorder) throws -> Double {
        guard t < computedSteps else { throw SessionError.notComputed(t: t) }
        if layer.isNeuron, let r = recorder.lifs[layer.path] { return r.firingRate(at: t) }
        if let src = layer.rateSource, let r = recorder.rates[src], t < r.count { return r[t] }
        throw SessionError.notANeuron(path: layer.path, nextNeuron: nextNeuron(after: layer.path))
    }

    func nextNeuron(after path: String) -> String? {
        guard let layers = unfused?.layers, let i = layers.firstIndex(where: { $0.path == path }) else { return nil }
        return layers[i...].first(where: \.isNeuron)?.path ?? layers.first(where: \.isNeuron)?.path
    }

    /// The selected layer's LIF record in `recorder`.
    func selectedLIF(in recorder: Recorder) throws -> (LayerInfo, LIFRecord) {
        guard let l = selectedLayer else { throw SessionError.noModel }
        guard l.isNeuron else { throw SessionError.notANeuron(path: l.path, nextNeuron: nextNeuron(after: l.path)) }
        guard isBuilt(layerIndex: cursor.layerIndex) else { throw SessionError.notBuilt(path: l.path) }
        guard let r = recorder.lifs[l.path] else { throw SessionError.noInput }
        return (l, r)
    }
}

extension Command {
    /// Whether `save` keeps the command (queries, help and output-only commands are dropped).
    var changesState: Bool {
        switch self {
        case .model, .loadWeights, .calibrate, .encode, .input, .build, .pin, .raster, .step, .back, .goto, .run, .reset, .layer, .channel, .channelStep,
             .neuron, .neuronMove, .token, .tokenMove, .head, .headStep, .view, .fold, .mode:
            return true
        case let .showAttention(head, token):
            return head != nil || token != nil
        default:
            return false
        }
    }
}
