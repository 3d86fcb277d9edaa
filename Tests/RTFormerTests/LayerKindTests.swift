import Foundation
import Testing
@testable import RTFormer

/// `LayerKind` (issue 10): every case's table text, and the kinds the family walks give.
@Suite struct LayerKindTests {
    /// The text each kind showed when it was a `String`: `rtformer info`, transcripts and
    /// snapshots depend on it, so it is compared exactly.
    static let texts: [(LayerKind, String)] = [
        (.conv(kernelH: 3, kernelW: 3, depthwise: false, folded: nil), "Conv2d 3×3"),
        (.conv(kernelH: 1, kernelW: 3, depthwise: true, folded: nil), "DWConv2d 1×3"),
        (.conv(kernelH: 1, kernelW: 1, depthwise: false, folded: .affine), "Conv2d 1×1 + affine(t,c)"),
        (.conv(kernelH: 3, kernelW: 3, depthwise: false, folded: .batchNorm), "Conv2d 3×3 (BN folded)"),
        (.linear(folded: nil), "Linear"),
        (.linear(folded: .batchNorm), "Linear (BN folded)"),
        (.tsbn(identityBranch: false), "TSBN"),
        (.tsbn(identityBranch: true), "TSBN (identity branch)"),
        (.batchNorm1d, "BatchNorm1d"),
        (.batchNorm2d, "BatchNorm2d"),
        (.lif(.plain, vThreshold: 1), "LIF"),
        (.lif(.plain, vThreshold: 0.5), "LIF V_th 0.5"),
        (.lif(.tsbnMembrane, vThreshold: 1), "TSBN-LIF"),
        (.lif(.tsbnMembrane, vThreshold: 0.5), "TSBN-LIF V_th 0.5"),
        (.lif(.foldedThreshold, vThreshold: 1), "LIF θ(t,c)"),
        (.lif(.foldedThreshold, vThreshold: 0.5), "LIF θ(t,c) V_th 0.5"),
        (.maxPool(kernel: 3, stride: 2, padding: 1), "MaxPool 3/2/1"),
        (.repDW5(fused: false), "RepDW5 Σ5 branches (fused FL)"),
        (.repDW5(fused: true), "DWConv2d 3×3 per t (RepDW5 fused)"),
        (.featureSum(.stcore), "x_feat + STCore"),
        (.featureSum(.rpe), "x_feat + rpe"),
        (.sewTokens, "rpe spikes + x_feat → tokens (SEW)"),
        (.sdsa, "SDSA Σ_N K⊙V"),
        (.ssa, "SSA (q·kᵀ·0.125)·v"),
        (.unusedConv1d, "Conv1d (built, unused by forward)"),
        (.spatialMean, "mean over H′W′"),
        (.tokenMean, "mean over tokens"),
        (.head(onMeanOverT: false), "Linear"),
        (.head(onMeanOverT: true), "Linear (on mean over T)"),
    ]

    @Test func descriptionsAreTheTableTexts() {
        for (kind, text) in Self.texts { #expect(kind.description == text) }
        #expect("\(LayerKind.lif(.tsbnMembrane, vThreshold: 1))" == "TSBN-LIF")
    }

    @Test func onlyNeuronsHaveANeuronForm() {
        for (kind, _) in Self.texts {
            if case let .lif(n, _) = kind { #expect(kind.neuron == n) } else { #expect(kind.neuron == nil) }
        }
    }

    @Test func tinyTwinsCarryTypedKinds() throws {
        let net = try Network(config: try ModelConfig.load("tiny"))
        func kind(_ n: Network, _ path: String) -> LayerKind? { n.layers.first { $0.path == path }?.kind }
        #expect(kind(net, "patch_embed.proj_conv") == .conv(kernelH: 3, kernelW: 3, depthwise: false, folded: nil))
        #expect(kind(net, "patch_embed.stcore.lif") == .lif(.tsbnMembrane, vThreshold: 1))
        #expect(kind(net, "patch_embed.stcore.rep.k13") == .conv(kernelH: 1, kernelW: 3, depthwise: true, folded: nil))
        #expect(kind(net, "patch_embed.stcore.rep") == .repDW5(fused: false))
        #expect(kind(net, "block.0.attn.kv_lif") == .lif(.plain, vThreshold: 0.5))
        #expect(kind(net, "head") == .head(onMeanOverT: false))
        // Exactly one TSBN-LIF in tiny (membrane_tsbn "stcore").
        #expect(net.layers.filter { $0.kind.neuron == .tsbnMembrane }.map(\.path) == ["patch_embed.stcore.lif"])
        let deploy = try DeployConversion.convert(net, fold: .exact)
        #expect(kind(deploy, "patch_embed.proj_conv") == .conv(kernelH: 3, kernelW: 3, depthwise: false, folded: .affine))
        #expect(kind(deploy, "patch_embed.stcore.lif") == .lif(.foldedThreshold, vThreshold: 1))
        #expect(kind(deploy, "patch_embed.stcore.rep") == .repDW5(fused: true))
    }

    @Test func spikformerAndSDTKinds() throws {
        let spikformer = try Network(config: try ModelConfig.load("spikformer-tiny"))
        #expect(spikformer.layers.first { $0.path == "block.0.attn.q_linear" }?.kind == .linear(folded: nil))
        #expect(spikformer.layers.first { $0.path == "block.0.attn.q_bn" }?.kind == .batchNorm1d)
        #expect(spikformer.layers.first { $0.path == "block.0.attn.ssa" }?.kind == .ssa)
        #expect(spikformer.layers.first { $0.path == "head" }?.kind == .head(onMeanOverT: true))
        let sdt = try Network(config: try ModelConfig.load("sdt-tiny"))
        #expect(sdt.layers.first { $0.path == "patch_embed.out" }?.kind == .featureSum(.rpe))
        #expect(sdt.layers.first { $0.path == "block.0.attn.talking_heads" }?.kind == .unusedConv1d)
        #expect(sdt.layers.first { $0.path == "patch_embed.proj_bn" }?.kind == .batchNorm2d)
    }
}
