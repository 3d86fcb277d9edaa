/// The SDT skeleton shared by `rtformer` (TSBN, STCore) and `sdt` (BN, rpe_conv) (SPEC §6.2, R17).
final class SpikeDrivenGraph: FamilyGraph {
    struct Block {
        let index: Int
        let shortcutLIF: LIFUnit
        let q: ConvUnit, k: ConvUnit, v: ConvUnit
        let qLIF: LIFUnit, kLIF: LIFUnit, vLIF: LIFUnit
        let kvLIF: LIFUnit
        let proj: ConvUnit
        let fc1LIF: LIFUnit, fc1: ConvUnit
        let fc2LIF: LIFUnit, fc2: ConvUnit
    }

    let config: ModelConfig
    let stemConvs: [ConvUnit]
    let stemLIFs: [LIFUnit]
    /// rtformer: the STCore neuron; sdt: `proj_lif3`.
    let coreLIF: LIFUnit
    /// rtformer: RepDW5 (unfused) or the fused per-t DW conv (deploy); sdt: rpe_conv + rpe_bn.
    let core: SpatialCore
    let blocks: [Block]
    let headLIF: LIFUnit
    let head: (weight: Tensor, bias: Tensor)
    var logitsPerStep: Bool { true }

    init(_ b: GraphBuilder) {
        let cfg = b.config
        config = cfg
        let rt = cfg.family == .rtformer
        let all = rt && cfg.membraneTSBN == .all
        let w = cfg.stemChannels
        let d = cfg.embedDims
        let init02 = ParameterInit.truncNormal(std: 0.02)
        var convs: [ConvUnit] = [], lifs: [LIFUnit] = []
        var side = cfg.imgSize
        var cin = cfg.inChannels
        var rateSource: String? = nil
        let suffix = ["", "1", "2", "3"]
        let normName = rt ? "proj_tsbn" : "proj_bn"
        for i in 0..<4 {
            let conv = b.convNorm(path: "patch_embed.proj_conv\(suffix[i])", normPath: "patch_embed.\(normName)\(suffix[i])",
                                  cin: cin, cout: w[i], kernel: (3, 3), pad: (1, 1), bias: false,
                                  inShape: [cin, side, side], rateSource: rateSource, weightInit: init02)
            convs.append(conv)
            if i < 3 {
                let lifPath = "patch_embed.proj_lif\(suffix[i])"
                lifs.append(b.lif(lifPath, shape: [w[i], side, side], membrane: all))
                rateSource = lifPath
                if cfg.pools(stage: i) {
                    let out = (side - 1) / 2 + 1
                    b.note("\(lifPath).pool", kind: .maxPool(kernel: 3, stride: 2, padding: 1),
                           input: [w[i], side, side], output: [w[i], out, out])
                    side = out
                    rateSource = "\(lifPath).pool"
                }
            } else if cfg.pools(stage: 3) {
                let out = (side - 1) / 2 + 1
                b.note("patch_embed.pool3", kind: .maxPool(kernel: 3, stride: 2, padding: 1),
                       input: [w[3], side, side], output: [w[3], out, out])
                side = out
            }
            cin = w[i]
        }
        convs[0].isEncoding = true
        stemConvs = convs
        stemLIFs = lifs
        let tokenShape = [d, side, side]
        if rt {
            coreLIF = b.lif("patch_embed.stcore.lif", shape: tokenShape, membrane: cfg.membraneTSBN != .none)
            switch b.flavour {
            case .unfused:
                let specs: [(String, (Int, Int), (Int, Int))] = [("k33", (3, 3), (1, 1)), ("k13", (1, 3), (0, 1)),
                                                                   ("k31", (3, 1), (1, 0)), ("k11", (1, 1), (0, 0))]
                var branches: [ConvUnit] = []
                for (name, k, p) in specs {
                    branches.append(b.convNorm(path: "patch_embed.stcore.rep.\(name)", normPath: "patch_embed.stcore.rep.tsbn_\(name)",
                                               cin: d, cout: d, kernel: k, pad: p, groups: d, bias: false, inShape: tokenShape,
                                               rateSource: "patch_embed.stcore.lif", weightInit: init02, countsEnergy: false))
                }
                let (idNorm, idParams) = b.tsbn("patch_embed.stcore.rep.tsbn_id", channels: d)
                b.add(LayerInfo(path: "patch_embed.stcore.rep.tsbn_id", kind: .tsbn(identityBranch: true), inputShape: tokenShape,
                                outputShape: tokenShape, parameters: idParams, flPerTimestep: 0, inputIsBinary: true,
                                operation: .none, rateSource: nil, isNeuron: false))
                let identity = ConvUnit(path: "patch_embed.stcore.rep.id", normPath: "patch_embed.stcore.rep.tsbn_id",
                                        weight: Tensor(shape: [0]), bias: nil, norm: .tsbn(idNorm))
                b.note("patch_embed.stcore.rep", kind: .repDW5(fused: false), input: tokenShape, output: tokenShape,
                       fl: 9 * side * side * d, rateSource: "patch_embed.stcore.lif")
                core = .repDW5(RepDW5Unit(path: "patch_embed.stcore.rep", branches: branches, identity: identity))
            case .deploy:
                let before = b.weights.requested.count
                let wt = b.weights.take("patch_embed.stcore.rep.weight", [cfg.timesteps, d, 1, 3, 3], init02)
                let bs = b.weights.take("patch_embed.stcore.rep.bias", [cfg.timesteps, d], .constant(0))
                b.add(LayerInfo(path: "patch_embed.stcore.rep", kind: .repDW5(fused: true), inputShape: tokenShape,
                                outputShape: tokenShape, parameters: Array(b.weights.requested[before...]),
                                flPerTimestep: 9 * side * side * d, inputIsBinary: true, operation: .ac,
                                rateSource: "patch_embed.stcore.lif", isNeuron: false, isFolded: true))
                let unit = ConvUnit(path: "patch_embed.stcore.rep", normPath: nil, weight: Tensor(shape: [d, 1, 3, 3]), bias: nil,
                                    pad: (1, 1), groups: d, norm: .none)
                unit.weightPerStep = wt
                unit.biasPerStep = bs
                core = .conv(unit)
            }
        } else {
            coreLIF = b.lif("patch_embed.proj_lif3", shape: tokenShape)
            core = .conv(b.convNorm(path: "patch_embed.rpe_conv", normPath: "patch_embed.rpe_bn", cin: d, cout: d, kernel: (3, 3),
                              pad: (1, 1), bias: false, inShape: tokenShape, rateSource: "patch_embed.proj_lif3", weightInit: init02))
        }
        b.note("patch_embed.out", kind: .featureSum(rt ? .stcore : .rpe), input: tokenShape, output: tokenShape)

        let hidden = d * cfg.mlpRatio
        let n = side * side
        let norm = rt ? "tsbn" : "bn"
        var blocks: [Block] = []
        for i in 0..<cfg.depths {
            let p = "block.\(i)"
            let sc = b.lif("\(p).attn.shortcut_lif", shape: tokenShape, membrane: all)
            func qkv(_ name: String) -> ConvUnit {
                b.convNorm(path: "\(p).attn.\(name)_conv", normPath: "\(p).attn.\(name)_\(norm)", cin: d, cout: d, bias: false,
                           inShape: tokenShape, rateSource: "\(p).attn.shortcut_lif", weightInit: init02)
            }
            let q = qkv("q"), qL = b.lif("\(p).attn.q_lif", shape: tokenShape, membrane: all)
            let k = qkv("k"), kL = b.lif("\(p).attn.k_lif", shape: tokenShape, membrane: all)
            let v = qkv("v"), vL = b.lif("\(p).attn.v_lif", shape: tokenShape, membrane: all)
            b.note("\(p).attn.sdsa", kind: .sdsa, input: tokenShape, output: [d, 1], fl: n * d,
                   rateSource: "\(p).attn.kv_product")
            let kvShape = rt ? [d, 1] : [cfg.numHeads, 1, d / cfg.numHeads]
            let kvL = b.lif(rt ? "\(p).attn.kv_lif" : "\(p).attn.talking_heads_lif", shape: kvShape, parameters: .attention,
                            membrane: all)
            if !rt {
                let before = b.weights.requested.count
                _ = b.weights.take("\(p).attn.talking_heads.weight", [cfg.numHeads, cfg.numHeads, 1], .truncNormal(std: 0.02))
                b.add(LayerInfo(path: "\(p).attn.talking_heads", kind: .unusedConv1d, inputShape: [],
                                outputShape: [], parameters: Array(b.weights.requested[before...]), flPerTimestep: 0,
                                inputIsBinary: false, operation: .none, rateSource: nil, isNeuron: false))
            }
            let proj = b.convNorm(path: "\(p).attn.proj_conv", normPath: "\(p).attn.proj_\(norm)", cin: d, cout: d, bias: true,
                                  inShape: tokenShape, rateSource: "\(p).attn.qm", weightInit: init02)
            let f1L = b.lif("\(p).mlp.fc1_lif", shape: tokenShape, membrane: all)
            let f1 = b.convNorm(path: "\(p).mlp.fc1_conv", normPath: "\(p).mlp.fc1_\(norm)", cin: d, cout: hidden, bias: true,
                                inShape: tokenShape, rateSource: "\(p).mlp.fc1_lif", weightInit: init02)
            let f2L = b.lif("\(p).mlp.fc2_lif", shape: [hidden, side, side], membrane: all)
            let f2 = b.convNorm(path: "\(p).mlp.fc2_conv", normPath: "\(p).mlp.fc2_\(norm)", cin: hidden, cout: d, bias: true,
                                inShape: [hidden, side, side], rateSource: "\(p).mlp.fc2_lif", weightInit: init02)
            blocks.append(Block(index: i, shortcutLIF: sc, q: q, k: k, v: v, qLIF: qL, kLIF: kL, vLIF: vL, kvLIF: kvL, proj: proj,
                                fc1LIF: f1L, fc1: f1, fc2LIF: f2L, fc2: f2))
        }
        self.blocks = blocks
        b.note("head_features", kind: .spatialMean, input: tokenShape, output: [d])
        headLIF = b.lif("head_lif", shape: [d], membrane: all)
        let before = b.weights.requested.count
        let hw = b.weights.take("head.weight", [cfg.numClasses, d], .kaimingUniform(fanIn: d))
        let hb = b.weights.take("head.bias", [cfg.numClasses], .kaimingUniform(fanIn: d))
        b.add(LayerInfo(path: "head", kind: .head(onMeanOverT: false), inputShape: [d], outputShape: [cfg.numClasses],
                        parameters: Array(b.weights.requested[before...]), flPerTimestep: d * cfg.numClasses, inputIsBinary: true,
                        operation: .ac, rateSource: "head_lif", isNeuron: false))
        head = (hw, hb)
    }

    var convUnits: [ConvUnit] {
        stemConvs + core.convUnits + blocks.flatMap { [$0.q, $0.k, $0.v, $0.proj, $0.fc1, $0.fc2] }
    }

    var lifUnits: [LIFUnit] {
        stemLIFs + [coreLIF] + blocks.flatMap { [$0.shortcutLIF, $0.qLIF, $0.kLIF, $0.vLIF, $0.kvLIF, $0.fc1LIF, $0.fc2LIF] } + [headLIF]
    }

    func run(_ input: Tensor, _ ctx: RunContext) throws -> Tensor {
        var x = input
        for i in 0..<3 {
            let y = try stemConvs[i].forward(x, ctx)
            var s = try stemLIFs[i].forward(y, ctx)
            ctx.recordRate(stemLIFs[i].path, s)
            if config.pools(stage: i) {
                try ctx.enter(stemLIFs[i].path + ".pool")
                s = poolChunk(s)
                ctx.recordRate(stemLIFs[i].path + ".pool", s)
            }
            x = s
        }
        var feat = try stemConvs[3].forward(x, ctx)
        if config.pools(stage: 3) {
            try ctx.enter("patch_embed.pool3")
            feat = poolChunk(feat)
        }
        ctx.recorder?.stream("patch_embed.x_feat", t0: ctx.t0, timesteps: ctx.timesteps, chunk: feat)
        let s3 = try coreLIF.forward(feat, ctx)
        ctx.recordRate(coreLIF.path, s3)
        var r = try core.forward(s3, ctx)
        if config.family == .rtformer {
            ctx.recorder?.stream("patch_embed.stcore.rep.out", t0: ctx.t0, timesteps: ctx.timesteps, chunk: r)
        }
        try ctx.enter("patch_embed.out")
        r.add(feat)   // feat + r, added into r (exact either way round)
        var u = r
        ctx.recorder?.stream("patch_embed.out", t0: ctx.t0, timesteps: ctx.timesteps, chunk: u)
        for bl in blocks {
            u = try runBlock(bl, u, ctx)
        }
        try ctx.enter("head_features")
        let f = spatialMean(u)
        ctx.recorder?.stream("head_features", t0: ctx.t0, timesteps: ctx.timesteps, chunk: f)
        let sh = try headLIF.forward(f, ctx)
        ctx.recordRate(headLIF.path, sh)
        // One GEMM per timestep (see ConvUnit.linearPart): stepping must equal the whole forward.
        try ctx.enter("head")
        var logits: [Float] = []
        for i in 0..<sh.shape[0] {
            logits += Linear.forward(sh.slice(i), weight: head.weight, bias: head.bias).storage
        }
        return Tensor(shape: [sh.shape[0], sh.shape[1], head.weight.shape[0]], storage: logits)
    }

    private func runBlock(_ bl: Block, _ u: Tensor, _ ctx: RunContext) throws -> Tensor {
        let p = "block.\(bl.index)"
        let s = try bl.shortcutLIF.forward(u, ctx)
        ctx.recordRate(bl.shortcutLIF.path, s)
        var q = try bl.qLIF.forward(try bl.q.forward(s, ctx), ctx)
        let k = try bl.kLIF.forward(try bl.k.forward(s, ctx), ctx)
        let v = try bl.vLIF.forward(try bl.v.forward(s, ctx), ctx)
        // SDSA (R16): KV[c] = Σ_n K⊙V over tokens, M = LIF_kv(KV), A = Q ⊙ M broadcast over tokens.
        try ctx.enter("\(p).attn.sdsa")
        let steps = u.shape[0], b = u.shape[1], d = u.shape[2], n = u.shape.dropFirst(3).product
        // Both are fully written below.
        var kv = Tensor(uninitializedShape: [steps, b] + bl.kvLIF.shape)
        var kvProduct = Tensor(uninitializedShape: k.shape)
        k.storage.withUnsafeBufferPointer { kp in
            v.storage.withUnsafeBufferPointer { vp in
                kvProduct.storage.withUnsafeMutableBufferPointer { pp in
                    kv.storage.withUnsafeMutableBufferPointer { out in
                        for row in 0..<(steps * b * d) {
                            var acc: Float = 0
                            for j in 0..<n {
                                let e = kp[row * n + j] * vp[row * n + j]
                                pp[row * n + j] = e
                                acc += e
                            }
                            out[row] = acc
                        }
                    }
                }
            }
        }
        ctx.recordRate("\(p).attn.kv_product", kvProduct)
        ctx.recorder?.stream(Recorder.kvSumKey(block: p), t0: ctx.t0, timesteps: ctx.timesteps, chunk: kv)
        let m = try bl.kvLIF.forward(kv, ctx)
        ctx.recorder?.stream(Recorder.kvMaskKey(block: p), t0: ctx.t0, timesteps: ctx.timesteps, chunk: m)
        // A = Q ⊙ M in place (Q is not needed afterwards).
        q.storage.withUnsafeMutableBufferPointer { ap in
            m.storage.withUnsafeBufferPointer { mp in
                for row in 0..<(steps * b * d) {
                    let mv = mp[row]
                    for j in 0..<n { ap[row * n + j] *= mv }
                }
            }
        }
        let a = q
        ctx.recordRate("\(p).attn.qm", a)
        // Residual sums are added into the fresh branch output (x + y == y + x exactly in IEEE
        // arithmetic), which saves copying the residual stream.
        var u1 = try bl.proj.forward(a, ctx)
        u1.add(u)
        let s1 = try bl.fc1LIF.forward(u1, ctx)
        ctx.recordRate(bl.fc1LIF.path, s1)
        let z1 = try bl.fc1.forward(s1, ctx)
        let s2 = try bl.fc2LIF.forward(z1, ctx)
        ctx.recordRate(bl.fc2LIF.path, s2)
        var u2 = try bl.fc2.forward(s2, ctx)
        u2.add(u1)
        ctx.recorder?.stream("\(p).out", t0: ctx.t0, timesteps: ctx.timesteps, chunk: u2)
        return u2
    }
}
