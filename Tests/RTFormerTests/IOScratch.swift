import Foundation

/// Sample inputs under `../shared/data` and scratch copies of them for corruption tests.
enum IOScratch {
    static func data(_ name: String) -> String { Fixtures.sharedRoot + "/data/" + name }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Writes `bytes` to a fresh file in the temporary directory and returns its path.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-io-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The files of a folder under `../shared/data` whose names end with `suffix`, sorted.
    static func files(_ folder: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: data(folder)).filter { $0.hasSuffix(suffix) }.sorted()
            .map { data(folder) + "/" + $0 }
    }
}
