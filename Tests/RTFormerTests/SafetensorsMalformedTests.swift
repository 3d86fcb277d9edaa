import Foundation
import Testing
@testable import RTFormer

/// safetensors bytes built by hand: 8-byte little-endian header length, header, data.
enum SafetensorsBytes {
    static func file(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
        let h = Array(header.utf8)
        var out = Data()
        var len = (headerLength ?? UInt64(h.count)).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        out.append(contentsOf: data)
        return out
    }

    /// One tensor entry as header JSON.
    static func entry(_ key: String, dtype: String = "F32", shape: String = "[1]", offsets: String = "[0, 4]") -> String {
        "\"\(key)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": \(offsets)}"
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }
}

/// Every way a safetensors file can be malformed gives its own typed error naming the file (and
/// key), and nothing is returned.
@Suite struct SafetensorsMalformedTests {
    typealias B = SafetensorsBytes
    let file = "bad.safetensors"

    /// Parses `data`, requires a `SafetensorsError` whose text names the file (and `key`), and returns it.
    func failure(_ data: Data, key: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> SafetensorsError? {
        do {
            let f = try Safetensors.parse(data, file: file)
            Issue.record("parsed a malformed file into \(f.tensors.keys.sorted())", sourceLocation: sourceLocation)
            return nil
        } catch let e as SafetensorsError {
            #expect(e.description.contains(file), "\(e)", sourceLocation: sourceLocation)
            if let key { #expect(e.description.contains("'\(key)'"), "\(e)", sourceLocation: sourceLocation) }
            return e
        } catch {
            Issue.record("untyped error \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func fileShorterThanEightBytes() {
        #expect(failure(Data([1, 0, 0, 0, 0])) == .tooShort(file: file, size: 5))
        #expect(failure(Data()) == .tooShort(file: file, size: 0))
    }

    @Test func headerLengthBeyondFile() {
        #expect(failure(B.file(header: "{}", headerLength: 100)) == .headerLengthOutOfRange(file: file, headerLength: 100, fileSize: 10))
        #expect(failure(B.file(header: "{}", headerLength: .max)) == .headerLengthOutOfRange(file: file, headerLength: .max, fileSize: 10))
    }

    @Test func headerNotJSON() {
        guard case .headerNotJSON? = failure(B.file(header: "{\"a\": ")) else { Issue.record("expected headerNotJSON"); return }
        guard case .headerNotJSON? = failure(B.file(header: "", data: [0, 0])) else { Issue.record("expected headerNotJSON for empty header"); return }
        var bytes = B.file(header: "{\"\u{e9}\": 1}")
        bytes[10] = 0xFF   // invalid UTF-8 inside the key
        guard case .headerNotJSON? = failure(bytes) else { Issue.record("expected headerNotJSON for bad UTF-8"); return }
    }

    @Test func headerNotObject() {
        #expect(failure(B.file(header: "[1, 2]")) == .headerNotObject(file: file))
    }

    @Test func entryNotObject() {
        guard case .badEntry(_, "a", _)? = failure(B.file(header: "{\"a\": 3}"), key: "a") else { Issue.record("expected badEntry"); return }
        guard case .badEntry(_, "n", _)? = failure(B.file(header: "{\"n\": null}"), key: "n") else { Issue.record("expected badEntry for null"); return }
    }

    @Test func missingDType() {
        let h = "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}"
        guard case .badEntry(_, "a", let reason)? = failure(B.file(header: h, data: [0, 0, 0, 0]), key: "a") else {
            Issue.record("expected badEntry"); return
        }
        #expect(reason.contains("dtype"))
    }

    @Test func unknownDType() {
        let h = "{" + B.entry("a", dtype: "F8_E4M3", offsets: "[0, 1]") + "}"
        #expect(failure(B.file(header: h, data: [0]), key: "a") == .unsupportedDType(file: file, key: "a", dtype: "F8_E4M3"))
    }

    @Test(arguments: ["[-1]", "[1.5]", "[\"2\"]", "2", "[2, null]", "[1e300]", "[true]"])
    func badShape(_ shape: String) {
        let h = "{" + B.entry("w", shape: shape, offsets: "[0, 8]") + "}"
        guard case .badEntry(_, "w", let reason)? = failure(B.file(header: h, data: Array(repeating: 0, count: 8)), key: "w") else {
            Issue.record("expected badEntry for shape \(shape)"); return
        }
        #expect(reason.contains("shape"))
    }

    @Test(arguments: ["[0]", "[0, 4, 8]", "\"0:4\"", "[0, 4.5]", "[-4, 0]"])
    func dataOffsetsNotAPair(_ offsets: String) {
        let h = "{" + B.entry("w", offsets: offsets) + "}"
        guard let e = failure(B.file(header: h, data: [0, 0, 0, 0]), key: "w") else { return }
        switch e {
        case .badEntry(_, "w", _), .offsetsOutOfRange(_, "w", _, _, _): break
        default: Issue.record("expected badEntry or offsetsOutOfRange, got \(e)")
        }
    }

    @Test func offsetsBeyondData() {
        let h = "{" + B.entry("w", shape: "[2]", offsets: "[0, 8]") + "}"
        #expect(failure(B.file(header: h, data: [0, 0, 0, 0]), key: "w")
                == .offsetsOutOfRange(file: file, key: "w", begin: 0, end: 8, dataSize: 4))
    }

    @Test func endBeforeBegin() {
        let h = "{" + B.entry("w", offsets: "[4, 0]") + "}"
        #expect(failure(B.file(header: h, data: Array(repeating: 0, count: 8)), key: "w")
                == .offsetsOutOfRange(file: file, key: "w", begin: 4, end: 0, dataSize: 8))
    }

    @Test func byteCountNotShapeTimesDTypeSize() {
        let h = "{" + B.entry("w", dtype: "F32", shape: "[2, 3]", offsets: "[0, 20]") + "}"
        #expect(failure(B.file(header: h, data: Array(repeating: 0, count: 24)), key: "w")
                == .sizeMismatch(file: file, key: "w", shape: [2, 3], dtype: "F32", expectedBytes: 24, actualBytes: 20))
    }

    @Test func shapeProductOverflow() {
        let h = "{" + B.entry("w", shape: "[4294967296, 4294967296]", offsets: "[0, 4]") + "}"
        guard case .sizeMismatch(_, "w", _, _, _, _)? = failure(B.file(header: h, data: [0, 0, 0, 0]), key: "w") else {
            Issue.record("expected sizeMismatch"); return
        }
    }

    @Test func overlappingTensors() {
        let h = "{" + B.entry("a", shape: "[2]", offsets: "[0, 8]") + ", " + B.entry("b", shape: "[2]", offsets: "[4, 12]") + "}"
        #expect(failure(B.file(header: h, data: Array(repeating: 0, count: 12))) == .overlap(file: file, key: "b", other: "a"))
    }

    /// An empty tensor sorted between two overlapping ones must not hide the overlap.
    @Test func overlapAcrossAnEmptyTensor() {
        let h = "{" + B.entry("big", shape: "[4]", offsets: "[0, 16]") + ", " + B.entry("empty", shape: "[0]", offsets: "[4, 4]")
            + ", " + B.entry("inner", shape: "[1]", offsets: "[8, 12]") + "}"
        #expect(failure(B.file(header: h, data: Array(repeating: 0, count: 16))) == .overlap(file: file, key: "inner", other: "big"))
    }

    @Test func metadataValuesMustBeStrings() {
        guard case .badMetadata? = failure(B.file(header: "{\"__metadata__\": {\"k\": 1}}")) else { Issue.record("expected badMetadata for number"); return }
        guard case .badMetadata? = failure(B.file(header: "{\"__metadata__\": {\"k\": {\"x\": \"y\"}}}")) else { Issue.record("expected badMetadata for object"); return }
        guard case .badMetadata? = failure(B.file(header: "{\"__metadata__\": [\"k\"]}")) else { Issue.record("expected badMetadata for array"); return }
    }

    @Test func unreadableFileNamesThePath() {
        let path = NSTemporaryDirectory() + "rtformer-no-such-dir/missing.safetensors"
        #expect(throws: SafetensorsError.self) { try Safetensors.read(path: path) }
        do { _ = try Safetensors.read(path: path) } catch { #expect("\(error)".contains(path)) }
    }
}

/// Every dtype decodes into Float32 exactly as IEEE / integer conversion defines.
@Suite struct SafetensorsDTypeTests {
    typealias B = SafetensorsBytes

    func decode(_ dtype: String, _ bytes: [UInt8], count: Int) throws -> [Float] {
        let h = "{" + B.entry("t", dtype: dtype, shape: "[\(count)]", offsets: "[0, \(bytes.count)]") + ", \"__metadata__\": {\"format\": \"pt\"}}"
        let f = try Safetensors.parse(B.file(header: h, data: bytes), file: "dtype.safetensors")
        #expect(f.dtypes["t"]?.rawValue == dtype)
        #expect(f.metadata == ["format": "pt"])
        return f.tensors["t"]!.storage
    }

    /// Compares element-wise, NaN equal to NaN.
    func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    @Test func f32() throws {
        let values: [Float] = [1.5, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3.14159]
        let got = try decode("F32", B.littleEndian(values.map(\.bitPattern)), count: values.count)
        #expect(got.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func f16IncludingSubnormalsAndInfinities() throws {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x03FF, 0x8001, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x0000, 0x8000, 0x3555]
        let want: [Float] = [1, -2, 0x1p-24, 1023 * 0x1p-24, -0x1p-24, 65504, .infinity, -.infinity, .nan, 0, -0.0, 0x1.554p-2]
        let got = try decode("F16", B.littleEndian(bits), count: bits.count)
        #expect(same(got, want), "\(got)")
        #expect(got[10].sign == .minus)
    }

    @Test func bf16() throws {
        let bits: [UInt16] = [0x3F80, 0xC040, 0x7F80, 0xFF80, 0x0001, 0x4049]
        let want: [Float] = [1, -3, .infinity, -.infinity, Float(bitPattern: 0x0001_0000), Float(bitPattern: 0x4049_0000)]
        #expect(same(try decode("BF16", B.littleEndian(bits), count: bits.count), want))
    }

    @Test func f64() throws {
        let values: [Double] = [0.1, -2.5, 1e300, .nan, 1e-50]
        let want: [Float] = [Float(0.1), -2.5, .infinity, .nan, 0]
        #expect(same(try decode("F64", B.littleEndian(values.map(\.bitPattern)), count: values.count), want))
    }

    @Test func i64() throws {
        let values: [Int64] = [-3, 0, 1 << 40, .min]
        #expect(try decode("I64", B.littleEndian(values), count: values.count) == values.map(Float.init))
    }

    @Test func i32() throws {
        let values: [Int32] = [7, -1, .min, .max]
        #expect(try decode("I32", B.littleEndian(values), count: values.count) == values.map(Float.init))
    }

    @Test func u8() throws {
        #expect(try decode("U8", [0, 1, 128, 255], count: 4) == [0, 1, 128, 255])
    }

    @Test func bool() throws {
        #expect(try decode("BOOL", [0, 1, 1, 0], count: 4) == [0, 1, 1, 0])
    }

    @Test func scalarAndEmptyTensors() throws {
        let h = "{" + B.entry("s", shape: "[]", offsets: "[0, 4]") + ", " + B.entry("e", shape: "[0, 3]", offsets: "[4, 4]") + "}"
        let f = try Safetensors.parse(B.file(header: h, data: B.littleEndian([Float(2).bitPattern])), file: "m")
        #expect(f.tensors["s"] == Tensor(scalar: 2))
        #expect(f.tensors["e"]?.shape == [0, 3])
    }
}

/// The writer replaces files atomically and reports failures as `writeFailed`.
@Suite struct SafetensorsWriterTests {
    func scratchDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "rtformer-st-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func rewriteReplacesTheFileByRename() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/w.safetensors"
        try Safetensors.write([("a", Tensor(shape: [2], storage: [1, 2]))], to: path)
        let firstInode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64
        try Safetensors.write([("a", Tensor(shape: [3], storage: [4, 5, 6]))], metadata: ["m": "v"], to: path)
        let secondInode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64
        // An in-place rewrite keeps the inode; a temporary file renamed over the old one does not.
        #expect(firstInode != nil && firstInode != secondInode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["w.safetensors"])
        let f = try Safetensors.read(path: path)
        #expect(f.tensors["a"] == Tensor(shape: [3], storage: [4, 5, 6]))
        #expect(f.metadata == ["m": "v"])
    }

    @Test func writingIntoMissingDirectoryThrowsWriteFailed() throws {
        let path = NSTemporaryDirectory() + "rtformer-missing-\(UUID().uuidString)/out.safetensors"
        do {
            try Safetensors.write([("a", Tensor(scalar: 1))], to: path)
            Issue.record("write into a missing directory succeeded")
        } catch let SafetensorsError.writeFailed(file, _) {
            #expect(file == path)
        }
    }

    @Test func duplicateKeyThrowsWriteFailed() {
        #expect(throws: SafetensorsError.self) {
            try Safetensors.serialize([("a", Tensor(scalar: 1)), ("a", Tensor(scalar: 2))])
        }
    }

    @Test func dataSectionIsEightByteAligned() throws {
        let data = try Safetensors.serialize([("odd", Tensor(shape: [3], storage: [1, 2, 3]))], metadata: ["x": "y"])
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(headerLength % 8 == 0)
        #expect(data.count == 8 + Int(headerLength) + 12)
    }
}
