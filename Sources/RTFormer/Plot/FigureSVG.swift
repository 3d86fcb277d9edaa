import Foundation

/// A figure as SVG 1.1 text: the same `PlotMark`s as the PNG, as `rect`, `polyline` and `text`
/// elements (monospace text, XML-escaped). Written by hand: SVG is plain XML and Foundation on
/// Linux has no XML writer for it.
public enum FigureSVG {
    /// The SVG document of `figure` (UTF-8 text with an XML declaration).
    public static func render(_ figure: Figure) -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(figure.width)" height="\(figure.height)" \
        viewBox="0 0 \(figure.width) \(figure.height)">
        <title>\(escape(figure.title))</title>

        """
        for mark in figure.marks() {
            switch mark {
            case let .rect(x, y, w, h, fill):
                out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill.hex)\"/>\n"
            case let .line(points, color, w, dashed):
                let p = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
                out += "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(n(w))\""
                    + (dashed ? " stroke-dasharray=\"6,6\"" : "") + "/>\n"
            case let .text(s, x, y, scale, anchor, vertical, color):
                let size = n(Double(BitmapFont.height * scale) * 1.45)
                let rotate = vertical ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : ""
                out += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-family=\"monospace\" font-size=\"\(size)\" fill=\"\(color.hex)\" "
                    + "text-anchor=\"\(anchor.rawValue)\" dominant-baseline=\"middle\"\(rotate)>\(escape(s))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// `s` with `& < > " '` escaped and control characters dropped (they are not allowed in XML 1.0).
    public static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if u.value < 0x20 && u != "\t" && u != "\n" { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
