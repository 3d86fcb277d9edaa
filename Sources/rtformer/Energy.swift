import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// `rtformer energy`: SOPs and energy per layer (SPEC §9).
struct Energy: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Estimate SOPs and energy per layer (E_MAC 4.6 pJ, E_AC 0.9 pJ).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions

    @Flag(name: .long, help: "Use the deploy model.")
    var deploy = false

    @Flag(name: .long, help: "JSON report.")
    var json = false

    func run() throws {
        do {
            let resolved = try model.resolve()
            let config = resolved.config
            let x = try input.encoded(for: config)
            let nets = try model.networks(resolved, deploy: deploy, fold: .exact)
            let net = (deploy ? nets.deploy : nets.unfused)!
            let rec = Recorder()
            _ = try net.forward(x.input, kind: x.kind, recorder: rec)
            let e = EnergyReport(layers: net.layers, recorder: rec, timesteps: config.timesteps)
            if json {
                print(jsonString([
                    "model": config.name, "flavour": net.flavour.rawValue,
                    "layers": e.layers.map { l in
                        ["path": l.path, "kind": l.operation.rawValue, "fl_per_t": l.flPerTimestep,
                         "fr": (l.rates as Any?) ?? NSNull(), "sop": (l.sop as Any?) ?? NSNull(), "energy_pJ": l.energyPJ] as [String: Any]
                    },
                    "total_mJ": e.totalMJ, "total_mJ_conv0_xT": e.totalMJConv0TimesT, "sop": e.sop,
                    "ac_fl_per_t": e.acFLPerTimestep, "non_binary_mac_layers": e.nonBinaryMACLayers,
                ]))
                return
            }
            print("energy per sample, \(config.name) (\(net.flavour.rawValue)), T = \(config.timesteps); E_MAC 4.6 pJ, E_AC 0.9 pJ")
            print(Fmt.pad("layer", 28) + "  kind  " + Fmt.pad("FL per t", 13, right: true) + "  fr per t" + String(repeating: " ", count: 24)
                  + Fmt.pad("SOP", 12, right: true) + Fmt.pad("energy pJ", 14, right: true))
            for l in e.layers {
                let fr = l.rates.map { $0.map { String(format: "%.4f", $0) }.joined(separator: " ") } ?? "-"
                print(Fmt.pad(l.path, 28) + "  " + Fmt.pad(l.operation.rawValue, 4) + "  " + Fmt.pad(Fmt.int(l.flPerTimestep), 13, right: true)
                      + "  " + Fmt.pad(fr, 32) + Fmt.pad(l.sop.map { String(format: "%.1f", $0) } ?? "-", 12, right: true)
                      + Fmt.pad(String(format: "%.1f", l.energyPJ), 14, right: true))
            }
            print(String(format: "total: %.4f µJ = %.6f mJ (conv0 counted once); %.4f µJ with conv0 × T; SOP %.0f; AC FL per t %@",
                         e.totalPJ * 1e-6, e.totalMJ, e.totalPJConv0TimesT * 1e-6, e.sop, Fmt.int(e.acFLPerTimestep)))
            if !e.nonBinaryMACLayers.isEmpty {
                print("counted as MAC (input not binary): " + e.nonBinaryMACLayers.joined(separator: ", "))
            }
        } catch {
            fail("\(error)")
        }
    }
}
