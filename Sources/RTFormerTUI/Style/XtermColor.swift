/// The xterm 256-colour table as RGB, and nearest-colour lookups into it.
public enum XtermColor {
    /// The RGB value of xterm colour `index` (the standard xterm palette).
    public static func rgb(_ index: UInt8) -> (r: Int, g: Int, b: Int) {
        let i = Int(index)
        switch i {
        case 0..<16:
            return basic[i]
        case 16..<232:
            let c = i - 16
            return (cubeLevels[c / 36], cubeLevels[(c / 6) % 6], cubeLevels[c % 6])
        default:
            let v = 8 + 10 * (i - 232)
            return (v, v, v)
        }
    }

    /// The index in 16…255 (the cube and the grey ramp; the basic 16 vary between terminals)
    /// closest to `(r, g, b)`, each 0–255, by squared RGB distance.
    public static func nearest(r: Int, g: Int, b: Int) -> UInt8 {
        var best: UInt8 = 16
        var bestDistance = Int.max
        for i in 16...255 {
            let c = rgb(UInt8(i))
            let d = (c.r - r) * (c.r - r) + (c.g - g) * (c.g - g) + (c.b - b) * (c.b - b)
            if d < bestDistance {
                bestDistance = d
                best = UInt8(i)
            }
        }
        return best
    }

    /// The basic colour (0–7) closest to xterm colour `index`; 0–7 map to themselves and 8–15 to
    /// their normal-intensity forms.
    public static func nearestBasic(_ index: UInt8) -> UInt8 {
        if index < 8 { return index }
        if index < 16 { return index - 8 }
        let c = rgb(index)
        // Thresholding each channel at its midpoint keeps hue better than RGB distance to the dim
        // basic colours, which would send most light colours to white or grey.
        let hi = max(c.r, c.g, c.b), lo = min(c.r, c.g, c.b)
        if hi < 64 { return 0 }
        if hi - lo < 40 { return hi >= 160 ? 7 : 0 }
        let mid = (hi + lo) / 2
        let r: UInt8 = c.r > mid ? 1 : 0, g: UInt8 = c.g > mid ? 1 : 0, b: UInt8 = c.b > mid ? 1 : 0
        return r | (g << 1) | (b << 2)
    }

    private static let cubeLevels = [0, 95, 135, 175, 215, 255]
    private static let basic: [(r: Int, g: Int, b: Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
}
