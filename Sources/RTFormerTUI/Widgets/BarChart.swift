/// Horizontal bars, one row per item: the label, a bar whose length is the value's share of the
/// range, drawn in eighths of a cell `▏▎▍▌▋▊▉█` (ASCII `#`, whole cells), and the value. For
/// per-channel quantities such as firing rates. The selected row is highlighted and kept in view
/// as in `Table`; values below the range draw no bar, NaN draws `?` in place of the bar. A range
/// that spans 0 draws every bar from 0: positive values to the right, negative ones to the left in
/// `negativeStyle` (so a negative logit never gets a positive-looking bar).
public struct BarChart: Sendable {
    public struct Item: Hashable, Sendable {
        public var label: String
        public var value: Float
        public init(_ label: String, _ value: Float) {
            self.label = label
            self.value = value
        }
    }

    public var items: [Item]
    /// The values for an empty and a full bar; nil is 0…(largest finite value).
    public var range: ClosedRange<Float>?
    public var selected: Int?
    public var scrollOffset: Int
    public var isFocused: Bool
    public var barStyle: CellStyle
    /// Style of the bars of negative values (ranges that span 0).
    public var negativeStyle = CellStyle(fg: .indexed(167))

    public init(items: [Item], range: ClosedRange<Float>? = nil, selected: Int? = nil, scrollOffset: Int = 0,
                isFocused: Bool = true, barStyle: CellStyle = CellStyle(fg: .indexed(35))) {
        self.items = items
        self.range = range
        self.selected = selected
        self.scrollOffset = scrollOffset
        self.isFocused = isFocused
        self.barStyle = barStyle
    }

    /// The range the bars are drawn against.
    public var effectiveRange: ClosedRange<Float> {
        if let range { return range }
        let top = items.map(\.value).filter(\.isFinite).max() ?? 1
        return 0...max(top, Float.leastNormalMagnitude)
    }

    /// The index of the first item drawn in `rect`.
    public func visibleOffset(in rect: Rect) -> Int {
        Scrolling.offset(keeping: selected, visible: rect.height, count: items.count, from: scrollOffset)
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let ascii = screen.appearance.isASCII
        let range = effectiveRange
        let labels = items.map(\.label)
        let values = items.map { ColorScale.label($0.value) }
        let labelWidth = min(labels.map(\.count).max() ?? 0, max(0, rect.width / 3))
        let valueWidth = values.map(\.count).max() ?? 0
        let barWidth = rect.width - labelWidth - valueWidth - 2
        let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let offset = visibleOffset(in: rect)
        for (i, item) in items.enumerated().dropFirst(offset).prefix(rect.height) {
            let y = rect.y + i - offset
            let rowStyle: CellStyle = i == selected ? (isFocused ? .reverse : .bold) : .plain
            let row = Rect(x: rect.x, y: y, width: rect.width, height: 1)
            screen.fill(row, style: rowStyle)
            screen.write(TextLayout.fit(item.label, to: labelWidth, ascii: ascii), x: rect.x, y: y, style: rowStyle, clip: row)
            screen.write(TextLayout.fit(values[i], to: valueWidth, alignment: .right),
                         x: rect.maxX - valueWidth, y: y, style: rowStyle, clip: row)
            guard barWidth > 0 else { continue }
            let x0 = rect.x + labelWidth + 1
            guard !item.value.isNaN else {
                screen.put("?", x: x0, y: y, style: rowStyle)
                continue
            }
            let span = range.upperBound - range.lowerBound
            var style = barStyle
            style.attributes.formUnion(rowStyle.attributes)
            if range.lowerBound < 0 && range.upperBound > 0 {
                drawFromZero(item.value, range: range, x0: x0, width: barWidth, y: y, style: style, rowStyle: rowStyle,
                             ascii: ascii, into: &screen)
                continue
            }
            let share = span > 0 ? min(1, max(0, (item.value - range.lowerBound) / span)) : 0
            if ascii {
                let cells = Int((share * Float(barWidth)).rounded())
                for x in 0..<cells { screen.put("#", x: x0 + x, y: y, style: style) }
            } else {
                let total = Int((share * Float(barWidth * 8)).rounded())
                for x in 0..<(total / 8) { screen.put("█", x: x0 + x, y: y, style: style) }
                if total % 8 > 0 { screen.put(eighths[total % 8 - 1], x: x0 + total / 8, y: y, style: style) }
            }
        }
    }

    /// The zero column of a range spanning 0 in a bar area of `width` cells from `x0`.
    static func zeroColumn(_ range: ClosedRange<Float>, x0: Int, width: Int) -> Int {
        x0 + Int((Float(width) * -range.lowerBound / (range.upperBound - range.lowerBound)).rounded())
    }

    /// One bar from the zero column: right for a positive value, left (whole cells, `negativeStyle`,
    /// ASCII `-`) for a negative one; 0 draws nothing.
    private func drawFromZero(_ value: Float, range: ClosedRange<Float>, x0: Int, width: Int, y: Int, style: CellStyle,
                              rowStyle: CellStyle, ascii: Bool, into screen: inout Screen) {
        let zero = Self.zeroColumn(range, x0: x0, width: width)
        if value > 0 {
            let room = x0 + width - zero
            let cells = Int((min(1, value / range.upperBound) * Float(room)).rounded())
            for x in 0..<cells { screen.put(ascii ? "#" : "█", x: zero + x, y: y, style: style) }
        } else if value < 0 {
            var neg = negativeStyle
            neg.attributes.formUnion(rowStyle.attributes)
            let room = zero - x0
            let cells = Int((min(1, value / range.lowerBound) * Float(room)).rounded())
            for x in 0..<cells { screen.put(ascii ? "-" : "█", x: zero - 1 - x, y: y, style: neg) }
        }
    }
}
