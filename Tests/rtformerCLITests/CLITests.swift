import Foundation
@_exported import TestSupport
import Testing

/// Runs the built `rtformer` executable the way users and scripts do (DESIGN §6).
enum CLI {
    static var packageRoot: URL { SharedFiles.packageRoot }
    static var shared: String { SharedFiles.root }

    static var fixtures: String { shared + "/fixtures" }

    /// The executable next to the test bundle (same build configuration).
    static let binary: String = {
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("rtformer").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/debug/rtformer").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs `rtformer args` with `lines` typed on its standard input (a pipe, so the line REPL),
    /// stdout and stderr together in `text`; `exited` is false when a signal ended it.
    static func typed(_ args: [String], lines: String) throws -> (status: Int32, exited: Bool, text: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data(lines.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .exit, text)
    }

    static func json(_ r: Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-cli-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }
}

@Suite(.serialized) struct CLITests {
    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.contains("0."))
        let h = try CLI.run(["info", "--help"])
        #expect(h.status == 0 && h.stdout.contains("--model"))
    }

    @Test(arguments: [("tiny", 84_258, 0), ("S-T-4-384", 8_104_090, 0), ("spikformer-4-384", 9_324_730, 6_144)])
    func infoParameterCounts(_ model: String, _ params: Int, _ unused: Int) throws {
        let r = try CLI.run(["info", "--model", model, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try CLI.json(r)
        #expect(j["parameters"] as? Int == params)
        #expect(j["unused_parameters"] as? Int == unused)
        #expect((j["layers"] as? [Any])?.isEmpty == false)
    }

    @Test func infoDeployCountsFoldedParameters() throws {
        let j = try CLI.json(try CLI.run(["info", "--model", "tiny", "--deploy", "--json"]))
        #expect(j["parameters"] as? Int == 82_594)
    }

    @Test func forwardDumpsEveryLIFWithFixtureNames() throws {
        let out = CLI.temp("dump.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fx = CLI.fixtures + "/rtformer_tiny.safetensors"
        let r = try CLI.run(["forward", "--model", "tiny", "--weights", fx, "--input", fx, "--dump", out])
        #expect(r.status == 0, "\(r.stderr)")
        let keys = try safetensorKeys(out)
        for lif in ["patch_embed.proj_lif", "patch_embed.stcore.lif", "block.0.attn.kv_lif", "head_lif"] {
            #expect(keys["\(lif).spikes"] != nil && keys["\(lif).h"] != nil && keys["\(lif).v"] != nil, "\(lif)")
        }
        #expect(keys["patch_embed.stcore.lif.h_hat"] != nil)
        #expect(keys["logits"] == [2, 10])
        #expect(keys["block.0.attn.kv_lif.spikes"] == [4, 2, 64, 1])
        #expect(keys["head_lif.spikes"] == [4, 2, 64])
    }

    @Test func checkExitCodesFollowTheVerdict() throws {
        let fx = CLI.fixtures + "/rtformer_tiny.safetensors"
        let exact = try CLI.run(["check", "--model", "tiny", "--weights", fx, "--input", fx, "--json"])
        #expect(exact.status == 0, "\(exact.stderr)")
        let paper = try CLI.run(["check", "--model", "tiny", "--weights", fx, "--input", fx, "--fold", "paper", "--json"])
        #expect(paper.status == 1)
        let j = try CLI.json(paper)
        let e2e = try #require(j["e2e"] as? [String: Any])
        #expect(e2e["mismatches"] as? Int == 2_433)
        #expect(e2e["rounding"] as? Int == 4)
        #expect((e2e["first_divergence"] as? [String: Any])?["layer"] as? String == "patch_embed.stcore.lif")
        #expect(j["local_structural"] as? Int == 520)
        // Issue 11: one verdict, its first structural origin, and the Float64 confirmation.
        #expect(j["verdict"] as? String == "not_equivalent")
        #expect((j["first_structural"] as? [String: Any])?["path"] as? String == "patch_embed.stcore.lif")
        #expect((j["origins"] as? [[String: Any]])?.first?["kind"] as? String == "structural")
        #expect(j["rounding_flips"] as? Int != nil && j["propagated"] as? Int != nil && j["logits_max_abs"] as? Double != nil)
        let exactJSON = try CLI.json(exact)
        #expect(exactJSON["verdict"] as? String == "equivalent")
        #expect(exactJSON["first_structural"] is NSNull)
        let strict = try CLI.run(["check", "--model", "tiny", "--weights", fx, "--input", fx, "--strict", "--float64"])
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(strict.stdout.contains("verdict: equivalent: no spike differs"))
        #expect(strict.stdout.contains("float64: 0 spike mismatches"))
    }

    @Test func convertThenForwardDeployGivesTheSameLogits() throws {
        let fx = CLI.fixtures + "/rtformer_tiny.safetensors"
        let deploy = CLI.temp("deploy.safetensors"), a = CLI.temp("a.safetensors"), b = CLI.temp("b.safetensors")
        defer { for f in [deploy, a, b] { try? FileManager.default.removeItem(atPath: f) } }
        #expect(try CLI.run(["convert", "--model", "tiny", "--weights", fx, "--out", deploy]).status == 0)
        #expect(try CLI.run(["forward", "--model", "tiny", "--weights", deploy, "--deploy", "--input", fx, "--dump", a]).status == 0)
        #expect(try CLI.run(["forward", "--model", "tiny", "--weights", fx, "--input", fx, "--dump", b]).status == 0)
        #expect(try logits(a) == logits(b))
        // A deploy checkpoint given to the unfused model is recognised.
        let wrong = try CLI.run(["forward", "--model", "tiny", "--weights", deploy, "--input", fx, "--dump", a])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("deploy"))
    }

    @Test func everyInputFormatRuns() throws {
        let data = CLI.shared + "/data"
        for (input, model, extra) in [("\(data)/cifar10/cifar10_test_first10.bin", "tiny", ["--index", "3"]),
                                      ("\(data)/cifar10/png/cifar10_00_3.png", "tiny", []),
                                      ("\(data)/photos/32x32/chelsea_32x32.png", "tiny", []),
                                      ("\(CLI.fixtures)/pth/spikformer_tiny_input.pth", "spikformer-tiny", []),
                                      ("\(data)/events/dvsgesture_bs2/1.bs2", "tiny-dvs", []),
                                      ("\(data)/events/aedat4/tonic_dvxplorer_sample.aedat4", "tiny-dvs", []),
                                      ("\(data)/events/prophesee_dat/tonic_ncars_sample.dat", "tiny-dvs", ["--split-by", "time"])] {
            let out = CLI.temp("in.safetensors")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try CLI.run(["forward", "--model", model, "--input", input, "--dump", out] + extra)
            #expect(r.status == 0, "\(input): \(r.stderr)")
        }
    }

    @Test func pthWeightsGiveTheSameOutputsAsSafetensors() throws {
        let a = CLI.temp("a.safetensors"), b = CLI.temp("b.safetensors")
        defer { for f in [a, b] { try? FileManager.default.removeItem(atPath: f) } }
        let fx = CLI.fixtures + "/spikformer_tiny.safetensors"
        #expect(try CLI.run(["forward", "--model", "spikformer-tiny", "--weights", fx, "--input", fx, "--dump", a]).status == 0)
        let r = try CLI.run(["forward", "--model", "spikformer-tiny", "--weights", CLI.fixtures + "/pth/spikformer_tiny_checkpoint.pth",
                             "--input", fx, "--dump", b])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("state_dict"))
        #expect(try logits(a) == logits(b))
    }

    @Test func bundledResourcesWorkByName() throws {
        let out = CLI.temp("g.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let g = try CLI.run(["forward", "--model", "tiny-dvs", "--input", "gesture", "--dump", out])
        #expect(g.status == 0, "\(g.stderr)")
        let d = try CLI.run(["check", "--model", "tiny", "--weights", "demo", "--input", CLI.fixtures + "/rtformer_tiny.safetensors", "--json"])
        #expect(d.status == 0, "\(d.stderr)")
    }

    @Test func eventInputToAnImageModelSaysWhatToUse() throws {
        let r = try CLI.run(["forward", "--model", "tiny", "--input", CLI.shared + "/data/events/dvsgesture_bs2/1.bs2", "--dump", CLI.temp("x")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("tiny-dvs"))
    }

    @Test func energyReportsTotals() throws {
        let fx = CLI.fixtures + "/rtformer_tiny.safetensors"
        let j = try CLI.json(try CLI.run(["energy", "--model", "tiny", "--weights", fx, "--input", fx, "--json"]))
        let mj = try #require(j["total_mJ"] as? Double)
        #expect(abs(mj - 5.4865323e-3) < 1e-8)
    }

    @Test func badInputsGiveOneClearLine() throws {
        let missing = try CLI.run(["forward", "--model", "tiny", "--input", "/nonexistent/x.safetensors", "--dump", CLI.temp("x")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/x.safetensors"))
        let model = try CLI.run(["info", "--model", "huge"])
        #expect(model.status == 2)
        #expect(model.stderr.contains("unknown model 'huge'"))
        // Usage errors (ArgumentParser's own) are one line and exit 2 too; --help still prints help.
        for (args, text) in [(["eval", "--input", "digits", "--fold", "banana"], "'banana' is invalid for '--fold"),
                             (["tui", "--colors", "17"], "--colors must be 256, 8 or 0"),
                             (["merge"], "Missing expected argument"), (["check"], "Missing expected argument '--input")] {
            let r = try CLI.run(args)
            #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
        let help = try CLI.run(["check", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--float64"))
    }

    private func safetensorKeys(_ path: String) throws -> [String: [Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[i]) << (8 * UInt64(i)) }
        let header = try #require(try JSONSerialization.jsonObject(with: data[8..<(8 + Int(n))]) as? [String: Any])
        var out: [String: [Int]] = [:]
        for (k, v) in header where k != "__metadata__" { out[k] = ((v as? [String: Any])?["shape"] as? [Int]) ?? [] }
        return out
    }

    private func logits(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[i]) << (8 * UInt64(i)) }
        let header = try #require(try JSONSerialization.jsonObject(with: data[8..<(8 + Int(n))]) as? [String: Any])
        let entry = try #require(header["logits"] as? [String: Any])
        let off = try #require(entry["data_offsets"] as? [Int])
        let bytes = data[(8 + Int(n) + off[0])..<(8 + Int(n) + off[1])]
        return bytes.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
    }
}
