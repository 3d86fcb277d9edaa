/// How a command's multi-line output is laid out in the output pop-up for a terminal size.
///
/// Prose wraps at word boundaries with a hanging indent (a continuation lines up under the text
/// after the line's column gap, as in `usage  summary`), so nothing is cut. A table (most lines
/// with two or more column gaps, like `:layers` or `:energy`) is not wrapped, which would break
/// its columns: it scrolls sideways instead (`←` `→`) and the pop-up marks the hidden side.
struct OutputLayout {
    /// The lines drawn, after wrapping.
    let lines: [String]
    /// Whether the text is a table (scrolls sideways).
    let isTable: Bool
    /// Columns of the pop-up's content.
    let width: Int
    /// Rows of the pop-up's content.
    let visibleRows: Int
    /// The largest sideways offset (0 when every line fits).
    let maxColumn: Int

    var lineCount: Int { lines.count }

    /// The pop-up's frame for a terminal of `size` (shared by the help and output pop-ups).
    static func box(for size: Size) -> Rect {
        Rect(size: size).inset(top: 1, left: 0, bottom: 2, right: 0)
            .centered(Size(width: min(size.width - 4, 100), height: size.height - 5))
    }

    init(text: String, size: Size) {
        let inner = Frame.contentRect(for: Self.box(for: size))
        width = max(1, inner.width)
        visibleRows = max(1, inner.height)
        let raw = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let nonBlank = raw.filter { !$0.trimmingWhitespace().isEmpty }
        let tabular = nonBlank.filter { Self.gaps(in: $0).count >= 2 }.count
        isTable = tabular >= 3 && tabular * 2 >= nonBlank.count
        if isTable {
            lines = raw
            maxColumn = max(0, (raw.map(\.count).max() ?? 0) - width)
        } else {
            let w = width
            lines = raw.flatMap { Self.wrap($0, width: w) }
            maxColumn = 0
        }
    }

    /// Columns where text resumes after a run of two or more spaces following other text.
    static func gaps(in line: String) -> [Int] {
        var out: [Int] = []
        var spaces = 0, seenText = false
        for (i, ch) in line.enumerated() {
            if ch == " " {
                spaces += 1
            } else {
                if seenText && spaces >= 2 { out.append(i) }
                seenText = true
                spaces = 0
            }
        }
        return out
    }

    /// `line` in lines of at most `width` columns, continuation lines indented under the text
    /// after the last column gap in the left half, else under the line's own indent (two columns
    /// in for a line without one).
    static func wrap(_ line: String, width: Int) -> [String] {
        guard line.count > width else { return [line] }
        let leading = line.prefix { $0 == " " }.count
        let hang = gaps(in: line).last { $0 <= width / 2 }
        let head: String, rest: String, indent: Int
        if let hang {
            head = String(line.prefix(hang))
            rest = String(line.dropFirst(hang))
            indent = hang
        } else {
            head = String(repeating: " ", count: min(leading, width / 2))
            rest = String(line.dropFirst(leading))
            indent = min(leading == 0 ? 2 : leading, width / 2)
        }
        let pieces = TextLayout.wrap(rest, width: max(1, width - indent))
        guard let first = pieces.first else { return [head] }
        return [head + first] + pieces.dropFirst().map { String(repeating: " ", count: indent) + $0 }
    }
}
