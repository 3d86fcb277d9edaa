import Testing
import RTFormerTUI

/// Every widget, drawn into a rectangle in the middle of a screen filled with `~`, leaves every
/// cell outside that rectangle untouched, in every appearance and for tight rectangles too.
@Suite struct WidgetsStayInsideTheirRectangle {
    static let widgets: [(String, any Widget)] = [
        ("heatmap", Heatmap(values: rates, rows: 6, columns: 10)),
        ("heatmap-diverging", Heatmap(values: membrane, rows: 7, columns: 12, kind: .diverging, marker: GridPoint(row: 0, column: 0))),
        ("legend", Legend(scale: ColorScale(kind: .sequential, lower: 0, upper: 1234.5))),
        ("trace", TracePlot(values: [0.2, 1.3, 0.1], thresholds: [1], spikes: [false, true, false], cursor: 2)),
        ("sparkline", Sparkline(values: (0..<100).map(Float.init))),
        ("bars", BarChart(items: (0..<30).map { .init("channel \($0)", Float($0)) }, selected: 29)),
        ("table", Table(columns: [.init("a"), .init("b", width: .fixed(30))], rows: (0..<40).map { ["\($0)", "x"] }, selected: 39)),
        ("tree", LayerTree(paths: ["a.b.c", "a.d", "e.0.f"], selected: "e.0.f", details: ["a.d": "long detail text"])),
        ("text", TextBlock("a fairly long sentence that wraps over several lines", alignment: .right)),
        ("frame", Frame(title: "a title longer than the frame", isFocused: true)),
        ("status", StatusLine(segments: ["model", "input"], trailing: "right side")),
        ("hints", HintBar([.init("q", "quit"), .init("?", "help")])),
        ("input", InputLine(text: "step 3 and then some more", cursor: 20)),
    ]

    @Test(arguments: modes.map(\.name), [Rect(x: 3, y: 2, width: 14, height: 5), Rect(x: 5, y: 4, width: 3, height: 1),
                                          Rect(x: 0, y: 0, width: 20, height: 9)])
    func nothingOutside(mode: String, rect: Rect) {
        let appearance = modes.first { $0.name == mode }!.appearance
        for (name, widget) in Self.widgets {
            var s = Screen(width: 24, height: 12, appearance: appearance)
            s.fill(s.bounds, with: "~")
            widget.draw(into: &s, in: rect)
            for y in 0..<s.height {
                for x in 0..<s.width where !rect.contains(x: x, y: y) {
                    #expect(s[x, y] == Cell("~"), "\(name) drew at (\(x),\(y)) outside \(rect)")
                }
            }
        }
    }
}
