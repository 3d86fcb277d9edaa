import Foundation
import RTFormerSession
import RTFormerTUI
import Testing

/// The explorer as `rtformer` opens it: tiny model, seeded weights (or the trained tiny weights of
/// `../shared/fixtures`, which spike), bundled CIFAR-10 image 0, the first TSBN-LIF selected.
struct ExplorerFixture {
    let session: Session
    var app: ExplorerApp

    /// The trained `tiny` checkpoint beside the checkout (`RTFORMER_SHARED` overrides `../shared`).
    static let trainedWeights: String = {
        if let env = ProcessInfo.processInfo.environment["RTFORMER_SHARED"] { return env + "/fixtures/rtformer_tiny.safetensors" }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/fixtures/rtformer_tiny.safetensors").path
    }()

    static var hasTrainedWeights: Bool { FileManager.default.fileExists(atPath: trainedWeights) }

    init(size: Size = Size(width: 120, height: 40), panes: Set<ExplorerPane>? = nil, trained: Bool = false) {
        session = ExplorerSession.make()
        let weights = trained ? Self.trainedWeights : nil
        for line in ExplorerSession.preamble(model: nil, weights: weights, input: nil, index: nil) {
            let result = session.execute(line: line)
            precondition(result.error == nil, "\(line): \(result.error ?? "")")
        }
        if let line = ExplorerSession.initialLayerCommand(in: session) { session.execute(line: line) }
        app = panes.map { ExplorerApp(size: size, panes: $0) } ?? ExplorerApp(size: size)
    }

    /// Presses `keys` in order.
    mutating func press(_ keys: Key...) {
        for key in keys { app.handle(key, session: session) }
    }

    /// Types each character of `text` as a key.
    mutating func type(_ text: String) {
        for ch in text { app.handle(.character(ch), session: session) }
    }

    func render(_ appearance: Appearance = .standard) -> Screen {
        ExplorerRenderer.render(app, session: session, size: app.size, appearance: appearance)
    }
}
