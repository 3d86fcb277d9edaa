/// The smallest terminal a layout can be drawn in, and the message shown instead of the layout
/// when the terminal is smaller.
public struct MinimumSize: Hashable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Whether a terminal of `size` is large enough.
    public func isSatisfied(by size: Size) -> Bool { size.width >= width && size.height >= height }

    /// The message for a terminal of `size`: `terminal too small: need 80×24, have 40×10`
    /// (`x` with ASCII).
    public func message(have size: Size, ascii: Bool = false) -> String {
        let times = ascii ? "x" : "×"
        return "terminal too small: need \(width)\(times)\(height), have \(size.width)\(times)\(size.height)"
    }

    /// When `screen` is smaller than this size: clears it, draws `message(have:)` word-wrapped
    /// and centred, and returns true. Otherwise draws nothing and returns false. Typical use:
    /// `if minimum.drawMessageIfTooSmall(into: &screen) { flush; return }` before the layout.
    @discardableResult
    public func drawMessageIfTooSmall(into screen: inout Screen) -> Bool {
        guard !isSatisfied(by: screen.size) else { return false }
        screen.clear()
        let text = message(have: screen.size, ascii: screen.appearance.isASCII)
        let lines = TextLayout.wrap(text, width: screen.width)
        let top = max(0, (screen.height - lines.count) / 2)
        TextBlock(text, style: .bold, alignment: .center)
            .draw(into: &screen, in: Rect(x: 0, y: top, width: screen.width, height: screen.height - top))
        return true
    }
}
