import Testing
@testable import RTFormer

/// The spike-driven scatter convolution equals the dense one up to summation order.
@Suite struct SpikeConvTests {
    static func sparse(_ shape: [Int], rate: Double, seed: UInt64, values: [Float] = [1]) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return Tensor(shape: shape, storage: (0..<shape.product).map { _ in
            rng.uniform() < rate ? values[Int(rng.next() % UInt64(values.count))] : 0
        })
    }

    static func weights(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return Tensor(shape: shape, storage: (0..<shape.product).map { _ in Float(rng.normal()) })
    }

    @Test(arguments: [
        ([2, 5, 9, 7], [19, 5, 3, 3], 1, 1, 0.1),
        ([1, 8, 8, 8], [33, 8, 3, 3], 1, 1, 0.25),
        ([1, 3, 6, 6], [16, 3, 1, 3], 0, 1, 0.3),
        ([1, 3, 6, 6], [16, 3, 3, 1], 1, 0, 0.05),
        ([1, 4, 5, 5], [7, 4, 3, 3], 0, 0, 0.2),
        ([1, 6, 8, 8], [48, 6, 3, 3], 1, 1, 0.15),
    ])
    func matchesDenseConv(_ xs: [Int], _ ws: [Int], _ ph: Int, _ pw: Int, _ rate: Double) {
        let x = Self.sparse(xs, rate: rate, seed: 5, values: [1, 1, 2])
        let w = Self.weights(ws, seed: 9)
        let b = Self.weights([ws[0]], seed: 11)
        for bias in [b, nil] as [Tensor?] {
            let dense = Conv2d.forward(x, weight: w, bias: bias, padH: ph, padW: pw)
            let sparse = Conv2d.forwardSpikes(x, weight: w, bias: bias, padH: ph, padW: pw, kernel: .sparse)
            expectClose(sparse, dense, rtol: 1e-5, atol: 1e-5, "spike conv \(xs) * \(ws)")
        }
    }

    /// Two threads split the output channels in strips of 16; a bias must fill each strip once.
    @Test func biasWithSeveralStripsAndThreads() {
        let before = BLAS.threads
        BLAS.setThreads(2)
        defer { BLAS.setThreads(before) }
        let x = Self.sparse([1, 64, 16, 16], rate: 0.2, seed: 3)
        let w = Self.weights([96, 64, 3, 3], seed: 4)
        let b = Self.weights([96], seed: 6)
        let dense = Conv2d.forward(x, weight: w, bias: b, padH: 1, padW: 1)
        expectClose(Conv2d.forwardSpikes(x, weight: w, bias: b, padH: 1, padW: 1, kernel: .sparse), dense, rtol: 1e-5, atol: 1e-5, "2 threads")
    }

    @Test func silentInputGivesTheBias() {
        let x = Tensor(shape: [1, 2, 4, 4])
        let w = Self.weights([3, 2, 3, 3], seed: 1)
        let b = Tensor(shape: [3], storage: [1, -2, 0.5])
        let y = Conv2d.forwardSpikes(x, weight: w, bias: b, padH: 1, padW: 1, kernel: .sparse)
        for c in 0..<3 { for p in 0..<16 { #expect(y.storage[c * 16 + p] == b.storage[c]) } }
    }
}
