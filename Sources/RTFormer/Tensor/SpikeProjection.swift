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
    /// Measured with `rtformer bench --kernels --threads 2 --rates 2 10 20 25 30 35 40 50`
    /// (release, `-target-cpu haswell`, 2-core AMD EPYC, load average 4.7–5.8 from neighbouring
    /// builds, 2-thread sgemm 1024³ at 250 GFLOP/s, i.e. the second core free) on a 1×1 conv
    /// [8, 384, 8, 8] → 384, a linear [512, 384] → 384 and one timestep of a B = 1 MLP fc1
    /// [64, 384] → 1536, weights packed once, both kernels on the same thread count.
    /// Dense: 1.24 / 1.18 / 0.66 ms at 1 thread, 0.67–0.69 / 0.61 / 0.35 ms at 2 threads.
    /// Spike-driven, 1 thread: 0.45 / 0.39 / 0.21 ms at 20 %, 0.68 / 0.63 / 0.32 at 30 %,
    /// 0.92 / 0.86 / 0.42 at 40 %, 1.13 / 1.06 / 0.52 at 50 %; 2 threads: 0.23 / 0.26 / 0.12 at
    /// 20 %, 0.33 / 0.30 / 0.18 at 30 %, 0.46 / 0.41 / 0.23 at 40 %, 0.55 / 0.51 / 0.56 at 50 %.
    /// Crossover about 50 % at both thread counts. The threshold stays at the 0.30 measured on
    /// the earlier single-threaded 16-column kernel: raising it (0.40 would leave a margin; the
    /// spike kernel is still 1.3–1.5× faster there) moves layers firing at 30–40 % from sgemm to
    /// the spike kernel, whose summation order differs, so their outputs would change in the
    /// last bits (the fixture tests pass with 0.40; whole-forward dumps of S-T-4-384, sdt-tiny
    /// and the trained digits model then differ from today's).
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

    /// Firing rate below which `.auto` takes the k×k scatter convolution (`Conv2d.forwardSpikes`)
    /// instead of im2col + sgemm: 0.30 as before issue 10 (not re-measured; kept apart from
    /// `sparseBelowRate` so that either can move alone).
    public static let scatterBelowRate: Float = 0.30

    /// Resolves `.auto` for an input with the given firing rate: `.sparse` below `threshold`.
    static func choose(_ kernel: SpikeKernel, rate: @autoclosure () -> Float, below threshold: Float = sparseBelowRate) -> SpikeKernel {
        guard kernel == .auto else { return kernel }
        return rate() < threshold ? .sparse : .dense
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
    /// with rows `ldw` floats apart (see `SpikeWeights`).
    /// The output is written to `out + r·outF` (row-major `[m, outF]`).
    ///
    /// First the active inputs of every row are compacted into one list of weight-row offsets
    /// (CSR). Then the output is built in column strips (see `accumulate`). In profiles (perf) of
    /// the first version the per-element compaction cost as much as the accumulation; the
    /// 16-lane mask scan below cut the 5 %-rate linear from about 0.6 to 0.4 ms.
    static func sparseRows(x: UnsafePointer<Float>, m: Int, inF: Int, rowStride: Int,
                           wt: UnsafePointer<Float>, ldw: Int, outF: Int, bias: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<Float>) {
        let capacity = max(m * inF, 1)
        let offset = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let value = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let rowStart = UnsafeMutablePointer<Int>.allocate(capacity: m + 1)
        let binary = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, m))
        defer { offset.deallocate(); value.deallocate(); rowStart.deallocate(); binary.deallocate() }
        var active = 0
        for r in 0..<m {
            rowStart[r] = active
            let xr = x + r * rowStride
            binary[r] = scanNonZero(xr, count: inF) { i, v in
                offset[active] = Int32(truncatingIfNeeded: i &* ldw)
                value[active] = v
                active &+= 1
            }
        }
        rowStart[m] = active
        accumulate(m: m, rowStart: rowStart, offset: offset, value: value, binary: binary, wt: wt, outF: outF,
                   bias: bias, out: out, channelMajor: false, channelStride: 0)
    }

    /// The accumulation half of `sparseRows`: `out[r, c] = bias[c] + Σ_{j in row r} value[j] ·
    /// wt[offset[j] + c]` over the CSR lists `rowStart`/`offset`/`value` (`offset[j]`: the active
    /// input's weight row times `ldw`; `binary[r]`: every value of row `r` is 1), for every
    /// column `c < outF`.
    /// `channelMajor == false` writes `out` as `[m, outF]`; `true` writes channel `c` of row `r`
    /// to `out[c · channelStride + r]` (NCHW for a 1×1 conv: `m` consecutive pixels of an image
    /// with `channelStride` = H·W), through a pixel-major strip buffer transposed per strip.
    ///
    /// The output is built in column strips of 32 floats (then 16, then single columns): a strip
    /// of `wt` (`in` × 128 bytes, 48 KiB for `in` = 384) stays in L1/L2 while every row sums its
    /// active weight rows in registers, rather than each row streaming all of `wt`. Summation
    /// order, per output element: binary input, four accumulators `a0…a3` (`a0` starts at the
    /// bias, the others at 0) take the active rows in turn, j ≡ 0, 1, 2, 3 (mod 4) within whole
    /// groups of four, `a0` also takes the remaining 0–3 rows in order, and the result is
    /// `(a0 + a1) + (a2 + a3)`; a row holding another non-zero value (pooled or summed spikes,
    /// 2, 3…), `a0` takes `value · w` of every active row in order (the same
    /// `(a0 + 0) + (0 + 0)` at the end); columns past the last whole 16 sum `bias + value · w`
    /// in order. Binary or not is decided per row, so this order depends neither on the strip
    /// width nor on how rows and columns are split across threads. For 0/1 inputs it is the
    /// order of the 16-column kernel this replaced (bit-identical results); that kernel decided
    /// binary per call (linear: per thread's rows; 1×1 conv: per image), so a binary row next to
    /// a non-binary one now takes the four-accumulator order.
    static func accumulate(m: Int, rowStart: UnsafePointer<Int>, offset: UnsafePointer<Int32>, value: UnsafePointer<Float>,
                           binary: UnsafePointer<Bool>, wt: UnsafePointer<Float>, outF: Int, bias: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<Float>, channelMajor: Bool, channelStride: Int) {
        typealias V = SIMD16<Float>
        let tmp: UnsafeMutablePointer<Float>? = channelMajor ? .allocate(capacity: max(1, m * 32)) : nil
        defer { tmp?.deallocate() }
        @inline(__always) func w(_ strip: UnsafePointer<Float>, _ j: Int) -> V { load(strip + Int(offset[j])) }
        /// Writes the `[m, width]` strip buffer to channels `c ..< c + width`.
        @inline(__always) func spill(_ tmp: UnsafeMutablePointer<Float>, _ c: Int, _ width: Int) {
            for k in 0..<width {
                let d = out + (c + k) * channelStride
                for r in 0..<m { d[r] = tmp[r * width + k] }
            }
        }
        var c = 0
        // 32-column strips: 8 SIMD16 accumulators (16 ymm registers under AVX2); the weight rows
        // of the 4 actives of a group feed 8 independent add chains.
        while c + 32 <= outF {
            let strip = wt + c
            let hi = strip + 16
            for r in 0..<m {
                var a0 = bias.map { load($0 + c) } ?? V(), a1 = V(), a2 = V(), a3 = V()
                var b0 = bias.map { load($0 + c + 16) } ?? V(), b1 = V(), b2 = V(), b3 = V()
                var j = rowStart[r]
                let end = rowStart[r + 1]
                if binary[r] {
                    while j + 4 <= end {
                        a0 += w(strip, j); b0 += w(hi, j)
                        a1 += w(strip, j + 1); b1 += w(hi, j + 1)
                        a2 += w(strip, j + 2); b2 += w(hi, j + 2)
                        a3 += w(strip, j + 3); b3 += w(hi, j + 3)
                        j += 4
                    }
                    while j < end { a0 += w(strip, j); b0 += w(hi, j); j += 1 }
                } else {
                    while j < end {
                        let v = V(repeating: value[j])
                        a0 += v * w(strip, j); b0 += v * w(hi, j)
                        j += 1
                    }
                }
                if let tmp {
                    store((a0 + a1) + (a2 + a3), tmp + r * 32)
                    store((b0 + b1) + (b2 + b3), tmp + r * 32 + 16)
                } else {
                    store((a0 + a1) + (a2 + a3), out + r * outF + c)
                    store((b0 + b1) + (b2 + b3), out + r * outF + c + 16)
                }
            }
            if let tmp { spill(tmp, c, 32) }
            c += 32
        }
        while c + 16 <= outF {
            let strip = wt + c
            for r in 0..<m {
                var a0 = bias.map { load($0 + c) } ?? V(), a1 = V(), a2 = V(), a3 = V()
                var j = rowStart[r]
                let end = rowStart[r + 1]
                if binary[r] {
                    while j + 4 <= end {
                        a0 += w(strip, j)
                        a1 += w(strip, j + 1)
                        a2 += w(strip, j + 2)
                        a3 += w(strip, j + 3)
                        j += 4
                    }
                    while j < end { a0 += w(strip, j); j += 1 }
                } else {
                    while j < end { a0 += V(repeating: value[j]) * w(strip, j); j += 1 }
                }
                if let tmp {
                    store((a0 + a1) + (a2 + a3), tmp + r * 16)
                } else {
                    store((a0 + a1) + (a2 + a3), out + r * outF + c)
                }
            }
            if let tmp { spill(tmp, c, 16) }
            c += 16
        }
        while c < outF {
            for r in 0..<m {
                var a = bias?[c] ?? 0
                for j in rowStart[r]..<rowStart[r + 1] { a += value[j] * wt[Int(offset[j]) + c] }
                out[channelMajor ? c * channelStride + r : r * outF + c] = a
            }
            c += 1
        }
    }

    /// Active lists of `m` consecutive pixels of one NCHW image (channel `ch` of pixel `p` at
    /// `x[ch · channelStride + p]`), in the CSR layout of `sparseRows` (per pixel: ascending
    /// channel), built without transposing the image: a 16-lane counting pass gives every
    /// pixel's count, then a mask-scan pass fills the lists.
    /// `rowStart` holds `m + 1` entries, `offset`/`value` `inF·m`, `binary` `m` (whether every
    /// non-zero of the pixel is 1); `offset` is the channel times `ldw` (the weight row's start).
    static func activePerPixel(x: UnsafePointer<Float>, m: Int, channelStride: Int, inF: Int, ldw: Int,
                               rowStart: UnsafeMutablePointer<Int>, offset: UnsafeMutablePointer<Int32>,
                               value: UnsafeMutablePointer<Float>, binary: UnsafeMutablePointer<Bool>) {
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: m + 16)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: m + 16)
        for ch in 0..<inF {
            let xr = x + ch * channelStride
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
        binary.initialize(repeating: true, count: m)
        for ch in 0..<inF {
            let xr = x + ch * channelStride
            let c32 = Int32(truncatingIfNeeded: ch &* ldw)
            let channelBinary = scanNonZero(xr, count: m) { q, v in
                let k = cursor[q]
                offset[k] = c32
                value[k] = v
                cursor[q] = k &+ 1
            }
            if !channelBinary {
                for q in 0..<m where xr[q] != 0 && xr[q] != 1 { binary[q] = false }
            }
        }
    }

    /// Runs `body` over `0..<items` split into contiguous ranges on up to `BLAS.threads` threads
    /// (the dense path's thread count, so `OPENBLAS_NUM_THREADS` / `--threads` govern both), through
    /// the spinning `KernelThreads` pool: a model's spike projections are 30–300 µs each, too
    /// short for a fork-join that wakes sleeping threads. Up to `maxPartsPerThread` ranges per
    /// thread are claimed dynamically, so a core taken by another process delays only its share.
    /// Jobs below `minWorkPerPart` elements touched per range stay on the calling thread.
    /// - Parameter work: elements read and written in all (e.g. `rows · (in + out)`).
    static func inParallel(work: Int, items: Int, maxPartsPerThread: Int = 2, _ body: @escaping (Range<Int>) -> Void) {
        let threads = BLAS.threads
        let parts = min(threads * maxPartsPerThread, items, max(1, work / minWorkPerPart))
        guard threads > 1, parts > 1 else { body(0..<items); return }
        KernelThreads.shared.run(parts: parts) { p in
            body((items * p / parts)..<(items * (p + 1) / parts))
        }
    }

    /// Smallest job split across threads, in elements touched per part (about 5–10 µs of work).
    static let minWorkPerPart = 8 << 10

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
