import Foundation
import Testing
@testable import RTFormer

// Re-parameterization primitives (SPEC §4, §5, R5, R6, R9, R10, R14, R15) against the reference
// fixtures and against their unfused definitions on random data.


extension Tensor {
    static func random(_ shape: [Int], in range: ClosedRange<Float>, using rng: inout SeededRandom) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.product).map { _ in Float.random(in: range, using: &rng) })
    }
}

/// Element-wise equality that treats NaN as equal to NaN (paper-mode θ keeps IEEE NaN, R10).
func sameFloats(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}

/// SPEC R9/R20: a spike mismatch is *rounding* iff the unfused margin |Ĥ − V_th| < 1e-5·max(1,|V_th|).
func isRoundingBand(hHat: Float, vThreshold: Float) -> Bool {
    abs(hHat - vThreshold) < 1e-5 * max(1, abs(vThreshold))
}

/// Splits the mismatches between two spike tensors into (rounding, structural) by the unfused Ĥ.
func classifyMismatches(_ deploy: Tensor, _ unfused: Tensor, hHat: Tensor, vThreshold: Float) -> (rounding: Int, structural: Int) {
    var rounding = 0, structural = 0
    for i in 0..<deploy.count where deploy.storage[i] != unfused.storage[i] {
        if isRoundingBand(hHat: hHat.storage[i], vThreshold: vThreshold) { rounding += 1 } else { structural += 1 }
    }
    return (rounding, structural)
}

/// The unfused eval TSBN_mem-LIF (SPEC §3.3): `Ĥ = a·H + b` compared with V_th, raw H carried,
/// hard reset to 0, decay_input. The reference the threshold fold must reproduce.
func unfusedTSBNMemLIF(_ x: Tensor, tsbn: TSBN, _ p: LIFParameters = .standard) -> (h: Tensor, hHat: Tensor, spikes: Tensor) {
    let (timesteps, batch, channels) = (x.shape[0], x.shape[1], x.shape[2])
    let inner = x.shape.dropFirst(3).reduce(1, *)
    let n = batch * channels * inner
    var v = [Float](repeating: 0, count: n)
    var h = Tensor(shape: x.shape), hHat = h, s = h
    for t in 0..<timesteps {
        let (a, b) = tsbn.affine(at: t)
        for i in 0..<n {
            let c = (i / inner) % channels
            let hv = LIF.charge(v: v[i], x: x.storage[t * n + i], p)
            let normalized = hv * a[c] + b[c]
            let spike: Float = normalized >= p.vThreshold ? 1 : 0
            h.storage[t * n + i] = hv
            hHat.storage[t * n + i] = normalized
            s.storage[t * n + i] = spike
            v[i] = LIF.reset(h: hv, spike: spike, p)
        }
    }
    return (h, hHat, s)
}

// MARK: - conv + norm folds

@Suite struct ReparamConvFoldTests {
    static let fixture = Result { try Safetensors.read(path: Fixtures.path("convbn_fuse.safetensors")).tensors }

    static func batchNorm(_ f: [String: Tensor], _ prefix: String) throws -> BatchNorm {
        var bn = BatchNorm(channels: try #require(f[prefix + "weight"]).count)
        bn.weight = try #require(f[prefix + "weight"]).storage
        bn.bias = try #require(f[prefix + "bias"]).storage
        bn.runningMean = try #require(f[prefix + "running_mean"]).storage
        bn.runningVar = try #require(f[prefix + "running_var"]).storage
        return bn
    }

    @Test func denseConvBatchNormFoldMatchesReference() throws {
        let f = try Self.fixture.get()
        let weight = try #require(f["std.conv.weight"]), bias = try #require(f["std.conv.bias"])
        let bn = try Self.batchNorm(f, "std.bn.")
        let fused = ConvNormFold.foldBatchNorm(weight: weight, bias: bias, norm: bn)
        expectClose(fused.weight, try #require(f["std.fused.weight"]), rtol: 1e-6, atol: 1e-6, "std fused weight")
        expectClose(fused.bias, try #require(f["std.fused.bias"]), rtol: 1e-6, atol: 1e-6, "std fused bias")
        let x = try #require(f["std.input"])
        let unfused = bn.forwardEval(Conv2d.forward(x, weight: weight, bias: bias, padH: 1, padW: 1))
        let deploy = Conv2d.forward(x, weight: fused.weight, bias: fused.bias, padH: 1, padW: 1)
        expectClose(unfused, try #require(f["std.unfused_output"]), "std unfused output")
        expectClose(deploy, try #require(f["std.unfused_output"]), "std fused output vs unfused reference")
        expectClose(deploy, try #require(f["std.fused_output"]), "std fused output")
    }

    @Test func convTSBNPerTimestepKernelsEqualSharedKernelPlusAffine() {
        var rng = SeededRandom(seed: 8)
        for (groups, cIn) in [(1, 4), (6, 6)] {
            let (t, b, cOut) = (4, 2, 6)
            let weight = Tensor.random([cOut, cIn / groups, 3, 3], in: -0.5...0.5, using: &rng)
            let bias = Tensor.random([cOut], in: -0.2...0.2, using: &rng)
            var tsbn = TSBN(timesteps: t, channels: cOut)
            tsbn.weight = (0..<(t * cOut)).map { i in (i % 5 == 0 ? -1 : 1) * Float.random(in: 0.5...1.5, using: &rng) }
            tsbn.bias = (0..<(t * cOut)).map { _ in Float.random(in: -0.3...0.3, using: &rng) }
            tsbn.runningMean = (0..<(t * cOut)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
            tsbn.runningVar = (0..<(t * cOut)).map { _ in Float.random(in: 0.1...2, using: &rng) }
            let x = Tensor.random([t, b, cIn, 7, 7], in: -1...1, using: &rng)
            let xBefore = x, tsbnBefore = tsbn

            let conv = Conv2d.forward(x.reshaped([t * b, cIn, 7, 7]), weight: weight, bias: bias, padH: 1, padW: 1, groups: groups)
            let unfused = tsbn.forwardEval(conv.reshaped([t, b, cOut, 7, 7]))
            let perT = ConvNormFold.foldTSBNPerTimestep(weight: weight, bias: bias, norm: tsbn)
            #expect(perT.weight.shape == [t, cOut, cIn / groups, 3, 3] && perT.bias.shape == [t, cOut])
            let affine = ConvNormFold.foldTSBNAffine(bias: bias, norm: tsbn)
            let yKernels = DeployConv.forwardPerTimestep(x, weight: perT.weight, bias: perT.bias, padH: 1, padW: 1, groups: groups)
            let yAffine = DeployConv.forwardSharedAffine(x, weight: weight, scale: affine.scale, shift: affine.shift,
                                                         padH: 1, padW: 1, groups: groups)
            expectClose(yKernels, yAffine, rtol: 1e-5, atol: 1e-6, "groups \(groups): per-t kernels vs shared W + affine")
            expectClose(yKernels, unfused, rtol: 1e-5, atol: 1e-6, "groups \(groups): per-t kernels vs conv → TSBN")
            expectClose(yAffine, unfused, rtol: 1e-5, atol: 1e-6, "groups \(groups): shared W + affine vs conv → TSBN")
            #expect(x == xBefore && tsbn == tsbnBefore, "folds are pure")
        }
    }

    /// SPEC R5/R14: the Float64 folds reproduce `rtformer_tiny`'s deploy scale/shift bit for bit.
    @Test func convTSBNAffineReproducesDeployWeightsBitForBit() throws {
        let f = try Fixtures.load("rtformer_tiny.safetensors").tensors
        let convs = ["patch_embed.proj_conv", "patch_embed.proj_conv1", "patch_embed.proj_conv2", "patch_embed.proj_conv3",
                     "block.0.attn.q_conv", "block.0.attn.k_conv", "block.0.attn.v_conv", "block.0.attn.proj_conv",
                     "block.0.mlp.fc1_conv", "block.0.mlp.fc2_conv"]
        for conv in convs {
            let norm = "weights." + conv.replacingOccurrences(of: "_conv", with: "_tsbn") + "."
            let tsbn = try ReparamFixtures.tsbn(f, norm)
            let folded = ConvNormFold.foldTSBNAffine(bias: f["weights.\(conv).bias"], norm: tsbn)
            #expect(folded.scale == (try #require(f["deploy_weights.\(conv).scale"])), "\(conv).scale")
            #expect(folded.shift == (try #require(f["deploy_weights.\(conv).shift"])), "\(conv).shift")
            #expect(f["weights.\(conv).weight"] == f["deploy_weights.\(conv).weight"], "\(conv).weight is the unfused W")
        }
    }
}

enum ReparamFixtures {
    /// A TSBN from `<prefix>weight/bias/running_mean/running_var` `[T, C]`.
    static func tsbn(_ f: [String: Tensor], _ prefix: String, window: Int = 2) throws -> TSBN {
        let w = try #require(f[prefix + "weight"])
        var l = TSBN(timesteps: w.shape[0], channels: w.shape[1], window: window)
        l.weight = w.storage
        l.bias = try #require(f[prefix + "bias"]).storage
        l.runningMean = try #require(f[prefix + "running_mean"]).storage
        l.runningVar = try #require(f[prefix + "running_var"]).storage
        return l
    }

    /// `rtformer_tiny`'s STCore rep block (TSBN branches).
    static func stcoreRep(_ f: [String: Tensor]) throws -> RepDW5 {
        let p = "weights.patch_embed.stcore.rep."
        return RepDW5(k33: try #require(f[p + "k33.weight"]), k13: try #require(f[p + "k13.weight"]),
                      k31: try #require(f[p + "k31.weight"]), k11: try #require(f[p + "k11.weight"]),
                      norm33: .temporal(try tsbn(f, p + "tsbn_k33.")), norm13: .temporal(try tsbn(f, p + "tsbn_k13.")),
                      norm31: .temporal(try tsbn(f, p + "tsbn_k31.")), norm11: .temporal(try tsbn(f, p + "tsbn_k11.")),
                      normIdentity: .temporal(try tsbn(f, p + "tsbn_id.")))
    }
}

// MARK: - RepDW5

@Suite struct ReparamRepDW5Tests {
    /// Fixture branch prefixes in R6 order.
    static let branches: [(RepDW5.Branch, String)] = [(.k33, "b3x3"), (.k13, "b1x3"), (.k31, "b3x1"), (.k11, "b1x1"), (.identity, "id")]

    static func block() throws -> (RepDW5, [String: Tensor]) {
        let f = try ReparamConvFoldTests.fixture.get()
        let norms = try branches.map { BranchNorm.batch(try ReparamConvFoldTests.batchNorm(f, "dw.\($0.1).bn.")) }
        let rep = RepDW5(k33: try #require(f["dw.b3x3.weight"]), k13: try #require(f["dw.b1x3.weight"]),
                         k31: try #require(f["dw.b3x1.weight"]), k11: try #require(f["dw.b1x1.weight"]),
                         norm33: norms[0], norm13: norms[1], norm31: norms[2], norm11: norms[3], normIdentity: norms[4])
        return (rep, f)
    }

    @Test func branchOutputsMatchReference() throws {
        let (rep, f) = try Self.block()
        let x = try #require(f["dw.input"])
        for (branch, key) in Self.branches {
            expectClose(rep.branchForward(branch, x), try #require(f["dw.\(key).output"]), "branch \(key) output")
        }
        expectClose(rep.forward(x), try #require(f["dw.unfused_output"]), "unfused sum of branches")
    }

    @Test func branchFoldsMatchReference() throws {
        let (rep, f) = try Self.block()
        for (branch, key) in Self.branches {
            let (w, b) = rep.fusedBranch(branch)
            expectClose(w, try #require(f["dw.\(key).fused_weight_3x3"]), rtol: 1e-6, atol: 1e-6, "branch \(key) fused 3x3 kernel")
            expectClose(b, try #require(f["dw.\(key).fused_bias"]), rtol: 1e-6, atol: 1e-6, "branch \(key) fused bias")
        }
        // The generic conv + BN fold on a depthwise (groups = C) kernel gives the same 3×3 branch.
        guard case let .batch(bn) = rep.norm33 else { Issue.record("BatchNorm branches expected"); return }
        let direct = ConvNormFold.foldBatchNorm(weight: rep.k33, bias: nil, norm: bn)
        #expect(direct.weight == rep.fusedBranch(.k33).weight && direct.bias == rep.fusedBranch(.k33).bias)
    }

    @Test func fiveBranchFuseMatchesReferenceAndUnfusedOutput() throws {
        let (rep, f) = try Self.block()
        let (w, b) = rep.fuse()
        expectClose(w, try #require(f["dw.fused.weight"]), rtol: 1e-6, atol: 1e-6, "fused kernel")
        expectClose(b, try #require(f["dw.fused.bias"]), rtol: 1e-6, atol: 1e-6, "fused bias")
        let x = try #require(f["dw.input"])
        let deploy = Conv2d.forward(x, weight: w, bias: b, padH: 1, padW: 1, groups: rep.channels)
        expectClose(deploy, try #require(f["dw.unfused_output"]), "fused output vs unfused reference")
        expectClose(deploy, try #require(f["dw.fused_output"]), "fused output")
    }

    /// SPEC §5.3, R5, R6: per-timestep fuse of the STCore block reproduces the deploy weights bit
    /// for bit, and the fused forward matches the unfused and deploy reference streams.
    @Test func stcoreFuseReproducesDeployWeightsBitForBit() throws {
        let f = try Fixtures.load("rtformer_tiny.safetensors").tensors
        let rep = try ReparamFixtures.stcoreRep(f)
        let (w, b) = rep.fuse()
        #expect(w == (try #require(f["deploy_weights.patch_embed.stcore.rep.weight"])), "rep.weight bit for bit")
        #expect(b == (try #require(f["deploy_weights.patch_embed.stcore.rep.bias"])), "rep.bias bit for bit")
        let s = try #require(f["unfused.patch_embed.stcore.lif.spikes"])
        let unfused = rep.forward(s)
        expectClose(unfused, try #require(f["unfused.patch_embed.stcore.rep.out"]), rtol: 1e-6, atol: 1e-6, "unfused rep.out")
        let deploy = DeployConv.forwardPerTimestep(s, weight: w, bias: b, padH: 1, padW: 1, groups: rep.channels)
        expectClose(deploy, unfused, rtol: 1e-6, atol: 3e-6, "fused vs unfused rep.out (R5: ≤ 2.9e-6 max-abs)")
        expectClose(deploy, try #require(f["deploy_exact.patch_embed.stcore.rep.out"]), rtol: 1e-6, atol: 1e-6, "deploy rep.out")
    }
}

// MARK: - TSBN_mem threshold fold

@Suite struct ReparamThresholdFoldTests {
    static let fixture = Result { try Safetensors.read(path: Fixtures.path("tsbn.safetensors")) }

    /// The fixture's TSBN after one train step with window w (as `TSBNTests` builds it).
    static func trainedLayer(window w: Int) throws -> (TSBN, [String: Tensor]) {
        let f = try fixture.get().tensors
        var l = TSBN(timesteps: 4, channels: 8, window: w)
        l.weight = try #require(f["weight"]).storage
        l.bias = try #require(f["bias"]).storage
        l.runningMean = try #require(f["running_mean_init"]).storage
        l.runningVar = try #require(f["running_var_init"]).storage
        _ = try l.forwardTrain(try #require(f["x"]))
        return (l, f)
    }

    /// `fold_report.w<N>` from the fixture metadata.
    static func report(window w: Int) throws -> [String: Any] {
        let json = try #require(try fixture.get().metadata["fold_report"])
        let all = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(all["w\(w)"] as? [String: Any])
    }

    /// The exact fold of a TSBN_pre (on the input current) into the LIF threshold (SPEC §4.2),
    /// derived here for `spike_fold_lif_rebased`: with `X = a_t·x + b_t`, write the membrane in
    /// timestep t's raw units, `H = a_t·H' + b_t`. Then the charge is a raw LIF charge
    /// `H' = Ṽ + (x − Ṽ)/τ` of the previous membrane re-based into t's units, `Ṽ = (V[t−1] − b_t)/a_t`,
    /// the start and the reset (V = 0) sit at `−b/a`, and the threshold is `θ_t = (V_th − b_t)/a_t`.
    /// Float64; valid for a_t > 0.
    static func rebasedThresholdLIF(_ x: Tensor, tsbn: TSBN, vThreshold: Double = 1, tau: Double = 2) -> Tensor {
        let (timesteps, channels) = (x.shape[0], x.shape[2])
        let inner = x.shape.dropFirst(3).reduce(1, *)
        let n = x.count / timesteps
        let k = FoldCoefficients(tsbn)
        var normalizedV = [Double](repeating: 0, count: n)    // V[t−1] in normalised units
        var s = Tensor(shape: x.shape)
        for t in 0..<timesteps {
            for i in 0..<n {
                let c = (i / inner) % channels
                let (a, b) = (k.scale[t * channels + c], k.shift[t * channels + c])
                let rebased = (normalizedV[i] - b) / a
                let h = rebased + (Double(x.storage[t * n + i]) - rebased) / tau
                let fire = h >= (vThreshold - b) / a
                s.storage[t * n + i] = fire ? 1 : 0
                normalizedV[i] = fire ? 0 : a * h + b
            }
        }
        return s
    }

    @Test(arguments: [1, 2, 3])
    func foldedThresholdsMatchReference(window w: Int) throws {
        let (l, f) = try Self.trainedLayer(window: w)
        let exact = ThresholdFold(tsbn: l, vThreshold: 1, mode: .exact)
        let paper = ThresholdFold(tsbn: l, vThreshold: 1, mode: .paper)
        expectClose(exact.thetaTensor, try #require(f["w\(w).vth_fold_eps"]), rtol: 1e-6, atol: 0, "vth_fold_eps w\(w)")
        expectClose(paper.thetaTensor, try #require(f["w\(w).vth_fold_noeps"]), rtol: 1e-6, atol: 0, "vth_fold_noeps w\(w)")
        #expect(exact.sign.allSatisfy { $0 == 1 } && exact.fireConst.allSatisfy { $0 == 0 }, "fixture γ > 0 everywhere")
    }

    /// Every spike array of `tsbn.safetensors` reproduced exactly, and the mismatch counts of the
    /// metadata `fold_report` (SPEC §4.2: the TSBN_pre-into-threshold fold is not exact; the
    /// stateless Eq.6 → Eq.7 fold is).
    @Test(arguments: [1, 2, 3])
    func spikeVariantsReproduceReferenceExactly(window w: Int) throws {
        let (l, f) = try Self.trainedLayer(window: w)
        let report = try Self.report(window: w)
        let x = try #require(f["x"])
        let y = l.forwardEval(x)
        let spikeRef = LIF.multiStep(y).spikes
        #expect(mismatches(spikeRef, try #require(f["w\(w).spike_ref"])) == 0, "spike_ref w\(w)")
        let (a, b) = l.affineTable()
        var affineInput = x
        for t in 0..<4 {
            for i in 0..<(4 * 8 * 36) {
                let c = (i / 36) % 8
                affineInput.storage[t * 4 * 8 * 36 + i] = x.storage[t * 4 * 8 * 36 + i] * a[t * 8 + c] + b[t * 8 + c]
            }
        }
        #expect(mismatches(LIF.multiStep(affineInput).spikes, try #require(f["w\(w).spike_affine"])) == 0, "spike_affine w\(w)")

        // A plain LIF on raw x with threshold θ[t,c]: the deploy TSBN-LIF with sign 1 is exactly that.
        let exact = ThresholdFold(tsbn: l, vThreshold: 1, mode: .exact)
        let paper = ThresholdFold(tsbn: l, vThreshold: 1, mode: .paper)
        let foldEps = DeployTSBNLIF.multiStep(x, fold: exact).spikes
        let foldNoEps = DeployTSBNLIF.multiStep(x, fold: paper).spikes
        #expect(mismatches(foldEps, try #require(f["w\(w).spike_fold_lif_eps"])) == 0, "spike_fold_lif_eps w\(w)")
        #expect(mismatches(foldNoEps, try #require(f["w\(w).spike_fold_lif_noeps"])) == 0, "spike_fold_lif_noeps w\(w)")
        #expect(mismatches(foldEps, spikeRef) == report["mismatch_fold_lif_eps"] as? Int, "fold_lif_eps count w\(w)")
        #expect(mismatches(foldNoEps, spikeRef) == report["mismatch_fold_lif_noeps"] as? Int, "fold_lif_noeps count w\(w)")
        let perT = (0..<4).map { mismatches(foldEps.slice($0), spikeRef.slice($0)) }
        #expect(perT == report["mismatch_fold_lif_eps_per_t"] as? [Int], "fold_lif_eps per t w\(w)")

        let rebased = Self.rebasedThresholdLIF(x, tsbn: l)
        #expect(mismatches(rebased, try #require(f["w\(w).spike_fold_lif_rebased"])) == 0, "spike_fold_lif_rebased w\(w)")
        #expect(mismatches(rebased, spikeRef) == report["mismatch_fold_lif_rebased"] as? Int, "fold_lif_rebased count w\(w)")

        let statelessRef = ThresholdFold.normalizedSpikes(x, tsbn: l, vThreshold: 1)
        #expect(mismatches(statelessRef, try #require(f["w\(w).stateless_ref"])) == 0, "stateless_ref w\(w)")
        let statelessEps = exact.spikes(stateless: x), statelessNoEps = paper.spikes(stateless: x)
        #expect(mismatches(statelessEps, try #require(f["w\(w).stateless_fold_eps"])) == 0, "stateless_fold_eps w\(w)")
        #expect(mismatches(statelessNoEps, try #require(f["w\(w).stateless_fold_noeps"])) == 0, "stateless_fold_noeps w\(w)")
        #expect(mismatches(statelessEps, statelessRef) == report["mismatch_stateless_eps"] as? Int, "stateless eps count w\(w)")
        #expect(mismatches(statelessNoEps, statelessRef) == report["mismatch_stateless_noeps"] as? Int, "stateless noeps count w\(w)")
    }

    /// `fold_report.negative_gamma_half_channels`: γ negated on the even channels (0, 2, 4, 6),
    /// the only one of the 70 four-channel subsets that reproduces `mismatch_fold_lif_eps`
    /// (2283/2283/2282); the stateless counts hold for any half.
    @Test(arguments: [1, 2, 3])
    func negativeGammaOnHalfTheChannels(window w: Int) throws {
        let (trained, f) = try Self.trainedLayer(window: w)
        var l = trained
        let expected = try #require(try Self.report(window: w)["negative_gamma_half_channels"] as? [String: Int])
        for t in 0..<4 { for c in stride(from: 0, to: 8, by: 2) { l.weight[t * 8 + c] = -l.weight[t * 8 + c] } }
        let x = try #require(f["x"])
        let exact = ThresholdFold(tsbn: l, vThreshold: 1, mode: .exact)
        var asWritten = exact
        asWritten.sign = asWritten.sign.map { _ in 1 }
        let statelessRef = ThresholdFold.normalizedSpikes(x, tsbn: l, vThreshold: 1)
        #expect(mismatches(asWritten.spikes(stateless: x), statelessRef) == expected["mismatch_stateless_eps_as_written"])
        #expect(mismatches(exact.spikes(stateless: x), statelessRef) == expected["mismatch_stateless_eps_with_sign_flip"])
        let spikeRef = LIF.multiStep(l.forwardEval(x)).spikes
        #expect(mismatches(DeployTSBNLIF.multiStep(x, fold: asWritten).spikes, spikeRef) == expected["mismatch_fold_lif_eps"])
        #expect(x.count == expected["n_elements"])
    }

    /// The STCore TSBN-LIF of `rtformer_tiny`: the folds reproduce the deploy keys bit for bit
    /// (R14, including the forced γ<0 and γ=0 entries) and the mismatch table (R9): exact 0
    /// locally and stateless; paper 513 stateless (4 × 128 γ<0 sites + (t3, c53) from the dropped ε)
    /// and 520 local.
    @Test func stcoreThresholdFoldReproducesDeployKeysAndMismatchTable() throws {
        let f = try Fixtures.load("rtformer_tiny.safetensors", "rtformer_tiny_states.safetensors", "rtformer_tiny_deploy.safetensors").tensors
        let tsbn = try ReparamFixtures.tsbn(f, "weights.patch_embed.stcore.lif.tsbn.")
        let exact = ThresholdFold(tsbn: tsbn, vThreshold: 1, mode: .exact)
        let paper = ThresholdFold(tsbn: tsbn, vThreshold: 1, mode: .paper)
        let d = "deploy_weights.patch_embed.stcore.lif."
        #expect(exact.thetaTensor == (try #require(f[d + "theta"])), "theta bit for bit")
        #expect(exact.signTensor == (try #require(f[d + "sign"])), "sign")
        #expect(exact.fireConstTensor == (try #require(f[d + "fire_const"])), "fire_const")
        #expect(sameFloats(paper.theta, try #require(f[d + "theta_paper"]).storage), "theta_paper bit for bit (±inf/NaN kept)")
        #expect(paper.sign.allSatisfy { $0 == 1 } && paper.fireConst.allSatisfy { $0 == 0 })
        let reloaded = ThresholdFold(theta: exact.thetaTensor, sign: exact.signTensor, fireConst: exact.fireConstTensor)
        #expect(reloaded == exact)

        let x = try #require(f["unfused.patch_embed.x_feat"])
        let h = try #require(f["unfused.patch_embed.stcore.lif.h"])
        let hHat = try #require(f["unfused.patch_embed.stcore.lif.h_hat"])
        let spikes = try #require(f["unfused.patch_embed.stcore.lif.spikes"])
        let local = DeployTSBNLIF.multiStep(x, fold: exact)
        #expect(local.h == h, "deploy neuron carries the unfused raw H bit for bit")
        #expect(mismatches(local.spikes, spikes) == 0, "exact local")
        #expect(mismatches(exact.spikes(stateless: h), spikes) == 0, "exact local_stateless")
        #expect(mismatches(local.v, try #require(f["unfused.patch_embed.stcore.lif.v"])) == 0, "V = H·(1 − S)")

        let paperStateless = paper.spikes(stateless: h)
        #expect(classifyMismatches(paperStateless, spikes, hHat: hHat, vThreshold: 1) == (0, 513), "paper local_stateless")
        var byTC: [String: Int] = [:]
        for i in 0..<h.count where paperStateless.storage[i] != spikes.storage[i] {
            let (t, c) = (i / (2 * 64 * 64), (i / 64) % 64)
            byTC["t\(t)c\(c)", default: 0] += 1
        }
        #expect(byTC == ["t0c17": 128, "t1c5": 128, "t2c5": 128, "t3c17": 128, "t3c53": 1])
        let paperLocal = DeployTSBNLIF.multiStep(x, fold: paper).spikes
        #expect(classifyMismatches(paperLocal, spikes, hHat: hHat, vThreshold: 1) == (0, 520), "paper local")
        #expect(mismatches(paperLocal, try #require(f["deploy_paper.patch_embed.stcore.lif.spikes"])) == 0, "paper deploy spikes")
        #expect(mismatches(local.spikes, try #require(f["deploy_exact.patch_embed.stcore.lif.spikes"])) == 0, "exact deploy spikes")
    }

    /// A TSBN_mem with γ<0, γ=+0, γ=−0 and a γ=0, β=V_th tie among ordinary channels (T = 8).
    static func randomMemTSBN(_ rng: inout SeededRandom) -> TSBN {
        let (t, c) = (8, 12)
        var l = TSBN(timesteps: t, channels: c)
        for i in 0..<(t * c) {
            l.weight[i] = Float.random(in: 0.5...1.5, using: &rng) * (i % 7 == 3 ? -1 : 1)
            l.bias[i] = Float.random(in: -0.3...0.3, using: &rng)
            l.runningMean[i] = Float.random(in: -0.3...0.3, using: &rng)
            l.runningVar[i] = Float.random(in: 0.2...1, using: &rng)
        }
        // (t, c) = (1, 4): fires always; (2, 4): never; (3, 4): β = V_th tie; (5, 4): γ = −0.
        l.weight[1 * c + 4] = 0; l.bias[1 * c + 4] = 1.2
        l.weight[2 * c + 4] = 0; l.bias[2 * c + 4] = 0.1
        l.weight[3 * c + 4] = 0; l.bias[3 * c + 4] = 1
        l.weight[5 * c + 4] = -0.0; l.bias[5 * c + 4] = 0.1
        return l
    }

    @Test func exactFoldHasNoStructuralMismatchesWithNegativeAndZeroGamma() {
        var rng = SeededRandom(seed: 20_250_601)
        let l = Self.randomMemTSBN(&rng)
        let x = Tensor.random([8, 3, 12, 5, 5], in: -1...3, using: &rng)
        let unfused = unfusedTSBNMemLIF(x, tsbn: l)
        let fold = ThresholdFold(tsbn: l, vThreshold: 1, mode: .exact)
        #expect(fold.sign.filter { $0 == 0 }.count == 4 && fold.sign.filter { $0 < 0 }.count > 0)
        let local = DeployTSBNLIF.multiStep(x, fold: fold)
        let localClasses = classifyMismatches(local.spikes, unfused.spikes, hHat: unfused.hHat, vThreshold: 1)
        let statelessClasses = classifyMismatches(fold.spikes(stateless: unfused.h), unfused.spikes, hHat: unfused.hHat, vThreshold: 1)
        #expect(localClasses.structural == 0 && statelessClasses.structural == 0)
        let firing = unfused.spikes.sum
        print("exact fold, random T=8 (\(x.count) sites, \(Int(firing)) spikes): local \(localClasses), stateless \(statelessClasses) (rounding, structural)")
    }

    @Test func paperFoldInvertsEveryNegativeGammaSite() {
        var rng = SeededRandom(seed: 7)
        let l = Self.randomMemTSBN(&rng)
        let x = Tensor.random([8, 3, 12, 5, 5], in: -1...3, using: &rng)
        let unfused = unfusedTSBNMemLIF(x, tsbn: l)
        let paper = ThresholdFold(tsbn: l, vThreshold: 1, mode: .paper)
        let stateless = paper.spikes(stateless: unfused.h)
        let inner = 3 * 25
        var negativeSites = 0, negativeInverted = 0, otherStructural = 0, zeroGammaMismatch: [Int: Int] = [:]
        for i in 0..<x.count {
            let (t, c) = (i / (12 * inner), (i / 25) % 12)
            let k = t * 12 + c
            let differs = stateless.storage[i] != unfused.spikes.storage[i]
            if l.weight[k] < 0 {
                negativeSites += 1
                if differs { negativeInverted += 1 }
            } else if l.weight[k] == 0 {
                if differs { zeroGammaMismatch[t, default: 0] += 1 }
            } else if differs && !isRoundingBand(hHat: unfused.hHat.storage[i], vThreshold: 1) {
                otherStructural += 1
            }
        }
        #expect(negativeSites > 0 && negativeInverted == negativeSites, "every γ<0 site inverts")
        #expect(otherStructural == 0, "γ>0 channels with σ² ≫ ε lose nothing to the dropped ε here")
        // R10: γ = +0 matches the exact rule (±inf); β = V_th gives NaN (never fires) and γ = −0
        // flips the infinity: every site of those two (t, c) mismatches.
        #expect(zeroGammaMismatch == [3: inner, 5: inner], "γ=0 sites: \(zeroGammaMismatch)")
    }

    /// SPEC §4.3(a): with σ² ≈ ε the dropped ε moves θ by (V_th − β)(sqrt(2ε) − sqrt(ε))/γ ≈ 1.3e-3,
    /// so membranes between the two thresholds flip; the exact fold keeps them.
    @Test func droppingEpsilonMismatchesWhenVarianceIsNearEpsilon() {
        var rng = SeededRandom(seed: 11)
        let (t, c) = (8, 6)
        var l = TSBN(timesteps: t, channels: c)
        for i in 0..<(t * c) {
            l.weight[i] = Float.random(in: 0.5...1.5, using: &rng)
            l.bias[i] = Float.random(in: -0.3...0.3, using: &rng)
            l.runningMean[i] = Float.random(in: -0.3...0.3, using: &rng)
            l.runningVar[i] = l.eps
        }
        let exact = ThresholdFold(tsbn: l, vThreshold: 1, mode: .exact)
        // Membranes spread ±4e-3 around each exact threshold.
        var h = Tensor(shape: [t, 2, c, 10, 10])
        for i in 0..<h.count {
            let k = (i / (2 * c * 100)) * c + (i / 100) % c
            h.storage[i] = exact.theta[k] + Float.random(in: -4e-3...4e-3, using: &rng)
        }
        let reference = ThresholdFold.normalizedSpikes(h, tsbn: l, vThreshold: 1)
        let hHat = l.forwardEval(h)
        let exactClasses = classifyMismatches(exact.spikes(stateless: h), reference, hHat: hHat, vThreshold: 1)
        let paperClasses = classifyMismatches(ThresholdFold(tsbn: l, vThreshold: 1, mode: .paper).spikes(stateless: h),
                                              reference, hHat: hHat, vThreshold: 1)
        #expect(exactClasses.structural == 0)
        #expect(paperClasses.structural > h.count / 10, "paper fold at σ² = ε: \(paperClasses) of \(h.count)")
        print("σ² = ε, stateless over \(h.count) sites: exact \(exactClasses), paper \(paperClasses) (rounding, structural)")
    }
}
