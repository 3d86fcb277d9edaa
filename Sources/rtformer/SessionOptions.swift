import ArgumentParser
import RTFormerSession

/// `--model`, `--weights`, `--input`, `--index` shared by `repl` and `replay` (DESIGN §6).
struct SessionOptions: ParsableArguments {
    @Option(name: .long, help: "Model config name or JSON file.")
    var model: String?

    @Option(name: .long, help: "Weights (safetensors).")
    var weights: String?

    @Option(name: .long, help: "Input file (CIFAR .bin, safetensors with `input`), or `default`.")
    var input: String?

    @Option(name: .long, help: "Sample index in the input file.")
    var index: Int?

    /// The commands these options stand for, in order.
    var preamble: [String] {
        var lines: [String] = []
        if let model { lines.append("model \(quoted(model))") }
        if let weights { lines.append("load weights \(quoted(weights))") }
        if let input { lines.append("input \(quoted(input))" + (index.map { " index \($0)" } ?? "")) }
        return lines
    }

    private func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }

    /// Runs the preamble in `session`.
    /// - Returns: the error messages of failed preamble commands.
    func apply(to session: Session) -> [String] {
        preamble.compactMap { session.execute(line: $0, lineNumber: 0).error }
    }
}
