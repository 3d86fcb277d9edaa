/// Parameters of a leaky integrate-and-fire neuron, spikingjelly 0.0.0.0.12 `LIFNode` semantics
/// (SPEC §2). Potentials are unitless.
public struct LIFParameters: Sendable, Equatable, Hashable {
    /// Membrane time constant τ (> 1); the leak per step is `1/τ`.
    public var tau: Float
    /// Firing threshold `V_th`: a neuron fires when `H ≥ vThreshold`.
    public var vThreshold: Float
    /// Reset potential for hard reset; `nil` selects soft reset (`V = H − S·V_th`).
    public var vReset: Float?
    /// `true`: `H = V + (X − (V − V_reset))/τ`; `false`: `H = V − (V − V_reset)/τ + X`.
    public var decayInput: Bool

    public init(tau: Float = 2, vThreshold: Float = 1, vReset: Float? = 0, decayInput: Bool = true) {
        self.tau = tau
        self.vThreshold = vThreshold
        self.vReset = vReset
        self.decayInput = decayInput
    }

    /// Spikformer / SDT neurons: τ 2, V_th 1, hard reset to 0, decay_input.
    public static let standard = LIFParameters()
    /// Attention / KV neurons of Spikformer and SDT: V_th 0.5.
    public static let attention = LIFParameters(vThreshold: 0.5)
}

/// The LIF update, split into charge, fire and reset so that every neuron flavour (plain,
/// TSBN_mem, deploy with a folded threshold) shares the same arithmetic (SPEC §2, paper Eq.1–3).
///
/// The operation order reproduces spikingjelly bit for bit: `H = V + (X − V)/τ` rather than
/// `0.5·V + 0.5·X`, which differs by 1 ulp on some inputs (fixtures README).
public enum LIF {
    /// Charge: the membrane before firing, `H[t]` from `V[t−1]` and input `X[t]`
    /// (spikingjelly `LIFNode.neuronal_charge`).
    @inlinable @inline(__always)
    public static func charge(v: Float, x: Float, _ p: LIFParameters) -> Float {
        let vr = p.vReset ?? 0
        if p.decayInput {
            return vr == 0 ? v + (x - v) / p.tau : v + (x - (v - vr)) / p.tau
        } else {
            return vr == 0 ? v * (1 - 1 / p.tau) + x : v - (v - vr) / p.tau + x
        }
    }

    /// Reset after firing: hard `V = S ? V_reset : H`, soft `V = H − S·V_th`
    /// (spikingjelly `neuronal_reset`).
    @inlinable @inline(__always)
    public static func reset(h: Float, spike: Float, _ p: LIFParameters) -> Float {
        if let vr = p.vReset { return spike != 0 ? vr : h }
        return h - spike * p.vThreshold
    }

    /// One timestep of `count` neurons: charges `v` with `x`, fires on `H ≥ V_th`, resets `v`.
    /// This is the single update both the single-step and the multi-step paths run.
    /// - Parameters:
    ///   - x: input current `X[t]`, `count` elements.
    ///   - v: membrane `V[t−1]` on entry, `V[t]` (post-reset) on return.
    ///   - h: receives `H[t]` (charged, pre-fire) when non-nil.
    ///   - spikes: receives `S[t]` ∈ {0, 1}.
    @inlinable
    public static func step(x: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>?,
                            spikes: UnsafeMutablePointer<Float>, count: Int, _ p: LIFParameters) {
        let vth = p.vThreshold
        if p.decayInput, p.vReset == 0, let h {
            // The default neuron, specialised so the loop vectorises.
            let tau = p.tau
            for i in 0..<count {
                let hv = v[i] + (x[i] - v[i]) / tau
                let s: Float = hv >= vth ? 1 : 0
                h[i] = hv
                spikes[i] = s
                v[i] = hv >= vth ? 0 : hv
            }
            return
        }
        for i in 0..<count {
            let hv = charge(v: v[i], x: x[i], p)
            let s: Float = hv >= vth ? 1 : 0
            h?[i] = hv
            spikes[i] = s
            v[i] = reset(h: hv, spike: s, p)
        }
    }

    /// Multi-step LIF over `x` of shape `[T, ...]`, membranes starting at rest
    /// (spikingjelly `MultiStepLIFNode.forward`).
    /// - Returns: `H`, `S` and `V` (post-reset), each shaped like `x`.
    public static func multiStep(_ x: Tensor, _ p: LIFParameters = .standard) -> LIFTrace {
        precondition(x.rank >= 1, "LIF.multiStep: expected [T, ...], got \(x.shape)")
        var state = LIFState(count: x.count / max(x.shape[0], 1), parameters: p)
        var h = Tensor(shape: x.shape), s = Tensor(shape: x.shape), v = Tensor(shape: x.shape)
        let n = state.count
        x.storage.withUnsafeBufferPointer { xp in
            h.storage.withUnsafeMutableBufferPointer { hp in
                s.storage.withUnsafeMutableBufferPointer { sp in
                    v.storage.withUnsafeMutableBufferPointer { vp in
                        for t in 0..<x.shape[0] {
                            state.step(x: xp.baseAddress! + t * n, h: hp.baseAddress! + t * n, spikes: sp.baseAddress! + t * n)
                            state.copyMembrane(to: vp.baseAddress! + t * n)
                        }
                    }
                }
            }
        }
        return LIFTrace(h: h, spikes: s, v: v)
    }
}

/// The recorded dynamics of a LIF layer over T steps, each `[T, ...]`.
public struct LIFTrace: Sendable {
    /// Charged membrane `H[t]` before fire and reset.
    public var h: Tensor
    /// Spikes `S[t]` ∈ {0, 1}.
    public var spikes: Tensor
    /// Membrane `V[t]` after reset.
    public var v: Tensor
}

/// Single-step LIF state of one layer: the membrane `v` of every neuron, reset to rest for each
/// new input (spikingjelly `reset_net`).
public struct LIFState: Sendable {
    public let parameters: LIFParameters
    /// Membrane potential `V[t−1]` of every neuron; starts at `V_reset` (0 for soft reset).
    public private(set) var v: [Float]

    public init(count: Int, parameters: LIFParameters) {
        self.parameters = parameters
        self.v = [Float](repeating: parameters.vReset ?? 0, count: count)
    }

    /// Number of neurons.
    public var count: Int { v.count }

    /// Back to rest (a new input).
    public mutating func reset() {
        let r = parameters.vReset ?? 0
        for i in v.indices { v[i] = r }
    }

    /// Advances one timestep (see `LIF.step`).
    public mutating func step(x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>?, spikes: UnsafeMutablePointer<Float>) {
        let p = parameters
        let n = v.count
        v.withUnsafeMutableBufferPointer { vp in
            LIF.step(x: x, v: vp.baseAddress!, h: h, spikes: spikes, count: n, p)
        }
    }

    /// Copies `V[t]` out.
    public func copyMembrane(to dst: UnsafeMutablePointer<Float>) {
        v.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// Overwrites the membrane (the TSBN_mem neuron resets on its normalised comparison).
    public mutating func withMembrane<R>(_ body: (UnsafeMutableBufferPointer<Float>) -> R) -> R {
        v.withUnsafeMutableBufferPointer { body($0) }
    }
}
