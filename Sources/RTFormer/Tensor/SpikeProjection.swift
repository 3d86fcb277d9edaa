import Dispatch

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
    /// Measured with `rtformer bench --kernels --rates 5 15 25 30 40 50` (release, `-target-cpu
    /// haswell`, 2-core AMD EPYC, load average 2.2–2.8 from neighbouring builds) on a 1×1 conv
    /// [8, 384, 8, 8] → 384 and a linear [512, 384] → 384, both kernels on the same thread count.
    /// 1 thread: dense 1.44 ms (linear) / 1.56 ms (conv); spike-driven 0.29 / 0.55 ms at 5 %,
    /// 0.55 / 0.82 at 15 %, 0.89 / 1.17 at 25 %, 1.05 / 1.32 at 30 %, 1.31 / 1.60 at 40 %:
    /// crossover about 45 % (linear) and 40 % (conv). 2 threads, second core free: dense 0.76–0.78 /
    /// 0.88–0.91 ms; spike-driven 0.40 / 0.48 at 15 %, 0.57 / 0.72 at 25 %, 1.07 / 0.95 at 40 %:
    /// crossover about 35–40 %. 30 % leaves a margin below both; the models' layers fire at 3–25 %.
    public static let sparseBelowRate: Float = 0.30

    /// Fraction of non-zero elements of `x` (0 for an empty tensor).
    public static func firingRate(_ x: Tensor) -> Float {
        guard x.count > 0 else { return 0 }
        let nonZero = x.storage.withUnsafeBufferPointer { p in
            // 16 lanes at a time: a lane-wise count of non-zeros, summed once at the end.
            let base = p.baseAddress!
            var lanes = SIMD16<Int32>()
            var i = 0
            while i + 16 <= p.count {
                let v = load(base + i)
                lanes &+= SIMD16<Int32>().replacing(with: 1, where: v .!= 0)
                i += 16
            }
            var c = Int(lanes.wrappedSum())
            while i < p.count { c &+= base[i] != 0 ? 1 : 0; i += 1 }
            return c
        }
        return Float(nonZero) / Float(x.count)
    }

    /// Resolves `.auto` for an input with the given firing rate.
    static func choose(_ kernel: SpikeKernel, rate: @autoclosure () -> Float) -> SpikeKernel {
        guard kernel == .auto else { return kernel }
        return rate() < sparseBelowRate ? .sparse : .dense
    }

    /// Calls `visit(i, row[i])` for every non-zero element of `row[0..<count]`, `i` ascending.
    /// 16 inputs at a time: the non-zero lanes become a 16-bit mask (a select of powers of two
    /// plus a horizontal sum, which vectorizes), and only its set bits are visited.
    /// - Returns: whether every non-zero element was exactly 1 (binary spikes).
    @inline(__always)
    static func scanNonZero(_ row: UnsafePointer<Float>, count: Int, _ visit: (Int, Float) -> Void) -> Bool {
        var binary = true
        var i = 0
        while i + 16 <= count {
            let v = load(row + i)
            let fired = v .!= 0
            var mask = SIMD16<UInt32>(repeating: 0).replacing(with: laneBits, where: fired).wrappedSum()
            if mask != 0 {
                binary = binary && !any(fired .& (v .!= 1))
                while mask != 0 {
                    let lane = mask.trailingZeroBitCount
                    visit(i + lane, row[i + lane])
                    mask &= mask &- 1
                }
            }
            i += 16
        }
        while i < count {
            let v = row[i]
            if v != 0 {
                visit(i, v)
                binary = binary && v == 1
            }
            i += 1
        }
        return binary
    }

    /// `out[r, :] = bias + Σ_{i: x(r,i) ≠ 0} x(r,i) · wt[i, :]` for `r in 0..<m`, where input row `r`
    /// is `in` contiguous floats at `x + r·rowStride` and `wt` is the transposed weight `[in, out]`
    /// with rows `ldw` floats apart (see `transposed`).
    /// The output is written to `out + r·outF` (row-major `[m, outF]`).
    ///
    /// First the active inputs of every row are compacted into one index list (CSR). Then the
    /// output is built in 16-float column strips: a strip of `wt` (`in` × 64 bytes, 24 KiB for
    /// `in` = 384) stays in L1 while every row sums its active weight rows into four register
    /// accumulators, rather than each row streaming all of `wt` from L2. In profiles (perf) of
    /// the first version the per-element compaction cost as much as the accumulation; the
    /// 16-lane mask scan below cut the 5 %-rate linear from about 0.6 to 0.4 ms.
    static func sparseRows(x: UnsafePointer<Float>, m: Int, inF: Int, rowStride: Int,
                           wt: UnsafePointer<Float>, ldw: Int, outF: Int, bias: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<Float>) {
        let capacity = max(m * inF, 1)
        let index = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let value = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let rowStart = UnsafeMutablePointer<Int>.allocate(capacity: m + 1)
        defer { index.deallocate(); value.deallocate(); rowStart.deallocate() }
        var active = 0
        var binary = true
        for r in 0..<m {
            rowStart[r] = active
            let xr = x + r * rowStride
            let rowBinary = scanNonZero(xr, count: inF) { i, v in
                index[active] = Int32(truncatingIfNeeded: i)
                value[active] = v
                active &+= 1
            }
            binary = binary && rowBinary
        }
        rowStart[m] = active
        accumulate(m: m, rowStart: rowStart, index: index, value: value, binary: binary, wt: wt, ldw: ldw, outF: outF,
                   bias: bias, columns: 0..<outF, out: out, channelMajor: false)
    }

    /// The accumulation half of `sparseRows` for the output columns `columns` (a lower bound that
    /// is a multiple of 16): `out[r, c] = bias[c] + Σ_{j in row r} value[j] · wt[index[j], c]`
    /// over the CSR lists `rowStart`/`index`/`value` (`binary`: every value is 1).
    /// `channelMajor == false` writes `out` as `[m, outF]`; `true` writes `[outF, m]` (NCHW for
    /// a 1×1 conv with `m` pixels), through a pixel-major strip buffer transposed per 16 columns.
    /// Each output element sums the same terms in the same order in both layouts and for any
    /// split of the columns.
    static func accumulate(m: Int, rowStart: UnsafePointer<Int>, index: UnsafePointer<Int32>, value: UnsafePointer<Float>,
                           binary: Bool, wt: UnsafePointer<Float>, ldw: Int, outF: Int, bias: UnsafePointer<Float>?,
                           columns: Range<Int>, out: UnsafeMutablePointer<Float>, channelMajor: Bool) {
        typealias V = SIMD16<Float>
        let tmp: UnsafeMutablePointer<Float>? = channelMajor ? .allocate(capacity: max(1, m * 16)) : nil
        defer { tmp?.deallocate() }
        var c = columns.lowerBound
        while c + 16 <= columns.upperBound {
            let strip = wt + c
            for r in 0..<m {
                var a0 = bias.map { load($0 + c) } ?? V(), a1 = V(), a2 = V(), a3 = V()
                var j = rowStart[r]
                let end = rowStart[r + 1]
                if binary {
                    while j + 4 <= end {
                        a0 += load(strip + Int(index[j]) * ldw)
                        a1 += load(strip + Int(index[j + 1]) * ldw)
                        a2 += load(strip + Int(index[j + 2]) * ldw)
                        a3 += load(strip + Int(index[j + 3]) * ldw)
                        j += 4
                    }
                    while j < end { a0 += load(strip + Int(index[j]) * ldw); j += 1 }
                } else {
                    while j < end { a0 += V(repeating: value[j]) * load(strip + Int(index[j]) * ldw); j += 1 }
                }
                if let tmp {
                    store((a0 + a1) + (a2 + a3), tmp + r * 16)
                } else {
                    store((a0 + a1) + (a2 + a3), out + r * outF + c)
                }
            }
            if let tmp {
                for k in 0..<16 {
                    let d = out + (c + k) * m
                    for r in 0..<m { d[r] = tmp[r * 16 + k] }
                }
            }
            c += 16
        }
        while c < columns.upperBound {
            for r in 0..<m {
                var a = bias?[c] ?? 0
                for j in rowStart[r]..<rowStart[r + 1] { a += value[j] * wt[Int(index[j]) * ldw + c] }
                out[channelMajor ? c * m + r : r * outF + c] = a
            }
            c += 1
        }
    }

    /// Active lists per pixel of one NCHW image `[inF, m]` (`m` = H·W), in the CSR layout of
    /// `sparseRows` (per pixel: ascending channel), built without transposing the image: a
    /// 16-lane counting pass gives every pixel's count, then a mask-scan pass fills the lists.
    /// `rowStart` holds `m + 1` entries, `index`/`value` `inF·m`. Returns whether every non-zero is 1.
    static func activePerPixel(x: UnsafePointer<Float>, m: Int, inF: Int, rowStart: UnsafeMutablePointer<Int>,
                               index: UnsafeMutablePointer<Int32>, value: UnsafeMutablePointer<Float>) -> Bool {
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: m + 16)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: m + 16)
        for ch in 0..<inF {
            let xr = x + ch * m
            var p = 0
            while p + 16 <= m {
                let old = UnsafeRawPointer(counts + p).loadUnaligned(as: SIMD16<Int32>.self)
                let add = SIMD16<Int32>().replacing(with: 1, where: load(xr + p) .!= 0)
                UnsafeMutableRawPointer(counts + p).storeBytes(of: old &+ add, as: SIMD16<Int32>.self)
                p += 16
            }
            while p < m { counts[p] &+= xr[p] != 0 ? 1 : 0; p += 1 }
        }
        var total = 0
        for p in 0..<m {
            rowStart[p] = total
            total &+= Int(counts[p])
        }
        rowStart[m] = total
        // Fill cursors, one per pixel, starting at the pixel's list.
        let cursor = UnsafeMutablePointer<Int>.allocate(capacity: max(1, m))
        defer { cursor.deallocate() }
        cursor.update(from: rowStart, count: m)
        var binary = true
        for ch in 0..<inF {
            let xr = x + ch * m
            let c32 = Int32(truncatingIfNeeded: ch)
            let channelBinary = scanNonZero(xr, count: m) { q, v in
                let k = cursor[q]
                index[k] = c32
                value[k] = v
                cursor[q] = k &+ 1
            }
            binary = binary && channelBinary
        }
        return binary
    }

    /// Runs `body` over `0..<items` split into up to `BLAS.threads` contiguous ranges, one per
    /// thread (the same thread count as the dense path, so `OPENBLAS_NUM_THREADS` governs both).
    /// Small jobs (`work` below ~64 Ki elements touched) stay on the calling thread.
    static func inParallel(work: Int, items: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(BLAS.threads, items, max(1, work / (64 << 10)))
        guard parts > 1 else { body(0..<items); return }
        // Each part writes a disjoint output range, so sharing the raw pointers `body` captures
        // across threads is safe; the compiler cannot see that.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                body((items * p / parts)..<(items * (p + 1) / parts))
            }
        }
    }

    /// Calls `body` with a pointer to `values`' elements, or nil.
    static func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// `1 << lane` for each of 16 lanes.
    static let laneBits = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) private static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}

/// A projection weight `[out, in]` (a linear weight, or a 1×1 conv weight `[out, in, 1, 1]`)
/// transposed once to `[in, out]` for the spike kernel, in 64-byte-aligned rows `ldw` floats
/// apart. `ldw` is `out` rounded up to whole 64-byte lines and made an odd number of lines: with
/// an even count (384 floats = 24 lines) the rows of one 16-float strip fall into only 8 of the
/// 64 L1 sets and evict each other; alignment keeps each strip row in one line instead of two.
/// Pack once per layer and reuse: transposing on every call cost a third of a model's forward.
public final class SpikeWeights: @unchecked Sendable {
    public let outF: Int
    public let inF: Int
    let ldw: Int
    let data: UnsafeMutablePointer<Float>

    /// - Parameter weight: `[out, in]` or `[out, in, 1, 1]`.
    public init(_ weight: Tensor) {
        precondition(weight.rank == 2 || (weight.rank == 4 && weight.shape[2] == 1 && weight.shape[3] == 1),
                     "spike weights: expected [out, in] or [out, in, 1, 1], got \(weight.shape)")
        outF = weight.shape[0]
        inF = weight.shape[1]
        var lines = (outF + 15) / 16
        if lines % 2 == 0 { lines += 1 }
        ldw = lines * 16
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, ldw * inF) * 4, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(1, ldw * inF))
        let (outF, inF, ldw, d) = (outF, inF, ldw, data)
        weight.storage.withUnsafeBufferPointer { src in
            guard let s = src.baseAddress else { return }
            for i in 0..<inF {
                let row = d + i * ldw
                for o in 0..<outF { row[o] = s[o * inF + i] }
                (row + outF).initialize(repeating: 0, count: ldw - outF)
            }
        }
    }

    deinit { data.deallocate() }
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
        // Per image: per-pixel active-channel lists straight from NCHW (no transpose of the input),
        // then the sparse accumulation writes NCHW through a small per-strip buffer.
        let biasValues = bias?.storage
        let pw = packed ?? SpikeWeights(weight)
        precondition(pw.outF == cOut && pw.inF == cIn, "pointwise conv: packed weights [\(pw.outF), \(pw.inF)] do not match \(weight.shape)")
        let (wb, ldw) = (UnsafePointer(pw.data), pw.ldw)
        do {
        x.storage.withUnsafeBufferPointer { xp in
        out.storage.withUnsafeMutableBufferPointer { op in
            let xb = xp.baseAddress!, o = op.baseAddress!
            SpikeProjection.withOptionalPointer(biasValues) { b in
                let index = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, hw * cIn))
                let value = UnsafeMutablePointer<Float>.allocate(capacity: max(1, hw * cIn))
                let rowStart = UnsafeMutablePointer<Int>.allocate(capacity: hw + 1)
                defer { index.deallocate(); value.deallocate(); rowStart.deallocate() }
                for img in 0..<n {
                    let binary = SpikeProjection.activePerPixel(x: xb + img * cIn * hw, m: hw, inF: cIn, rowStart: rowStart,
                                                                index: index, value: value)
                    // 16-channel column strips are independent: split them across the BLAS thread count.
                    let strips = (cOut + 15) / 16
                    SpikeProjection.inParallel(work: hw * (cIn + cOut), items: strips) { range in
                        SpikeProjection.accumulate(m: hw, rowStart: rowStart, index: index, value: value, binary: binary,
                                                   wt: wb, ldw: ldw, outF: cOut, bias: b,
                                                   columns: (range.lowerBound * 16)..<min(cOut, range.upperBound * 16),
                                                   out: o + img * cOut * hw, channelMajor: true)
                    }
                }
            }
        }
        }
        }
        return out
    }
}
