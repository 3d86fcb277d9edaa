/// The deploy TSBN-LIF: a LIF whose comparison with V_th is replaced by the folded per-(t, c)
/// threshold of `ThresholdFold` (SPEC §4.3, §5.4 deploy form, R14).
///
/// It shares the LIF arithmetic (`LIF.charge`, `LIF.reset`) with every other neuron. TSBN-LIFs
/// always hard-reset to 0 with decay_input (R4), and carry the raw membrane:
/// `H[t] = V[t−1] + (X[t] − V[t−1])/τ`, `S[t] = fires(H[t]; θ[t,c], sign[t,c], fire_const[t,c])`,
/// `V[t] = H[t]·(1 − S[t])`. Because H is exactly the unfused neuron's H while the spikes agree,
/// an `exact` fold reproduces the unfused spikes except inside the R9 rounding band.
public enum DeployTSBNLIF {
    /// One timestep of a layer of `batch · C · spatial` neurons laid out `[B, C, S]`.
    /// - Parameters:
    ///   - t: the timestep (selects θ[t]).
    ///   - x: input current `X[t]`, `[B, C, S]`.
    ///   - state: membranes `V[t−1]` on entry, `V[t]` on return; its parameters must be hard reset
    ///     to 0 with decay_input (R4). Their `vThreshold` is not used: θ replaces it.
    ///   - h: receives the raw `H[t]` when non-nil.
    ///   - spikes: receives `S[t]` ∈ {0, 1}.
    ///   - spatial: S (H·W for maps, 1 for `[T, B, D, 1]` KV or `[T, B, D]` head neurons).
    public static func step(t: Int, x: UnsafePointer<Float>, state: inout LIFState, h: UnsafeMutablePointer<Float>?,
                            spikes: UnsafeMutablePointer<Float>, spatial: Int, fold: ThresholdFold) {
        let p = state.parameters
        precondition(p.vReset == 0 && p.decayInput, "DeployTSBNLIF: TSBN-LIFs hard-reset to 0 with decay_input (SPEC R4), got \(p)")
        precondition(t >= 0 && t < fold.timesteps, "DeployTSBNLIF: t = \(t) outside the fold's \(fold.timesteps) timesteps")
        let c = fold.channels
        precondition(state.count % (c * spatial) == 0, "DeployTSBNLIF: \(state.count) neurons do not split into [B, \(c), \(spatial)]")
        let batch = state.count / (c * spatial)
        fold.theta.withUnsafeBufferPointer { theta in
            fold.sign.withUnsafeBufferPointer { sign in
                fold.fireConst.withUnsafeBufferPointer { fireConst in
                    state.withMembrane { v in
                        for b in 0..<batch {
                            for ch in 0..<c {
                                let k = t * c + ch
                                let (th, sg, fc) = (theta[k], sign[k], fireConst[k])
                                let base = (b * c + ch) * spatial
                                for i in base..<(base + spatial) {
                                    let hv = LIF.charge(v: v[i], x: x[i], p)
                                    let s = ThresholdFold.fires(h: hv, theta: th, sign: sg, fireConst: fc)
                                    h?[i] = hv
                                    spikes[i] = s
                                    v[i] = LIF.reset(h: hv, spike: s, p)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Multi-step deploy TSBN-LIF over `x` `[T, B, C, S...]`, membranes starting at rest.
    /// - Parameters:
    ///   - x: input current, T and C matching `fold`.
    ///   - p: τ etc.; must be hard reset to 0 with decay_input (R4).
    /// - Returns: raw `H`, spikes `S` and post-reset `V`, each shaped like `x`.
    public static func multiStep(_ x: Tensor, fold: ThresholdFold, _ p: LIFParameters = .standard) -> LIFTrace {
        precondition(x.rank >= 3 && x.shape[0] == fold.timesteps && x.shape[2] == fold.channels,
                     "DeployTSBNLIF: expected [\(fold.timesteps), B, \(fold.channels), ...], got \(x.shape)")
        let n = x.count / x.shape[0]
        let spatial = x.shape.dropFirst(3).reduce(1, *)
        var state = LIFState(count: n, parameters: p)
        var h = Tensor(shape: x.shape), s = Tensor(shape: x.shape), v = Tensor(shape: x.shape)
        x.storage.withUnsafeBufferPointer { xp in
            h.storage.withUnsafeMutableBufferPointer { hp in
                s.storage.withUnsafeMutableBufferPointer { sp in
                    v.storage.withUnsafeMutableBufferPointer { vp in
                        for t in 0..<x.shape[0] {
                            step(t: t, x: xp.baseAddress! + t * n, state: &state, h: hp.baseAddress! + t * n,
                                 spikes: sp.baseAddress! + t * n, spatial: spatial, fold: fold)
                            state.copyMembrane(to: vp.baseAddress! + t * n)
                        }
                    }
                }
            }
        }
        return LIFTrace(h: h, spikes: s, v: v)
    }
}
