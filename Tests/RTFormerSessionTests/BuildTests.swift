import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Issue 14 point 4: a real layer-by-layer build. Every built layer's recordings equal the full
/// forward's bit for bit, in both twins; nothing past the built prefix is computed.
@Suite struct BuildTests {
    /// Bit patterns of every recorded LIF array (S, H, V, Ĥ, X) by path.
    static func bits(_ r: Recorder) -> [String: [[UInt32]]] {
        var out: [String: [[UInt32]]] = [:]
        for (p, l) in r.lifs {
            out[p] = [l.spikes, l.h, l.v, l.x, l.hHat ?? []].map { $0.map(\.bitPattern) }
        }
        return out
    }

    @Test(arguments: ["tiny", "spikformer-tiny", "sdt-tiny"])
    func everyBuildStepEqualsTheFullForward(_ model: String) throws {
        let s = Session()
        // Calibrated so that the neurons fire (seeded statistics leave most of them silent).
        try SessionFixtures.run(s, ["model \(model)", "calibrate default 2", "input default", "step 2"])
        let fullUnfused = Self.bits(s.unfusedRecorder), fullDeploy = Self.bits(s.deployRecorder)
        let fullLogits = s.unfused?.logits
        let layers = s.unfused!.layers
        try SessionFixtures.run(s, ["build"])
        #expect(s.builtLayers == 0)
        #expect(s.unfusedRecorder.lifs.isEmpty)
        #expect(s.unfused?.logits == nil)
        var steps = 0
        while s.builtLayers != nil {
            try SessionFixtures.run(s, ["build next"])
            steps += 1
            let built = Set(layers.prefix(s.builtLayers ?? layers.count).map(\.path))
            for (recorder, full, twin) in [(s.unfusedRecorder, fullUnfused, "unfused"), (s.deployRecorder, fullDeploy, "deploy")] {
                for (path, arrays) in Self.bits(recorder) {
                    #expect(built.contains(path), "\(model) \(twin): \(path) computed but not built (step \(steps))")
                    #expect(arrays == full[path], "\(model) \(twin): \(path) differs from the full forward (step \(steps))")
                }
            }
            // Every built neuron has its recording.
            for l in layers.prefix(s.builtLayers ?? layers.count) where l.isNeuron {
                #expect(s.unfusedRecorder.lifs[l.path] != nil, "\(model): built \(l.path) not recorded")
            }
            #expect(s.computedSteps == 3)
            #expect(steps <= layers.count)
        }
        #expect(s.unfused?.logits == fullLogits)
        #expect(Self.bits(s.unfusedRecorder) == fullUnfused)
        #expect(Self.bits(s.deployRecorder) == fullDeploy)
        #expect(s.value(of: .buildMismatches) == .number(0))
    }

    @Test func buildToAPathSelectsItAndUnbuiltLayersSaySo() throws {
        let s = try SessionFixtures.tinySession(extra: ["build", "build block.0.attn.q_lif"])
        #expect(s.selectedLayer?.path == "block.0.attn.q_lif")
        #expect(s.value(of: .shape) == .text("[64,8,8]"))
        #expect(s.isBuilding)
        let table = try s.layerTable()
        let q = table.rows.firstIndex { $0.path == "block.0.attn.q_lif" }!
        #expect(table.rows[q].built)
        #expect(!table.rows[q + 1].built)
        let r = s.execute(line: "layer block.0.attn.k_lif")
        #expect(r.error == nil)
        #expect(throws: SessionError.self) { try s.membraneView(for: .unfused) }
        #expect(s.execute(line: "show raster").error?.contains("not built yet") == true)
        // Stepping in build mode computes the prefix only.
        #expect(s.execute(line: "step").error == nil)
        #expect(s.computedSteps == 2)
        #expect(s.unfusedRecorder.lifs["block.0.attn.k_lif"] == nil)
        #expect(s.execute(line: "build all").error == nil)
        #expect(!s.isBuilding)
        #expect(s.unfusedRecorder.lifs["block.0.attn.k_lif"] != nil)
        #expect(s.value(of: .buildMismatches) == .number(0))
    }

    @Test func rasterRowsAndCounts() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "layer patch_embed.proj_lif", "channel 2"])
        let v = try s.rasterView()
        #expect(v.rows.count == 32 * 32)
        #expect(v.rows.allSatisfy { $0.channel == 2 })
        let r = s.unfusedRecorder.lifs["patch_embed.proj_lif"]!
        let lay = s.layout(of: s.selectedLayer!)
        for row in v.rows.prefix(64) {
            for t in 0..<4 {
                #expect(row.spikes[t] == (r.spikes[t * r.perStep + lay.index(channel: 2, position: row.position)] != 0))
            }
            #expect(row.count == row.spikes.filter { $0 == true }.count)
        }
        for t in 0..<4 { #expect(v.perT[t] == v.rows.reduce(0) { $0 + ($1.spikes[t] == true ? 1 : 0) }) }
        try SessionFixtures.run(s, ["raster top 5"])
        let top = try s.rasterView()
        #expect(top.rows.count == 5)
        #expect(top.rows.map(\.count) == top.rows.map(\.count).sorted(by: >))
        // No neuron of the layer has more spikes than the first row.
        #expect(top.rows[0].count == (0..<lay.channels).flatMap { c in (0..<lay.positions).map { (c, $0) } }.map { c, p in
            (0..<4).filter { r.spikes[$0 * r.perStep + lay.index(channel: c, position: p)] != 0 }.count
        }.max())
    }

    @Test func pinsOverlayOnTheTrace() throws {
        let s = try SessionFixtures.tinySession(extra: ["step 3", "layer q_lif", "neuron 1,2,3", "pin", "neuron 5,0,0", "pin"])
        #expect(s.selectedPins == [NeuronPin(channel: 1, position: 2 * 8 + 3), NeuronPin(channel: 5, position: 0)])
        let traces = try s.pinnedTraces(for: .unfused)
        #expect(traces.count == 2)
        #expect(traces[0].y == 2 && traces[0].x == 3)
        #expect(traces[0].values.allSatisfy { $0 != nil })
        try SessionFixtures.run(s, ["pin"])
        #expect(s.selectedPins.count == 1)
        try SessionFixtures.run(s, ["pin clear"])
        #expect(s.selectedPins.isEmpty)
    }

    @Test func inputUndoesTheNormalisationAndMarksTheNeuron() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "layer block.0.attn.q_lif", "neuron 0,2,3"])
        let v = try s.inputView()
        #expect(v.kind == .image)
        #expect(v.pixels.count == 3 * 32 * 32)
        #expect(v.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(v.factor == 4)
        #expect(v.receptive == InputView.Box(y0: 8, x0: 12, y1: 12, x1: 16))
        #expect(v.top1 != nil)
        // The bundled CIFAR-10 image 0 is 8-bit: undoing the normalisation gives k/255 back.
        let p = v.pixels[0] * 255
        #expect(abs(p - p.rounded()) < 1e-3)
    }
}
