#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import RTFormerTUI

@Suite struct ScreenModel {
    @Test func writesAreClippedToScreenAndClipRect() {
        var s = Screen(width: 6, height: 2)
        s.write("abcdefgh", x: 2, y: 0)
        s.write("xyz", x: -1, y: 1, clip: Rect(x: 0, y: 0, width: 2, height: 2))
        #expect(s.plainText() == "  abcd\nyz")
    }

    @Test func asciiScreenNeverHoldsUnicode() {
        var s = Screen(width: 4, height: 1, appearance: .ascii)
        s.write("a▀é\t", x: 0, y: 0)
        #expect(s.plainText() == "a??")
    }

    @Test func colorsAreReducedToTheScreensMode() {
        var eight = Screen(width: 1, height: 1, appearance: Appearance(colors: .color8))
        eight.put("x", x: 0, y: 0, style: CellStyle(fg: .indexed(196), bg: .indexed(12)))
        #expect(eight[0, 0].style == CellStyle(fg: .red, bg: .blue))
        var mono = Screen(width: 1, height: 1, appearance: Appearance(colors: .monochrome))
        mono.put("x", x: 0, y: 0, style: CellStyle(fg: .indexed(196), attributes: .bold))
        #expect(mono[0, 0].style == CellStyle(attributes: .bold))
    }

    @Test func annotatedTextNamesStylesInOrderOfAppearance() {
        var s = Screen(width: 3, height: 1)
        s.put("a", x: 0, y: 0, style: CellStyle(fg: .indexed(196), attributes: .bold))
        s.put("b", x: 2, y: 0, style: .reverse)
        #expect(s.annotatedText() == """
            --- text (3x1, colors=256 glyphs=unicode)
            a b
            --- styles
            a.b
            --- legend
            a = fg 196 bold
            b = reverse

            """)
    }

    @Test func rectSplitsTileTheRectangle() {
        let r = Rect(x: 1, y: 2, width: 10, height: 7)
        let parts = r.columns(weights: [1, 1, 1])
        #expect(parts.map(\.width) == [3, 3, 4])
        #expect(parts.map(\.x) == [1, 4, 7])
        let (top, rest) = r.splitTop(2)
        #expect(top == Rect(x: 1, y: 2, width: 10, height: 2))
        #expect(rest == Rect(x: 1, y: 4, width: 10, height: 5))
        #expect(r.inset(by: 1) == Rect(x: 2, y: 3, width: 8, height: 5))
        #expect(r.intersection(Rect(x: 20, y: 0, width: 3, height: 3)).isEmpty)
    }
}

@Suite struct TextFitting {
    @Test func wrapBreaksAtSpacesAndSplitsOverlongWords() {
        #expect(TextLayout.wrap("the quick brown fox", width: 10) == ["the quick", "brown fox"])
        #expect(TextLayout.wrap("abcdefghij kl", width: 4) == ["abcd", "efgh", "ij", "kl"])
        #expect(TextLayout.wrap("a\n\nb", width: 4) == ["a", "", "b"])
    }

    @Test func truncateMarksTheCut() {
        #expect(TextLayout.truncate("membrane", to: 5) == "memb…")
        #expect(TextLayout.truncate("membrane", to: 5, ascii: true) == "memb~")
        #expect(TextLayout.fit("7", to: 3, alignment: .right) == "  7")
    }

    @Test func scrollingKeepsSelectionVisibleWithMinimalMovement() {
        #expect(Scrolling.offset(keeping: 15, visible: 6, count: 20, from: 0) == 10)
        #expect(Scrolling.offset(keeping: 12, visible: 6, count: 20, from: 10) == 10)
        #expect(Scrolling.offset(keeping: 3, visible: 6, count: 20, from: 10) == 3)
        #expect(Scrolling.offset(keeping: nil, visible: 6, count: 20, from: 50) == 14)
        #expect(Scrolling.offset(keeping: 2, visible: 6, count: 4, from: 3) == 0)
    }
}

@Suite struct Colours {
    @Test func xtermTableAndNearestColour() {
        #expect(XtermColor.rgb(196) == (255, 0, 0))
        #expect(XtermColor.rgb(232) == (8, 8, 8))
        #expect(XtermColor.nearest(r: 255, g: 0, b: 0) == 196)
        #expect(XtermColor.nearestBasic(196) == 1)
        #expect(XtermColor.nearestBasic(21) == 4)
        #expect(XtermColor.nearestBasic(231) == 7)
        #expect(XtermColor.nearestBasic(9) == 1)
    }

    @Test func divergingScaleIsSymmetricAroundZero() {
        let s = ColorScale(kind: .diverging, fitting: [-0.5, 2, .nan])
        #expect(s.lower == -2 && s.upper == 2)
        #expect(s.position(of: 0) == 0.5)
        #expect(s.position(of: .nan) == nil)
        #expect(s.color(at: 0.5, mode: .color256) == .indexed(231))
        #expect(s.color(at: 0.5, mode: .color8) == .white)
    }

    @Test func colorModeFromTerminalColours() {
        #expect(ColorMode(terminalColors: 256) == .color256)
        #expect(ColorMode(terminalColors: 16) == .color8)
        #expect(ColorMode(terminalColors: 0) == .monochrome)
    }
}

@Suite struct KeyDecoding {
    @Test func characterCodes() {
        #expect(Key.decode(isKeyCode: false, code: 113) == .character("q"))
        #expect(Key.decode(isKeyCode: false, code: 0x3B8) == .character("θ"))
        #expect(Key.decode(isKeyCode: false, code: 12) == .redraw)
        #expect(Key.decode(isKeyCode: false, code: 9) == .tab)
        #expect(Key.decode(isKeyCode: false, code: 13) == .enter)
        #expect(Key.decode(isKeyCode: false, code: 27) == .escape)
        #expect(Key.decode(isKeyCode: false, code: 127) == .backspace)
    }

    @Test func functionKeyCodes() {
        #expect(Key.decode(isKeyCode: true, code: 0o403) == .up)
        #expect(Key.decode(isKeyCode: true, code: 0o541) == .backTab)
        #expect(Key.decode(isKeyCode: true, code: 0o410 + 5) == .function(5))
        #expect(Key.decode(isKeyCode: true, code: 410) == .resize(.zero))
        #expect(Key.decode(isKeyCode: true, code: 0o777) == .unknown(0o777))
    }
}

@Suite struct ColorPairs {
    @Test func pairsAreDefinedOnceAndRunOut() {
        var cache = ColorPairCache(capacity: 3)
        var defined: [[Int32]] = []
        let define: (Int32, Int32, Int32) -> Void = { defined.append([$0, $1, $2]) }
        #expect(cache.pair(for: .init(fg: -1, bg: -1), define: define) == 0)
        #expect(cache.pair(for: .init(fg: 196, bg: -1), define: define) == 1)
        #expect(cache.pair(for: .init(fg: 196, bg: -1), define: define) == 1)
        #expect(cache.pair(for: .init(fg: 2, bg: 4), define: define) == 2)
        #expect(cache.pair(for: .init(fg: 3, bg: 4), define: define) == nil)
        #expect(defined == [[1, 196, -1], [2, 2, 4]])
        cache.removeAll()
        #expect(cache.pair(for: .init(fg: 3, bg: 4), define: define) == 1)
    }
}

@Suite(.serialized) struct TerminalStartup {
    // Only where the test runner has no terminal (CI, tools), so a run in a real terminal is not
    // taken over by ncurses.
    @Test(.enabled(if: isatty(0) == 0 || isatty(1) == 0))
    func refusesWithoutATerminal() {
        #expect(throws: TerminalError.notATTY) { try Terminal() }
    }

    @Test func errorsSayWhatWasFound() {
        #expect(TerminalError.unknownTerminal("vt999").description == "unknown terminal type TERM=vt999: no terminfo entry")
        #expect(TerminalError.noCursorAddressing("dumb").description.contains("TERM=dumb"))
    }
}
