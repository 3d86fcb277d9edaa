import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// `rtformer info`: the layer table (path, kind, output shape, params, FL per t) with totals.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the model's layer table (torchinfo-style) with totals, or describe a weights file.",
        discussion: "With --weights and no --model: describe the file without building a model (container, top-level entries, the chosen state_dict, dtypes, parameter count, the config inferred from it, training metadata).")

    @OptionGroup var model: ModelOptions

    @Flag(name: .long, help: "Deploy (re-parameterized) layout.")
    var deploy = false

    @Flag(name: .long, help: "JSON: {\"parameters\", \"unused_parameters\", \"layers\": [...]}; for a weights file {\"container\", \"entries\", \"state_dict\", \"config\", ...}.")
    var json = false

    func run() throws {
        do {
            if let file = model.weights, model.model == nil, !deploy {
                let ckpt = try CheckpointFile.loadStateDict(path: try BundledResources.locate(file, as: .weights), selection: try model.selection())
                let d = CheckpointDescription(file: file, checkpoint: ckpt, heads: model.heads)
                if json { print(jsonString(d.json)) } else { d.lines.forEach { print($0) } }
                return
            }
            let resolved = try model.resolve()
            let config = resolved.config
            let nets = try model.networks(resolved, deploy: deploy, fold: .exact, calibrate: false)
            let net = (deploy ? nets.deploy : nets.unfused)!
            if json {
                let layers: [[String: Any]] = net.layers.map { l in
                    ["path": l.path, "kind": l.kind.description, "input_shape": l.inputShape, "output_shape": l.outputShape,
                     "params": l.parameterCount, "fl_per_t": l.flPerTimestep, "binary_input": l.inputIsBinary,
                     "operation": l.operation.rawValue, "keys": l.parameters.map(\.key)]
                }
                print(jsonString(["model": config.name, "family": config.family.rawValue, "flavour": net.flavour.rawValue,
                                  "T": config.timesteps, "parameters": net.parameterCount,
                                  "unused_parameters": net.unusedParameterCount, "layers": layers]))
                return
            }
            print("model \(config.name) (\(config.family.rawValue), \(net.flavour.rawValue)), T = \(config.timesteps), input [\(config.timesteps), B, \(config.inChannels), \(config.imgSize), \(config.imgSize)]")
            let rows = net.layers.map { l -> [String] in
                ["\(l.path)", l.kind.description, "[T, B, " + l.outputShape.map(String.init).joined(separator: ", ") + "]",
                 l.parameterCount == 0 ? "-" : Fmt.int(l.parameterCount), l.flPerTimestep == 0 ? "-" : Fmt.int(l.flPerTimestep),
                 l.operation == .none ? "" : l.operation.rawValue]
            }
            let header = ["layer (module path)", "kind", "output shape", "params", "FL per t", "op"]
            let widths = (0..<header.count).map { c in max(header[c].count, rows.map { $0[c].count }.max() ?? 0) }
            func line(_ r: [String]) -> String {
                (0..<r.count).map { Fmt.pad(r[$0], widths[$0], right: $0 == 3 || $0 == 4) }.joined(separator: "  ")
            }
            print(line(header))
            print(String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
            for r in rows { print(line(r)) }
            print(String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
            let ac = net.layers.filter { $0.operation == .ac }.reduce(0) { $0 + $1.flPerTimestep }
            let mac = net.layers.filter { $0.operation == .mac }.reduce(0) { $0 + $1.flPerTimestep }
            print("parameters: \(Fmt.int(net.parameterCount))" + (net.unusedParameterCount > 0 ? " (+\(Fmt.int(net.unusedParameterCount)) unused: \(net.unusedKeys.count) keys)" : ""))
            print("FL per timestep: MAC \(Fmt.int(mac)), AC \(Fmt.int(ac))")
        } catch {
            fail("\(error)")
        }
    }
}
