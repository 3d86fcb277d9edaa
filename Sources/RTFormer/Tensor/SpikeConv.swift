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
    ///   - kernel: `.auto` picks the sparse path below `SpikeProjection.sparseBelowRate`, else
    ///     the dense GEMM path.
    ///   - packed: `SpikeConvWeights(weight)`, packed here when nil.
    /// - Returns: `[N, C_out, H_out, W_out]`.
    ///
    /// Work is organised by output-channel strip (`SpikeConvWeights.stripWidth` channels): for
    /// each strip, a pixel-major scratch `[pixels, width]` (L1/L2-sized) starts at the bias, every
    /// active input adds its weight row per tap, and the strip is written out channel by channel.
    /// Each output element sums the same terms in the same order (active inputs in memory order,
    /// taps in (ky, kx) order) whatever the strip width or thread split.
    public static func forwardSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, padH: Int, padW: Int,
                                     kernel: SpikeKernel = .auto, packed: SpikeConvWeights? = nil) -> Tensor {
        guard SpikeProjection.choose(kernel, rate: SpikeProjection.firingRate(x)) == .sparse else {
            return forward(x, weight: weight, bias: bias, padH: padH, padW: padW)
        }
        precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                     "spike conv: expected x [N,C,H,W] and weight [Co,C,kH,kW], got \(x.shape), \(weight.shape)")
        let pw = packed ?? SpikeConvWeights(weight)
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cOut, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let ho = h + 2 * padH - kh + 1, wo = w + 2 * padW - kw + 1
        precondition(ho > 0 && wo > 0, "spike conv: output would be empty for input \(x.shape) and kernel \(weight.shape)")
        let ldw = pw.ldw
        let sw = SpikeConvWeights.stripWidth
        let rows = cIn * kh * kw
        var out = Tensor(uninitializedShape: [n, cOut, ho, wo])
        let pixels = ho * wo
        let plane = h * w
        let capacity = max(1, cIn * plane)
        // Active inputs in memory order: channel, row, column, value.
        let chan = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let rowOf = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let colOf = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { chan.deallocate(); rowOf.deallocate(); colOf.deallocate(); values.deallocate() }
        let wt = UnsafePointer(pw.data)
        let biasValues = bias?.storage
        x.storage.withUnsafeBufferPointer { xp in
            out.storage.withUnsafeMutableBufferPointer { op in
                for img in 0..<n {
                    let src = xp.baseAddress! + img * cIn * plane
                    var count = 0
                    var binary = true
                    for c in 0..<cIn {
                        let sc = src + c * plane
                        for y in 0..<h {
                            let row = sc + y * w
                            var i = 0
                            while i + 16 <= w {
                                let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
                                let fired = v .!= 0
                                var mask = SIMD16<UInt32>(repeating: 0).replacing(with: SpikeProjection.laneBits, where: fired).wrappedSum()
                                if mask != 0 {
                                    binary = binary && !any(fired .& (v .!= 1))
                                    while mask != 0 {
                                        let lane = mask.trailingZeroBitCount
                                        chan[count] = Int32(truncatingIfNeeded: c)
                                        rowOf[count] = Int32(truncatingIfNeeded: y)
                                        colOf[count] = Int32(truncatingIfNeeded: i + lane)
                                        values[count] = row[i + lane]
                                        count &+= 1
                                        mask &= mask &- 1
                                    }
                                }
                                i += 16
                            }
                            while i < w {
                                let v = row[i]
                                if v != 0 {
                                    chan[count] = Int32(truncatingIfNeeded: c)
                                    rowOf[count] = Int32(truncatingIfNeeded: y)
                                    colOf[count] = Int32(truncatingIfNeeded: i)
                                    values[count] = v
                                    binary = binary && v == 1
                                    count &+= 1
                                }
                                i += 1
                            }
                        }
                    }
                    let nActive = count
                    let isBinary = binary
                    let dst = op.baseAddress! + img * cOut * pixels
                    let strips = (ldw + sw - 1) / sw
                    // Strips are independent: split them over threads, each with its own scratch.
                    SpikeProjection.inParallel(work: nActive * kh * kw * ldw + pixels * ldw, items: strips) { range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pixels * sw)
                        defer { scratch.deallocate() }
                        for s in range {
                            let c0 = s * sw
                            let width = min(sw, ldw - c0)
                            let real = max(0, min(width, cOut - c0))
                            let block = wt + c0 * rows
                            // Bias (or zero) in every pixel row of the strip.
                            for p in 0..<pixels {
                                let row = scratch + p * width
                                if let b = biasValues {
                                    for j in 0..<real { row[j] = b[c0 + j] }
                                    for j in real..<width { row[j] = 0 }
                                } else {
                                    row.update(repeating: 0, count: width)
                                }
                            }
                            if width == 32 {
                                scatter32(block: block, scratch: scratch, nActive: nActive, chan: chan, rowOf: rowOf, colOf: colOf,
                                          values: values, binary: isBinary, kh: kh, kw: kw, padH: padH, padW: padW, ho: ho, wo: wo)
                            } else {
                                scatter16(block: block, width: width, scratch: scratch, nActive: nActive, chan: chan, rowOf: rowOf,
                                          colOf: colOf, values: values, kh: kh, kw: kw, padH: padH, padW: padW, ho: ho, wo: wo)
                            }
                            // [pixels, width] → channels c0 ..< c0 + real of [C_out, pixels].
                            for j in 0..<real {
                                let d = dst + (c0 + j) * pixels
                                var p = 0
                                while p < pixels { d[p] = scratch[p * width + j]; p += 1 }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The scatter of one 32-channel strip: two 16-lane accumulations per tap.
    @inline(__always)
    private static func scatter32(block: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, nActive: Int,
                                  chan: UnsafePointer<Int32>, rowOf: UnsafePointer<Int32>, colOf: UnsafePointer<Int32>,
                                  values: UnsafePointer<Float>, binary: Bool, kh: Int, kw: Int, padH: Int, padW: Int,
                                  ho: Int, wo: Int) {
        typealias V = SIMD16<Float>
        for a in 0..<nActive {
            let c = Int(chan[a]), y = Int(rowOf[a]), xx = Int(colOf[a])
            let v = V(repeating: values[a])
            let kyLo = max(0, y + padH - ho + 1), kyHi = min(kh, y + padH + 1)
            let kxLo = max(0, xx + padW - wo + 1), kxHi = min(kw, xx + padW + 1)
            if kyLo >= kyHi || kxLo >= kxHi { continue }
            for ky in kyLo..<kyHi {
                let oy = y + padH - ky
                let wrow = block + ((c * kh + ky) * kw) * 32
                let orow = scratch + oy * wo * 32
                for kx in kxLo..<kxHi {
                    let ox = xx + padW - kx
                    let wp = UnsafeRawPointer(wrow + kx * 32)
                    let op = UnsafeMutableRawPointer(orow + ox * 32)
                    let w0 = wp.loadUnaligned(as: V.self), w1 = wp.loadUnaligned(fromByteOffset: 64, as: V.self)
                    let a0 = op.loadUnaligned(as: V.self), a1 = op.loadUnaligned(fromByteOffset: 64, as: V.self)
                    if binary {
                        op.storeBytes(of: a0 + w0, as: V.self)
                        op.storeBytes(of: a1 + w1, toByteOffset: 64, as: V.self)
                    } else {
                        op.storeBytes(of: a0 + v * w0, as: V.self)
                        op.storeBytes(of: a1 + v * w1, toByteOffset: 64, as: V.self)
                    }
                }
            }
        }
    }

    /// The scatter of one strip narrower than 32 (16 channels).
    private static func scatter16(block: UnsafePointer<Float>, width: Int, scratch: UnsafeMutablePointer<Float>, nActive: Int,
                                  chan: UnsafePointer<Int32>, rowOf: UnsafePointer<Int32>, colOf: UnsafePointer<Int32>,
                                  values: UnsafePointer<Float>, kh: Int, kw: Int, padH: Int, padW: Int, ho: Int, wo: Int) {
        typealias V = SIMD16<Float>
        for a in 0..<nActive {
            let c = Int(chan[a]), y = Int(rowOf[a]), xx = Int(colOf[a])
            let v = V(repeating: values[a])
            let kyLo = max(0, y + padH - ho + 1), kyHi = min(kh, y + padH + 1)
            let kxLo = max(0, xx + padW - wo + 1), kxHi = min(kw, xx + padW + 1)
            if kyLo >= kyHi || kxLo >= kxHi { continue }
            for ky in kyLo..<kyHi {
                let oy = y + padH - ky
                for kx in kxLo..<kxHi {
                    let ox = xx + padW - kx
                    let wrow = block + ((c * kh + ky) * kw + kx) * width
                    let orow = scratch + (oy * wo + ox) * width
                    var col = 0
                    while col < width {
                        let acc = UnsafeRawPointer(orow + col).loadUnaligned(as: V.self)
                        let wv = UnsafeRawPointer(wrow + col).loadUnaligned(as: V.self)
                        UnsafeMutableRawPointer(orow + col).storeBytes(of: acc + v * wv, as: V.self)
                        col += 16
                    }
                }
            }
        }
    }
}
