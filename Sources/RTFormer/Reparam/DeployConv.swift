/// Deploy-time convolutions over a time-major sequence, the forms the folds of `ConvNormFold`
/// and `RepDW5.fuse()` produce (SPEC §4.1, §5.3, R14).
public enum DeployConv {
    /// One kernel and bias per timestep: `y[t] = W_t ∗ x[t] + bias_t` (SPEC §4.1 form (i), §5.3).
    /// - Parameters:
    ///   - x: input `[T, B, C_in, H, W]`.
    ///   - weight: kernels `[T, C_out, C_in/groups, kH, kW]`.
    ///   - bias: `[T, C_out]`.
    ///   - padH, padW: zero padding per axis (stride 1).
    ///   - groups: `C_in` for depthwise.
    /// - Returns: `[T, B, C_out, H_out, W_out]`.
    public static func forwardPerTimestep(_ x: Tensor, weight: Tensor, bias: Tensor, padH: Int, padW: Int, groups: Int = 1) -> Tensor {
        precondition(x.rank == 5 && weight.rank == 5 && bias.rank == 2, "DeployConv: expected x [T,B,C,H,W], weight [T,Co,Ci/g,kH,kW], bias [T,Co], got \(x.shape), \(weight.shape), \(bias.shape)")
        let timesteps = x.shape[0]
        precondition(weight.shape[0] == timesteps && bias.shape == [timesteps, weight.shape[1]],
                     "DeployConv: \(timesteps) timesteps in x, kernels \(weight.shape), biases \(bias.shape)")
        let outs = (0..<timesteps).map { t in
            Conv2d.forward(x.slice(t), weight: weight.slice(t), bias: bias.slice(t), padH: padH, padW: padW, groups: groups)
        }
        return Tensor.stack(outs)
    }

    /// The shared unfused kernel followed by a per-(t, c) affine (SPEC §4.1 form (ii), R14):
    /// `y[t] = scale[t]·(W ∗ x[t]) + shift[t]`, the affine rounded as eval BN is (SPEC R5).
    /// - Parameters:
    ///   - x: input `[T, B, C_in, H, W]`.
    ///   - weight: `[C_out, C_in/groups, kH, kW]`.
    ///   - scale, shift: `[T, C_out]`.
    /// - Returns: `[T, B, C_out, H_out, W_out]`.
    public static func forwardSharedAffine(_ x: Tensor, weight: Tensor, scale: Tensor, shift: Tensor,
                                           padH: Int, padW: Int, groups: Int = 1) -> Tensor {
        precondition(x.rank == 5 && weight.rank == 4, "DeployConv: expected x [T,B,C,H,W] and weight [Co,Ci/g,kH,kW], got \(x.shape), \(weight.shape)")
        let (timesteps, batch) = (x.shape[0], x.shape[1])
        let cOut = weight.shape[0]
        precondition(scale.shape == [timesteps, cOut] && shift.shape == [timesteps, cOut],
                     "DeployConv: scale/shift must be [\(timesteps), \(cOut)], got \(scale.shape), \(shift.shape)")
        let flat = x.reshaped([timesteps * batch] + Array(x.shape.dropFirst(2)))
        let conv = Conv2d.forward(flat, weight: weight, bias: nil, padH: padH, padW: padW, groups: groups)
        var y = conv.reshaped([timesteps, batch] + Array(conv.shape.dropFirst()))
        let inner = conv.shape[2] * conv.shape[3]
        let per = batch * cOut * inner
        y.storage.withUnsafeMutableBufferPointer { p in
            scale.storage.withUnsafeBufferPointer { a in
                shift.storage.withUnsafeBufferPointer { b in
                    for t in 0..<timesteps {
                        applyChannelAffine(p.baseAddress! + t * per, outer: batch, channels: cOut, inner: inner,
                                           scale: a.baseAddress! + t * cOut, shift: b.baseAddress! + t * cOut)
                    }
                }
            }
        }
        return y
    }
}
