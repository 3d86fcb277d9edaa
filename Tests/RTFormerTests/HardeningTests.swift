import Foundation
import Testing
@testable import RTFormer

/// Regression tests for issue 16's root causes: each reproduces a crash, an unbounded allocation
/// or a misleading message found by fuzzing the release binary, and checks the one-line error now
/// given instead.
@Suite struct HardeningTests {
    private func error(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    // MARK: 1. Event headers are checked, never trusted

    @Test func propheseeHeaderWidthBeyondLimitIsRefused() throws {
        let sample = try IOScratch.bytes(IOScratch.data("events/prophesee_dat/tonic_ncars_sample.dat"))
        for width in ["9223372036854775807", "100000000", "65537"] {
            let path = try IOScratch.write(Array("% Width \(width)\n% Height 100\n".utf8) + sample, name: "wide-\(width).dat")
            let message = error { try InputFile.load(path: path) }
            #expect(message?.contains("Prophesee DAT, header: expected a sensor size of 1...65536 pixels per side") == true, "\(message ?? "accepted")")
        }
        // A stated size that the events exceed is an error, not a silent enlargement.
        let small = try IOScratch.write(Array("% Width 10\n% Height 10\n".utf8) + sample, name: "small.dat")
        #expect(error { try InputFile.load(path: small) }?.contains("expected x < 10, y < 10") == true)
    }

    /// The AEDAT 4 sample with the XML `sizeX` replaced (same byte length: indentation dropped).
    private func aedat(sizeX: String) throws -> [UInt8] {
        var bytes = try IOScratch.bytes(IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4"))
        let old = Array("                <attr key=\"sizeX\" type=\"int\">320</attr>".utf8)
        var new = Array("<attr key=\"sizeX\" type=\"int\">\(sizeX)</attr>".utf8)
        new += Array(repeating: UInt8(ascii: " "), count: old.count - new.count)
        let at = try #require((0...(bytes.count - old.count)).first { bytes[$0] == old[0] && Array(bytes[$0..<($0 + old.count)]) == old })
        bytes.replaceSubrange(at..<(at + old.count), with: new)
        return bytes
    }

    @Test func aedat4SizeXBeyondLimitIsRefused() throws {
        for sizeX in ["9223372036854775807", "2147483648", "70000"] {
            let message = error { try AEDAT4File.decode(try aedat(sizeX: sizeX), file: "big.aedat4") }
            #expect(message?.contains("AEDAT 4.0, IOHeader XML sizeX/sizeY: expected a sensor size of 1...65536") == true, "\(message ?? "accepted")")
        }
        // Within the limit, the header size is kept and the stream encodes into a bounded frame.
        let s = try AEDAT4File.decode(try aedat(sizeX: "65536"), file: "wide.aedat4")
        #expect(s.sensorWidth == 65536 && s.sensorHeight == 240)
        let (x, _) = EventEncoder.encode(s, timesteps: 4, size: 64)
        #expect(x.shape == [4, 1, 2, 64, 64])
        #expect(Int(x.storage.reduce(0, +)) == s.count)
    }

    @Test func eventEncoderMapsPerEventOnAWideSensor() {
        // A 65536-wide sensor: the encoder computes positions per event (no per-column table).
        var s = EventStream(sensorWidth: 65536, sensorHeight: 2)
        s.append(t: 0, x: 0, y: 0, polarity: 1)
        s.append(t: 1, x: 65535, y: 1, polarity: 0)
        let (x, enc) = EventEncoder.encode(s, timesteps: 1, size: 32)
        #expect(enc.scale == 32.0 / 65536)
        // Mapped height is 1 row, centred at offset (32 − 1) / 2 = 15.
        #expect(x.storage[1 * 1024 + 15 * 32 + 0] == 1)
        #expect(x.storage[0 * 1024 + 15 * 32 + 31] == 1)
    }

    @Test func extremeTimestampsAreRefusedBeforeTheirDifferenceOverflows() {
        // AEDAT 4 stores int64 µs: a span from Int64.min to Int64.max would overflow the
        // duration and the time-split windows.
        var s = EventStream(sensorWidth: 4, sensorHeight: 4)
        s.append(t: Int64.min, x: 0, y: 0, polarity: 0)
        s.append(t: Int64.max, x: 1, y: 1, polarity: 1)
        #expect(throws: InputError.self) { try s.validate(file: "e", format: "AEDAT 4.0") }
        var ok = EventStream(sensorWidth: 4, sensorHeight: 4)
        ok.append(t: -EventStream.maxTimestamp, x: 0, y: 0, polarity: 0)
        ok.append(t: EventStream.maxTimestamp, x: 1, y: 1, polarity: 1)
        #expect(throws: Never.self) { try ok.validate(file: "e", format: "AEDAT 4.0") }
        #expect(ok.duration == 1 << 62)
        let (x, enc) = EventEncoder.encode(ok, timesteps: 4, size: 4, splitBy: .time)
        #expect(enc.eventsPerFrame == [1, 0, 0, 1] && x.storage.reduce(0, +) == 2)
    }

    @Test func timestepsAndFrameSizeAreBoundedBeforeEncoding() throws {
        let loaded = try InputFile.decode(BundledSamples.cifar10TestRecords, path: "default", index: 0, format: .cifar10)
        for (t, size) in [(Int.max, 32), (1_000_000, 32), (0, 32), (4, 65536)] {
            #expect(throws: InputError.self) { try InputEncoder.encode(loaded, file: "default", timesteps: t, size: size) }
        }
    }

    // MARK: 2. Damaged zip archives

    @Test func pthWithBytesDeletedFromTheMiddleIsAnError() throws {
        for name in ["spikformer_tiny_input.pth", "spikformer_tiny_state_dict.pth", "spikformer_tiny_checkpoint.pth"] {
            let b = try IOScratch.bytes(Fixtures.path("pth/" + name))
            let path = try IOScratch.write(Array(b[..<450]) + Array(b[1450...]), name: "cut-" + name)
            let asInput = error { try InputFile.load(path: path) }
            #expect(asInput?.contains("PyTorch zip") == true, "\(asInput ?? "accepted")")
            let asWeights = error { try CheckpointFile.loadStateDict(path: path) }
            #expect(asWeights?.contains("PyTorch zip") == true, "\(asWeights ?? "accepted")")
        }
    }

    @Test func zipDamageAtEveryStructureIsAnError() throws {
        let b = try IOScratch.bytes(Fixtures.path("pth/spikformer_tiny_state_dict.pth"))
        // Deletions, insertions and overwrites across local headers, data and the directory.
        var cases: [[UInt8]] = []
        for at in stride(from: 0, to: b.count, by: max(1, b.count / 40)) {
            cases.append(Array(b[..<at]) + Array(b[min(b.count, at + 37)...]))
            cases.append(Array(b[..<at]) + Array(repeating: 0xFF, count: 13) + Array(b[at...]))
            var o = b
            for i in at..<min(b.count, at + 4) { o[i] = 0xFF }
            cases.append(o)
        }
        for bytes in cases {
            do { _ = try TorchFile.parse(bytes, file: "z.pth") } catch is InputError {} catch {
                Issue.record("threw \(type(of: error)): \(error)")
            }
        }
        // The intact file still reads.
        #expect(try CheckpointFile.loadStateDict(path: Fixtures.path("pth/spikformer_tiny_state_dict.pth")).keys.count > 10)
    }

    @Test func flippedStorageByteFailsTheCRC() throws {
        var b = try IOScratch.bytes(Fixtures.path("pth/spikformer_tiny_state_dict.pth"))
        let z = try ZipMembers(b, file: "z.pth")
        let e = try #require(z.entries.first { $0.path.hasSuffix("data/0") })
        b[e.dataOffset + 3] ^= 0x40
        let message = error { try TorchFile.parse(b, file: "z.pth") }
        #expect(message?.contains("CRC-32") == true, "\(message ?? "accepted")")
    }

    // MARK: 3. Config and T limits

    private func config(_ json: String) -> String? {
        error { try ModelConfig.parse(json: Data(json.utf8), file: "c.json") }
    }

    @Test func configIntegersOutsideTheirRangesAreRefused() {
        let base = #""family": "spikformer", "num_heads": 8, "T": 4"#
        for (key, value, range) in [("embed_dims", "4611686018427387904", "8...4096"), ("embed_dims", "1099511627776", "8...4096"),
                                    ("img_size", "65536", "1...4096"), ("in_channels", "4611686018427387904", "1...64"),
                                    ("mlp_ratios", "4611686018427387904", "1...16"), ("num_classes", "4611686018427387904", "1...100000"),
                                    ("depths", "100000", "1...64"), ("embed_dims", "1e300", "8...4096")] {
            var json = "{" + base
            if key != "embed_dims" { json += #", "embed_dims": 64"# }
            if key != "depths" { json += #", "depths": 1"# }
            json += ", \"\(key)\": \(value)}"
            #expect(config(json) == "c.json: key '\(key)': expected an integer in \(range)", "\(json)")
        }
        #expect(config(#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 9223372036854775807}"#)
                == "c.json: key 'T': expected an integer in 1...1024")
    }

    @Test func configParserMessagesAreEscaped() throws {
        // Fuzz finding (config seed 101, case 709): Foundation's JSON error quoted raw NULs.
        let message = try #require(config("{\"d\\u\0\0\0\0\0\0\0"))
        #expect(!message.unicodeScalars.contains { $0.value == 0 }, "\(message)")
        #expect(message.hasPrefix("c.json: invalid JSON: "))
    }

    @Test func modelMemoryIsEstimatedBeforeBuilding() throws {
        let big = ModelConfig(name: "big", family: .rtformer, embedDims: 64, numHeads: 4, mlpRatio: 4, depths: 1, timesteps: 4, imgSize: 4096)
        let message = error { try Network(config: big) }
        #expect(message?.hasPrefix("model 'big': model: expected an estimated memory use within") == true, "\(message ?? "built")")
        #expect(message?.contains(" GB for weights and recorded activations") == true)
        // Every named config fits the default budget.
        for (name, c) in ModelConfig.named {
            #expect(ModelLimits.estimatedBytes(c).map { $0 <= Limits.modelMemoryBudget } == true, "\(name)")
        }
        let hugeT = ModelConfig.named["tiny"]!.with(timesteps: Int.max)
        #expect(error { try Network(config: hugeT) } == "model 'tiny': T: expected an integer in 1...1024, found \(Int.max)")
    }

    // MARK: 5. Formats decided by magic, extension and structure

    @Test func textIsNeverEvents() throws {
        let path = try IOScratch.write(Array("hello world this is text 123456789\n".utf8), name: "t.txt")
        let message = try #require(error { try InputFile.load(path: path) })
        #expect(message.contains("none fits: tried"))
        #expect(message.contains("CIFAR and 40-bit events (the file is text)"))
    }

    @Test func damagedCIFARIsNotTakenForEvents() throws {
        let bytes = try IOScratch.bytes(IOScratch.data("cifar10/cifar10_test_first10.bin"))
        var flipped = bytes
        flipped[3 * 3073] = 200
        let a = try #require(error { try InputFile.load(path: try IOScratch.write(flipped, name: "flipped.bin")) })
        #expect(a.contains("CIFAR-10 (record 3 (byte 9219): a label in 0...9, found 200)"), "\(a)")
        #expect(a.contains("40-bit events (event "), "\(a)")
        let cut = try #require(error { try InputFile.load(path: try IOScratch.write(Array(bytes.prefix(1000)), name: "cut.bin")) })
        #expect(cut.contains("CIFAR-10 (1000 bytes is not a whole number of 3073-byte records)"), "\(cut)")
        #expect(cut.contains("40-bit events (event"), "\(cut)")
        // Named explicitly, the reader says what is wrong with the record.
        #expect(throws: InputError.self) { try InputFile.load(path: try IOScratch.write(flipped, name: "f2.bin"), format: .cifar10) }
    }

    @Test func formatNamesMapToReaders() {
        for (name, f) in FormatRecognition.optionNames { #expect(FormatRecognition.format(named: name) == f) }
        #expect(FormatRecognition.format(named: "JPG") == .jpeg)
        #expect(FormatRecognition.format(named: "gif") == nil)
    }

    @Test func nonWeightsFileSaysWhatItIs() throws {
        let text = try IOScratch.write(Array("hello, these are not weights\n".utf8), name: "w.png")
        let a = try #require(error { try CheckpointFile.loadStateDict(path: text) })
        #expect(a.contains("checkpoint: expected safetensors") && a.contains("found text ('hello"), "\(a)")
        #expect(!a.contains("does not fit"))   // was: "header length 8031924123371070824 does not fit"
        let png = try IOScratch.write(IOScratch.bytes(IOScratch.data("cifar10/png/cifar10_00_3.png")), name: "real.png")
        #expect(error { try CheckpointFile.loadStateDict(path: png) }?.contains("a PNG file (by its signature)") == true)
        #expect(error { try CheckpointFile.loadStateDict(path: "/dev/zero") } == "/dev/zero: checkpoint: expected a regular file, found a character device")
    }

    // MARK: 6. Printable errors

    @Test func fileTextIsEscapedInErrors() {
        let e = InputError(file: "w.safetensors", format: "safetensors", location: "key '\u{1B}]0;PWNED\u{07}'",
                           expected: "a known key", found: "a\0b\nc")
        let s = e.description
        #expect(!s.unicodeScalars.contains { $0.value < 0x20 })
        #expect(s.contains("key '\\x1b]0;PWNED\\x07'") && s.contains("a\\0b\\nc"))
        #expect(Printable.escape(String(repeating: "k", count: 250), limit: 200).hasSuffix("… (50 more characters)"))
        #expect(Printable.list((0..<20).map { "key\($0)" }, limit: 3) == "key0, key1, key2, … (17 more)")
    }
}

/// Issue 16, point 6: `AtomicFile`.
@Suite struct AtomicFileTests {
    private func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-atomic-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func longTargetNameIsWritten() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + String(repeating: "n", count: 250)
        try AtomicFile.write("x", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 1)
    }

    @Test func danglingSymlinkIsRefusedAndALinkToAFileIsWrittenThrough() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: dir + "/missing")
        do {
            try AtomicFile.write("x", to: dir + "/dangling")
            Issue.record("dangling link written")
        } catch let e as FileWriteError {
            #expect(e.reason.hasPrefix("a symbolic link to a missing file"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/missing"))
        try AtomicFile.write("old", to: dir + "/real")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
        try AtomicFile.write("new", to: dir + "/link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link") == dir + "/real")
        #expect(try String(contentsOfFile: dir + "/real", encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["dangling", "link", "real"])
    }

    @Test func failuresLeaveNoTemporaryFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        #expect(throws: FileWriteError.self) { try AtomicFile.write("x", to: dir + "/sub") }
        #expect(throws: FileWriteError.self) { try AtomicFile.write("x", to: dir + "/none/x") }
        #expect(throws: FileWriteError.self) { try AtomicFile.write("x", to: "/dev/full") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["sub"])
    }
}
