/// Temporal Sliding Batch Normalization (paper Eq.5, SPEC §3.2).
///
/// Per-(t, c) parameters γ, β and running statistics, all `[T, C]` (row-major, index `t·C + c`).
/// In train mode timestep t is normalised with the statistics of the causal window
/// `W_t = {max(0, t−L+1) … t}` (biased variance), and the running statistics of t are updated with
/// the window's mean and unbiased variance (`n_t = |W_t|·B·S`). In eval mode it is the per-(t, c)
/// affine `a[t]·x + b[t]` (SPEC R5). L = 1 is per-timestep BN (BNTT with a bias), L ≥ T the
/// cumulative window (TAB without p²), T = 1 plain BN.
///
/// state_dict keys: `weight`, `bias`, `running_mean`, `running_var` `[T, C]`, `num_batches_tracked`.
public struct TSBN: Sendable, Equatable {
    public let timesteps: Int
    public let channels: Int
    public var weight: [Float]
    public var bias: [Float]
    public var runningMean: [Float]
    public var runningVar: [Float]
    public var numBatchesTracked: Float = 0
    /// Window length L ≥ 1 (the paper's w is L − 1).
    public var window: Int
    public var eps: Float
    public var momentum: Float

    /// Fresh layer: γ = 1, β = 0, running mean 0, running var 1.
    public init(timesteps: Int, channels: Int, window: Int = 2, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(timesteps >= 1 && channels >= 1 && window >= 1, "TSBN: T, C and L must be ≥ 1")
        self.timesteps = timesteps
        self.channels = channels
        let n = timesteps * channels
        weight = [Float](repeating: 1, count: n)
        bias = [Float](repeating: 0, count: n)
        runningMean = [Float](repeating: 0, count: n)
        runningVar = [Float](repeating: 1, count: n)
        self.window = window
        self.eps = eps
        self.momentum = momentum
    }

    /// The timesteps of the window at t: `max(0, t−L+1) … t` (truncated at the start, never padded).
    public func windowRange(at t: Int) -> ClosedRange<Int> { max(0, t - window + 1)...t }

    /// Eval coefficients of timestep t (SPEC R5): `a = γ/sqrt(running_var + ε)`,
    /// `b = β − a·running_mean`, each `[C]`.
    public func affine(at t: Int) -> (scale: [Float], shift: [Float]) {
        var a = [Float](repeating: 0, count: channels), b = a
        for c in 0..<channels {
            let i = t * channels + c
            a[c] = weight[i] / (runningVar[i] + eps).squareRoot()
            b[c] = bias[i] - a[c] * runningMean[i]
        }
        return (a, b)
    }

    /// Eval coefficients for every timestep, `[T, C]` each.
    public func affineTable() -> (scale: [Float], shift: [Float]) {
        var a: [Float] = [], b: [Float] = []
        for t in 0..<timesteps {
            let (at, bt) = affine(at: t)
            a += at
            b += bt
        }
        return (a, b)
    }

    /// Eval-mode forward over the whole sequence `x` `[T, B, C, S...]`.
    public func forwardEval(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 3 && x.shape[0] == timesteps && x.shape[2] == channels,
                     "TSBN: expected [\(timesteps), B, \(channels), ...], got \(x.shape)")
        var y = x
        let (a, b) = affineTable()
        let batch = x.shape[1], inner = x.shape.dropFirst(3).reduce(1, *)
        let per = batch * channels * inner
        y.storage.withUnsafeMutableBufferPointer { p in
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    for t in 0..<timesteps {
                        applyChannelAffine(p.baseAddress! + t * per, outer: batch, channels: channels, inner: inner,
                                           scale: ap.baseAddress! + t * channels, shift: bp.baseAddress! + t * channels)
                    }
                }
            }
        }
        return y
    }

    /// Train-mode forward over the whole sequence `x` `[T, B, C, S...]`, through the same
    /// streaming stepper the model uses, so feeding all T at once and step by step agree.
    /// - Returns: the normalised output and, per t, the window statistics.
    /// - Throws: `NormalizationError.singleValueWindow` when a window holds one value per channel.
    public mutating func forwardTrain(_ x: Tensor, layer: String = "TSBN") throws -> (y: Tensor, windows: [TSBNWindowRecord]) {
        precondition(x.rank >= 3 && x.shape[0] == timesteps && x.shape[2] == channels,
                     "TSBN: expected [\(timesteps), B, \(channels), ...], got \(x.shape)")
        let batch = x.shape[1], inner = x.shape.dropFirst(3).reduce(1, *)
        var stepper = TSBNTrainStepper(batch: batch, spatial: inner, layer: layer)
        var y = x
        var records: [TSBNWindowRecord] = []
        let per = batch * channels * inner
        try y.storage.withUnsafeMutableBufferPointer { p in
            for t in 0..<timesteps {
                records.append(try stepper.step(t: t, x: p.baseAddress! + t * per, tsbn: &self))
            }
        }
        numBatchesTracked += 1
        return (y, records)
    }
}

/// What train-mode TSBN computed at one timestep: the window and its statistics.
public struct TSBNWindowRecord: Sendable, Equatable {
    public var t: Int
    /// Timesteps the window spans.
    public var window: ClosedRange<Int>
    /// Window mean per channel `[C]`.
    public var mean: [Float]
    /// Window biased variance per channel `[C]` (normalises).
    public var variance: [Float]
    /// Window unbiased variance per channel `[C]` (enters the running variance).
    public var unbiasedVariance: [Float]
    /// Elements per channel in the window, `|W_t|·B·S`.
    public var count: Int
}

/// Streaming train-mode TSBN: keeps the last L − 1 inputs of one layer so timestep t can be
/// normalised without t + 1 (causal). Used for TSBN_pre (on conv outputs) and TSBN_mem (on the
/// charged membrane H).
public struct TSBNTrainStepper: Sendable {
    public let batch: Int
    public let spatial: Int
    public let layer: String
    private var history: [[Float]] = []

    public init(batch: Int, spatial: Int, layer: String) {
        self.batch = batch
        self.spatial = spatial
        self.layer = layer
    }

    /// Forgets the window (a new input).
    public mutating func reset() { history.removeAll() }

    /// Normalises `x[t]` (`[B, C, S]`, in place) with the window statistics and updates the
    /// running statistics of t in `tsbn`.
    public mutating func step(t: Int, x: UnsafeMutablePointer<Float>, tsbn: inout TSBN) throws -> TSBNWindowRecord {
        let c = tsbn.channels
        let per = batch * c * spatial
        let current = Array(UnsafeBufferPointer(start: x, count: per))
        let keep = tsbn.window - 1
        let window = keep > 0 ? Array(history.suffix(keep)) + [current] : [current]
        let stats: ChannelStatistics = withPointers(window) { ptrs in
            ChannelStatistics(slices: ptrs, batch: batch, channels: c, spatial: spatial)
        }
        guard let unbiased = stats.unbiasedVariance else { throw NormalizationError.singleValueWindow(layer: layer, t: t) }
        var a = [Float](repeating: 0, count: c), b = a
        for ch in 0..<c {
            let i = t * c + ch
            let mu = Float(stats.mean[ch]), v = Float(stats.variance[ch])
            a[ch] = tsbn.weight[i] / (v + tsbn.eps).squareRoot()
            b[ch] = tsbn.bias[i] - a[ch] * mu
            tsbn.runningMean[i] = (1 - tsbn.momentum) * tsbn.runningMean[i] + tsbn.momentum * mu
            tsbn.runningVar[i] = (1 - tsbn.momentum) * tsbn.runningVar[i] + tsbn.momentum * Float(unbiased[ch])
        }
        applyChannelAffine(x, outer: batch, channels: c, inner: spatial, scale: a, shift: b)
        if keep > 0 {
            history.append(current)
            if history.count > keep { history.removeFirst(history.count - keep) }
        }
        return TSBNWindowRecord(t: t, window: tsbn.windowRange(at: t),
                                mean: stats.mean.map { Float($0) }, variance: stats.variance.map { Float($0) },
                                unbiasedVariance: unbiased.map { Float($0) }, count: stats.count)
    }
}

/// Calls `body` with stable base pointers of each array.
func withPointers<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    func go(_ i: Int, _ acc: [UnsafePointer<Float>]) -> R {
        if i == arrays.count { return body(acc) }
        return arrays[i].withUnsafeBufferPointer { go(i + 1, acc + [$0.baseAddress!]) }
    }
    return go(0, [])
}
