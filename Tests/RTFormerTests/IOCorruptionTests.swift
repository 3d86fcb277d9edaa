import Foundation
import Testing
@testable import RTFormer

/// Every sample, cut short and with bytes flipped, must either decode or throw `InputError` —
/// never crash, never throw anything else.
@Suite struct IOCorruptionTests {
    private func samples() throws -> [String] {
        var out = [
            IOScratch.data("cifar10/cifar10_test_first10.bin"), IOScratch.data("cifar100/cifar100_test_first10.bin"),
            IOScratch.data("cifar10/png/cifar10_00_3.png"), IOScratch.data("cifar100/png/cifar100_04_71.png"),
            IOScratch.data("events/nmnist/tonic_sample_nmnist.bin"), IOScratch.data("events/prophesee_dat/tonic_ncars_sample.dat"),
            IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4"),
        ]
        out += try IOScratch.files("events/nmnist/test_subset", suffix: ".bs2").prefix(2)
        out += try IOScratch.files("events/dvsgesture_bs2", suffix: ".bs2").prefix(1)
        out += try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("pth")).sorted().map { Fixtures.path("pth/" + $0) }
        return out
    }

    /// Rounds per sample; `RTFORMER_IO_FUZZ_ROUNDS` raises it for a longer local search.
    private let rounds = ProcessInfo.processInfo.environment["RTFORMER_IO_FUZZ_ROUNDS"].flatMap(Int.init) ?? 12

    private func attempt(_ bytes: [UInt8], _ path: String, _ what: String) {
        do {
            _ = try InputFile.decode(bytes, path: path)
        } catch is InputError {
        } catch {
            Issue.record("\(path) \(what): threw \(type(of: error)) instead of InputError: \(error)")
        }
    }

    @Test func truncatedSamplesThrowInputErrorOrDecode() throws {
        for path in try samples() {
            let bytes = try IOScratch.bytes(path)
            for k in 0..<rounds {
                let n = bytes.count * k / rounds + (k % 3)
                attempt(Array(bytes.prefix(n)), path, "cut to \(n) bytes")
            }
        }
    }

    @Test func flippedBytesThrowInputErrorOrDecode() throws {
        var seed: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return seed
        }
        for path in try samples() {
            let original = try IOScratch.bytes(path)
            for round in 0..<rounds {
                var bytes = original
                // Early rounds hit the header, where the structure lives; later ones anywhere.
                let span = round < rounds / 2 ? min(bytes.count, 512) : bytes.count
                for _ in 0..<(1 + round % 3) {
                    bytes[Int(next() % UInt64(span))] ^= UInt8(truncatingIfNeeded: next() | 1)
                }
                attempt(bytes, path, "flip round \(round)")
            }
        }
    }

    @Test func selfReferentialPickleIsRefused() throws {
        // [] q0 h0 a . → a list that contains itself.
        var u = TorchUnpickler([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E], file: "loop.pth", member: "data.pkl")
        let value = try u.load()
        #expect(throws: InputError.self) { try TorchFile.materialise(value, file: "loop.pth") { _ in [] } }
    }
}
