import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

@Suite struct ReplayTests {
    static let sessionFiles: [String] = {
        let dir = SessionFixtures.packageRoot.appendingPathComponent("sessions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".session") }.sorted().map { dir.appendingPathComponent($0).path }
    }()

    @Test func thereAreAtLeastFourDocumentedSessions() {
        #expect(Self.sessionFiles.count >= 4)
        for f in Self.sessionFiles {
            let text = (try? String(contentsOfFile: f, encoding: .utf8)) ?? ""
            #expect(text.contains("\nexpect "), "\(f) has no expect line")
            #expect(text.hasPrefix("#"), "\(f) does not start with a comment explaining it")
        }
    }

    @Test(arguments: sessionFiles)
    func sessionFilePasses(_ path: String) throws {
        let result = try Replay.run(file: path, in: Session())
        #expect(result.passed, "\(URL(fileURLWithPath: path).lastPathComponent): \(result.failures.map(\.description).joined(separator: "\n"))")
    }

    @Test func transcriptEchoesEachLineWithItsNumberThenItsOutput() {
        let s = Session()
        let result = Replay.run("# hello\nmodel tiny\n\nexpect T == 4\n", in: s)
        #expect(result.passed)
        let lines = result.transcript.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "   1> # hello")
        #expect(lines[1] == "   2> model tiny")
        #expect(lines[2].hasPrefix("model tiny (rtformer)"))
        #expect(lines[3] == "   3> ")
        #expect(lines[4] == "   4> expect T == 4")
        #expect(lines[5] == "ok: T == 4 (actual 4)")
    }

    @Test func failedExpectNamesItsLineAndTheRunGoesOn() {
        let result = Replay.run("model tiny\nexpect T == 8\nexpect params == 84258\nexpect t > 0\n", in: Session())
        #expect(!result.passed)
        #expect(result.failures.map(\.line) == [2, 4])
        #expect(result.failures.allSatisfy { $0.isExpectation })
        #expect(result.failures[0].description.hasPrefix("line 2: error: expectation failed: T == 8 (actual: 4)"))
        #expect(result.transcript.contains("   3> expect params == 84258\nok:"))
    }

    @Test func commandErrorStopsTheRunAndNamesItsLine() {
        let result = Replay.run("model tiny\nstep\nstep\n", in: Session())
        #expect(result.failures.count == 1)
        #expect(result.failures[0].line == 2)
        #expect(!result.failures[0].isExpectation)
        #expect(result.failures[0].message.contains("no input"))
        #expect(!result.transcript.contains("   3> "))
    }

    @Test func parseErrorInAScriptShowsTheCaret() {
        let result = Replay.run("model tiny\nview sideways\n", in: Session())
        #expect(result.failures.first?.line == 2)
        #expect(result.transcript.contains("  view sideways\n       ^^^^^^^^\n  expected: unfused | deploy | split"))
    }
}

@Suite struct ExportTests {
    @Test func exportsWeightsDeployAndDumpAsSafetensors() throws {
        let s = try SessionFixtures.tinySession(extra: ["step"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-export-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try SessionFixtures.run(s, ["export weights \(dir.path)/w.safetensors", "export deploy \(dir.path)/d.safetensors",
                                    "export dump \(dir.path)/dump.safetensors", "export transcript \(dir.path)/t.txt"])
        let w = try Safetensors.read(path: dir.path + "/w.safetensors")
        #expect(w.tensors["patch_embed.proj_conv.weight"] == s.unfused?.stateDict["patch_embed.proj_conv.weight"])
        let d = try Safetensors.read(path: dir.path + "/d.safetensors")
        #expect(d.tensors["patch_embed.stcore.lif.theta"] == s.deploy?.stateDict["patch_embed.stcore.lif.theta"])
        let dump = try Safetensors.read(path: dir.path + "/dump.safetensors")
        #expect(dump.tensors["block.0.attn.kv_lif.spikes"]?.storage == s.unfusedRecorder.lifs["block.0.attn.kv_lif"]?.spikes)
        #expect(dump.tensors["patch_embed.stcore.lif.h_hat"] != nil)
        #expect(dump.tensors["logits"] == s.unfused?.logits)
        #expect(try String(contentsOfFile: dir.path + "/t.txt", encoding: .utf8).contains("> export dump"))
    }
}
