/// Spikformer CIFAR exactly as its public code computes (SPEC §7.1): SPS with SEW spike sums,
/// SSA (q kᵀ · 0.125 · v, no softmax), BN, head on the mean over tokens and T.
final class SpikformerGraph: FamilyGraph {
    struct Block {
        let index: Int
        let q: ConvUnit, k: ConvUnit, v: ConvUnit
        let qLIF: LIFUnit, kLIF: LIFUnit, vLIF: LIFUnit
        let attnLIF: LIFUnit
        let proj: ConvUnit, projLIF: LIFUnit
        let fc1: ConvUnit, fc1LIF: LIFUnit
        let fc2: ConvUnit, fc2LIF: LIFUnit
    }

    let config: ModelConfig
    let stemConvs: [ConvUnit]
    let stemLIFs: [LIFUnit]
    let rpe: ConvUnit
    let rpeLIF: LIFUnit
    let blocks: [Block]
    let head: (weight: Tensor, bias: Tensor)
    var logitsPerStep: Bool { false }

    init(_ b: GraphBuilder) {
        let cfg = b.config
        config = cfg
        let w = cfg.stemChannels
        let d = cfg.embedDims
        // Spikformer leaves convs at PyTorch's default init; Linears get trunc_normal(.02), bias 0.
        var convs: [ConvUnit] = [], lifs: [LIFUnit] = []
        var side = cfg.imgSize
        var cin = cfg.inChannels
        var rateSource: String? = nil
        let suffix = ["", "1", "2", "3"]
        for i in 0..<4 {
            let conv = b.convNorm(path: "patch_embed.proj_conv\(suffix[i])", normPath: "patch_embed.proj_bn\(suffix[i])",
                                  cin: cin, cout: w[i], kernel: (3, 3), pad: (1, 1), bias: false, inShape: [cin, side, side],
                                  rateSource: rateSource, weightInit: .kaimingUniform(fanIn: cin * 9))
            convs.append(conv)
            let lifPath = "patch_embed.proj_lif\(suffix[i])"
            lifs.append(b.lif(lifPath, shape: [w[i], side, side]))
            rateSource = lifPath
            if i >= 2 {
                let out = (side - 1) / 2 + 1
                b.note("\(lifPath).pool", kind: .maxPool(kernel: 3, stride: 2, padding: 1),
                       input: [w[i], side, side], output: [w[i], out, out])
                side = out
                rateSource = "\(lifPath).pool"
            }
            cin = w[i]
        }
        convs[0].isEncoding = true
        stemConvs = convs
        stemLIFs = lifs
        let mapShape = [d, side, side]
        rpe = b.convNorm(path: "patch_embed.rpe_conv", normPath: "patch_embed.rpe_bn", cin: d, cout: d, kernel: (3, 3), pad: (1, 1),
                         bias: false, inShape: mapShape, rateSource: "patch_embed.proj_lif3.pool", weightInit: .kaimingUniform(fanIn: d * 9))
        rpeLIF = b.lif("patch_embed.rpe_lif", shape: mapShape)
        let n = side * side
        let tok = [n, d]
        b.note("patch_embed", kind: .sewTokens, input: mapShape, output: tok)
        let hidden = d * cfg.mlpRatio
        let lin = ParameterInit.truncNormal(std: 0.02)
        var blocks: [Block] = []
        for i in 0..<cfg.depths {
            let p = "block.\(i)"
            b.unused("\(p).norm1.weight", [d], .constant(1))
            b.unused("\(p).norm1.bias", [d], .constant(0))
            func qkv(_ name: String) -> ConvUnit {
                b.convNorm(path: "\(p).attn.\(name)_linear", normPath: "\(p).attn.\(name)_bn", cin: d, cout: d, bias: true,
                           inShape: tok, isLinear: true, rateSource: nil, weightInit: lin)
            }
            let q = qkv("q"), qL = b.lif("\(p).attn.q_lif", shape: tok)
            let k = qkv("k"), kL = b.lif("\(p).attn.k_lif", shape: tok)
            let v = qkv("v"), vL = b.lif("\(p).attn.v_lif", shape: tok)
            b.note("\(p).attn.ssa", kind: .ssa, input: tok, output: tok, fl: 2 * n * n * d, rateSource: "\(p).attn.q_lif")
            let aL = b.lif("\(p).attn.attn_lif", shape: tok, parameters: .attention)
            let proj = b.convNorm(path: "\(p).attn.proj_linear", normPath: "\(p).attn.proj_bn", cin: d, cout: d, bias: true,
                                  inShape: tok, isLinear: true, rateSource: "\(p).attn.attn_lif", weightInit: lin)
            let pL = b.lif("\(p).attn.proj_lif", shape: tok)
            b.unused("\(p).norm2.weight", [d], .constant(1))
            b.unused("\(p).norm2.bias", [d], .constant(0))
            let f1 = b.convNorm(path: "\(p).mlp.fc1_linear", normPath: "\(p).mlp.fc1_bn", cin: d, cout: hidden, bias: true,
                                inShape: tok, isLinear: true, rateSource: nil, weightInit: lin)
            let f1L = b.lif("\(p).mlp.fc1_lif", shape: [n, hidden])
            let f2 = b.convNorm(path: "\(p).mlp.fc2_linear", normPath: "\(p).mlp.fc2_bn", cin: hidden, cout: d, bias: true,
                                inShape: [n, hidden], isLinear: true, rateSource: "\(p).mlp.fc1_lif", weightInit: lin)
            let f2L = b.lif("\(p).mlp.fc2_lif", shape: tok)
            blocks.append(Block(index: i, q: q, k: k, v: v, qLIF: qL, kLIF: kL, vLIF: vL, attnLIF: aL, proj: proj, projLIF: pL,
                                fc1: f1, fc1LIF: f1L, fc2: f2, fc2LIF: f2L))
        }
        self.blocks = blocks
        b.note("features", kind: .tokenMean, input: tok, output: [d])
        let before = b.weights.requested.count
        let hw = b.weights.take("head.weight", [cfg.numClasses, d], lin)
        let hb = b.weights.take("head.bias", [cfg.numClasses], .constant(0))
        b.add(LayerInfo(path: "head", kind: .head(onMeanOverT: true), inputShape: [d], outputShape: [cfg.numClasses],
                        parameters: Array(b.weights.requested[before...]), flPerTimestep: d * cfg.numClasses, inputIsBinary: false,
                        operation: .mac, rateSource: nil, isNeuron: false))
        head = (hw, hb)
    }

    var convUnits: [ConvUnit] {
        stemConvs + [rpe] + blocks.flatMap { [$0.q, $0.k, $0.v, $0.proj, $0.fc1, $0.fc2] }
    }

    var lifUnits: [LIFUnit] {
        stemLIFs + [rpeLIF] + blocks.flatMap { [$0.qLIF, $0.kLIF, $0.vLIF, $0.attnLIF, $0.projLIF, $0.fc1LIF, $0.fc2LIF] }
    }

    func run(_ input: Tensor, _ ctx: RunContext) throws -> Tensor {
        var x = input
        for i in 0..<4 {
            var s = try stemLIFs[i].forward(try stemConvs[i].forward(x, ctx), ctx)
            ctx.recordRate(stemLIFs[i].path, s)
            if i >= 2 {
                try ctx.enter(stemLIFs[i].path + ".pool")
                s = poolChunk(s)
                ctx.recordRate(stemLIFs[i].path + ".pool", s)
            }
            x = s
        }
        let rpeSpikes = try rpeLIF.forward(try rpe.forward(x, ctx), ctx)
        try ctx.enter("patch_embed")
        var sum = rpeSpikes
        sum.add(x)
        // [steps, B, D, H, W] → tokens [steps, B, N, D], N row-major (flatten(-2).transpose(-1,-2)).
        let steps = sum.shape[0], b = sum.shape[1], d = sum.shape[2], n = sum.shape[3] * sum.shape[4]
        var tokens = sum.reshaped([steps, b, d, n]).permuted([0, 1, 3, 2])
        ctx.recorder?.stream("patch_embed", t0: ctx.t0, timesteps: ctx.timesteps, chunk: tokens)
        for bl in blocks {
            tokens = try runBlock(bl, tokens, ctx)
        }
        // Mean over tokens → [steps, B, D].
        try ctx.enter("features")
        var f = Tensor(shape: [steps, b, d])
        tokens.storage.withUnsafeBufferPointer { p in
            f.storage.withUnsafeMutableBufferPointer { o in
                for sb in 0..<(steps * b) {
                    for c in 0..<d {
                        var acc: Float = 0
                        for j in 0..<n { acc += p[(sb * n + j) * d + c] }
                        o[sb * d + c] = acc / Float(n)
                    }
                }
            }
        }
        ctx.recorder?.stream("features", t0: ctx.t0, timesteps: ctx.timesteps, chunk: f)
        try ctx.enter("head")
        return f
    }

    private func runBlock(_ bl: Block, _ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        let p = "block.\(bl.index)"
        let q = try bl.qLIF.forward(try bl.q.forward(x, ctx), ctx)
        let k = try bl.kLIF.forward(try bl.k.forward(x, ctx), ctx)
        let v = try bl.vLIF.forward(try bl.v.forward(x, ctx), ctx)
        ctx.recordRate(bl.qLIF.path, q)
        try ctx.enter("\(p).attn.ssa")
        let steps = x.shape[0], b = x.shape[1], n = x.shape[2], d = x.shape[3]
        let h = config.numHeads, dh = d / h
        // Per head: attn = (q_h · k_hᵀ)·0.125 (N×N), y_h = attn · v_h (N×d_h); heads are contiguous
        // channel groups. Binary q, k and the exact 1/8 scale keep every value a multiple of 1/8.
        var y = Tensor(shape: x.shape)
        var attn = [Float](repeating: 0, count: n * n)
        // With a full recorder the N×N map of every (t, b, head) is kept as the model used it,
        // `[steps, B, heads, N, N]` (Recorder.attentionKey); without one nothing is allocated.
        let recordsAttention = ctx.recorder?.level == .full
        var recorded = [Float](repeating: 0, count: recordsAttention ? steps * b * h * n * n : 0)
        q.storage.withUnsafeBufferPointer { qp in
            k.storage.withUnsafeBufferPointer { kp in
                v.storage.withUnsafeBufferPointer { vp in
                    y.storage.withUnsafeMutableBufferPointer { yp in
                        attn.withUnsafeMutableBufferPointer { ap in
                            for sb in 0..<(steps * b) {
                                let base = sb * n * d
                                for head in 0..<h {
                                    let off = base + head * dh
                                    BLAS.sgemm(transB: true, m: n, n: n, k: dh, alpha: AttentionRecord.ssaScale, a: qp.baseAddress! + off, lda: d,
                                               b: kp.baseAddress! + off, ldb: d, c: ap.baseAddress!, ldc: n)
                                    if recordsAttention {
                                        recorded.withUnsafeMutableBufferPointer { rp in
                                            (rp.baseAddress! + (sb * h + head) * n * n).update(from: ap.baseAddress!, count: n * n)
                                        }
                                    }
                                    BLAS.sgemm(m: n, n: dh, k: n, a: ap.baseAddress!, lda: n, b: vp.baseAddress! + off, ldb: d,
                                               c: yp.baseAddress! + off, ldc: d)
                                }
                            }
                        }
                    }
                }
            }
        }
        if recordsAttention {
            ctx.recorder?.stream(Recorder.attentionKey(block: p), t0: ctx.t0, timesteps: ctx.timesteps,
                                 chunk: Tensor(shape: [steps, b, h, n, n], storage: recorded))
        }
        let a = try bl.attnLIF.forward(y, ctx)
        ctx.recordRate(bl.attnLIF.path, a)
        // Residual sums added into the fresh branch output (exact either way round), no copy.
        var x1 = try bl.projLIF.forward(try bl.proj.forward(a, ctx), ctx)
        x1.add(x)
        let s1 = try bl.fc1LIF.forward(try bl.fc1.forward(x1, ctx), ctx)
        ctx.recordRate(bl.fc1LIF.path, s1)
        var x2 = try bl.fc2LIF.forward(try bl.fc2.forward(s1, ctx), ctx)
        x2.add(x1)
        ctx.recorder?.stream(p, t0: ctx.t0, timesteps: ctx.timesteps, chunk: x2)
        return x2
    }
}
