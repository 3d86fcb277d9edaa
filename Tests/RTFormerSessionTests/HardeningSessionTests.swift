import Foundation
import Testing
@testable import RTFormer
@testable import RTFormerSession

/// Issue 16 regressions in the command language: sizes typed by a user are bounded before any
/// allocation, `input … format F` overrides recognition, and errors are printable.
@Suite struct HardeningSessionTests {
    @Test func hugeTimestepsAreAParseError() {
        // Was an arithmetic-overflow trap in GraphBuilder (seeded weights rebuild the model for T).
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        #expect(s.execute(line: "model tiny").error == nil)
        for t in ["9223372036854775807", "1000000", "1025"] {
            let r = s.execute(line: "input default T \(t)")
            #expect(r.error?.contains("T must be ≤ 1024, got \(t)") == true, "\(r.error ?? "accepted")")
        }
        #expect(s.execute(line: "input default T 8").error == nil)
    }

    @Test func formatOptionOverridesRecognition() throws {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        #expect(s.execute(line: "model tiny").error == nil)
        #expect(s.execute(line: "input \(SessionFixtures.cifarBin) format cifar10 index 2").error == nil)
        // Read as CIFAR-100, the CIFAR-10 batch's size is not a whole number of 3074-byte records.
        let wrong = s.execute(line: "input \(SessionFixtures.cifarBin) format cifar100")
        #expect(wrong.error?.contains("CIFAR-100 batch") == true, "\(wrong.error ?? "accepted")")
        #expect(s.execute(line: "input \(SessionFixtures.cifarBin) format gif").error?.contains("unknown format 'gif'") == true)
    }

    @Test func damagedPthThroughLoadWeightsIsAnError() throws {
        // Was a trap inside ZIPFoundation (Archive.MemoryFile.readData) for `load weights`.
        let b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: SessionFixtures.sharedRoot + "/fixtures/pth/spikformer_tiny_state_dict.pth")))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-cut-\(getpid()).pth").path
        try Data(b[..<450] + b[1450...]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        #expect(s.execute(line: "model spikformer-tiny").error == nil)
        let r = s.execute(line: "load weights \(path)")
        #expect(r.error?.contains("PyTorch zip") == true, "\(r.error ?? "loaded")")
        let input = s.execute(line: "input \(path)")
        #expect(input.error?.contains("PyTorch zip") == true, "\(input.error ?? "loaded")")
    }

    @Test func controlCharactersInErrorsAreEscaped() {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        let r = s.execute(line: "model \u{1B}]0;PWNED\u{07}")
        let e = r.error ?? ""
        #expect(!e.isEmpty)
        #expect(!e.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(e)")
        #expect(e.contains("\\x1b]0;PWNED\\x07"))
    }

    @Test func stepByTheLargestIntegerSaturates() throws {
        // Fuzz finding (session seed 7, case 922): `step 9223372036854775807` overflowed cursor.t + n.
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        for line in ["model tiny", "input default", "step", "step 9223372036854775807"] {
            #expect(s.execute(line: line).error == nil, "\(line)")
        }
        #expect(s.execute(line: "expect t == 3").error == nil)
        #expect(s.execute(line: "back 9223372036854775807").error == nil)
        #expect(s.execute(line: "expect t == 0").error == nil)
    }

    @Test func memoryEstimateCoversWhatTheSessionRecords() throws {
        // Fuzz finding (session seed 7, case 669): `input default T 1024` on seeded tiny records
        // 4 GiB. The estimate checked before building must not be below what is really held.
        for (model, input) in [("tiny", "default"), ("spikformer-tiny", "default"), ("sdt-tiny", "default"), ("tiny-dvs", "gesture")] {
            let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
            for line in ["model \(model)", "input \(input)", "run"] { #expect(s.execute(line: line).error == nil, "\(model): \(line)") }
            let config = try #require(ModelConfig.named[model])
            let estimate = try #require(ModelLimits.estimatedBytes(config))
            #expect(s.memoryBytes > 0 && s.memoryBytes <= estimate, "\(model): records \(s.memoryBytes) B, estimate \(estimate) B")
        }
    }
}
