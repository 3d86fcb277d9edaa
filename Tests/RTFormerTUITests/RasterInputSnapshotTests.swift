import RTFormerSession
import RTFormerTUI
import Testing

/// Issue 14: the raster and input panes, pinned traces and a layer-by-layer build, on what
/// `rtformer` opens (the bundled trained digits model on test digit 0). Re-record with
/// RTFORMER_RECORD_SNAPSHOTS=1.
@Suite struct RasterInputSnapshotTests {
    static func fixture(_ size: Size, panes: Set<ExplorerPane>, _ lines: [String]) -> ExplorerFixture {
        var f = ExplorerFixture(size: size, panes: panes, weights: .digits)
        for line in lines {
            let r = f.session.execute(line: line)
            precondition(r.error == nil, "\(line): \(r.error ?? "")")
        }
        f.press(.tab)
        return f
    }

    @Test func rasterPaneAt120x40() {
        var f = Self.fixture(Size(width: 120, height: 40), panes: [.layers, .raster], ["run", "layer block.0.attn.q_lif", "neuron 5,2,3"])
        #expect(f.app.layout.panes == [.layers, .raster])
        assertSnapshot(f.render(), named: "explorer-raster-120x40")
        f.press(.character("R"))
        #expect(f.session.rasterRows == .top(32))
        assertSnapshot(f.render(), named: "explorer-raster-top-120x40", annotated: false)
    }

    @Test func rasterPaneAt80x24() {
        let f = Self.fixture(Size(width: 80, height: 24), panes: [.layers, .raster], ["step 2", "layer patch_embed.proj_lif2", "raster top 12"])
        #expect(f.app.layout.panes == [.layers, .raster])
        assertSnapshot(f.render(), named: "explorer-raster-80x24")
    }

    @Test func inputPaneAt120x40() {
        let f = Self.fixture(Size(width: 120, height: 40), panes: [.layers, .input], ["run", "layer block.0.attn.q_lif", "neuron 0,2,5"])
        #expect(f.app.layout.panes == [.layers, .input])
        let text = f.render().plainText()
        #expect(text.contains("top-1 0"))
        assertSnapshot(f.render(), named: "explorer-input-120x40")
    }

    @Test func inputPaneAt80x24() {
        let f = Self.fixture(Size(width: 80, height: 24), panes: [.layers, .input], ["layer patch_embed.proj_lif2", "neuron 0,10,20"])
        assertSnapshot(f.render(), named: "explorer-input-80x24")
    }

    @Test func rasterAndInputInASCII() {
        let f = Self.fixture(Size(width: 120, height: 40), panes: [.layers, .raster, .input], ["run", "layer q_lif"])
        let screen = f.render(Appearance(colors: .monochrome, glyphs: .ascii))
        #expect(screen.plainText().unicodeScalars.allSatisfy { $0.isASCII })
        assertSnapshot(screen, named: "explorer-raster-input-ascii", annotated: false)
    }

    @Test func pinnedNeuronsOverlayTheTrace() {
        var f = Self.fixture(Size(width: 120, height: 40), panes: [.layers, .membrane], ["run", "layer q_lif", "neuron 5,2,3"])
        f.press(.character("P"))
        _ = f.session.execute(line: "neuron 9,4,4")
        f.press(.character("P"))
        _ = f.session.execute(line: "neuron 1,1,1")
        #expect(f.session.selectedPins.count == 2)
        let text = f.render().plainText()
        #expect(text.contains("c 5 y 2 x 3"))
        #expect(text.contains("c 9 y 4 x 4"))
        assertSnapshot(f.render(), named: "explorer-membrane-pins")
    }

    @Test func buildKeysGrowTheModelAndDimTheRest() {
        var f = Self.fixture(Size(width: 120, height: 40), panes: [.layers, .membrane, .raster, .input], ["build"])
        f.press(.character("b"), .character("b"), .character("b"))
        #expect(f.session.builtLayers == 5)
        #expect(f.session.selectedLayer?.path == "patch_embed.proj_conv1")
        f.press(.character("b"))
        #expect(f.session.selectedLayer?.path == "patch_embed.proj_lif1")
        assertSnapshot(f.render(), named: "explorer-build-120x40")
        f.press(.character("B"))
        #expect(f.session.builtLayers == nil)
    }
}

/// The input pane on an event recording: ON/OFF frames at t.
@Suite struct InputEventSnapshotTests {
    @Test func eventFramesAt120x40() {
        var f = ExplorerFixture(size: Size(width: 120, height: 40), panes: [.layers, .input], weights: .digits)
        for line in ["model tiny-dvs", "input gesture", "step 3", "layer patch_embed.proj_lif2", "neuron 0,20,30"] {
            let r = f.session.execute(line: line)
            precondition(r.error == nil, "\(line): \(r.error ?? "")")
        }
        f.press(.tab)
        let text = f.render().plainText()
        #expect(text.contains("0 input · events 64×64 · t 3"))
        #expect(text.contains("green ON, red OFF"))
        assertSnapshot(f.render(), named: "explorer-input-events-120x40")
    }
}
