import Foundation
import Testing
@testable import RTFormer

@Suite struct IOCIFARTests {
    @Test func cifar10FirstRecordMatchesSourcesCheckValue() throws {
        let batch = try CIFARBatch.read(path: IOScratch.data("cifar10/cifar10_test_first10.bin"))
        #expect(batch.variant == .cifar10)
        #expect(batch.records.count == 10)
        let r = batch.records[0]
        #expect((r.image[0, 0, 0], r.image[1, 0, 0], r.image[2, 0, 0]) == (158, 112, 49))
        #expect(r.label == 3 && r.className == "cat")
    }

    @Test func cifar10LabelsMatchLabelsCSV() throws {
        let batch = try CIFARBatch.read(path: IOScratch.data("cifar10/cifar10_test_first10.bin"))
        let rows = try String(contentsOfFile: IOScratch.data("cifar10/labels.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        for row in rows where Int(row[1])! < batch.records.count {
            let r = batch.records[Int(row[1])!]
            #expect(r.label == Int(row[2])! && r.className == String(row[3]))
        }
    }

    @Test func classNamesMatchSharedNameFiles() throws {
        func lines(_ p: String) throws -> [String] {
            try String(contentsOfFile: IOScratch.data(p), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        #expect(try lines("cifar10/batches.meta.txt") == ClassNames.cifar10)
        #expect(try lines("cifar100/fine_label_names.txt") == ClassNames.cifar100Fine)
        #expect(try lines("cifar100/coarse_label_names.txt") == ClassNames.cifar100Coarse)
    }

    @Test func cifar100RecordsCarryFineAndCoarseLabels() throws {
        let batch = try CIFARBatch.read(path: IOScratch.data("cifar100/cifar100_test_first10.bin"))
        #expect(batch.variant == .cifar100)
        #expect(batch.records.count == 10)
        let rows = try String(contentsOfFile: IOScratch.data("cifar100/labels.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        for row in rows where Int(row[1])! < 10 {
            let r = batch.records[Int(row[1])!]
            #expect(r.label == Int(row[2])! && r.className == String(row[3]))
            #expect(r.coarseLabel == Int(row[4])! && r.coarseClassName == String(row[5]))
        }
    }

    @Test func truncatedBatchNamesTheBrokenRecord() throws {
        let bytes = try IOScratch.bytes(IOScratch.data("cifar10/cifar10_test_first10.bin"))
        let path = try IOScratch.write(Array(bytes.prefix(3073 * 9 + 1000)), name: "cifar10_truncated.bin")
        do {
            _ = try CIFARBatch.read(path: path, variant: .cifar10)
            Issue.record("truncated batch was accepted")
        } catch let e as InputError {
            #expect(e.location == "record 9 (byte 27657)")
            #expect(e.description.contains("cifar10_truncated.bin"))
            #expect(e.found.contains("1000 bytes"))
        }
    }

    @Test func badLabelIsReportedWithItsRecord() throws {
        var bytes = try IOScratch.bytes(IOScratch.data("cifar100/cifar100_test_first10.bin"))
        bytes[3074 * 4 + 1] = 140
        #expect(throws: InputError.self) { try CIFARBatch.parse(bytes, file: "x.bin", variant: .cifar100) }
        do { _ = try CIFARBatch.parse(bytes, file: "x.bin", variant: .cifar100) } catch let e as InputError {
            #expect(e.location == "record 4 (byte 12297)")
        }
    }
}

@Suite struct IOImageTests {
    @Test func cifarPNGsEqualTheirBinaryRecords() throws {
        for (folder, variant) in [("cifar10", CIFARVariant.cifar10), ("cifar100", .cifar100)] {
            let batch = try CIFARBatch.read(path: IOScratch.data("\(folder)/\(folder)_test_first10.bin"), variant: variant)
            let pngs = try IOScratch.files("\(folder)/png", suffix: ".png")
            #expect(pngs.count == 10)
            for p in pngs {
                let name = p.split(separator: "/").last!.split(separator: "_")
                let index = Int(name[1])!, label = Int(name[2].dropLast(4))!
                let image = try PNGImage.decode(IOScratch.bytes(p), file: p)
                #expect(image == batch.records[index].image, "\(p)")
                #expect(batch.records[index].label == label)
            }
        }
    }

    @Test func photosDecodeAtFullSizeAndPrepareToModelSize() throws {
        let expected = ["astronaut.png": (512, 512), "chelsea.png": (451, 300), "coffee.png": (600, 400)]
        for p in try IOScratch.files("photos/original", suffix: ".png") {
            let image = try PNGImage.decode(IOScratch.bytes(p), file: p)
            let name = String(p.split(separator: "/").last!)
            if let (w, h) = expected[name] { #expect(image.width == w && image.height == h, "\(name)") }
            let (small, prep) = ImageEncoder.prepare(image, size: 32)
            #expect(small.width == 32 && small.height == 32)
            #expect(prep.crop.width == min(image.width, image.height))
            #expect(prep.resize == "area (down-scaling)")
        }
    }

    @Test func areaResizeOfPhotoIsCloseToTheLanczosReference() throws {
        // photos/32x32 were made with PIL LANCZOS; area averaging differs a little, not a lot.
        for name in ["chelsea", "coffee", "astronaut"] {
            let original = try PNGImage.decode(IOScratch.bytes(IOScratch.data("photos/original/\(name).png")), file: name)
            let reference = try PNGImage.decode(IOScratch.bytes(IOScratch.data("photos/32x32/\(name)_32x32.png")), file: name)
            let ours = ImageEncoder.prepare(original, size: 32).image
            let meanAbs = zip(ours.pixels, reference.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(ours.pixels.count)
            #expect(meanAbs < 8, "\(name): mean |Δ| \(meanAbs)")
        }
    }

    @Test func resizeKeepsConstantImagesAndAveragesBlocks() {
        let flat = RGBImage(width: 7, height: 5, pixels: [UInt8](repeating: 77, count: 105))
        #expect(flat.resized(width: 3, height: 2).pixels.allSatisfy { $0 == 77 })
        #expect(flat.resized(width: 11, height: 9).pixels.allSatisfy { $0 == 77 })
        let block = RGBImage(width: 2, height: 2, pixels: [0, 10, 20, 30] + [UInt8](repeating: 0, count: 8))
        #expect(block.resized(width: 1, height: 1).pixels == [15, 0, 0])
    }

    @Test func centreCropCutsTheLongSideEqually() {
        let image = RGBImage(width: 5, height: 2, pixels: (0..<30).map { UInt8($0) })
        let (square, rect) = image.centreCropped()
        #expect(rect == CropRect(x: 1, y: 0, width: 2, height: 2))
        #expect(square.pixels[0..<4] == [1, 2, 6, 7])
    }

    @Test func jpegRoundTripIsClose() throws {
        let png = try PNGImage.decode(IOScratch.bytes(IOScratch.data("photos/original/chelsea.png")), file: "chelsea")
        let jpeg = try JPEGImage.encode(png, quality: 95)
        #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
        let path = try IOScratch.write(jpeg, name: "chelsea.jpg")
        let loaded = try InputFile.load(path: path)
        #expect(loaded.format == .jpeg)
        guard case let .image(li) = loaded.content else { Issue.record("not an image"); return }
        #expect(li.image.width == 451 && li.image.height == 300)
        let meanAbs = zip(li.image.pixels, png.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(png.pixels.count)
        #expect(meanAbs < 3, "mean |Δ| \(meanAbs)")
    }

    @Test func truncatedJPEGHeaderThrows() throws {
        let png = try PNGImage.decode(IOScratch.bytes(IOScratch.data("cifar10/png/cifar10_00_3.png")), file: "c")
        let jpeg = try JPEGImage.encode(png)
        #expect(throws: InputError.self) { try JPEGImage.decode(Array(jpeg.prefix(40)), file: "cut.jpg") }
        // A cut inside the scan is recovered by libjpeg and reported as warnings, not a crash.
        let (_, warnings) = try JPEGImage.decode(Array(jpeg.prefix(jpeg.count * 2 / 3)), file: "cut.jpg")
        #expect(warnings > 0)
    }

    @Test func corruptPNGThrowsWithLibpngMessage() throws {
        var bytes = try IOScratch.bytes(IOScratch.data("cifar10/png/cifar10_01_8.png"))
        #expect(throws: InputError.self) { try PNGImage.decode(Array(bytes.prefix(100)), file: "cut.png") }
        bytes[bytes.count / 2] ^= 0xFF
        do {
            _ = try PNGImage.decode(bytes, file: "flipped.png")
            Issue.record("corrupted PNG accepted")
        } catch let e as InputError {
            #expect(e.file == "flipped.png" && e.format == "PNG" && !e.found.isEmpty)
        }
    }

    @Test func netpbmBinaryAndASCIIDecode() throws {
        let p6 = Array("P6\n# comment\n2 1\n255\n".utf8) + [255, 0, 0, 0, 0, 255]
        let a = try NetpbmImage.decode(p6, file: "a.ppm")
        #expect(a.pixels == [255, 0, 0, 0, 0, 255])
        let p2 = Array("P2 2 1 15 15 0\n".utf8)
        #expect(try NetpbmImage.decode(p2, file: "b.pgm").pixels == [255, 0, 255, 0, 255, 0])
        let p5 = Array("P5 1 1 65535\n".utf8) + [0x80, 0x00]
        #expect(try NetpbmImage.decode(p5, file: "c.pgm").pixels == [128, 128, 128])
        #expect(throws: InputError.self) { try NetpbmImage.decode(Array("P6 4 4 255\n".utf8) + [1, 2, 3], file: "d.ppm") }
        #expect(throws: InputError.self) { try NetpbmImage.decode(Array("P6 4 x".utf8), file: "e.ppm") }
    }

    @Test func netpbmOfCIFARRecordRoundTrips() throws {
        let record = try CIFARBatch.read(path: IOScratch.data("cifar10/cifar10_test_first10.bin")).records[5].image
        var ppm = Array("P6\n32 32\n255\n".utf8)
        for i in 0..<1024 { for c in 0..<3 { ppm.append(record.pixels[c * 1024 + i]) } }
        let path = try IOScratch.write(ppm, name: "record5.ppm")
        let loaded = try InputFile.load(path: path)
        guard case let .image(li) = loaded.content else { Issue.record("not an image"); return }
        #expect(loaded.format == .netpbm && li.image == record)
    }
}
