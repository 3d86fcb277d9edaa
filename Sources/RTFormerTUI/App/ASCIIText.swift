import Foundation

/// Plain-ASCII spellings of the symbols the session's text and the key table use, for `--ascii`
/// terminals (the `Screen` would otherwise draw each as `?`).
enum ASCIIText {
    private static let replacements: [(String, String)] = [
        ("→", "->"), ("←", "<-"), ("↔", "<->"), ("↑", "Up"), ("↓", "Dn"), ("·", "-"), ("…", "..."),
        ("≤", "<="), ("≥", ">="), ("σ²", "var"), ("γ", "gamma"), ("β", "beta"), ("μ", "mu"), ("θ", "theta"),
        ("Ĥ", "H^"), ("×", "x"), ("Σ", "sum "), ("⊙", "*"), ("′", "'"), ("Δ", "d"), ("µ", "u"), ("ε", "eps"),
        ("▶", ">"), ("✓", "ok"), ("✗", "x"), ("∈", " in "), ("ᵀ", "^T"),
        ("‹", "<"), ("›", ">"), ("▾", "v"), ("▸", ">"), ("●", "*"), ("╌", "-"), ("▲", "^"), ("■", "X"), ("≈", "~"),
        ("⚠", "!"), ("²", "2"), ("—", "--"),
    ]

    /// `text` with known symbols spelled in ASCII when `ascii` is set.
    static func fold(_ text: String, ascii: Bool) -> String {
        guard ascii, text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        var s = text
        for (symbol, spelling) in replacements { s = s.replacingOccurrences(of: symbol, with: spelling) }
        return s
    }
}
