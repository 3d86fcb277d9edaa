import Foundation
import RTFormer
import RTFormerSession

/// `rtformer bench --model C`: median forward time of several runs after a warm-up, B = 1.
enum ModelBench {
    enum Mode: String, CaseIterable {
        case unfused, deploy, both
    }

    /// Times `runs` forwards (after one warm-up) of a seeded model, calibrated on the bundled
    /// CIFAR-10 images, on the first of them; prints a line per mode, or one JSON object per mode.
    static func run(model: String, mode: Mode, threads: Int, runs: Int, json: Bool) throws {
        let config = try ModelConfig.load(model)
        let progress = ProgressPrinter()
        defer { progress.clear() }
        progress.report(WorkProgress("building \(config.name)"))
        let unfused = try Network(config: config, seed: 1)
        // Seeded weights with running statistics 0/1 leave most neurons silent, which would flatter
        // the spike-driven kernels: calibrate on real images first so firing rates are realistic.
        let calibration = try BundledSamples.calibrationInputs(for: config)
        try Calibration.run(unfused, inputs: calibration, batchSize: 5) { p in
            progress.report(WorkProgress("calibrating \(config.name) on \(calibration.count) bundled samples", done: p.pass, total: p.passes))
        }
        var nets: [(String, Network)] = []
        if mode != .deploy { nets.append(("unfused", unfused)) }
        if mode != .unfused {
            progress.report(WorkProgress("building the deploy twin"))
            nets.append(("deploy", try DeployConversion.convert(unfused, fold: .exact)))
        }
        let input = calibration[0]
        let rec = Recorder()
        _ = try unfused.forward(input, recorder: rec)
        let rates = rec.lifOrder.map { p in (0..<config.timesteps).map { rec.lifs[p]!.firingRate(at: $0) }.reduce(0, +) / Double(config.timesteps) }
        let meanRate = rates.reduce(0, +) / Double(max(1, rates.count))
        progress.clear()
        if !json {
            print(String(format: "%@: seeded weights calibrated on %d bundled images; mean LIF firing rate %.3f", config.name, calibration.count, meanRate))
        }
        for (name, net) in nets {
            progress.report(WorkProgress("timing \(name): warm-up"))
            _ = try net.forward(input)
            var times: [Double] = []
            for k in 0..<max(1, runs) {
                progress.report(WorkProgress("timing \(name)", done: k, total: max(1, runs)))
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try net.forward(input)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            progress.clear()
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            if json {
                print(jsonString(["model": config.name, "mode": name, "threads": threads, "runs": times.count,
                                  "median_ms": median, "min_ms": times.first!, "max_ms": times.last!, "mean_firing_rate": meanRate]))
            } else {
                print(String(format: "%@ %@: median %.2f ms (min %.2f, max %.2f) over %d runs, B=1, T=%d, %d thread(s)",
                             config.name, name, median, times.first!, times.last!, times.count, config.timesteps, threads))
            }
        }
    }

    /// Times one session `step`: every layer of the unfused model and of its deploy twin advances
    /// one timestep (t = 0 → 1, after a `reset`), the work behind a key press in the explorer.
    static func step(model: String, threads: Int, runs: Int, json: Bool) throws {
        let session = Session()
        let progress = ProgressPrinter()
        defer { progress.clear() }
        session.onProgress = progress.handler
        let config = try ModelConfig.load(model)
        let input = config.inChannels == 3 ? "input default" : "input gesture"
        for line in ["model \(model)", config.inChannels == 3 ? "calibrate default 10" : "", input] where !line.isEmpty {
            if let e = session.execute(line: line).error { throw BenchError.session(line: line, message: e) }
        }
        var times: [Double] = []
        for _ in 0..<max(1, runs + 1) {
            _ = session.execute(line: "reset")
            let start = DispatchTime.now().uptimeNanoseconds
            let r = session.execute(line: "step")
            if let e = r.error { throw BenchError.session(line: "step", message: e) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        progress.clear()
        times.removeFirst()   // warm-up
        times.sort()
        let median = times[times.count / 2]
        if json {
            print(jsonString(["model": config.name, "mode": "session-step", "threads": threads, "runs": times.count,
                              "median_ms": median, "min_ms": times.first!, "max_ms": times.last!]))
        } else {
            print(String(format: "%@ session step (both models, one t): median %.2f ms (min %.2f, max %.2f) over %d runs, %d thread(s)",
                         config.name, median, times.first!, times.last!, times.count, threads))
        }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case session(line: String, message: String)

    var description: String {
        switch self {
        case let .session(line, message): return "bench: `\(line)` failed: \(message)"
        }
    }
}
