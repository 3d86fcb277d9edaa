/// A dense, row-major (C-contiguous) Float32 tensor.
///
/// Value semantics: the storage is a Swift `Array`, copied on write. Layout conventions used
/// across the engine: image maps `[T, B, C, H, W]`, token maps `[T, B, N, D]`, weights in
/// PyTorch layout (`[C_out, C_in/groups, kH, kW]` for convolutions, `[out, in]` for linears).
/// Hot loops reach the storage through `withUnsafeBufferPointer` (bounds checks cost ~4× here,
/// TOOLCHAIN §3).
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first. `[]` is a scalar holding one element.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.product`.
    public var storage: [Float]

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor over existing elements; `storage.count` must equal the product of `shape`.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) holds \(shape.reduce(1, *)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor whose elements are left uninitialized, for kernels that overwrite every element
    /// (saves the zero-fill pass of `init(shape:)`).
    init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        let n = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Float](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
    }

    /// A scalar (0-d) tensor.
    public init(scalar: Float) {
        self.init(shape: [], storage: [scalar])
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// The same elements viewed with another shape (same element count; one axis may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        return Tensor(shape: resolved, storage: storage)
    }

    /// Element at a multi-index (slow path; for tests and views, not for hot loops).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    /// Row-major flat offset of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of range for shape \(shape)")
            offset = offset * extent + i
        }
        return offset
    }

    /// The sub-tensor at `index` along axis 0: `[d0, rest...] → [rest...]`.
    public func slice(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "slice \(index) out of range for \(shape)")
        let inner = Array(shape.dropFirst())
        let n = inner.reduce(1, *)
        return Tensor(shape: inner, storage: Array(storage[(index * n)..<((index + 1) * n)]))
    }

    /// Stacks equally shaped tensors along a new leading axis: `k × [rest] → [k, rest]`.
    public static func stack(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0]) }
        var storage = [Float]()
        storage.reserveCapacity(first.count * parts.count)
        for p in parts {
            precondition(p.shape == first.shape, "stack: shapes \(p.shape) and \(first.shape) differ")
            storage.append(contentsOf: p.storage)
        }
        return Tensor(shape: [parts.count] + first.shape, storage: storage)
    }

    /// Largest absolute value (0 for an empty tensor).
    public var maxAbs: Float {
        storage.withUnsafeBufferPointer { p in
            var m: Float = 0
            for v in p { m = max(m, abs(v)) }
            return m
        }
    }

    /// Sum of all elements, accumulated in Float64.
    public var sum: Double {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return s
        }
    }

    /// Element-wise map into a new tensor of the same shape.
    public func map(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, storage: storage.map(f))
    }

    /// Element-wise sum of two equally shaped tensors.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "add: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        out.add(rhs)
        return out
    }

    /// In-place element-wise `self += other` (same shape).
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        let n = count
        storage.withUnsafeMutableBufferPointer { d in
            other.storage.withUnsafeBufferPointer { s in
                for i in 0..<n { d[i] += s[i] }
            }
        }
    }

    /// Mean over the given axes, keeping the others in order (accumulated in Float64), like
    /// PyTorch `x.mean(dim=axes)`.
    ///
    /// Adjacent axes are merged first, so the common cases run as contiguous row sums: a trailing
    /// block (`[T, B, C, H, W]` over `[3, 4]`), a middle block (`[T, B, N, C]` over `[2]`) or a
    /// leading one (`[T, B, C]` over `[0]`). Other sets reduce one merged block at a time.
    /// - Parameter axes: axes to reduce (any order, duplicates ignored), e.g. `[3, 4]` for a
    ///   spatial mean of `[T, B, C, H, W]`.
    /// - Returns: the tensor with those axes removed (`[]`, a scalar, when all are reduced).
    public func mean(axes: [Int]) -> Tensor {
        let reduce = Set(axes)
        precondition(reduce.allSatisfy { $0 >= 0 && $0 < rank }, "mean: axes \(axes) out of range for \(shape)")
        let outShape = shape.enumerated().filter { !reduce.contains($0.offset) }.map(\.element)
        // Merge runs of adjacent axes with the same role into blocks: (extent, reduced).
        var blocks: [(extent: Int, reduced: Bool)] = []
        for (ax, extent) in shape.enumerated() {
            let r = reduce.contains(ax)
            if let last = blocks.last, last.reduced == r {
                blocks[blocks.count - 1].extent *= extent
            } else {
                blocks.append((extent, r))
            }
        }
        let reducedCount = reduce.reduce(1) { $0 * shape[$1] }
        var sums: [Double] = []
        var first = true
        var dims = blocks
        // Reduce the innermost reduced block until none is left; each pass is [outer, red, inner].
        while let bi = dims.lastIndex(where: { $0.reduced }) {
            let outer = dims[..<bi].reduce(1) { $0 * $1.extent }
            let red = dims[bi].extent
            let inner = dims[(bi + 1)...].reduce(1) { $0 * $1.extent }
            if first {
                sums = storage.withUnsafeBufferPointer { Tensor.sumMiddle($0, outer: outer, red: red, inner: inner) }
                first = false
            } else {
                sums = sums.withUnsafeBufferPointer { Tensor.sumMiddle($0, outer: outer, red: red, inner: inner) }
            }
            dims.remove(at: bi)
            // Blocks on either side are both kept: merge them so the next pass sees one block.
            if bi > 0, bi < dims.count, !dims[bi - 1].reduced, !dims[bi].reduced {
                dims[bi - 1].extent *= dims[bi].extent
                dims.remove(at: bi)
            }
        }
        if first { return Tensor(shape: outShape, storage: storage) }
        if reducedCount == 0 { return Tensor(shape: outShape, repeating: .nan) }
        let scale = 1.0 / Double(reducedCount)
        let outCount = outShape.reduce(1, *)
        return Tensor(shape: outShape, storage: (0..<outCount).map { Float(sums[$0] * scale) })
    }

    /// Sums `[outer, red, inner]` over the middle axis into `[outer, inner]`, row by row so the
    /// inner loop is a contiguous (vectorizable) add.
    private static func sumMiddle<S: BinaryFloatingPoint>(_ src: UnsafeBufferPointer<S>, outer: Int, red: Int, inner: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: outer * inner) { dst, initialized in
            initialized = outer * inner
            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
            if inner == 1 {
                // Four partial sums break the add dependency chain of a long contiguous row.
                for o in 0..<outer {
                    let row = s + o * red
                    var (a0, a1, a2, a3) = (0.0, 0.0, 0.0, 0.0)
                    var r = 0
                    while r + 4 <= red {
                        a0 += Double(row[r]); a1 += Double(row[r + 1]); a2 += Double(row[r + 2]); a3 += Double(row[r + 3])
                        r += 4
                    }
                    while r < red { a0 += Double(row[r]); r += 1 }
                    d[o] = (a0 + a1) + (a2 + a3)
                }
                return
            }
            d.update(repeating: 0, count: outer * inner)
            for o in 0..<outer {
                let drow = d + o * inner
                for r in 0..<red {
                    let srow = s + (o * red + r) * inner
                    for i in 0..<inner { drow[i] += Double(srow[i]) }
                }
            }
        }
    }

    /// Permutes axes: output axis `i` is input axis `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permute: \(order) is not a permutation of \(rank) axes")
        let outShape = order.map { shape[$0] }
        let inStrides = strides
        let srcStrides = order.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for flat in 0..<count {
                    var off = 0
                    for a in 0..<rank { off += index[a] * srcStrides[a] }
                    dst[flat] = src[off]
                    var a = rank - 1
                    while a >= 0 {
                        index[a] += 1
                        if index[a] < outShape[a] { break }
                        index[a] = 0
                        a -= 1
                    }
                }
            }
        }
        return Tensor(shape: outShape, storage: out)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

/// Shape arithmetic used by layer descriptions.
extension Collection where Element == Int {
    /// Product of the extents (1 for an empty shape).
    public var product: Int { reduce(1, *) }
}
