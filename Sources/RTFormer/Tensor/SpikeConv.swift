/// A dense conv weight `[C_out, C_in, kH, kW]` rearranged once for the spike-driven scatter
/// kernel: row `(c·kH + ky)·kW + kx` holds `W[:, c, ky, kx]` (C_out floats, rows `ldw` apart,
/// 64-byte aligned), so one active input adds a contiguous weight row per tap.
public final class SpikeConvWeights: @unchecked Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernelH: Int
    public let kernelW: Int
    let ldw: Int
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
        let (co, ldw, d) = (outChannels, ldw, data)
        weight.storage.withUnsafeBufferPointer { src in
            for r in 0..<rows {
                let row = d + r * ldw
                for o in 0..<co { row[o] = src[o * rows + r] }
                (row + co).initialize(repeating: 0, count: ldw - co)
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
        var out = Tensor(uninitializedShape: [n, cOut, ho, wo])
        let pixels = ho * wo
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pixels * ldw)
        let active = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, cIn * h * w))
        let values = UnsafeMutablePointer<Float>.allocate(capacity: max(1, cIn * h * w))
        defer { scratch.deallocate(); active.deallocate(); values.deallocate() }
        let wt = UnsafePointer(pw.data)
        let biasValues = bias?.storage
        x.storage.withUnsafeBufferPointer { xp in
            out.storage.withUnsafeMutableBufferPointer { op in
                for img in 0..<n {
                    // Active inputs as flat indices c·H·W + y·W + x, in memory order.
                    let src = xp.baseAddress! + img * cIn * h * w
                    var count = 0
                    for i in 0..<(cIn * h * w) where src[i] != 0 {
                        active[count] = Int32(truncatingIfNeeded: i)
                        values[count] = src[i]
                        count += 1
                    }
                    let nActive = count
                    // Column strips of 16 output channels are independent: split them over threads.
                    let strips = ldw / 16
                    SpikeProjection.inParallel(work: nActive * kh * kw * ldw + pixels * ldw, items: strips) { range in
                        let c0 = range.lowerBound * 16, c1 = range.upperBound * 16
                        for p in 0..<pixels {
                            let row = scratch + p * ldw
                            if let b = biasValues {
                                let split = min(max(c0, cOut), c1)
                                for c in c0..<split { row[c] = b[c] }
                                for c in split..<c1 { row[c] = 0 }
                            } else {
                                (row + c0).update(repeating: 0, count: c1 - c0)
                            }
                        }
                        for a in 0..<nActive {
                            let flat = Int(active[a])
                            let c = flat / (h * w), rem = flat - c * h * w
                            let y = rem / w, xx = rem - y * w
                            let v = SIMD16<Float>(repeating: values[a])
                            for ky in 0..<kh {
                                let oy = y + padH - ky
                                if oy < 0 || oy >= ho { continue }
                                for kx in 0..<kw {
                                    let ox = xx + padW - kx
                                    if ox < 0 || ox >= wo { continue }
                                    let wrow = wt + ((c * kh + ky) * kw + kx) * ldw
                                    let orow = scratch + (oy * wo + ox) * ldw
                                    var col = c0
                                    while col < c1 {
                                        let acc = UnsafeRawPointer(orow + col).loadUnaligned(as: SIMD16<Float>.self)
                                        let wv = UnsafeRawPointer(wrow + col).loadUnaligned(as: SIMD16<Float>.self)
                                        UnsafeMutableRawPointer(orow + col).storeBytes(of: acc + v * wv, as: SIMD16<Float>.self)
                                        col += 16
                                    }
                                }
                            }
                        }
                    }
                    // [pixels, ldw] → [C_out, pixels].
                    let dst = op.baseAddress! + img * cOut * pixels
                    for p in 0..<pixels {
                        let row = scratch + p * ldw
                        for c in 0..<cOut { dst[c * pixels + p] = row[c] }
                    }
                }
            }
        }
        return out
    }
}
