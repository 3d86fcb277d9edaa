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
