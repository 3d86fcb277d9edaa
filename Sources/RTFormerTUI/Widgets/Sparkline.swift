/// A one-row sparkline: each value as a bar `▁▂▃▄▅▆▇█` (ASCII `._-~=+*#`) scaled between the
/// range's ends. When there are more values than columns, the most recent (last) ones are shown;
/// NaN draws as a space. Multi-row rectangles use only their first row.
public struct Sparkline: Sendable {
    public var values: [Float]
    /// The values mapped to the lowest and highest bar; nil fits the finite values.
    public var range: ClosedRange<Float>?
    public var style: CellStyle

    public init(values: [Float], range: ClosedRange<Float>? = nil, style: CellStyle = CellStyle(fg: .indexed(6))) {
        self.values = values
        self.range = range
        self.style = style
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty, !values.isEmpty else { return }
        let bars: [Character] = screen.appearance.isASCII ? Array("._-~=+*#") : Array("▁▂▃▄▅▆▇█")
        let shown = values.suffix(rect.width)
        let finite = values.filter(\.isFinite)
        let lo = range?.lowerBound ?? finite.min() ?? 0
        let hi = range?.upperBound ?? finite.max() ?? 0
        for (i, v) in shown.enumerated() {
            let character: Character
            if v.isNaN {
                character = " "
            } else if hi > lo {
                let p = min(1, max(0, (v - lo) / (hi - lo)))
                character = bars[min(bars.count - 1, Int(p * Float(bars.count - 1) + 0.5))]
            } else {
                character = bars[0]
            }
            screen.put(character, x: rect.x + i, y: rect.y, style: style)
        }
    }
}
