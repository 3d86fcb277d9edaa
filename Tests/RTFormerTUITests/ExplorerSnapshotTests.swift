import RTFormerSession
import RTFormerTUI
import Testing

/// Whole explorer frames as text (DESIGN §5), on what `rtformer` opens: the bundled trained tiny
/// (digits) on bundled test digit 0. Re-record with RTFORMER_RECORD_SNAPSHOTS=1.
@Suite struct ExplorerDefaultSnapshotTests {
    @Test func defaultLayoutAt120x40() {
        var f = ExplorerFixture(weights: .digits)
        f.press(.character(" "), .character(" "))
        assertSnapshot(f.render(), named: "explorer-default-120x40")
    }

    @Test func startupFrameAt120x40() {
        let f = ExplorerFixture(weights: .digits)
        assertSnapshot(f.render(), named: "explorer-startup-120x40", annotated: false)
    }

    @Test func tooSmallTerminalSaysSo() {
        let f = ExplorerFixture(size: Size(width: 50, height: 12))
        let screen = f.render()
        #expect(screen.plainText().contains("terminal too small: need 60×16, have 50×12"))
        assertSnapshot(screen, named: "explorer-too-small", annotated: false)
    }
}

/// More frames, on the trained tiny weights of `../shared/fixtures` (quicker to set up than the
/// calibrated default, and they spike).
@Suite(.enabled(if: ExplorerFixture.hasTrainedWeights, "needs ../shared/fixtures/rtformer_tiny.safetensors"))
struct ExplorerSnapshotTests {
    @Test func zoomedMembranePane() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character(" "), .tab, .character("e"))
        #expect(f.app.layout.panes == [.membrane])
        assertSnapshot(f.render(), named: "explorer-membrane-zoomed", annotated: false)
    }

    @Test func helpOverlay() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character("?"), .character("?"))
        f.type("chan")
        assertSnapshot(f.render(), named: "explorer-help-overlay", annotated: false)
    }

    @Test func splitViewWithTheDiffPane() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character("."), .character("v"), .character("v"), .character("5"))
        #expect(f.session.view == .split)
        assertSnapshot(f.render(), named: "explorer-split-diff", annotated: false)
    }

    @Test func energyAndLogitsPanes() {
        var f = ExplorerFixture(panes: [.layers, .energy, .logits], weights: .trained)
        f.press(.character("G"))
        assertSnapshot(f.render(), named: "explorer-energy-logits", annotated: false)
    }

    @Test func smallTerminal80x24() {
        var f = ExplorerFixture(size: Size(width: 80, height: 24), weights: .trained)
        f.press(.character(" "))
        assertSnapshot(f.render(), named: "explorer-80x24", annotated: false)
    }

    @Test func asciiFrameHasOnlyASCII() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character(" "), .character("5"))
        let screen = f.render(Appearance(colors: .color256, glyphs: .ascii))
        let text = screen.plainText()
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(text.filter { $0 == "?" }.count == 1, "only the help key: every symbol has an ASCII spelling")
        assertSnapshot(screen, named: "explorer-ascii", annotated: false)
    }

    @Test func monochromeFrameUsesNoColours() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character(" "))
        let screen = f.render(Appearance(colors: .monochrome, glyphs: .unicode))
        #expect(screen.cells.allSatisfy { $0.style.fg == .default && $0.style.bg == .default })
        assertSnapshot(screen, named: "explorer-mono", annotated: false)
    }

    @Test func commandLineWithCompletions() {
        var f = ExplorerFixture(weights: .trained)
        f.press(.character(":"))
        f.type("s")
        f.press(.tab)
        let text = f.render().plainText().split(separator: "\n").suffix(2).joined(separator: "\n")
        #expect(text.hasPrefix(":s"))
        #expect(text.contains("Tab: step"))
    }
}
