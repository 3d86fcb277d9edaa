extension Linear {
    /// `y = x · Wᵀ + b` for a sparse (spike) input, PyTorch `F.linear` semantics.
    /// - Parameters:
    ///   - x: `[..., in]`, typically binary spikes `[T, B, N, D]`; any values are allowed.
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]` or nil.
    ///   - kernel: `.auto` (by measured firing rate, `SpikeProjection.sparseBelowRate`), `.dense`
    ///     or `.sparse`.
    /// - Returns: `[..., out]`, equal to `forward(x, weight:, bias:)` up to summation order.
    ///   - packed: `weight` already packed (`SpikeWeights(weight)`); packed here when nil.
    public static func forwardSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, kernel: SpikeKernel = .auto,
                                     packed: SpikeWeights? = nil) -> Tensor {
        guard SpikeProjection.choose(kernel, rate: SpikeProjection.firingRate(x)) == .sparse else {
            return forward(x, weight: weight, bias: bias)
        }
        precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                     "linear: x \(x.shape) does not match weight \(weight.shape)")
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        if let bias { precondition(bias.count == outF, "linear: bias has \(bias.count) elements, expected \(outF)") }
        let m = inF == 0 ? 0 : x.count / inF
        if m == 0 || outF == 0 { return forward(x, weight: weight, bias: bias) }
        var out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF])
        let biasValues = bias?.storage
        let pw = packed ?? SpikeWeights(weight)
        precondition(pw.outF == outF && pw.inF == inF, "linear: packed weights [\(pw.outF), \(pw.inF)] do not match \(weight.shape)")
        let (wb, ldw) = (UnsafePointer(pw.data), pw.ldw)
        do {
        x.storage.withUnsafeBufferPointer { xp in
        out.storage.withUnsafeMutableBufferPointer { op in
            let (xb, o) = (xp.baseAddress!, op.baseAddress!)
            SpikeProjection.withOptionalPointer(biasValues) { b in
                // Rows are independent: split them across the BLAS thread count.
                SpikeProjection.inParallel(work: m * (inF + outF), items: m) { rows in
                    SpikeProjection.sparseRows(x: xb + rows.lowerBound * inF, m: rows.count, inF: inF, rowStride: inF,
                                               wt: wb, ldw: ldw, outF: outF, bias: b, out: o + rows.lowerBound * outF)
                }
            }
        }
        }
        }
        return out
    }
}

extension Conv2d {
    /// 1×1 convolution (stride 1, no padding) on a sparse (spike) input, PyTorch
    /// `F.conv2d(x, weight, bias)` semantics: `out[n, :, p] = b + Σ_{c: x[n,c,p] ≠ 0} x[n,c,p] · W[:, c]`.
    /// - Parameters:
    ///   - x: `[N, C_in, H, W]`, typically binary spikes with `N = T·B`; any values are allowed.
    ///   - weight: `[C_out, C_in, 1, 1]`.
    ///   - bias: `[C_out]` or nil.
    ///   - kernel: `.auto` (by measured firing rate, `SpikeProjection.sparseBelowRate`), `.dense`
    ///     (`forward`, one GEMM) or `.sparse`.
    /// - Returns: `[N, C_out, H, W]`, equal to `forward(x, weight:, bias:, padH: 0, padW: 0)` up to
    ///   summation order.
    ///   - packed: `weight` already packed (`SpikeWeights(weight)`); packed here when nil.
    public static func pointwiseSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, kernel: SpikeKernel = .auto,
                                       packed: SpikeWeights? = nil) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4 && weight.shape[2] == 1 && weight.shape[3] == 1 && weight.shape[1] == x.shape[1],
                     "pointwise conv: expected x [N,C,H,W] and weight [Co,C,1,1], got \(x.shape), \(weight.shape)")
        guard SpikeProjection.choose(kernel, rate: SpikeProjection.firingRate(x)) == .sparse else {
            return forward(x, weight: weight, bias: bias, padH: 0, padW: 0)
        }
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cOut = weight.shape[0]
        if let bias { precondition(bias.count == cOut, "conv2d: bias has \(bias.count) elements, expected \(cOut)") }
        let hw = h * w
        if n * hw * cOut * cIn == 0 { return forward(x, weight: weight, bias: bias, padH: 0, padW: 0) }
        var out = Tensor(uninitializedShape: [n, cOut, h, w])
        // Pixels (of all images) are split into ranges across threads; per range and image, the
        // per-pixel active-channel lists come straight from NCHW (no transpose of the input), and
        // the sparse accumulation writes NCHW through a small per-strip buffer. A pixel's sum is
        // the same whichever range it falls in.
        let biasValues = bias?.storage
        let pw = packed ?? SpikeWeights(weight)
        precondition(pw.outF == cOut && pw.inF == cIn, "pointwise conv: packed weights [\(pw.outF), \(pw.inF)] do not match \(weight.shape)")
        let ldw = pw.ldw
        let wb = UnsafePointer(pw.data)
        do {
        x.storage.withUnsafeBufferPointer { xp in
        out.storage.withUnsafeMutableBufferPointer { op in
            let xb = xp.baseAddress!, o = op.baseAddress!
            SpikeProjection.withOptionalPointer(biasValues) { b in
                SpikeProjection.inParallel(work: n * hw * (cIn + cOut), items: n * hw) { range in
                    let offset = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, range.count * cIn))
                    let value = UnsafeMutablePointer<Float>.allocate(capacity: max(1, range.count * cIn))
                    let rowStart = UnsafeMutablePointer<Int>.allocate(capacity: range.count + 1)
                    let binary = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, range.count))
                    defer { offset.deallocate(); value.deallocate(); rowStart.deallocate(); binary.deallocate() }
                    var q = range.lowerBound
                    while q < range.upperBound {
                        let img = q / hw, p0 = q % hw
                        let count = min(hw - p0, range.upperBound - q)
                        SpikeProjection.activePerPixel(x: xb + img * cIn * hw + p0, m: count, channelStride: hw, inF: cIn,
                                                       ldw: ldw, rowStart: rowStart, offset: offset, value: value, binary: binary)
                        SpikeProjection.accumulate(m: count, rowStart: rowStart, offset: offset, value: value, binary: binary,
                                                   wt: wb, outF: cOut, bias: b, out: o + img * cOut * hw + p0,
                                                   channelMajor: true, channelStride: hw)
                        q += count
                    }
                }
            }
        }
        }
        }
        return out
    }
}
