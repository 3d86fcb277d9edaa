import RTFormerSession
import RTFormerTUI
import Testing

/// The attention pane (issue 14) at 120×40 and 80×24, for SDSA (`tiny`, trained fixture
/// weights) and SSA (`spikformer-tiny`, its fixture weights). Re-record with RTFORMER_RECORD_SNAPSHOTS=1.
@Suite(.enabled(if: ExplorerFixture.hasTrainedWeights, "needs ../shared/fixtures"))
struct AttentionPaneSnapshotTests {
    /// `tiny` with the attention pane switched on (`8`) and focused, after a step.
    static func sdsa(_ size: Size, panes: Set<ExplorerPane>) -> ExplorerFixture {
        var f = ExplorerFixture(size: size, panes: panes, weights: .trained)
        f.session.execute(line: "layer block.0.attn.q_lif")
        f.press(.character("8"), .character(" "))
        return f
    }

    /// `spikformer-tiny` on the shared fixture's weights, the attention pane on and focused.
    static func ssa(_ size: Size, panes: Set<ExplorerPane>) -> ExplorerFixture {
        var f = ExplorerFixture(size: size, panes: panes, weights: .seeded)
        let weights = ExplorerFixture.trainedWeights.replacingOccurrences(of: "rtformer_tiny.safetensors", with: "spikformer_tiny.safetensors")
        for line in ["model spikformer-tiny", "load weights \(weights)", "input default", "layer block.0.attn.q_lif"] {
            let r = f.session.execute(line: line)
            precondition(r.error == nil, "\(line): \(r.error ?? "")")
        }
        f.press(.character("8"), .character(" "))
        return f
    }

    @Test func sdsaAt120x40() {
        var f = Self.sdsa(Size(width: 120, height: 40), panes: [.layers, .membrane])
        #expect(f.app.focus == .attention && f.app.layout.panes.contains(.attention))
        f.press(.down, .right, .character("n"))
        #expect(f.session.cursor.token == 9 && f.session.cursor.head == 1)
        let text = f.render().plainText()
        #expect(text.contains("8 attention · block.0 · SDSA · t 1"))
        #expect(text.contains("head 1/4 c16-31 · t 1 · token 9 (y 1, x 1)"))
        assertSnapshot(f.render(), named: "attention-sdsa-120x40", annotated: false)
    }

    @Test func sdsaAt80x24() {
        var f = Self.sdsa(Size(width: 80, height: 24), panes: [.layers])
        #expect(f.app.layout.panes == [.layers, .attention])
        f.press(.right, .right)
        // ASCII glyphs: the shade characters show the values the half blocks colour.
        assertSnapshot(f.render(Appearance(colors: .color256, glyphs: .ascii)), named: "attention-sdsa-80x24", annotated: false)
    }

    @Test func ssaAt120x40() {
        var f = Self.ssa(Size(width: 120, height: 40), panes: [.layers, .membrane])
        f.press(.character("N"), .character("n"), .character("n"), .down, .down, .left)
        #expect(f.app.lastCommands == ["token left"])
        #expect(f.session.cursor.head == 2 && f.session.cursor.token == 16)
        let text = f.render().plainText()
        #expect(text.contains("8 attention · block.0 · SSA · t 1"))
        #expect(text.contains("head 2/4 · t 1 · token 16 (y 2, x 0)"))
        assertSnapshot(f.render(), named: "attention-ssa-120x40", annotated: false)
    }

    @Test func ssaAt80x24() {
        var f = Self.ssa(Size(width: 80, height: 24), panes: [.layers])
        f.press(.character("G"), .down)
        assertSnapshot(f.render(Appearance(colors: .color256, glyphs: .ascii)), named: "attention-ssa-80x24", annotated: false)
    }

    /// Movement keys in the attention pane are session commands, and stop at the grid's edge.
    @Test func keysAreSessionCommands() {
        var f = Self.sdsa(Size(width: 120, height: 40), panes: [.layers])
        f.press(.up)
        #expect(f.app.lastCommands == ["token up"])
        #expect(f.session.cursor.token == 0)
        f.press(.character("N"))
        #expect(f.app.lastCommands == ["head prev"] && f.session.cursor.head == 0)
        #expect(f.app.keyTable.hints(focused: .attention).prefix(2).map(\.action) == ["token", "head"])
    }
}
