import RTFormer
import RTFormerSession

/// The session the explorer opens on: the deploy twin built by `DeployConversion.convert`, and
/// `input default` bound to the first bundled CIFAR-10 test image.
public enum ExplorerSession {
    /// A session with no model yet, ready for `model tiny` / `input default`.
    public static func make(baseDirectory: String? = nil) -> Session {
        let deployBuilder: DeployBuilder = Session.defaultDeployBuilder ?? { net, fold in try DeployConversion.convert(net, fold: fold) }
        if let baseDirectory {
            return Session(defaultInput: bundledInput(index: 0), deployBuilder: deployBuilder, baseDirectory: baseDirectory)
        }
        return Session(defaultInput: bundledInput(index: 0), deployBuilder: deployBuilder)
    }

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

    /// Bundled CIFAR-10 test image `index` (0…9) as a normalised `[3, 32, 32]` sample.
    public static func bundledInput(index: Int) -> LoadedInput {
        let size = 3073
        let records = BundledSamples.cifar10TestRecords
        let record = records[(index * size)..<((index + 1) * size)]
        let bytes = Array(record)
        // SPEC R19 normalisation, the same as the session's CIFAR reader (CIFARBinaryInput):
        // per-channel mean and std, in Float64, rounded once to Float32.
        let mean = [0.4914, 0.4822, 0.4465], std = [0.2470, 0.2435, 0.2616]
        var pixels = [Float](repeating: 0, count: 3 * 1024)
        for c in 0..<3 {
            for i in 0..<1024 {
                pixels[c * 1024 + i] = Float((Double(bytes[1 + c * 1024 + i]) / 255 - mean[c]) / std[c])
            }
        }
        return LoadedInput(name: "cifar10-test#\(index)", sample: Tensor(shape: [3, 32, 32], storage: pixels),
                           label: Int(bytes[0]), classNames: BundledSamples.cifar10ClassNames)
    }

    private static func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }
}
