import RTFormerSession
import RTFormerTUI
import Testing

/// Issue 15: tables sized to content that scroll sideways, the layer tree, pop-ups that let the
/// next key through, heatmaps that keep the cursor neuron visible.
@Suite struct ContentSizedTableTests {
    let table = Table(columns: [Table.Column("name"), Table.Column("rate", alignment: .right), Table.Column("shape"),
                                Table.Column("kind")],
                      rows: [["patch_embed.proj_lif", "0.075", "[8,32,32]", "MultiStepLIFNode"], ["q_lif", "1", "[64,8,8]", "LIF"]])

    @Test func columnsTakeTheirContentsWidthWhenAllFit() {
        #expect(table.fitsWithoutScrolling(total: 60))
        #expect(table.columnWidths(total: 60) == [20, 5, 9, 16])
    }

    @Test func narrowTablesScrollWholeColumnsBehindAFrozenFirstOne() {
        #expect(!table.fitsWithoutScrolling(total: 40))
        #expect(table.placements(total: 40).map(\.column) == [0, 1, 2])
        var t = table
        t.columnOffset = 2
        #expect(t.placements(total: 40).map(\.column) == [0, 3])
        t.columnOffset = 99
        #expect(t.placements(total: 40).map(\.column) == [0, 3], "clamped to the last useful offset")
        var s = Screen(width: 40, height: 3, appearance: .standard)
        table.draw(into: &s, in: s.bounds)
        let header = s.plainText().split(separator: "\n")[0]
        #expect(header.hasPrefix("name"))
        #expect(header.hasSuffix("›"))
        #expect(!s.plainText().contains("…"))
    }

    /// A scrolling column wider than the room next to the frozen one (the layer pane's `kind` at
    /// 80×24) is shown cut, and the frozen names keep half the table instead of shrinking to
    /// their title (they collapsed to `p…` before).
    @Test func aColumnWiderThanTheRoomLeftIsCutNotDropped() {
        let wide = Table(columns: [Table.Column("layer"), Table.Column("#", alignment: .right),
                                   Table.Column("kind")],
                         rows: [["patch_embed.proj_conv", "1", "DWConv2d 3×3 per t (RepDW5 fused)"], ["q_lif", "2", "LIF"]],
                         columnOffset: 1)
        let p = wide.placements(total: 30)
        #expect(p.map(\.column) == [0, 2])
        #expect(p[0].width == 14 && p[1].x == 15 && p[1].width == 15)
        var s = Screen(width: 30, height: 3, appearance: .standard)
        wide.draw(into: &s, in: s.bounds)
        let lines = s.plainText().split(separator: "\n")
        #expect(lines[1].hasPrefix("patch_embed.p… DWConv2d 3×3 p…"), "\(lines[1])")
        #expect(lines[2].hasPrefix("q_lif          LIF"))
    }

    @Test func aTreeTableShowsTheFullPathOnlyOnTheSelectedRow() {
        let paths = ["patch_embed.proj_conv", "patch_embed.proj_lif", "block.0.attn.q_lif", "block.0.mlp.fc1_lif"]
        let tree = TreeTable(paths: paths, selected: "block.0.attn.q_lif", columns: [Table.Column("layer")])
        let rows = tree.table(ascii: false).rows.map { $0[0] }
        #expect(rows.contains("block.0.attn.q_lif"))
        #expect(rows.contains("   proj_lif"))
        #expect(rows.contains("▾ block.0"))
        var collapsed = tree
        collapsed.collapsed = ["block.0.attn"]
        let row = collapsed.selectedRow ?? -1
        #expect(row >= 0 && collapsed.visibleNodes[row].path == "block.0.attn", "a hidden selection selects its group")
    }

    @Test func stepsSkipCollapsedGroups() {
        let paths = ["a.x", "b.0.attn.q", "b.0.attn.k", "b.0.mlp.fc"]
        #expect(TreeTable.step(paths: paths, collapsed: ["b.0.attn"], selected: "a.x", by: 1) == "b.0.attn.q")
        #expect(TreeTable.step(paths: paths, collapsed: ["b.0.attn"], selected: "b.0.attn.q", by: 1) == "b.0.mlp.fc")
        #expect(TreeTable.step(paths: paths, collapsed: ["b.0.attn"], selected: "b.0.mlp.fc", by: -1) == "b.0.attn.q")
        #expect(TreeTable.step(paths: paths, collapsed: [], selected: "b.0.mlp.fc", by: 1) == nil)
        #expect(TreeTable.group(of: "b.0.attn.q") == "b.0.attn")
        #expect(TreeTable.group(of: "head") == nil)
    }

    @Test func heatmapsScaleUpAndKeepTheMarkerWhenSampledDown() {
        var s = Screen(width: 40, height: 11, appearance: .standard)
        Heatmap(values: Array(repeating: 0.5, count: 64), rows: 8, columns: 8, scale: ColorScale(kind: .sequential, lower: 0, upper: 1))
            .draw(into: &s, in: s.bounds)
        // 8×8 in 10 rows (20 half-block pixels): 20 pixels a side, not 4× = 32 or 2× = 16.
        #expect(s.plainText().split(separator: "\n")[0].filter { $0 == "▀" }.count == 20)
        var small = Screen(width: 12, height: 5, appearance: Appearance(colors: .monochrome, glyphs: .unicode))
        Heatmap(values: Array(repeating: 0.5, count: 64 * 64), rows: 64, columns: 64, marker: GridPoint(row: 33, column: 61))
            .draw(into: &small, in: small.bounds)
        #expect(small.plainText().contains("X"), "the cursor neuron marks the pixel that stands for it")
    }
}

@Suite struct LayerTreeKeyTests {
    @Test func enterCollapsesTheGroupAndArrowsSkipIt() {
        var f = ExplorerFixture()
        f.press(.character("c"))
        let path = f.session.selectedLayer?.path ?? ""
        let group = TreeTable.group(of: path) ?? ""
        #expect(f.app.collapsedGroups == [group])
        f.press(.down)
        let next = f.session.selectedLayer?.path ?? ""
        #expect(!next.hasPrefix(group + "."), "↓ leaves the collapsed group: \(next)")
        f.press(.up)
        #expect(f.session.selectedLayer?.path.hasPrefix(group + ".") == true)
        f.press(.enter)
        #expect(f.app.collapsedGroups.isEmpty)
    }

    @Test func columnKeysScrollTheLayerTableAndStopAtItsLastColumn() {
        var f = ExplorerFixture()
        let header = { (f: ExplorerFixture) in f.render().plainText().split(separator: "\n")[2] }
        #expect(!header(f).contains(" # "))
        for _ in 0..<10 { f.press(.character(">")) }
        let frame = ExplorerRenderer.renderFrame(f.app, session: f.session, size: f.app.size, appearance: .standard)
        f.app.columnOffsets = frame.columnOffsets
        #expect(header(f).contains("#"), "the last column is reached: \(header(f))")
        let last = f.app.columnOffsets[.layers] ?? 0
        #expect(last > 0 && last < 7)
        f.press(.character("<"))
        #expect(f.app.columnOffsets[.layers] == last - 1, "one < undoes one column, not the presses past the end")
    }

    @Test func trainPreviewSaysWhyDeployDiffersAndKeepsT() {
        var f = ExplorerFixture()
        f.press(.character(" "), .character(" "), .character("t"))
        #expect(f.session.cursor.t == 2)
        let status = f.render().plainText().split(separator: "\n")[0]
        #expect(status.contains("train preview (deploy: running stats)"), "\(status)")
        #expect(!status.contains("not_equivalent"))
        f.press(.character("t"))
        #expect(f.session.cursor.t == 2)
    }

    @Test func aKeyThePopUpDoesNotUsePassesThrough() {
        var f = ExplorerFixture()
        f.press(.character(":"))
        f.type("help step")
        f.press(.enter)
        guard case .output = f.app.overlay else {
            Issue.record("help opens the output pop-up")
            return
        }
        let t = f.session.cursor.t
        f.press(.character("."))
        #expect(f.app.overlay == nil)
        #expect(f.session.cursor.t == t + 1, "the key closed the pop-up and stepped")
    }

    @Test func questionMarkExplainsThenListsTheKeys() {
        var f = ExplorerFixture()
        f.press(.tab, .character("?"))
        guard case .output(let title, let text, _) = f.app.overlay else {
            Issue.record("? opens the explanation")
            return
        }
        #expect(title.contains("membrane"))
        #expect(text.contains("Ĥ") && text.contains("▲"))
        f.press(.character("?"))
        #expect(f.app.overlay == .help(filter: "", selected: 0))
    }
}
