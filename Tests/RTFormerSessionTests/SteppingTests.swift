import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

@Suite struct SteppingTests {
    @Test func inputComputesTimestepZeroOnly() throws {
        let s = try SessionFixtures.tinySession()
        #expect(s.cursor.t == 0)
        #expect(s.computedSteps == 1)
        #expect(s.computedStepCount == 1)
        #expect(s.unfused?.computedSteps == 1)
        #expect(s.deploy?.computedSteps == 1)
    }

    @Test func steppingToTheEndEqualsOneWholeForward() throws {
        let s = try SessionFixtures.tinySession(extra: ["step", "step", "step"])
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let rec = Recorder()
        let logits = try net.forward(try SessionFixtures.bundledInput(timesteps: 4), recorder: rec)
        #expect(s.unfused?.logits == logits)
        #expect(s.unfusedRecorder.lifOrder == rec.lifOrder)
        for path in rec.lifOrder {
            #expect(s.unfusedRecorder.lifs[path]?.spikes == rec.lifs[path]?.spikes, "\(path) spikes")
            #expect(s.unfusedRecorder.lifs[path]?.h == rec.lifs[path]?.h, "\(path) h")
            #expect(s.unfusedRecorder.lifs[path]?.v == rec.lifs[path]?.v, "\(path) v")
        }
        // The deploy twin stepped in lockstep equals its own whole forward too.
        let d = try DeployConversion.convert(net, fold: .exact)
        let recD = Recorder()
        let logitsD = try d.forward(try SessionFixtures.bundledInput(timesteps: 4), recorder: recD)
        #expect(s.deploy?.logits == logitsD)
        for path in recD.lifOrder { #expect(s.deployRecorder.lifs[path]?.spikes == recD.lifs[path]?.spikes, "deploy \(path)") }
    }

    @Test func stepGotoAndRunAgree() throws {
        let a = try SessionFixtures.tinySession(extra: ["step 3"])
        let b = try SessionFixtures.tinySession(extra: ["goto t=3"])
        let c = try SessionFixtures.tinySession(extra: ["run"])
        #expect(a.cursor.t == 3 && b.cursor.t == 3 && c.cursor.t == 3)
        for path in a.unfusedRecorder.lifOrder {
            #expect(a.unfusedRecorder.lifs[path]?.spikes == c.unfusedRecorder.lifs[path]?.spikes)
            #expect(b.unfusedRecorder.lifs[path]?.h == c.unfusedRecorder.lifs[path]?.h)
        }
        #expect(a.computedStepCount == 4 && b.computedStepCount == 4 && c.computedStepCount == 4)
    }

    @Test func backAndGotoDoNotRecompute() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        #expect(s.computedStepCount == 4)
        let before = s.unfusedRecorder.lifs["patch_embed.proj_lif"]?.h
        try SessionFixtures.run(s, ["back", "back 2", "goto t=3", "goto 0", "step", "step 2"])
        #expect(s.computedStepCount == 4)
        #expect(s.cursor.t == 3)
        #expect(s.unfusedRecorder.lifs["patch_embed.proj_lif"]?.h == before)
    }

    @Test func backStopsAtZeroAndStepAtTheLastTimestep() throws {
        let s = try SessionFixtures.tinySession(extra: ["back 5"])
        #expect(s.cursor.t == 0)
        try SessionFixtures.run(s, ["step 10"])
        #expect(s.cursor.t == 3)
        let r = s.execute(line: "step")
        #expect(r.error?.contains("already at the last timestep t = 3") == true)
        #expect(s.execute(line: "goto t=4").error?.contains("expected 0…3") == true)
    }

    @Test func resetStartsFromRestAndRecomputesOnlyTimestepZero() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        let spikes = s.unfusedRecorder.lifs["block.0.mlp.fc2_lif"]?.spikes
        try SessionFixtures.run(s, ["reset"])
        #expect(s.cursor.t == 0)
        #expect(s.computedSteps == 1)
        #expect(s.computedStepCount == 5)
        try SessionFixtures.run(s, ["run"])
        #expect(s.unfusedRecorder.lifs["block.0.mlp.fc2_lif"]?.spikes == spikes)
    }

    @Test func aNewInputStartsFromRest() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "input default index 1"])
        #expect(s.cursor.t == 0)
        #expect(s.computedSteps == 1)
        #expect(s.neuronState == .fresh)
        #expect(s.value(of: .inputLabel) == .number(8))
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let rec = Recorder()
        try net.start(try BundledInputSource().load(path: "", index: 1, timesteps: 4, size: 32).encoded, recorder: rec)
        try net.advance(to: 1)
        #expect(s.unfusedRecorder.lifs["head_lif"]?.h == rec.lifs["head_lif"]?.h)
    }

    @Test func carryKeepsTheMembranesOfThePreviousInput() throws {
        let s = try SessionFixtures.tinySession(extra: ["input default index 1", "input default index 2 carry"])
        #expect(s.neuronState == .carried)
        #expect(s.cursor.t == 0)
        let net = try Network(config: try ModelConfig.load("tiny"), weights: try SessionFixtures.tinyStateDict())
        let source = BundledInputSource()
        try net.start(try source.load(path: "", index: 1, timesteps: 4, size: 32).encoded)
        try net.advance(to: 4)
        let rec = Recorder()
        try net.start(try source.load(path: "", index: 2, timesteps: 4, size: 32).encoded, recorder: rec, carryState: true)
        try net.advance(to: 1)
        #expect(s.unfusedRecorder.lifs["patch_embed.proj_lif"]?.h == rec.lifs["patch_embed.proj_lif"]?.h)
        // From rest the same input charges differently.
        let fresh = Recorder()
        try net.start(try source.load(path: "", index: 2, timesteps: 4, size: 32).encoded, recorder: fresh)
        try net.advance(to: 1)
        #expect(fresh.lifs["patch_embed.proj_lif"]?.h != rec.lifs["patch_embed.proj_lif"]?.h)
    }

    @Test func calibrateSetsRunningStatisticsFromTheBundledImages() throws {
        let s = Session()
        try SessionFixtures.run(s, ["model tiny uncalibrated", "input default", "run"])
        #expect(s.value(of: .spikes) == .number(0) || s.unfusedRecorder.lifs["patch_embed.proj_lif2"]!.spikes.allSatisfy { $0 == 0 })
        #expect(s.weightsSource == "seeded")
        try SessionFixtures.run(s, ["calibrate default 10", "run"])
        let rates = s.unfusedRecorder.lifs.values.map { r in r.spikes.reduce(0, +) }
        #expect(rates.contains { $0 > 0 })
        #expect(s.deploy != nil)
        #expect(s.execute(line: "calibrate").error != nil)
    }

    /// `model X` gives the seeded model the calibration every CLI subcommand gives it (issue 10:
    /// one pipeline), before the first input runs — and none when weights are loaded first.
    @Test func aSeededModelIsCalibratedBeforeItsFirstInputLikeTheCLIDoes() throws {
        let s = Session()
        try SessionFixtures.run(s, ["model tiny"])
        #expect(s.calibrationPending)
        let out = try s.execute(Command.input(InputRequest(source: "default")))
        #expect(out.contains("calibrated on 10 bundled sample(s)"))
        #expect(!s.calibrationPending)
        #expect(s.weightsSource == "seeded + calibrated")
        try SessionFixtures.run(s, ["run"])
        // The same statistics as the CLI's seeded model (ModelPipeline with calibrateSeeded).
        let request = ModelRequest(config: .explicit(ModelConfig.named["tiny"]!))
        let cli = try ModelPipeline.unfused(try ModelPipeline.resolve(request), request).network
        #expect(cli.currentStateDict() == s.unfused!.currentStateDict())
        let w = Session()
        try SessionFixtures.run(w, ["model tiny", "load weights \(SessionFixtures.tinyWeights)"])
        #expect(!w.calibrationPending)
    }

    @Test func anotherTRebuildsASeededModelOnly() throws {
        let s = Session()
        try SessionFixtures.run(s, ["model tiny", "input default T 2"])
        #expect(s.value(of: .timesteps) == .number(2))
        #expect(s.value(of: .params) == .number(79_938))   // SPEC §8: tiny with T = 2
        let w = try SessionFixtures.tinySession()
        #expect(w.execute(line: "input default T 2").error?.contains("trained with T = 4") == true)
    }

    @Test func tokenSelectsAPositionOfATokenLayer() throws {
        let s = Session()
        try SessionFixtures.run(s, ["model spikformer-tiny", "input default", "layer block.0.attn.attn_lif", "token 5", "channel 7"])
        let m = try s.membraneView(for: .unfused)
        let r = try #require(s.unfusedRecorder.lifs["block.0.attn.attn_lif"])
        #expect(r.shape == [64, 64])
        #expect(m.rows == 8 && m.columns == 8 && m.y == 0 && m.x == 5)
        #expect(m.trace[0].h == r.h[5 * 64 + 7])
        #expect(m.h[9] == r.h[9 * 64 + 7])
        #expect(s.execute(line: "token 64").error?.contains("0…63") == true)
    }

    @Test func relativeCursorMovesClamp() throws {
        let s = try SessionFixtures.tinySession(extra: ["layer patch_embed.stcore.lif", "neuron 0,0,0", "neuron up", "neuron left"])
        #expect(s.cursor.position == 0)
        try SessionFixtures.run(s, ["neuron down", "neuron right", "neuron right", "channel next", "channel next"])
        #expect(s.cursor.position == 1 * 8 + 2)
        #expect(s.cursor.channel == 2)
        try SessionFixtures.run(s, ["channel 63", "channel next", "channel prev"])
        #expect(s.cursor.channel == 62)
    }

    @Test func foldChangeRerunsTheDeployTwinToTheSameTimestep() throws {
        let s = try SessionFixtures.tinySession(extra: ["step 2", "fold paper"])
        #expect(s.deploy?.computedSteps == 3)
        #expect(s.computedStepCount == 3)
        #expect(s.deploy?.stateDict["patch_embed.stcore.lif.sign"]?.storage.allSatisfy { $0 == 1 } == true)
    }

    @Test func savedSessionReplaysToTheSameState() throws {
        let s = try SessionFixtures.tinySession(extra: ["step 2", "layer q_lif", "neuron 3,2,1", "view split", "show rates"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-save-\(getpid()).session").path
        try SessionFixtures.run(s, ["save \(path)"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("show rates"))
        let r = Session()
        let result = Replay.run(text, in: r)
        #expect(result.passed, "\(result.failures)")
        #expect(r.cursor == s.cursor)
        #expect(r.view == .split)
        try? FileManager.default.removeItem(atPath: path)
    }
}
