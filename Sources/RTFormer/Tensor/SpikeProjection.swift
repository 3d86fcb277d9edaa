/// Which kernel computes a projection (1×1 conv or linear) whose input is spikes.
public enum SpikeKernel: String, Sendable, CaseIterable {
    /// Measure the input's firing rate and pick `.sparse` below `SpikeProjection.sparseBelowRate`.
    case auto
    /// Dense `cblas_sgemm`, as for any real-valued input.
    case dense
    /// Spike-driven: accumulate the weight columns of the active (non-zero) inputs only.
    case sparse
}

/// Spike-driven projections (DESIGN §3): for a binary input row `s`, `W·s = Σ_{i: s_i = 1} W[:, i]`,
/// an accumulate-only sum over the active inputs, so the work scales with the firing rate
/// instead of with `in`. Non-binary sparse inputs (e.g. pooled spikes with values 0/1/2) are
/// handled too: an active input with value `v ≠ 1` adds `v · W[:, i]`. Results equal the dense
/// path up to float summation order.
public enum SpikeProjection {
    /// Firing rate (fraction of non-zero inputs) below which `.auto` takes the sparse kernel.
    ///
    /// Measured with `rtformer bench --kernels` (release, `-target-cpu haswell`, 2 cores, load
    /// noted in the bench output) on a 1×1 conv [8, 384, 8, 8] → 384 and linear [512, 384] → 384:
    /// sparse beats 1-thread OpenBLAS below about 25 % and 2-thread OpenBLAS below about 12–15 %.
    /// The auto rule uses the threshold of the current `BLAS.threads`.
    public static var sparseBelowRate: Float { BLAS.threads > 1 ? 0.12 : 0.25 }

    /// Fraction of non-zero elements of `x` (0 for an empty tensor).
    public static func firingRate(_ x: Tensor) -> Float {
        guard x.count > 0 else { return 0 }
        let nonZero = x.storage.withUnsafeBufferPointer { p in
            var c = 0
            for v in p { c &+= v != 0 ? 1 : 0 }
            return c
        }
        return Float(nonZero) / Float(x.count)
    }

    /// Resolves `.auto` for an input with the given firing rate.
    static func choose(_ kernel: SpikeKernel, rate: @autoclosure () -> Float) -> SpikeKernel {
        guard kernel == .auto else { return kernel }
        return rate() < sparseBelowRate ? .sparse : .dense
    }

    /// `out[r, :] = bias + Σ_{i: x(r,i) ≠ 0} x(r,i) · wt[i, :]` for `r in 0..<m`, where input element
    /// `(r, i)` sits at `x + r·rowStride + i·colStride` and `wt` is the transposed weight `[in, out]`.
    /// The output is written to `out + r·outF` (row-major `[m, outF]`).
    ///
    /// Per row, the active inputs are first compacted (branch-free) into an index list; then the
    /// output is built in 64-float chunks held in registers (4 × SIMD16), each chunk summing the
    /// active weight rows, so every weight element loaded is used once and the accumulator never
    /// touches memory until the chunk is done.
    static func sparseRows(x: UnsafePointer<Float>, m: Int, inF: Int, rowStride: Int, colStride: Int,
                           wt: UnsafePointer<Float>, outF: Int, bias: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<Float>) {
        let index = UnsafeMutablePointer<Int>.allocate(capacity: max(inF, 1))
        let value = UnsafeMutablePointer<Float>.allocate(capacity: max(inF, 1))
        defer { index.deallocate(); value.deallocate() }
        for r in 0..<m {
            let xr = x + r * rowStride
            var active = 0
            var binary = true
            for i in 0..<inF {
                let v = xr[i * colStride]
                index[active] = i
                value[active] = v
                binary = binary && (v == 0 || v == 1)
                active &+= v != 0 ? 1 : 0
            }
            accumulate(index: index, value: binary ? nil : value, active: active, wt: wt, outF: outF,
                       bias: bias, out: out + r * outF)
        }
    }

    /// One output row: `out[:] = bias + Σ_j value[j] · wt[index[j], :]` (`value` nil means all ones).
    @inline(__always)
    private static func accumulate(index: UnsafePointer<Int>, value: UnsafePointer<Float>?, active: Int,
                                   wt: UnsafePointer<Float>, outF: Int, bias: UnsafePointer<Float>?,
                                   out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var c = 0
        while c + 64 <= outF {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            if let bias { a0 = load(bias + c); a1 = load(bias + c + 16); a2 = load(bias + c + 32); a3 = load(bias + c + 48) }
            if let value {
                for j in 0..<active {
                    let p = wt + index[j] * outF + c
                    let v = V(repeating: value[j])
                    a0 += v * load(p); a1 += v * load(p + 16); a2 += v * load(p + 32); a3 += v * load(p + 48)
                }
            } else {
                for j in 0..<active {
                    let p = wt + index[j] * outF + c
                    a0 += load(p); a1 += load(p + 16); a2 += load(p + 32); a3 += load(p + 48)
                }
            }
            store(a0, out + c); store(a1, out + c + 16); store(a2, out + c + 32); store(a3, out + c + 48)
            c += 64
        }
        while c + 16 <= outF {
            var a = bias.map { load($0 + c) } ?? V()
            for j in 0..<active {
                let p = wt + index[j] * outF + c
                a += (value.map { V(repeating: $0[j]) } ?? V(repeating: 1)) * load(p)
            }
            store(a, out + c)
            c += 16
        }
        while c < outF {
            var a = bias?[c] ?? 0
            for j in 0..<active { a += (value?[j] ?? 1) * wt[index[j] * outF + c] }
            out[c] = a
            c += 1
        }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) private static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// `weight[out, in]` (a linear weight, or a 1×1 conv weight viewed as 2-d) transposed to `[in, out]`.
    static func transposed(_ weight: Tensor, outF: Int, inF: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: outF * inF) { dst, n in
            n = outF * inF
            weight.storage.withUnsafeBufferPointer { src in
                for o in 0..<outF {
                    for i in 0..<inF { dst[i * outF + o] = src[o * inF + i] }
                }
            }
        }
    }
}

extension Linear {
    /// `y = x · Wᵀ + b` for a sparse (spike) input, PyTorch `F.linear` semantics.
    /// - Parameters:
    ///   - x: `[..., in]`, typically binary spikes `[T, B, N, D]`; any values are allowed.
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]` or nil.
    ///   - kernel: `.auto` (by measured firing rate, `SpikeProjection.sparseBelowRate`), `.dense`
    ///     or `.sparse`.
    /// - Returns: `[..., out]`, equal to `forward(x, weight:, bias:)` up to summation order.
    public static func forwardSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, kernel: SpikeKernel = .auto) -> Tensor {
        guard SpikeProjection.choose(kernel, rate: SpikeProjection.firingRate(x)) == .sparse else {
            return forward(x, weight: weight, bias: bias)
        }
        precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                     "linear: x \(x.shape) does not match weight \(weight.shape)")
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        if let bias { precondition(bias.count == outF, "linear: bias has \(bias.count) elements, expected \(outF)") }
        let m = inF == 0 ? 0 : x.count / inF
        if m == 0 || outF == 0 { return forward(x, weight: weight, bias: bias) }
        let wt = SpikeProjection.transposed(weight, outF: outF, inF: inF)
        var out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF])
        x.storage.withUnsafeBufferPointer { xp in
        wt.withUnsafeBufferPointer { wp in
        out.storage.withUnsafeMutableBufferPointer { op in
            let (xb, wb, o) = (xp.baseAddress!, wp.baseAddress!, op.baseAddress!)
            let run = { (b: UnsafePointer<Float>?) in
                SpikeProjection.sparseRows(x: xb, m: m, inF: inF, rowStride: inF, colStride: 1,
                                           wt: wb, outF: outF, bias: b, out: o)
            }
            if let bias { bias.storage.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
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
    public static func pointwiseSpikes(_ x: Tensor, weight: Tensor, bias: Tensor?, kernel: SpikeKernel = .auto) -> Tensor {
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
        let wt = SpikeProjection.transposed(weight, outF: cOut, inF: cIn)
        var out = Tensor(uninitializedShape: [n, cOut, h, w])
        // Per image: rows are pixels (input stride 1 between pixels, hw between channels), giving
        // `[hw, C_out]` in a scratch buffer, then transposed into the NCHW output.
        var pixelMajor = [Float](unsafeUninitializedCapacity: hw * cOut) { _, c in c = hw * cOut }
        x.storage.withUnsafeBufferPointer { xp in
        wt.withUnsafeBufferPointer { wp in
        out.storage.withUnsafeMutableBufferPointer { op in
        pixelMajor.withUnsafeMutableBufferPointer { tp in
            let xb = xp.baseAddress!, wb = wp.baseAddress!, o = op.baseAddress!, t = tp.baseAddress!
            let run = { (b: UnsafePointer<Float>?) in
                for img in 0..<n {
                    SpikeProjection.sparseRows(x: xb + img * cIn * hw, m: hw, inF: cIn, rowStride: 1, colStride: hw,
                                               wt: wb, outF: cOut, bias: b, out: t)
                    let oi = o + img * cOut * hw
                    for p in 0..<hw {
                        let row = t + p * cOut
                        for co in 0..<cOut { oi[co * hw + p] = row[co] }
                    }
                }
            }
            if let bias { bias.storage.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
        }
        }
        }
        }
        return out
    }
}
