import RTFormerSession

/// The input pane (issue 14 point 3): the encoded input at the cursor's t as a colour half-block
/// image (two pixel rows per cell: `▀` with the upper pixel as foreground and the lower one as
/// background) — RGB after undoing the normalisation, or event frames with ON green and OFF red —
/// with the label and the current top-1 above it, and the selected neuron's receptive position
/// (its layer's y, x times the downsampling factor) outlined in magenta. Without colours or in
/// ASCII, luminance shades one pixel per cell (every other row).
extension PaneDrawer {
    /// Outline of the selected neuron's input pixels (bright magenta, xterm 13).
    static let receptiveColor: TermColor = .indexed(13)

    func drawInput(in rect: Rect, into screen: inout Screen) throws -> String {
        let view = try session.inputView()
        let ascii = self.ascii
        let fold = { (s: String) in ASCIIText.fold(s, ascii: ascii) }
        let (header, rest) = rect.splitTop(1)
        let (imageRect, footer) = rest.splitBottom(rest.height >= 4 ? 1 : 0)
        var line = view.label.map { "label \($0)" + (view.labelName.map { " \($0)" } ?? "") } ?? "no label"
        if let top = view.top1 {
            line += " · top-1 \(top)" + (view.top1Name.map { " \($0)" } ?? "") + (view.label.map { $0 == top ? " ✓" : " ✗" } ?? "")
        } else {
            line += " · top-1 - (head not computed)"
        }
        screen.write(TextLayout.truncate(fold(line), to: header.width, ascii: ascii), x: header.x, y: header.y, style: .bold, clip: header)

        let plane = view.height * view.width
        func rgb(_ py: Int, _ px: Int) -> (Float, Float, Float) {
            let i = py * view.width + px
            if view.kind == .events { return (view.pixels[plane + i], view.pixels[i], 0) }
            return (view.pixels[i], view.pixels[plane + i], view.pixels[2 * plane + i])
        }
        func onOutline(_ py: Int, _ px: Int) -> Bool {
            guard let b = view.receptive else { return false }
            guard py >= b.y0, py < b.y1, px >= b.x0, px < b.x1 else { return false }
            return py == b.y0 || py == b.y1 - 1 || px == b.x0 || px == b.x1 - 1
        }
        let appearance = screen.appearance
        let halfBlocks = appearance.colors != .monochrome && appearance.glyphs == .unicode
        let pixelRowsPerCell = halfBlocks ? 2 : 1
        // Integer zoom where the image fits more than once, nearest sampling where it does not fit.
        var zoom = 1
        while zoom < 4 && view.width * (zoom + 1) <= imageRect.width && view.height * (zoom + 1) <= imageRect.height * pixelRowsPerCell {
            zoom += 1
        }
        let shownColumns = min(imageRect.width, view.width * zoom)
        let shownPixelRows = min(imageRect.height * pixelRowsPerCell, view.height * zoom)
        func source(_ row: Int, _ column: Int) -> (Int, Int) {
            let py = shownPixelRows >= view.height * zoom ? row / zoom : row * view.height / shownPixelRows
            let px = shownColumns >= view.width * zoom ? column / zoom : column * view.width / shownColumns
            return (min(view.height - 1, py), min(view.width - 1, px))
        }
        func color(_ row: Int, _ column: Int) -> TermColor {
            guard row < shownPixelRows else { return .default }
            let (py, px) = source(row, column)
            if onOutline(py, px) { return Self.receptiveColor }
            let (r, g, b) = rgb(py, px)
            let index = XtermColor.nearest(r: Int(r * 255), g: Int(g * 255), b: Int(b * 255))
            return .indexed(appearance.colors == .color8 ? XtermColor.nearestBasic(index) : index)
        }
        let cellRows = (shownPixelRows + pixelRowsPerCell - 1) / pixelRowsPerCell
        for cy in 0..<min(cellRows, imageRect.height) {
            for cx in 0..<shownColumns {
                if halfBlocks {
                    screen.put("▀", x: imageRect.x + cx, y: imageRect.y + cy, style: CellStyle(fg: color(2 * cy, cx), bg: color(2 * cy + 1, cx)))
                } else {
                    let (py, px) = source(cy, cx)
                    let (r, g, b) = rgb(py, px)
                    let lum = view.kind == .events ? max(r, g) : 0.299 * r + 0.587 * g + 0.114 * b
                    let mark = onOutline(py, px)
                    let ch: Character = mark ? (ascii ? "#" : "▓") : ColorScale.shade(at: lum, glyphs: appearance.glyphs)
                    screen.put(ch, x: imageRect.x + cx, y: imageRect.y + cy, style: mark ? .bold : .plain)
                }
            }
        }
        if footer.height > 0 {
            var legend = view.kind == .events ? "green ON, red OFF (\(view.scaling))" : view.scaling
            if let b = view.receptive, let f = view.factor {
                legend += " · ▢ neuron y \(b.y0 / f) x \(b.x0 / f) ×\(f)"
            }
            screen.write(TextLayout.truncate(fold(legend), to: footer.width, ascii: ascii), x: footer.x, y: footer.y, style: .dim,
                         clip: footer)
        }
        return "\(view.kind == .events ? "events" : "image") \(view.height)×\(view.width) · t \(view.t)"
    }
}
