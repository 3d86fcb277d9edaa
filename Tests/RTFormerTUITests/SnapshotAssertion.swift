import Foundation
import RTFormerTUI
import Testing

/// Compares the text rendering of `screen` (annotated with styles unless `annotated` is false)
/// with `__Snapshots__/NAME.txt` next to this file.
///
/// With `RTFORMER_RECORD_SNAPSHOTS=1` in the environment the file is (re)written instead and the
/// check passes. Otherwise a mismatch fails with the differing lines, and a missing file fails
/// with the command that records it.
func assertSnapshot(_ screen: Screen, named name: String, annotated: Bool = true,
                    filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
    let actual = annotated ? screen.annotatedText() : screen.plainText() + "\n"
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("__Snapshots__").appendingPathComponent(name + ".txt")
    if ProcessInfo.processInfo.environment["RTFORMER_RECORD_SNAPSHOTS"] == "1" {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            print("recorded snapshot \(url.path)")
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
    let diff = lineDiff(expected: expected, actual: actual)
    Issue.record("""
        snapshot \(name) differs (\(url.path)):
        \(diff)
        If the change is intended, re-record with RTFORMER_RECORD_SNAPSHOTS=1.
        """, sourceLocation: sourceLocation)
}

/// The lines that differ, by line number, as `-` expected / `+` actual pairs (at most 40 lines).
func lineDiff(expected: String, actual: String) -> String {
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
