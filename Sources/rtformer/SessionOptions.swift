import ArgumentParser
import RTFormer
import RTFormerSession

/// `--model`, `--weights`, `--input`, `--index` shared by `repl` and `replay` (DESIGN §6).
struct SessionOptions: ParsableArguments {
    @Option(name: .long, help: "Model config name or JSON file.")
    var model: String?

    @Option(name: .long, help: "Weights: safetensors or PyTorch .pth/.pt (state_dict or checkpoint), `digits` (bundled trained tiny, the default) or `demo`.")
    var weights: String?

    @Option(name: .long, help: "Input: CIFAR .bin, PNG/JPEG/PPM, event file, .npy/.pth/safetensors tensor, `digits` (bundled test digits, the default) or `default` (bundled CIFAR-10).")
    var input: String?

    @Option(name: .long, parsing: .unconditional, help: "Sample index in the input file.")
    var index: Int?

    @Option(name: .long, help: ArgumentHelp("Read --input as this format instead of recognising it.", valueName: InputOptions.formatNames))
    var format: String?

    @OptionGroup var choice: WeightChoiceOptions

    @Flag(name: .long, help: "Without --weights: seeded weights with running statistics 0/1 instead of the trained default.")
    var uncalibrated = false

    /// The commands these options stand for, in order. With `defaults`, what is not given comes
    /// from the built-in default (DESIGN §6): the tiny model with the bundled trained digits
    /// weights (`load weights digits`) on bundled test digit 0, classified correctly
    /// (`input digits`; `--index k` picks digit k). Another model without weights is seeded; the
    /// session calibrates its BN/TSBN statistics on the bundled samples before the first input
    /// runs, as every subcommand does (uncalibrated seeded weights leave nearly every neuron
    /// silent), unless `--uncalibrated`. Its input is `input default`: the first bundled CIFAR-10
    /// image, or the bundled DVS Gesture window for event (2-channel) models, whichever model the
    /// weights file turns out to hold. The digits weights, given by name, also default the input
    /// to `digits`.
    func preamble(defaults: Bool) -> [String] {
        var lines: [String] = []
        // The trained digits model is the default for tiny (its only config); weights without
        // --model bring their own config (`load weights` rebuilds the model).
        let trainedDefault = defaults && weights == nil && !uncalibrated && (model ?? "tiny") == "tiny"
        let digits = trainedDefault || weights == "digits"
        let modelLine = { (name: String) in "model \(quoted(name))" + (uncalibrated && weights == nil ? " uncalibrated" : "") }
        if let model { lines.append(modelLine(model)) } else if defaults && (weights == nil || digits) { lines.append(modelLine("tiny")) }
        if let weights {
            lines.append("load weights \(quoted(weights))" + choice.sessionOptions)
        } else if trainedDefault {
            lines.append("load weights digits")
        }
        if let input {
            lines.append("input \(quoted(input))" + (index.map { " index \($0)" } ?? "") + (format.map { " format \($0)" } ?? ""))
        } else if defaults {
            lines.append("input \(digits ? "digits" : "default")" + (index.map { " index \($0)" } ?? ""))
        }
        return lines
    }

    private func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }

    /// Runs the preamble in `session`.
    /// - Returns: the error messages of failed preamble commands.
    func apply(to session: Session, defaults: Bool = false) -> [String] {
        preamble(defaults: defaults).compactMap { session.execute(line: $0, lineNumber: 0).error }
    }
}
