import Foundation
@testable import RTFormer

/// Locates `../shared/fixtures` (beside the checkout; CI has it there too).
enum Fixtures {
    static let sharedRoot: String = {
        if let env = ProcessInfo.processInfo.environment["RTFORMER_SHARED"] { return env }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }   // Tests/RTFormerTests/Fixtures.swift → package root
        return url.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    static func path(_ name: String) -> String { sharedRoot + "/fixtures/" + name }

    /// Loads and merges several fixture files (their keys are unique across files).
    static func load(_ names: String...) throws -> SafetensorsFile {
        var merged = try Safetensors.read(path: path(names[0]))
        for n in names.dropFirst() {
            let f = try Safetensors.read(path: path(n))
            merged.tensors.merge(f.tensors) { a, _ in a }
            merged.keys += f.keys
        }
        return merged
    }
}
