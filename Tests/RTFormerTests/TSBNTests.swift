import Testing
@testable import RTFormer

/// TSBN against the reference (fixtures/tsbn.safetensors) and its special cases (SPEC §3.2, §11).
@Suite struct TSBNTests {
    static let fixture = Result { try Safetensors.read(path: Fixtures.path("tsbn.safetensors")).tensors }

    static func layer(window: Int) throws -> TSBN {
        let f = try fixture.get()
        var l = TSBN(timesteps: 4, channels: 8, window: window)
        l.weight = try #require(f["weight"]).storage
        l.bias = try #require(f["bias"]).storage
        l.runningMean = try #require(f["running_mean_init"]).storage
        l.runningVar = try #require(f["running_var_init"]).storage
        return l
    }

    @Test(arguments: [1, 2, 3])
    func trainStepMatchesReference(window w: Int) throws {
        let f = try Self.fixture.get()
        var l = try Self.layer(window: w)
        let x = try #require(f["x"])
        let (y, records) = try l.forwardTrain(x)
        expectClose(y, try #require(f["w\(w).y_train"]), "y_train w\(w)")
        let mean = Tensor(shape: [4, 8], storage: records.flatMap(\.mean))
        let variance = Tensor(shape: [4, 8], storage: records.flatMap(\.variance))
        let unbiased = Tensor(shape: [4, 8], storage: records.flatMap(\.unbiasedVariance))
        expectClose(mean, try #require(f["w\(w).batch_mean"]), "window mean w\(w)")
        expectClose(variance, try #require(f["w\(w).batch_var"]), "window var w\(w)")
        expectClose(unbiased, try #require(f["w\(w).batch_var_unbiased"]), "window unbiased var w\(w)")
        #expect(records.map { Float($0.count) } == (try #require(f["w\(w).window_count"])).storage)
        expectClose(Tensor(shape: [4, 8], storage: l.runningMean), try #require(f["w\(w).running_mean"]), "running mean w\(w)")
        expectClose(Tensor(shape: [4, 8], storage: l.runningVar), try #require(f["w\(w).running_var"]), "running var w\(w)")
        // Eval with the updated running statistics.
        let (a, b) = l.affineTable()
        expectClose(Tensor(shape: [4, 8], storage: a), try #require(f["w\(w).fold_scale"]), rtol: 1e-6, "fold scale w\(w)")
        expectClose(Tensor(shape: [4, 8], storage: b), try #require(f["w\(w).fold_shift"]), rtol: 1e-6, "fold shift w\(w)")
        expectClose(l.forwardEval(x), try #require(f["w\(w).y_eval"]), "y_eval w\(w)")
    }

    @Test func stepByStepEqualsWholeSequence() throws {
        let f = try Self.fixture.get()
        let x = try #require(f["x"])
        var whole = try Self.layer(window: 2)
        let (y, _) = try whole.forwardTrain(x)
        var stepped = try Self.layer(window: 2)
        var stepper = TSBNTrainStepper(batch: 4, spatial: 36, layer: "t")
        for t in 0..<4 {
            var xt = x.slice(t)
            _ = try xt.storage.withUnsafeMutableBufferPointer { try stepper.step(t: t, x: $0.baseAddress!, tsbn: &stepped) }
            #expect(xt.storage == y.slice(t).storage)
        }
        #expect(stepped.runningMean == whole.runningMean)
        #expect(stepped.runningVar == whole.runningVar)
    }

    @Test func windowOfOneIsPerTimestepBatchNorm() throws {
        let x = try #require(Self.fixture.get()["x"])
        var l = TSBN(timesteps: 4, channels: 8, window: 1)
        let (y, _) = try l.forwardTrain(x)
        for t in 0..<4 {
            var bn = BatchNorm(channels: 8)
            let (yt, _) = try bn.forwardTrain(x.slice(t))
            #expect(maxAbsDiff(yt, y.slice(t)) <= 1e-6)
            #expect(bn.runningMean == Array(l.runningMean[(t * 8)..<(t * 8 + 8)]))
        }
    }

    @Test func windowOfTIsCumulative() throws {
        let x = try #require(Self.fixture.get()["x"])
        var l = TSBN(timesteps: 4, channels: 8, window: 4)
        let (_, records) = try l.forwardTrain(x)
        for t in 0..<4 {
            // Stats of the cumulative window 0…t, computed directly.
            let sub = Tensor(shape: [(t + 1) * 4, 8, 36], storage: Array(x.storage[0..<((t + 1) * 4 * 8 * 36)]))
            let mean = sub.mean(axes: [0, 2])
            #expect(records[t].window == 0...t)
            for c in 0..<8 { #expect(abs(records[t].mean[c] - mean.storage[c]) <= 1e-6) }
        }
    }

    @Test func singleValueWindowIsAnErrorNamingTheLayer() throws {
        var l = TSBN(timesteps: 2, channels: 3, window: 1)
        let x = Tensor(shape: [2, 1, 3], storage: [1, 2, 3, 4, 5, 6])
        #expect(throws: NormalizationError.singleValueWindow(layer: "block.0.attn.kv_lif.tsbn", t: 0)) {
            _ = try l.forwardTrain(x, layer: "block.0.attn.kv_lif.tsbn")
        }
    }
}
