/// An 8-bit RGB image stored channel-planar, `[C=3, H, W]` row-major (the CIFAR binary layout
/// and the layout of the model's input tensor). Grayscale sources are expanded to three equal
/// planes.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `3 · height · width` bytes: the R plane, then G, then B; each plane row 0 first.
    public var pixels: [UInt8]

    /// An image over planar pixels; `pixels.count` must be `3 · width · height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == 3 * width * height,
                     "RGBImage \(width)x\(height) needs \(3 * width * height) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image from interleaved samples (`[H, W, channels]`, channels 1 = gray, 2 = gray + alpha,
    /// 3 = RGB, 4 = RGBA); alpha is dropped, gray copied to all three planes.
    public init(interleaved: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int) {
        precondition(interleaved.count >= width * height * channels && (1...4).contains(channels))
        let plane = width * height
        var out = [UInt8](repeating: 0, count: 3 * plane)
        let colour = channels >= 3
        for i in 0..<plane {
            let base = i * channels
            out[i] = interleaved[base]
            out[plane + i] = interleaved[base + (colour ? 1 : 0)]
            out[2 * plane + i] = interleaved[base + (colour ? 2 : 0)]
        }
        self.init(width: width, height: height, pixels: out)
    }

    /// Pixel value of channel `c` (0 R, 1 G, 2 B) at row `y`, column `x`.
    public subscript(c: Int, y: Int, x: Int) -> UInt8 {
        pixels[(c * height + y) * width + x]
    }

    /// The largest centred square: the longer side is cut equally on both ends (an odd surplus
    /// puts the extra pixel at the end, as `PIL.ImageOps.fit`/torchvision `CenterCrop` round).
    /// - Returns: the square image and its crop rectangle in source pixels.
    public func centreCropped() -> (image: RGBImage, rect: CropRect) {
        let side = min(width, height)
        let x0 = (width - side) / 2
        let y0 = (height - side) / 2
        let rect = CropRect(x: x0, y: y0, width: side, height: side)
        if side == width && side == height { return (self, rect) }
        var out = [UInt8](repeating: 0, count: 3 * side * side)
        for c in 0..<3 {
            for y in 0..<side {
                let src = (c * height + y0 + y) * width + x0
                let dst = (c * side + y) * side
                out[dst..<(dst + side)] = pixels[src..<(src + side)]
            }
        }
        return (RGBImage(width: side, height: side, pixels: out), rect)
    }

    /// The image resampled to `newWidth × newHeight`.
    ///
    /// Shrinking an axis uses **area averaging** (each output pixel is the coverage-weighted mean
    /// of the source pixels its footprint overlaps, fractional edges included — OpenCV's
    /// `INTER_AREA`); enlarging an axis uses **bilinear** interpolation with half-pixel centres
    /// (`align_corners=False`), edges clamped. Both are separable, accumulate in Float64 and round
    /// once to the nearest integer.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0 && width > 0 && height > 0)
        if newWidth == width && newHeight == height { return self }
        let wx = RGBImage.weights(from: width, to: newWidth)
        let wy = RGBImage.weights(from: height, to: newHeight)
        var out = [UInt8](repeating: 0, count: 3 * newWidth * newHeight)
        var rows = [Double](repeating: 0, count: height * newWidth)
        for c in 0..<3 {
            let plane = c * width * height
            for y in 0..<height {
                for (ox, taps) in wx.enumerated() {
                    var s = 0.0
                    for (ix, w) in taps { s += w * Double(pixels[plane + y * width + ix]) }
                    rows[y * newWidth + ox] = s
                }
            }
            for (oy, taps) in wy.enumerated() {
                for ox in 0..<newWidth {
                    var s = 0.0
                    for (iy, w) in taps { s += w * rows[iy * newWidth + ox] }
                    out[(c * newHeight + oy) * newWidth + ox] = UInt8(max(0, min(255, s.rounded())))
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// Per output index, the (source index, weight) taps along one axis; weights sum to 1.
    static func weights(from n: Int, to m: Int) -> [[(Int, Double)]] {
        let scale = Double(n) / Double(m)
        var all: [[(Int, Double)]] = []
        all.reserveCapacity(m)
        for o in 0..<m {
            if m < n {
                let lo = Double(o) * scale, hi = Double(o + 1) * scale
                var taps: [(Int, Double)] = []
                var i = Int(lo.rounded(.down))
                while Double(i) < hi && i < n {
                    let cover = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if cover > 0 { taps.append((i, cover / scale)) }
                    i += 1
                }
                all.append(taps)
            } else {
                let src = (Double(o) + 0.5) * scale - 0.5
                let f = src.rounded(.down)
                let i0 = max(0, min(n - 1, Int(f))), i1 = max(0, min(n - 1, Int(f) + 1))
                let frac = src - f
                all.append(i0 == i1 ? [(i0, 1)] : [(i0, 1 - frac), (i1, frac)])
            }
        }
        return all
    }
}

/// A rectangle in source-image pixels (origin top-left).
public struct CropRect: Sendable, Equatable {
    /// Left column.
    public var x: Int
    /// Top row.
    public var y: Int
    /// Columns covered.
    public var width: Int
    /// Rows covered.
    public var height: Int
}
