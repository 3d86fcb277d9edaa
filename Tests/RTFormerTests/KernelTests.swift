import Foundation
import Testing
@testable import RTFormer


/// Reference implementations written as plain loops straight from the PyTorch definitions.
enum Naive {
    static func conv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), pad: (Int, Int), groups: Int) -> Tensor {
        let (n, h, wd) = (x.shape[0], x.shape[2], x.shape[3])
        let (cOut, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let ho = (h + 2 * pad.0 - kh) / stride.0 + 1, wo = (wd + 2 * pad.1 - kw) / stride.1 + 1
        let og = cOut / groups
        var out = Tensor(shape: [n, cOut, ho, wo])
        for i in 0..<n { for co in 0..<cOut { for oy in 0..<ho { for ox in 0..<wo {
            var acc = Double(b?.storage[co] ?? 0)
            let grp = co / og
            for ci in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * stride.0 + ky - pad.0, ix = ox * stride.1 + kx - pad.1
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += Double(x[i, grp * cg + ci, iy, ix]) * Double(w[co, ci, ky, kx])
            } } }
            out[i, co, oy, ox] = Float(acc)
        } } } }
        return out
    }

    static func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let (outF, inF) = (w.shape[0], w.shape[1])
        let m = x.count / inF
        var out = [Float](repeating: 0, count: m * outF)
        for r in 0..<m { for o in 0..<outF {
            var acc = Double(b?.storage[o] ?? 0)
            for i in 0..<inF { acc += Double(x.storage[r * inF + i]) * Double(w.storage[o * inF + i]) }
            out[r * outF + o] = Float(acc)
        } }
        return Tensor(shape: Array(x.shape.dropLast()) + [outF], storage: out)
    }

    static func maxPool(_ x: Tensor, k: Int, s: Int, p: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1
        var out = Tensor(shape: [n, c, ho, wo])
        for i in 0..<n { for ch in 0..<c { for oy in 0..<ho { for ox in 0..<wo {
            var m = -Float.infinity
            for ky in 0..<k { for kx in 0..<k {
                let iy = oy * s + ky - p, ix = ox * s + kx - p
                if iy >= 0 && iy < h && ix >= 0 && ix < w { m = max(m, x[i, ch, iy, ix]) }
            } }
            out[i, ch, oy, ox] = m
        } } } }
        return out
    }

    /// Mean by walking every multi-index (the definition).
    static func mean(_ x: Tensor, axes: Set<Int>) -> Tensor {
        let outShape = x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        var acc = [Double](repeating: 0, count: outShape.product)
        var idx = [Int](repeating: 0, count: x.rank)
        for flat in 0..<x.count {
            var o = 0
            for ax in 0..<x.rank where !axes.contains(ax) { o = o * x.shape[ax] + idx[ax] }
            acc[o] += Double(x.storage[flat])
            var a = x.rank - 1
            while a >= 0 { idx[a] += 1; if idx[a] < x.shape[a] { break }; idx[a] = 0; a -= 1 }
        }
        let n = Double(axes.reduce(1) { $0 * x.shape[$1] })
        return Tensor(shape: outShape, storage: acc.map { Float($0 / n) })
    }

    /// BatchNorm in eval mode, per channel of `[N, C, H, W]`: `a = γ/√(rv + 1e-5)`, `y = a·x + (β − a·rm)`.
    static func batchNormEval(_ x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor) -> Tensor {
        var out = x
        let (n, c) = (x.shape[0], x.shape[1])
        let plane = x.count / (n * c)
        for i in 0..<n { for ch in 0..<c {
            let a = gamma.storage[ch] / (variance.storage[ch] + 1e-5).squareRoot()
            let shift = beta.storage[ch] - a * mean.storage[ch]
            for p in 0..<plane { out.storage[(i * c + ch) * plane + p] = a * x.storage[(i * c + ch) * plane + p] + shift }
        } }
        return out
    }
}

@Suite struct ConvKernelTests {
    /// One convolution configuration checked against `Naive.conv2d`.
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]; var cOut: Int; var kernel: (Int, Int); var stride: (Int, Int); var pad: (Int, Int)
        var groups: Int; var bias: Bool
        var description: String {
            "x\(input)→\(cOut) k\(kernel) s\(stride) p\(pad) g\(groups)\(bias ? " +b" : "")"
        }
    }

    static let cases: [Case] = [
        // dense 3×3, with and without bias
        Case(input: [2, 3, 7, 7], cOut: 5, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 1, bias: true),
        Case(input: [2, 3, 7, 7], cOut: 5, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 1, bias: false),
        // dense, stride 2, and a map wide enough for the unbatched per-image GEMM
        Case(input: [2, 4, 9, 8], cOut: 6, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 1, bias: true),
        Case(input: [2, 3, 33, 32], cOut: 4, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 1, bias: true),
        // dense 1×3 / 3×1 with per-axis padding (0,1) / (1,0)
        Case(input: [3, 4, 6, 5], cOut: 3, kernel: (1, 3), stride: (1, 1), pad: (0, 1), groups: 1, bias: true),
        Case(input: [3, 4, 6, 5], cOut: 3, kernel: (3, 1), stride: (1, 1), pad: (1, 0), groups: 1, bias: false),
        // 1×1: batched small map, and the direct (no im2col) wide-map path
        Case(input: [5, 8, 4, 4], cOut: 7, kernel: (1, 1), stride: (1, 1), pad: (0, 0), groups: 1, bias: true),
        Case(input: [2, 8, 32, 33], cOut: 7, kernel: (1, 1), stride: (1, 1), pad: (0, 0), groups: 1, bias: true),
        // groups = 2, stride 1 and 2
        Case(input: [2, 4, 6, 6], cOut: 6, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 2, bias: true),
        Case(input: [2, 4, 7, 6], cOut: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 2, bias: false),
        // depthwise: 3×3, 1×3 (0,1), 3×1 (1,0), 1×1, stride 2, asymmetric stride, no padding
        Case(input: [2, 6, 7, 7], cOut: 6, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 6, bias: true),
        Case(input: [2, 6, 7, 7], cOut: 6, kernel: (1, 3), stride: (1, 1), pad: (0, 1), groups: 6, bias: false),
        Case(input: [2, 6, 7, 7], cOut: 6, kernel: (3, 1), stride: (1, 1), pad: (1, 0), groups: 6, bias: true),
        Case(input: [2, 6, 7, 7], cOut: 6, kernel: (1, 1), stride: (1, 1), pad: (0, 0), groups: 6, bias: true),
        Case(input: [2, 5, 8, 9], cOut: 5, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 5, bias: true),
        Case(input: [1, 3, 9, 8], cOut: 3, kernel: (3, 3), stride: (2, 1), pad: (0, 1), groups: 3, bias: false),
        Case(input: [1, 2, 5, 5], cOut: 2, kernel: (5, 5), stride: (1, 1), pad: (2, 2), groups: 2, bias: true),
        // 3×3 stride 1 rows wider than 8: the 8-wide vector loop plus a scalar tail
        Case(input: [2, 4, 10, 19], cOut: 4, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 4, bias: true),
        Case(input: [1, 3, 8, 16], cOut: 3, kernel: (3, 3), stride: (1, 1), pad: (1, 1), groups: 3, bias: false),
    ]

    @Test(arguments: cases)
    func matchesNaiveLoop(_ c: Case) {
        var rng = SeededRandom(seed: 42)
        let x = rng.uniformTensor(c.input)
        let w = rng.uniformTensor([c.cOut, c.input[1] / c.groups, c.kernel.0, c.kernel.1])
        let b = c.bias ? rng.uniformTensor([c.cOut]) : nil
        let got = Conv2d.forward(x, weight: w, bias: b, strideH: c.stride.0, strideW: c.stride.1,
                                 padH: c.pad.0, padW: c.pad.1, groups: c.groups)
        let want = Naive.conv2d(x, w, b, stride: c.stride, pad: c.pad, groups: c.groups)
        expectClose(got, want, rtol: 1e-5, atol: 0, "\(c)")
    }

    @Test func squareOverloadMatchesPerAxisForm() {
        var rng = SeededRandom(seed: 7)
        let x = rng.uniformTensor([2, 3, 6, 6]), w = rng.uniformTensor([4, 3, 3, 3])
        #expect(Conv2d.forward(x, weight: w, bias: nil, stride: 2, padding: 1)
                == Conv2d.forward(x, weight: w, bias: nil, strideH: 2, strideW: 2, padH: 1, padW: 1))
    }

    @Test func denseFusedConvMatchesFixture() throws {
        let f = try Safetensors.read(path: Fixtures.path("convbn_fuse.safetensors"))
        let t = f.tensors
        let got = Conv2d.forward(t["std.input"]!, weight: t["std.fused.weight"]!, bias: t["std.fused.bias"]!, padH: 1, padW: 1)
        expectClose(got, t["std.fused_output"]!, rtol: 1e-5, atol: 0, "std.fused_output")
        // unfused: BN_eval(conv(input; conv.weight, conv.bias))
        let conv = Conv2d.forward(t["std.input"]!, weight: t["std.conv.weight"]!, bias: t["std.conv.bias"]!, padH: 1, padW: 1)
        let bn = Naive.batchNormEval(conv, gamma: t["std.bn.weight"]!, beta: t["std.bn.bias"]!,
                                     mean: t["std.bn.running_mean"]!, variance: t["std.bn.running_var"]!)
        expectClose(bn, t["std.unfused_output"]!, rtol: 1e-5, atol: 0, "std.unfused_output")
    }

    @Test func depthwiseFusedConvMatchesFixture() throws {
        let t = try Safetensors.read(path: Fixtures.path("convbn_fuse.safetensors")).tensors
        let got = Conv2d.forward(t["dw.input"]!, weight: t["dw.fused.weight"]!, bias: t["dw.fused.bias"]!,
                                 padH: 1, padW: 1, groups: 6)
        expectClose(got, t["dw.fused_output"]!, rtol: 1e-5, atol: 0, "dw.fused_output")
    }

    /// Each depthwise branch before its BN, checked through the BN against the branch output.
    @Test(arguments: [("b3x3", 1, 1), ("b1x3", 0, 1), ("b3x1", 1, 0), ("b1x1", 0, 0)])
    func depthwiseBranchMatchesFixture(_ branch: String, _ padH: Int, _ padW: Int) throws {
        let t = try Safetensors.read(path: Fixtures.path("convbn_fuse.safetensors")).tensors
        let p = "dw.\(branch)"
        let conv = Conv2d.forward(t["dw.input"]!, weight: t["\(p).weight"]!, bias: nil, padH: padH, padW: padW, groups: 6)
        let y = Naive.batchNormEval(conv, gamma: t["\(p).bn.weight"]!, beta: t["\(p).bn.bias"]!,
                                    mean: t["\(p).bn.running_mean"]!, variance: t["\(p).bn.running_var"]!)
        expectClose(y, t["\(p).output"]!, rtol: 1e-5, atol: 0, "\(p).output")
        // The branch's fused, zero-padded 3×3 kernel gives the same output with pad 1.
        let fused = Conv2d.forward(t["dw.input"]!, weight: t["\(p).fused_weight_3x3"]!, bias: t["\(p).fused_bias"]!,
                                   padH: 1, padW: 1, groups: 6)
        expectClose(fused, t["\(p).output"]!, rtol: 1e-5, atol: 0, "\(p) fused 3x3")
    }
}

@Suite struct LinearPoolMeanTests {
    @Test(arguments: [true, false])
    func linearMatchesNaiveLoop(_ withBias: Bool) {
        var rng = SeededRandom(seed: 3)
        let x = rng.uniformTensor([2, 3, 5, 12]), w = rng.uniformTensor([9, 12])
        let b = withBias ? rng.uniformTensor([9]) : nil
        expectClose(Linear.forward(x, weight: w, bias: b), Naive.linear(x, w, b), rtol: 1e-5, atol: 0, "linear")
    }

    @Test(arguments: [[2, 3, 8, 8], [1, 2, 7, 7], [2, 1, 32, 32], [1, 1, 5, 6]])
    func maxPool3s2p1MatchesNaiveLoop(_ shape: [Int]) {
        var rng = SeededRandom(seed: 5)
        let x = rng.uniformTensor(shape).map { $0 - 2 }   // all negative: padding must not win
        #expect(MaxPool2d.forward(x) == Naive.maxPool(x, k: 3, s: 2, p: 1))
    }

    @Test func maxPoolOtherWindowMatchesNaiveLoop() {
        var rng = SeededRandom(seed: 6)
        let x = rng.uniformTensor([2, 2, 9, 9])
        #expect(MaxPool2d.forward(x, geometry: Conv2dGeometry(kernel: 2, stride: 2, padding: 0)) == Naive.maxPool(x, k: 2, s: 2, p: 0))
    }

    @Test(arguments: [[3, 4], [2], [0], [0, 2], [1, 3], [0, 1, 2, 3, 4], [], [4, 0], [2, 3, 4]])
    func meanMatchesDefinition(_ axes: [Int]) {
        var rng = SeededRandom(seed: 11)
        let x = rng.uniformTensor([3, 2, 4, 5, 6])
        expectClose(x.mean(axes: axes), Naive.mean(x, axes: Set(axes)), rtol: 1e-6, atol: 0, "mean \(axes)")
    }

    @Test func meanOfLongTrailingRow() {
        let x = Tensor(shape: [2, 1001], storage: (0..<2002).map { Float($0 % 7) })
        expectClose(x.mean(axes: [1]), Naive.mean(x, axes: [1]), rtol: 1e-6, atol: 0, "mean long row")
    }
}

@Suite struct SpikeProjectionTests {
    @Test(arguments: [Float(0), 0.05, 0.15, 0.25, 0.6, 1])
    func linearSparseEqualsDense(_ rate: Float) {
        var rng = SeededRandom(seed: 21)
        // out 100 = one 64-float chunk + two SIMD16 chunks + a scalar tail of 4
        let x = rng.spikeTensor([4, 2, 16, 48], rate: rate), w = rng.uniformTensor([100, 48]), b = rng.uniformTensor([100])
        let dense = Linear.forward(x, weight: w, bias: b)
        expectClose(Linear.forwardSpikes(x, weight: w, bias: b, kernel: .sparse), dense, rtol: 1e-5, atol: 0, "sparse rate \(rate)")
        expectClose(Linear.forwardSpikes(x, weight: w, bias: nil, kernel: .sparse), Linear.forward(x, weight: w, bias: nil), rtol: 1e-5, atol: 0, "no bias")
        expectClose(Linear.forwardSpikes(x, weight: w, bias: b, kernel: .auto), dense, rtol: 1e-5, atol: 0, "auto")
    }

    /// Big enough for the sparse kernels to split rows / images across threads.
    @Test func sparseKernelsMatchDenseOnLargeInputs() {
        var rng = SeededRandom(seed: 24)
        let x = rng.spikeTensor([8, 160, 8, 8], rate: 0.1), w = rng.uniformTensor([160, 160, 1, 1]), b = rng.uniformTensor([160])
        expectClose(Conv2d.pointwiseSpikes(x, weight: w, bias: b, kernel: .sparse),
                    Conv2d.forward(x, weight: w, bias: b, padH: 0, padW: 0), rtol: 1e-5, atol: 0, "conv 1x1")
        let tokens = x.reshaped([512, 160]), w2 = w.reshaped([160, 160])
        expectClose(Linear.forwardSpikes(tokens, weight: w2, bias: b, kernel: .sparse),
                    Linear.forward(tokens, weight: w2, bias: b), rtol: 1e-5, atol: 0, "linear")
    }

    @Test func linearSparseHandlesNonBinaryValues() {
        var rng = SeededRandom(seed: 22)
        // pooled spikes take values 0/1/2
        let x = Tensor(shape: [6, 40], storage: (0..<240).map { _ in Float(Int(rng.next() % 8) % 3) * (rng.signedUnit() > 0.3 ? 0 : 1) })
        let w = rng.uniformTensor([128, 40])
        expectClose(Linear.forwardSpikes(x, weight: w, bias: nil, kernel: .sparse), Naive.linear(x, w, nil), rtol: 1e-5, atol: 0, "0/1/2 input")
    }

    @Test(arguments: [Float(0.05), 0.2, 0.5])
    func pointwiseConvSparseEqualsDense(_ rate: Float) {
        var rng = SeededRandom(seed: 23)
        let x = rng.spikeTensor([3, 24, 5, 7], rate: rate), w = rng.uniformTensor([70, 24, 1, 1]), b = rng.uniformTensor([70])
        let dense = Conv2d.forward(x, weight: w, bias: b, padH: 0, padW: 0)
        expectClose(Conv2d.pointwiseSpikes(x, weight: w, bias: b, kernel: .sparse), dense, rtol: 1e-5, atol: 0, "sparse rate \(rate)")
        expectClose(Conv2d.pointwiseSpikes(x, weight: w, bias: nil, kernel: .sparse),
                    Conv2d.forward(x, weight: w, bias: nil, padH: 0, padW: 0), rtol: 1e-5, atol: 0, "no bias")
        expectClose(Conv2d.pointwiseSpikes(x, weight: w, bias: b), dense, rtol: 1e-5, atol: 0, "auto")
    }

    @Test func firingRateCountsNonZeros() {
        let x = Tensor(shape: [8], storage: [0, 1, 0, 0, 2, 0, 1, 0])
        #expect(SpikeProjection.firingRate(x) == 0.375)
        #expect(SpikeProjection.firingRate(Tensor(shape: [0])) == 0)
    }

    @Test func autoPicksSparseOnlyBelowThreshold() {
        #expect(SpikeProjection.choose(.auto, rate: 0.01) == .sparse)
        #expect(SpikeProjection.choose(.auto, rate: 0.9) == .dense)
        #expect(SpikeProjection.choose(.dense, rate: 0.01) == .dense)
        #expect(SpikeProjection.choose(.sparse, rate: 0.9) == .sparse)
    }
}
