import CJPEG
import Foundation

/// JPEG decoding (and encoding, for round trips and exports) through libjpeg-turbo's libjpeg API.
public enum JPEGImage {
    /// Decodes a baseline or progressive JPEG of any size to 8-bit RGB (grayscale expanded).
    ///
    /// Uses libjpeg's default (islow) IDCT and fancy upsampling, so results match other libjpeg
    /// based decoders with default settings (PIL, for one).
    /// - Parameter file: names the source in errors.
    /// - Throws: `InputError` (format "JPEG") carrying libjpeg's message, e.g. for a truncated
    ///   header or an unsupported colour space (CMYK).
    /// - Returns: the image and libjpeg's count of recoverable corruptions (a truncated scan is
    ///   padded with grey by libjpeg and reported here rather than thrown).
    public static func decode(_ bytes: [UInt8], file: String) throws -> (image: RGBImage, warnings: Int) {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var warnings = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { src in
            rtf_jpeg_decode_rgb(src.baseAddress, UInt(src.count), &pixels, &width, &height, &warnings,
                                &message, message.count)
        }
        guard status == 0, let pixels else {
            let why = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw InputError(file: file, format: "JPEG", expected: "a decodable JPEG stream", found: why)
        }
        defer { free(pixels) }
        let w = Int(width), h = Int(height)
        let image = RGBImage(interleaved: UnsafeBufferPointer(start: pixels, count: w * h * 3),
                             width: w, height: h, channels: 3)
        return (image, warnings)
    }

    /// Encodes an image as a baseline JPEG.
    /// - Parameter quality: libjpeg quality, 1...100.
    /// - Throws: `InputError` (format "JPEG") with libjpeg's message.
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        let plane = image.width * image.height
        var interleaved = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for c in 0..<3 { interleaved[3 * i + c] = image.pixels[c * plane + i] }
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = interleaved.withUnsafeBufferPointer { src in
            rtf_jpeg_encode_rgb(src.baseAddress, Int32(image.width), Int32(image.height), Int32(quality),
                                &out, &size, &message, message.count)
        }
        defer { free(out) }
        guard status == 0, let out else {
            let why = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw InputError(file: "<memory>", format: "JPEG", expected: "an encodable image", found: why)
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
