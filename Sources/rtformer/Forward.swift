import ArgumentParser
import Foundation
import RTFormer

/// `rtformer forward`: runs the model and dumps logits and every LIF's spikes, H and V.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a forward pass and dump logits and every LIF's spikes/h/v as safetensors.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(name: .long, parsing: .unconditional, help: "Timesteps T (a new T is a new model: TSBN parameters are per t).")
    var timesteps: Int?

    @Flag(name: .long, help: "Run the re-parameterized (deploy) model.")
    var deploy = false

    @Option(name: .long, help: "Threshold fold of the deploy model: exact | paper (default exact; needs --deploy).")
    var fold: ThresholdFoldMode?

    @Option(name: .long, help: "Output safetensors: `logits` [B, classes], `<lif>.spikes/.h/.v` [T, B, ...], and per block `<block>.attn.attention`/`.qk_counts` [T, B, heads, N, N] (SSA) or `<block>.attn.kv_sum`/`.kv_mask` (SDSA).")
    var dump: String

    func run() throws {
        do {
            if fold != nil && !deploy { throw ValidationError("--fold applies to the deploy model: add --deploy") }
            let resolved = try model.resolve(timesteps: timesteps)
            let config = resolved.config
            let x = try input.encoded(for: config)
            let nets = try model.networks(resolved, deploy: deploy, fold: fold ?? .exact)
            let net = (deploy ? nets.deploy : nets.unfused)!
            // A deploy checkpoint carries its fold (written by `convert`); it cannot be refolded.
            var foldUsed = deploy ? (fold ?? .exact).rawValue : "none"
            if deploy && nets.unfused == nil, let w = model.weights {
                let recorded = (try? Safetensors.read(path: try BundledResources.locate(w, as: .weights)))?.metadata["fold"]
                if let f = fold, let recorded, recorded != f.rawValue {
                    throw ValidationError("\(w) is a deploy checkpoint converted with fold \(recorded): drop --fold, or convert the unfused weights with --fold \(f.rawValue)")
                }
                foldUsed = recorded ?? "unknown (deploy checkpoint without fold metadata)"
            }
            let rec = Recorder()
            let logits = try net.forward(x.input, kind: x.kind, recorder: rec)
            var tensors: [(String, Tensor)] = [("logits", logits)]
            for path in rec.lifOrder {
                let r = rec.lifs[path]!
                tensors.append(("\(path).spikes", r.tensor(\.spikes)))
                tensors.append(("\(path).h", r.tensor(\.h)))
                tensors.append(("\(path).v", r.tensor(\.v)))
                if r.hHat != nil { tensors.append(("\(path).h_hat", r.comparedTensor)) }
            }
            // Per block: SSA `attn.attention` (scaled) and `attn.qk_counts`, SDSA `attn.kv_sum` and `attn.kv_mask`.
            tensors += rec.attentionDumpTensors
            try Safetensors.write(tensors, metadata: ["model": config.name, "flavour": net.flavour.rawValue,
                                                      "fold": foldUsed,
                                                      "lif_order": jsonString(rec.lifOrder)], to: dump)
            let top = (0..<logits.shape[0]).map { b -> String in
                let row = Array(logits.storage[(b * logits.shape[1])..<((b + 1) * logits.shape[1])])
                return String(row.firstIndex(of: row.max()!)!)
            }
            print("wrote \(dump): logits \(logits.shape), \(rec.lifOrder.count) LIF layers; top-1 per sample: \(top.joined(separator: " "))")
        } catch {
            fail("\(error)")
        }
    }
}
