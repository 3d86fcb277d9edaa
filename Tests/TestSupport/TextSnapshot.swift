import Foundation
import Testing

/// Compares `actual` with `__Snapshots__/NAME.txt` beside the calling test file.
///
/// With `RTFORMER_RECORD_SNAPSHOTS=1` the file is (re)written and the test *fails* saying so (as
/// swift-argument-parser's and swift-snapshot-testing's recorders do), so a recording run can
/// never pass for a checked one: run once to record, review the files, run again to check.
/// Otherwise a mismatch fails with the differing lines, and a missing file fails with the
/// command that records it.
public func assertTextSnapshot(_ actual: String, named name: String, filePath: String = #filePath,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("__Snapshots__").appendingPathComponent(name + ".txt")
    if ProcessInfo.processInfo.environment["RTFORMER_RECORD_SNAPSHOTS"] == "1" {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            Issue.record("recorded snapshot \(url.path); review it and run again without RTFORMER_RECORD_SNAPSHOTS to check",
                         sourceLocation: sourceLocation)
        } catch {
            Issue.record("could not record snapshot \(url.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("""
            no snapshot \(name) at \(url.path); record it with
              RTFORMER_RECORD_SNAPSHOTS=1 swift test --filter RTFormerTUITests
            then review the file and commit it. Actual rendering:
            \(actual)
            """, sourceLocation: sourceLocation)
        return
    }
    guard expected != actual else { return }
    Issue.record("""
        snapshot \(name) differs (\(url.path)):
        \(lineDiff(expected: expected, actual: actual))
        If the change is intended, re-record with RTFORMER_RECORD_SNAPSHOTS=1.
        """, sourceLocation: sourceLocation)
}

/// The lines that differ, by line number, as `-` expected / `+` actual pairs (at most 40 lines).
public func lineDiff(expected: String, actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    var shown = 0
    for i in 0..<max(e.count, a.count) {
        let el = i < e.count ? String(e[i]) : nil
        let al = i < a.count ? String(a[i]) : nil
        guard el != al else { continue }
        shown += 1
        if shown > 40 {
            out.append("… more differing lines")
            break
        }
        let number = String(repeating: " ", count: max(0, 4 - String(i + 1).count)) + String(i + 1)
        out.append(number + " - " + (el.map { "|\($0)|" } ?? "(no line)"))
        out.append(number + " + " + (al.map { "|\($0)|" } ?? "(no line)"))
    }
    return out.joined(separator: "\n")
}
