import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// `mode train` (the `t` key) is a preview: `mode eval` restores the running statistics exactly.
@Suite struct TrainPreviewTests {
    @Test func twoTrainEvalTogglesLeaveRunningStatisticsBitIdentical() throws {
        let s = try SessionFixtures.tinySession()
        let net = try #require(s.unfused)
        let before = net.normStatistics()
        #expect(!before.entries.isEmpty)
        for _ in 0..<2 {
            try SessionFixtures.run(s, ["mode train", "run"])
            // The preview did update them (so the restore below is not vacuous).
            #expect(net.normStatistics() != before)
            let r = s.execute(line: "mode eval")
            #expect(r.error == nil)
            #expect(r.output.contains("restored"))
        }
        let after = net.normStatistics()
        for (path, e) in before.entries {
            let a = try #require(after.entries[path])
            // Bit patterns, so -0/+0 or NaN payloads cannot hide a change.
            #expect(a.runningMean.map(\.bitPattern) == e.runningMean.map(\.bitPattern), "\(path) running_mean")
            #expect(a.runningVar.map(\.bitPattern) == e.runningVar.map(\.bitPattern), "\(path) running_var")
            #expect(a.numBatchesTracked == e.numBatchesTracked)
        }
        #expect(s.statisticsBeforeTrain == nil)
    }

    @Test func calibrateInTrainModeKeepsTheCalibratedStatistics() throws {
        let s = try SessionFixtures.tinySession(extra: ["mode train", "calibrate default 2"])
        let calibrated = try #require(s.unfused).normStatistics()
        try SessionFixtures.run(s, ["mode eval"])
        #expect(try #require(s.unfused).normStatistics() == calibrated)
    }
}
