import Foundation

/// Why an output file could not be written.
public struct FileWriteError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Writes output files all or nothing: the bytes go to a temporary file beside the target, are
/// flushed to disk, and only then renamed over it, so an error (a full disk, a missing folder)
/// never leaves a half-written file, and every write error is reported.
public enum AtomicFile {
    /// - Throws: `FileWriteError` naming the path: a target that exists but is not a regular file
    ///   (a directory, a device such as /dev/full), a missing folder, or a failed write/sync/rename.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            let attrs = try? FileManager.default.attributesOfItem(atPath: path)
            let type = attrs?[.type] as? FileAttributeType
            if isDir.boolValue || (type != nil && type != .typeRegular) {
                throw FileWriteError(path: path, reason: isDir.boolValue ? "is a directory" : "exists and is not a regular file")
            }
        }
        let dir = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileWriteError(path: path, reason: "folder \(dir) does not exist")
        }
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temp)
            throw FileWriteError(path: path, reason: failure)
        }
    }

    /// Writes UTF-8 text (see `write(_:to:)`).
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
