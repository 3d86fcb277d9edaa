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
}

/// Convolutions on `[N, C, H, W]` maps (N is usually T·B, SeqToANNContainer-style, SPEC §1).
public enum Conv2d {
    /// 2-d convolution, PyTorch `F.conv2d` semantics.
    /// - Parameters:
    ///   - x: input `[N, C_in, H, W]`.
    ///   - weight: `[C_out, C_in/groups, kH, kW]`.
    ///   - bias: `[C_out]` or nil.
    ///   - geometry: stride and per-axis zero padding; the kernel size comes from `weight`.
    ///   - groups: `1` is dense (im2col + `cblas_sgemm`); `C_in == C_out == groups` is depthwise
    ///     (direct branch-free loop, TOOLCHAIN §3); anything else runs one GEMM per group.
    /// - Returns: `[N, C_out, H_out, W_out]`.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, strideH: Int = 1, strideW: Int = 1,
                               padH: Int, padW: Int, groups: Int = 1) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d: expected x [N,C,H,W] and weight [Co,Ci/g,kH,kW], got \(x.shape), \(weight.shape)")
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cOut, cPerGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        precondition(cIn % groups == 0 && cOut % groups == 0 && cPerGroup == cIn / groups,
                     "conv2d: weight \(weight.shape) does not fit \(cIn) input channels in \(groups) groups")
        if let bias { precondition(bias.count == cOut, "conv2d: bias has \(bias.count) elements, expected \(cOut)") }
        let g = Conv2dGeometry(kernelH: kh, kernelW: kw, strideH: strideH, strideW: strideW, padH: padH, padW: padW)
        let (ho, wo) = (g.outH(h), g.outW(w))
        var out = Tensor(shape: [n, cOut, ho, wo])
        if groups == cIn && cPerGroup == 1 && cOut == cIn {
            depthwise(x, weight: weight, bias: bias, geometry: g, into: &out)
        } else {
            grouped(x, weight: weight, bias: bias, geometry: g, groups: groups, into: &out)
        }
        return out
    }

    /// Depthwise convolution (one kernel per channel) as a direct loop: for each tap, the valid
    /// output range is computed once, so the inner loop has no branches.
    static func depthwise(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: Conv2dGeometry, into out: inout Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (out.shape[2], out.shape[3])
        let (kh, kw) = (g.kernelH, g.kernelW)
        x.storage.withUnsafeBufferPointer { src in
            weight.storage.withUnsafeBufferPointer { wt in
                out.storage.withUnsafeMutableBufferPointer { dst in
                    for img in 0..<n {
                        for ch in 0..<c {
                            let inBase = (img * c + ch) * h * w
                            let outBase = (img * c + ch) * ho * wo
                            let b = bias?.storage[ch] ?? 0
                            for i in 0..<(ho * wo) { dst[outBase + i] = b }
                            for ky in 0..<kh {
                                // valid oy: 0 <= oy*s + ky - p < h
                                let oyLo = max(0, ceilDiv(g.padH - ky, g.strideH))
                                let oyHi = min(ho, ceilDiv(h + g.padH - ky, g.strideH))
                                for kx in 0..<kw {
                                    let wv = wt[(ch * kh + ky) * kw + kx]
                                    let oxLo = max(0, ceilDiv(g.padW - kx, g.strideW))
                                    let oxHi = min(wo, ceilDiv(w + g.padW - kx, g.strideW))
                                    if oxLo >= oxHi { continue }
                                    for oy in oyLo..<max(oyLo, oyHi) {
                                        let iy = oy * g.strideH + ky - g.padH
                                        let rowIn = inBase + iy * w - g.padW + kx
                                        let rowOut = outBase + oy * wo
                                        if g.strideW == 1 {
                                            for ox in oxLo..<oxHi { dst[rowOut + ox] += wv * src[rowIn + ox] }
                                        } else {
                                            for ox in oxLo..<oxHi { dst[rowOut + ox] += wv * src[rowIn + ox * g.strideW] }
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

    /// Dense or grouped convolution: im2col (row copies with zero-filled borders) then one
    /// `cblas_sgemm` per image and group: `out[Co_g, Ho·Wo] = W[Co_g, K] · col[K, Ho·Wo]`.
    static func grouped(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: Conv2dGeometry, groups: Int, into out: inout Tensor) {
        let (n, cIn, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cOut = weight.shape[0]
        let (ho, wo) = (out.shape[2], out.shape[3])
        let cg = cIn / groups, og = cOut / groups
        let k = cg * g.kernelH * g.kernelW
        let cols = ho * wo
        var col = [Float](repeating: 0, count: k * cols)
        x.storage.withUnsafeBufferPointer { src in
            weight.storage.withUnsafeBufferPointer { wt in
                out.storage.withUnsafeMutableBufferPointer { dst in
                    col.withUnsafeMutableBufferPointer { colp in
                        for img in 0..<n {
                            for grp in 0..<groups {
                                im2col(src.baseAddress! + (img * cIn + grp * cg) * h * w, channels: cg, h: h, w: w,
                                       geometry: g, ho: ho, wo: wo, into: colp.baseAddress!)
                                BLAS.sgemm(m: og, n: cols, k: k, a: wt.baseAddress! + grp * og * k, lda: k,
                                           b: colp.baseAddress!, ldb: cols,
                                           c: dst.baseAddress! + (img * cOut + grp * og) * cols, ldc: cols)
                            }
                        }
                    }
                    if let bias {
                        bias.storage.withUnsafeBufferPointer { bp in
                            for img in 0..<n {
                                for co in 0..<cOut {
                                    let base = (img * cOut + co) * cols
                                    let b = bp[co]
                                    for i in 0..<cols { dst[base + i] += b }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Lays out `[channels, H, W]` as `[channels·kH·kW, Ho·Wo]` patches, zero outside the image.
    static func im2col(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, geometry g: Conv2dGeometry,
                       ho: Int, wo: Int, into col: UnsafeMutablePointer<Float>) {
        var row = 0
        for c in 0..<channels {
            let plane = src + c * h * w
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    let dstRow = col + row * ho * wo
                    let oxLo = max(0, ceilDiv(g.padW - kx, g.strideW))
                    let oxHi = max(oxLo, min(wo, ceilDiv(w + g.padW - kx, g.strideW)))
                    for oy in 0..<ho {
                        let d = dstRow + oy * wo
                        let iy = oy * g.strideH + ky - g.padH
                        if iy < 0 || iy >= h {
                            d.update(repeating: 0, count: wo)
                            continue
                        }
                        if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                        if oxHi < wo { (d + oxHi).update(repeating: 0, count: wo - oxHi) }
                        let s = plane + iy * w - g.padW + kx
                        if g.strideW == 1 {
                            (d + oxLo).update(from: s + oxLo, count: oxHi - oxLo)
                        } else {
                            for ox in oxLo..<oxHi { d[ox] = s[ox * g.strideW] }
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
