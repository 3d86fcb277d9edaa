import Foundation
import RTFormer

/// `rtformer bench --model C`: median forward time of several runs after a warm-up, B = 1.
enum ModelBench {
    enum Mode: String, CaseIterable {
        case unfused, deploy, both
    }

    /// Times `runs` forwards (after one warm-up) of a seeded model on a deterministic CIFAR-like
    /// input; prints a line per mode, or one JSON object per mode.
    static func run(model: String, mode: Mode, threads: Int, runs: Int, json: Bool) throws {
        let config = try ModelConfig.load(model)
        let unfused = try Network(config: config, seed: 1)
        var nets: [(String, Network)] = []
        if mode != .deploy { nets.append(("unfused", unfused)) }
        if mode != .unfused { nets.append(("deploy", try DeployConversion.convert(unfused, fold: .exact))) }
        // The first bundled CIFAR-10 image when the model takes 3×32×32, else a smooth pattern.
        let c = config
        var sample = [Float](repeating: 0, count: c.inChannels * c.imgSize * c.imgSize)
        if c.inChannels == 3 && c.imgSize == 32 {
            let rec = BundledSamples.cifar10TestRecords
            let mean: [Double] = [0.4914, 0.4822, 0.4465], std: [Double] = [0.2470, 0.2435, 0.2616]
            for ch in 0..<3 { for i in 0..<1024 { sample[ch * 1024 + i] = Float((Double(rec[1 + ch * 1024 + i]) / 255 - mean[ch]) / std[ch]) } }
        } else {
            for i in sample.indices { sample[i] = Float(sin(Double(i) * 0.013)) }
        }
        let input = Tensor(shape: [c.timesteps, 1, c.inChannels, c.imgSize, c.imgSize],
                           storage: Array([[Float]](repeating: sample, count: c.timesteps).joined()))
        for (name, net) in nets {
            _ = try net.forward(input)
            var times: [Double] = []
            for _ in 0..<max(1, runs) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try net.forward(input)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            if json {
                print(jsonString(["model": config.name, "mode": name, "threads": threads, "runs": times.count,
                                  "median_ms": median, "min_ms": times.first!, "max_ms": times.last!]))
            } else {
                print(String(format: "%@ %@: median %.2f ms (min %.2f, max %.2f) over %d runs, B=1, T=%d, %d thread(s)",
                             config.name, name, median, times.first!, times.last!, times.count, config.timesteps, threads))
            }
        }
    }
}
