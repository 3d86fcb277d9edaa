import Testing
@testable import RTFormer

/// LIF against spikingjelly (fixtures/lif.safetensors) and hand-computed sequences (SPEC §2).
@Suite struct LIFTests {
    static let fixture = Result { try Safetensors.read(path: Fixtures.path("lif.safetensors")) }

    @Test(arguments: ["hard", "hard_vth05", "soft"])
    func matchesSpikingjelly(_ name: String) throws {
        let f = try Self.fixture.get().tensors
        let params = try #require(f["\(name).params"]).storage
        let p = LIFParameters(tau: params[0], vThreshold: params[1], vReset: params[2].isNaN ? nil : params[2],
                              decayInput: params[3] != 0)
        let trace = LIF.multiStep(try #require(f["\(name).x"]), p)
        // Spikes are 0/1: exact. H and V: the arithmetic order is spikingjelly's, so 1e-6 is ample.
        #expect(mismatches(trace.spikes, try #require(f["\(name).spike"])) == 0)
        #expect(maxAbsDiff(trace.h, try #require(f["\(name).h_seq"])) <= 1e-6)
        #expect(maxAbsDiff(trace.v, try #require(f["\(name).v_seq"])) <= 1e-6)
    }

    @Test func firesAtEqualityWithThreshold() {
        // From rest H = X/2: X = 2 gives H = 1 = V_th exactly, which fires under `>=`.
        let x = Tensor(shape: [3, 1], storage: [2, 1.9, 2.2])
        let t = LIF.multiStep(x, .standard)
        #expect(t.h.storage == [1, 0.95, 1.575])
        #expect(t.spikes.storage == [1, 0, 1])
        #expect(t.v.storage == [0, 0.95, 0])
    }

    @Test func softResetSubtractsThreshold() {
        // decay_input false, soft reset: H = V·(1 − 1/τ) + X; V = H − S·V_th.
        let p = LIFParameters(tau: 2, vThreshold: 1, vReset: nil, decayInput: false)
        let t = LIF.multiStep(Tensor(shape: [3, 1], storage: [1.5, 0.2, 0.9]), p)
        #expect(t.h.storage == [1.5, 0.45, 1.125])
        #expect(t.spikes.storage == [1, 0, 1])
        #expect(t.v.storage == [0.5, 0.45, 0.125])
    }

    @Test func hardResetToNonZeroPotential() {
        let p = LIFParameters(tau: 2, vThreshold: 1, vReset: -0.5, decayInput: true)
        // V starts at V_reset = −0.5; H = V + (X − (V − V_reset))/τ = −0.5 + 3/2 = 1 → fires, resets to −0.5.
        let t = LIF.multiStep(Tensor(shape: [2, 1], storage: [3, 0]), p)
        #expect(t.h.storage == [1, -0.5])
        #expect(t.spikes.storage == [1, 0])
        #expect(t.v.storage == [-0.5, -0.5])
    }

    @Test func singleStepEqualsMultiStep() throws {
        let x = try #require(Self.fixture.get().tensors["hard.x"])
        let whole = LIF.multiStep(x, .standard)
        let n = x.count / x.shape[0]
        var state = LIFState(count: n, parameters: .standard)
        var h = [Float](repeating: 0, count: n), s = h
        for t in 0..<x.shape[0] {
            let xt = x.slice(t)
            xt.storage.withUnsafeBufferPointer { xp in
                h.withUnsafeMutableBufferPointer { hp in
                    s.withUnsafeMutableBufferPointer { sp in state.step(x: xp.baseAddress!, h: hp.baseAddress!, spikes: sp.baseAddress!) }
                }
            }
            #expect(h == whole.h.slice(t).storage)
            #expect(s == whole.spikes.slice(t).storage)
            #expect(state.v == whole.v.slice(t).storage)
        }
    }
}
