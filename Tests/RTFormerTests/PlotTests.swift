import Foundation
import Testing
@testable import RTFormer

/// Figure layout, the bitmap font and PNG/SVG output (issue 15 point 5).
@Suite struct PlotTests {
    @Test func ticksAreRoundStepsInsideTheRange() {
        let unit = Figure.ticks(0, 1)
        #expect(unit.count == 6 && unit.first == 0 && abs(unit.last! - 1) < 1e-12)
        #expect(zip(unit, unit.dropFirst()).allSatisfy { abs($1 - $0 - 0.2) < 1e-12 })
        let t = Figure.ticks(-3.2, 6.1)
        #expect(t.first! >= -3.2 && t.last! <= 6.1 && t.contains(0))
        #expect(Figure.label(0.25) == "0.25" && Figure.label(2) == "2" && Figure.label(0) == "0")
    }

    @Test func fontCoversDigitsLettersAndPunctuation() {
        let box = BitmapFont.rows("\u{1}")
        for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,:;-_+=/()[]#%'\"<>!?*|^·×→≤≥²µμθγβσεĤ" {
            let rows = BitmapFont.rows(ch)
            #expect(rows.count == BitmapFont.height)
            #expect(rows != box, "\(ch) has its own glyph")
            #expect(rows.allSatisfy { $0 < 32 })
        }
        // Distinct glyphs for the characters that are easy to confuse.
        #expect(Set(["0", "O", "D", "8", "B", "1", "I", "l"].map { BitmapFont.rows(Character($0)) }).count >= 6)
        // Small letters have glyphs of their own (a legend "Ĥ = a·H + b" must not read "A·H + B").
        for ch in "abcdefghijklmnopqrstuvwxyz" {
            #expect(BitmapFont.rows(ch) != BitmapFont.rows(Character(ch.uppercased())), "\(ch)")
        }
        #expect(BitmapFont.rows("Ĥ") != BitmapFont.rows("H"))
    }

    @Test func negativeBarsHangBelowZero() {
        let fig = Figure(title: "t", xLabel: "x", yLabel: "y", content: .bars([("a", 2), ("b", -1)]))
        let rects = fig.marks().compactMap { m -> (Double, Double, RGB)? in
            if case let .rect(_, y, _, h, fill) = m, fill == RGB.series[0] || fill == RGB.series[1] { return (y, h, fill) }
            return nil
        }
        #expect(rects.count == 2)
        // The positive bar ends where the negative one starts: both start at the zero line.
        #expect(abs(rects[0].0 + rects[0].1 - rects[1].0) < 1e-9)
        #expect(rects[1].2 == RGB.series[1])
    }

    @Test func pngRoundTripsThroughTheReader() throws {
        var r = FigureRaster(width: 3, height: 2)
        r.draw(.rect(x: 1, y: 0, width: 1, height: 2, fill: RGB(10, 200, 30)))
        let data = try PNGWriter.encode(rgb: r.pixels, width: 3, height: 2)
        let img = try PNGImage.decode([UInt8](data), file: "mem")
        #expect(img.width == 3 && img.height == 2)
        #expect(img[1, 1, 1] == 200 && img[0, 0, 0] == 255)
        #expect(throws: FileWriteError.self) { try PNGWriter.encode(rgb: [1, 2], width: 3, height: 2) }
    }

    @Test func textIsDrawnInTheFont() {
        var r = FigureRaster(width: 40, height: 12)
        r.draw(.text("I", x: 20, y: 6, scale: 1, anchor: .middle, vertical: false, color: .black))
        // The I glyph's vertical stroke: the centre column is dark for the 7 glyph rows.
        let dark = (0..<12).filter { r.pixel(x: 20, y: $0) == .black }.count
        #expect(dark == 7)
    }

    @Test func svgEscapesText() {
        let fig = Figure(title: "a<b & \"c\"", xLabel: "x", yLabel: "y", content: .lines([.init("s", [PlotPoint(0, 1), PlotPoint(1, 2)])]))
        let svg = FigureSVG.render(fig)
        #expect(svg.contains("a&lt;b &amp; &quot;c&quot;"))
        #expect(!svg.contains("a<b"))
    }
}
