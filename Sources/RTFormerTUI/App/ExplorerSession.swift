import RTFormer
import RTFormerSession

/// How the explorer opens: the session's defaults (deploy twin, `input default` = the bundled
/// CIFAR-10 test images) with the tiny model on image 0 unless told otherwise.
public enum ExplorerSession {
    /// A session with no model yet, ready for `model tiny` / `input default`.
    public static func make() -> Session { Session() }

    /// The command lines that set up the default view: `model tiny`, `input default` (or the
    /// given model, weights and input).
    public static func preamble(model: String?, weights: String?, input: String?, index: Int?) -> [String] {
        var lines = ["model \(quoted(model ?? "tiny"))"]
        if let weights { lines.append("load weights \(quoted(weights))") }
        lines.append("input \(quoted(input ?? "default"))" + (index.map { " index \($0)" } ?? ""))
        return lines
    }

    /// The command that selects the first TSBN-LIF of the model (so the membrane and TSBN panes
    /// both have something to show on start), or nil when there is none.
    public static func initialLayerCommand(in session: Session) -> String? {
        guard let layer = session.unfused?.layers.first(where: { $0.isNeuron && $0.kind.contains("TSBN") }) else { return nil }
        return "layer \(layer.path)"
    }

    private static func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }
}
