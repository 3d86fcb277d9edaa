import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Issue 10 point 4: spikes of every layer bit-packed, membranes only for watched layers, and a
/// layer the cursor moves to recomputed exactly by replaying the computed timesteps.
@Suite struct RecordingTests {
    /// A tiny session that records membranes of watched layers only: a budget of 4 MiB, below
    /// what all its layers take (~12 MiB) but room for a few block layers (512 KiB each).
    static func leanSession(extra: [String] = []) throws -> Session {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        s.membraneBudget = 4 << 20
        try SessionFixtures.run(s, ["model tiny", "load weights \(SessionFixtures.tinyWeights)", "input default"] + extra)
        return s
    }

    static func wholeForward() throws -> (Recorder, Recorder) {
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let d = try DeployConversion.convert(net, fold: .exact)
        let x = try SessionFixtures.bundledInput(timesteps: 4)
        let rec = Recorder(), recD = Recorder()
        _ = try net.forward(x, recorder: rec)
        _ = try d.forward(x, recorder: recD)
        return (rec, recD)
    }

    @Test func spikesOfEveryLayerMembranesOfWatchedOnly() throws {
        let s = try Self.leanSession(extra: ["run"])
        let (rec, recD) = try Self.wholeForward()
        let selected = try #require(s.selectedLayer?.path)
        for path in rec.lifOrder {
            let r = try #require(s.unfusedRecorder.lifs[path])
            #expect(r.spikes == rec.lifs[path]?.spikes, "\(path)")
            #expect(s.deployRecorder.lifs[path]?.spikes == recD.lifs[path]?.spikes, "deploy \(path)")
            #expect(r.hasMembranes == (path == selected), "\(path)")
        }
        #expect(s.unfusedRecorder.lifs[selected]?.h == rec.lifs[selected]?.h)
        #expect(s.unfusedRecorder.bytes * 4 < rec.bytes)
    }

    @Test func movingToAnUnwatchedLayerRecomputesExactMembranes() throws {
        let s = try Self.leanSession(extra: ["step 2"])
        let (rec, recD) = try Self.wholeForward()
        let path = "block.0.mlp.fc1_lif"
        #expect(s.unfusedRecorder.lifs[path]?.hasMembranes == false)
        let out = try s.execute(.layer(.path(path)))
        #expect(out.contains("membranes recomputed in") && out.hasSuffix("s (3 t)"), "\(out)")
        #expect(s.computedStepCount == 3)
        let r = try #require(s.unfusedRecorder.lifs[path]), ref = try #require(rec.lifs[path])
        let rd = try #require(s.deployRecorder.lifs[path]), refD = try #require(recD.lifs[path])
        let n = 3 * r.perStep
        #expect(Array(r.h.prefix(n)) == Array(ref.h.prefix(n)))
        #expect(Array(r.v.prefix(n)) == Array(ref.v.prefix(n)))
        #expect(Array(r.x.prefix(n)) == Array(ref.x.prefix(n)))
        #expect(Array(rd.h.prefix(n)) == Array(refD.h.prefix(n)))
        // The replay left both twins where they were: the last step gives the whole forward.
        try SessionFixtures.run(s, ["step"])
        #expect(s.unfusedRecorder.lifs[path]?.h == ref.h)
        for p in rec.lifOrder { #expect(s.unfusedRecorder.lifs[p]?.spikes == rec.lifs[p]?.spikes, "\(p)") }
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        #expect(s.unfused?.logits == (try net.forward(try SessionFixtures.bundledInput(timesteps: 4))))
    }

    @Test func onlyTheLastViewedLayersKeepTheirMembranes() throws {
        let s = try Self.leanSession(extra: ["run"])
        let paths = s.unfusedRecorder.lifOrder.filter { $0.hasPrefix("block.") }
        try #require(paths.count > Session.watchedLayerCount + 1)
        for p in paths.prefix(Session.watchedLayerCount + 1) { _ = try s.execute(.layer(.path(p))) }
        #expect(s.unfusedRecorder.lifs[paths[0]]?.hasMembranes == false)
        for p in paths.dropFirst().prefix(Session.watchedLayerCount) { #expect(s.unfusedRecorder.lifs[p]?.hasMembranes == true, "\(p)") }
        #expect(s.statusLine().contains("mem "))
    }

    @Test func diffAndDumpEqualThoseOfTheFullRecording() throws {
        let lean = try Self.leanSession(extra: ["step 2", "view split"])
        let full = try SessionFixtures.tinySession(extra: ["step 2", "view split"])
        #expect(try lean.diffView() == (try full.diffView()))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-recording-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try lean.execute(.export(.dump, dir.appendingPathComponent("lean.safetensors").path))
        _ = try full.execute(.export(.dump, dir.appendingPathComponent("full.safetensors").path))
        let a = try Safetensors.read(path: dir.appendingPathComponent("lean.safetensors").path)
        let b = try Safetensors.read(path: dir.appendingPathComponent("full.safetensors").path)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (k, t) in b.tensors { #expect(a.tensors[k] == t, "\(k)") }
        // Watched membranes of the lean session are still those of the run.
        #expect(lean.membraneViewOrNil()?.h == full.membraneViewOrNil()?.h)
    }

    /// The streamed diff of a lean session (a replay holding one timestep at a time) finds the
    /// same origins, cascade and verdict as the full recording when the twins do differ.
    @Test func streamedDiffEqualsTheFullRecordingsWithMismatches() throws {
        let lean = try Self.leanSession(extra: ["fold paper", "step 3"])
        let full = try SessionFixtures.tinySession(extra: ["fold paper", "step 3"])
        #expect(lean.unfusedRecorder.watched != nil && full.unfusedRecorder.watched == nil)
        let a = try lean.diffView(), b = try full.diffView()
        #expect(a.summary.verdict == .notEquivalent && a.summary.structuralOrigins > 0 && a.e2e.mismatches > 0)
        #expect(a == b)
        #expect(a.summary.origins == b.summary.origins && a.localReal == b.localReal)
        // The replay left the run as it was.
        #expect(lean.computedSteps == full.computedSteps && lean.unfused?.logits == full.unfused?.logits)
    }

    @Test func packedSpikeAccessorsAgree() throws {
        let (rec, _) = try Self.wholeForward()
        for path in rec.lifOrder {
            let r = try #require(rec.lifs[path])
            let all = r.spikes
            for t in 0..<r.timesteps {
                let slice = Array(all[(t * r.perStep)..<((t + 1) * r.perStep)])
                #expect(r.spikes(at: t) == slice, "\(path) t \(t)")
                #expect(r.spikeCount(at: t) == Int(slice.reduce(0, +)), "\(path) t \(t)")
                for i in stride(from: 0, to: r.perStep, by: max(1, r.perStep / 97)) {
                    #expect(r.spike(t: t, index: i) == (slice[i] != 0))
                    #expect(r.spike(flat: t * r.perStep + i) == (slice[i] != 0))
                }
            }
        }
    }
}

private extension Session {
    func membraneViewOrNil() -> MembraneView? { try? membraneView(for: .unfused) }
}
