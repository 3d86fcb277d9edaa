import Foundation
import RTFormer

/// Model, weights, calibration and input: what the session runs. Each change installs the
/// twins in the lockstep run (`LockstepRun`) and reruns — or drops — the current input.
extension Session {
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    func loadModel(_ name: String, uncalibrated: Bool = false) throws -> String {
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

    func loadWeights(_ path: String, ema: Bool = false, key: String? = nil, keyMap: String? = nil, heads: Int? = nil) throws -> String {
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
    func installSeeded(_ config: ModelConfig, calibrate: Bool) throws {
        let request = ModelRequest(config: .explicit(config), calibrateSeeded: false)
        let built = try ModelPipeline.unfused(try ModelPipeline.resolve(request), request)
        try install(built.network, origin: built.origin)
        calibrationPending = calibrate
    }

    /// Calibrates a seeded model on the bundled samples if that is still to do (before an input
    /// runs): the same calibration every rtformer command gives seeded weights.
    /// - Returns: what was done, or nil.
    func calibrateIfPending() throws -> String? {
        guard calibrationPending, let unfused, let cfg = config else { return nil }
        calibrationPending = false
        let samples = try ModelPipeline.calibrateSeeded(unfused, progress: onProgress)
        weightOrigin.calibration = BundledSamples.calibrationName(for: cfg)
        try rebuildDeploy()
        if case let .seeded(seed) = weightOrigin.base { return ModelPipeline.seededNote(seed: seed, calibratedOn: samples) }
        return nil
    }

    /// Makes `net` the unfused model, rebuilds the deploy twin and resets the build walk and cursor.
    func install(_ net: Network, origin: WeightOrigin) throws {
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

    func rebuildDeploy() throws {
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

    func loadInput(_ req: InputRequest) throws -> String {
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
        run.inputKind = loaded.kind
        lastInputRequest = req
        run.neuronState = req.carry ? .carried : .fresh
        var out = "input \(loaded.name) → [T \(cfg.timesteps), B 1, \(encoded.shape.dropFirst(2).map(String.init).joined(separator: ", "))]"
        if let l = loaded.label { out += ", label \(l)" + (loaded.classNames.map { l < $0.count ? " (\($0[l]))" : "" } ?? "") }
        if !loaded.summary.isEmpty { out += "\n" + loaded.summary }
        if let warning = outputClassNames.warning { out += "\nwarning: " + warning }
        return out + "\n" + (try restartInput(carry: req.carry))
    }

    /// `encode`: sets how inputs are encoded and encodes the current input again (from rest).
    func setEncoding(_ setting: EncodeSetting) throws -> String {
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
    func rerunOrDropInput() -> String {
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
    func restartInput(carry: Bool = false) throws -> String {
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
    func calibrate(source: String, count: Int?) throws -> String {
        guard let unfused, let cfg = config else { throw SessionError.noModel }
        let limit = count ?? 10
        var samples: [Tensor] = [], kinds: [InputKind] = []
        var name = source
        if source == "default" {
            guard let d = defaultInput else { throw SessionError.noDefaultInput }
            for i in 0..<min(limit, BundledSamples.cifar10TestRecords.count / 3073) {
                let sample = try d.load(path: "default", index: i, timesteps: cfg.timesteps, size: cfg.imgSize)
                samples.append(sample.encoded)
                kinds.append(sample.kind)
            }
            name = BundledSamples.cifar10Name
        } else {
            let path = try BundledResources.locate(source, as: .input, relativeTo: baseDirectory)
            let read = try BundledResources.naming(source, path: path) {
                try InputPipeline.samples(of: path, limit: limit, timesteps: cfg.timesteps, size: cfg.imgSize, channels: cfg.inChannels,
                                          modelName: cfg.name, splitBy: encoding.splitBy)
            }
            samples = read.map(\.input)
            kinds = read.map(\.kind)
        }
        report(WorkProgress("calibrating \(cfg.name) on \(samples.count) samples of \(name)"))
        try Calibration.run(unfused, inputs: samples, kinds: kinds, batchSize: 8) { p in
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
}
