/// Fully connected layers and pooling on contiguous tensors.
public enum Linear {
    /// `y = x · Wᵀ + b` over the last axis, PyTorch `F.linear`.
    /// - Parameters:
    ///   - x: `[..., in]`.
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]` or nil.
    /// - Returns: `[..., out]`.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                     "linear: x \(x.shape) does not match weight \(weight.shape)")
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        let m = x.count / max(inF, 1)
        var out = Tensor(shape: Array(x.shape.dropLast()) + [outF])
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    if let bias {
                        precondition(bias.count == outF, "linear: bias has \(bias.count) elements, expected \(outF)")
                        for r in 0..<m { for j in 0..<outF { op[r * outF + j] = bias.storage[j] } }
                    }
                    BLAS.sgemm(transB: true, m: m, n: outF, k: inF, a: xp.baseAddress!, lda: inF,
                               b: wp.baseAddress!, ldb: inF, beta: bias == nil ? 0 : 1,
                               c: op.baseAddress!, ldc: outF)
                }
            }
        }
        return out
    }
}

/// Max pooling, PyTorch `F.max_pool2d` semantics (padding counts as −∞).
public enum MaxPool2d {
    /// - Parameters:
    ///   - x: `[N, C, H, W]`.
    ///   - geometry: window, stride, padding (the models use 3 / 2 / 1).
    /// - Returns: `[N, C, H_out, W_out]`.
    public static func forward(_ x: Tensor, geometry g: Conv2dGeometry = Conv2dGeometry(kernel: 3, stride: 2, padding: 1)) -> Tensor {
        precondition(x.rank == 4, "max_pool2d: expected [N,C,H,W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (g.outH(h), g.outW(w))
        var out = Tensor(shape: [n, c, ho, wo])
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(n * c) {
                    let ib = plane * h * w, ob = plane * ho * wo
                    for oy in 0..<ho {
                        let y0 = max(0, oy * g.strideH - g.padH), y1 = min(h, oy * g.strideH - g.padH + g.kernelH)
                        for ox in 0..<wo {
                            let x0 = max(0, ox * g.strideW - g.padW), x1 = min(w, ox * g.strideW - g.padW + g.kernelW)
                            var m = -Float.infinity
                            for y in y0..<y1 { for xx in x0..<x1 { m = max(m, src[ib + y * w + xx]) } }
                            dst[ob + oy * wo + ox] = m
                        }
                    }
                }
            }
        }
        return out
    }
}
