/// Text from files made safe to print: control characters escaped, long texts and lists cut
/// with a count, so a weights key such as `"\u{1B}]0;PWNED\u{07}"` cannot retitle or clear the
/// user's terminal and a 10,000-key listing stays one readable line.
public enum Printable {
    /// Longest text kept by `escape(_:limit:)` before it is cut (characters).
    public static let defaultLimit = 200

    /// `text` with C0/C1 control characters, DEL, line separators and bidi overrides shown as
    /// escapes (`\0`, `\t`, `\n`, `\r`, `\x1b`, `\u{85}`); everything else, backslashes
    /// included, is kept. Longer than `limit` characters: cut, with `… (N more characters)`.
    /// - Parameter keepNewlines: leave `\n` alone (for multi-line messages of our own).
    public static func escape(_ text: String, limit: Int = defaultLimit, keepNewlines: Bool = false) -> String {
        var out = ""
        var kept = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            guard kept < limit else { continue }
            kept += 1
            switch scalar.value {
            case 0: out += "\\0"
            case 0x09: out += "\\t"
            case 0x0A: out += keepNewlines ? "\n" : "\\n"
            case 0x0D: out += "\\r"
            case 0x01..<0x20, 0x7F: out += "\\x" + hex(scalar.value, digits: 2)
            case 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                // C1 controls (0x9B is a CSI on some terminals), line separators, bidi overrides.
                out += "\\u{" + hex(scalar.value, digits: 2) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        if total > kept { out += "… (\(total - kept) more characters)" }
        return out
    }

    /// True when `escape(text)` would change nothing but a cut (no control characters).
    public static func isClean(_ text: String) -> Bool {
        !text.unicodeScalars.contains { s in
            s.value < 0x20 || s.value == 0x7F || (0x80..<0xA0).contains(s.value) || (0x2028...0x202E).contains(s.value)
                || (0x2066...0x2069).contains(s.value)
        }
    }

    /// The first `limit` items, escaped and joined with ", ", then `… (N more)` when some were
    /// left out. Each item is cut at `itemLimit` characters.
    public static func list(_ items: some Collection<String>, limit: Int = 12, itemLimit: Int = 80) -> String {
        var parts = items.prefix(limit).map { escape($0, limit: itemLimit) }
        if items.count > limit { parts.append("… (\(items.count - limit) more)") }
        return parts.joined(separator: ", ")
    }

    /// Bytes as text: printable ASCII kept, everything else escaped (`\x00`); at most `limit`
    /// bytes, then a count of the rest.
    public static func bytes(_ bytes: some Collection<UInt8>, limit: Int = 16) -> String {
        var out = ""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
            case 0: out += "\\0"
            default: out += "\\x" + hex(UInt32(b), digits: 2)
            }
        }
        if bytes.count > limit { out += "… (\(bytes.count - limit) more bytes)" }
        return out
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
