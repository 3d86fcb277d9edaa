/// Colour pairs handed out on demand: each (foreground, background) combination seen gets the
/// next free pair number, up to the terminal's `COLOR_PAIRS`. Colours are ncurses numbers, −1
/// for the terminal default; pair 0 is the default pair and is never allocated.
struct ColorPairCache {
    struct Colors: Hashable {
        var fg: Int32
        var bg: Int32
    }

    /// The number of pairs the terminal has (`COLOR_PAIRS`), pair 0 included.
    let capacity: Int
    private var pairs: [Colors: Int32] = [:]
    private var next: Int32 = 1

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { pairs.count }

    /// The pair for `colors`, defining it through `define(pair, fg, bg)` the first time; nil when
    /// every pair is taken.
    mutating func pair(for colors: Colors, define: (Int32, Int32, Int32) -> Void) -> Int32? {
        if colors.fg == -1 && colors.bg == -1 { return 0 }
        if let p = pairs[colors] { return p }
        guard Int(next) < capacity else { return nil }
        let p = next
        next += 1
        define(p, colors.fg, colors.bg)
        pairs[colors] = p
        return p
    }

    /// Forgets every pair, so numbers are handed out from 1 again.
    mutating func removeAll() {
        pairs.removeAll()
        next = 1
    }
}
