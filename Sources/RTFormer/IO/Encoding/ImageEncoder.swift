/// Per-channel mean and standard deviation used to normalise 8-bit images (SPEC R19).
public struct NormalisationStats: Sendable, Equatable {
    /// A short name for the user ("CIFAR-10").
    public var name: String
    /// Mean of R, G, B on the 0...1 scale.
    public var mean: [Double]
    /// Standard deviation of R, G, B on the 0...1 scale.
    public var std: [Double]

    /// Stats for three channels; every std must be positive.
    public init(name: String, mean: [Double], std: [Double]) {
        precondition(mean.count == 3 && std.count == 3 && std.allSatisfy { $0 > 0 })
        self.name = name
        self.mean = mean
        self.std = std
    }

    /// CIFAR-10: mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616) (SPEC R19).
    public static let cifar10 = NormalisationStats(name: "CIFAR-10", mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// CIFAR-100: mean (0.5071, 0.4867, 0.4408), std (0.2675, 0.2565, 0.2761) (SPEC R19).
    public static let cifar100 = NormalisationStats(name: "CIFAR-100", mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
}

/// What was done to a static image before it reached the model, for the user.
public struct ImagePreparation: Sendable, Equatable {
    /// Width of the decoded source image.
    public var sourceWidth: Int
    /// Height of the decoded source image.
    public var sourceHeight: Int
    /// The centred square taken from the source (the whole image when it was square).
    public var crop: CropRect
    /// Side of the square fed to the model.
    public var size: Int
    /// "none", "area (down-scaling)" or "bilinear (up-scaling)".
    public var resize: String

    /// One line, e.g. `451x300 → centre crop 300x300 at (75,0) → area resize to 32x32`.
    public var summary: String {
        var s = "\(sourceWidth)x\(sourceHeight)"
        if crop.width != sourceWidth || crop.height != sourceHeight {
            s += " → centre crop \(crop.width)x\(crop.height) at (\(crop.x),\(crop.y))"
        }
        s += resize == "none" ? " (no resize)" : " → \(resize) resize to \(size)x\(size)"
        return s
    }
}

/// How a static input was encoded: direct (repeat) encoding of normalised images.
public struct ImageEncoding: Sendable, Equatable {
    /// Timesteps the image was repeated over.
    public var timesteps: Int
    /// Mean/std used.
    public var stats: NormalisationStats
    /// Per batch item, the crop/resize done.
    public var preparations: [ImagePreparation]

    /// A few lines for the user.
    public var summary: String {
        let m = stats.mean.map { String($0) }.joined(separator: ", "), s = stats.std.map { String($0) }.joined(separator: ", ")
        var lines = ["direct encoding: x = (u8/255 − mean)/std, repeated over T = \(timesteps)",
                     "\(stats.name) mean (\(m)), std (\(s))"]
        lines += preparations.enumerated().map { "image \($0.offset): \($0.element.summary)" }
        return lines.joined(separator: "\n")
    }
}

/// Encoders of static images into model input `[T, B, C, H, W]`.
public enum ImageEncoder {
    /// Centre-crops to a square and resizes to `size × size` (area when shrinking, bilinear when
    /// enlarging; see `RGBImage.resized`).
    public static func prepare(_ image: RGBImage, size: Int) -> (image: RGBImage, preparation: ImagePreparation) {
        let (square, rect) = image.centreCropped()
        let resize = square.width == size ? "none" : square.width > size ? "area (down-scaling)" : "bilinear (up-scaling)"
        let out = square.resized(width: size, height: size)
        return (out, ImagePreparation(sourceWidth: image.width, sourceHeight: image.height, crop: rect, size: size, resize: resize))
    }

    /// Normalises images of equal size: `x = (u8/255 − mean[c]) / std[c]`, computed in Float64
    /// and rounded once to Float32 (SPEC R19).
    /// - Returns: shape `[B, 3, H, W]`.
    public static func normalise(_ images: [RGBImage], stats: NormalisationStats = .cifar10) -> Tensor {
        precondition(!images.isEmpty && images.allSatisfy { $0.width == images[0].width && $0.height == images[0].height },
                     "normalise needs a non-empty batch of equally sized images")
        let h = images[0].height, w = images[0].width, plane = h * w
        var lut = [[Float]](repeating: [], count: 3)
        for c in 0..<3 {
            lut[c] = (0..<256).map { Float((Double($0) / 255 - stats.mean[c]) / stats.std[c]) }
        }
        var out = [Float](repeating: 0, count: images.count * 3 * plane)
        for (b, image) in images.enumerated() {
            for c in 0..<3 {
                let base = (b * 3 + c) * plane
                for i in 0..<plane { out[base + i] = lut[c][Int(image.pixels[c * plane + i])] }
            }
        }
        return Tensor(shape: [images.count, 3, h, w], storage: out)
    }

    /// Direct encoding: the same frame at every timestep (SPEC §1, `x.unsqueeze(0).repeat(T,1,1,1,1)`).
    /// - Parameter x: shape `[B, C, H, W]`.
    /// - Returns: shape `[T, B, C, H, W]`.
    public static func repeatOverTime(_ x: Tensor, timesteps: Int) -> Tensor {
        precondition(x.rank == 4 && timesteps >= 1, "repeatOverTime needs [B, C, H, W] and T ≥ 1, got \(x.shape), T \(timesteps)")
        var storage = [Float]()
        storage.reserveCapacity(timesteps * x.count)
        for _ in 0..<timesteps { storage += x.storage }
        return Tensor(shape: [timesteps] + x.shape, storage: storage)
    }

    /// Crops/resizes each image to `size × size`, normalises and repeats over T.
    /// - Returns: the input, shape `[T, B, 3, size, size]`, and a description of the encoding.
    public static func encode(_ images: [RGBImage], timesteps: Int, size: Int,
                              stats: NormalisationStats = .cifar10) -> (input: Tensor, encoding: ImageEncoding) {
        let prepared = images.map { prepare($0, size: size) }
        let x = normalise(prepared.map(\.image), stats: stats)
        return (repeatOverTime(x, timesteps: timesteps),
                ImageEncoding(timesteps: timesteps, stats: stats, preparations: prepared.map(\.preparation)))
    }
}
