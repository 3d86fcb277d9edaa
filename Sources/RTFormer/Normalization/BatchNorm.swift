/// Errors of train-mode normalisation.
public enum NormalizationError: Error, Equatable, CustomStringConvertible {
    /// A window (or batch) holds a single value per channel: the unbiased running variance
    /// `n/(n−1)` is undefined (SPEC R3).
    case singleValueWindow(layer: String, t: Int?)

    public var description: String {
        switch self {
        case let .singleValueWindow(layer, t):
            let at = t.map { " at t=\($0)" } ?? ""
            return "\(layer): train-mode statistics\(at) see one value per channel; the unbiased running variance is undefined (use B > 1, a longer window, or eval mode)"
        }
    }
}

/// Batch normalisation over channel `C` (PyTorch `BatchNorm1d/2d`); stats pooled over every
/// other axis, so on `[T·B, C, H, W]` the T axis is pooled too (SPEC §3.4, "BN" row).
///
/// state_dict keys: `weight` (γ), `bias` (β), `running_mean`, `running_var`, `num_batches_tracked`,
/// each `[C]` (the last a scalar).
public struct BatchNorm: Sendable, Equatable {
    public var weight: [Float]
    public var bias: [Float]
    public var runningMean: [Float]
    public var runningVar: [Float]
    public var numBatchesTracked: Float = 0
    public var eps: Float
    public var momentum: Float

    /// Fresh layer: γ = 1, β = 0, running mean 0, running var 1.
    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = [Float](repeating: 1, count: channels)
        bias = [Float](repeating: 0, count: channels)
        runningMean = [Float](repeating: 0, count: channels)
        runningVar = [Float](repeating: 1, count: channels)
        self.eps = eps
        self.momentum = momentum
    }

    public var channels: Int { weight.count }

    /// Eval coefficients `a = γ·(1/sqrt(running_var + ε))`, `b = β − running_mean·a`, in the
    /// order PyTorch's CPU kernel computes them (`batch_norm_cpu_collect_linear_and_constant_terms`).
    public func affine() -> (scale: [Float], shift: [Float]) {
        var a = [Float](repeating: 0, count: channels), b = a
        for c in 0..<channels {
            let invstd = 1 / (runningVar[c] + eps).squareRoot()
            a[c] = invstd * weight[c]
            b[c] = bias[c] - runningMean[c] * a[c]
        }
        return (a, b)
    }

    /// Eval-mode forward on `[N, C, S...]` (channel axis 1).
    public func forwardEval(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2 && x.shape[1] == channels, "BatchNorm: expected [N, \(channels), ...], got \(x.shape)")
        var y = x
        let (a, b) = affine()
        let inner = x.shape.dropFirst(2).reduce(1, *)
        y.storage.withUnsafeMutableBufferPointer { p in
            applyChannelAffine(p.baseAddress!, outer: x.shape[0], channels: channels, inner: inner, scale: a, shift: b)
        }
        return y
    }

    /// Train-mode forward on `[N, C, S...]`: normalises with the batch's biased variance and
    /// updates the running statistics with the unbiased one (momentum update).
    /// - Throws: `NormalizationError.singleValueWindow` when N·S = 1.
    public mutating func forwardTrain(_ x: Tensor, layer: String = "BatchNorm") throws -> (y: Tensor, statistics: ChannelStatistics) {
        precondition(x.rank >= 2 && x.shape[1] == channels, "BatchNorm: expected [N, \(channels), ...], got \(x.shape)")
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let stats = x.storage.withUnsafeBufferPointer { p in
            ChannelStatistics(slices: [p.baseAddress!], batch: x.shape[0], channels: channels, spatial: inner)
        }
        let (a, b) = try trainStep(stats, layer: layer)
        var y = x
        y.storage.withUnsafeMutableBufferPointer { p in
            applyChannelAffine(p.baseAddress!, outer: x.shape[0], channels: channels, inner: inner, scale: a, shift: b)
        }
        return (y, stats)
    }

    /// One train step from batch statistics: updates the running statistics (unbiased variance,
    /// momentum) and returns the affine that normalises the batch with its biased variance.
    /// - Throws: `NormalizationError.singleValueWindow` when the batch has one value per channel.
    public mutating func trainStep(_ stats: ChannelStatistics, layer: String) throws -> (scale: [Float], shift: [Float]) {
        guard let unbiased = stats.unbiasedVariance else { throw NormalizationError.singleValueWindow(layer: layer, t: nil) }
        var a = [Float](repeating: 0, count: channels), b = a
        for c in 0..<channels {
            let invstd = 1 / (Float(stats.variance[c]) + eps).squareRoot()
            a[c] = invstd * weight[c]
            b[c] = bias[c] - Float(stats.mean[c]) * a[c]
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(stats.mean[c])
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(unbiased[c])
        }
        numBatchesTracked += 1
        return (a, b)
    }
}
