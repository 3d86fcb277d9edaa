/// Per-channel mean and variance over a set of `[B, C, S]` slices, accumulated in Float64
/// (two passes, so the variance does not cancel catastrophically).
public struct ChannelStatistics: Sendable, Equatable {
    /// Mean per channel, `[C]`.
    public var mean: [Double]
    /// Biased variance per channel (`1/n`), `[C]`: what batch normalisation divides by.
    public var variance: [Double]
    /// Elements per channel `n` (slices × B × S).
    public var count: Int

    /// Unbiased variance `variance · n/(n−1)`, what enters the running variance; nil when `n ≤ 1`.
    public var unbiasedVariance: [Double]? {
        guard count > 1 else { return nil }
        let f = Double(count) / Double(count - 1)
        return variance.map { $0 * f }
    }

    /// - Parameters:
    ///   - slices: pointers to `[B, C, S]` blocks (e.g. the timesteps of a TSBN window).
    ///   - batch: B; channels: C; spatial: S (H·W for maps, N for tokens, 1 for vectors).
    public init(slices: [UnsafePointer<Float>], batch: Int, channels: Int, spatial: Int) {
        let n = slices.count * batch * spatial
        var mean = [Double](repeating: 0, count: channels)
        var variance = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            var s = 0.0
            for p in slices {
                for b in 0..<batch {
                    let base = p + (b * channels + c) * spatial
                    for i in 0..<spatial { s += Double(base[i]) }
                }
            }
            let mu = n > 0 ? s / Double(n) : 0
            var q = 0.0
            for p in slices {
                for b in 0..<batch {
                    let base = p + (b * channels + c) * spatial
                    for i in 0..<spatial { let d = Double(base[i]) - mu; q += d * d }
                }
            }
            mean[c] = mu
            variance[c] = n > 0 ? q / Double(n) : 0
        }
        self.mean = mean
        self.variance = variance
        self.count = n
    }
}

/// Applies a per-channel affine `y = scale[c]·x + shift[c]` to `[outer, C, inner]` data in place.
/// This is eval-mode BN/TSBN (SPEC R5): two roundings, no fused multiply-add, as PyTorch's CPU
/// batch-norm kernel computes it.
@inlinable
public func applyChannelAffine(_ x: UnsafeMutablePointer<Float>, outer: Int, channels: Int, inner: Int,
                               scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
    for o in 0..<outer {
        for c in 0..<channels {
            let a = scale[c], b = shift[c]
            let p = x + (o * channels + c) * inner
            for i in 0..<inner { p[i] = p[i] * a + b }
        }
    }
}

/// Same as `applyChannelAffine` for channel-last data `[rows, C]` (tokens `[T·B·N, D]`).
@inlinable
public func applyChannelLastAffine(_ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                                   scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
    for r in 0..<rows {
        let p = x + r * channels
        for c in 0..<channels { p[c] = p[c] * scale[c] + shift[c] }
    }
}
