import CPNG

/// PNG decoding through libpng's simplified API (`png_image_*`, libpng 1.6).
public enum PNGImage {
    /// Largest image decoded (2^28 pixels, 768 MiB of RGB): a corrupt or hostile header must not
    /// make the reader allocate without bound.
    public static let maxPixels = 1 << 28

    /// The 8-byte PNG signature `\x89PNG\r\n\x1a\n`.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes a PNG of any size, bit depth and colour type to 8-bit RGB.
    ///
    /// libpng converts palette, gray and 16-bit images to 8-bit (16-bit samples are taken as
    /// sRGB-encoded and rescaled, not gamma-converted); alpha is composited onto black (with no
    /// background colour libpng composes onto the output buffer, which starts zero-filled).
    /// - Parameter file: names the source in errors.
    /// - Throws: `InputError` (format "PNG") with libpng's message when the data is not a PNG, is
    ///   truncated, fails a CRC, or has more than `maxPixels` pixels.
    public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let ok = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard ok != 0 else {
            throw InputError(file: file, format: "PNG", location: "header", expected: "a valid PNG header",
                             found: message(&image))
        }
        image.format = png_uint_32(PNG_FORMAT_RGB)
        // Without this flag libpng takes 16-bit samples of a file with no gAMA/sRGB chunk as linear
        // light and gamma-encodes them on the way to 8 bits; photos are sRGB-encoded at any depth.
        image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let width = Int(image.width), height = Int(image.height)
        guard width * height <= PNGImage.maxPixels else {
            png_image_free(&image)
            throw InputError(file: file, format: "PNG", location: "header", expected: "at most 2^28 pixels",
                             found: "\(width)x\(height)")
        }
        var buffer = [UInt8](repeating: 0, count: width * height * 3)
        let done = bytes.withUnsafeBytes { _ in
            buffer.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, png_int_32(width * 3), nil)
            }
        }
        guard done != 0 else {
            let why = message(&image)
            png_image_free(&image)
            throw InputError(file: file, format: "PNG", location: "image data (\(width)x\(height))",
                             expected: "complete, CRC-valid image data", found: why)
        }
        return buffer.withUnsafeBufferPointer {
            RGBImage(interleaved: $0, width: width, height: height, channels: 3)
        }
    }

    /// libpng's message in `image` (also used by `PNGWriter`).
    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.prefix { $0 != 0 }
            return chars.isEmpty ? "libpng reported an error without a message" : String(decoding: chars, as: UTF8.self)
        }
    }
}
