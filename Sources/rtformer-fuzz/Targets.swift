import Foundation
import RTFormer
import RTFormerSession
import ZIPFoundation

/// One seed input of a target, with where its structure lives.
struct Seed {
    var name: String
    var bytes: [UInt8]
    var layout: Layout
}

/// A reader under test: its seeds and what one case runs. A case passes when it returns or
/// throws (any error is a clean refusal); it fails when the process traps, is killed for memory,
/// or runs past the time limit — the runner sees those from outside.
struct Target: Sendable {
    var name: String
    /// The extension the case file gets (recognition looks at it), one per seed when given.
    var fileName: String
    var seeds: @Sendable () -> [Seed]
    var run: @Sendable (_ bytes: [UInt8], _ path: String, _ variant: Int) throws -> Void
}

enum Targets {
    /// `../shared` (fixtures and sample data) when present: `RTFORMER_SHARED`, else beside the
    /// current directory.
    static var shared: String {
        ProcessInfo.processInfo.environment["RTFORMER_SHARED"] ?? FileManager.default.currentDirectoryPath + "/../shared"
    }

    static func file(_ relative: String) -> [UInt8]? {
        FileManager.default.contents(atPath: shared + "/" + relative).map { [UInt8]($0) }
    }

    static func resource(_ name: String) -> [UInt8]? {
        (try? BundledResources.path(name)).flatMap { FileManager.default.contents(atPath: $0) }.map { [UInt8]($0) }
    }

    /// Offsets of every occurrence of `pattern` (for zip signatures).
    static func occurrences(of pattern: [UInt8], in b: [UInt8]) -> [Int] {
        guard b.count >= pattern.count else { return [] }
        return (0...(b.count - pattern.count)).filter { i in b[i] == pattern[0] && Array(b[i..<(i + pattern.count)]) == pattern }
    }

    /// Runs an input file through recognition (even variants) or its named format (odd), then
    /// encodes it for a small model: the path `--input` takes.
    static func input(_ format: InputFormat) -> @Sendable (_ bytes: [UInt8], _ path: String, _ variant: Int) throws -> Void {
        { bytes, path, variant in
            let loaded = try InputFile.decode(bytes, path: path, format: variant % 2 == 1 ? format : nil)
            _ = try InputEncoder.encode(loaded, file: path, timesteps: 4, size: loaded.format == .aedat4 || loaded.format == .prophesee ? 64 : 32,
                                        splitBy: variant % 4 < 2 ? .number : .time)
        }
    }

    /// Weights files: the input path, and `CheckpointFile` (the `--weights` path) on a file.
    static func weights(_ format: InputFormat) -> @Sendable (_ bytes: [UInt8], _ path: String, _ variant: Int) throws -> Void {
        { bytes, path, variant in
            if variant % 2 == 0 {
                _ = try? input(format)(bytes, path, variant)
            } else {
                _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
                defer { unlink(path) }
                _ = try CheckpointFile.loadStateDict(path: path)
            }
        }
    }

    /// Checks the runner itself (`Tests/Fuzz/run.sh` runs it first, expecting exactly these
    /// three failures): case 7 allocates past the address-space limit, case 13 hangs, case 42
    /// traps; every other case passes. Not part of `all`.
    static let selftest = Target(name: "selftest", fileName: "x.bin", seeds: {
        [Seed(name: "x", bytes: [0x78], layout: Layout())]
    }, run: { _, _, variant in
        switch variant {
        case 7:
            var big = [UInt8](repeating: 1, count: 8 << 30)
            big[big.count - 1] = 2
            if big[0] == 9 { print(big[big.count - 1]) }
        case 13: while true { sleep(1) }
        case 42: fatalError("selftest: deliberate trap")
        default: break
        }
    })

    static let cifarPixels: [UInt8] = Array(BundledSamples.cifar10TestRecords.prefix(3 * 3073))

    static let all: [Target] = [
        Target(name: "cifar10", fileName: "batch.bin", seeds: {
            [Seed(name: "bundled", bytes: cifarPixels, layout: Layout(hot: [0..<1, 3073..<3074, 6146..<6147]))]
        }, run: input(.cifar10)),
        Target(name: "cifar100", fileName: "cifar100.bin", seeds: {
            var b: [UInt8] = []
            for r in 0..<3 { b += [UInt8(r * 7 % 20), UInt8(r * 31 % 100)] + Array(cifarPixels[(r * 3073 + 1)..<((r + 1) * 3073)]) }
            return [Seed(name: "synthetic", bytes: b, layout: Layout(hot: [0..<2, 3074..<3076, 6148..<6150]))]
        }, run: input(.cifar100)),
        Target(name: "png", fileName: "image.png", seeds: {
            ["data/photos/32x32/coffee_32x32.png", "data/cifar10/png/cifar10_00_3.png"].compactMap { p in
                file(p).map { Seed(name: p, bytes: $0, layout: Layout(hot: [8..<64], fixup: Layout.pngChunkCRCs)) }
            }
        }, run: input(.png)),
        Target(name: "jpeg", fileName: "image.jpg", seeds: {
            let image = RGBImage(width: 32, height: 32, pixels: Array(cifarPixels[1..<3073]))
            return [(try? JPEGImage.encode(image, quality: 85)).map { Seed(name: "encoded", bytes: $0, layout: Layout(hot: [0..<700])) }]
                .compactMap { $0 }
        }, run: input(.jpeg)),
        Target(name: "ppm", fileName: "image.ppm", seeds: {
            let p6 = Array("P6\n32 32\n255\n".utf8)
            var rgb: [UInt8] = []
            for i in 0..<1024 { rgb += [cifarPixels[1 + i], cifarPixels[1025 + i], cifarPixels[2049 + i]] }
            let values: [String] = (0..<24).map { String($0 * 10) }
            let p3: [UInt8] = Array("P3\n# small\n4 2\n255\n".utf8) + Array(values.joined(separator: " ").utf8) + [0x0A]
            let p5: [UInt8] = Array("P5 8 8 65535\n".utf8) + (0..<128).map { UInt8($0) }
            return [Seed(name: "P6", bytes: p6 + rgb, layout: Layout(hot: [0..<14], text: 0..<13)),
                    Seed(name: "P3", bytes: p3, layout: Layout(hot: [0..<20], text: 0..<p3.count)),
                    Seed(name: "P5", bytes: p5, layout: Layout(hot: [0..<13], text: 0..<13))]
        }, run: input(.netpbm)),
        Target(name: "events40", fileName: "events.bs2", seeds: {
            var seeds: [Seed] = []
            if let g = resource(BundledResources.dvsGesture) { seeds.append(Seed(name: "gesture", bytes: Array(g.prefix(5 * 3000)), layout: Layout(hot: [0..<40]))) }
            if let n = file("data/events/nmnist/tonic_sample_nmnist.bin") { seeds.append(Seed(name: "nmnist", bytes: n, layout: Layout(hot: [0..<40]))) }
            return seeds
        }, run: input(.events40Bit)),
        Target(name: "aedat4", fileName: "rec.aedat4", seeds: {
            guard let b = file("data/events/aedat4/tonic_dvxplorer_sample.aedat4"), b.count > 18 else { return [] }
            let headerLength = Int(UInt32(b[14]) | UInt32(b[15]) << 8 | UInt32(b[16]) << 16 | UInt32(b[17]) << 24)
            var hot = [0..<(18 + min(headerLength, 64))]
            // Packet headers (stream id, size) and the start of each payload.
            var pos = 18 + headerLength
            while pos + 8 <= b.count && hot.count < 40 {
                hot.append(pos..<(pos + 24))
                let size = Int(UInt32(b[pos + 4]) | UInt32(b[pos + 5]) << 8 | UInt32(b[pos + 6]) << 16 | UInt32(b[pos + 7]) << 24)
                pos += 8 + max(0, size)
            }
            let xmlStart = occurrences(of: Array("<dv".utf8), in: Array(b.prefix(18 + headerLength))).first ?? 18
            return [Seed(name: "dvxplorer", bytes: b, layout: Layout(hot: hot, text: xmlStart..<(18 + headerLength), sameLengthText: true))]
        }, run: input(.aedat4)),
        Target(name: "dat", fileName: "rec.dat", seeds: {
            guard let b = file("data/events/prophesee_dat/tonic_ncars_sample.dat") else { return [] }
            var end = 0
            while end < b.count && b[end] == 0x25, let nl = b[end...].firstIndex(of: 0x0A) { end = nl + 1 }
            var withSize = Array("% Width 120\n% Height 100\n".utf8) + b
            withSize.removeSubrange(withSize.count - 8 * 1000..<withSize.count)
            return [Seed(name: "ncars", bytes: b, layout: Layout(hot: [0..<(end + 16)], text: 0..<end)),
                    Seed(name: "ncars+size", bytes: withSize, layout: Layout(hot: [0..<(end + 40)], text: 0..<(end + 25)))]
        }, run: input(.prophesee)),
        Target(name: "npy", fileName: "x.npy", seeds: {
            func npy(_ header: String, _ data: [UInt8]) -> Seed {
                var h = Array(header.utf8)
                while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
                h.append(0x0A)
                let b = NumpyArray.magic + [1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
                return Seed(name: header, bytes: b, layout: Layout(hot: [6..<10], text: 10..<(10 + h.count), fixLength: { b, old, newCount in
                    guard b.count > 9 else { return }
                    b[8] = UInt8(newCount & 0xFF); b[9] = UInt8((newCount >> 8) & 0xFF)
                }))
            }
            let f32 = (0..<(3 * 8 * 8)).flatMap { i in withUnsafeBytes(of: Float(i).bitPattern.littleEndian, Array.init) }
            return [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", f32),
                    npy("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4, 4), }", Array(repeating: 0, count: 8 * 48)),
                    npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4, 4), }", (0..<96).map { UInt8($0) })]
        }, run: input(.npy)),
        Target(name: "safetensors", fileName: "w.safetensors", seeds: {
            var seeds: [Seed] = []
            let tensors: [(String, Tensor)] = [("input", Tensor(shape: [1, 3, 8, 8], storage: (0..<192).map(Float.init))),
                                               ("block.0.attn.q_conv.weight", Tensor(shape: [4, 4, 1, 1], storage: Array(repeating: 0.5, count: 16))),
                                               ("labels", Tensor(shape: [1], storage: [3]))]
            if let d = try? Safetensors.serialize(tensors, metadata: ["model": "tiny"]) { seeds.append(Seed(name: "serialized", bytes: [UInt8](d), layout: .safetensors([UInt8](d)))) }
            if let d = file("fixtures/lif.safetensors") { seeds.append(Seed(name: "lif", bytes: d, layout: .safetensors(d))) }
            return seeds
        }, run: weights(.safetensors)),
        Target(name: "pth", fileName: "w.pth", seeds: {
            ["fixtures/pth/spikformer_tiny_input.pth", "fixtures/pth/spikformer_tiny_state_dict.pth", "fixtures/pth/input_legacy.pt"].compactMap { p in
                guard let b = file(p) else { return nil }
                var hot: [Range<Int>] = [0..<64]
                for sig in [[0x50, 0x4B, 1, 2], [0x50, 0x4B, 3, 4], [0x50, 0x4B, 5, 6], [0x50, 0x4B, 6, 6], [0x50, 0x4B, 6, 7]] as [[UInt8]] {
                    hot += occurrences(of: sig, in: b).prefix(12).map { $0..<min(b.count, $0 + 56) }
                }
                // Half the seeds repair member CRCs after mutation, so mutated pickles reach the
                // unpickler through the zip path; the other half keep the damage for the zip checks.
                return Seed(name: p, bytes: b, layout: Layout(hot: hot, fixup: p.hasSuffix("input.pth") ? Layout.zipMemberCRCs : nil))
            }
        }, run: weights(.pytorch)),
        Target(name: "config", fileName: "model.json", seeds: {
            ["tiny", "spikformer-tiny", "sdt-tiny", "tiny-dvs"].compactMap { n in
                guard let c = ModelConfig.named[n], let d = try? JSONSerialization.data(withJSONObject: c.jsonObject, options: [.sortedKeys]) else { return nil }
                return Seed(name: n, bytes: [UInt8](d), layout: Layout(text: 0..<d.count))
            }
        }, run: { bytes, path, _ in
            let config = try ModelConfig.parse(json: Data(bytes), file: path)
            try ModelLimits.check(config)
            // Build what is small enough to build quickly; the limit check covers the rest.
            if let e = ModelLimits.estimatedBytes(config), e <= 64 << 20 { _ = try Network(config: config) }
        }),
        Target(name: "session", fileName: "script.session", seeds: {
            var seeds: [Seed] = []
            let dir = FileManager.default.currentDirectoryPath + "/sessions"
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.hasSuffix(".session") {
                if let b = FileManager.default.contents(atPath: dir + "/" + name) {
                    seeds.append(Seed(name: name, bytes: Array([UInt8](b).prefix(1500)), layout: Layout(text: 0..<min(1500, b.count))))
                }
            }
            let script = """
                model tiny
                input default index 3 T 4
                step 2
                layer 5
                channel 2
                neuron 1,2,3
                goto t=3
                back 1
                view split
                fold paper
                diff
                show membrane
                token 2
                expect rate >= 0
                encode events time
                input gesture
                """
            seeds.append(Seed(name: "builtin", bytes: Array(script.utf8), layout: Layout(text: 0..<script.utf8.count)))
            return seeds
        }, run: { bytes, path, _ in
            let dir = (path as NSString).deletingLastPathComponent
            let session = Session(baseDirectory: dir)
            let light = Set(["tiny", "spikformer-tiny", "sdt-tiny", "tiny-dvs"])
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).prefix(40) {
                let words = line.split(separator: " ")
                // Large named models are valid but slow to build: kept out of the time budget.
                if words.first == "model", words.count > 1, ModelConfig.named[String(words[1])] != nil, !light.contains(String(words[1])) { continue }
                _ = session.execute(line: String(line))
            }
        }),
    ]
}

extension Layout {
    /// Recomputes each stored zip member's CRC-32 into its local header and its central
    /// directory entry, where the sizes and offsets still fit the file.
    static let zipMemberCRCs: @Sendable (inout [UInt8]) -> Void = { b in
        func u(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        func put(_ v: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) } }
        var crcByOffset: [Int: UInt32] = [:]
        for local in Targets.occurrences(of: [0x50, 0x4B, 3, 4], in: b) where local + 30 <= b.count {
            let size = u(local + 18, 4), start = local + 30 + u(local + 26, 2) + u(local + 28, 2)
            guard u(local + 8, 2) == 0, size != 0xFFFF_FFFF, start + size <= b.count else { continue }
            let crc = Data(b[start..<(start + size)]).crc32(checksum: 0)
            put(crc, local + 14)
            crcByOffset[local] = crc
        }
        for entry in Targets.occurrences(of: [0x50, 0x4B, 1, 2], in: b) where entry + 46 <= b.count {
            if let crc = crcByOffset[u(entry + 42, 4)] { put(crc, entry + 16) }
        }
    }

    /// Recomputes the CRC-32 of every PNG chunk (length, type, data, CRC over type + data) that
    /// still fits the file (`Data.crc32`, ZIPFoundation).
    static let pngChunkCRCs: @Sendable (inout [UInt8]) -> Void = { b in
        var pos = 8
        while pos + 12 <= b.count {
            let length = Int(UInt32(b[pos]) << 24 | UInt32(b[pos + 1]) << 16 | UInt32(b[pos + 2]) << 8 | UInt32(b[pos + 3]))
            guard length <= b.count - pos - 12 else { return }
            let crc = Data(b[(pos + 4)..<(pos + 8 + length)]).crc32(checksum: 0)
            for i in 0..<4 { b[pos + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> UInt32(24 - 8 * i)) }
            pos += 12 + length
        }
    }

    /// The safetensors header: the JSON as text, its u64 length kept consistent.
    static func safetensors(_ b: [UInt8]) -> Layout {
        guard b.count >= 8 else { return Layout() }
        let n = Int(min(UInt64(b.count - 8), (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[$1]) << UInt64(8 * $1) }))
        return Layout(hot: [0..<16], text: 8..<(8 + n), fixLength: { b, _, newCount in
            guard b.count >= 8 else { return }
            for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: UInt64(newCount) >> UInt64(8 * i)) }
        })
    }
}
