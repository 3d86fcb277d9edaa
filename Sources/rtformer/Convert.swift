import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// `rtformer convert`: saves the deploy (re-parameterized) checkpoint of unfused weights.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save the deploy checkpoint (folded parameter names) of unfused weights.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Output safetensors file.")
    var out: String

    @Option(name: .long, help: "Threshold fold: exact | paper.")
    var fold: ThresholdFoldMode = .exact

    @Flag(name: .long, help: "Write the unfused weights under the canonical keys (after --ema/--key/--key-map and prefix stripping) with the config in the metadata, instead of the deploy model.")
    var canonical = false

    func run() throws {
        do {
            let resolved = try model.resolve()
            let config = resolved.config
            if canonical {
                guard resolved.checkpoint != nil else { throw ValidationError("--canonical rewrites a weights file: add --weights") }
                let nets = try model.networks(resolved, deploy: false, fold: fold)
                guard let unfused = nets.unfused else { fail("\(model.weights ?? "") is a deploy checkpoint: it is already canonical") }
                try unfused.save(to: out, metadata: ["source": model.weights ?? ""])
                print("wrote \(out): unfused model \(config.name), \(unfused.parameterKeys.count) tensors under canonical keys, config in the metadata")
                return
            }
            let nets = try model.networks(resolved, deploy: true, fold: fold)
            guard nets.unfused != nil else { fail("\(model.weights ?? "") is already a deploy checkpoint") }
            let deploy = nets.deploy!
            try deploy.save(to: out, metadata: ["fold": fold.rawValue, "source": model.weights ?? "seeded init"])
            print("wrote \(out): deploy model \(config.name), fold \(fold.rawValue), \(Fmt.int(deploy.parameterCount)) parameters")
        } catch {
            fail("\(error)")
        }
    }
}
