import Foundation

/// A colour scale for values: which palette, and the value range mapped onto it.
///
/// `sequential` maps `lower…upper` to dark…bright (firing rates, counts). `diverging` is centred
/// on zero: it maps `-m…+m`, with `m` the largest magnitude, to blue…white…red, so the sign of a
/// value (membrane potential, a difference) reads off its hue.
public struct ColorScale: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case sequential
        case diverging
    }

    public var kind: Kind
    /// The value drawn with the first palette colour.
    public var lower: Float
    /// The value drawn with the last palette colour.
    public var upper: Float

    /// A scale over `lower…upper`; a diverging scale widens it to `-m…+m`.
    public init(kind: Kind, lower: Float, upper: Float) {
        self.kind = kind
        switch kind {
        case .sequential:
            self.lower = min(lower, upper)
            self.upper = max(lower, upper)
        case .diverging:
            let m = max(abs(lower), abs(upper))
            self.lower = -m
            self.upper = m
        }
    }

    /// The scale spanning the finite values of `values` (0…0 when there are none).
    public init(kind: Kind, fitting values: [Float]) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        if lo > hi { (lo, hi) = (0, 0) }
        self.init(kind: kind, lower: lo, upper: hi)
    }

    /// Where `value` falls on the scale, 0…1 (clamped); nil for NaN. A scale of zero width puts
    /// every value at 0 (sequential) or 0.5 (diverging).
    public func position(of value: Float) -> Float? {
        guard !value.isNaN else { return nil }
        let span = upper - lower
        guard span > 0 else { return kind == .sequential ? 0 : 0.5 }
        return min(1, max(0, (value - lower) / span))
    }

    /// The colour at `position` (0…1) in `mode`: one of `levels(in:)` colours, `.default` in
    /// monochrome.
    public func color(at position: Float, mode: ColorMode) -> TermColor {
        let ramp = Self.ramp(kind, mode)
        guard !ramp.isEmpty else { return .default }
        return .indexed(ramp[Self.level(position, count: ramp.count)])
    }

    /// How many distinct colours the scale has in `mode` (0 in monochrome).
    public func levels(in mode: ColorMode) -> Int { Self.ramp(kind, mode).count }

    /// A colour that is in neither palette, for marking a selected cell.
    public func markerColor(mode: ColorMode) -> TermColor {
        switch mode {
        case .monochrome: .default
        case .color8: .green
        case .color256: kind == .sequential ? .indexed(201) : .indexed(46)
        }
    }

    /// The shade character for `position` (0…1) when colours cannot carry the value: `░▒▓█` with
    /// the Unicode glyph set, ` .:-=+*#%@` with ASCII.
    public static func shade(at position: Float, glyphs: GlyphSet) -> Character {
        let ramp = glyphs == .unicode ? unicodeShades : asciiShades
        return ramp[level(position, count: ramp.count)]
    }

    /// The scale's end value formatted for a legend or axis: three significant digits.
    public static func label(_ value: Float) -> String {
        if value == 0 { return "0" }
        return String(format: "%.3g", Double(value))
    }

    static func level(_ position: Float, count: Int) -> Int {
        min(count - 1, max(0, Int(position * Float(count))))
    }

    private static let unicodeShades: [Character] = [" ", "░", "▒", "▓", "█"]
    private static let asciiShades: [Character] = Array(" .:-=+*#%@")

    private static func ramp(_ kind: Kind, _ mode: ColorMode) -> [UInt8] {
        switch (kind, mode) {
        case (_, .monochrome): []
        case (.sequential, .color8): [0, 4, 5, 1, 3, 7]
        case (.diverging, .color8): [4, 6, 7, 3, 1]
        case (.sequential, .color256): sequential256
        case (.diverging, .color256): diverging256
        }
    }

    // Viridis-like (dark purple → blue → teal → green → yellow) and a blue–white–red diverging
    // ramp with an odd count, so zero lands on the white middle colour.
    private static let sequential256 = interpolate(
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], count: 12)
    private static let diverging256 = interpolate(
        [(5, 113, 176), (146, 197, 222), (247, 247, 247), (244, 165, 130), (202, 0, 32)], count: 11)

    private static func interpolate(_ anchors: [(Int, Int, Int)], count: Int) -> [UInt8] {
        (0..<count).map { i in
            let p = Double(i) / Double(count - 1) * Double(anchors.count - 1)
            let k = min(anchors.count - 2, Int(p))
            let f = p - Double(k)
            let a = anchors[k], b = anchors[k + 1]
            func mix(_ x: Int, _ y: Int) -> Int { Int((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
            return XtermColor.nearest(r: mix(a.0, b.0), g: mix(a.1, b.1), b: mix(a.2, b.2))
        }
    }
}
