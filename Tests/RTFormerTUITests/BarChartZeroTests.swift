import Testing
@testable import RTFormerTUI

/// Bars of a range spanning 0 start at 0 (issue 15 point 4: a negative logit gets no positive bar).
@Suite struct BarChartZeroTests {
    @Test func negativeValuesGoLeftOfZeroAndZeroDrawsNothing() {
        var s = Screen(width: 24, height: 3, appearance: .ascii)
        // Labels 1 wide, values 4 wide ("-1.0"?): bar area = 24 − label − value − 2.
        BarChart(items: [.init("a", -1), .init("b", 0), .init("c", 1)], range: -1...1).draw(into: &s, in: s.bounds)
        let rows = s.plainText().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Negative: only `-` cells, ending where positive bars begin; zero: no bar; positive: only `#`.
        #expect(rows[0].contains("-") && !rows[0].contains("#"))
        #expect(!rows[1].dropFirst(1).dropLast(6).contains("#") && !rows[1].dropFirst(1).dropLast(6).contains("-"))
        #expect(rows[2].contains("#"))
        let lastMinus = rows[0].dropLast(6).lastIndex(of: "-").map { rows[0].distance(from: rows[0].startIndex, to: $0) }
        let firstHash = rows[2].firstIndex(of: "#").map { rows[2].distance(from: rows[2].startIndex, to: $0) }
        #expect(lastMinus.map { $0 + 1 } == firstHash)
    }

    @Test func aNonNegativeRangeIsDrawnAsBefore() {
        var s = Screen(width: 20, height: 1, appearance: .ascii)
        BarChart(items: [.init("a", 0.5)], range: 0...1).draw(into: &s, in: s.bounds)
        #expect(s.plainText().filter { $0 == "#" }.count > 0)
    }
}
