import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Each view model against values computed directly from the engine.
@Suite struct ViewModelTests {
    @Test func membraneGridIsTheRecordedSliceOfTheChannel() throws {
        let s = try SessionFixtures.tinySession(extra: ["step 2", "back", "layer patch_embed.proj_lif1", "neuron 7,5,9"])
        let m = try s.membraneView(for: .unfused)
        let r = try #require(s.unfusedRecorder.lifs["patch_embed.proj_lif1"])
        #expect(m.rows == 32 && m.columns == 32)
        #expect(m.t == 1 && m.channel == 7 && m.y == 5 && m.x == 9)
        let perStep = r.perStep, plane = 32 * 32
        let base = 1 * perStep + 7 * plane
        #expect(m.h == Array(r.h[base..<(base + plane)]))
        #expect(m.v == Array(r.v[base..<(base + plane)]))
        #expect(m.spikes == r.spikes[base..<(base + plane)].map { $0 != 0 })
        let i = 5 * 32 + 9
        for p in m.trace where p.computed {
            #expect(p.h == r.h[p.t * perStep + 7 * plane + i])
            #expect(p.spike == (r.spikes[p.t * perStep + 7 * plane + i] != 0))
            #expect(p.threshold == 1)
        }
        // t = 3 is not computed yet: shown as such, never as a silent neuron.
        #expect(m.trace.map(\.computed) == [true, true, true, false])
        #expect(m.trace[3].spike == nil)
        // Neurons within the rounding bound of V_th (issue 11): the bound of the layer at t.
        let bound = try #require(m.roundingBound)
        #expect(bound == RoundingBound.bounds(record: r, t: 1, tsbn: nil)[0] && bound >= 1e-5)
        #expect(m.nearThreshold == (0..<plane).map { abs(r.h[base + $0] - 1) <= bound })
    }

    @Test func deployMembraneUsesThetaOfTheFoldPerTimestep() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "fold exact", "layer patch_embed.stcore.lif", "neuron 5,2,3"])
        let m = try s.membraneView(for: .deploy)
        let theta = try #require(s.deploy?.stateDict["patch_embed.stcore.lif.theta"])
        let sign = try #require(s.deploy?.stateDict["patch_embed.stcore.lif.sign"])
        for p in m.trace {
            #expect(p.threshold == theta.storage[p.t * 64 + 5])
            #expect(p.sign == sign.storage[p.t * 64 + 5])
            #expect(p.compared == p.h)
        }
        #expect(m.trace[1].sign == -1)   // γ < 0 at (t1, c5) in the fixture
        // Unfused: Ĥ is compared with V_th.
        let u = try s.membraneView(for: .unfused)
        let r = try #require(s.unfusedRecorder.lifs["patch_embed.stcore.lif"])
        #expect(u.trace[2].compared == r.hHat?[2 * r.perStep + 5 * 64 + 2 * 8 + 3])
        #expect(u.comparedQuantity.hasPrefix("Ĥ"))
        #expect(s.execute(line: "layer patch_embed.proj_conv").error == nil)
        #expect(throws: SessionError.self) { try s.membraneView(for: .unfused) }
    }

    @Test func tokenAndPerChannelLayoutsMap() throws {
        let s = try SessionFixtures.tinySession(extra: ["layer kv_lif", "channel 9"])
        let m = try s.membraneView(for: .unfused)
        let r = try #require(s.unfusedRecorder.lifs["block.0.attn.kv_lif"])
        #expect(m.rows == 1 && m.columns == 1)
        #expect(m.h == [r.h[9]])
        // kv_lif has one position per channel: `token 1` selects only the attention pane's token (issue 14).
        #expect(s.execute(line: "token 1").error == nil && s.cursor.position == 0 && s.cursor.token == 1)
        #expect(s.execute(line: "token 64").error != nil)
        let spik = NeuronLayout(shape: [64, 384], path: "block.0.attn.attn_lif", family: .spikformer)
        #expect(spik.channels == 384 && spik.positions == 64 && spik.rows == 8 && spik.columns == 8)
        #expect(spik.index(channel: 2, position: 3) == 3 * 384 + 2)
        let heads = NeuronLayout(shape: [4, 1, 16], path: "block.0.attn.talking_heads_lif", family: .sdt)
        #expect(heads.channels == 64 && heads.positions == 1)
    }

    @Test func ratesViewMatchesTheRecording() throws {
        let s = try SessionFixtures.tinySession(extra: ["step", "layer block.0.mlp.fc1_lif"])
        let v = try s.ratesView()
        let r = try #require(s.unfusedRecorder.lifs["block.0.mlp.fc1_lif"])
        #expect(v.perT[0] == r.firingRate(at: 0))
        #expect(v.perT[1] == r.firingRate(at: 1))
        #expect(v.perT[2] == nil && v.perT[3] == nil)
        let mean = v.channelRates.reduce(0, +) / Double(v.channelRates.count)
        #expect(abs(mean - r.firingRate(at: 1)) < 1e-12)
        let mapMean = v.positionMap.reduce(0, +) / Double(v.positionMap.count)
        #expect(abs(mapMean - r.firingRate(at: 1)) < 1e-12)
        #expect(s.value(of: .rate) == .number(r.firingRate(at: 1)))
        let spikes = r.spikes[r.perStep..<(2 * r.perStep)].reduce(0) { $0 + Double($1) }
        #expect(s.value(of: .spikes) == .number(spikes))
    }

    @Test func tsbnViewMatchesTheAffineAndTheFold() throws {
        let s = try SessionFixtures.tinySession(extra: ["goto t=1", "layer patch_embed.stcore.lif"])
        let v = try s.tsbnView()
        let d = try SessionFixtures.tinyStateDict()
        var tsbn = TSBN(timesteps: 4, channels: 64)
        tsbn.weight = d["patch_embed.stcore.lif.tsbn.weight"]!.storage
        tsbn.bias = d["patch_embed.stcore.lif.tsbn.bias"]!.storage
        tsbn.runningMean = d["patch_embed.stcore.lif.tsbn.running_mean"]!.storage
        tsbn.runningVar = d["patch_embed.stcore.lif.tsbn.running_var"]!.storage
        let (a, b) = tsbn.affine(at: 1)
        let fold = ThresholdFold(tsbn: tsbn, vThreshold: 1, mode: .exact)
        #expect(v.path == "patch_embed.stcore.lif.tsbn")
        #expect(v.window == [0, 1])
        #expect(v.statistics == "running")
        #expect(v.channels.map(\.scale) == a)
        #expect(v.channels.map(\.shift) == b)
        #expect(v.channels.map(\.gamma) == Array(tsbn.weight[64..<128]))
        #expect(v.channels.map { $0.theta! } == Array(fold.theta[64..<128]))
        #expect(v.nonPositiveGammaChannels == [5, 40])
        #expect(v.channels[5].sign == -1 && v.channels[40].sign == 0)
        // A TSBN_pre layer has no θ; a plain conv has no TSBN.
        try SessionFixtures.run(s, ["layer patch_embed.proj_tsbn2"])
        #expect(try s.tsbnView().channels.allSatisfy { $0.theta == nil })
        try SessionFixtures.run(s, ["layer patch_embed.proj_conv2"])
        #expect(throws: SessionError.self) { try s.tsbnView() }
    }

    @Test func tsbnViewShowsWindowStatisticsInTrainMode() throws {
        let s = try SessionFixtures.tinySession(extra: ["mode train", "goto t=2", "layer patch_embed.proj_tsbn1"])
        let v = try s.tsbnView()
        let w = try #require(s.unfusedRecorder.windows["patch_embed.proj_tsbn1"]?.first { $0.t == 2 })
        #expect(v.statistics == "window")
        #expect(v.window == [1, 2])
        #expect(v.channels.map(\.mean) == w.mean)
        #expect(v.channels.map(\.variance) == w.variance)
    }

    @Test func layerTableCarriesShapesParamsSOPsAndMarkers() throws {
        let s = try SessionFixtures.tinySession(extra: ["step"])
        let v = try s.layerTable()
        let net = try #require(s.unfused)
        #expect(v.rows.count == net.layers.count)
        #expect(v.parameters == 84_258 && v.deployParameters == 82_594)
        #expect(v.rows.reduce(0) { $0 + $1.parameters } == net.layers.reduce(0) { $0 + $1.parameterCount })
        let conv1 = try #require(v.rows.first { $0.path == "patch_embed.proj_conv1" })
        let rates = try #require(s.unfusedRecorder.rates["patch_embed.proj_lif"])
        #expect(conv1.sop == (rates[0] + rates[1]) * 1_179_648)
        #expect(conv1.deploy == .folded)
        #expect(v.rows.first { $0.path == "patch_embed.proj_tsbn1" }?.deploy == .absorbed)
        #expect(v.rows.first { $0.path == "head_lif" }?.deploy == .same)
        #expect(v.rows.first { $0.path == "patch_embed.stcore.lif" }?.deploy == .folded)
        let lif = try #require(v.rows.first { $0.path == "block.0.attn.q_lif" })
        #expect(lif.rate == s.unfusedRecorder.lifs["block.0.attn.q_lif"]?.firingRate(at: 1))
    }

    @Test func energyViewEqualsTheEngineReport() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        let v = try s.energyView()
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let rec = Recorder()
        _ = try net.forward(try SessionFixtures.bundledInput(timesteps: 4), recorder: rec)
        let report = EnergyReport(layers: net.layers, recorder: rec, timesteps: 4)
        #expect(v.totalPicoJoules == report.totalPJ)
        #expect(v.totalSOP == report.sop)
        #expect(v.rows.map(\.path) == report.layers.map(\.path))
        #expect(!v.rows.contains { $0.path.hasPrefix("patch_embed.stcore.rep.k") })
        #expect(s.value(of: .energyMJ) == .number(report.totalMJ))
    }

    @Test func energyCountsOnlyComputedTimesteps() throws {
        let s = try SessionFixtures.tinySession()
        let conv1 = try #require(try s.energyView().rows.first { $0.path == "patch_embed.proj_conv1" })
        let r0 = try #require(s.unfusedRecorder.rates["patch_embed.proj_lif"]?[0])
        #expect(conv1.ratePerT == [r0])
        #expect(conv1.sop == r0 * 1_179_648)
    }

    @Test func diffViewEqualsTheEngineEquivalenceReport() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "fold paper"])
        let v = try s.diffView()
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let deploy = try DeployConversion.convert(net, fold: .paper)
        let report = try Equivalence.compare(unfused: net, deploy: deploy, input: try SessionFixtures.bundledInput(timesteps: 4), fold: .paper)
        #expect(v.e2e == report.endToEndTotal)
        #expect(v.local == report.localTotal)
        #expect(v.localStateless == report.localStatelessTotal)
        #expect(v.firstDivergence == report.firstDivergence)
        #expect(v.e2e.structural > 0)
        #expect(v.firstDivergence?.layer == "patch_embed.stcore.lif")
        #expect(s.value(of: .diffStructural) == .number(Double(report.endToEndTotal.structural)))
        #expect(s.value(of: .diffLocalStructural) == .number(Double(report.localTotal.structural)))
        try SessionFixtures.run(s, ["fold exact"])
        #expect(s.value(of: .diffMismatches) == .number(0))
    }

    @Test func diffVerdictExpectAndOriginJump() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "fold paper"])
        let v = try s.diffView()
        #expect(v.summary.verdict == .notEquivalent)
        #expect(s.value(of: .diffVerdict) == .text("not_equivalent"))
        #expect(s.value(of: .diffOriginLayer) == .text("patch_embed.stcore.lif"))
        #expect(s.value(of: .diffStructuralOrigins) == .number(Double(v.summary.structuralOrigins)))
        #expect(s.verdict == .notEquivalent)
        let target = try #require(v.summary.firstStructural)
        let out = try s.execute(.origin)
        #expect(out.contains("structural origin: patch_embed.stcore.lif t=\(target.t)"))
        #expect(s.selectedLayer?.path == "patch_embed.stcore.lif")
        #expect(s.cursor.t == target.t && s.cursor.channel == target.channel && s.cursor.position == target.position)
        // The same verdict line as the CLI's, in `diff`.
        #expect(try s.execute(.diff(.both)).contains("verdict: " + v.summary.sentence))
        let f64 = try s.execute(.diff(.float64))
        #expect(f64.contains("float32 origins persist"))
        try SessionFixtures.run(s, ["fold exact", "expect diff.verdict == equivalent", "expect diff.origins.rounding == 0"])
        #expect(try s.execute(.diff(.float64)).contains("float64: 0 spike mismatches"))
        #expect(s.execute(line: "expect diff.verdict == not_equivalent").error != nil)
    }

    @Test func diffViewCountsOnlyComputedTimesteps() throws {
        let s = try SessionFixtures.tinySession(extra: ["fold paper"])
        let v = try s.diffView()
        #expect(v.computedSteps == 1)
        #expect(v.rows.allSatisfy { $0.e2ePerT.count == 1 })
        let full = try SessionFixtures.tinySession(extra: ["fold paper", "run"]).diffView()
        let row = try #require(full.rows.first { $0.path == "patch_embed.stcore.lif" })
        #expect(v.rows.first { $0.path == "patch_embed.stcore.lif" }?.e2e == row.e2ePerT[0])
    }

    @Test func logitsViewIsTheMeanOverComputedSteps() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        let v = try s.logitsView()
        let logits = try #require(s.unfused?.logits)
        #expect(v.logits == logits.storage)
        let best = logits.storage.indices.max { logits.storage[$0] < logits.storage[$1] }!
        #expect(v.top.first?.classIndex == best)
        #expect(v.top.count == 5)
        #expect(v.top.first?.className == ClassNames.cifar10[best])
        #expect(v.label == 3 && v.labelName == "cat")
        #expect(s.value(of: .logitsTop1) == .number(Double(best)))
    }

    @Test func statusAndMemory() throws {
        let s = try SessionFixtures.tinySession()
        let st = s.statusView()
        #expect(st.model == "tiny" && st.t == 0 && st.timesteps == 4 && st.computedSteps == 1)
        #expect(st.memoryBytes == s.unfusedRecorder.bytes + s.deployRecorder.bytes)
        #expect(st.memoryBytes > 0)
    }
}

@Suite struct InputSourceTests {
    @Test func cifarRecordMatchesTheFixtureInput() throws {
        let x = try FileInputSource().load(path: SessionFixtures.cifarBin, index: 0, timesteps: 4, size: 32)
        let f = try Safetensors.read(path: SessionFixtures.tinyWeights)
        let ref = try #require(f.tensors["input"]).slice(0)
        #expect(x.label == 3)
        #expect(x.classNames?[3] == "cat")
        #expect(x.encoded.shape == [4, 1, 3, 32, 32])
        let maxDiff = zip(x.encoded.slice(3).storage, ref.storage).map { abs($0 - $1) }.max() ?? 1
        #expect(maxDiff <= 1e-6)
        let bundled = try BundledInputSource().load(path: "", index: 0, timesteps: 4, size: 32)
        #expect(bundled.encoded == x.encoded)
        #expect(bundled.label == 3)
    }

    @Test func safetensorsInputSelectsTheSampleAndItsLabel() throws {
        let x = try FileInputSource().load(path: SessionFixtures.tinyWeights, index: 1, timesteps: 4, size: 32)
        #expect(x.label == 8)
        #expect(x.encoded.shape == [4, 1, 3, 32, 32])
        let ref = try #require(try Safetensors.read(path: SessionFixtures.tinyWeights).tensors["input"]).slice(1)
        #expect(x.encoded.slice(0).storage == ref.storage)
        #expect(throws: (any Error).self) { try FileInputSource().load(path: SessionFixtures.tinyWeights, index: 2, timesteps: 4, size: 32) }
    }

    @Test func aPNGRunsThroughTheSession() throws {
        let png = SessionFixtures.sharedRoot + "/data/photos/32x32/"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: png).filter { $0.hasSuffix(".png") }.sorted()) ?? []
        let file = try #require(files.first)
        let s = try SessionFixtures.tinySession(extra: ["input \(png + file)"])
        #expect(s.computedSteps == 1)
        guard case .unavailable = s.value(of: .inputLabel) else {
            Issue.record("a photo has no label")
            return
        }
    }
}
