import Testing

@Suite struct SnapshotAssertionDiff {
    @Test func diffShowsOnlyChangedLinesWithNumbers() {
        let d = lineDiff(expected: "a\nb\nc", actual: "a\nB\nc\nd")
        #expect(d == "   2 - |b|\n   2 + |B|\n   4 - (no line)\n   4 + |d|")
    }
}
