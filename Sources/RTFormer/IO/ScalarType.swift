/// Element types that `.npy` arrays and PyTorch storages may hold; all are converted to Float32
/// (integers exactly up to 2^24, Float64 rounded once).
enum ScalarType: String, Sendable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Element `i` of little-endian data starting at `base`.
    func load(_ bytes: [UInt8], base: Int, index i: Int) -> Float {
        let at = base + i * size
        switch self {
        case .float32: return Float(bitPattern: UInt32(ByteCursor.load(bytes, at, 4)))
        case .float64: return Float(Double(bitPattern: ByteCursor.load(bytes, at, 8)))
        case .float16: return Safetensors.halfToFloat(UInt16(ByteCursor.load(bytes, at, 2)))
        case .bfloat16: return Float(bitPattern: UInt32(ByteCursor.load(bytes, at, 2)) << 16)
        case .int64: return Float(Int64(bitPattern: ByteCursor.load(bytes, at, 8)))
        case .int32: return Float(Int32(bitPattern: UInt32(ByteCursor.load(bytes, at, 4))))
        case .int16: return Float(Int16(bitPattern: UInt16(ByteCursor.load(bytes, at, 2))))
        case .int8: return Float(Int8(bitPattern: bytes[at]))
        case .uint8: return Float(bytes[at])
        case .bool: return bytes[at] != 0 ? 1 : 0
        }
    }

    /// `count` contiguous elements starting at byte `base`; the caller has checked the bounds.
    func decode(_ bytes: [UInt8], base: Int, count: Int) -> [Float] {
        if self == .float32 {
            var out = [Float](repeating: 0, count: count)
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[base..<(base + 4 * count)]))
                }
            }
            #if _endian(big)
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
            #endif
            return out
        }
        return (0..<count).map { load(bytes, base: base, index: $0) }
    }
}
