import Foundation
import Testing
@testable import RTFormer

@Suite struct IOEventTests {
    private func expectSorted(_ s: EventStream, _ name: String) {
        #expect(!zip(s.t, s.t.dropFirst()).contains { $0 > $1 }, "\(name): timestamps not sorted")
    }

    private func expectInside(_ s: EventStream, _ name: String) {
        #expect(s.x.allSatisfy { Int($0) < s.sensorWidth } && s.y.allSatisfy { Int($0) < s.sensorHeight }, "\(name)")
        #expect(s.polarity.allSatisfy { $0 <= 1 })
        #expect(s.t.count == s.x.count && s.x.count == s.y.count && s.y.count == s.polarity.count)
    }

    @Test func nmnistBinDecodes() throws {
        let path = IOScratch.data("events/nmnist/tonic_sample_nmnist.bin")
        let s = try Events40Bit.decode(IOScratch.bytes(path), file: path)
        #expect(s.count == 4325)
        #expect(s.sensorWidth == 34 && s.sensorHeight == 34)
        #expect(Set(s.polarity) == [0, 1])
        expectSorted(s, path)
        expectInside(s, path)
    }

    @Test func everySLAYERSampleDecodes() throws {
        let nmnist = try IOScratch.files("events/nmnist/test_subset", suffix: ".bs2")
        let gesture = try IOScratch.files("events/dvsgesture_bs2", suffix: ".bs2")
        #expect(nmnist.count == 10 && gesture.count == 5)
        for p in nmnist + gesture {
            let loaded = try InputFile.load(path: p)
            #expect(loaded.format == .events40Bit)
            guard case let .events(s) = loaded.content else { Issue.record("\(p): not events"); continue }
            #expect(s.count == (try IOScratch.bytes(p)).count / 5)
            expectSorted(s, p)
            expectInside(s, p)
            if p.contains("dvsgesture") {
                #expect(s.sensorWidth == 128 && s.sensorHeight == 128)
                #expect(s.t.last! < 1_450_000)
            } else {
                #expect(s.sensorWidth == 34 && s.sensorHeight == 34)
            }
        }
    }

    @Test func truncated40BitFileNamesTheEvent() throws {
        let bytes = try IOScratch.bytes(IOScratch.data("events/nmnist/tonic_sample_nmnist.bin"))
        let path = try IOScratch.write(Array(bytes.dropLast(3)), name: "nmnist_cut.bin")
        do {
            _ = try Events40Bit.decode(IOScratch.bytes(path), file: path)
            Issue.record("truncated event file accepted")
        } catch let e as InputError {
            #expect(e.location == "event 4324 (byte 21620)")
            #expect(e.description.contains("nmnist_cut.bin"))
        }
        // A given sensor size that the events exceed is an error, not a silent clip.
        #expect(throws: InputError.self) { try Events40Bit.decode(bytes, file: "n.bin", sensorSize: (20, 20)) }
    }

    @Test func aedat4DVXplorerDecodes() throws {
        let path = IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4")
        let loaded = try InputFile.load(path: path)
        #expect(loaded.format == .aedat4)
        guard case let .events(s) = loaded.content else { Issue.record("not events"); return }
        #expect(s.count == 111_954)
        #expect(s.sensorWidth == 320 && s.sensorHeight == 240)
        #expect(s.sensorSizeSource.contains("header"))
        #expect(s.duration > 500_000 && s.duration < 700_000)
        #expect(s.t[0] > 1_500_000_000_000_000)   // absolute Unix-epoch µs (2020)
        #expect((s.skippedPackets["IMUS"] ?? 0) > 0)
        #expect(s.summary.contains("IMUS"))
        expectSorted(s, path)
        expectInside(s, path)
    }

    @Test func truncatedAEDAT4NamesThePacket() throws {
        let bytes = try IOScratch.bytes(IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4"))
        // Cutting the file makes the data-table position point past the end, so the reader runs to
        // the end of the file and meets a packet whose payload is cut.
        let path = try IOScratch.write(Array(bytes.prefix(bytes.count / 2)), name: "cut.aedat4")
        do {
            _ = try InputFile.load(path: path)
            Issue.record("truncated AEDAT4 accepted")
        } catch let e as InputError {
            #expect(e.format == "AEDAT 4.0")
            #expect(e.location.hasPrefix("packet "))
            #expect(e.description.contains("cut.aedat4"))
        }
    }

    @Test func corruptLZ4PacketIsReported() throws {
        var bytes = try IOScratch.bytes(IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4"))
        let headerLength = Int(ByteCursor.load(bytes, 14, 4))
        let first = 18 + headerLength
        let size = Int(ByteCursor.load(bytes, first + 4, 4))
        // Overwrite the LZ4 frame magic of packet 0.
        for i in 0..<4 { bytes[first + 8 + i] = 0 }
        #expect(size > 4)
        do {
            _ = try AEDAT4File.decode(bytes, file: "bad.aedat4")
            Issue.record("corrupt LZ4 frame accepted")
        } catch let e as InputError {
            #expect(e.location.hasPrefix("packet 0 (byte \(first)"))
            #expect(e.expected == "a valid LZ4 frame")
        }
        #expect(throws: InputError.self) { try AEDAT4File.decode(Array(bytes.prefix(30)), file: "tiny.aedat4") }
    }

    @Test func propheseeDATDecodes() throws {
        let path = IOScratch.data("events/prophesee_dat/tonic_ncars_sample.dat")
        let loaded = try InputFile.load(path: path)
        #expect(loaded.format == .prophesee)
        guard case let .events(s) = loaded.content else { Issue.record("not events"); return }
        #expect(s.count == 2009)
        #expect(s.t[0] == 0 && s.x[0] == 25 && s.y[0] == 8 && s.polarity[0] == 0)
        #expect(s.t[1] == 35 && s.x[1] == 67 && s.y[1] == 35)
        expectSorted(s, path)
        expectInside(s, path)
    }

    @Test func corruptPropheseeDATIsReported() throws {
        let bytes = try IOScratch.bytes(IOScratch.data("events/prophesee_dat/tonic_ncars_sample.dat"))
        do {
            _ = try PropheseeDAT.decode(Array(bytes.dropLast(5)), file: "cut.dat")
            Issue.record("truncated DAT accepted")
        } catch let e as InputError {
            #expect(e.location.hasPrefix("event 2008"))
        }
        var wrongType = bytes
        let headerEnd = wrongType.lastIndex(of: 0x0A, before: 200)! + 1
        wrongType[headerEnd] = 0x0C
        #expect(throws: InputError.self) { try PropheseeDAT.decode(wrongType, file: "type.dat") }
    }
}

private extension Array where Element == UInt8 {
    /// The last index of `value` among the first `limit` bytes.
    func lastIndex(of value: UInt8, before limit: Int) -> Int? { self[..<Swift.min(limit, count)].lastIndex(of: value) }
}

@Suite struct IOEventEncoderTests {
    private func stream(_ events: [(Int64, Int, Int, Int)], width: Int, height: Int) -> EventStream {
        var s = EventStream(sensorWidth: width, sensorHeight: height)
        for e in events { s.append(t: e.0, x: UInt16(e.1), y: UInt16(e.2), polarity: UInt8(e.3)) }
        return s
    }

    @Test func splitByNumberGivesEqualCountsAndRestToLast() {
        let b = EventEncoder.segmentBounds(times: (0..<10).map { Int64($0) }, frames: 3, splitBy: .number)
        #expect(b == [0..<3, 3..<6, 6..<10])
    }

    @Test func splitByTimeUsesFlooredEqualDurations() {
        // t0 = 0, t_last = 10, T = 3 → Δt = 3: [0,3), [3,6), [6, end].
        let times: [Int64] = [0, 1, 2, 3, 5, 6, 7, 9, 10]
        #expect(EventEncoder.segmentBounds(times: times, frames: 3, splitBy: .time) == [0..<3, 3..<5, 5..<9])
        // An empty window gives an empty frame.
        #expect(EventEncoder.segmentBounds(times: [0, 1, 9], frames: 3, splitBy: .time) == [0..<2, 2..<2, 2..<3])
    }

    @Test func framesCountOffAndOnSeparately() {
        let s = stream([(0, 1, 2, 0), (1, 1, 2, 0), (2, 3, 0, 1), (3, 3, 0, 1)], width: 4, height: 4)
        let (x, enc) = EventEncoder.encode(s, timesteps: 2, size: 4, splitBy: .number)
        #expect(x.shape == [2, 1, 2, 4, 4])
        #expect(x[0, 0, 0, 2, 1] == 2 && x[1, 0, 1, 0, 3] == 2)
        #expect(x.storage.reduce(0, +) == 4)
        #expect(enc.eventsPerFrame == [2, 2])
    }

    @Test func dvsGestureSumPoolsFourByFour() throws {
        let path = IOScratch.data("events/dvsgesture_bs2/1.bs2")
        let s = try Events40Bit.decode(IOScratch.bytes(path), file: path)
        let (x, enc) = EventEncoder.encode(s, timesteps: 4, size: 32, splitBy: .time)
        #expect(x.shape == [4, 1, 2, 32, 32])
        #expect(enc.scale == 0.25 && enc.offsetX == 0 && enc.offsetY == 0)
        #expect(Int(x.storage.reduce(0, +)) == s.count)
        #expect(enc.eventsPerFrame.reduce(0, +) == s.count)
        // Pixel (0,0) of frame 0, channel ON sums the 4×4 block of sensor pixels.
        let r = EventEncoder.segmentBounds(times: s.t, frames: 4, splitBy: .time)[0]
        let manual = r.filter { s.x[$0] < 4 && s.y[$0] < 4 && s.polarity[$0] == 1 }.count
        #expect(Int(x[0, 0, 1, 0, 0]) == manual)
    }

    @Test func smallSensorIsPlacedCentred() throws {
        let path = IOScratch.data("events/nmnist/tonic_sample_nmnist.bin")
        let s = try Events40Bit.decode(IOScratch.bytes(path), file: path)
        let (x, enc) = EventEncoder.encode(s, timesteps: 2, size: 64)
        #expect(enc.scale == 1 && enc.offsetX == 15 && enc.offsetY == 15)
        #expect(Int(x.storage.reduce(0, +)) == 4325)
        // Nothing lands outside the centred 34×34 window.
        var outside: Float = 0
        for t in 0..<2 { for c in 0..<2 { for yy in 0..<64 { for xx in 0..<64 where !(15..<49).contains(xx) || !(15..<49).contains(yy) {
            outside += x[t, 0, c, yy, xx]
        } } } }
        #expect(outside == 0)
        #expect(enc.summary.contains("centred"))
    }

    @Test func largerNonSquareSensorKeepsAspectAndEveryEvent() throws {
        let s = try AEDAT4File.decode(IOScratch.bytes(IOScratch.data("events/aedat4/tonic_dvxplorer_sample.aedat4")), file: "dvx")
        let (x, enc) = EventEncoder.encode(s, timesteps: 8, size: 32)
        #expect(enc.scale == 0.1)
        #expect(enc.offsetX == 0 && enc.offsetY == 4)   // 320x240 → 32x24 centred vertically
        #expect(Int(x.storage.reduce(0, +)) == s.count)
        #expect(enc.eventsPerFrame.dropLast().allSatisfy { $0 == s.count / 8 })
    }
}
