import Foundation

/// Why an output file could not be written.
public struct FileWriteError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(Printable.escape(path)): cannot write: \(reason)" }
}

/// Writes output files all or nothing: the bytes go to a temporary file beside the target, are
/// flushed to disk, and only then renamed over it, so an error (a full disk, a missing folder)
/// never leaves a half-written file, and every write error is reported.
///
/// The temporary file is `.rtf-XXXXXXXX.tmp` (8 random base-36 characters: short enough beside
/// any valid target name), created with `O_CREAT | O_EXCL | O_NOFOLLOW` (never an existing file
/// or a planted symbolic link), and removed on every failure path — including SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT arriving during the write, whose handler removes it and passes the signal
/// on to the previous disposition.
public enum AtomicFile {
    /// - Throws: `FileWriteError` naming the path: a target that exists but is not a regular file
    ///   (a directory, a device such as /dev/full), a symbolic link to a missing file (refused: it
    ///   would be replaced by a plain file, not written through), a missing folder, or a failed
    ///   open/write/sync/rename. A symbolic link to a regular file is written through (the link
    ///   stays, its target is replaced).
    public static func write(_ data: Data, to path: String) throws {
        lock.lock()
        defer { lock.unlock() }
        var target = path
        var info = stat()
        if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                var buffer = [CChar](repeating: 0, count: 4097)
                let n = readlink(path, &buffer, 4096)
                let dest = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
                throw FileWriteError(path: path, reason: "a symbolic link to a missing file (\(Printable.escape(dest))); "
                                     + "write to the link's target path, or remove the link")
            }
            target = String(cString: resolved)
            free(resolved)
        }
        var existingMode: mode_t?
        if stat(target, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw FileWriteError(path: path, reason: "is a directory") }
            if type != S_IFREG { throw FileWriteError(path: path, reason: "exists and is not a regular file") }
            existingMode = info.st_mode & 0o7777
        }
        let dir = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileWriteError(path: path, reason: "folder \(Printable.escape(dir)) does not exist")
        }
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<16 {
            temp = dir + "/.rtf-" + randomName() + ".tmp"
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        let debugSignal = debugSignalRequested()
        SignalCleanup.begin(temp)
        defer { SignalCleanup.end() }
        if let existingMode { fchmod(fd, existingMode) }
        if let debugSignal { raise(debugSignal) }
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
        if failure == nil && rename(temp, target) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temp)
            throw FileWriteError(path: path, reason: failure)
        }
    }

    /// Writes UTF-8 text (see `write(_:to:)`).
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    private static let lock = NSLock()

    private static func randomName() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// `RTFORMER_DEBUG_WRITE_SIGNAL=TERM|INT` (test switch): that signal is raised once the
    /// temporary file exists, to check that it is removed. The signal is given its default
    /// action and unblocked first, as a test runner may have it ignored or blocked.
    private static func debugSignalRequested() -> Int32? {
        guard let s = ProcessInfo.processInfo.environment["RTFORMER_DEBUG_WRITE_SIGNAL"] else { return nil }
        let number: Int32
        switch s {
        case "TERM": number = SIGTERM
        case "INT": number = SIGINT
        default: return nil
        }
        signal(number, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        return number
    }
}

/// The temporary file of the write in progress, removed by a signal handler if the process is
/// ended by a signal meanwhile. Global because a signal handler captures nothing; the path is a
/// C string allocated before the handler is installed (the handler allocates nothing).
private enum SignalCleanup {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?
    /// Fixed buffers (one slot per signal) so that the handler reads and writes without
    /// touching Swift arrays.
    nonisolated(unsafe) static let previous: UnsafeMutablePointer<sigaction> = {
        let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 4)
        p.initialize(repeating: sigaction(), count: 4)
        return p
    }()
    nonisolated(unsafe) static let installed: UnsafeMutablePointer<Bool> = {
        let p = UnsafeMutablePointer<Bool>.allocate(capacity: 4)
        p.initialize(repeating: false, count: 4)
        return p
    }()
    nonisolated(unsafe) static let signalNumbers: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 4)
        for (i, s) in signals.enumerated() { p[i] = s }
        return p
    }()

    static func begin(_ temp: String) {
        path = strdup(temp)
        _ = signalNumbers
        for i in 0..<4 {
            let s = signalNumbers[i]
            var current = sigaction()
            sigaction(s, nil, &current)
            // An ignored signal stays ignored: it ends nothing, so there is nothing to clean.
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = removeTempAndPassOn
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(SA_NODEFER)
            previous[i] = current
            installed[i] = true
            sigaction(s, &action, nil)
        }
    }

    static func end() {
        for i in 0..<4 where installed[i] {
            sigaction(signalNumbers[i], previous + i, nil)
            installed[i] = false
        }
        free(path)
        path = nil
    }
}

/// Async-signal-safe: `unlink` the temporary file, put the previous disposition back and raise
/// the signal again, so it does what it would have done without the write (end the process, or
/// run the explorer's terminal-restoring handler).
private func removeTempAndPassOn(_ signalNumber: Int32) {
    if let p = SignalCleanup.path { unlink(p) }
    for i in 0..<4 where SignalCleanup.signalNumbers[i] == signalNumber && SignalCleanup.installed[i] {
        sigaction(signalNumber, SignalCleanup.previous + i, nil)
        SignalCleanup.installed[i] = false
    }
    raise(signalNumber)
}
