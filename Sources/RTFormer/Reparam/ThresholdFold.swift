/// How a TSBN_mem is folded into the LIF threshold (SPEC decision 5).
public enum ThresholdFoldMode: String, Sendable, CaseIterable {
    /// θ = (V_th − β)·sqrt(σ² + ε)/γ + μ with a sign-aware comparator (SPEC §4.3, R14): must
    /// reproduce the unfused spikes.
    case exact
    /// Paper Eq.7 literally: θ = (V_th − β)·sqrt(σ²)/γ + μ, no ε, sign 1, IEEE ±inf/NaN kept (R10, R14),
    /// so users can see what the paper's fold costs.
    case paper
}

/// A TSBN_mem folded into a per-(t, c) threshold: the deploy state of a TSBN-LIF (SPEC §4.3,
/// decision 5, R10, R14, R15; paper Eq.6 → Eq.7).
///
/// The unfused neuron fires on `Ĥ = a·H + b ≥ V_th` with the raw membrane H carried
/// (`a = γ/sqrt(σ² + ε)`, `b = β − a·μ`, running statistics). Solving for H:
/// - γ > 0: fire iff `H ≥ θ`;  γ < 0: fire iff `H ≤ θ` (the inequality flips);
/// - γ = 0: `Ĥ = β` for every H, so the neuron fires iff `β ≥ V_th`, whatever its input.
/// Deploy comparator: `spike = sign ≠ 0 ? [sign·(H − θ) ≥ 0] : fire_const`.
///
/// state_dict keys (R14): `<lif>.theta`, `<lif>.sign`, `<lif>.fire_const`, each `[T, C]`.
public struct ThresholdFold: Sendable, Equatable {
    public let timesteps: Int
    public let channels: Int
    /// θ per (t, c), row-major `[T, C]`; 0 where sign = 0 (exact mode).
    public var theta: [Float]
    /// sign(γ) ∈ {−1, 0, 1} per (t, c) (exact mode); 1 everywhere in paper mode.
    public var sign: [Float]
    /// The constant spike where sign = 0: `[β ≥ V_th]`; 0 wherever sign ≠ 0.
    public var fireConst: [Float]

    /// Folds an eval TSBN_mem and the neuron's threshold, in Float64 rounded once (SPEC R5).
    /// - Parameters:
    ///   - tsbn: the TSBN on the membrane, `[T, C]` parameters and running statistics.
    ///   - vThreshold: the LIF's V_th (1, or 0.5 for KV neurons).
    ///   - mode: `exact` or `paper` (see `ThresholdFoldMode`).
    public init(tsbn: TSBN, vThreshold: Float, mode: ThresholdFoldMode) {
        timesteps = tsbn.timesteps
        channels = tsbn.channels
        let n = tsbn.timesteps * tsbn.channels
        var theta = [Float](repeating: 0, count: n)
        var sign = [Float](repeating: 1, count: n)
        var fireConst = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let f = Self.fold64(tsbn: tsbn, index: i, vThreshold: vThreshold, mode: mode)
            theta[i] = Float(f.theta)
            sign[i] = Float(f.sign)
            fireConst[i] = Float(f.fireConst)
        }
        self.theta = theta
        self.sign = sign
        self.fireConst = fireConst
    }

    /// θ, sign and fire_const of one (t, c) (`index` = t·C + c) in Float64, before the one
    /// rounding of SPEC R5 (the Float64 deploy twin of `DoubleCheck` uses them unrounded).
    static func fold64(tsbn: TSBN, index i: Int, vThreshold: Float, mode: ThresholdFoldMode) -> (theta: Double, sign: Double, fireConst: Double) {
        let vth = Double(vThreshold)
        let gamma = Double(tsbn.weight[i]), beta = Double(tsbn.bias[i])
        let mu = Double(tsbn.runningMean[i]), variance = Double(tsbn.runningVar[i])
        switch mode {
        case .exact:
            if gamma == 0 { return (0, 0, tsbn.bias[i] >= vThreshold ? 1 : 0) }
            return ((vth - beta) * (variance + tsbn.eps.widenedDecimal).squareRoot() / gamma + mu, gamma > 0 ? 1 : -1, 0)
        case .paper:
            return ((vth - beta) * variance.squareRoot() / gamma + mu, 1, 0)
        }
    }

    /// A fold read back from a deploy checkpoint (`<lif>.theta`, `.sign`, `.fire_const`, R14).
    /// - Precondition: the three tensors are `[T, C]`.
    public init(theta: Tensor, sign: Tensor, fireConst: Tensor) {
        precondition(theta.rank == 2 && sign.shape == theta.shape && fireConst.shape == theta.shape,
                     "ThresholdFold: theta, sign and fire_const must be equal [T, C] tensors, got \(theta.shape), \(sign.shape), \(fireConst.shape)")
        timesteps = theta.shape[0]
        channels = theta.shape[1]
        self.theta = theta.storage
        self.sign = sign.storage
        self.fireConst = fireConst.storage
    }

    /// The deploy comparator (R14, R15): `sign ≠ 0 ? [sign·(H − θ) ≥ 0] : fire_const`.
    /// `≥` as everywhere; with θ = ±inf or NaN (paper mode, R10) the IEEE comparison decides
    /// (NaN never fires).
    @inlinable @inline(__always)
    public static func fires(h: Float, theta: Float, sign: Float, fireConst: Float) -> Float {
        if sign == 0 { return fireConst }
        return sign * (h - theta) >= 0 ? 1 : 0
    }

    /// The comparator applied to a whole membrane sequence with no state: R9's
    /// `local_stateless` check (the deploy comparator on the unfused raw H), and Eq.7's
    /// stateless form `[x ≥ θ]`.
    /// - Parameter h: raw membrane (or any input) `[T, B, C, S...]` with this fold's T and C.
    /// - Returns: spikes `[T, B, C, S...]` ∈ {0, 1}.
    public func spikes(stateless h: Tensor) -> Tensor {
        precondition(h.rank >= 3 && h.shape[0] == timesteps && h.shape[2] == channels,
                     "ThresholdFold: expected [\(timesteps), B, \(channels), ...], got \(h.shape)")
        let inner = h.shape.dropFirst(3).reduce(1, *)
        var out = h
        for t in 0..<timesteps {
            for b in 0..<h.shape[1] {
                for c in 0..<channels {
                    let i = t * channels + c
                    let base = ((t * h.shape[1] + b) * channels + c) * inner
                    for s in 0..<inner {
                        out.storage[base + s] = Self.fires(h: h.storage[base + s], theta: theta[i], sign: sign[i], fireConst: fireConst[i])
                    }
                }
            }
        }
        return out
    }

    /// θ as a `[T, C]` tensor (the `<lif>.theta` deploy key).
    public var thetaTensor: Tensor { Tensor(shape: [timesteps, channels], storage: theta) }
    /// sign as a `[T, C]` tensor (the `<lif>.sign` deploy key).
    public var signTensor: Tensor { Tensor(shape: [timesteps, channels], storage: sign) }
    /// fire_const as a `[T, C]` tensor (the `<lif>.fire_const` deploy key).
    public var fireConstTensor: Tensor { Tensor(shape: [timesteps, channels], storage: fireConst) }

    /// Paper Eq.6 without membrane dynamics: `[a[t,c]·x + b[t,c] ≥ V_th]` with the eval TSBN
    /// arithmetic (SPEC R5, Float32), the reference the stateless fold `spikes(stateless:)` must match.
    /// - Parameter x: `[T, B, C, S...]`.
    /// - Returns: spikes, same shape.
    public static func normalizedSpikes(_ x: Tensor, tsbn: TSBN, vThreshold: Float) -> Tensor {
        tsbn.forwardEval(x).map { $0 >= vThreshold ? 1 : 0 }
    }
}
