/// A dense conv weight `[C_out, C_in, kH, kW]` rearranged once for the spike-driven scatter
/// kernel, in output-channel strips of `stripWidth` floats (the last strip may be 16 wide):
/// strip `s` is a block of `inChannels·kH·kW` rows, row `(c·kH + ky)·kW + kx` holding
/// `W[s·stripWidth ..< s·stripWidth + width, c, ky, kx]` contiguously. One active input then
/// adds one short contiguous row per tap, and the weights of one strip (the unit of work of
/// the kernel) are a compact block that stays in L2 while every active input is visited.
public final class SpikeConvWeights: @unchecked Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernelH: Int
    public let kernelW: Int
    /// `outChannels` rounded up to a multiple of 16 (zero-padded channels).
    let ldw: Int
    /// Output channels per strip (the last strip holds `ldw − (strips − 1)·stripWidth`).
    static let stripWidth = 32
    let data: UnsafeMutablePointer<Float>

    /// - Parameter weight: `[C_out, C_in, kH, kW]` (groups = 1).
    public init(_ weight: Tensor) {
        precondition(weight.rank == 4, "spike conv weights: expected [C_out, C_in, kH, kW], got \(weight.shape)")
        outChannels = weight.shape[0]
        inChannels = weight.shape[1]
        kernelH = weight.shape[2]
        kernelW = weight.shape[3]
        ldw = (outChannels + 15) / 16 * 16
        let rows = inChannels * kernelH * kernelW
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, ldw * rows) * 4, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(1, ldw * rows))
        let (co, ldw, d, sw) = (outChannels, ldw, data, Self.stripWidth)
        weight.storage.withUnsafeBufferPointer { src in
            for c0 in stride(from: 0, to: ldw, by: sw) {
                let width = min(sw, ldw - c0)
                let block = d + c0 * rows
                for r in 0..<rows {
                    for j in 0..<width {
                        let o = c0 + j
                        block[r * width + j] = o < co ? src[o * rows + r] : 0
                    }
                }
            }
        }
    }

    deinit { data.deallocate() }
}

extension Conv2d {
    /// Stride-1 convolution on a sparse (spike) input by scattering: every non-zero input
    /// `x[n, c, y, x]` adds `x · W[:, c, ky, kx]` to the output pixel it reaches through each tap,
    /// so the work is `rate · FL` instead of `FL` (DESIGN §3, spike-driven). PyTorch `F.conv2d`
    /// semantics (zero padding, groups = 1); equal to `forward` up to float summation order.
    /// - Parameters:
    ///   - x: `[N, C_in, H, W]`, typically binary spikes.
    ///   - weight: `[C_out, C_in, kH, kW]`.
    ///   - bias: `[C_out]` or nil.
    ///   - padH, padW: zero padding.
    ///   - kernel: `.auto` picks the sparse path below `SpikeProjection.scatterBelowRate`, else
    ///     the dense GEMM path.
    ///   - packed: `SpikeConvWeights(weight)`, packed here when nil.
    /// - Returns: `[N, C_out, H_out, W_out]`.
    ///
    /// The scatter is computed as an in-order gather: first every output pixel gets the list of
    /// (weight row, input value) terms that reach it, in scatter order (active inputs in memory
    /// order: channel, row, column); then, per output-channel strip
    /// (`SpikeConvWeights.stripWidth` channels), each pixel sums its list from the bias in
    /// registers, and the strip is written out channel by channel. The output rows (of all
    /// images) are split into bands across threads, each band listing the actives of the input
    /// rows that reach it (a band's lists hold exactly its pixels' terms, in the same order).
    /// Each output element sums the same terms in the same order whatever the strip width, band
    /// or thread split.
    public static func forwardSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, padH: Int, padW: Int,
                                     kernel: SpikeKernel = .auto, packed: SpikeConvWeights? = nil) -> Tensor {
        guard SpikeProjection.choose(kernel, rate: SpikeProjection.firingRate(x), below: SpikeProjection.scatterBelowRate) == .sparse else {
            return forward(x, weight: weight, bias: bias, padH: padH, padW: padW)
        }
        precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                     "spike conv: expected x [N,C,H,W] and weight [Co,C,kH,kW], got \(x.shape), \(weight.shape)")
        let pw = packed ?? SpikeConvWeights(weight)
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cOut, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let ho = h + 2 * padH - kh + 1, wo = w + 2 * padW - kw + 1
        precondition(ho > 0 && wo > 0, "spike conv: output would be empty for input \(x.shape) and kernel \(weight.shape)")
        let geometry = ScatterGeometry(cIn: cIn, h: h, w: w, cOut: cOut, kh: kh, kw: kw, padH: padH, padW: padW, ho: ho, wo: wo,
                                       ldw: pw.ldw)
        var out = Tensor(uninitializedShape: [n, cOut, ho, wo])
        let wt = UnsafePointer(pw.data)
        let biasValues = bias?.storage
        x.storage.withUnsafeBufferPointer { xp in
            out.storage.withUnsafeMutableBufferPointer { op in
                let (xb, ob) = (xp.baseAddress!, op.baseAddress!)
                SpikeProjection.withOptionalPointer(biasValues) { b in
                    // Output rows of all images, split into bands across threads.
                    let work = n * (cIn * h * w + ho * wo * geometry.ldw)
                    SpikeProjection.inParallel(work: work, items: n * ho) { rows in
                        var r = rows.lowerBound
                        while r < rows.upperBound {
                            let img = r / ho, oy0 = r % ho
                            let oy1 = min(ho, oy0 + rows.upperBound - r)
                            scatterBand(geometry, x: xb + img * cIn * h * w, oy0: oy0, oy1: oy1, wt: wt, bias: b,
                                        out: ob + img * cOut * ho * wo)
                            r += oy1 - oy0
                        }
                    }
                }
            }
        }
        return out
    }

    /// Sizes of one spike convolution.
    struct ScatterGeometry {
        let cIn, h, w, cOut, kh, kw, padH, padW, ho, wo: Int
        /// Packed weight width (`SpikeConvWeights.ldw`).
        let ldw: Int
    }

    /// Output rows `oy0 ..< oy1` of one image: `x` is its `[C_in, H, W]` input, `out` its
    /// `[C_out, H_out, W_out]` output.
    private static func scatterBand(_ g: ScatterGeometry, x: UnsafePointer<Float>, oy0: Int, oy1: Int, wt: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let (cIn, h, w, kh, kw, padH, padW, wo) = (g.cIn, g.h, g.w, g.kh, g.kw, g.padH, g.padW, g.wo)
        // Input rows whose taps reach output rows oy0..<oy1 (oy = y + padH − ky).
        let yLo = max(0, oy0 - padH), yHi = min(h, oy1 - 1 - padH + kh)
        let pixels = (oy1 - oy0) * wo
        guard pixels > 0 else { return }
        let capacity = max(1, cIn * max(0, yHi - yLo) * w)
        // Active inputs in memory order: channel, row, column, value.
        let chan = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let rowOf = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let colOf = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let termStart = UnsafeMutablePointer<Int>.allocate(capacity: pixels + 1)
        defer { chan.deallocate(); rowOf.deallocate(); colOf.deallocate(); values.deallocate(); termStart.deallocate() }
        var count = 0
        var binary = true
        for c in 0..<cIn {
            let sc = x + c * h * w
            for y in yLo..<max(yLo, yHi) {
                let rowBinary = SpikeProjection.scanNonZero(sc + y * w, count: w) { xx, v in
                    chan[count] = Int32(truncatingIfNeeded: c)
                    rowOf[count] = Int32(truncatingIfNeeded: y)
                    colOf[count] = Int32(truncatingIfNeeded: xx)
                    values[count] = v
                    count &+= 1
                }
                binary = binary && rowBinary
            }
        }
        let nActive = count
        // Per output pixel of the band, the list of (weight row, value) terms that reach it, in
        // the order the scatter adds them: actives in memory order, taps in (ky, kx) order.
        // Summing each list in order gives exactly the scatter's result, but in registers: the
        // scatter's read-modify-write of the same output row by neighbouring actives serialised
        // on store-to-load forwarding.
        @inline(__always) func taps(_ a: Int) -> (ky: Range<Int>, kx: Range<Int>, y: Int, x: Int) {
            let y = Int(rowOf[a]), xx = Int(colOf[a])
            let kyLo = max(0, y + padH - oy1 + 1), kyHi = min(kh, y + padH - oy0 + 1)
            let kxLo = max(0, xx + padW - wo + 1), kxHi = min(kw, xx + padW + 1)
            return (kyLo..<max(kyLo, kyHi), kxLo..<max(kxLo, kxHi), y, xx)
        }
        termStart.initialize(repeating: 0, count: pixels + 1)
        for a in 0..<nActive {
            let (kys, kxs, y, xx) = taps(a)
            if kys.isEmpty || kxs.isEmpty { continue }
            for ky in kys {
                let base = (y + padH - ky - oy0) * wo + xx + padW
                for kx in kxs { termStart[base - kx + 1] &+= 1 }
            }
        }
        for p in 0..<pixels { termStart[p + 1] &+= termStart[p] }
        let nTerms = termStart[pixels]
        let termRow = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, nTerms))
        let termValue = UnsafeMutablePointer<Float>.allocate(capacity: max(1, nTerms))
        let cursor = UnsafeMutablePointer<Int>.allocate(capacity: pixels)
        defer { termRow.deallocate(); termValue.deallocate(); cursor.deallocate() }
        cursor.update(from: termStart, count: pixels)
        for a in 0..<nActive {
            let (kys, kxs, y, xx) = taps(a)
            if kys.isEmpty || kxs.isEmpty { continue }
            let c = Int(chan[a])
            let v = values[a]
            for ky in kys {
                let base = (y + padH - ky - oy0) * wo + xx + padW
                let wbase = (c * kh + ky) * kw
                for kx in kxs {
                    let q = base - kx
                    let k = cursor[q]
                    termRow[k] = Int32(truncatingIfNeeded: wbase + kx)
                    termValue[k] = v
                    cursor[q] = k &+ 1
                }
            }
        }
        let sw = SpikeConvWeights.stripWidth
        let rows = cIn * kh * kw
        let planeOut = g.ho * wo
        let dst = out + oy0 * wo
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pixels * sw)
        let b0 = UnsafeMutablePointer<Float>.allocate(capacity: sw)
        defer { scratch.deallocate(); b0.deallocate() }
        for c0 in stride(from: 0, to: g.ldw, by: sw) {
            let width = min(sw, g.ldw - c0)
            let real = max(0, min(width, g.cOut - c0))
            let block = wt + c0 * rows
            // Bias (or zero) of the strip.
            for j in 0..<width { b0[j] = j < real ? (bias?[c0 + j] ?? 0) : 0 }
            if width == 32 {
                gather32(block: block, bias: b0, scratch: scratch, pixels: pixels, start: termStart, row: termRow,
                         value: termValue, binary: binary)
            } else {
                gather16(block: block, width: width, bias: b0, scratch: scratch, pixels: pixels, start: termStart,
                         row: termRow, value: termValue)
            }
            // [pixels, width] → channels c0 ..< c0 + real of [C_out, H_out·W_out].
            for j in 0..<real {
                let d = dst + (c0 + j) * planeOut
                var p = 0
                while p < pixels { d[p] = scratch[p * width + j]; p += 1 }
            }
        }
    }

    /// One 32-channel strip: every output pixel sums its term list in order, two 16-lane halves,
    /// four pixels interleaved so their independent add chains overlap (each pixel's own order
    /// is unchanged).
    private static func gather32(block: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                 pixels: Int, start: UnsafePointer<Int>, row: UnsafePointer<Int32>, value: UnsafePointer<Float>,
                                 binary: Bool) {
        typealias V = SIMD16<Float>
        @inline(__always) func w(_ k: Int, _ half: Int) -> V {
            let offset: Int = Int(row[k]) &* 32 &+ half
            return UnsafeRawPointer(block + offset).loadUnaligned(as: V.self)
        }
        let bl = UnsafeRawPointer(bias).loadUnaligned(as: V.self)
        let bh = UnsafeRawPointer(bias + 16).loadUnaligned(as: V.self)
        var p = 0
        if binary {
            while p + 4 <= pixels {
                var l0 = bl, h0 = bh, l1 = bl, h1 = bh, l2 = bl, h2 = bh, l3 = bl, h3 = bh
                var j0 = start[p], j1 = start[p + 1], j2 = start[p + 2], j3 = start[p + 3]
                let e0 = j1, e1 = j2, e2 = j3, e3 = start[p + 4]
                let common = min(min(e0 - j0, e1 - j1), min(e2 - j2, e3 - j3))
                for _ in 0..<common {
                    l0 += w(j0, 0); h0 += w(j0, 16)
                    l1 += w(j1, 0); h1 += w(j1, 16)
                    l2 += w(j2, 0); h2 += w(j2, 16)
                    l3 += w(j3, 0); h3 += w(j3, 16)
                    j0 += 1; j1 += 1; j2 += 1; j3 += 1
                }
                while j0 < e0 { l0 += w(j0, 0); h0 += w(j0, 16); j0 += 1 }
                while j1 < e1 { l1 += w(j1, 0); h1 += w(j1, 16); j1 += 1 }
                while j2 < e2 { l2 += w(j2, 0); h2 += w(j2, 16); j2 += 1 }
                while j3 < e3 { l3 += w(j3, 0); h3 += w(j3, 16); j3 += 1 }
                let o = UnsafeMutableRawPointer(scratch + p * 32)
                o.storeBytes(of: l0, as: V.self); o.storeBytes(of: h0, toByteOffset: 64, as: V.self)
                o.storeBytes(of: l1, toByteOffset: 128, as: V.self); o.storeBytes(of: h1, toByteOffset: 192, as: V.self)
                o.storeBytes(of: l2, toByteOffset: 256, as: V.self); o.storeBytes(of: h2, toByteOffset: 320, as: V.self)
                o.storeBytes(of: l3, toByteOffset: 384, as: V.self); o.storeBytes(of: h3, toByteOffset: 448, as: V.self)
                p += 4
            }
        }
        while p < pixels {
            var lo = bl, hi = bh
            for k in start[p]..<start[p + 1] {
                if binary {
                    lo += w(k, 0); hi += w(k, 16)
                } else {
                    let v = V(repeating: value[k])
                    lo += v * w(k, 0); hi += v * w(k, 16)
                }
            }
            let o = UnsafeMutableRawPointer(scratch + p * 32)
            o.storeBytes(of: lo, as: V.self); o.storeBytes(of: hi, toByteOffset: 64, as: V.self)
            p += 1
        }
    }

    /// A strip narrower than 32 (16 channels): each pixel sums its term list in order.
    private static func gather16(block: UnsafePointer<Float>, width: Int, bias: UnsafePointer<Float>,
                                 scratch: UnsafeMutablePointer<Float>, pixels: Int, start: UnsafePointer<Int>,
                                 row: UnsafePointer<Int32>, value: UnsafePointer<Float>) {
        typealias V = SIMD16<Float>
        for p in 0..<pixels {
            var col = 0
            while col < width {
                var acc = UnsafeRawPointer(bias + col).loadUnaligned(as: V.self)
                for k in start[p]..<start[p + 1] {
                    let wv = UnsafeRawPointer(block + Int(row[k]) * width + col).loadUnaligned(as: V.self)
                    acc = acc + V(repeating: value[k]) * wv
                }
                UnsafeMutableRawPointer(scratch + p * width + col).storeBytes(of: acc, as: V.self)
                col += 16
            }
        }
    }
}
