import Foundation

/// Everything that can be wrong with a safetensors file, each case naming the file and, where
/// there is one, the tensor key.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case tooShort(file: String, size: Int)
    case headerLengthOutOfRange(file: String, headerLength: UInt64, fileSize: Int)
    case headerNotJSON(file: String, reason: String)
    case headerNotObject(file: String)
    case badEntry(file: String, key: String, reason: String)
    case unsupportedDType(file: String, key: String, dtype: String)
    case offsetsOutOfRange(file: String, key: String, begin: Int, end: Int, dataSize: Int)
    case sizeMismatch(file: String, key: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    case overlap(file: String, key: String, other: String)
    case badMetadata(file: String, reason: String)
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read safetensors file: \(reason)"
        case let .tooShort(file, size):
            return "\(file): not a safetensors file: \(size) bytes, expected at least 8 (header length)"
        case let .headerLengthOutOfRange(file, len, size):
            return "\(file): header length \(len) does not fit in the file (\(size) bytes, 8-byte prefix)"
        case let .headerNotJSON(file, reason):
            return "\(file): header is not valid UTF-8 JSON: \(reason)"
        case let .headerNotObject(file):
            return "\(file): header must be a JSON object of tensor entries"
        case let .badEntry(file, key, reason):
            return "\(file): tensor '\(key)': \(reason)"
        case let .unsupportedDType(file, key, dtype):
            return "\(file): tensor '\(key)': unsupported dtype '\(dtype)' (expected one of F32, F16, BF16, F64, I64, I32, U8, BOOL)"
        case let .offsetsOutOfRange(file, key, b, e, size):
            return "\(file): tensor '\(key)': data_offsets [\(b), \(e)] outside the data section (\(size) bytes)"
        case let .sizeMismatch(file, key, shape, dtype, expected, actual):
            return "\(file): tensor '\(key)': shape \(shape) of \(dtype) needs \(expected) bytes, data_offsets span \(actual)"
        case let .overlap(file, key, other):
            return "\(file): tensor '\(key)' overlaps tensor '\(other)' in the data section"
        case let .badMetadata(file, reason):
            return "\(file): __metadata__: \(reason)"
        case let .writeFailed(file, reason):
            return "\(file): cannot write safetensors file: \(reason)"
        }
    }
}

/// Element types a safetensors file may hold; all are read into Float32.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .u8, .bool: return 1
        }
    }
}

/// The contents of one safetensors file: tensors (converted to Float32), their original dtypes,
/// the order they appear in the data section, and the `__metadata__` string map.
public struct SafetensorsFile: Sendable {
    public var tensors: [String: Tensor]
    public var dtypes: [String: SafetensorsDType]
    /// Keys sorted by their data offset (the order a writer laid them out).
    public var keys: [String]
    public var metadata: [String: String]
}

/// Reader and writer for the safetensors format (8-byte little-endian header length, a JSON
/// header `{key: {dtype, shape, data_offsets}, "__metadata__": {str: str}}`, then raw data).
public enum Safetensors {
    /// Reads and validates a whole file.
    /// - Throws: `SafetensorsError` naming the file and key: unreadable file, header length out of
    ///   range, invalid JSON, unknown dtype, offsets outside the data section, byte count that is not
    ///   shape × dtype size, overlapping tensors, non-string metadata. Nothing partial is returned.
    public static func read(path: String) throws -> SafetensorsFile {
        let data: Data
        do {
            data = try InputBytes.readData(path, format: "safetensors")
        } catch let e as InputError {
            throw SafetensorsError.unreadable(file: path, reason: e.found)
        }
        return try parse(data, file: path)
    }

    /// Validates and decodes safetensors bytes; `file` names the source in errors.
    public static func parse(_ data: Data, file: String) throws -> SafetensorsFile {
        guard data.count >= 8 else { throw SafetensorsError.tooShort(file: file, size: data.count) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafetensorsError.headerLengthOutOfRange(file: file, headerLength: headerLength, fileSize: data.count)
        }
        let headerStart = data.startIndex + 8
        let headerEnd = headerStart + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data[headerStart..<headerEnd], options: [])
        } catch {
            throw SafetensorsError.headerNotJSON(file: file, reason: (error as NSError).localizedDescription)
        }
        guard let header = json as? [String: Any] else { throw SafetensorsError.headerNotObject(file: file) }
        let dataSize = data.count - 8 - Int(headerLength)

        var metadata: [String: String] = [:]
        struct Entry { let key: String; let dtype: SafetensorsDType; let shape: [Int]; let begin: Int; let end: Int }
        var entries: [Entry] = []
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw SafetensorsError.badMetadata(file: file, reason: "expected an object of strings")
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw SafetensorsError.badMetadata(file: file, reason: "value of '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else {
                throw SafetensorsError.badEntry(file: file, key: key, reason: "entry is not an object")
            }
            guard let dtypeName = info["dtype"] as? String else {
                throw SafetensorsError.badEntry(file: file, key: key, reason: "missing string field 'dtype'")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw SafetensorsError.unsupportedDType(file: file, key: key, dtype: dtypeName)
            }
            guard let shapeAny = info["shape"] as? [Any], let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.badEntry(file: file, key: key, reason: "field 'shape' must be an array of non-negative integers")
            }
            guard let offAny = info["data_offsets"] as? [Any], let offsets = integers(offAny), offsets.count == 2 else {
                throw SafetensorsError.badEntry(file: file, key: key, reason: "field 'data_offsets' must be [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= dataSize else {
                throw SafetensorsError.offsetsOutOfRange(file: file, key: key, begin: begin, end: end, dataSize: dataSize)
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (m, o) = acc.0.multipliedReportingOverflow(by: d)
                return (m, acc.1 || o)
            }
            let (bytes, overflow2) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, !overflow2, bytes == end - begin else {
                throw SafetensorsError.sizeMismatch(file: file, key: key, shape: shape, dtype: dtypeName,
                                                    expectedBytes: overflow || overflow2 ? Int.max : bytes,
                                                    actualBytes: end - begin)
            }
            entries.append(Entry(key: key, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end, $0.key) < ($1.begin, $1.end, $1.key) }
        // Compare each non-empty tensor with the furthest-reaching one before it (not just its
        // neighbour: an empty tensor between two overlapping ones must not hide the overlap).
        var reach: Entry?
        for e in entries where e.end > e.begin {
            if let r = reach, e.begin < r.end { throw SafetensorsError.overlap(file: file, key: e.key, other: r.key) }
            if reach == nil || e.end > reach!.end { reach = e }
        }

        let base = headerEnd
        var tensors: [String: Tensor] = [:]
        var dtypes: [String: SafetensorsDType] = [:]
        for e in entries {
            let count = e.shape.product
            var out = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let src = UnsafeRawBufferPointer(rebasing: raw[(base + e.begin - data.startIndex)..<(base + e.end - data.startIndex)])
                out.withUnsafeMutableBufferPointer { dst in decode(src, dtype: e.dtype, into: dst) }
            }
            tensors[e.key] = Tensor(shape: e.shape, storage: out)
            dtypes[e.key] = e.dtype
        }
        return SafetensorsFile(tensors: tensors, dtypes: dtypes, keys: entries.map(\.key), metadata: metadata)
    }

    /// Writes tensors as F32 with the given metadata, atomically (a temporary file renamed into
    /// place, so a failed write never leaves a half-written file).
    /// - Parameter tensors: `(key, tensor)` pairs; data is laid out in this order.
    /// - Throws: `SafetensorsError.writeFailed` naming the file.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to path: String) throws {
        let bytes = try serialize(tensors, metadata: metadata, file: path)
        do {
            try AtomicFile.write(bytes, to: path)
        } catch let e as FileWriteError {
            throw SafetensorsError.writeFailed(file: path, reason: e.reason)
        }
    }

    /// The bytes of a safetensors file holding `tensors` as F32.
    public static func serialize(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], file: String = "<memory>") throws -> Data {
        var header: [String: Any] = [:]
        var seen = Set<String>()
        var offset = 0
        for (key, t) in tensors {
            guard key != "__metadata__", seen.insert(key).inserted else {
                throw SafetensorsError.writeFailed(file: file, reason: "duplicate or reserved key '\(key)'")
            }
            header[key] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw SafetensorsError.writeFailed(file: file, reason: "header JSON: \((error as NSError).localizedDescription)")
        }
        // Pad the header with spaces so the data section starts 8-byte aligned.
        while (json.count % 8) != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            t.storage.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: UInt8.self) { out.append(contentsOf: UnsafeBufferPointer(start: $0.baseAddress, count: 4 * t.count)) }
            }
        }
        return out
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            // JSON `true`/`false` also arrive as NSNumber (objCType "c"); they are not integers.
            guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    private static func decode(_ src: UnsafeRawBufferPointer, dtype: SafetensorsDType, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = dst.count
        switch dtype {
        case .f32:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f64:
            for i in 0..<n { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .f16:
            for i in 0..<n { dst[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
        case .i64:
            for i in 0..<n { dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        case .i32:
            for i in 0..<n { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .u8:
            for i in 0..<n { dst[i] = Float(src[i]) }
        case .bool:
            for i in 0..<n { dst[i] = src[i] != 0 ? 1 : 0 }
        }
    }

    /// IEEE 754 binary16 → binary32, subnormals, infinities and NaN included.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            // zero or subnormal: mant · 2^-24
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}
