import Testing
import RTFormerTUI

/// The appearances every mode-dependent widget is snapshotted in.
let modes: [(name: String, appearance: Appearance)] = [
    ("256", Appearance(colors: .color256, glyphs: .unicode)),
    ("8", Appearance(colors: .color8, glyphs: .unicode)),
    ("mono", Appearance(colors: .monochrome, glyphs: .unicode)),
    ("ascii", Appearance(colors: .color256, glyphs: .ascii)),
    ("ascii-mono", Appearance(colors: .monochrome, glyphs: .ascii)),
]

/// A firing-rate-like map, shape [6, 10]: rates rising left to right and top to bottom, 0…1.
let rates: [Float] = (0..<60).map { i in Float((i / 10) * 10 + (i % 10) * 6) / 100 }

/// A membrane-like signed map, shape [7, 12]: (r − 3)(c − 6) / 18, so −1…+1 with a zero cross.
let membrane: [Float] = (0..<84).map { i in Float((i / 12 - 3) * (i % 12 - 6)) / 18 }

@Suite struct HeatmapSnapshots {
    @Test(arguments: modes.map(\.name))
    func sequentialWithLegend(mode: String) {
        var s = Screen(width: 28, height: 8, appearance: modes.first { $0.name == mode }!.appearance)
        Heatmap(values: rates, rows: 6, columns: 10, kind: .sequential).draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "heatmap-sequential-\(mode)")
    }

    @Test(arguments: modes.map(\.name))
    func divergingWithLegend(mode: String) {
        var s = Screen(width: 30, height: 9, appearance: modes.first { $0.name == mode }!.appearance)
        Heatmap(values: membrane, rows: 7, columns: 12, kind: .diverging).draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "heatmap-diverging-\(mode)")
    }

    @Test func zoomsSmallMapsAndMarksTheSelectedValue() {
        var s = Screen(width: 12, height: 5)
        Heatmap(values: [0, 1, 2, 3], rows: 2, columns: 2, marker: GridPoint(row: 1, column: 0), maxZoom: 3)
            .draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "heatmap-zoom-marker")
    }

    @Test func flaggedValuesAreMarkedAndExplainedOnTheLegendRow() {
        var s = Screen(width: 40, height: 3, appearance: Appearance(colors: .monochrome))
        var h = Heatmap(values: [0, 1, 2, 3], rows: 2, columns: 2, scale: ColorScale(kind: .sequential, lower: 0, upper: 3), maxZoom: 1)
        h.flagged = [GridPoint(row: 0, column: 1)]
        h.flagLabel = "|H−θ| ≤ 1e-05"
        h.draw(into: &s, in: s.bounds)
        let lines = s.plainText().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("  !!"))
        #expect(lines[2].hasSuffix("! |H−θ| ≤ 1e-05"))
        // Nothing flagged: no key on the legend row.
        var plain = Screen(width: 40, height: 3, appearance: Appearance(colors: .monochrome))
        h.flagged = []
        h.draw(into: &plain, in: plain.bounds)
        #expect(!plain.plainText().contains("!"))
    }

    @Test func samplesDownMapsLargerThanTheRectangle() {
        var s = Screen(width: 8, height: 4, appearance: Appearance(colors: .monochrome))
        let big: [Float] = (0..<(32 * 32)).map { Float($0 % 32) }
        Heatmap(values: big, rows: 32, columns: 32, scale: ColorScale(kind: .sequential, lower: 0, upper: 31),
                showsLegend: false).draw(into: &s, in: s.bounds)
        #expect(s.plainText() == String(repeating: "  ░░▒▒▓▓\n", count: 3) + "  ░░▒▒▓▓")
    }

    @Test func shapeMismatchSaysSo() {
        var s = Screen(width: 40, height: 2)
        Heatmap(values: [1, 2, 3], rows: 2, columns: 2).draw(into: &s, in: s.bounds)
        #expect(s.plainText() == "no map: 3 values for shape [2, 2]\n")
    }
}

@Suite struct TraceSnapshots {
    /// A LIF neuron driven up to its threshold 1.0 twice, T = 8: spikes at t = 3 and 7.
    let v: [Float] = [0.2, 0.5, 0.8, 1.1, 0.3, 0.6, 0.95, 1.3]
    let spikes = [false, false, false, true, false, false, false, true]

    @Test func constantThresholdWithSpikesAndCursor() {
        var s = Screen(width: 44, height: 10)
        TracePlot(values: v, thresholds: [1.0], spikes: spikes, cursor: 4).draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "trace-threshold-spikes")
    }

    @Test func thresholdVaryingWithTInASCII() {
        var s = Screen(width: 36, height: 8, appearance: .ascii)
        TracePlot(values: v, thresholds: [1.0, 0.9, 0.8, 0.7, 1.2, 1.1, 1.0, 0.9], spikes: spikes)
            .draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "trace-varying-threshold-ascii")
    }

    @Test func longTraceLabelsWithoutOverlap() {
        var s = Screen(width: 40, height: 6, appearance: Appearance(colors: .monochrome))
        let long: [Float] = (0..<32).map { Float($0 % 5) }
        TracePlot(values: long, thresholds: [4], spikes: long.map { $0 == 4 }, cursor: 13)
            .draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "trace-long-mono", annotated: false)
    }
}

@Suite struct SmallWidgetSnapshots {
    @Test func sparklineUnicodeAndASCII() {
        let values: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 7, 5, 3, 1, .nan, 2]
        var s = Screen(width: 16, height: 3)
        Sparkline(values: values).draw(into: &s, in: Rect(x: 0, y: 0, width: 16, height: 1))
        Sparkline(values: values).draw(into: &s, in: Rect(x: 0, y: 1, width: 6, height: 1))
        var a = Screen(width: 16, height: 1, appearance: .ascii)
        Sparkline(values: values).draw(into: &a, in: a.bounds)
        assertSnapshot(s, named: "sparkline")
        #expect(a.plainText() == "._-~=+*##+~_ -")
    }

    @Test func framesFocusedAndUnfocused() {
        var s = Screen(width: 30, height: 4)
        Frame(title: "membrane", isFocused: true).draw(into: &s, in: Rect(x: 0, y: 0, width: 15, height: 4))
        Frame(title: "a very long pane title", isFocused: false).draw(into: &s, in: Rect(x: 15, y: 0, width: 15, height: 4))
        var a = Screen(width: 30, height: 4, appearance: .ascii)
        Frame(title: "membrane", isFocused: true).draw(into: &a, in: Rect(x: 0, y: 0, width: 15, height: 4))
        Frame(title: "rates", isFocused: false).draw(into: &a, in: Rect(x: 15, y: 0, width: 15, height: 4))
        assertSnapshot(s, named: "frame-unicode")
        assertSnapshot(a, named: "frame-ascii")
    }

    @Test func wrappedText() {
        var s = Screen(width: 24, height: 7)
        let text = "The membrane potential V crosses the threshold θ at t = 3.\n\nSpikes reset V to v_reset; hyperpolarization_is_not_modelled."
        TextBlock(text).draw(into: &s, in: Rect(x: 1, y: 0, width: 22, height: 7))
        assertSnapshot(s, named: "text-wrapped", annotated: false)
    }

    @Test func statusLineAndHints() {
        var s = Screen(width: 60, height: 2)
        StatusLine(segments: ["rtformer-s", "cifar10 #17", "t 3/4", "view V"], trailing: "fold: exact")
            .draw(into: &s, in: Rect(x: 0, y: 0, width: 60, height: 1))
        HintBar([.init("q", "quit"), .init("?", "help"), .init("tab", "focus"), .init("space", "step"),
                 .init("p", "play"), .init(":", "command"), .init("e", "zoom")])
            .draw(into: &s, in: Rect(x: 0, y: 1, width: 60, height: 1))
        assertSnapshot(s, named: "status-hints")
    }

    @Test(arguments: ["unicode", "ascii"])
    func terminalTooSmall(glyphs: String) {
        var s = Screen(width: 30, height: 6, appearance: glyphs == "ascii" ? .ascii : .standard)
        s.write("layout", x: 0, y: 0)
        let minimum = MinimumSize(width: 80, height: 24)
        #expect(minimum.drawMessageIfTooSmall(into: &s))
        assertSnapshot(s, named: "too-small-\(glyphs)", annotated: false)
        var big = Screen(width: 80, height: 24)
        #expect(!minimum.drawMessageIfTooSmall(into: &big))
    }
}

@Suite struct TableAndTreeSnapshots {
    let columns = [
        Table.Column("layer", width: .flexible(1)),
        Table.Column("shape", width: .fixed(12)),
        Table.Column("rate", width: .fixed(6), alignment: .right),
    ]
    var rows: [[String]] {
        (0..<20).map { i in ["block.\(i / 4).lif\(i % 4)", "[4,64,8,8]", String(format3(Float(i) / 40))] }
    }

    @Test func scrolledToKeepSelectionVisible() {
        var s = Screen(width: 40, height: 7)
        let table = Table(columns: columns, rows: rows, selected: 15, scrollOffset: 0)
        table.draw(into: &s, in: s.bounds)
        #expect(table.visibleOffset(in: s.bounds) == 10)
        assertSnapshot(s, named: "table-scrolled")
    }

    @Test func unfocusedSelectionInASCII() {
        var s = Screen(width: 40, height: 5, appearance: .ascii)
        Table(columns: columns, rows: Array(rows.prefix(3)), selected: 1, isFocused: false).draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "table-unfocused-ascii")
    }

    let paths = [
        "patch_embed.proj_conv", "patch_embed.proj_bn", "patch_embed.proj_lif",
        "block.0.attn.q_conv", "block.0.attn.q_lif", "block.0.attn.attn_lif", "block.0.mlp.fc1_lif",
        "block.1.attn.q_conv", "block.1.mlp.fc1_lif", "head",
    ]

    @Test func treeWithCollapsedGroupAndDetails() {
        var s = Screen(width: 36, height: 12)
        let tree = LayerTree(paths: paths, collapsed: ["block.1"], selected: "block.0.attn.q_lif",
                             details: ["block.0.attn.q_lif": "0.12", "head": "[1,10]"])
        tree.draw(into: &s, in: s.bounds)
        #expect(tree.visibleNodes.count == 13)
        assertSnapshot(s, named: "tree-collapsed")
    }

    @Test func treeScrollsInASCII() {
        var s = Screen(width: 30, height: 5, appearance: .ascii)
        LayerTree(paths: paths, collapsed: ["patch_embed"], selected: "block.0.mlp.fc1_lif")
            .draw(into: &s, in: s.bounds)
        assertSnapshot(s, named: "tree-scrolled-ascii", annotated: false)
    }

    @Test func numericComponentsStayWithTheirParent() {
        #expect(LayerTree.components(of: "block.0.attn.q_lif") == ["block.0", "attn", "q_lif"])
        #expect(LayerTree.components(of: "head") == ["head"])
    }
}

@Suite struct LayoutSnapshot {
    /// A whole frame as the app might compose it, to see the widgets together.
    @Test func membranePaneLayout() {
        var s = Screen(width: 64, height: 16)
        let (body, bottom) = s.bounds.splitBottom(2)
        let panes = body.columns(weights: [1, 1])
        Frame(title: "membrane V  block.0.attn.q_lif  c=3", isFocused: true).draw(into: &s, in: panes[0])
        Heatmap(values: membrane, rows: 7, columns: 12, kind: .diverging, marker: GridPoint(row: 2, column: 5))
            .draw(into: &s, in: Frame.contentRect(for: panes[0]))
        Frame(title: "neuron (2,5) over t").draw(into: &s, in: panes[1])
        TracePlot(values: [0.2, 0.5, 0.8, 1.1, 0.3, 0.6, 0.95, 1.3], thresholds: [1],
                  spikes: [false, false, false, true, false, false, false, true], cursor: 3)
            .draw(into: &s, in: Frame.contentRect(for: panes[1]))
        let (status, hints) = bottom.splitTop(1)
        StatusLine(segments: ["rtformer-s", "t 3/8"], trailing: "exact").draw(into: &s, in: status)
        HintBar([.init("q", "quit"), .init("tab", "focus")]).draw(into: &s, in: hints)
        assertSnapshot(s, named: "layout-membrane")
    }
}

/// Three decimals without Foundation's format strings.
func format3(_ v: Float) -> String {
    let milli = Int((v * 1000).rounded())
    let frac = String(milli % 1000)
    return "\(milli / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

@Suite struct BarAndInputSnapshots {
    let items: [BarChart.Item] = [.init("c0", 0.5), .init("c1", 0.0625), .init("c2", 1), .init("c3", .nan), .init("c4", 0.3)]

    @Test func barChartEighthsAndASCII() {
        var s = Screen(width: 24, height: 5)
        BarChart(items: items, range: 0...1, selected: 2).draw(into: &s, in: s.bounds)
        var a = Screen(width: 24, height: 5, appearance: .ascii)
        BarChart(items: items, range: 0...1, selected: 2, isFocused: false).draw(into: &a, in: a.bounds)
        assertSnapshot(s, named: "bars-unicode")
        assertSnapshot(a, named: "bars-ascii")
    }

    @Test func inputLineKeepsCursorVisible() {
        var s = Screen(width: 12, height: 2)
        InputLine(text: "show rates", cursor: 5).draw(into: &s, in: Rect(x: 0, y: 0, width: 12, height: 1))
        InputLine(text: "goto block.0.attn.q_lif").draw(into: &s, in: Rect(x: 0, y: 1, width: 12, height: 1))
        #expect(s.plainText() == ":show rates\n:attn.q_lif")
        #expect(s[6, 0] == Cell("r", style: .reverse))
        #expect(s[11, 1] == Cell(" ", style: .reverse))
    }
}
