import Foundation
import Testing
@testable import RTFormer

/// Calibration = train-mode passes averaged cumulatively (PyTorch momentum=None).
@Suite struct CalibrationTests {
    static func batch(seed: Double) -> Tensor {
        Tensor(shape: [4, 2, 3, 32, 32], storage: (0..<(4 * 2 * 3 * 1024)).map { Float(sin(Double($0) * 0.011 + seed)) * 1.5 })
    }

    static func windowMeans(_ x: Tensor) throws -> [Float] {
        let net = try Network(config: try ModelConfig.load("tiny"), seed: 2)
        net.mode = .train
        let rec = Recorder()
        _ = try net.forward(x, recorder: rec)
        return try #require(rec.windows["patch_embed.proj_tsbn"]).sorted { $0.t < $1.t }.flatMap(\.mean)
    }

    @Test func runningStatisticsAreTheMeanOverPasses() throws {
        let a = Self.batch(seed: 0), b = Self.batch(seed: 1.3)
        let ma = try Self.windowMeans(a), mb = try Self.windowMeans(b)
        let net = try Network(config: try ModelConfig.load("tiny"), seed: 2)
        var seen: [Int] = []
        try Calibration.run(net, inputs: [a, b], batchSize: 1) { seen.append($0.pass) }
        #expect(seen == [1, 2])
        #expect(net.mode == .eval)
        let rm = try #require(net.currentStateDict()["patch_embed.proj_tsbn.running_mean"]).storage
        for i in rm.indices { #expect(abs(rm[i] - (ma[i] + mb[i]) / 2) <= 1e-6 * max(1, abs(rm[i]))) }
        // The momentum of the model is back to 0.1 afterwards.
        guard case let .tsbn(t) = net.convUnits[0].norm else { Issue.record("no TSBN"); return }
        #expect(t.momentum == 0.1)
        #expect(t.numBatchesTracked == 2)
    }

    @Test func samplesAreStackedAlongTheBatchAxis() {
        let a = Tensor(shape: [2, 1, 1, 1, 2], storage: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 1, 1, 1, 2], storage: [5, 6, 7, 8])
        let s = Calibration.stackBatch([a, b])
        #expect(s.shape == [2, 2, 1, 1, 2])
        #expect(s.storage == [1, 2, 5, 6, 3, 4, 7, 8])
    }
}
