import ArgumentParser
import Foundation
import RTFormer

/// `rtformer-fuzz`: structure-aware, seeded, deterministic fuzzing of every reader (issue 16).
///
/// Case `i` of target `t` under seed `s` is always the same input: seed file `i mod seeds`
/// mutated by `SplitMix(s ^ hash(t) ^ i·φ)`. The runner (`run`) starts worker processes
/// (`worker`) on batches of cases under an address-space limit and a time limit; a worker that
/// dies of a signal, is killed for memory or time, or exits non-zero fails its batch, whose cases
/// are then rerun one per process to name the culprits, saved under `--out`, and reproduced with
/// `case`.
@main
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtformer-fuzz",
        abstract: "Fuzz rtformer's readers (inputs, weights, configs, session scripts) in batches of worker processes.",
        subcommands: [Run.self, Worker.self, Case.self, List.self],
        defaultSubcommand: Run.self)
}

/// The case generator shared by the worker and `case`.
struct Cases {
    let target: Target
    let seeds: [Seed]
    let seed: UInt64

    init(target name: String, seed: UInt64) throws {
        guard let t = (Targets.all + [Targets.selftest]).first(where: { $0.name == name }) else {
            throw ValidationError("unknown target '\(name)': \(Targets.all.map(\.name).joined(separator: ", "))")
        }
        target = t
        seeds = t.seeds()
        self.seed = seed
    }

    /// The bytes of case `i` and the seed it was made from.
    func bytes(_ i: Int) -> (bytes: [UInt8], from: String) {
        guard !seeds.isEmpty else { return ([], "none") }
        let s = seeds[i % seeds.count]
        var rng = SplitMix(seed: seed ^ stableHash(target.name) ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
        // Case 0 of each seed is the seed itself: the corpus must pass unmutated.
        if i < seeds.count { return (s.bytes, s.name) }
        return (Mutator.mutate(s.bytes, layout: s.layout, rng: &rng), s.name)
    }
}

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run cases in this process (used by `run`).")
    @Option var target: String
    @Option var seed: UInt64 = 1
    @Option var from: Int = 0
    @Option var count: Int = 1
    @Option(help: "Address-space limit in MiB (0: none).") var memoryMb: Int = 4096
    @Option(help: "Scratch folder for case files.") var scratch: String = NSTemporaryDirectory()

    func run() throws {
        if memoryMb > 0 {
            var limit = rlimit(rlim_cur: rlim_t(memoryMb) << 20, rlim_max: rlim_t(memoryMb) << 20)
            setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        }
        let cases = try Cases(target: target, seed: seed)
        let dir = scratch + "/rtformer-fuzz-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var accepted = 0
        for i in from..<(from + count) {
            let (bytes, _) = cases.bytes(i)
            do {
                try cases.target.run(bytes, dir + "/" + cases.target.fileName, i)
                accepted += 1
            } catch {
                // A thrown error is a clean refusal. Its text must print: no raw control bytes.
                let text = "\(error)"
                if text.unicodeScalars.contains(where: { $0.value == 0x1B || $0.value == 0 }) {
                    FileHandle.standardError.write(Data("case \(i): unescaped control character in error text\n".utf8))
                    Foundation.exit(3)
                }
            }
        }
        // Read by `run`: how many cases the reader accepted (the rest were refused cleanly).
        print("ok \(count) accepted \(accepted)")
    }
}

struct Case: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write case N of a target to a file (to reproduce a finding).")
    @Option var target: String
    @Option var seed: UInt64 = 1
    @Option var index: Int
    @Option var out: String

    func run() throws {
        let (bytes, from) = try Cases(target: target, seed: seed).bytes(index)
        _ = FileManager.default.createFile(atPath: out, contents: Data(bytes))
        print("\(out): case \(index) of \(target) (seed \(seed), from \(from)), \(bytes.count) bytes")
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the targets and their seed inputs.")

    func run() throws {
        for t in Targets.all {
            let seeds = t.seeds()
            print("\(t.name): \(seeds.count) seed(s) " + seeds.map { "\($0.name) (\($0.bytes.count) B)" }.joined(separator: ", "))
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fuzz: batches of cases in worker processes; exit 1 on any crash, hang or memory overrun.")
    @Option(help: "Cases per target.") var cases: Int = 250
    @Option var seed: UInt64 = 1
    @Option(help: "Cases per worker process.") var batch: Int = 50
    @Option(help: "Worker processes at once.") var jobs: Int = 2
    @Option(help: "Seconds a batch may run (a single case gets the same).") var timeout: Double = 60
    @Option(help: "Address-space limit per worker, MiB.") var memoryMb: Int = 4096
    @Option(help: "Comma-separated targets (default: all).") var targets: String?
    @Option(help: "Folder for the inputs that failed.") var out: String = "fuzz-findings"

    struct Job {
        var target: String
        var from: Int
        var count: Int
        var process: Process
        var started: Date
        var log: String
    }

    func run() throws {
        let names = targets.map { $0.split(separator: ",").map(String.init) } ?? Targets.all.map(\.name)
        let exe = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        let scratch = NSTemporaryDirectory() + "/rtformer-fuzz-run-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var pending: [(String, Int, Int)] = []
        for name in names {
            let seeds = try Cases(target: name, seed: seed).seeds.count
            if seeds == 0 { print("fuzz: \(name): no seed inputs (../shared missing?), skipped"); continue }
            for from in stride(from: 0, to: cases, by: batch) { pending.append((name, from, min(batch, cases - from))) }
        }
        let start = Date()
        var running: [Job] = []
        var failures: [String] = []
        var done: [String: Int] = [:]
        var accepted: [String: Int] = [:]
        var logIndex = 0
        func launch(_ target: String, _ from: Int, _ count: Int) throws -> Job {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["worker", "--target", target, "--seed", String(seed), "--from", String(from), "--count", String(count),
                           "--memory-mb", String(memoryMb), "--scratch", scratch]
            var env = ProcessInfo.processInfo.environment
            env["OPENBLAS_NUM_THREADS"] = "1"
            env["SWIFT_BACKTRACE"] = "enable=no"
            // Models are refused by their memory estimate below the address-space limit, so a
            // worker that still runs out of memory has found an allocation the estimate missed.
            env["RTFORMER_MEMORY_LIMIT_GB"] = String(max(1, memoryMb / 2048))
            p.environment = env
            logIndex += 1
            let log = scratch + "/log-\(logIndex).txt"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = FileHandle(forWritingAtPath: log)
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            return Job(target: target, from: from, count: count, process: p, started: Date(), log: log)
        }
        /// Waits for `job`; nil when it passed, else why it failed.
        func verdict(_ job: Job, timedOut: Bool) -> String? {
            if timedOut { return "hang (over \(Int(timeout)) s)" }
            let p = job.process
            if p.terminationReason == .uncaughtSignal {
                let s = p.terminationStatus
                let name = [4: "SIGILL (Swift trap)", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL (memory?)", 11: "SIGSEGV"][Int(s)] ?? "signal \(s)"
                // The runtime's message ("Fatal error: …", an allocation failure) rather than backtrace lines.
                let text: String = (try? String(contentsOfFile: job.log, encoding: .utf8)) ?? ""
                let lines: [String] = text.split(separator: "\n").map(String.init)
                let message: String? = lines.first { l in l.contains("Fatal error") || l.contains("alloc") || l.contains("memory") }
                let crashed: String? = lines.first { l in l.contains("Program crashed") }
                let tail: String = message ?? crashed ?? lines.last ?? ""
                return "crash: \(name)" + (tail.isEmpty ? "" : ": " + Printable.escape(tail, limit: 300))
            }
            if p.terminationStatus != 0 {
                let tail = (try? String(contentsOfFile: job.log, encoding: .utf8))?.split(separator: "\n").suffix(2).joined(separator: " | ") ?? ""
                return "exit \(p.terminationStatus): " + Printable.escape(tail, limit: 300)
            }
            return nil
        }
        /// Runs every case of a failed batch alone to find and save the failing ones.
        func bisect(_ job: Job, _ why: String) throws {
            let cases = try Cases(target: job.target, seed: seed)
            var found = 0
            for i in job.from..<(job.from + job.count) {
                let single = try launch(job.target, i, 1)
                var timedOut = false
                while single.process.isRunning {
                    if Date().timeIntervalSince(single.started) > timeout { kill(single.process.processIdentifier, SIGKILL); timedOut = true }
                    usleep(20_000)
                }
                single.process.waitUntilExit()
                if let v = verdict(single, timedOut: timedOut) {
                    found += 1
                    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                    let (bytes, from) = cases.bytes(i)
                    let file = "\(out)/\(job.target)-seed\(seed)-case\(i)-\(cases.target.fileName)"
                    _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
                    failures.append("\(job.target) case \(i) (from \(from)): \(v) → \(file)")
                }
            }
            if found == 0 { failures.append("\(job.target) cases \(job.from)..<\(job.from + job.count): \(why) (not reproduced one at a time)") }
        }
        while !pending.isEmpty || !running.isEmpty {
            while running.count < max(1, jobs), !pending.isEmpty {
                let (t, f, c) = pending.removeFirst()
                running.append(try launch(t, f, c))
            }
            usleep(20_000)
            var still: [Job] = []
            for job in running {
                var timedOut = false
                if job.process.isRunning {
                    if Date().timeIntervalSince(job.started) > timeout {
                        kill(job.process.processIdentifier, SIGKILL)
                        job.process.waitUntilExit()
                        timedOut = true
                    } else {
                        still.append(job)
                        continue
                    }
                }
                job.process.waitUntilExit()
                if let why = verdict(job, timedOut: timedOut) { try bisect(job, why) }
                done[job.target, default: 0] += job.count
                if let log = try? String(contentsOfFile: job.log, encoding: .utf8),
                   let line = log.split(separator: "\n").last(where: { $0.hasPrefix("ok ") }),
                   let n = line.split(separator: " ").last.flatMap({ Int($0) }) {
                    accepted[job.target, default: 0] += n
                }
            }
            running = still
        }
        let total = done.values.reduce(0, +)
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "fuzz: %d cases (%@) in %.1f s, seed %llu, %d failure(s)", total,
                     done.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), seconds, seed, failures.count))
        print("fuzz: accepted by the readers (the rest refused with an error): "
              + done.keys.sorted().map { "\($0) \(accepted[$0] ?? 0)" }.joined(separator: ", "))
        for f in failures { print("fuzz: FAIL \(f)") }
        if !failures.isEmpty {
            print("fuzz: reproduce with `rtformer-fuzz case --target T --seed S --index N --out FILE`")
            throw ExitCode(1)
        }
    }
}
