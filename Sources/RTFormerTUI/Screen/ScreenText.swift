extension Screen {
    /// The characters of the screen, one line per row, trailing spaces removed. This is what a
    /// user would read on a monochrome terminal; styles are ignored.
    public func plainText() -> String {
        (0..<size.height).map { row in
            var line = String((0..<size.width).map { cells[row * size.width + $0].character })
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// The plain text followed by a style map: one letter per cell (`.` for the default style)
    /// and a legend naming each letter's foreground, background and attributes, e.g.
    /// `b = fg 196 bg 21 bold`. Letters are given in order of first appearance, so the form is
    /// deterministic and diffs point at the cells whose style changed.
    public func annotatedText() -> String {
        var codes: [CellStyle: Character] = [:]
        var legend: [(Character, CellStyle)] = []
        var map: [String] = []
        for row in 0..<size.height {
            var line = ""
            for column in 0..<size.width {
                let style = cells[row * size.width + column].style
                if style == .plain {
                    line.append(".")
                    continue
                }
                if let code = codes[style] {
                    line.append(code)
                } else {
                    let code = Screen.styleCode(legend.count)
                    codes[style] = code
                    legend.append((code, style))
                    line.append(code)
                }
            }
            map.append(line)
        }
        var out = "--- text (\(size), \(appearance))\n" + plainText() + "\n--- styles\n" + map.joined(separator: "\n")
        out += "\n--- legend"
        for (code, style) in legend { out += "\n\(code) = \(Screen.describe(style))" }
        return out + "\n"
    }

    private static func styleCode(_ n: Int) -> Character {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        if n < alphabet.count { return alphabet[n] }
        // Beyond 62 styles (dense 256-colour heatmaps), continue through Greek and Cyrillic letters.
        let scalar = Unicode.Scalar(0x3B1 + n - alphabet.count) ?? "?"
        return Character(scalar)
    }

    private static func describe(_ style: CellStyle) -> String {
        var parts: [String] = []
        if case .indexed(let i) = style.fg { parts.append("fg \(i)") }
        if case .indexed(let i) = style.bg { parts.append("bg \(i)") }
        if style.attributes.contains(.bold) { parts.append("bold") }
        if style.attributes.contains(.dim) { parts.append("dim") }
        if style.attributes.contains(.reverse) { parts.append("reverse") }
        if style.attributes.contains(.underline) { parts.append("underline") }
        return parts.joined(separator: " ")
    }
}
