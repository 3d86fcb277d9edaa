import RTFormer
import RTFormerSession

/// How the explorer opens: a session with its defaults (deploy twin, `input default` = the bundled
/// CIFAR-10 test images); the executable's options choose model, weights and input.
public enum ExplorerSession {
    /// A session with no model yet, ready for `model tiny` / `input default`.
    public static func make() -> Session { Session() }

    /// The command that selects the first TSBN-LIF of the model (so the membrane and TSBN panes
    /// both have something to show on start), or nil when there is none.
    public static func initialLayerCommand(in session: Session) -> String? {
        guard let layer = session.unfused?.layers.first(where: { $0.kind.neuron == .tsbnMembrane }) else { return nil }
        return "layer \(layer.path)"
    }
}
