import Testing
@testable import RTFormer

/// Encoded inputs say what they are over time (issue 10 point 1): a static image's encoding conv
/// runs once, from the slice of t = 0, with results bit-identical to computing every frame.
@Suite struct InputKindTests {
    static let families = [("tiny", "rtformer_tiny.safetensors"), ("sdt-tiny", "sdt_tiny.safetensors"),
                           ("spikformer-tiny", "spikformer_tiny.safetensors")]

    static func network(_ name: String, _ file: String) throws -> (Network, Tensor) {
        let f = try Fixtures.load(file)
        let net = try Network(config: try ModelConfig.load(name), weights: FamilyFixture.weights(f), source: file)
        return (net, FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: net.config.timesteps))
    }

    /// Spikes and H of every LIF and the logits, compared bitwise.
    static func expectSameRun(_ a: Recorder, _ la: Tensor?, _ b: Recorder, _ lb: Tensor?, _ what: String) {
        #expect(la == lb, "\(what): logits")
        #expect(a.lifOrder == b.lifOrder, "\(what): layers")
        for path in a.lifOrder {
            #expect(a.lifs[path]?.spikes == b.lifs[path]?.spikes, "\(what): \(path) spikes")
            #expect(a.lifs[path]?.h == b.lifs[path]?.h, "\(what): \(path) H")
        }
    }

    @Test(arguments: families)
    func staticImageIsBitIdenticalToFrames(_ name: String, _ file: String) throws {
        let (net, x) = try Self.network(name, file)
        let recFrames = Recorder(), recStatic = Recorder()
        let frames = try net.forward(x, kind: .frames, recorder: recFrames)
        let still = try net.forward(x, kind: .staticImage, recorder: recStatic)
        #expect(net.inputKind == .staticImage)
        Self.expectSameRun(recFrames, frames, recStatic, still, name)
        // Stepping one timestep at a time gives the whole forward's result too.
        let recStep = Recorder()
        try net.start(x, kind: .staticImage, recorder: recStep)
        for t in 1...net.config.timesteps { try net.advance(to: t) }
        Self.expectSameRun(recStatic, still, recStep, net.logits, "\(name) stepped")
    }

    /// By construction: for a static image only the slice of t = 0 reaches the encoding conv.
    @Test(arguments: families)
    func staticImageReadsOnlyTheFirstSlice(_ name: String, _ file: String) throws {
        let (net, x) = try Self.network(name, file)
        var scrambled = x
        let per = x.count / x.shape[0]
        for i in per..<x.count { scrambled.storage[i] = Float(i % 7) - 3 }
        let reference = try net.forward(x, kind: .frames)
        #expect(try net.forward(scrambled, kind: .staticImage) == reference)
        #expect(try net.forward(scrambled, kind: .frames) != reference)
    }

    @Test func deployTwinTakesTheKindToo() throws {
        let (net, x) = try Self.network("tiny", "rtformer_tiny.safetensors")
        let deploy = try DeployConversion.convert(net, fold: .exact)
        let recFrames = Recorder(), recStatic = Recorder()
        let frames = try deploy.forward(x, kind: .frames, recorder: recFrames)
        let still = try deploy.forward(x, kind: .staticImage, recorder: recStatic)
        Self.expectSameRun(recFrames, frames, recStatic, still, "deploy")
    }

    /// A new static input that carries the neuron state must not reuse the previous image's conv.
    @Test func carriedStateStartsFromTheNewImage() throws {
        let (net, x) = try Self.network("tiny", "rtformer_tiny.safetensors")
        let other = x.map { -$0 }
        let recFrames = Recorder(), recStatic = Recorder()
        try net.start(x, kind: .frames)
        try net.advance(to: net.config.timesteps)
        try net.start(other, kind: .frames, recorder: recFrames, carryState: true)
        try net.advance(to: net.config.timesteps)
        let frames = net.logits
        try net.start(x, kind: .staticImage)
        try net.advance(to: net.config.timesteps)
        try net.start(other, kind: .staticImage, recorder: recStatic, carryState: true)
        try net.advance(to: net.config.timesteps)
        Self.expectSameRun(recFrames, frames, recStatic, net.logits, "carried")
    }

    @Test func encodersSayWhatTheyMade() throws {
        let image = try InputPipeline.load(InputSelection(source: "default"), timesteps: 4, size: 32)
        #expect(image.kind == .staticImage)
        let dvs = try ModelConfig.load("tiny-dvs")
        let events = try InputPipeline.load(InputSelection(source: "gesture"), timesteps: dvs.timesteps, size: dvs.imgSize)
        #expect(events.kind == .frames)
        #expect(try BundledSamples.calibrationInputs(for: try ModelConfig.load("tiny")).allSatisfy { $0.kind == .staticImage })
        #expect(InputKind.stacked([.staticImage, .staticImage]) == .staticImage)
        #expect(InputKind.stacked([.staticImage, .frames]) == .frames)
    }

    /// Calibration on static images with their kind gives the running statistics of frames.
    @Test func calibrationWithKindsMatchesFrames() throws {
        let inputs = try BundledSamples.calibrationInputs(for: try ModelConfig.load("tiny")).prefix(4)
        let a = try Network(config: try ModelConfig.load("tiny"), seed: 3), b = try Network(config: try ModelConfig.load("tiny"), seed: 3)
        try Calibration.run(a, inputs: inputs.map(\.input), batchSize: 2)
        try Calibration.run(b, inputs: inputs.map(\.input), kinds: inputs.map(\.kind), batchSize: 2)
        #expect(a.currentStateDict() == b.currentStateDict())
    }
}
