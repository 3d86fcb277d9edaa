import Testing
@testable import RTFormer

/// The spike-driven kernels sum in a documented order (`SpikeProjection.accumulate`,
/// `Conv2d.forwardSpikes`), whatever the thread split: scalar references written from that
/// documentation match them bit for bit at 1 and at 2 threads. This is what keeps stepping
/// bit-identical to a whole forward and results independent of `--threads`.
@Suite(.serialized) struct SpikeKernelOrderTests {
    static func spikes(_ count: Int, rate: Double, seed: UInt64, twos: Double = 0) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            guard rng.uniform() < rate else { return 0 }
            return rng.uniform() < twos ? 2 : 1
        }
    }

    static func normals(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(rng.normal()) }
    }

    /// `y[r, c]` in the documented order: columns below the last whole 16, a row of 0/1 spikes
    /// sums its active inputs into four accumulators in turn (whole groups of four; the rest into
    /// the first, which starts at the bias) and adds them as `(a0 + a1) + (a2 + a3)`; a row with
    /// other values sums `bias + v·w` in order; the last `outF mod 16` columns sum `bias + v·w`.
    static func linearReference(_ x: [Float], m: Int, inF: Int, w: [Float], outF: Int, bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: m * outF)
        let vectorColumns = outF / 16 * 16
        for r in 0..<m {
            let active = (0..<inF).filter { x[r * inF + $0] != 0 }
            let binary = active.allSatisfy { x[r * inF + $0] == 1 }
            for c in 0..<outF {
                let b = bias?[c] ?? 0
                func term(_ i: Int) -> Float { x[r * inF + i] * w[c * inF + i] }
                if c >= vectorColumns || !binary {
                    var a = b
                    for i in active { a += term(i) }
                    out[r * outF + c] = c >= vectorColumns ? a : (a + 0) + (0 + 0)
                } else {
                    var acc: [Float] = [b, 0, 0, 0]
                    let whole = active.count / 4 * 4
                    for (j, i) in active.enumerated() { acc[j < whole ? j % 4 : 0] += w[c * inF + i] }
                    out[r * outF + c] = (acc[0] + acc[1]) + (acc[2] + acc[3])
                }
            }
        }
        return out
    }

    /// Each output pixel sums `bias + v·w` over its taps, input channel outer, then ky, kx.
    static func convReference(_ x: [Float], n: Int, cIn: Int, h: Int, w: Int, weight: [Float], cOut: Int, kh: Int, kw: Int,
                              padH: Int, padW: Int, bias: [Float]?) -> [Float] {
        let ho = h + 2 * padH - kh + 1, wo = w + 2 * padW - kw + 1
        var out = [Float](repeating: 0, count: n * cOut * ho * wo)
        for img in 0..<n {
            for co in 0..<cOut {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var a = bias?[co] ?? 0
                        for c in 0..<cIn {
                            for ky in 0..<kh {
                                let iy = oy - padH + ky
                                guard iy >= 0 && iy < h else { continue }
                                for kx in 0..<kw {
                                    let ix = ox - padW + kx
                                    guard ix >= 0 && ix < w else { continue }
                                    let v = x[((img * cIn + c) * h + iy) * w + ix]
                                    if v != 0 { a += v * weight[((co * cIn + c) * kh + ky) * kw + kx] }
                                }
                            }
                        }
                        out[((img * cOut + co) * ho + oy) * wo + ox] = a
                    }
                }
            }
        }
        return out
    }

    static func withThreads(_ n: Int, _ body: () -> Void) {
        let before = BLAS.threads
        BLAS.setThreads(n)
        defer { BLAS.setThreads(before) }
        body()
    }

    static func expectBitwise(_ a: [Float], _ b: [Float], _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) elements")
        let bad = zip(a, b).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(bad == nil, "\(what): element \(bad?.offset ?? -1) is \(bad?.element.0 ?? 0), reference \(bad?.element.1 ?? 0)")
    }

    /// 120 outputs = three 32-column strips, one 16-column strip and 8 scalar columns; 96 rows
    /// are enough work for the rows to be split across threads.
    @Test(arguments: [(0.1, 0.0), (0.3, 0.0), (0.2, 0.05)])
    func linearMatchesDocumentedOrder(_ rate: Double, _ twos: Double) {
        let (m, inF, outF) = (96, 160, 120)
        let x = Self.spikes(m * inF, rate: rate, seed: 31, twos: twos)
        let w = Self.normals(outF * inF, seed: 32), b = Self.normals(outF, seed: 33)
        let xt = Tensor(shape: [m, inF], storage: x), wt = Tensor(shape: [outF, inF], storage: w)
        for bias in [b, nil] as [[Float]?] {
            let reference = Self.linearReference(x, m: m, inF: inF, w: w, outF: outF, bias: bias)
            for threads in [1, 2] {
                Self.withThreads(threads) {
                    let y = Linear.forwardSpikes(xt, weight: wt, bias: bias.map { Tensor(shape: [outF], storage: $0) }, kernel: .sparse)
                    Self.expectBitwise(y.storage, reference, "linear rate \(rate) twos \(twos) bias \(bias != nil) threads \(threads)")
                }
            }
        }
    }

    /// The 1×1 conv is the linear on each pixel's channel vector, written NCHW.
    @Test(arguments: [(0.15, 0.0), (0.25, 0.1)])
    func pointwiseConvMatchesDocumentedOrder(_ rate: Double, _ twos: Double) {
        let (n, cIn, h, w, cOut) = (3, 72, 6, 7, 100)
        let hw = h * w
        let x = Self.spikes(n * cIn * hw, rate: rate, seed: 41, twos: twos)
        let weight = Self.normals(cOut * cIn, seed: 42), b = Self.normals(cOut, seed: 43)
        // [N, C, HW] → rows [N·HW, C]
        var rows = [Float](repeating: 0, count: n * hw * cIn)
        for img in 0..<n { for c in 0..<cIn { for p in 0..<hw { rows[(img * hw + p) * cIn + c] = x[(img * cIn + c) * hw + p] } } }
        let flat = Self.linearReference(rows, m: n * hw, inF: cIn, w: weight, outF: cOut, bias: b)
        var reference = [Float](repeating: 0, count: n * cOut * hw)
        for img in 0..<n { for c in 0..<cOut { for p in 0..<hw { reference[(img * cOut + c) * hw + p] = flat[(img * hw + p) * cOut + c] } } }
        for threads in [1, 2] {
            Self.withThreads(threads) {
                let y = Conv2d.pointwiseSpikes(Tensor(shape: [n, cIn, h, w], storage: x), weight: Tensor(shape: [cOut, cIn, 1, 1], storage: weight),
                                               bias: Tensor(shape: [cOut], storage: b), kernel: .sparse)
                Self.expectBitwise(y.storage, reference, "conv 1x1 rate \(rate) twos \(twos) threads \(threads)")
            }
        }
    }

    /// 40 output channels = one 32-wide and one 16-wide strip; 2 images of 16×16 are split
    /// into bands of output rows across threads.
    @Test(arguments: [(0.1, 0.0, 1), (0.25, 0.1, 1), (0.2, 0.0, 0)])
    func scatterConvMatchesDocumentedOrder(_ rate: Double, _ twos: Double, _ pad: Int) {
        let (n, cIn, h, w, cOut, k) = (2, 8, 16, 16, 40, 3)
        let x = Self.spikes(n * cIn * h * w, rate: rate, seed: 51, twos: twos)
        let weight = Self.normals(cOut * cIn * k * k, seed: 52), b = Self.normals(cOut, seed: 53)
        let reference = Self.convReference(x, n: n, cIn: cIn, h: h, w: w, weight: weight, cOut: cOut, kh: k, kw: k,
                                           padH: pad, padW: pad, bias: b)
        for threads in [1, 2] {
            Self.withThreads(threads) {
                let y = Conv2d.forwardSpikes(Tensor(shape: [n, cIn, h, w], storage: x), weight: Tensor(shape: [cOut, cIn, k, k], storage: weight),
                                             bias: Tensor(shape: [cOut], storage: b), padH: pad, padW: pad, kernel: .sparse)
                Self.expectBitwise(y.storage, reference, "conv 3x3 pad \(pad) rate \(rate) twos \(twos) threads \(threads)")
            }
        }
    }
}
