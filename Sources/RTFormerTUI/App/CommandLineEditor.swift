/// The `:` command line: a text buffer with a cursor, a history browsed with ↑/↓, and Tab
/// completion of the word before the cursor.
public struct CommandLineEditor: Hashable, Sendable {
    /// What the user has typed.
    public private(set) var text = ""
    /// Character index of the cursor, 0…text.count.
    public private(set) var cursor = 0
    /// Lines run before, oldest first.
    public private(set) var history: [String] = []
    /// The candidates of the last Tab press that matched more than one word.
    public private(set) var candidates: [String] = []
    private var historyIndex: Int?
    private var draft = ""

    /// An empty line with `history` to browse.
    public init(history: [String] = []) { self.history = history }

    /// Clears the buffer (the history stays).
    public mutating func open() {
        text = ""
        cursor = 0
        historyIndex = nil
        candidates = []
    }

    /// Types `character` at the cursor.
    public mutating func insert(_ character: Character) {
        var chars = Array(text)
        chars.insert(character, at: cursor)
        text = String(chars)
        cursor += 1
        candidates = []
    }

    /// Deletes the character before the cursor; false when there was none.
    @discardableResult
    public mutating func deleteBackward() -> Bool {
        guard cursor > 0 else { return false }
        var chars = Array(text)
        chars.remove(at: cursor - 1)
        text = String(chars)
        cursor -= 1
        candidates = []
        return true
    }

    /// Deletes the character under the cursor.
    public mutating func deleteForward() {
        guard cursor < text.count else { return }
        var chars = Array(text)
        chars.remove(at: cursor)
        text = String(chars)
    }

    /// One character left.
    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    /// One character right.
    public mutating func moveRight() { cursor = min(text.count, cursor + 1) }
    /// To the start of the line (Home, Ctrl-A).
    public mutating func moveToStart() { cursor = 0 }
    /// To the end of the line (End, Ctrl-E).
    public mutating func moveToEnd() { cursor = text.count }

    /// Shows the previous history line (the typed text is kept as a draft).
    public mutating func historyUp() {
        guard !history.isEmpty else { return }
        let i: Int
        if let historyIndex { i = max(0, historyIndex - 1) } else {
            draft = text
            i = history.count - 1
        }
        historyIndex = i
        setText(history[i])
    }

    /// Shows the next history line, and the draft after the newest.
    public mutating func historyDown() {
        guard let historyIndex else { return }
        if historyIndex + 1 < history.count {
            self.historyIndex = historyIndex + 1
            setText(history[historyIndex + 1])
        } else {
            self.historyIndex = nil
            setText(draft)
        }
    }

    /// Ends editing: returns the line and adds it to the history (blank lines and repeats of the
    /// last line are not added).
    public mutating func submit() -> String {
        let line = text
        let trimmed = line.trimmingWhitespace()
        if !trimmed.isEmpty && history.last != trimmed { history.append(trimmed) }
        open()
        return line
    }

    /// Completes the word before the cursor. `words` gives the candidates for a word, given the
    /// words before it on the line. One match completes the word and adds a space; several
    /// extend it to their longest common prefix and are kept in `candidates`.
    public mutating func complete(using words: ([String]) -> [String]) {
        let before = String(Array(text).prefix(cursor))
        let after = String(Array(text).dropFirst(cursor))
        let endsWithSpace = before.last == " "
        var parts = before.split(separator: " ").map(String.init)
        let partial = endsWithSpace ? "" : (parts.popLast() ?? "")
        let matches = words(parts).filter { $0.hasPrefix(partial) }
        guard !matches.isEmpty else {
            candidates = []
            return
        }
        let completed: String
        if matches.count == 1 {
            completed = matches[0] + (matches[0].hasSuffix("=") ? "" : " ")
            candidates = []
        } else {
            completed = Self.commonPrefix(matches)
            candidates = matches
        }
        let head = String(before.dropLast(partial.count))
        text = head + completed + after
        cursor = head.count + completed.count
    }

    private mutating func setText(_ s: String) {
        text = s
        cursor = s.count
        candidates = []
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first else { return "" }
        for w in words.dropFirst() {
            while !w.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
