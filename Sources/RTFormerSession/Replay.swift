import Foundation
import RTFormer

/// A failed line of a replayed script.
public struct ReplayFailure: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number in the script.
    public var line: Int
    public var text: String
    public var message: String
    /// A failed `expect` (replay continues) rather than a command error (replay stops).
    public var isExpectation: Bool

    public var description: String { "line \(line): \(message)" }
}

/// The outcome of running a script headless.
public struct ReplayResult: Sendable {
    public var transcript: String
    public var failures: [ReplayFailure]
    /// Lines run (a command error stops the run early).
    public var linesRun: Int
    public var passed: Bool { failures.isEmpty }
}

/// Runs `.session` scripts: one command per line, `#` comments (DESIGN §4).
public enum Replay {
    /// Runs `text` line by line in `session`. A failed `expect` is recorded and the run goes on;
    /// any other error stops it. `quit` ends it.
    public static func run(_ text: String, in session: Session) -> ReplayResult {
        var failures: [ReplayFailure] = []
        var n = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let line = String(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            let r = session.execute(line: line, lineNumber: n)
            if let e = r.error {
                failures.append(ReplayFailure(line: n, text: line, message: e, isExpectation: r.expectationFailed))
                if !r.expectationFailed { break }
            }
            if r.quit { break }
        }
        return ReplayResult(transcript: session.transcript, failures: failures, linesRun: n)
    }

    /// Reads and runs a script file; relative paths in it resolve against its directory.
    /// - Throws: `SessionError.unreadable` when the file cannot be read.
    public static func run(file path: String, in session: Session) throws -> ReplayResult {
        let text: String
        do {
            guard let t = String(data: try InputBytes.readData(path, format: "session script"), encoding: .utf8) else {
                throw SessionError.unreadable(path: path, reason: "not UTF-8 text")
            }
            text = t
        } catch let e as InputError {
            throw SessionError.unreadable(path: path, reason: e.found)
        }
        session.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return run(text, in: session)
    }
}
