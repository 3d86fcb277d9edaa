import Foundation
import Testing

/// `rtformer eval` and `rtformer merge` as scripts use them.
@Suite(.serialized) struct EvalCLITests {
    static let weights = CLI.shared + "/data/trained/digits_tiny.safetensors"
    static let digits = CLI.shared + "/data/digits/digits_test.bin"

    static func withoutTiming(_ j: [String: Any]) -> NSDictionary {
        var j = j
        for k in ["samples_per_s", "seconds", "threads", "peak_rss_MB"] { j.removeValue(forKey: k) }
        return j as NSDictionary
    }

    /// Three shards merged give the unsharded JSON exactly (timing keys aside).
    @Test func shardsMergeToTheUnshardedResult() throws {
        let base = ["eval", "--weights", Self.weights, "--input", Self.digits, "--limit", "30", "--fold", "paper"]
        let whole = try CLI.run(base + ["--json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        var parts: [String] = []
        for i in 0..<3 {
            let out = CLI.temp("shard\(i).json")
            let r = try CLI.run(base + ["--shard", "\(i)/3", "--out", out, "--threads", "1"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("shard \(i)/3"))
            parts.append(out)
        }
        let merged = try CLI.run(["merge", parts[2], parts[0], parts[1], "--json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let a = try CLI.json(whole), b = try CLI.json(merged)
        #expect(Self.withoutTiming(a) == Self.withoutTiming(b))
        #expect((a["shard"] as? [String: Int]) == ["index": 0, "count": 1, "first": 0, "end": 30])
        #expect((a["predictions"] as? [String: [Int]])?["unfused"]?.count == 30)

        let missing = try CLI.run(["merge", parts[0], parts[2]])
        #expect(missing.status == 2 && missing.stderr.contains("missing shard(s) 1/3"))
        let twice = try CLI.run(["merge", parts[0], parts[0], parts[1], parts[2]])
        #expect(twice.status == 2 && twice.stderr.contains("given more than once"))
        for p in parts { try? FileManager.default.removeItem(atPath: p) }
    }

    /// Peak RSS does not grow with the number of samples: 360 vs 36 samples within 8 MB
    /// (streaming accumulators: only a few numbers per sample are kept). A narrow 16×16 model
    /// keeps this quick in debug builds; what is kept per sample does not depend on the model.
    /// `scripts/bench-eval.sh` measures the same for `tiny` and S-T-4-384 in release builds.
    @Test func memoryStaysFlat() throws {
        let config = CLI.temp("narrow.json")
        try Data(#"{"name": "narrow", "family": "rtformer", "embed_dims": 16, "num_heads": 2, "depths": 1, "T": 4, "img_size": 16}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        defer { try? FileManager.default.removeItem(atPath: config) }
        func peak(_ n: Int) throws -> Double {
            let r = try CLI.run(["eval", "--model", config, "--input", Self.digits, "--limit", String(n), "--json", "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(try CLI.json(r)["peak_rss_MB"] as? Double)
        }
        let small = try peak(36), large = try peak(360)
        #expect(large - small <= 8, "peak RSS \(small) MB for 36 samples, \(large) MB for 360")
    }

    /// `rtformer` with no arguments (the REPL when not on a terminal) opens on the trained digits
    /// model and bundled digit 0, which it classifies correctly; `--index k` picks digit k.
    @Test func defaultIsTheTrainedDigitsModel() throws {
        for k in [0, 6] {
            let (status, _, text) = try CLI.typed(k == 0 ? [] : ["--index", String(k)], lines: "run\nshow logits\nquit\n")
            #expect(status == 0, "\(text)")
            #expect(text.contains("label \(k) digit \(k)"), "\(text)")
            #expect(text.contains("logits top-1: \(k) digit \(k)"), "\(text)")
        }
        let r = try CLI.run(["eval", "--weights", "digits", "--input", "digits", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try CLI.json(r)
        #expect((j["accuracy"] as? [String: Any])?["deploy"] as? Double == 1)
        #expect((j["predictions"] as? [String: [Int]])?["unfused"] == Array(0..<10))
    }

    @Test func badArgumentsAreOneLine() throws {
        let shard = try CLI.run(["eval", "--input", Self.digits, "--shard", "3/3"])
        #expect(shard.status == 2 && shard.stderr.contains("--shard must be i/n with 0 ≤ i < n"))
        let missing = try CLI.run(["eval", "--input", "/nonexistent/data"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/data") && missing.stderr.split(separator: "\n").count == 1)
        let notResult = try CLI.run(["merge", Self.weights])
        #expect(notResult.status == 2 && notResult.stderr.contains("expected an eval result"))
        // A huge --threads would build one twin pair per worker: capped at the cores, and said.
        let many = try CLI.run(["eval", "--weights", "digits", "--input", "digits", "--threads", "100000", "--json"])
        #expect(many.status == 0 && many.stderr.contains("--threads 100000: this machine has"), "\(many.stderr)")
        #expect((try CLI.json(many)["threads"] as? Int) == ProcessInfo.processInfo.activeProcessorCount)
    }
}
