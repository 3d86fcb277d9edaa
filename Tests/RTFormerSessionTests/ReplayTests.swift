import Foundation
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
