import ArgumentParser
import Foundation
import RTFormer

/// `rtformer convert`: saves the deploy (re-parameterized) checkpoint of unfused weights.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save the deploy checkpoint (SPEC R14 keys) of unfused weights.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Output safetensors file.")
    var out: String

    @Option(name: .long, help: "Threshold fold: exact | paper.")
    var fold: ThresholdFoldMode = .exact

    func run() throws {
        do {
            let config = try model.config()
            let nets = try model.networks(config: config, deploy: true, fold: fold)
            guard nets.unfused != nil else { fail("\(model.weights ?? "") is already a deploy checkpoint") }
            let deploy = nets.deploy!
            try deploy.save(to: out, metadata: ["fold": fold.rawValue, "source": model.weights ?? "seeded init"])
            print("wrote \(out): deploy model \(config.name), fold \(fold.rawValue), \(grouped(deploy.parameterCount)) parameters")
        } catch {
            fail("\(error)")
        }
    }
}
