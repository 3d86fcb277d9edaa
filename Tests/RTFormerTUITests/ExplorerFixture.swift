import Foundation
import RTFormerSession
import RTFormerTUI
import Testing

/// The explorer on the tiny model and a bundled input with the first TSBN-LIF selected.
struct ExplorerFixture {
    /// Where the weights come from.
    enum Weights {
        /// Seeded and uncalibrated: fast to set up, but every neuron after the first layer is silent.
        case seeded
        /// Seeded weights whose TSBN statistics are calibrated on the bundled images.
        case calibrated
        /// What `rtformer` opens on (`SessionOptions.preamble(defaults:)`): the bundled trained
        /// digits model on bundled test digit 0.
        case digits
        /// The trained tiny checkpoint of `../shared/fixtures`.
        case trained
    }

    let session: Session
    var app: ExplorerApp

    /// The trained `tiny` checkpoint beside the checkout (`RTFORMER_SHARED` overrides `../shared`).
    static var trainedWeights: String { SharedFiles.fixture("rtformer_tiny.safetensors") }

    static var hasTrainedWeights: Bool { FileManager.default.fileExists(atPath: trainedWeights) }

    init(size: Size = Size(width: 120, height: 40), panes: Set<ExplorerPane>? = nil, weights: Weights = .seeded) {
        session = ExplorerSession.make()
        let lines: [String] = switch weights {
        case .seeded: ["model tiny uncalibrated", "input default"]
        case .calibrated: ["model tiny", "calibrate default 10", "input default"]
        case .digits: ["model tiny", "load weights digits", "input digits"]
        case .trained: ["model tiny", "load weights \(Self.trainedWeights)", "input default"]
        }
        for line in lines {
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
