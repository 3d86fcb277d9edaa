import Foundation
import Testing
@testable import RTFormer

@Suite struct IOCheckpointTests {
    private func reference() throws -> [String: Tensor] {
        let f = try Safetensors.read(path: Fixtures.path("spikformer_tiny.safetensors"))
        var out: [String: Tensor] = [:]
        for k in f.keys where k.hasPrefix("weights.") { out[String(k.dropFirst(8))] = f.tensors[k] }
        return out
    }

    @Test func stateDictPthEqualsSafetensorsWeights() throws {
        let sd = try CheckpointFile.loadStateDict(path: Fixtures.path("pth/spikformer_tiny_state_dict.pth"))
        let ref = try reference()
        #expect(sd.source == "state_dict at top level")
        #expect(Set(sd.keys) == Set(ref.keys))
        for (k, t) in ref { #expect(sd.tensors[k] == t, "\(k)") }
    }

    @Test func checkpointPthTakesStateDictEntry() throws {
        let sd = try CheckpointFile.loadStateDict(path: Fixtures.path("pth/spikformer_tiny_checkpoint.pth"))
        let ref = try reference()
        #expect(sd.source == "checkpoint['state_dict']")
        #expect(Set(sd.keys) == Set(ref.keys))
        for (k, t) in ref { #expect(sd.tensors[k] == t, "\(k)") }
        let nbt = sd.keys.filter { $0.hasSuffix("num_batches_tracked") }
        #expect(!nbt.isEmpty && nbt.allSatisfy { sd.tensors[$0]!.shape == [] })
    }

    @Test func checkpointKeepsOtherEntriesReadable() throws {
        let object = try TorchFile.load(path: Fixtures.path("pth/spikformer_tiny_checkpoint.pth"))
        guard case .int(3)? = object["epoch"], case .string("spikformer")? = object["arch"], case .int(2)? = object["version"] else {
            Issue.record("checkpoint metadata not read")
            return
        }
    }

    @Test func safetensorsFixtureGivesTheSameStateDict() throws {
        let sd = try CheckpointFile.loadStateDict(path: Fixtures.path("spikformer_tiny.safetensors"))
        let ref = try reference()
        #expect(sd.tensors == ref)
        #expect(sd.source.contains("weights."))
    }

    @Test func nonCheckpointIsRefusedWithItsKeys() throws {
        // The input file is a dict with one tensor: a (tiny) state dict. A dict of non-tensors is not.
        let path = try IOScratch.write(try Safetensors.serialize([]).map { $0 }, name: "empty.safetensors")
        let sd = try CheckpointFile.loadStateDict(path: path)
        #expect(sd.tensors.isEmpty)
        #expect(throws: InputError.self) { try CheckpointFile.fromTorch(.dict([(.string("epoch"), .int(1))]), file: "c.pth") }
    }
}

@Suite struct IOTorchPickleTests {
    /// Pickle opcodes, spelled out so the tests read like `pickletools.dis` output.
    private func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    private func str(_ s: String) -> [UInt8] { [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8) }
    private func int1(_ v: UInt8) -> [UInt8] { [0x4B, v] }
    private let mark: [UInt8] = [0x28], tuple: [UInt8] = [0x74], reduce: [UInt8] = [0x52], stop: [UInt8] = [0x2E]

    @Test func forbiddenGlobalIsRefusedByName() {
        let pickle: [UInt8] = [0x80, 0x02] + global("os", "system") + str("echo pwned") + [0x85] + reduce + stop
        var u = TorchUnpickler(pickle, file: "evil.pth", member: "evil/data.pkl")
        do {
            _ = try u.load()
            Issue.record("os.system accepted")
        } catch let e as InputError {
            #expect(e.description.contains("refusing global 'os.system' in evil/data.pkl"))
            #expect(e.location == "evil/data.pkl byte 2")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func stackGlobalIsCheckedToo() {
        let pickle: [UInt8] = [0x80, 0x04] + [0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93] + stop
        var u = TorchUnpickler(pickle, file: "e.pth", member: "data.pkl")
        #expect(throws: InputError.self) { try u.load() }
    }

    @Test func unknownOpcodeIsRefused() {
        var u = TorchUnpickler([0x80, 0x02, 0x69] + stop, file: "e.pth", member: "data.pkl")   // INST
        #expect(throws: InputError.self) { try u.load() }
    }

    @Test func nonContiguousViewIsMaterialisedInRowMajorOrder() throws {
        // _rebuild_tensor_v2(storage(6 floats), offset 1, size (2, 2), stride (1, 3)) — a transposed view.
        let pid = mark + str("storage") + global("torch", "FloatStorage") + str("0") + str("cpu") + int1(6) + tuple + [0x51]
        let pickle: [UInt8] = [0x80, 0x02] + global("torch._utils", "_rebuild_tensor_v2") + mark + pid + int1(1)
            + mark + int1(2) + int1(2) + tuple + mark + int1(1) + int1(3) + tuple + [0x89] + [0x29] + tuple + reduce + stop
        var u = TorchUnpickler(pickle, file: "v.pth", member: "data.pkl")
        let value = try u.load()
        let storage: [UInt8] = (0..<6).flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }
        let object = try TorchFile.materialise(value, file: "v.pth") { _ in storage }
        guard case let .tensor(t, dtype) = object else { Issue.record("not a tensor"); return }
        #expect(dtype == "float32")
        #expect(t == Tensor(shape: [2, 2], storage: [1, 4, 2, 5]))
        // A view reaching past its storage is an error, not a crash.
        let tooFar = TorchTensorRef(storage: TorchStorageRef(type: .float32, key: "0", numel: 6), offset: 3, size: [2, 2], stride: [1, 3])
        #expect(throws: InputError.self) { try TorchFile.gather(tooFar, storage, file: "v.pth") }
    }

    @Test func forbiddenGlobalInsideAZipIsRefused() throws {
        var zip = try IOScratch.bytes(Fixtures.path("pth/spikformer_tiny_input.pth"))
        let name = Array("spikformer_tiny_input/data.pkl".utf8)
        let evil: [UInt8] = [0x80, 0x02] + global("os", "system") + str("rm -rf /") + [0x85] + reduce + stop
        // Replace the stored (uncompressed) data.pkl in place, padded to its length, and fix its CRC
        // in the central directory and the data descriptor (torch writes sizes and CRC only there).
        guard let central = find(zip, [0x50, 0x4B, 0x01, 0x02], then: name, nameAt: 46) else { Issue.record("no central entry"); return }
        let size = Int(ByteCursor.load(zip, central + 24, 4))
        let local = Int(ByteCursor.load(zip, central + 42, 4))
        #expect(ByteCursor.load(zip, central + 10, 2) == 0 && size >= evil.count)   // stored, room for the payload
        let dataStart = local + 30 + Int(ByteCursor.load(zip, local + 26, 2)) + Int(ByteCursor.load(zip, local + 28, 2))
        let payload = evil + [UInt8](repeating: 0x2E, count: max(0, size - evil.count))
        zip.replaceSubrange(dataStart..<(dataStart + size), with: payload)
        let crc = crc32(payload)
        put(&zip, central + 16, crc)
        let descriptor = dataStart + size
        if ByteCursor.load(zip, local + 6, 2) & 8 != 0 {
            put(&zip, Array(zip[descriptor..<(descriptor + 4)]) == [0x50, 0x4B, 0x07, 0x08] ? descriptor + 4 : descriptor, crc)
        } else {
            put(&zip, local + 14, crc)
        }
        let path = try IOScratch.write(zip, name: "evil_input.pth")
        do {
            _ = try InputFile.load(path: path)
            Issue.record("evil pickle accepted")
        } catch let e as InputError {
            #expect(e.description.contains("refusing global 'os.system' in spikformer_tiny_input/data.pkl"))
        }
    }

    @Test func legacyFormatIsRead() throws {
        let object = try TorchFile.load(path: Fixtures.path("pth/input_legacy.pt"))
        guard case let .tensor(t, dtype) = object else { Issue.record("not a tensor: \(object)"); return }
        #expect(t.shape == [1, 3, 32, 32] && dtype == "float32")
        let ref = try Safetensors.read(path: Fixtures.path("spikformer_tiny.safetensors")).tensors["input"]!
        #expect(t.storage == Array(ref.storage[0..<3072]))   // the fixture input's first sample
        let loaded = try InputFile.load(path: Fixtures.path("pth/input_legacy.pt"))
        #expect(loaded.format == .pytorch)
    }

    @Test func legacyFileRefusesForbiddenGlobal() throws {
        let path = try IOScratch.write([0x80, 0x02] + global("subprocess", "Popen") + stop, name: "evil_legacy.pt")
        do {
            _ = try TorchFile.load(path: path)
            Issue.record("accepted")
        } catch let e as InputError {
            #expect(e.description.contains("refusing global 'subprocess.Popen'"))
        }
    }

    private func find(_ bytes: [UInt8], _ signature: [UInt8], then name: [UInt8], nameAt: Int) -> Int? {
        var i = 0
        while i + nameAt + name.count <= bytes.count {
            if Array(bytes[i..<(i + 4)]) == signature && Array(bytes[(i + nameAt)..<(i + nameAt + name.count)]) == name { return i }
            i += 1
        }
        return nil
    }

    private func put(_ bytes: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0..<4 { bytes[at + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
    }

    private func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }
}

@Suite struct IOTensorInputTests {
    private func npy(_ descr: String, shape: String, data: [UInt8], version: UInt8 = 1, fortran: Bool = false) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        let length: [UInt8] = version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0]
        return NumpyArray.magic + [version, 0] + length + Array(header.utf8) + data
    }

    private func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }

    @Test func pthInputEqualsFixtureInput() throws {
        let loaded = try InputFile.load(path: Fixtures.path("pth/spikformer_tiny_input.pth"))
        let ref = try Safetensors.read(path: Fixtures.path("spikformer_tiny.safetensors")).tensors["input"]!
        #expect(loaded.format == .pytorch)
        #expect(loaded.notes.contains("tensor 'input_tensor'"))
        guard case let .tensor(t) = loaded.content else { Issue.record("not a tensor"); return }
        #expect(t == ref)
        let one = try InputFile.load(path: Fixtures.path("pth/spikformer_tiny_input.pth"), index: 1)
        guard case let .tensor(t1) = one.content else { Issue.record("not a tensor"); return }
        #expect(t1.shape == [1, 3, 32, 32] && t1.storage == Array(ref.storage[3072...]))
        #expect(throws: InputError.self) { try InputFile.load(path: Fixtures.path("pth/spikformer_tiny_input.pth"), index: 2) }
    }

    @Test func safetensorsInputUsesInputKey() throws {
        let loaded = try InputFile.load(path: Fixtures.path("rtformer_tiny.safetensors"))
        #expect(loaded.format == .safetensors && loaded.notes.contains("tensor 'input'"))
        guard case let .tensor(t) = loaded.content else { Issue.record("not a tensor"); return }
        #expect(t.shape == [2, 3, 32, 32])
        let only = Tensor(shape: [1, 3, 4, 4], repeating: 0.5)
        let path = try IOScratch.write(Array(try Safetensors.serialize([("scale", Tensor(scalar: 2)), ("img", only)])), name: "one.safetensors")
        guard case let .tensor(t2) = try InputFile.load(path: path).content else { Issue.record("not a tensor"); return }
        #expect(t2 == only)
    }

    @Test func npyDtypesAndVersionsDecode() throws {
        let f32 = npy("<f4", shape: "(2, 3)", data: le((0..<6).map { Float($0).bitPattern }))
        #expect(try NumpyArray.decode(f32, file: "a.npy").tensor == Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 4, 5]))
        let f64 = npy("<f8", shape: "(2,)", data: le([Double(0.1).bitPattern, Double(-2).bitPattern]), version: 2)
        #expect(try NumpyArray.decode(f64, file: "b.npy").tensor.storage == [Float(0.1), -2])
        let f16 = npy("<f2", shape: "(1,)", data: [0x00, 0x3C], version: 3)
        #expect(try NumpyArray.decode(f16, file: "c.npy").tensor.storage == [1])
        let u8 = npy("|u1", shape: "(1, 1, 2)", data: [7, 255])
        #expect(try NumpyArray.decode(u8, file: "d.npy").tensor.shape == [1, 1, 2])
        let i64 = npy("<i8", shape: "()", data: le([Int64(-5)]))
        #expect(try NumpyArray.decode(i64, file: "e.npy").tensor == Tensor(scalar: -5))
        let i32 = npy("<i4", shape: "(1,)", data: le([Int32(123456)]))
        #expect(try NumpyArray.decode(i32, file: "f.npy").tensor.storage == [123456])
        let b1 = npy("|b1", shape: "(3,)", data: [1, 0, 1])
        #expect(try NumpyArray.decode(b1, file: "g.npy").tensor.storage == [1, 0, 1])
    }

    @Test func npyRefusesFortranOrderBigEndianAndShortData() {
        let data = [UInt8](repeating: 0, count: 24)
        do {
            _ = try NumpyArray.decode(npy("<f4", shape: "(2, 3)", data: data, fortran: true), file: "f.npy")
            Issue.record("Fortran order accepted")
        } catch let e as InputError {
            #expect(e.description.contains("fortran_order") && e.description.contains("C order"))
        } catch { Issue.record("\(error)") }
        #expect(throws: InputError.self) { try NumpyArray.decode(npy(">f4", shape: "(2, 3)", data: data), file: "b.npy") }
        #expect(throws: InputError.self) { try NumpyArray.decode(npy("<f4", shape: "(2, 4)", data: data), file: "s.npy") }
        #expect(throws: InputError.self) { try NumpyArray.decode(Array(npy("<f4", shape: "(2, 3)", data: data).prefix(20)), file: "t.npy") }
    }

    @Test func npyInputFileIsABatch() throws {
        let values = (0..<(2 * 3 * 2 * 2)).map { Float($0) / 10 }
        let path = try IOScratch.write(npy("<f4", shape: "(2, 3, 2, 2)", data: le(values.map(\.bitPattern))), name: "batch.npy")
        let loaded = try InputFile.load(path: path)
        #expect(loaded.format == .npy && loaded.recordCount == 2)
        guard case let .tensor(t) = loaded.content else { Issue.record("not a tensor"); return }
        #expect(t == Tensor(shape: [2, 3, 2, 2], storage: values))
        let bad = try IOScratch.write(npy("<f4", shape: "(6,)", data: le(values.prefix(6).map(\.bitPattern))), name: "flat.npy")
        #expect(throws: InputError.self) { try InputFile.load(path: bad) }
    }

    @Test func formatsAreRecognisedByContent() throws {
        let cases: [(String, InputFormat)] = [
            (IOScratch.data("cifar10/cifar10_test_first10.bin"), .cifar10),
            (IOScratch.data("cifar100/cifar100_test_first10.bin"), .cifar100),
            (IOScratch.data("cifar10/png/cifar10_00_3.png"), .png),
            (IOScratch.data("events/nmnist/tonic_sample_nmnist.bin"), .events40Bit),
            (IOScratch.data("events/dvsgesture_bs2/2.bs2"), .events40Bit),
            (IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4"), .aedat4),
            (IOScratch.data("events/prophesee_dat/tonic_ncars_sample.dat"), .prophesee),
            (Fixtures.path("pth/spikformer_tiny_state_dict.pth"), .pytorch),
            (Fixtures.path("pth/input_legacy.pt"), .pytorch),
            (Fixtures.path("lif.safetensors"), .safetensors),
        ]
        for (path, format) in cases {
            #expect(try InputFile.recognise(IOScratch.bytes(path), path: path) == format, "\(path)")
        }
        // Content wins over a misleading extension.
        let png = try IOScratch.write(IOScratch.bytes(IOScratch.data("cifar10/png/cifar10_00_3.png")), name: "image.bin")
        #expect(try InputFile.load(path: png).format == .png)
        #expect(throws: InputError.self) { try InputFile.recognise([1, 2, 3], path: "x.dat") }
    }

    @Test func indexPicksACIFARRecord() throws {
        let loaded = try InputFile.load(path: IOScratch.data("cifar100/cifar100_test_first10.bin"), index: 3)
        #expect(loaded.recordCount == 10 && loaded.index == 3)
        #expect(loaded.suggestedStats == .cifar100)
        guard case let .image(li) = loaded.content else { Issue.record("not an image"); return }
        #expect(li.label == 51 && li.className == "mushroom")
        do {
            _ = try InputFile.load(path: IOScratch.data("cifar10/cifar10_test_first10.bin"), index: 10)
            Issue.record("index 10 accepted")
        } catch let e as InputError {
            #expect(e.expected == "a record index in 0..<10")
        }
    }
}
