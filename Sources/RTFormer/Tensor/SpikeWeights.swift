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
        // The kernels address weight rows by 32-bit offsets (`row · ldw`).
        precondition(ldw * max(1, inF) <= Int(Int32.max), "spike weights: [\(outF), \(inF)] is too large for 32-bit row offsets")
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
