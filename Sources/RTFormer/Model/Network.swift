/// A built model: its layers (with module paths), its weights, and a causal forward over T that
/// can run all timesteps at once or one timestep at a time with identical results.
///
/// Input layout `[T, B, C, H, W]` (a static image repeated over T, or T event frames). Stateless
/// layers run on the whole chunk of timesteps at once; neurons and TSBN step through t.
public final class Network {
    public let config: ModelConfig
    public let flavour: ModelFlavour
    /// Every layer in execution order (what `rtformer info` prints).
    public let layers: [LayerInfo]
    /// The weights by state_dict key, in the order the model declares them.
    public let parameterKeys: [ParameterInfo]
    public private(set) var stateDict: StateDict
    /// Keys present in checkpoints that the forward pass does not use (Spikformer LayerNorms).
    public let unusedKeys: [String]
    /// `num_batches_tracked` buffers the checkpoint lacked, set to 0 (they do not affect
    /// inference; say so, it is not an error).
    public let defaultedKeys: [String]
    /// Eval uses running statistics; train uses window/batch statistics and updates them.
    public var mode: ForwardMode = .eval

    let graph: FamilyGraph

    /// The current input `[T, B, C, H, W]`, and how many of its timesteps have been computed.
    public private(set) var input: Tensor?
    /// What the current input is over time (`start(_:kind:)`): for `.staticImage` the encoding
    /// conv runs once per input, on the slice of t = 0.
    public private(set) var inputKind: InputKind = .frames
    public private(set) var computedSteps = 0
    /// Per-timestep head output of the current input (`[steps, B, classes]` or features `[steps, B, D]`).
    private var headSteps: [Tensor] = []
    /// Where the current run records (nil: nothing recorded).
    public private(set) var recorder: Recorder?
    /// The built prefix of a layer-by-layer build (`setBuildPrefix`); nil: the whole model runs.
    var buildPrefix: BuildPrefix?

    /// Builds a model from seeded init (`weights == nil`) or from a checkpoint (strict).
    /// - Parameters:
    ///   - weights: a state_dict with SPEC §6.4/§7 keys; `source` names it in errors.
    ///   - seed: seed of the deterministic init.
    /// - Throws: `ModelLimitError` for a config outside the documented ranges or too large to
    ///   build (checked before anything is allocated); `WeightLoadError.wrongFlavour` for a deploy checkpoint given to an unfused model
    ///   (or the reverse); `WeightLoadError.mismatch` listing missing, unexpected and mis-shaped keys.
    public init(config: ModelConfig, flavour: ModelFlavour = .unfused, weights: StateDict? = nil, seed: UInt64 = 0,
                source: String = "<weights>") throws {
        try ModelLimits.check(config)
        if let weights, let found = checkpointFlavour(weights), found != flavour,
           config.family == .rtformer || found == .unfused {
            throw WeightLoadError.wrongFlavour(file: source, model: config.name, expected: flavour, found: found)
        }
        let b = GraphBuilder(config: config, flavour: flavour, weights: WeightSource(provided: weights, seed: seed))
        switch config.family {
        case .rtformer, .sdt: graph = SpikeDrivenGraph(b)
        case .spikformer: graph = SpikformerGraph(b)
        }
        if let weights {
            // Per-timestep tensors [T, C] trained for another T: say so instead of listing them all.
            for p in b.weights.requested where p.shape.count == 2 && p.shape[0] == config.timesteps
                && (p.key.contains("tsbn") || p.key.hasSuffix(".scale") || p.key.hasSuffix(".theta")) {
                if let t = weights[p.key], t.rank == 2, t.shape[1] == p.shape[1], t.shape[0] != config.timesteps {
                    throw WeightLoadError.timesteps(file: source, model: config.name, weights: t.shape[0], modelTimesteps: config.timesteps)
                }
            }
            let known = Set(b.weights.requested.map(\.key))
            let unexpected = weights.keys.filter { !known.contains($0) }.sorted()
            if !b.weights.missing.isEmpty || !unexpected.isEmpty || !b.weights.misShaped.isEmpty {
                throw WeightLoadError.mismatch(file: source, model: config.name, missing: b.weights.missing,
                                               unexpected: unexpected, misShaped: b.weights.misShaped)
            }
        }
        self.config = config
        self.flavour = flavour
        self.layers = b.layers
        self.parameterKeys = b.weights.requested
        self.stateDict = Dictionary(b.weights.values, uniquingKeysWith: { a, _ in a })
        self.unusedKeys = b.unusedKeys
        self.defaultedKeys = b.weights.defaulted
    }

    /// Trainable parameters used by the forward pass (SPEC §8; unused LayerNorms excluded).
    public var parameterCount: Int {
        let unused = Set(unusedKeys)
        return parameterKeys.filter { $0.isParameter && !unused.contains($0.key) }.reduce(0) { $0 + $1.count }
    }

    /// Parameters in checkpoints that the forward pass ignores.
    public var unusedParameterCount: Int {
        let unused = Set(unusedKeys)
        return parameterKeys.filter { unused.contains($0.key) }.reduce(0) { $0 + $1.count }
    }

    /// The weights as `(key, tensor)` pairs in declaration order (what `save` writes).
    public var orderedWeights: [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        var seen = Set<String>()
        for p in parameterKeys where seen.insert(p.key).inserted {
            if let t = stateDict[p.key] { out.append((p.key, t)) }
        }
        return out
    }

    /// The current weights, running statistics included (train-mode runs update them).
    public func currentStateDict() -> StateDict {
        var d = stateDict
        func put(_ path: String, _ t: TSBN) {
            d[path + ".running_mean"] = Tensor(shape: [t.timesteps, t.channels], storage: t.runningMean)
            d[path + ".running_var"] = Tensor(shape: [t.timesteps, t.channels], storage: t.runningVar)
            d[path + ".num_batches_tracked"] = Tensor(scalar: t.numBatchesTracked)
        }
        func put(_ path: String, _ bn: BatchNorm) {
            d[path + ".running_mean"] = Tensor(shape: [bn.channels], storage: bn.runningMean)
            d[path + ".running_var"] = Tensor(shape: [bn.channels], storage: bn.runningVar)
            d[path + ".num_batches_tracked"] = Tensor(scalar: bn.numBatchesTracked)
        }
        for u in convUnits {
            guard let np = u.normPath else { continue }
            switch u.norm {
            case let .tsbn(t): put(np, t)
            case let .batchNorm(bn): put(np, bn)
            default: break
            }
        }
        for l in lifUnits {
            if case let .tsbnMem(t) = l.kind { put(l.path + ".tsbn", t) }
        }
        return d
    }

    /// Saves the current weights (running statistics included) as safetensors.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        let current = currentStateDict()
        var meta = metadata
        meta["model"] = config.name
        meta["flavour"] = flavour.rawValue
        meta["family"] = config.family.rawValue
        // The config in our own JSON names, so `--weights` alone rebuilds this model.
        meta["config"] = config.jsonText
        try Safetensors.write(orderedWeights.map { ($0.0, current[$0.0] ?? $0.1) }, metadata: meta, to: path)
    }

    // MARK: running

    /// Starts a new input: nothing computed yet, neuron state back to rest unless `carryState`.
    /// - Parameters:
    ///   - input: `[T, B, C, H, W]` with T, C, H, W of the config.
    ///   - kind: `.staticImage` when every timestep slice is the same frame (direct encoding; the
    ///     encoding conv then runs once, on t = 0, and only that slice is read by it); `.frames`
    ///     (the default: a plain tensor is taken as T frames) computes every slice.
    ///   - carryState: keep every membrane (and train-mode window) where the previous input left
    ///     it, instead of spikingjelly's `reset_net` between samples; B must not change.
    /// - Throws: `ModelInputError` for a shape that does not fit the model, or a batch change with `carryState`.
    public func start(_ input: Tensor, kind: InputKind = .frames, recorder: Recorder? = nil, carryState: Bool = false) throws {
        try validate(input)
        if carryState, let previous = self.input, previous.shape[1] != input.shape[1] {
            throw ModelInputError.shape(model: config.name, expected: "batch \(previous.shape[1]) to carry the neuron state",
                                        found: input.shape)
        }
        let carry = carryState && self.input != nil
        startedFromRest = !carry
        self.input = input
        inputKind = kind
        self.recorder = recorder
        recorder?.clear()
        recorder?.rateTimesteps = config.timesteps
        if carry {
            for u in convUnits where u.isEncoding { u.forgetInput() }
        } else {
            graph.reset()
        }
        computedSteps = 0
        headSteps = []
    }

    /// Computes timesteps up to (not including) `t`; already computed timesteps are not recomputed.
    public func advance(to t: Int) throws {
        guard let input else { return }
        let end = min(t, config.timesteps)
        guard end > computedSteps else { return }
        let t0 = computedSteps
        let per = input.count / config.timesteps
        let chunk = Tensor(shape: [end - t0] + Array(input.shape.dropFirst()),
                           storage: Array(input.storage[(t0 * per)..<(end * per)]))
        var ctx = RunContext(mode: mode, recorder: recorder, t0: t0, steps: end - t0, batch: input.shape[1],
                             timesteps: config.timesteps, staticInput: inputKind == .staticImage)
        ctx.limit = buildPrefix
        let out: Tensor
        do {
            out = try graph.run(chunk, ctx)
        } catch is BuildStop {
            // A partial build: the built prefix has computed these timesteps; there is no head output.
            computedSteps = end
            return
        }
        for i in 0..<(end - t0) { headSteps.append(out.slice(i)) }
        if let recorder, graph.logitsPerStep {
            recorder.stream("logits_t", t0: t0, timesteps: config.timesteps, chunk: out)
        }
        computedSteps = end
    }

    /// Whether the current input started from rest (not from a carried neuron state).
    public private(set) var startedFromRest = true

    /// Whether `rerecord()`/`replay(into:)` can recompute the current run exactly: it started from
    /// rest and runs in eval mode (a train-mode replay would update the running statistics again).
    public var canReplay: Bool { input != nil && startedFromRest && mode == .eval }

    /// Recomputes timesteps `0 ..< computedSteps` of the current input from rest into the current
    /// recorder, without clearing it: the same kernels in the same order, so spikes, logits and
    /// the network's state come out bit-identical, and layers the recorder has started watching
    /// since (`Recorder.watch`) get their X, H, V for every computed timestep.
    /// - Parameter progress: called after each timestep with (done, total).
    /// - Throws: `ReplayError` when the run cannot be replayed (`canReplay` false); the
    ///   forward's errors.
    public func rerecord(progress: ((Int, Int) throws -> Void)? = nil) throws {
        guard let recorder else { return }
        try replay(into: recorder, progress: progress)
    }

    /// Recomputes timesteps `0 ..< computedSteps` of the current input from rest, recording into
    /// `other` (e.g. a recording of one timestep at a time for the equivalence check), then leaves
    /// the network as it was: same computed timesteps, same state, same recorder.
    /// - Parameter progress: called after each timestep with (done, total), while `other` holds
    ///   that timestep (what a recorder keeping only the latest timestep is read in); its errors
    ///   stop the replay, and the network is still left as it was (replayed to its timesteps).
    /// - Throws: as `rerecord()`, and `progress`'s errors.
    public func replay(into other: Recorder, progress: ((Int, Int) throws -> Void)? = nil) throws {
        guard input != nil else { return }
        guard canReplay else {
            throw ReplayError.notReplayable(model: config.name,
                                            reason: mode == .train ? "train mode updates the running statistics" : "the run carried the previous input's neuron state")
        }
        let steps = computedSteps, own = recorder
        if other !== own { other.clear() }
        other.rateTimesteps = config.timesteps
        other.beginRerecord()
        recorder = other
        defer { recorder = own }
        graph.reset()
        computedSteps = 0
        headSteps = []
        var failure: Error?
        for t in 0..<steps {
            try advance(to: t + 1)
            if failure == nil {
                do { try progress?(t + 1, steps) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Runs every timestep of `input` from rest and returns the logits `[B, classes]`.
    /// A build prefix (`setBuildPrefix`) does not apply: this always runs the whole model.
    /// - Parameter kind: as in `start(_:kind:recorder:carryState:)` (default `.frames`).
    /// - Throws: `ModelInputError` for a shape that does not fit the model; the norms' errors in train mode.
    public func forward(_ input: Tensor, kind: InputKind = .frames, recorder: Recorder? = nil) throws -> Tensor {
        let prefix = buildPrefix
        buildPrefix = nil
        defer { buildPrefix = prefix }
        try start(input, kind: kind, recorder: recorder)
        try advance(to: config.timesteps)
        return logits!
    }

    /// Logits `[B, classes]` over the timesteps computed so far: the mean over t of the per-step
    /// logits (rtformer, sdt), or the head applied to the mean over t of the features (spikformer).
    public var logits: Tensor? {
        guard !headSteps.isEmpty else { return nil }
        var mean = headSteps[0]
        for s in headSteps.dropFirst() { mean.add(s) }
        let k = Float(headSteps.count)
        mean = mean.map { $0 / k }
        if graph.logitsPerStep { return mean }
        return Linear.forward(mean, weight: graph.head.weight, bias: graph.head.bias)
    }

    private func validate(_ input: Tensor) throws {
        let c = config
        guard input.rank == 5, input.shape[0] == c.timesteps, input.shape[2] == c.inChannels,
              input.shape[3] == c.imgSize, input.shape[4] == c.imgSize, input.shape[1] >= 1 else {
            throw ModelInputError.shape(model: c.name, expected: "[\(c.timesteps), B, \(c.inChannels), \(c.imgSize), \(c.imgSize)]",
                                        found: input.shape)
        }
    }

    // MARK: unit access (deploy conversion, equivalence)

    /// Every conv/linear unit of the graph in execution order (the graph's own list).
    var convUnits: [ConvUnit] { graph.convUnits }

    /// Every LIF unit of the graph in execution order (the graph's own list).
    var lifUnits: [LIFUnit] { graph.lifUnits }

    /// LIF module paths in execution order.
    public var lifPaths: [String] { layers.filter(\.isNeuron).map(\.path) }
}

/// A run that `Network.rerecord()` cannot recompute exactly.
public enum ReplayError: Error, Equatable, CustomStringConvertible {
    case notReplayable(model: String, reason: String)

    public var description: String {
        switch self {
        case let .notReplayable(model, reason):
            return "cannot recompute the recording of model '\(model)': \(reason)"
        }
    }
}

/// An input that does not fit the model.
public enum ModelInputError: Error, Equatable, CustomStringConvertible {
    case shape(model: String, expected: String, found: [Int])

    public var description: String {
        switch self {
        case let .shape(model, expected, found):
            return "input of shape \(found) does not fit model '\(model)': expected \(expected)"
        }
    }
}
