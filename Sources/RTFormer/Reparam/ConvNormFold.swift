/// Folding an eval-mode normalisation into the convolution in front of it (SPEC §4.1; RepVGG
/// `_fuse_bn_tensor`, DBB `transI_fusebn`).
///
/// For `y = a⊙(W∗x + c) + b`: `W' = a·W` per output channel, `c' = a·c + b` (c = 0 when the conv
/// has no bias). Exact for any sign of a, any input and zero-padded borders, because the bias is
/// added after the convolution. All folds are pure, computed in Float64 and rounded once (SPEC R5).
public enum ConvNormFold {
    /// Conv + BatchNorm → one conv with bias (any `groups`: the scale is per output channel).
    /// - Parameters:
    ///   - weight: conv kernel `[C_out, C_in/groups, kH, kW]`.
    ///   - bias: conv bias `[C_out]`, or nil.
    ///   - norm: the BatchNorm after the conv, `C_out` channels, eval statistics.
    /// - Returns: fused kernel `[C_out, C_in/groups, kH, kW]` and bias `[C_out]`.
    public static func foldBatchNorm(weight: Tensor, bias: Tensor?, norm: BatchNorm) -> (weight: Tensor, bias: Tensor) {
        let cOut = checkedOutChannels(weight: weight, bias: bias, normChannels: norm.channels)
        let k = FoldCoefficients(norm)
        return (scaled(weight, by: k.scale, cOut: cOut),
                Tensor(shape: [cOut], storage: foldedBias(bias, k.scale, k.shift, offset: 0, cOut: cOut).roundedToFloat))
    }

    /// Conv + TSBN_pre → one kernel and bias per timestep, SPEC §4.1 form (i) (used for depthwise
    /// convs, where T kernels are cheap).
    /// - Parameters:
    ///   - weight: conv kernel `[C_out, C_in/groups, kH, kW]`.
    ///   - bias: conv bias `[C_out]`, or nil.
    ///   - norm: the TSBN after the conv, `[T, C_out]` parameters, eval statistics.
    /// - Returns: kernels `[T, C_out, C_in/groups, kH, kW]` and biases `[T, C_out]`;
    ///   deploy `y[t] = W_t ∗ x[t] + bias_t`.
    public static func foldTSBNPerTimestep(weight: Tensor, bias: Tensor?, norm: TSBN) -> (weight: Tensor, bias: Tensor) {
        let cOut = checkedOutChannels(weight: weight, bias: bias, normChannels: norm.channels)
        let k = FoldCoefficients(norm)
        var kernels: [Tensor] = [], biases: [Float] = []
        for t in 0..<norm.timesteps {
            let range = (t * cOut)..<((t + 1) * cOut)
            kernels.append(scaled(weight, by: Array(k.scale[range]), cOut: cOut))
            biases += foldedBias(bias, k.scale, k.shift, offset: t * cOut, cOut: cOut).roundedToFloat
        }
        return (Tensor.stack(kernels), Tensor(shape: [norm.timesteps, cOut], storage: biases))
    }

    /// Conv + TSBN_pre → the shared unfused kernel plus a per-(t, c) output affine, SPEC §4.1
    /// form (ii) and R14: `scale = a`, `shift = a·conv_bias + b`; deploy
    /// `y[t] = scale[t]·(W ∗ x[t]) + shift[t]`, applied before any max-pool (R7).
    /// - Parameters:
    ///   - bias: conv bias `[C]`, or nil.
    ///   - norm: the TSBN after the conv, `[T, C]` parameters, eval statistics.
    /// - Returns: `scale` and `shift`, each `[T, C]`.
    public static func foldTSBNAffine(bias: Tensor?, norm: TSBN) -> (scale: Tensor, shift: Tensor) {
        let c = norm.channels
        if let bias { precondition(bias.count == c, "fold: conv bias has \(bias.count) elements, TSBN has \(c) channels") }
        let k = FoldCoefficients(norm)
        var shift: [Float] = []
        for t in 0..<norm.timesteps { shift += foldedBias(bias, k.scale, k.shift, offset: t * c, cOut: c).roundedToFloat }
        return (Tensor(shape: [norm.timesteps, c], storage: k.scale.roundedToFloat),
                Tensor(shape: [norm.timesteps, c], storage: shift))
    }

    private static func checkedOutChannels(weight: Tensor, bias: Tensor?, normChannels: Int) -> Int {
        precondition(weight.rank == 4, "fold: expected a kernel [C_out, C_in/groups, kH, kW], got \(weight.shape)")
        let cOut = weight.shape[0]
        precondition(cOut == normChannels, "fold: kernel has \(cOut) output channels, the norm has \(normChannels)")
        if let bias { precondition(bias.count == cOut, "fold: conv bias has \(bias.count) elements, expected \(cOut)") }
        return cOut
    }

    /// `a[o]·W[o, ...]` in Float64, rounded once.
    private static func scaled(_ weight: Tensor, by a: [Double], cOut: Int) -> Tensor {
        let per = weight.count / max(cOut, 1)
        var out = [Float](repeating: 0, count: weight.count)
        for o in 0..<cOut {
            for i in 0..<per { out[o * per + i] = Float(a[o] * Double(weight.storage[o * per + i])) }
        }
        return Tensor(shape: weight.shape, storage: out)
    }

    /// `a·c + b` for the `cOut` coefficients starting at `offset`, in Float64.
    private static func foldedBias(_ bias: Tensor?, _ a: [Double], _ b: [Double], offset: Int, cOut: Int) -> [Double] {
        (0..<cOut).map { o in a[offset + o] * Double(bias?.storage[o] ?? 0) + b[offset + o] }
    }
}
