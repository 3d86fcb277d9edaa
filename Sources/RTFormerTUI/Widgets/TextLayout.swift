/// Horizontal placement of text in a column.
public enum Alignment: Hashable, Sendable {
    case left
    case right
    case center
}

/// Fitting strings into a number of columns (one column per `Character`).
public enum TextLayout {
    /// `text` cut to `width` columns, ending in `…` (`~` with ASCII) when it was cut.
    public static func truncate(_ text: String, to width: Int, ascii: Bool = false) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + (ascii ? "~" : "…")
    }

    /// `text` truncated to `width` and padded with spaces to exactly `width` columns.
    public static func fit(_ text: String, to width: Int, alignment: Alignment = .left, ascii: Bool = false) -> String {
        let t = truncate(text, to: width, ascii: ascii)
        let gap = max(0, width - t.count)
        switch alignment {
        case .left: return t + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + t
        case .center:
            return String(repeating: " ", count: gap / 2) + t + String(repeating: " ", count: gap - gap / 2)
        }
    }

    /// `text` broken into lines of at most `width` columns: at spaces where possible, inside a
    /// word only when the word alone is longer than `width`. Newlines in `text` start new lines
    /// (an empty line stays empty); runs of spaces between words collapse to one.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                var word = Substring(word)
                if !line.isEmpty && line.count + 1 + word.count <= width {
                    line += " " + word
                    continue
                }
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                }
                while word.count > width {
                    lines.append(String(word.prefix(width)))
                    word = word.dropFirst(width)
                }
                line = String(word)
            }
            lines.append(line)
        }
        return lines
    }
}
