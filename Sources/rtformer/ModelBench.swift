import Foundation
import RTFormer
import RTFormerSession

/// `rtformer bench --model C`: median forward time of several runs after a warm-up, B = 1.
enum ModelBench {
    enum Mode: String, CaseIterable {
        case unfused, deploy, both
    }

    /// Times `runs` forwards (after one warm-up) of the model `options` resolve (`--model`,
    /// `--weights`; seeded weights are calibrated on the bundled samples unless `--uncalibrated`),
    /// B = 1, on `input` (default: the first bundled sample); prints a line per mode (or one JSON object per mode)
    /// with the median/min/max in ms, the mean LIF firing rate of that input (a fraction, averaged
    /// over layers and timesteps: the spike kernels' work scales with it) and the peak RSS.
    /// - Throws: what loading the config/weights, calibration or a forward throws.
    static func run(options: ModelOptions, input inputOptions: InputOptions? = nil, mode: Mode, threads: Int, runs: Int, json: Bool) throws {
        let progress = ProgressPrinter()
        defer { progress.clear() }
        let resolved = try options.resolve()
        let config = resolved.config
        let (unfused, deployLoaded) = try options.networks(resolved, deploy: mode != .unfused, fold: .exact)
        var nets: [(String, Network)] = []
        if let unfused, mode != .deploy { nets.append(("unfused", unfused)) }
        if let deployLoaded { nets.append(("deploy", deployLoaded)) }
        // A deploy checkpoint with --mode unfused was refused by `networks` (wrong flavour).
        guard let reference = unfused ?? deployLoaded else { return }
        let input: Tensor, kind: InputKind
        if let inputOptions {
            (input, kind) = try inputOptions.encoded(for: config)
        } else {
            let first = try BundledSamples.calibrationInputs(for: config)[0]
            (input, kind) = (first.input, first.kind)
        }
        let rec = Recorder()
        _ = try reference.forward(input, kind: kind, recorder: rec)
        let rates = rec.lifOrder.map { p in (0..<config.timesteps).map { rec.lifs[p]!.firingRate(at: $0) }.reduce(0, +) / Double(config.timesteps) }
        let meanRate = rates.reduce(0, +) / Double(max(1, rates.count))
        let origin = options.weights.map { "weights \($0)" }
            ?? (options.uncalibrated ? "seeded weights, uncalibrated" : "seeded weights calibrated on the bundled samples")
        progress.clear()
        if !json {
            let on = inputOptions.map { "\($0.input)" + ($0.index.map { " record \($0)" } ?? "") } ?? "bundled sample 0"
            print(String(format: "%@: %@; mean LIF firing rate %.3f on %@", config.name, origin, meanRate, on))
        }
        for (name, net) in nets {
            progress.report(WorkProgress("timing \(name): warm-up"))
            _ = try net.forward(input, kind: kind)
            var times: [Double] = []
            for k in 0..<max(1, runs) {
                progress.report(WorkProgress("timing \(name)", done: k, total: max(1, runs)))
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try net.forward(input, kind: kind)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            progress.clear()
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            let rss = peakRSSMiB()
            if json {
                print(jsonString(["model": config.name, "mode": name, "threads": threads, "runs": times.count,
                                  "median_ms": median, "min_ms": times.first!, "max_ms": times.last!, "mean_firing_rate": meanRate,
                                  "peak_rss_mib": rss]))
            } else {
                print(String(format: "%@ %@: median %.2f ms (min %.2f, max %.2f) over %d runs, B=1, T=%d, %d thread(s); peak RSS %.0f MiB",
                             config.name, name, median, times.first!, times.last!, times.count, config.timesteps, threads, rss))
            }
        }
    }

    /// The process's peak resident set size so far, in MiB (`getrusage`; Linux reports KiB).
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Double(usage.ru_maxrss) / 1024
    }

    /// Times one session `step`: every layer of the unfused model and of its deploy twin advances
    /// one timestep (t = 0 → 1, after a `reset`), the work behind a key press in the explorer.
    static func step(options: ModelOptions, threads: Int, runs: Int, json: Bool) throws {
        let session = Session()
        let progress = ProgressPrinter()
        defer { progress.clear() }
        session.onProgress = progress.handler
        let config = try options.resolve().config
        let input = config.inChannels == 3 ? "input default" : "input gesture"
        var lines = ["model \(options.model ?? config.name)" + (options.uncalibrated && options.weights == nil ? " uncalibrated" : "")]
        if let weights = options.weights {
            lines.append("load weights \(weights.contains(" ") ? "\"\(weights)\"" : weights)" + options.choice.sessionOptions)
        }
        for line in lines + [input] {
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
