/// How a LIF layer decides to fire.
enum LIFKind {
    /// `H ≥ V_th` (SPEC §2).
    case plain
    /// TSBN on the charged membrane, `Ĥ = TSBN(H)[t] ≥ V_th`, raw H carried (SPEC §3.3).
    case tsbnMem(TSBN)
    /// Deploy: `sign·(H − θ) ≥ 0`, or `fire_const` where sign = 0 (SPEC R14), `[T·C]` each.
    case folded(theta: [Float], sign: [Float], fireConst: [Float])
}

/// A LIF layer with its state. Chunks are `[steps, B, ...]`; TSBN-LIF layouts are `[C, S]` per sample.
final class LIFUnit {
    let path: String
    let parameters: LIFParameters
    var kind: LIFKind
    /// Per-sample shape of one timestep, e.g. `[C, H, W]`.
    let shape: [Int]
    private var state: LIFState?
    /// Train-mode TSBN_mem window over the H history of the current input.
    private var stepper: TSBNTrainStepper?

    init(path: String, parameters: LIFParameters, kind: LIFKind, shape: [Int]) {
        self.path = path
        self.parameters = parameters
        self.kind = kind
        self.shape = shape
    }

    var channels: Int { shape[0] }
    var spatial: Int { shape.dropFirst().product }

    func reset() {
        state = nil
        stepper = nil
    }

    /// Runs the neuron over a chunk `x` `[steps, B, shape...]`; returns spikes of the same shape.
    func forward(_ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        if let teacher = ctx.teacher { return try teacher.check(self, input: x, ctx) }
        try ctx.enter(path)
        let steps = x.shape[0], b = x.shape[1]
        let n = b * shape.product
        if state == nil { state = LIFState(count: n, parameters: parameters) }
        if let r = ctx.recorder, r.lifs[path] == nil {
            var hasHat = false
            if case .tsbnMem = kind { hasHat = true }
            r.lif(path, shape: shape, batch: b, timesteps: ctx.timesteps, vThreshold: parameters.vThreshold, hasHat: hasHat)
            // A membrane carried over from the previous input (`carryState`) is the state t = 0 starts from.
            if ctx.t0 == 0, state!.v.contains(where: { $0 != (parameters.vReset ?? 0) }) { r.setInitialMembrane(path, state!.v) }
        }
        // Every element of these is written before it is read (spikes and H by every neuron kind,
        // Ĥ by the TSBN-LIF that uses it), so they skip the zero fill.
        var spikes = Tensor(uninitializedShape: x.shape)
        var h = [Float](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        var isMem = false
        if case .tsbnMem = kind { isMem = true }
        var hHat = isMem ? [Float](unsafeUninitializedCapacity: n) { _, initialized in initialized = n } : []
        let c = channels, s = spatial, vth = parameters.vThreshold
        for i in 0..<steps {
            let t = ctx.t0 + i
            try x.storage.withUnsafeBufferPointer { xp in
                try spikes.storage.withUnsafeMutableBufferPointer { sp in
                    let xt = xp.baseAddress! + i * n
                    let st = sp.baseAddress! + i * n
                    switch kind {
                    case .plain:
                        h.withUnsafeMutableBufferPointer { hp in state!.step(x: xt, h: hp.baseAddress!, spikes: st) }
                    case .tsbnMem(var tsbn):
                        // Charge, normalise the membrane, fire on Ĥ, reset the raw membrane (MPBN-style).
                        let p = parameters
                        state!.withMembrane { vp in
                            for j in 0..<n { h[j] = LIF.charge(v: vp[j], x: xt[j], p) }
                        }
                        hHat.withUnsafeMutableBufferPointer { hh in
                            h.withUnsafeBufferPointer { hh.baseAddress!.update(from: $0.baseAddress!, count: n) }
                        }
                        if ctx.mode == .train {
                            if stepper == nil { stepper = TSBNTrainStepper(batch: b, spatial: s, layer: path + ".tsbn") }
                            let rec = try hHat.withUnsafeMutableBufferPointer { try stepper!.step(t: t, x: $0.baseAddress!, tsbn: &tsbn) }
                            ctx.recorder?.window(path + ".tsbn", rec)
                            if t == ctx.timesteps - 1 { tsbn.numBatchesTracked += 1 }
                            kind = .tsbnMem(tsbn)
                        } else {
                            let (a, sh) = tsbn.affine(at: t)
                            hHat.withUnsafeMutableBufferPointer { hp in
                                applyChannelAffine(hp.baseAddress!, outer: b, channels: c, inner: s, scale: a, shift: sh)
                            }
                        }
                        state!.withMembrane { vp in
                            for j in 0..<n {
                                let fire = hHat[j] >= vth
                                st[j] = fire ? 1 : 0
                                vp[j] = LIF.reset(h: h[j], spike: st[j], p)
                            }
                        }
                    case let .folded(theta, sign, fireConst):
                        let p = parameters
                        state!.withMembrane { vp in
                            for bb in 0..<b {
                                for ch in 0..<c {
                                    let k = t * c + ch
                                    let th = theta[k], sg = sign[k], fc = fireConst[k]
                                    let base = (bb * c + ch) * s
                                    for j in base..<(base + s) {
                                        let hv = LIF.charge(v: vp[j], x: xt[j], p)
                                        h[j] = hv
                                        let fire: Float = sg != 0 ? (sg * (hv - th) >= 0 ? 1 : 0) : fc
                                        st[j] = fire
                                        vp[j] = LIF.reset(h: hv, spike: fire, p)
                                    }
                                }
                            }
                        }
                    }
                    if let r = ctx.recorder {
                        // The recorder copies V straight from the membrane.
                        state!.withMembrane { vp in
                            h.withUnsafeBufferPointer { hp in
                                hHat.withUnsafeBufferPointer { hh in
                                    r.storeLIF(path, t: t, x: xt, h: hp.baseAddress!, s: st, v: vp.baseAddress!,
                                               hHat: isMem ? hh.baseAddress! : nil)
                                }
                            }
                        }
                    }
                }
            }
        }
        return spikes
    }
}

extension LIFState {
    /// Copies `V` into an array of the same count.
    func copyMembrane(to dst: inout [Float]) {
        dst.withUnsafeMutableBufferPointer { copyMembrane(to: $0.baseAddress!) }
    }
}
