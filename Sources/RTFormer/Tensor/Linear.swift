/// Fully connected layers on contiguous tensors.
public enum Linear {
    /// `y = x · Wᵀ + b` over the last axis, PyTorch `F.linear(x, weight, bias)`; one `cblas_sgemm`
    /// over all leading axes at once (`M = x.count / in`).
    /// - Parameters:
    ///   - x: `[..., in]`, e.g. tokens `[T, B, N, D]`.
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]` or nil.
    /// - Returns: `[..., out]`.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                     "linear: x \(x.shape) does not match weight \(weight.shape)")
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        if let bias { precondition(bias.count == outF, "linear: bias has \(bias.count) elements, expected \(outF)") }
        let m = inF == 0 ? x.count : x.count / inF
        var out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF])
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    guard let o = op.baseAddress else { return }
                    if let bias {
                        bias.storage.withUnsafeBufferPointer { bp in
                            for r in 0..<m { (o + r * outF).update(from: bp.baseAddress!, count: outF) }
                        }
                    } else if inF == 0 {
                        o.update(repeating: 0, count: m * outF)
                    }
                    guard inF > 0 else { return }
                    BLAS.sgemm(transB: true, m: m, n: outF, k: inF, a: xp.baseAddress!, lda: inF,
                               b: wp.baseAddress!, ldb: inF, beta: bias == nil ? 0 : 1,
                               c: o, ldc: outF)
                }
            }
        }
        return out
    }
}

/// Max pooling, PyTorch `F.max_pool2d(x, kernel, stride, padding)` semantics (padding counts as −∞,
/// floor output size, no dilation).
public enum MaxPool2d {
    /// - Parameters:
    ///   - x: `[N, C, H, W]`.
    ///   - geometry: window, stride, padding (the models use 3 / 2 / 1); `pad <= kernel/2` as PyTorch
    ///     requires, so every window holds at least one input element.
    /// - Returns: `[N, C, H_out, W_out]`, `H_out = (H + 2·pad − k) / stride + 1`.
    public static func forward(_ x: Tensor, geometry g: Conv2dGeometry = Conv2dGeometry(kernel: 3, stride: 2, padding: 1)) -> Tensor {
        precondition(x.rank == 4, "max_pool2d: expected [N,C,H,W], got \(x.shape)")
        precondition(2 * g.padH <= g.kernelH && 2 * g.padW <= g.kernelW, "max_pool2d: padding must be at most half the window")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(h + 2 * g.padH >= g.kernelH && w + 2 * g.padW >= g.kernelW && h > 0 && w > 0,
                     "max_pool2d: window \(g.kernelH)×\(g.kernelW) larger than padded input \(h)×\(w)")
        let (ho, wo) = (g.outH(h), g.outW(w))
        var out = Tensor(uninitializedShape: [n, c, ho, wo])
        // Separable: the max over the window's rows is taken first for a whole input row (a
        // contiguous, vectorizable pass), then each output takes the max over its columns of that
        // row. Column bounds depend on ox only, so they are computed once.
        let x0 = (0..<wo).map { max(0, $0 * g.strideW - g.padW) }
        let x1 = (0..<wo).map { min(w, $0 * g.strideW - g.padW + g.kernelW) }
        var rowMax = [Float](repeating: 0, count: w)
        x.storage.withUnsafeBufferPointer { srcBuf in
        out.storage.withUnsafeMutableBufferPointer { dstBuf in
        rowMax.withUnsafeMutableBufferPointer { tmpBuf in
        x0.withUnsafeBufferPointer { x0p in
        x1.withUnsafeBufferPointer { x1p in
            guard let src = srcBuf.baseAddress, let dst = dstBuf.baseAddress, let tmp = tmpBuf.baseAddress else { return }
            for plane in 0..<(n * c) {
                let ip = src + plane * h * w
                for oy in 0..<ho {
                    let y0 = max(0, oy * g.strideH - g.padH), y1 = min(h, oy * g.strideH - g.padH + g.kernelH)
                    tmp.update(from: ip + y0 * w, count: w)
                    for y in (y0 + 1)..<max(y0 + 1, y1) {
                        let r = ip + y * w
                        for i in 0..<w { tmp[i] = max(tmp[i], r[i]) }
                    }
                    let orow = dst + (plane * ho + oy) * wo
                    for ox in 0..<wo {
                        var m = tmp[x0p[ox]]
                        for xx in (x0p[ox] + 1)..<max(x0p[ox] + 1, x1p[ox]) { m = max(m, tmp[xx]) }
                        orow[ox] = m
                    }
                }
            }
        }
        }
        }
        }
        }
        return out
    }
}
