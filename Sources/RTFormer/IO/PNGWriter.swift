import CPNG
import Foundation

/// PNG encoding through libpng's simplified write API (`png_image_write_to_memory`, libpng ≥ 1.6.29),
/// written all or nothing through `AtomicFile`.
public enum PNGWriter {
    /// PNG bytes of an 8-bit RGB image (`pixels`: interleaved, row-major, `width · height · 3`).
    /// - Throws: `FileWriteError` naming `path` when the buffer does not match the size or libpng
    ///   reports an error.
    public static func encode(rgb pixels: [UInt8], width: Int, height: Int, path: String = "<png>") throws -> Data {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw FileWriteError(path: path, reason: "PNG: \(pixels.count) bytes for a \(width)x\(height) RGB image")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        var size: png_alloc_size_t = 0
        // First call: the size; second: the bytes.
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, png_int_32(width * 3), nil) }
        guard sized != 0, size > 0 else { throw FileWriteError(path: path, reason: "PNG encoding failed: \(PNGImage.message(&image))") }
        var out = [UInt8](repeating: 0, count: Int(size))
        let done = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, png_int_32(width * 3), nil) }
        }
        guard done != 0 else { throw FileWriteError(path: path, reason: "PNG encoding failed: \(PNGImage.message(&image))") }
        return Data(out.prefix(Int(size)))
    }

    /// Encodes and writes atomically to `path`.
    /// - Throws: `FileWriteError`.
    public static func write(rgb pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        try AtomicFile.write(try encode(rgb: pixels, width: width, height: height, path: path), to: path)
    }

}
