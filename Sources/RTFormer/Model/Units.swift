/// Whether norms use running statistics (eval) or batch/window statistics with a running update (train).
public enum ForwardMode: String, Sendable {
    case eval, train
}

/// What a forward pass needs besides the data: mode, recorder, timestep offset of the chunk.
struct RunContext {
    var mode: ForwardMode
    var recorder: Recorder?
    /// First timestep of the chunk being computed.
    var t0: Int
    /// Timesteps in the chunk.
    var steps: Int
    var batch: Int
    var timesteps: Int
    /// Set for the local-origin run of the equivalence check: every LIF fires the deploy way on
    /// the deploy input current and the unfused membrane, and passes the unfused spikes on
    /// (`LocalOriginCheck`).
    var teacher: LocalOriginCheck? = nil
    /// The built prefix of a layer-by-layer build (`Network.buildLimit`); nil: the whole model.
    var limit: BuildPrefix? = nil
    /// The input is a static image repeated over T (`InputKind.staticImage`): the encoding layer
    /// computes its conv on the first slice it sees and reuses it (`ConvUnit.isEncoding`).
    var staticInput = false

    /// Called before a layer computes: stops the forward (throws `BuildStop`) when `path` lies
    /// beyond the built prefix. Paths that are not layers of the model pass.
    func enter(_ path: String) throws {
        if let limit, let i = limit.index[path], i > limit.last { throw BuildStop(path: path) }
    }

    func recordRate(_ name: String, _ chunk: Tensor) {
        recorder?.rate(name, t0: t0, steps: steps, chunk: chunk)
    }
}

/// The normalisation that follows a conv or linear.
enum NormKind {
    case none
    /// Shared over t (Spikformer/SDT BN; stats pooled over T·B in train mode).
    case batchNorm(BatchNorm)
    /// Per-(t, c) (SPEC §3.2).
    case tsbn(TSBN)
    /// Deploy per-(t, c) affine `scale[t]·y + shift[t]`, `[T·C]` each (SPEC R14).
    case affine(scale: [Float], shift: [Float])
}

/// A conv weight packed, on first use, for the spike-driven kernels: `projection` for 1×1 convs
/// and linears (`SpikeWeights`), `scatter` for k×k convs (`SpikeConvWeights`). A reference type
/// so that units holding the same weight (the two twins) share one copy. Not thread-safe: the
/// units that share it run on one thread (a session's twins, one evaluation worker's pair).
final class PackedKernels {
    private let weight: Tensor
    private(set) lazy var projection = SpikeWeights(weight)
    private(set) lazy var scatter = SpikeConvWeights(weight)

    init(_ weight: Tensor) { self.weight = weight }
}

/// A conv (or linear on tokens) followed by its norm: the stateless unit of every family.
/// Input and output chunks are `[steps, B, C, H, W]` (conv) or `[steps, B, N, C]` (linear).
final class ConvUnit {
    /// Module path of the conv (`patch_embed.proj_conv`) and of its norm (`patch_embed.proj_tsbn`).
    let path: String
    let normPath: String?
    let weight: Tensor
    let bias: Tensor?
    /// Deploy depthwise kernels per timestep `[T, C, 1, kH, kW]` and biases `[T, C]` (SPEC §5.3).
    var weightPerStep: Tensor?
    var biasPerStep: Tensor?
    let padH: Int, padW: Int, groups: Int
    /// `true`: a Linear on the last axis of token tensors (Spikformer), with BN1d over that axis.
    let isLinear: Bool
    /// The input is 0/1 spikes (or small spike counts): 1×1 convs and linears then use the
    /// spike-driven kernel, which accumulates the weight columns of active inputs (DESIGN §3).
    var inputIsSpikes = false
    /// `weight` packed once for the spike kernels; shared with the deploy twin's unit when that
    /// unit carries the same kernel (`Network.sharePackedWeights(with:)`).
    private(set) var packed: PackedKernels
    var norm: NormKind
    private var stepper: TSBNTrainStepper?
    /// The encoding layer (the model's first conv, on the input itself). For a static image
    /// (`RunContext.staticInput`, SPEC §1 direct encoding) its conv output is computed once per
    /// input, from the slice of t = 0, and reused for every t (DESIGN §3).
    var isEncoding = false
    /// The conv output `[B, C, H, W]` of the current static input; nil until t = 0 is computed.
    private var staticOutput: Tensor?

    init(path: String, normPath: String?, weight: Tensor, bias: Tensor?, pad: (Int, Int) = (0, 0), groups: Int = 1,
         isLinear: Bool = false, norm: NormKind) {
        self.path = path
        self.normPath = normPath
        self.weight = weight
        self.bias = bias
        self.padH = pad.0
        self.padW = pad.1
        self.groups = groups
        self.isLinear = isLinear
        self.norm = norm
        self.packed = PackedKernels(weight)
    }

    func reset() {
        stepper = nil
        staticOutput = nil
    }

    /// Uses `other`'s packed kernels when it holds the same weight (the same storage, or equal
    /// values): a deploy unit whose conv TSBN_pre folds into a per-(t, c) affine keeps the unfused
    /// kernel bit for bit (SPEC R14), so the two twins need one packed copy, not two.
    /// - Returns: whether the packed kernels are now shared.
    @discardableResult
    func sharePacked(with other: ConvUnit) -> Bool {
        guard other !== self, other.weight == weight else { return false }
        packed = other.packed
        return true
    }

    /// Drops the conv output kept for a static input (a new input that carries the neuron state).
    func forgetInput() {
        staticOutput = nil
    }

    /// The raw conv/linear output before the norm, same layout as `forward`'s result.
    ///
    /// The kernels run once per timestep on its B samples, never on T·B at once: a GEMM's
    /// rounding may depend on its size, and stepping one timestep at a time must give exactly
    /// what the whole-sequence forward gives.
    func linearPart(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        let steps = x.shape[0]
        let sampleShape = Array(x.shape.dropFirst(2))
        let perStep = x.count / max(steps, 1)
        var out: [Float] = []
        var outSample: [Int] = []
        // A static image: the encoding conv of t = 0 serves every t; no slice is read after it.
        let reuse = isEncoding && ctx.staticInput && weightPerStep == nil
        for i in 0..<steps {
            let y: Tensor
            if reuse, let staticOutput {
                y = staticOutput
            } else {
                // One timestep (the explorer's step) shares the chunk's storage instead of copying it.
                let xt = steps == 1 ? Tensor(shape: [x.shape[1]] + sampleShape, storage: x.storage)
                    : Tensor(shape: [x.shape[1]] + sampleShape, storage: Array(x.storage[(i * perStep)..<((i + 1) * perStep)]))
                y = linearStep(xt, t: ctx.t0 + i)
                if reuse { staticOutput = y }
            }
            outSample = Array(y.shape.dropFirst())
            if steps == 1 { return Tensor(shape: [1, x.shape[1]] + outSample, storage: y.storage) }
            if out.isEmpty { out.reserveCapacity(steps * y.count) }
            out += y.storage
        }
        return Tensor(shape: [steps, x.shape[1]] + outSample, storage: out)
    }

    /// The conv/linear of one timestep `t` on its B samples `xt` `[B, ...]`.
    private func linearStep(_ xt: Tensor, t: Int) -> Tensor {
        if isLinear {
            return inputIsSpikes ? Linear.forwardSpikes(xt, weight: weight, bias: bias, packed: packed.projection)
                                 : Linear.forward(xt, weight: weight, bias: bias)
        } else if inputIsSpikes && weight.shape[2] == 1 && weight.shape[3] == 1 && groups == 1 && padH == 0 && padW == 0 {
            return Conv2d.pointwiseSpikes(xt, weight: weight, bias: bias, packed: packed.projection)
        } else if inputIsSpikes && groups == 1 {
            return Conv2d.forwardSpikes(xt, weight: weight, bias: bias, padH: padH, padW: padW, packed: packed.scatter)
        } else if let wps = weightPerStep {
            // Deploy depthwise kernels differ per timestep (SPEC §5.3).
            return Conv2d.forward(xt, weight: wps.slice(t), bias: biasPerStep?.slice(t), padH: padH, padW: padW, groups: groups)
        }
        return Conv2d.forward(xt, weight: weight, bias: bias, padH: padH, padW: padW, groups: groups)
    }

    /// conv/linear then norm on a chunk.
    func forward(_ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        try ctx.enter(path)
        var y = linearPart(x, ctx)
        try applyNorm(&y, ctx)
        if ctx.recorder?.recordUnitInputs == true {
            ctx.recorder?.unitOutput(path, output: y, t0: ctx.t0, timesteps: ctx.timesteps)
        }
        try ctx.teacher?.compareUnit(path, input: x, output: y, ctx)
        return y
    }

    /// Applies the norm in place; `y` is `[steps, B, C, S...]`, or `[steps, B, N, C]` for linears.
    func applyNorm(_ y: inout Tensor, _ ctx: RunContext) throws {
        let steps = y.shape[0], b = y.shape[1]
        let channels = isLinear ? y.shape.last! : y.shape[2]
        let inner = isLinear ? 1 : y.shape.dropFirst(3).product
        let rowsPerStep = isLinear ? b * y.shape.dropFirst(2).dropLast().product : b
        let per = y.count / max(steps, 1)
        switch norm {
        case .none:
            return
        case .batchNorm(var bn):
            if ctx.mode == .train {
                // BN pools T·B (and space); the chunk must be the whole sequence for PyTorch parity.
                let asNCS: Tensor = isLinear
                    ? y.reshaped([steps * rowsPerStep, channels]).permuted([1, 0]).reshaped([1, channels, steps * rowsPerStep])
                    : y.reshaped([steps * b, channels, inner])
                let stats = asNCS.storage.withUnsafeBufferPointer { p in
                    ChannelStatistics(slices: [p.baseAddress!], batch: asNCS.shape[0], channels: channels, spatial: asNCS.shape[2])
                }
                let (a, sh) = try bn.trainStep(stats, layer: normPath ?? path)
                norm = .batchNorm(bn)
                apply(&y, scale: a, shift: sh, steps: 0..<steps, channels: channels, inner: inner, rowsPerStep: rowsPerStep, per: per, perStepOffset: 0)
                if let r = ctx.recorder, let np = normPath {
                    for i in 0..<steps {
                        r.window(np, TSBNWindowRecord(t: ctx.t0 + i, window: 0...(ctx.timesteps - 1),
                                                      mean: stats.mean.map { Float($0) }, variance: stats.variance.map { Float($0) },
                                                      unbiasedVariance: (stats.unbiasedVariance ?? stats.variance).map { Float($0) }, count: stats.count))
                    }
                }
            } else {
                let (a, sh) = bn.affine()
                apply(&y, scale: a, shift: sh, steps: 0..<steps, channels: channels, inner: inner, rowsPerStep: rowsPerStep, per: per, perStepOffset: 0)
            }
        case .tsbn(var tsbn):
            precondition(!isLinear, "TSBN on token-last layout is not part of any family")
            if ctx.mode == .train {
                if stepper == nil { stepper = TSBNTrainStepper(batch: b, spatial: inner, layer: normPath ?? path) }
                try y.storage.withUnsafeMutableBufferPointer { p in
                    for i in 0..<steps {
                        let rec = try stepper!.step(t: ctx.t0 + i, x: p.baseAddress! + i * per, tsbn: &tsbn)
                        if let np = normPath { ctx.recorder?.window(np, rec) }
                    }
                }
                if ctx.t0 + steps == ctx.timesteps { tsbn.numBatchesTracked += 1 }
                norm = .tsbn(tsbn)
            } else {
                let (a, sh) = tsbn.affineTable()
                apply(&y, scale: a, shift: sh, steps: 0..<steps, channels: channels, inner: inner, rowsPerStep: rowsPerStep, per: per, perStepOffset: ctx.t0)
            }
        case let .affine(scale, shift):
            apply(&y, scale: scale, shift: shift, steps: 0..<steps, channels: channels, inner: inner, rowsPerStep: rowsPerStep, per: per, perStepOffset: ctx.t0)
        }
    }

    /// Applies `scale`/`shift` (`[C]` shared, or `[T·C]` indexed by `t0 + i` when larger than C).
    private func apply(_ y: inout Tensor, scale: [Float], shift: [Float], steps: Range<Int>, channels: Int, inner: Int,
                       rowsPerStep: Int, per: Int, perStepOffset: Int) {
        let perT = scale.count > channels
        let linear = isLinear
        y.storage.withUnsafeMutableBufferPointer { p in
            scale.withUnsafeBufferPointer { a in
                shift.withUnsafeBufferPointer { b in
                    for i in steps {
                        let off = perT ? (perStepOffset + i) * channels : 0
                        if linear {
                            applyChannelLastAffine(p.baseAddress! + i * per, rows: rowsPerStep, channels: channels,
                                                   scale: a.baseAddress! + off, shift: b.baseAddress! + off)
                        } else {
                            applyChannelAffine(p.baseAddress! + i * per, outer: rowsPerStep, channels: channels, inner: inner,
                                               scale: a.baseAddress! + off, shift: b.baseAddress! + off)
                        }
                    }
                }
            }
        }
    }
}

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

/// The five-branch depthwise Spatial Core (SPEC §5), unfused: Σ_i norm_i(DWConv_i(s)), summed
/// k33, k13, k31, k11, id (R6). Deploy replaces it by one per-timestep 3×3 `ConvUnit`.
final class RepDW5Unit {
    let path: String
    /// k33, k13, k31, k11 branch convs with their TSBNs.
    let branches: [ConvUnit]
    /// The identity branch's norm (a `ConvUnit` whose linear part is the identity).
    let identity: ConvUnit

    init(path: String, branches: [ConvUnit], identity: ConvUnit) {
        self.path = path
        self.branches = branches
        self.identity = identity
    }

    func reset() {
        branches.forEach { $0.reset() }
        identity.reset()
    }

    func forward(_ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        var sum = try branches[0].forward(x, ctx)
        for br in branches.dropFirst() { sum.add(try br.forward(x, ctx)) }
        try ctx.enter(path)
        var id = x
        try identity.applyNorm(&id, ctx)
        sum.add(id)
        return sum
    }
}

extension Recorder {
    /// Records the firing rate of a binary tensor chunk `[steps, B, ...]` per timestep.
    func rate(_ name: String, t0: Int, steps: Int, chunk: Tensor) {
        let per = chunk.count / max(steps, 1)
        var r = rates[name] ?? [Double](repeating: .nan, count: max(t0 + steps, rateTimesteps))
        if r.count < t0 + steps { r += [Double](repeating: .nan, count: t0 + steps - r.count) }
        chunk.storage.withUnsafeBufferPointer { p in
            for i in 0..<steps {
                // Spikes: count the ones 16 lanes at a time. The in-order Double sum of 0/1 values
                // is that exact count, so the result is the same; other values take the sum.
                if let ones = Recorder.countOnes(p.baseAddress! + i * per, count: per) {
                    r[t0 + i] = per > 0 ? Double(ones) / Double(per) : 0
                    continue
                }
                var s = 0.0
                for j in (i * per)..<((i + 1) * per) { s += Double(p[j]) }
                r[t0 + i] = per > 0 ? s / Double(per) : 0
            }
        }
        rates[name] = r
    }

    /// The number of ones among `count` floats when every one of them is 0 or 1, else nil.
    static func countOnes(_ p: UnsafePointer<Float>, count: Int) -> Int? {
        var ones = SIMD16<Int32>()
        var other = SIMD16<Int32>()
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            let isOne = v .== 1
            ones &+= SIMD16<Int32>().replacing(with: 1, where: isOne)
            other &+= SIMD16<Int32>().replacing(with: 1, where: .!isOne .& (v .!= 0))
            i += 16
        }
        var n = Int(ones.wrappedSum())
        if other != SIMD16<Int32>() { return nil }
        while i < count {
            if p[i] == 1 { n += 1 } else if p[i] != 0 { return nil }
            i += 1
        }
        return n
    }

    func unitOutput(_ path: String, output: Tensor, t0: Int, timesteps: Int) {
        storeStream(path, t0: t0, timesteps: timesteps, chunk: output, into: \Recorder.unitOutputs)
    }
}
