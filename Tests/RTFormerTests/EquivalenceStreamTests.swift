import Foundation
import Testing
@testable import RTFormer

/// Issue 10: the equivalence check streamed over t holds the unfused real values of one timestep;
/// its report must be the one of the whole run checked at once, with recorded or recomputed
/// references for the real-valued folds.
@Suite struct EquivalenceStreamTests {
    /// The report of two whole forwards with everything recorded (unit outputs included, so the
    /// real-valued folds are compared with the recorded unfused outputs).
    static func wholeRun(_ net: Network, _ deploy: Network, _ input: Tensor, fold: ThresholdFoldMode) throws -> EquivalenceReport {
        let recU = Recorder(recordUnitInputs: true), recD = Recorder()
        let logitsU = try net.forward(input, recorder: recU)
        let logitsD = try deploy.forward(input, recorder: recD)
        return try Equivalence.compare(unfused: net, unfusedRecorder: recU, unfusedLogits: logitsU, deploy: deploy, deployRecorder: recD,
                                       deployLogits: logitsD, fold: fold)
    }

    static func expectSame(_ a: EquivalenceReport, _ b: EquivalenceReport) {
        #expect(a.summary == b.summary)
        #expect(a.summary.firstUnattributed == b.summary.firstUnattributed)
        #expect(a.endToEnd == b.endToEnd)
        #expect(a.localSpikes == b.localSpikes)
        #expect(a.localReal == b.localReal)
        #expect(a.firstDivergence == b.firstDivergence)
        #expect(a.propagated == b.propagated)
        #expect(a.riskyChannels == b.riskyChannels)
        #expect(a.logitsMaxAbs == b.logitsMaxAbs && a.logitsMaxRel == b.logitsMaxRel)
    }

    @Test func streamedEqualsWholeRunOnRoundingOrigins() throws {
        let (net, input, _, _) = try AttributionTests.forcedTie()
        let deploy = try DeployConversion.convert(net, fold: .exact)
        let streamed = try Equivalence.compare(unfused: net, deploy: deploy, input: input, fold: .exact)
        let whole = try Self.wholeRun(net, deploy, input, fold: .exact)
        #expect(streamed.verdict == .equivalentUpToRounding)
        #expect(streamed.summary.propagated > 0, "the tie must cascade")
        Self.expectSame(streamed, whole)
    }

    @Test func streamedEqualsWholeRunOnStructuralOrigins() throws {
        let (net, input) = try DeployTests.unfused()
        let deploy = try DeployConversion.convert(net, fold: .paper)
        let streamed = try Equivalence.compare(unfused: net, deploy: deploy, input: input, fold: .paper)
        let whole = try Self.wholeRun(net, deploy, input, fold: .paper)
        #expect(streamed.verdict == .notEquivalent && streamed.summary.structuralOrigins > 0)
        #expect(!streamed.localReal.isEmpty && !streamed.riskyChannels.isEmpty)
        Self.expectSame(streamed, whole)
    }

    /// Fewer timesteps than T: the stream stops where the runs stopped.
    @Test func streamedOverAPrefixEqualsTheWholeRunCut() throws {
        let (net, input) = try DeployTests.unfused()
        let deploy = try DeployConversion.convert(net, fold: .paper)
        let recU = Recorder(recordUnitInputs: true), recD = Recorder()
        let logitsU = try net.forward(input, recorder: recU)
        let logitsD = try deploy.forward(input, recorder: recD)
        let cut = try Equivalence.compare(unfused: net, unfusedRecorder: recU, unfusedLogits: logitsU, deploy: deploy, deployRecorder: recD,
                                          deployLogits: logitsD, fold: .paper, steps: 2)
        // The same two timesteps from a recording that holds one timestep at a time.
        let held = Recorder.heldTimestepForCheck()
        try net.start(input, recorder: held)
        let stream = try EquivalenceStream(unfused: net, deploy: deploy, fold: .paper, steps: 2)
        for t in 0..<2 {
            try net.advance(to: t + 1)
            #expect(held.lifs.values.allSatisfy { $0.timesteps == 1 && $0.firstStep == t && $0.v.isEmpty })
            try stream.add(t: t, unfused: held, deploy: recD)
        }
        let streamed = stream.finish(unfusedLogits: logitsU, deployLogits: logitsD)
        #expect(cut.summary.steps == 2 && cut.endToEnd.allSatisfy { $0.perTimestep.count == 2 })
        Self.expectSame(streamed, cut)
    }

    /// The folds' tolerance scales with max|ref| over everything compared: an element outside
    /// the tolerance of the first chunk's maximum but inside the final one is accepted, as when
    /// all is compared at once; one outside the final tolerance is not.
    @Test func realToleranceIsSettledOnTheFinalMaximum() {
        var c = RealComparison()
        c.add([1.00002], [1])      // |Δ| 2e-5 > 1e-5·1 + 1e-5·1: out of the first chunk's tolerance
        c.add([100], [100])        // max|ref| becomes 100: atol 1e-3
        #expect(c.check(path: "u").withinTolerance)
        #expect(Equivalence.compareReal(path: "u", Tensor(shape: [2], storage: [1.00002, 100]),
                                        Tensor(shape: [2], storage: [1, 100])).withinTolerance)
        var d = RealComparison()
        d.add([1.01], [1])
        d.add([100], [100])
        #expect(!d.check(path: "u").withinTolerance)
        #expect(!Equivalence.compareReal(path: "u", Tensor(shape: [2], storage: [1.01, 100]), Tensor(shape: [2], storage: [1, 100])).withinTolerance)
    }
}
