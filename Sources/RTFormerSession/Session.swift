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
    public private(set) var config: ModelConfig?
    /// The two twins running in lockstep: models, encoded input, progress and recordings
    /// (`Session+Recording` forwards what the views and the TUI read).
    public let run = LockstepRun()
    /// Where the weights came from and what their statistics were calibrated on.
    public private(set) var weightOrigin = WeightOrigin(.seeded(seed: 0))
    /// Seeded weights waiting for their calibration on the bundled samples (done before the first
    /// input runs, so `model X` followed by `load weights` never calibrates for nothing).
    public private(set) var calibrationPending = false
    /// `seeded`, `seeded + calibrated`, a weights file (what the status bar shows).
    public var weightsSource: String { weightOrigin.description }
    /// The current input as read (one sample).
    public private(set) var input: SessionInput?
    /// Layer, timestep, channel and position the panes show.
    public internal(set) var cursor = Cursor()
    /// The running statistics as they were when `mode train` began; `mode eval` puts them back
    /// (nil in eval mode, and after `calibrate` or a model/weights change, which keep their own).
    public private(set) var statisticsBeforeTrain: NormStatistics?
    /// The pane `export png|svg|csv FILE` writes when none is named (the TUI sets its focused pane).
    public var focusedFigurePane: FigurePane?
    /// Which model the panes show.
    public private(set) var view: ViewMode = .unfused
    /// Threshold fold of the deploy twin.
    public private(set) var fold: ThresholdFoldMode = .exact
    /// How inputs are encoded (`encode`).
    public private(set) var encoding = InputEncodingOptions()
    /// The last `input` request, to encode it again after `encode`.
    private var lastInputRequest: InputRequest?
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
        case let .show(pane): return try show(pane)
        case .diff(.float64): return try float64Check()
        case let .diff(scope): return try TextRender.diff(try diffView(), scope: scope)
        case .origin: return try jumpToOrigin()
        case .energy: return TextRender.energy(try energyView())
        case .layers: return TextRender.layers(try layerTable())
        case let .save(path): return try save(path)
        case let .export(kind, path): return try export(kind, path)
        case let .exportFigure(format, path, pane): return try exportFigure(format, path, pane: pane)
        case let .expect(e): return try check(e)
        case let .encode(setting): return try setEncoding(setting)
        case let .help(name): return CommandTable.help(name)
        case .quit: return ""
        }
    }

    // MARK: model, weights, input

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    private func loadModel(_ name: String, uncalibrated: Bool = false) throws -> String {
        // A config name, or a JSON file relative to the script; an unknown word keeps its own
        // spelling in the error (not the path it would resolve to).
        let nameOrPath = ModelConfig.named[name] == nil && FileManager.default.fileExists(atPath: resolve(name)) ? resolve(name) : name
        let cfg = try ModelConfig.load(nameOrPath)
        report(WorkProgress("building model \(cfg.name)"))
        try installSeeded(cfg, calibrate: !uncalibrated)
        var out = "model \(cfg.name) (\(cfg.family.rawValue)): T \(cfg.timesteps), D \(cfg.embedDims), \(cfg.depths) block(s), "
            + "\(unfused!.layers.count) layers, \(Fmt.int(unfused!.parameterCount)) parameters (seeded weights, not a trained model; "
            + (uncalibrated ? "running statistics 0/1, so most neurons stay silent)"
                            : "BN/TSBN statistics calibrated on the bundled samples before the first input runs)")
        if let deploy { out += "; deploy twin \(Fmt.int(deploy.parameterCount)) parameters (fold \(fold.rawValue))" }
        if input != nil { out += "\n" + rerunOrDropInput() }
        return out
    }

    private func loadWeights(_ path: String, ema: Bool = false, key: String? = nil, keyMap: String? = nil, heads: Int? = nil) throws -> String {
        // Relative paths resolve against the script's folder; aliases name bundled files.
        let full = try BundledResources.locate(path, as: .weights, relativeTo: baseDirectory)
        let selection = WeightSelection(ema: ema, key: key, keyMap: try keyMap.map { try KeyMap.load(path: resolve($0)) })
        // The file's own config rebuilds the model (issue 12); a file of tensors only loads into
        // the current model, or — with none — into the config its shapes give. A model that
        // differs from the file only in fields the user may choose (TSBN window, image size,
        // pooling, eps) is kept, said in a note.
        let request = ModelRequest(config: config.map { .current($0) } ?? .fromFile, weights: full, weightsName: path, selection: selection,
                                   heads: heads, headsOption: "`heads N`")
        let resolved = try ModelPipeline.resolve(request)
        let built = try ModelPipeline.unfused(resolved, request, progress: onProgress)
        try install(built.network, origin: built.origin)
        let cfg = resolved.config, dict = resolved.checkpoint?.tensors ?? [:]
        var out = "loaded \(path) (\(resolved.checkpoint?.source ?? "?")): \(dict.count) tensors, \(Fmt.int(unfused!.parameterCount)) parameters"
        if !unfused!.unusedKeys.isEmpty { out += " (\(unfused!.unusedKeys.count) unused keys: \(unfused!.unusedKeys.joined(separator: ", ")))" }
        if let inferred = resolved.inferred {
            out += "\nmodel \(cfg.name) (\(cfg.family.rawValue)) built from the file's config: " + inferred.report.joined(separator: ", ")
        }
        for n in resolved.notes + built.notes { out += "\nnote: \(n)" }
        if input != nil { out += "\n" + rerunOrDropInput() }
        return out
    }

    /// Makes a seeded model of `config` the unfused model; its calibration on the bundled samples
    /// waits for the first input (`calibrate` false: none).
    private func installSeeded(_ config: ModelConfig, calibrate: Bool) throws {
        let request = ModelRequest(config: .explicit(config), calibrateSeeded: false)
        let built = try ModelPipeline.unfused(try ModelPipeline.resolve(request), request)
        try install(built.network, origin: built.origin)
        calibrationPending = calibrate
    }

    /// Calibrates a seeded model on the bundled samples if that is still to do (before an input
    /// runs): the same calibration every rtformer command gives seeded weights.
    /// - Returns: what was done, or nil.
    private func calibrateIfPending() throws -> String? {
        guard calibrationPending, let unfused, let cfg = config else { return nil }
        calibrationPending = false
        let samples = try ModelPipeline.calibrateSeeded(unfused, progress: onProgress)
        weightOrigin.calibration = BundledSamples.calibrationName(for: cfg)
        try rebuildDeploy()
        if case let .seeded(seed) = weightOrigin.base { return ModelPipeline.seededNote(seed: seed, calibratedOn: samples) }
        return nil
    }

    /// Makes `net` the unfused model, rebuilds the deploy twin and resets the build walk and cursor.
    private func install(_ net: Network, origin: WeightOrigin) throws {
        let previousPath = selectedLayer?.path
        statisticsBeforeTrain = nil
        calibrationPending = false
        config = net.config
        run.unfused = net
        weightOrigin = origin
        builtLayers = nil
        pins = [:]
        try rebuildDeploy()
        cursor = Cursor()
        if let previousPath, let i = net.layers.firstIndex(where: { $0.path == previousPath }) {
            cursor.layerIndex = i
        } else if let i = net.layers.firstIndex(where: \.isNeuron) {
            cursor.layerIndex = i
        }
    }

    private func rebuildDeploy() throws {
        guard let unfused else { run.deployAvailability = .unavailable(reason: "no model"); return }
        guard let deployBuilder else {
            run.deployAvailability = .unavailable(reason: "this build has no deploy conversion (DeployConversion, issue 4)")
            return
        }
        report(WorkProgress("building the deploy twin of \(unfused.config.name) (fold \(fold.rawValue))"))
        // The previous twin is released before the new one is built (peak memory).
        run.deployAvailability = .unavailable(reason: "the deploy conversion failed")
        let twin = try deployBuilder(unfused, fold)
        twin.setBuildPrefix(builtPathSet)
        run.deployAvailability = .available(twin)
    }

    private func loadInput(_ req: InputRequest) throws -> String {
        guard var cfg = config else { throw SessionError.noModel }
        if req.carry && encodedInput == nil { throw SessionError.noInput }
        if let t = req.timesteps, t != cfg.timesteps {
            guard weightOrigin.isSeeded else {
                throw SessionError.timestepsFixedByWeights(model: cfg.name, weights: cfg.timesteps, requested: t)
            }
            let calibrate = calibrationPending || weightOrigin.calibration != nil
            cfg = cfg.with(timesteps: t)
            try installSeeded(cfg, calibrate: calibrate)
        }
        let loaded: SessionInput
        // `default` is the bundled sample the model takes: a CIFAR-10 image, or the DVS Gesture
        // window for event (2-channel) models.
        if req.source == "default" && cfg.inChannels == 2 {
            var events = req
            events.source = "gesture"
            return try loadInput(events)
        }
        if req.source == "default" {
            guard let d = defaultInput else { throw SessionError.noDefaultInput }
            loaded = try d.load(path: "default", index: req.index, timesteps: cfg.timesteps, size: cfg.imgSize, encoding: encoding)
        } else {
            let path = try BundledResources.locate(req.source, as: .input, relativeTo: baseDirectory)
            var options = encoding
            options.format = req.format
            loaded = try BundledResources.naming(req.source, path: path) {
                try inputSource.load(path: path, index: req.index, timesteps: cfg.timesteps, size: cfg.imgSize, encoding: options)
            }
        }
        let encoded = loaded.encoded
        guard encoded.rank == 5, encoded.shape[0] == cfg.timesteps, encoded.shape[1] == 1, encoded.shape[2] == cfg.inChannels else {
            throw SessionError.inputShape(input: loaded.name, found: encoded.shape,
                                          expected: "[\(cfg.timesteps), 1, \(cfg.inChannels), \(cfg.imgSize), \(cfg.imgSize)] for model \(cfg.name)")
        }
        input = loaded
        run.encodedInput = encoded
        lastInputRequest = req
        run.neuronState = req.carry ? .carried : .fresh
        var out = "input \(loaded.name) → [T \(cfg.timesteps), B 1, \(encoded.shape.dropFirst(2).map(String.init).joined(separator: ", "))]"
        if let l = loaded.label { out += ", label \(l)" + (loaded.classNames.map { l < $0.count ? " (\($0[l]))" : "" } ?? "") }
        if !loaded.summary.isEmpty { out += "\n" + loaded.summary }
        if let warning = outputClassNames.warning { out += "\nwarning: " + warning }
        return out + "\n" + (try restartInput(carry: req.carry))
    }

    /// `encode`: sets how inputs are encoded and encodes the current input again (from rest).
    private func setEncoding(_ setting: EncodeSetting) throws -> String {
        switch setting {
        case let .images(stats): encoding.stats = stats
        case let .events(split): encoding.splitBy = split
        }
        let options = encoding
        var out = "encoding: images " + (options.stats.map { "normalised with \($0.name) statistics" } ?? "with the reader's statistics")
            + ", events binned by \(options.splitBy.rawValue)"
        if var req = lastInputRequest {
            req.carry = false
            req.timesteps = nil
            out += "\n" + (try loadInput(req))
        }
        return out
    }

    /// After a model or weights change: reruns the current input, or — when it does not fit the
    /// new model (another T, size or channel count) — drops it, so no view shows the previous
    /// model's recordings as if they were the new one's.
    private func rerunOrDropInput() -> String {
        do {
            return try restartInput()
        } catch {
            let name = input?.name ?? "the input"
            input = nil
            run.dropInput()
            cursor.t = 0
            return "\(name) does not fit this model (\(error)); it was dropped: load one with `input <file>` or `input default`"
        }
    }

    /// Starts both twins on the current input and computes t = 0: from rest, or with every
    /// membrane carried over from the previous input (`input … carry`).
    private func restartInput(carry: Bool = false) throws -> String {
        guard unfused != nil, encodedInput != nil else { throw SessionError.noInput }
        let calibrated = try calibrateIfPending()
        try run.start(carry: carry, selected: selectedLayer)
        cursor.t = 0
        try advance(to: 1)
        return (calibrated.map { $0 + "\n" } ?? "") + statusLine()
    }

    /// Calibrates the BN/TSBN running statistics of the unfused model on real inputs
    /// (`Calibration.run`: train-mode passes, cumulative average), rebuilds the deploy twin and
    /// reruns the current input.
    private func calibrate(source: String, count: Int?) throws -> String {
        guard let unfused, let cfg = config else { throw SessionError.noModel }
        let limit = count ?? 10
        var samples: [Tensor] = []
        var name = source
        if source == "default" {
            guard let d = defaultInput else { throw SessionError.noDefaultInput }
            for i in 0..<min(limit, BundledSamples.cifar10TestRecords.count / 3073) {
                samples.append(try d.load(path: "default", index: i, timesteps: cfg.timesteps, size: cfg.imgSize).encoded)
            }
            name = BundledSamples.cifar10Name
        } else {
            let path = try BundledResources.locate(source, as: .input, relativeTo: baseDirectory)
            samples = try BundledResources.naming(source, path: path) {
                try InputPipeline.samples(of: path, limit: limit, timesteps: cfg.timesteps, size: cfg.imgSize, channels: cfg.inChannels,
                                          modelName: cfg.name, splitBy: encoding.splitBy)
            }
        }
        report(WorkProgress("calibrating \(cfg.name) on \(samples.count) samples of \(name)"))
        try Calibration.run(unfused, inputs: samples, batchSize: 8) { p in
            self.report(WorkProgress("calibrating \(cfg.name) on \(samples.count) samples of \(name)", done: p.pass, total: p.passes))
        }
        statisticsBeforeTrain = nil
        calibrationPending = false
        weightOrigin.calibration = name
        try rebuildDeploy()
        var out = "calibrated \(cfg.name) on \(samples.count) samples of \(name): BN/TSBN running statistics are their cumulative average"
        if input != nil { out += "\n" + rerunOrDropInput() }
        return out
    }

    // MARK: stepping

    var timesteps: Int { config?.timesteps ?? 0 }

    private func requireRun() throws {
        guard unfused != nil else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
    }

    private func step(_ n: Int) throws -> String {
        try requireRun()
        guard cursor.t < timesteps - 1 else { throw SessionError.lastTimestep(t: cursor.t) }
        // `step 9223372036854775807` is valid input: saturate instead of overflowing.
        let target = min(cursor.t.addingReportingOverflow(n).overflow ? Int.max : cursor.t + n, timesteps - 1)
        try advance(to: target + 1)
        cursor.t = target
        return statusLine()
    }

    private func back(_ n: Int) throws -> String {
        try requireRun()
        cursor.t = max(0, cursor.t - n)
        return statusLine()
    }

    private func goto(_ t: Int) throws -> String {
        try requireRun()
        guard t < timesteps else { throw SessionError.timestepOutOfRange(t: t, timesteps: timesteps) }
        try advance(to: t + 1)
        cursor.t = t
        return statusLine()
    }

    private func runAll() throws -> String {
        try requireRun()
        try advance(to: timesteps)
        cursor.t = timesteps - 1
        var out = statusLine()
        if let l = try? logitsView(), let top = l.top.first {
            out += "\nlogits top-1: \(top.classIndex)" + (top.className.map { " \($0)" } ?? "") + String(format: " (%.4f)", top.logit)
        }
        return out
    }

    private func reset() throws -> String {
        try requireRun()
        run.neuronState = .fresh
        return try restartInput()
    }

    /// One line: model, input, t/T, computed, view, fold, layer, memory.
    public func statusLine() -> String {
        guard let cfg = config else { return "no model" }
        var s = "t \(cursor.t)/\(cfg.timesteps) (computed \(computedSteps)) · view \(view.rawValue) · fold \(fold.rawValue)"
        if unfused?.mode == .train { s += " · train" }
        if let l = selectedLayer {
            s += " · \(l.path)"
            if let r = try? rate(of: l, at: cursor.t, in: primaryRecorder) { s += String(format: " rate %.4f", r) }
        }
        s += " · mem " + Fmt.bytes(memoryBytes)
        return s
    }

    // MARK: view, fold, mode

    private func setView(_ mode: ViewMode) throws -> String {
        if mode != .unfused, deploy == nil { throw SessionError.noDeployTwin(reason: deployUnavailableReason ?? "unknown") }
        view = mode
        return "view \(mode.rawValue)"
    }

    private func setFold(_ mode: ThresholdFoldMode) throws -> String {
        fold = mode
        guard unfused != nil else { return "fold \(mode.rawValue)" }
        try rebuildDeploy()
        guard let deploy else { return "fold \(mode.rawValue) (no deploy twin: \(deployUnavailableReason ?? ""))" }
        try run.rerunDeploy()
        return "fold \(mode.rawValue): deploy twin rebuilt, \(Fmt.int(deploy.parameterCount)) parameters"
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
