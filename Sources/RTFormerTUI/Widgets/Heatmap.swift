/// A row and column in a 2-D grid of values.
public struct GridPoint: Hashable, Sendable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }
}

/// A heatmap of a 2-D map of values, with an optional one-line legend under it.
///
/// How a value is drawn depends on the screen's `Appearance`:
/// * colours and Unicode: upper half blocks `▀`, two data rows per cell (foreground = upper row,
///   background = lower row), one column per value, so each value is a square pixel;
/// * colours and ASCII: one data row per cell, two columns per value, the shade character of
///   ` .:-=+*#%@` coloured with the palette colour;
/// * monochrome: one data row per cell, two columns per value, shade characters only (`░▒▓█`, or
///   the ASCII ramp).
///
/// The map is scaled to the largest size that fits the rectangle with its aspect ratio kept (at
/// most `maxZoom` times, at least 2× when zoomed; nearest value, so a neuron may take one pixel
/// more than its neighbour); a
/// map larger than the rectangle is sampled down, and the marked value then marks the pixel that
/// stands for it. Non-finite values are drawn as `×` (`x`), or in
/// the terminal's default colour with half blocks. The legend, on the row under the map, reads `lower <ramp> upper` for the scale in use.
public struct Heatmap: Sendable {
    /// The values, shape `[rows, columns]` row-major (`values[r * columns + c]`).
    public var values: [Float]
    public var rows: Int
    public var columns: Int
    /// The colour scale; nil fits a `kind` scale to the finite values.
    public var scale: ColorScale?
    /// The palette kind used when `scale` is nil.
    public var kind: ColorScale.Kind
    /// A value to mark (the selected neuron), drawn in the palette's marker colour, or as `X`
    /// without colours.
    public var marker: GridPoint?
    /// Values to flag (neurons within the rounding bound of their threshold), drawn in the flag
    /// colour (bright magenta), or as `!` without colours; `flagLabel` explains them on the
    /// legend row when any is flagged.
    public var flagged: Set<GridPoint> = []
    public var flagLabel: String?
    public var showsLegend: Bool
    public var maxZoom: Int
    /// What the values are (`H`), written before the legend's range.
    public var label: String?

    /// - Parameters:
    ///   - values: shape `[rows, columns]`, row-major; a count that does not match draws an
    ///     error line instead of the map.
    ///   - kind: `.sequential` for non-negative quantities (firing rates), `.diverging` for signed
    ///     ones (membrane potential).
    ///   - scale: a fixed scale (keeps colours stable across timesteps); nil fits the data.
    public init(values: [Float], rows: Int, columns: Int, kind: ColorScale.Kind = .sequential,
                scale: ColorScale? = nil, marker: GridPoint? = nil, showsLegend: Bool = true, maxZoom: Int = 64) {
        self.values = values
        self.rows = rows
        self.columns = columns
        self.kind = kind
        self.scale = scale
        self.marker = marker
        self.showsLegend = showsLegend
        self.maxZoom = max(1, maxZoom)
    }

    /// Colour of flagged values: bright magenta (xterm 13), apart from both palettes.
    static let flagColor: TermColor = .indexed(13)

    /// The scale the heatmap draws with.
    public var effectiveScale: ColorScale { scale ?? ColorScale(kind: kind, fitting: values) }

    public func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        guard rows > 0, columns > 0, values.count == rows * columns else {
            screen.write("no map: \(values.count) values for shape [\(rows), \(columns)]",
                         x: rect.x, y: rect.y, style: .dim, clip: rect)
            return
        }
        let scale = effectiveScale
        let withLegend = showsLegend && rect.height >= 2
        let mapRect = withLegend ? rect.splitBottom(1).0 : rect
        let halfBlocks = screen.appearance.colors != .monochrome && screen.appearance.glyphs == .unicode
        let usedRows = halfBlocks
            ? drawHalfBlocks(into: &screen, in: mapRect, scale: scale)
            : drawShades(into: &screen, in: mapRect, scale: scale)
        if withLegend {
            var row = Rect(x: rect.x, y: rect.y + usedRows, width: rect.width, height: 1)
            if let label, label.count + 12 <= row.width {
                let w = screen.write(label + " ", x: row.x, y: row.y, style: .bold, clip: row)
                row = row.inset(left: w)
            }
            let used = Legend(scale: scale).drawMeasured(into: &screen, in: row)
            if !flagged.isEmpty, let flagLabel {
                let key = "  " + (screen.appearance.colors == .monochrome ? "!" : (screen.appearance.isASCII ? "#" : "█")) + " " + flagLabel
                if used + key.count <= row.width {
                    let x = row.x + used
                    screen.write(String(key.prefix(3)), x: x, y: row.y, style: CellStyle(fg: Self.flagColor), clip: row)
                    screen.write(String(key.dropFirst(3)), x: x + 3, y: row.y, style: .dim, clip: row)
                }
            }
        }
    }

    /// How many data rows and columns are shown and how many cells each takes, for a map drawn
    /// with `rowsPerCell` data rows per cell row and `columnsPerValue` cells per value at zoom 1.
    /// The pixels drawn (data rows × columns after scaling), for `rowsPerCell` pixel rows per
    /// cell row and `columnsPerValue` cells per pixel column.
    private func layout(in rect: Rect, rowsPerCell: Int, columnsPerValue: Int) -> (pixelRows: Int, pixelColumns: Int) {
        let capacityRows = rect.height * rowsPerCell
        let capacityColumns = rect.width / columnsPerValue
        var factor = min(Double(capacityRows) / Double(rows), Double(capacityColumns) / Double(columns), Double(maxZoom))
        // Between 1× and 2× a fractional zoom would double every other value: stay at 1×.
        if factor > 1 && factor < 2 { factor = 1 }
        return (min(capacityRows, max(1, Int(Double(rows) * factor))), min(capacityColumns, max(1, Int(Double(columns) * factor))))
    }

    /// The data range pixel `p` of `pixels` stands for along an axis of `count` values.
    private static func span(_ p: Int, of pixels: Int, count: Int) -> Range<Int> {
        let lo = p * count / pixels
        return lo..<max(lo + 1, (p + 1) * count / pixels)
    }

    /// The value and grid point drawn at a pixel, and whether it is the marked one.
    private func value(pixelRow: Int, of pixelRows: Int, pixelColumn: Int, of pixelColumns: Int) -> (Float, GridPoint, Bool) {
        let rs = Self.span(pixelRow, of: pixelRows, count: rows), cs = Self.span(pixelColumn, of: pixelColumns, count: columns)
        let r = rs.lowerBound, c = cs.lowerBound
        let marked = marker.map { rs.contains($0.row) && cs.contains($0.column) } ?? false
        return (values[r * columns + c], GridPoint(row: r, column: c), marked)
    }

    /// Returns the number of cell rows drawn.
    private func drawHalfBlocks(into screen: inout Screen, in rect: Rect, scale: ColorScale) -> Int {
        let (pixelRows, pixelColumns) = layout(in: rect, rowsPerCell: 2, columnsPerValue: 1)
        let mode = screen.appearance.colors
        func color(_ pixelRow: Int, _ pixelColumn: Int) -> TermColor {
            guard pixelRow < pixelRows else { return .default }
            let (v, point, marked) = value(pixelRow: pixelRow, of: pixelRows, pixelColumn: pixelColumn, of: pixelColumns)
            if marked { return scale.markerColor(mode: mode) }
            if flagged.contains(point) { return Self.flagColor }
            guard let p = scale.position(of: v), v.isFinite else { return .default }
            return scale.color(at: p, mode: mode)
        }
        let cellRows = (pixelRows + 1) / 2
        for cy in 0..<min(cellRows, rect.height) {
            for cx in 0..<min(pixelColumns, rect.width) {
                let style = CellStyle(fg: color(2 * cy, cx), bg: color(2 * cy + 1, cx))
                screen.put("▀", x: rect.x + cx, y: rect.y + cy, style: style)
            }
        }
        return min(cellRows, rect.height)
    }

    /// Returns the number of cell rows drawn.
    private func drawShades(into screen: inout Screen, in rect: Rect, scale: ColorScale) -> Int {
        let (pixelRows, pixelColumns) = layout(in: rect, rowsPerCell: 1, columnsPerValue: 2)
        let appearance = screen.appearance
        for cy in 0..<min(pixelRows, rect.height) {
            for cx in 0..<min(pixelColumns * 2, rect.width) {
                let (v, point, marked) = value(pixelRow: cy, of: pixelRows, pixelColumn: cx / 2, of: pixelColumns)
                let cell: Cell
                if marked {
                    cell = Cell("X", style: CellStyle(fg: scale.markerColor(mode: appearance.colors), attributes: .bold))
                } else if flagged.contains(point) {
                    cell = Cell("!", style: CellStyle(fg: Self.flagColor, attributes: .bold))
                } else if let p = scale.position(of: v), v.isFinite {
                    cell = Cell(ColorScale.shade(at: p, glyphs: appearance.glyphs),
                                style: CellStyle(fg: scale.color(at: p, mode: appearance.colors)))
                } else {
                    cell = Cell(appearance.isASCII ? "x" : "×", style: .dim)
                }
                screen.put(cell.character, x: rect.x + cx, y: rect.y + cy, style: cell.style)
            }
        }
        return min(pixelRows, rect.height)
    }
}

/// A one-line colour legend: `lower <ramp> upper`, the ramp sampling the scale from left to
/// right. With colours the ramp is `█` (or the ASCII shade ramp) in the palette colours; in
/// monochrome it is the shade characters the heatmap uses.
public struct Legend: Sendable {
    public var scale: ColorScale
    /// The most cells the ramp may take.
    public var maxRampWidth: Int

    public init(scale: ColorScale, maxRampWidth: Int = 24) {
        self.scale = scale
        self.maxRampWidth = maxRampWidth
    }

    public func draw(into screen: inout Screen, in rect: Rect) {
        drawMeasured(into: &screen, in: rect)
    }

    /// Draws the legend. - Returns: the columns used.
    @discardableResult
    func drawMeasured(into screen: inout Screen, in rect: Rect) -> Int {
        guard !rect.isEmpty else { return 0 }
        let lower = ColorScale.label(scale.lower), upper = ColorScale.label(scale.upper)
        let appearance = screen.appearance
        let levels = max(scale.levels(in: appearance.colors), appearance.isASCII ? 10 : 5)
        let rampWidth = min(maxRampWidth, max(levels, 2 * levels), rect.width - lower.count - upper.count - 2)
        var x = rect.x + screen.write(lower, x: rect.x, y: rect.y, style: .dim, clip: rect)
        guard rampWidth >= 2 else { return x - rect.x }
        x += 1
        for i in 0..<rampWidth {
            let p = (Float(i) + 0.5) / Float(rampWidth)
            let color = scale.color(at: p, mode: appearance.colors)
            let character: Character = appearance.colors != .monochrome && !appearance.isASCII
                ? "█" : ColorScale.shade(at: p, glyphs: appearance.glyphs)
            screen.put(character, x: x + i, y: rect.y, style: CellStyle(fg: color), clip: rect)
        }
        let end = x + rampWidth + 1 + screen.write(upper, x: x + rampWidth + 1, y: rect.y, style: .dim, clip: rect)
        return end - rect.x
    }
}
