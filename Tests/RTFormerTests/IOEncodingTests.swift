import Foundation
import Testing
@testable import RTFormer

@Suite struct IOImageEncodingTests {
    @Test func firstTwoCIFAR10RecordsGiveTheFixtureInputBitForBit() throws {
        let f = try Safetensors.read(path: Fixtures.path("rtformer_tiny.safetensors"))
        let ref = f.tensors["input"]!, refU8 = f.tensors["input_uint8"]!
        let batch = try CIFARBatch.read(path: IOScratch.data("cifar10/cifar10_test_first10.bin"))
        let images = Array(batch.records.prefix(2)).map(\.image)
        #expect(refU8.storage == images.flatMap(\.pixels).map(Float.init))
        let (x, enc) = ImageEncoder.encode(images, timesteps: 4, size: 32)
        #expect(x.shape == [4, 2, 3, 32, 32])
        var maxDiff: Float = 0
        for t in 0..<4 {
            let slice = x.slice(t)
            for (a, b) in zip(slice.storage, ref.storage) { maxDiff = max(maxDiff, abs(a - b)) }
        }
        #expect(maxDiff == 0, "max |Δ| = \(maxDiff)")
        #expect(enc.stats == .cifar10 && enc.preparations.allSatisfy { $0.resize == "none" })
        #expect(enc.summary.contains("T = 4"))
    }

    /// An independent check: dubcyfor3/spikformer-lava's input_data.pth (CIFAR-10 test images 0-7,
    /// normalised by timm in float32) against our Float64 normalisation of the same pixels.
    /// The file is not in every data subset: the test is reported as skipped where it is absent.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: IOScratch.data("cifar10/spikformer_lava_input_data.pth"))))
    func spikformerLavaInputMatchesThePNGs() throws {
        let path = IOScratch.data("cifar10/spikformer_lava_input_data.pth")
        let loaded = try InputFile.load(path: path)
        guard case let .tensor(t) = loaded.content else {
            Issue.record("\(path) did not load as a tensor")
            return
        }
        let batch = try CIFARBatch.read(path: IOScratch.data("cifar10/cifar10_test_first10.bin"))
        let ours = ImageEncoder.normalise(batch.records.prefix(8).map(\.image))
        #expect(t.shape == [8, 3, 32, 32])
        #expect(zip(t.storage, ours.storage).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func cifar100StatsAreUsedForCIFAR100() {
        let image = RGBImage(width: 1, height: 1, pixels: [255, 0, 128])
        let x = ImageEncoder.normalise([image], stats: .cifar100)
        #expect(x.storage[0] == Float((1 - 0.5071) / 0.2675))
        #expect(x.storage[1] == Float((0 - 0.4867) / 0.2565))
        #expect(x.storage[2] == Float((128.0 / 255 - 0.4408) / 0.2761))
    }

    @Test func photosAreCroppedResizedAndDescribed() throws {
        let photo = try PNGImage.decode(IOScratch.bytes(IOScratch.data("photos/original/chelsea.png")), file: "chelsea")
        let (x, enc) = ImageEncoder.encode([photo], timesteps: 2, size: 32)
        #expect(x.shape == [2, 1, 3, 32, 32])
        #expect(enc.preparations[0].summary == "451x300 → centre crop 300x300 at (75,0) → area (down-scaling) resize to 32x32")
        let small = RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 9, count: 768))
        #expect(ImageEncoder.prepare(small, size: 32).preparation.resize == "bilinear (up-scaling)")
    }
}

@Suite struct IOInputEncoderTests {
    @Test func everyKindOfInputBecomesTBCHW() throws {
        let cifar = try InputFile.load(path: IOScratch.data("cifar100/cifar100_test_first10.bin"), index: 0)
        let a = try InputEncoder.encode(cifar, file: "c100", timesteps: 4, size: 32)
        #expect(a.input.shape == [4, 1, 3, 32, 32] && a.labels == [49])
        #expect(a.summary.contains("CIFAR-100") && a.summary.contains("mountain"))

        let events = try InputFile.load(path: IOScratch.data("events/dvsgesture_bs2/2.bs2"))
        let b = try InputEncoder.encode(events, file: "2.bs2", timesteps: 16, size: 64, splitBy: .time)
        #expect(b.input.shape == [16, 1, 2, 64, 64])

        let tensor = try InputFile.load(path: Fixtures.path("pth/spikformer_tiny_input.pth"))
        let c = try InputEncoder.encode(tensor, file: "in.pth", timesteps: 4, size: 32)
        #expect(c.input.shape == [4, 2, 3, 32, 32])
        #expect(throws: InputError.self) { try InputEncoder.encode(tensor, file: "in.pth", timesteps: 4, size: 64) }
    }
}
