/// Draws `PlotMark`s into an 8-bit RGB pixel buffer (what `PNGWriter` encodes): rectangles,
/// polylines (square pens, optional dashes) and text in `BitmapFont`.
///
/// Hand-written: the drawing needed is axis-aligned rectangles, thin lines and a bitmap font,
/// which no offline Swift package provides without a graphics stack (Cairo/Skia are not linked).
public struct FigureRaster: Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB, row-major, `width · height · 3` bytes.
    public private(set) var pixels: [UInt8]

    /// A white canvas; sizes are clamped to 1…8192.
    public init(width: Int, height: Int) {
        self.width = min(8192, max(1, width))
        self.height = min(8192, max(1, height))
        pixels = [UInt8](repeating: 255, count: self.width * self.height * 3)
    }

    /// The canvas with `figure`'s marks drawn.
    public static func render(_ figure: Figure) -> FigureRaster {
        var r = FigureRaster(width: figure.width, height: figure.height)
        for mark in figure.marks() { r.draw(mark) }
        return r
    }

    /// The pixel at (x, y).
    public func pixel(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    /// Draws one mark.
    public mutating func draw(_ mark: PlotMark) {
        switch mark {
        case let .rect(x, y, w, h, fill):
            guard x.isFinite, y.isFinite, w.isFinite, h.isFinite else { return }
            let x0 = max(0, Int(x.rounded())), y0 = max(0, Int(y.rounded()))
            let x1 = min(width, Int((x + w).rounded())), y1 = min(height, Int((y + h).rounded()))
            guard x1 > x0, y1 > y0 else { return }
            for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, fill) } }
        case let .line(points, color, w, dashed):
            var travelled = 0.0
            for (a, b) in zip(points, points.dropFirst()) { segment(a, b, color: color, pen: max(1, Int(w.rounded())), dashed: dashed, travelled: &travelled) }
        case let .text(s, x, y, scale, anchor, vertical, color):
            text(s, x: x, y: y, scale: max(1, scale), anchor: anchor, vertical: vertical, color: color)
        }
    }

    private mutating func segment(_ a: PlotPoint, _ b: PlotPoint, color: RGB, pen: Int, dashed: Bool, travelled: inout Double) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let dx = b.x - a.x, dy = b.y - a.y
        let length = (dx * dx + dy * dy).squareRoot()
        let steps = max(1, Int(length.rounded(.up)))
        guard steps < 100_000 else { return }
        for i in 0...steps {
            let f = Double(i) / Double(steps)
            let d = travelled + f * length
            if dashed && Int(d / 6) % 2 == 1 { continue }
            let px = Int((a.x + f * dx).rounded()) - pen / 2, py = Int((a.y + f * dy).rounded()) - pen / 2
            for oy in 0..<pen { for ox in 0..<pen { set(px + ox, py + oy, color) } }
        }
        travelled += length
    }

    private mutating func text(_ s: String, x: Double, y: Double, scale: Int, anchor: TextAnchor, vertical: Bool, color: RGB) {
        let w = BitmapFont.textWidth(s, scale: scale), h = BitmapFont.height * scale
        let along: Int = switch anchor {
        case .start: 0
        case .middle: -w / 2
        case .end: -w
        }
        // Glyph pixel (gx along the text, gy down the glyph) → canvas; vertical text reads bottom to top.
        let ox = Int(x.rounded()), oy = Int(y.rounded())
        for (i, ch) in s.enumerated() {
            let rows = BitmapFont.rows(ch)
            for (r, bits) in rows.enumerated() {
                for c in 0..<BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - c)) != 0 {
                    let gx = along + (i * BitmapFont.advance + c) * scale, gy = -h / 2 + r * scale
                    for sy in 0..<scale {
                        for sx in 0..<scale {
                            if vertical { set(ox + gy + sy, oy - (gx + sx), color) } else { set(ox + gx + sx, oy + gy + sy, color) }
                        }
                    }
                }
            }
        }
    }
}
