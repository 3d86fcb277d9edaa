import RTFormerSession
import RTFormerTUI
import Testing

/// Issue 15: at 120×40 and 80×24, with every pane focused in the layout and zoomed, and with every
/// pop-up open, nothing a user must read is cut: no cell ends in `…` (pane titles aside: a title
/// may be shortened, its pane's contents may not), tables show their headings whole, pop-ups wrap
/// or scroll rather than cut, and every help description can be read to its last word.
@Suite(.enabled(if: ExplorerFixture.hasTrainedWeights, "needs ../shared/fixtures/rtformer_tiny.safetensors"))
struct NothingCutTests {
    static let sizes = [Size(width: 120, height: 40), Size(width: 80, height: 24)]

    /// Headings of each pane's table (empty: the pane has none).
    static let headings: [ExplorerPane: [String]] = [
        .layers: ["layer", "rate", "dep", "shape", "params", "SOP", "kind", "#"],
        .tsbn: ["c", "γ", "β", "μ", "σ²", "θ"],
        .diff: ["spiking layer", "e2e", "orig", "loc s", "loc r"],
        .energy: ["layer", "op", "SOP", "µJ"],
    ]

    /// The screen's lines with the frames' top borders (pane and pop-up titles) blanked out.
    static func contentLines(_ screen: Screen) -> [String] {
        screen.plainText().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var chars = Array(line)
            var i = 0
            while i < chars.count {
                if chars[i] == "┌" || chars[i] == "┏", let end = chars[i...].firstIndex(where: { $0 == "┐" || $0 == "┓" }) {
                    for j in i...end { chars[j] = " " }
                    i = end + 1
                } else {
                    i += 1
                }
            }
            return String(chars)
        }
    }

    /// The pop-up's frame (as the renderer places it) for a terminal of `size`.
    static func popUpBox(_ size: Size) -> Rect {
        Rect(size: size).inset(top: 1, left: 0, bottom: 2, right: 0)
            .centered(Size(width: min(size.width - 4, 100), height: size.height - 5))
    }

    /// The rows inside the pop-up's frame, below its title.
    static func popUpLines(_ screen: Screen) -> [String] {
        let box = popUpBox(screen.size)
        let lines = screen.plainText().split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        return ((box.y + 1)..<box.maxY).map { y in String(lines[y][box.x..<min(lines[y].count, box.maxX)]) }
    }

    static func expectNothingCut(_ screen: Screen, _ what: String, popUp: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        for (row, line) in (popUp ? popUpLines(screen) : contentLines(screen)).enumerated() where line.contains("…") {
            Issue.record("\(what): row \(row) is cut: \(line)", sourceLocation: sourceLocation)
        }
    }

    /// A session on the trained tiny weights, every timestep computed, `pane` on and focused.
    static func fixture(_ size: Size, focusing pane: ExplorerPane) -> ExplorerFixture {
        var f = ExplorerFixture(size: size, panes: Set([ExplorerPane.layers, .membrane, .tsbn, .rates]).subtracting([pane]), weights: .trained)
        f.press(.character("G"))
        f.app.perform(.togglePane(pane), session: f.session)
        #expect(f.app.focus == pane)
        return f
    }

    @Test(arguments: sizes)
    func everyPaneInTheLayoutAndZoomed(size: Size) {
        for pane in ExplorerPane.allCases {
            var f = Self.fixture(size, focusing: pane)
            let inLayout = f.app.layout.panes.contains(pane)
            if inLayout { Self.expectNothingCut(f.render(), "\(pane) at \(size)") }
            f.press(.character("e"))
            Self.expectNothingCut(f.render(), "\(pane) zoomed at \(size)")
            // Zoomed, every heading is seen: at once, or by scrolling the columns with `>`.
            var seen = Set<String>()
            for _ in 0..<8 {
                let header = Self.contentLines(f.render()).joined(separator: "\n")
                for h in Self.headings[pane] ?? [] where header.contains(h) { seen.insert(h) }
                f.press(.character(">"))
            }
            for h in Self.headings[pane] ?? [] {
                #expect(seen.contains(h), "\(pane) zoomed at \(size): heading \(h) never shown")
            }
        }
    }

    @Test(arguments: sizes)
    func theRatesPaneHasRoomBesideTheDefaultPanes(size: Size) {
        let f = ExplorerFixture(size: size, weights: .trained)
        #expect(f.app.layout.hiddenPanes.isEmpty, "\(size): \(f.app.layout.hiddenPanes)")
    }

    /// Every line a pop-up shows, paging through it.
    static func popUpText(_ f: inout ExplorerFixture, pages: Int = 12) -> String {
        var seen: [String] = []
        for _ in 0..<pages where f.app.overlay != nil {
            let screen = f.render()
            expectNothingCut(screen, "pop-up at \(f.app.size)", popUp: true)
            seen += popUpLines(screen)
            f.press(.pageDown)
        }
        return seen.joined(separator: "\n")
    }

    /// `text` with runs of spaces and frame bars squeezed, for finding wrapped words.
    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "│" || $0 == "┃" }).map(String.init)
    }

    @Test(arguments: sizes)
    func paneExplanationsWrapWholly(size: Size) {
        for pane in ExplorerPane.allCases {
            var f = Self.fixture(size, focusing: pane)
            f.press(.character("?"))
            let shown = Set(Self.words(Self.popUpText(&f)))
            for paragraph in PaneLegend.explanation(for: pane) {
                for word in Self.words(paragraph) {
                    #expect(shown.contains(word), "\(pane) at \(size): '\(word)' of the explanation not shown")
                }
            }
        }
    }

    @Test(arguments: sizes)
    func everyKeyDescriptionIsReadToItsLastWord(size: Size) {
        var f = Self.fixture(size, focusing: .layers)
        f.press(.character("?"), .character("?"))
        var seen = ""
        for _ in 0..<(KeyTable.standard.bindings.count + 1) {
            let screen = f.render()
            Self.expectNothingCut(screen, "key help at \(size)", popUp: true)
            seen += Self.popUpLines(screen).joined(separator: "\n")
            f.press(.down)
        }
        let shown = Set(Self.words(seen))
        for b in KeyTable.standard.bindings {
            for word in Self.words(b.summary) {
                #expect(shown.contains(word), "key help at \(size): '\(word)' of '\(b.summary)' not shown")
            }
        }
    }

    @Test(arguments: sizes)
    func commandHelpWraps(size: Size) {
        var f = Self.fixture(size, focusing: .layers)
        f.press(.character(":"))
        f.type("help")
        f.press(.enter)
        let shown = Set(Self.words(Self.popUpText(&f)))
        for spec in CommandTable.all {
            for word in Self.words(spec.summary) + Self.words(spec.usage) {
                #expect(shown.contains(word), ":help at \(size): '\(word)' of \(spec.name) not shown")
            }
        }
    }

    @Test(arguments: sizes)
    func tableOutputScrollsSidewaysWithItsHeadings(size: Size) {
        for (command, headings) in [("layers", ["path", "kind", "shape", "params", "SOP", "deploy"]),
                                    ("energy", ["layer", "op", "FL/t", "SOP", "pJ"])] {
            var f = Self.fixture(size, focusing: .layers)
            f.press(.character(":"))
            f.type(command)
            f.press(.enter)
            var seen = ""
            for _ in 0..<30 where f.app.overlay != nil {
                let screen = f.render()
                Self.expectNothingCut(screen, ":\(command) at \(size)", popUp: true)
                seen += Self.popUpLines(screen).joined(separator: "\n")
                f.press(.right)
            }
            for h in headings { #expect(seen.contains(h), ":\(command) at \(size): heading \(h) never shown") }
        }
    }

    @Test func statusLineIsNotCutAt120Columns() {
        let f = ExplorerFixture(size: Size(width: 120, height: 40), weights: .trained)
        let status = f.render().plainText().split(separator: "\n").first.map(String.init) ?? ""
        #expect(!status.contains("…"), "\(status)")
        #expect(status.contains("mem"), "\(status)")
    }
}
