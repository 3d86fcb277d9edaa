import Foundation

/// The one place tests find the package and `../shared` (fixtures, data) from: beside the
/// checkout, as CI has it, or `$RTFORMER_SHARED`.
public enum SharedFiles {
    /// The package root (the folder with Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }   // Tests/TestSupport/SharedFiles.swift → root
        return url
    }()

    /// `../shared` beside the checkout, or `$RTFORMER_SHARED`.
    public static let root: String = ProcessInfo.processInfo.environment["RTFORMER_SHARED"]
        ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared").path

    /// A golden fixture file, `shared/fixtures/NAME`.
    public static func fixture(_ name: String) -> String { root + "/fixtures/" + name }

    /// A file under `shared/data`.
    public static func data(_ relative: String) -> String { root + "/data/" + relative }
}
