import Foundation
@testable import RTFormer

/// Fixture files of `../shared/fixtures` (located by `SharedFiles`).
enum Fixtures {
    static var sharedRoot: String { SharedFiles.root }

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
