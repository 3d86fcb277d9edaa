/// Geometry of a 2-d convolution or pooling window, per axis (PyTorch `Conv2d` semantics:
/// zero padding, `out = (in + 2·pad − k) / stride + 1`).
public struct Conv2dGeometry: Sendable, Equatable {
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int

    public init(kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1, padH: Int, padW: Int) {
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
    }

    /// Square kernel `k`, stride `s`, padding `p` on both axes.
    public init(kernel k: Int, stride s: Int = 1, padding p: Int) {
        self.init(kernelH: k, kernelW: k, strideH: s, strideW: s, padH: p, padW: p)
    }

    /// Output height for input height `h`.
    @inlinable public func outH(_ h: Int) -> Int { (h + 2 * padH - kernelH) / strideH + 1 }
    /// Output width for input width `w`.
    @inlinable public func outW(_ w: Int) -> Int { (w + 2 * padW - kernelW) / strideW + 1 }

    /// Output positions `lo..<hi` along one axis whose tap `k` reads inside `0..<size`
    /// (`0 <= o·stride + k − pad < size`), so loops over them need no bounds test.
    @inlinable static func validRange(tap k: Int, size: Int, out: Int, stride: Int, pad: Int) -> Range<Int> {
        let lo = max(0, ceilDiv(pad - k, stride))
        let hi = min(out, ceilDiv(size + pad - k, stride))
        return lo..<max(lo, hi)
    }
}

/// Convolutions on `[N, C, H, W]` maps (N is usually T·B, SeqToANNContainer-style, SPEC §1).
public enum Conv2d {
    /// Dense convolutions whose per-image output has fewer positions than this are batched: the
    /// im2col patches of several images go into one wide GEMM (then copied back to NCHW), because
    /// 2-thread OpenBLAS splits a narrow `N = Ho·Wo` poorly. Measured with `rtformer bench
    /// --kernels` (release, load ≈ 2.6): 3×3 [8,64,8,8]→64 at 2 threads 0.46 ms batched vs 0.72 ms
    /// per image; at 1 thread both 0.62 ms; at 32×32 maps per-image GEMMs were as fast and skip the copy.
    static let batchBelowPositions = 1024
    /// Upper bound on the im2col buffer of one batched GEMM (floats; 16 Mi = 64 MiB).
    static let maxColumnFloats = 16 << 20

    /// 2-d convolution, PyTorch `F.conv2d(x, weight, bias, stride, padding, groups=groups)`.
    /// - Parameters:
    ///   - x: input `[N, C_in, H, W]`.
    ///   - weight: `[C_out, C_in/groups, kH, kW]`.
    ///   - bias: `[C_out]` or nil.
    ///   - strideH, strideW, padH, padW: stride and zero padding per axis; the kernel size comes
    ///     from `weight`. `padH`/`padW` may differ, e.g. (0, 1) for a 1×3 kernel.
    ///   - groups: `1` is dense (im2col + `cblas_sgemm`); `C_in == C_out == groups` is depthwise
    ///     (direct branch-free loop, TOOLCHAIN §3); anything else runs one GEMM per group.
    /// - Returns: `[N, C_out, H_out, W_out]`, `H_out = (H + 2·padH − kH) / strideH + 1`.
    /// - Precondition: shapes agree (a programmer error otherwise).
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, strideH: Int = 1, strideW: Int = 1,
                               padH: Int, padW: Int, groups: Int = 1) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d: expected x [N,C,H,W] and weight [Co,Ci/g,kH,kW], got \(x.shape), \(weight.shape)")
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cOut, cPerGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        precondition(groups >= 1 && cIn % groups == 0 && cOut % groups == 0 && cPerGroup == cIn / groups,
                     "conv2d: weight \(weight.shape) does not fit \(cIn) input channels in \(groups) groups")
        precondition(strideH >= 1 && strideW >= 1 && padH >= 0 && padW >= 0, "conv2d: bad stride/padding")
        if let bias { precondition(bias.count == cOut, "conv2d: bias has \(bias.count) elements, expected \(cOut)") }
        let g = Conv2dGeometry(kernelH: kh, kernelW: kw, strideH: strideH, strideW: strideW, padH: padH, padW: padW)
        let (ho, wo) = (g.outH(h), g.outW(w))
        precondition(h + 2 * padH >= kh && w + 2 * padW >= kw, "conv2d: kernel \(kh)×\(kw) larger than padded input \(h)×\(w)")
        var out = Tensor(uninitializedShape: [n, cOut, ho, wo])
        if groups == cIn && cPerGroup == 1 && cOut == cIn {
            depthwise(x, weight: weight, bias: bias, geometry: g, into: &out)
        } else {
            grouped(x, weight: weight, bias: bias, geometry: g, groups: groups, into: &out)
        }
        return out
    }

    /// Square-kernel convenience: the same stride and padding on both axes.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int,
                               groups: Int = 1) -> Tensor {
        forward(x, weight: weight, bias: bias, strideH: stride, strideW: stride, padH: padding, padW: padding, groups: groups)
    }

    /// Depthwise convolution (one kernel per channel) as a direct loop over a zero-padded copy of
    /// each plane, so no output position needs a bounds test. 3×3 stride 1 (the RepDW5 / deploy
    /// kernel) runs all nine taps per output row in one pass over `ox`, which vectorizes across
    /// the row; other kernels add one tap at a time to an output row that stays in L1.
    static func depthwise(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: Conv2dGeometry, into out: inout Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (out.shape[2], out.shape[3])
        let (kh, kw, sh, sw) = (g.kernelH, g.kernelW, g.strideH, g.strideW)
        let (ph, pw) = (h + 2 * g.padH, w + 2 * g.padW)
        let biasValues = bias?.storage ?? [Float](repeating: 0, count: c)
        // Zero borders are written once; each plane overwrites only the interior.
        var padded = [Float](repeating: 0, count: ph * pw)
        x.storage.withUnsafeBufferPointer { srcBuf in
        weight.storage.withUnsafeBufferPointer { wtBuf in
        biasValues.withUnsafeBufferPointer { bBuf in
        padded.withUnsafeMutableBufferPointer { padBuf in
        out.storage.withUnsafeMutableBufferPointer { dstBuf in
            let src = srcBuf.baseAddress!, wt = wtBuf.baseAddress!, dst = dstBuf.baseAddress!, pad = padBuf.baseAddress!
            let interior = pad + g.padH * pw + g.padW
            for plane in 0..<(n * c) {
                let ch = plane % c
                let inPlane = src + plane * h * w
                for y in 0..<h { (interior + y * pw).update(from: inPlane + y * w, count: w) }
                let taps = wt + ch * kh * kw
                let b = bBuf[ch]
                let outPlane = dst + plane * ho * wo
                if kh == 3 && kw == 3 && sh == 1 && sw == 1 {
                    let (w0, w1, w2, w3, w4) = (taps[0], taps[1], taps[2], taps[3], taps[4])
                    let (w5, w6, w7, w8) = (taps[5], taps[6], taps[7], taps[8])
                    for oy in 0..<ho {
                        let r0 = pad + oy * pw, r1 = r0 + pw, r2 = r1 + pw
                        let row = outPlane + oy * wo
                        // 8 outputs at a time with explicit vectors: LLVM leaves the scalar
                        // form unvectorized (it cannot prove `row` and the padded rows disjoint).
                        var ox = 0
                        while ox + 8 <= wo {
                            var acc = V8(repeating: b) + w0 * v8(r0 + ox) + w1 * v8(r0 + ox + 1) + w2 * v8(r0 + ox + 2)
                            acc += w3 * v8(r1 + ox) + w4 * v8(r1 + ox + 1) + w5 * v8(r1 + ox + 2)
                            acc += w6 * v8(r2 + ox) + w7 * v8(r2 + ox + 1) + w8 * v8(r2 + ox + 2)
                            UnsafeMutableRawPointer(row + ox).storeBytes(of: acc, as: V8.self)
                            ox += 8
                        }
                        while ox < wo {
                            var acc = b + w0 * r0[ox] + w1 * r0[ox + 1] + w2 * r0[ox + 2]
                            acc += w3 * r1[ox] + w4 * r1[ox + 1] + w5 * r1[ox + 2]
                            acc += w6 * r2[ox] + w7 * r2[ox + 1] + w8 * r2[ox + 2]
                            row[ox] = acc
                            ox += 1
                        }
                    }
                    continue
                }
                for oy in 0..<ho {
                    let row = outPlane + oy * wo
                    row.update(repeating: b, count: wo)
                    for ky in 0..<kh {
                        let r = pad + (oy * sh + ky) * pw
                        for kx in 0..<kw {
                            let wv = taps[ky * kw + kx]
                            let s = r + kx
                            if sw == 1 {
                                for ox in 0..<wo { row[ox] += wv * s[ox] }
                            } else {
                                for ox in 0..<wo { row[ox] += wv * s[ox * sw] }
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
        }
    }

    typealias V8 = SIMD8<Float>
    @inline(__always) static func v8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always) static func v8(_ p: UnsafeMutablePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

    /// Dense or grouped convolution: im2col (row copies with zero-filled borders) then
    /// `cblas_sgemm` per group: `out[Co_g, Ho·Wo] = W[Co_g, K] · col[K, Ho·Wo]`, `K = C_in/g·kH·kW`.
    /// Small maps are batched: the columns of `b` images sit side by side (`col[K, b·Ho·Wo]`) and one
    /// GEMM covers them all. A 1×1, stride-1, unpadded, single-image-per-GEMM case reads `x` directly.
    static func grouped(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: Conv2dGeometry, groups: Int, into out: inout Tensor) {
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cOut = weight.shape[0]
        let (ho, wo) = (out.shape[2], out.shape[3])
        let cg = cIn / groups, og = cOut / groups
        let k = cg * g.kernelH * g.kernelW
        let cols = ho * wo
        let pointwise = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padH == 0 && g.padW == 0
        let batch = cols >= batchBelowPositions ? 1 : max(1, min(n, maxColumnFloats / max(1, k * cols)))
        let needCol = batch > 1 || !pointwise
        var col = [Float](unsafeUninitializedCapacity: needCol ? k * cols * batch : 0) { _, c in c = needCol ? k * cols * batch : 0 }
        var scratch = [Float](unsafeUninitializedCapacity: batch > 1 ? og * cols * batch : 0) { _, c in c = batch > 1 ? og * cols * batch : 0 }
        x.storage.withUnsafeBufferPointer { srcBuf in
        weight.storage.withUnsafeBufferPointer { wtBuf in
        out.storage.withUnsafeMutableBufferPointer { dstBuf in
        col.withUnsafeMutableBufferPointer { colBuf in
        scratch.withUnsafeMutableBufferPointer { tmpBuf in
            let src = srcBuf.baseAddress!, wt = wtBuf.baseAddress!, dst = dstBuf.baseAddress!
            var img0 = 0
            while img0 < n {
                let nb = min(batch, n - img0)
                let width = nb * cols
                for grp in 0..<groups {
                    let wg = wt + grp * og * k
                    if batch == 1 {
                        let o = dst + (img0 * cOut + grp * og) * cols
                        let input = src + (img0 * cIn + grp * cg) * h * w
                        let b: UnsafePointer<Float>
                        if pointwise {
                            b = UnsafePointer(input)
                        } else {
                            im2col(input, channels: cg, h: h, w: w, geometry: g, ho: ho, wo: wo, ld: cols, into: colBuf.baseAddress!)
                            b = UnsafePointer(colBuf.baseAddress!)
                        }
                        BLAS.sgemm(m: og, n: cols, k: k, a: wg, lda: k, b: b, ldb: cols, c: o, ldc: cols)
                        addBias(bias, channels: grp * og..<(grp + 1) * og, cols: cols, into: o)
                    } else {
                        for j in 0..<nb {
                            im2col(src + ((img0 + j) * cIn + grp * cg) * h * w, channels: cg, h: h, w: w, geometry: g,
                                   ho: ho, wo: wo, ld: width, into: colBuf.baseAddress! + j * cols)
                        }
                        BLAS.sgemm(m: og, n: width, k: k, a: wg, lda: k, b: colBuf.baseAddress!, ldb: width,
                                   c: tmpBuf.baseAddress!, ldc: width)
                        for j in 0..<nb {
                            let o = dst + ((img0 + j) * cOut + grp * og) * cols
                            for co in 0..<og {
                                (o + co * cols).update(from: tmpBuf.baseAddress! + co * width + j * cols, count: cols)
                            }
                            addBias(bias, channels: grp * og..<(grp + 1) * og, cols: cols, into: o)
                        }
                    }
                }
                img0 += nb
            }
        }
        }
        }
        }
        }
    }

    /// Adds `bias[c]` to each `cols`-long row of `o` for the channels in `channels` (rows start at `o`).
    @inline(__always)
    static func addBias(_ bias: Tensor?, channels: Range<Int>, cols: Int, into o: UnsafeMutablePointer<Float>) {
        guard let bias else { return }
        bias.storage.withUnsafeBufferPointer { bp in
            for (r, co) in channels.enumerated() {
                let row = o + r * cols
                let b = bp[co]
                for i in 0..<cols { row[i] += b }
            }
        }
    }

    /// Lays out `[channels, H, W]` as `[channels·kH·kW, Ho·Wo]` patches, zero outside the image;
    /// row `r` of the patch matrix starts at `col + r·ld`.
    static func im2col(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, geometry g: Conv2dGeometry,
                       ho: Int, wo: Int, ld: Int, into col: UnsafeMutablePointer<Float>) {
        var row = 0
        for c in 0..<channels {
            let plane = src + c * h * w
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    let dstRow = col + row * ld
                    let r = Conv2dGeometry.validRange(tap: kx, size: w, out: wo, stride: g.strideW, pad: g.padW)
                    for oy in 0..<ho {
                        let d = dstRow + oy * wo
                        let iy = oy * g.strideH + ky - g.padH
                        if iy < 0 || iy >= h {
                            d.update(repeating: 0, count: wo)
                            continue
                        }
                        if r.lowerBound > 0 { d.update(repeating: 0, count: r.lowerBound) }
                        if r.upperBound < wo { (d + r.upperBound).update(repeating: 0, count: wo - r.upperBound) }
                        let s = plane + iy * w - g.padW + kx
                        if g.strideW == 1 {
                            (d + r.lowerBound).update(from: s + r.lowerBound, count: r.count)
                        } else {
                            for ox in r { d[ox] = s[ox * g.strideW] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

/// `ceil(a / b)` for `b > 0` and any sign of `a`.
@inlinable func ceilDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
}
