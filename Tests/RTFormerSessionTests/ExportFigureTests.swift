import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RTFormer
import Testing
@testable import RTFormerSession

/// `export png|svg|csv FILE [pane]` (issue 15 point 5).
@Suite struct ExportFigureTests {
    static func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-export-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    static func session() throws -> Session {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["load weights digits", "input digits index 3", "layer patch_embed.proj_lif", "run", "goto t=2"])
        return s
    }

    /// Width and height from the IHDR chunk, after checking the signature and chunk order.
    static func pngSize(_ bytes: [UInt8]) -> (Int, Int)? {
        guard bytes.count > 24, Array(bytes[0..<8]) == PNGImage.signature, String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else { return nil }
        func be(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    @Test(arguments: FigurePane.allCases)
    func pngHasSignatureSizeAndContent(pane: FigurePane) throws {
        let s = try Self.session()
        if pane == .tsbn { try SessionFixtures.run(s, ["layer patch_embed.proj_tsbn1"]) }
        let path = Self.scratch("\(pane.rawValue).png")
        let r = s.execute(line: "export png \(path) \(pane.rawValue)")
        #expect(r.error == nil, "\(r.error ?? "")")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let size = try #require(Self.pngSize(bytes))
        #expect(size.0 == 800 && size.1 == 560)
        // Decoded back by the project's own reader: a white page with a figure on it.
        let img = try PNGImage.decode(bytes, file: path)
        #expect(img.width == 800 && img.height == 560)
        var dark = 0, coloured = 0
        for y in 0..<img.height {
            for x in 0..<img.width {
                let (r, g, b) = (img[0, y, x], img[1, y, x], img[2, y, x])
                if max(r, g, b) < 80 { dark += 1 }
                if max(r, g, b) - min(r, g, b) > 60 { coloured += 1 }
            }
        }
        #expect(dark > 2000, "text and axes are drawn (\(dark) dark pixels)")
        #expect(coloured > 500, "data are drawn in colour (\(coloured) pixels)")
        // The same pixels the raster renderer made: PNG is lossless.
        let raster = FigureRaster.render(try s.figure(of: pane))
        #expect(img.pixels.count == raster.pixels.count)
        #expect((0..<img.height).allSatisfy { y in
            stride(from: 0, to: img.width, by: 7).allSatisfy { x in raster.pixel(x: x, y: y) == RGB(img[0, y, x], img[1, y, x], img[2, y, x]) }
        })
    }

    final class TextCollector: NSObject, XMLParserDelegate {
        var texts: [String] = []
        var current = ""
        var elements = 0
        func parser(_ parser: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements += 1
            current = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) {
            if e == "text" || e == "title" { texts.append(current) }
            current = ""
        }
    }

    @Test(arguments: FigurePane.allCases)
    func svgParsesAsXMLWithTitleAndAxisLabels(pane: FigurePane) throws {
        let s = try Self.session()
        if pane == .tsbn { try SessionFixtures.run(s, ["layer patch_embed.proj_tsbn1"]) }
        let path = Self.scratch("\(pane.rawValue).svg")
        #expect(s.execute(line: "export svg \(path) \(pane.rawValue)").error == nil)
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let collector = TextCollector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let fig = try s.figure(of: pane)
        #expect(collector.texts.contains(fig.title))
        #expect(collector.texts.contains(fig.xLabel))
        #expect(collector.texts.contains(fig.yLabel))
        #expect(collector.elements > 20)
    }

    static func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func csvNumbersEqualTheViewModels() throws {
        let s = try Self.session()
        let rates = try s.ratesView()
        let r = Self.rows(try s.csv(of: .rates))
        #expect(r.count == rates.rows * rates.columns)
        #expect(r.map { Double($0[2])! } == rates.positionMap)
        #expect(r.map { Int($0[0])! * rates.columns + Int($0[1])! } == Array(0..<r.count))

        let m = try s.membraneView(for: .unfused)
        let mr = Self.rows(try s.csv(of: .membrane))
        #expect(mr.count == m.trace.count)
        #expect(mr.map { Float($0[3]) } == m.trace.map(\.h))
        #expect(mr.map { Float($0[5]) } == m.trace.map(\.v))
        #expect(mr.map { $0[6] == "" ? nil : $0[6] == "1" } == m.trace.map(\.spike))

        let l = try s.logitsView()
        let lr = Self.rows(try s.csv(of: .logits))
        #expect(lr.map { Float($0[2])! } == l.logits)
        #expect(lr.map { $0[1] } == ClassNames.digits)

        try SessionFixtures.run(s, ["layer patch_embed.proj_tsbn1"])
        let t = try s.tsbnView()
        let tr = Self.rows(try s.csv(of: .tsbn))
        #expect(tr.map { Float($0[1])! } == t.channels.map(\.gamma))
        #expect(tr.map { Float($0[3])! } == t.channels.map(\.mean))
        #expect(tr.map { Float($0[4])! } == t.channels.map(\.variance))

        // Through the command, to a file.
        let path = Self.scratch("logits.csv")
        #expect(s.execute(line: "export csv \(path) logits").error == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == (try s.csv(of: .logits)))
    }

    @Test func failedExportsLeaveNoFileAndSayWhy() throws {
        let s = try Self.session()
        let r = s.execute(line: "export png /nonexistent-dir/fig.png rates")
        #expect(r.error?.contains("/nonexistent-dir/fig.png") == true)
        // A pane the layer cannot show: the view's error, nothing written.
        let path = Self.scratch("never.png")
        try? FileManager.default.removeItem(atPath: path)
        try SessionFixtures.run(s, ["layer patch_embed.proj_conv"])
        #expect(s.execute(line: "export png \(path) membrane").error != nil)
        #expect(!FileManager.default.fileExists(atPath: path))
        // Parser: an unknown pane names the choices.
        #expect(s.execute(line: "export png x.png heatmap").error?.contains("rates") == true)
    }

    @Test func defaultPaneIsTheFocusedOne() throws {
        let s = try Self.session()
        s.focusedFigurePane = .logits
        let path = Self.scratch("focused.csv")
        #expect(s.execute(line: "export csv \(path)").output.contains("logits"))
    }
}
