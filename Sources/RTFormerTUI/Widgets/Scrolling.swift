/// Keeping a selected line visible in a list that shows `visible` of `count` lines.
public enum Scrolling {
    /// The first line to show: `offset` moved as little as possible so that `selected` is among
    /// the `visible` lines shown, then clamped so the view is never scrolled past the end.
    public static func offset(keeping selected: Int?, visible: Int, count: Int, from offset: Int) -> Int {
        guard visible > 0, count > visible else { return 0 }
        var o = offset
        if let selected {
            if selected < o { o = selected }
            if selected >= o + visible { o = selected - visible + 1 }
        }
        return min(max(0, o), count - visible)
    }
}
