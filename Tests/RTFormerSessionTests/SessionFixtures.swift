import Foundation
import RTFormer
@_exported import TestSupport
import Testing
@testable import RTFormerSession

/// Paths of the package and of `../shared` beside it (or `$RTFORMER_SHARED`).
enum SessionFixtures {
    static var packageRoot: URL { SharedFiles.packageRoot }
    static var sharedRoot: String { SharedFiles.root }

    static var tinyWeights: String { sharedRoot + "/fixtures/rtformer_tiny.safetensors" }
    static var cifarBin: String { sharedRoot + "/data/cifar10/cifar10_test_first10.bin" }

    /// A session on `tiny` with the fixture weights and the bundled image 0, t = 0 computed.
    static func tinySession(extra: [String] = []) throws -> Session {
        let s = Session(baseDirectory: packageRoot.path)
        try run(s, ["model tiny", "load weights \(tinyWeights)", "input default"] + extra)
        return s
    }

    /// Runs lines, failing the test on the first error.
    static func run(_ s: Session, _ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for l in lines {
            let r = s.execute(line: l)
            if let e = r.error {
                Issue.record("'\(l)': \(e)", sourceLocation: sourceLocation)
                throw SessionError.noInput
            }
        }
    }

    /// `[T, 1, C, H, W]`: bundled record 0 repeated over T, as the session encodes it.
    static func bundledInput(timesteps: Int) throws -> Tensor {
        try BundledInputSource().load(path: "default", index: 0, timesteps: timesteps, size: 32).encoded
    }

    /// The fixture checkpoint without its `weights.` prefix.
    static func tinyStateDict() throws -> StateDict {
        let f = try Safetensors.read(path: tinyWeights)
        var d: StateDict = [:]
        for (k, v) in f.tensors where k.hasPrefix("weights.") { d[String(k.dropFirst("weights.".count))] = v }
        return d
    }
}
