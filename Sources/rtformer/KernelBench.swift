import Foundation
import RTFormer
import RTFormerSession

/// One measured kernel: the best wall time over a few runs plus its throughput figure.
struct KernelBenchRow: Codable {
    var kernel: String
    var shape: String
    var threads: Int
    var ms: Double
    /// Throughput in the row's own unit (`unit`).
    var value: Double
    var unit: String
}

/// The kernel benchmark behind `rtformer bench --kernels`: sgemm, dense and depthwise conv, dense
/// vs spike-driven 1×1 conv / linear at several firing rates, and LIF. Sized to finish in a few
/// seconds on 2 cores; every figure is the best of several runs after one warm-up.
struct KernelBench {
    /// Firing rates for the dense vs spike-driven comparison.
    var rates: [Float] = [0.02, 0.10, 0.20, 0.25, 0.30]
    /// Time budget per measurement (seconds); at least `minRuns` runs are taken.
    var budget = 0.25
    var minRuns = 3

    /// Best wall time of `body` in seconds.
    func best(_ body: () -> Void) -> Double {
        body()
        var bestTime = Double.infinity
        var spent = 0.0, runs = 0
        while runs < minRuns || (spent < budget && runs < 200) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            bestTime = min(bestTime, dt)
            spent += dt
            runs += 1
        }
        return bestTime
    }

    /// Runs every kernel; OpenBLAS threads are restored to `threads` afterwards.
    func run(threads: Int) -> [KernelBenchRow] {
        var rows: [KernelBenchRow] = []
        var rng = SeededRandom(seed: 1)

        // sgemm 1024³ at 1 and 2 threads
        let n = 1024
        let a = rng.signedUnitValues(n * n), b = rng.signedUnitValues(n * n)
        var c = [Float](repeating: 0, count: n * n)
        for t in [1, 2] {
            BLAS.setThreads(t)
            let s = best {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                } } }
            }
            rows.append(.init(kernel: "sgemm", shape: "1024x1024x1024", threads: t, ms: s * 1e3, value: 2 * Double(n * n * n) / s / 1e9, unit: "GFLOP/s"))
        }
        BLAS.setThreads(threads)

        // dense 3×3 conv, pad 1
        for (shape, cOut) in [([4, 48, 32, 32], 96), ([4, 192, 16, 16], 384), ([8, 64, 8, 8], 64)] {
            let x = rng.uniformTensor(shape), w = rng.uniformTensor([cOut, shape[1], 3, 3]), bias = rng.uniformTensor([cOut])
            let s = best { _ = Conv2d.forward(x, weight: w, bias: bias, padH: 1, padW: 1) }
            let flops = 2.0 * Double(shape[0] * cOut * shape[1] * 9 * shape[2] * shape[3])
            rows.append(.init(kernel: "conv3x3 dense", shape: "\(shape)->\(cOut)", threads: threads, ms: s * 1e3, value: flops / s / 1e9, unit: "GFLOP/s"))
        }

        // depthwise 3×3, pad 1
        do {
            let shape = [4, 384, 8, 8]
            let x = rng.uniformTensor(shape), w = rng.uniformTensor([384, 1, 3, 3]), bias = rng.uniformTensor([384])
            let s = best { _ = Conv2d.forward(x, weight: w, bias: bias, padH: 1, padW: 1, groups: 384) }
            rows.append(.init(kernel: "conv3x3 depthwise", shape: "\(shape)", threads: 1, ms: s * 1e3, value: s * 1e9 / Double(shape.product), unit: "ns/output"))
        }

        // max pool 3/2/1 (the SPS stem) and the token mean of the head
        do {
            let x = rng.spikeTensor([8, 32, 32, 32], rate: 0.2)
            let s = best { _ = MaxPool2d.forward(x) }
            rows.append(.init(kernel: "maxpool 3/2/1", shape: "[8, 32, 32, 32]", threads: 1, ms: s * 1e3, value: s * 1e9 / Double(8 * 32 * 16 * 16), unit: "ns/output"))
            let tokens = rng.uniformTensor([4, 2, 64, 384])
            let sm = best { _ = tokens.mean(axes: [2]) }
            rows.append(.init(kernel: "mean over N", shape: "[4, 2, 64, 384] axes [2]", threads: 1, ms: sm * 1e3, value: Double(tokens.count) / sm / 1e9, unit: "G elem/s"))
        }

        // 1×1 conv and linear on spikes: dense GEMM vs spike-driven, at 1 thread and at `threads`.
        // Weights are packed once, as a model's layers do. The spike-driven rows are timed first
        // and after a pause: OpenBLAS's idle workers spin for about 0.1 s after a 2-thread sgemm
        // (TOOLCHAIN §1), which would take the second core from the spike kernel's own threads.
        let cIn = 384, cOut = 384, hidden = 1536
        let w1 = rng.uniformTensor([cOut, cIn, 1, 1]), w2 = w1.reshaped([cOut, cIn]), bias = rng.uniformTensor([cOut])
        let wUp = rng.uniformTensor([hidden, cIn]), biasUp = rng.uniformTensor([hidden])
        let (p1, pUp) = (SpikeWeights(w1), SpikeWeights(wUp))
        for rate in rates {
            let x = rng.spikeTensor([8, cIn, 8, 8], rate: rate)
            let tokens = x.permuted([0, 2, 3, 1]).reshaped([512, cIn])
            let step = Tensor(shape: [64, cIn], storage: Array(tokens.storage[0..<(64 * cIn)]))
            let label = "rate \(String(format: "%g", rate * 100))%"
            let measured = Double(SpikeProjection.firingRate(x))
            let cases: [(name: String, shape: String, macs: Double, run: (SpikeKernel) -> Void)] = [
                ("conv1x1", "[8,\(cIn),8,8]->\(cOut) \(label)", Double(8 * 64 * cIn * cOut),
                 { _ = Conv2d.pointwiseSpikes(x, weight: w1, bias: bias, kernel: $0, packed: p1) }),
                ("linear", "[512,\(cIn)]->\(cOut) \(label)", Double(512 * cIn * cOut),
                 { _ = Linear.forwardSpikes(tokens, weight: w2, bias: bias, kernel: $0, packed: p1) }),
                // One timestep of a B = 1 model's MLP fc1 (64 tokens): the size a forward calls.
                ("linear", "[64,\(cIn)]->\(hidden) \(label)", Double(64 * cIn * hidden),
                 { _ = Linear.forwardSpikes(step, weight: wUp, bias: biasUp, kernel: $0, packed: pUp) }),
            ]
            for t in Set([1, threads]).sorted() {
                BLAS.setThreads(t)
                for c in cases {
                    usleep(150_000)
                    let ss = best { c.run(.sparse) }
                    let sd = best { c.run(.dense) }
                    rows.append(.init(kernel: "\(c.name) spike-driven", shape: c.shape, threads: t, ms: ss * 1e3,
                                      value: measured * c.macs / ss / 1e9, unit: "G acc/s"))
                    rows.append(.init(kernel: "\(c.name) dense", shape: c.shape, threads: t, ms: sd * 1e3,
                                      value: 2 * c.macs / sd / 1e9, unit: "GFLOP/s"))
                }
            }
            BLAS.setThreads(threads)
        }

        // LIF, multi-step over T = 4 on a [4, 1, 384, 8, 8] input (the engine's LIF.step)
        do {
            let steps = 4, count = 384 * 64
            let x = rng.signedUnitValues(steps * count).map { $0 * 2 }
            var v = [Float](repeating: 0, count: count), h = v, spikes = v
            let p = LIFParameters()
            let s = best {
                v.withUnsafeMutableBufferPointer { vp in h.withUnsafeMutableBufferPointer { hp in spikes.withUnsafeMutableBufferPointer { sp in
                    x.withUnsafeBufferPointer { xp in
                        vp.update(repeating: 0)
                        for t in 0..<steps {
                            LIF.step(x: xp.baseAddress! + t * count, v: vp.baseAddress!, h: hp.baseAddress!, spikes: sp.baseAddress!, count: count, p)
                        }
                    }
                } } }
            }
            rows.append(.init(kernel: "LIF step (H, S, V)", shape: "[4,1,384,8,8]", threads: 1, ms: s * 1e3, value: Double(steps * count) / s / 1e9, unit: "G elem/s"))
        }
        return rows
    }

    /// Plain-text table.
    static func table(_ rows: [KernelBenchRow]) -> String {
        var out = Fmt.pad("kernel", 22) + Fmt.pad("shape", 36) + Fmt.pad("thr", 4, right: true) + Fmt.pad("ms", 10, right: true) + Fmt.pad("value", 10, right: true) + "  unit\n"
        for r in rows {
            out += Fmt.pad(r.kernel, 22) + Fmt.pad(r.shape, 36) + Fmt.pad("\(r.threads)", 4, right: true)
                + Fmt.pad(String(format: "%.3f", r.ms), 10, right: true) + Fmt.pad(String(format: "%.2f", r.value), 10, right: true) + "  \(r.unit)\n"
        }
        return out
    }
}

