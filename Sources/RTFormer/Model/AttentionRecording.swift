/// What one transformer block's attention computed during a recorded forward, read back from the
/// recorder's stream tensors (`Recorder.streams`), for the attention pane and `forward --dump`.
///
/// * SSA (`spikformer` family, SPEC §7.1): `attention` `[T, B, heads, N, N]` is
///   `(q_h · k_hᵀ)·0.125` per head exactly as the model multiplied it with `v`; q and k are
///   binary, so every value is an integer count (`q·kᵀ`, 0…d_h) times 0.125, and `counts`
///   recovers the integers exactly.
/// * SDSA (`rtformer` and `sdt` families, SPEC R16): `kvSum` is KV = Σ_n (K⊙V) over the N tokens,
///   per channel `c = head·d_h + j`, laid out as the KV neuron's input (`[T, B, D, 1]` for
///   `rtformer`, `[T, B, heads, 1, d_h]` for `sdt`, R2/R17); `kvMask` is that neuron's output
///   M = LIF_kv(KV) (V_th 0.5), the per-channel gate Q is multiplied by, in the same layout.
public struct AttentionRecord: Sendable {
    /// Which attention the block computes.
    public enum Kind: String, Sendable {
        /// Spiking self-attention: a token × token map per head.
        case ssa
        /// Spike-driven self-attention: a per-channel token sum and its mask.
        case sdsa
    }

    /// The fixed SSA scale of the public Spikformer code (SPEC §7.1: 0.125 regardless of d_h).
    public static let ssaScale: Float = 0.125

    /// The block's module path, e.g. `block.0`.
    public var block: String
    public var kind: Kind
    /// SSA: `[T, B, heads, N, N]`, the scaled map (nil for SDSA).
    public var attention: Tensor?
    /// SDSA: KV `[T, B, …]` in the KV neuron's input layout (nil for SSA).
    public var kvSum: Tensor?
    /// SDSA: M = LIF_kv(KV), 0/1, same layout as `kvSum` (nil for SSA).
    public var kvMask: Tensor?

    /// SSA: the integer counts `q·kᵀ` = attention / 0.125, `[T, B, heads, N, N]` (exact: the
    /// scale is a power of two).
    public var counts: Tensor? {
        guard var a = attention else { return nil }
        for i in a.storage.indices { a.storage[i] /= Self.ssaScale }
        return a
    }
}

extension Recorder {
    /// Stream name of an SSA block's scaled map (SPEC R13-style dump key): `<block>.attn.attention`.
    public static func attentionKey(block: String) -> String { block + ".attn.attention" }
    /// Stream name of an SDSA block's token sum KV: `<block>.attn.kv_sum`.
    public static func kvSumKey(block: String) -> String { block + ".attn.kv_sum" }
    /// Stream name of an SDSA block's mask M = LIF_kv(KV): `<block>.attn.kv_mask`.
    public static func kvMaskKey(block: String) -> String { block + ".attn.kv_mask" }
    /// Dump key of the SSA integer counts `q·kᵀ` (`forward --dump`): `<block>.attn.qk_counts`.
    public static func countsKey(block: String) -> String { block + ".attn.qk_counts" }

    /// Blocks with attention recordings, in execution order (`block.0`, `block.1`, …).
    public var attentionBlocks: [String] {
        var blocks: [String] = []
        for name in streamOrder {
            for suffix in [".attn.attention", ".attn.kv_sum"] where name.hasSuffix(suffix) {
                blocks.append(String(name.dropLast(suffix.count)))
            }
        }
        return blocks
    }

    /// The attention recordings of `block` (e.g. `block.0`); nil when the forward recorded none
    /// (no recorder level `.full`, or no such block).
    public func attention(block: String) -> AttentionRecord? {
        if let a = streams[Self.attentionKey(block: block)] {
            return AttentionRecord(block: block, kind: .ssa, attention: a)
        }
        if let kv = streams[Self.kvSumKey(block: block)] {
            return AttentionRecord(block: block, kind: .sdsa, kvSum: kv, kvMask: streams[Self.kvMaskKey(block: block)])
        }
        return nil
    }

    /// The attention tensors `forward --dump` and `export dump` write, every block in order:
    /// SSA `<block>.attn.attention` (scaled) and `<block>.attn.qk_counts`; SDSA
    /// `<block>.attn.kv_sum` and `<block>.attn.kv_mask`. Each `[T, B, …]`.
    public var attentionDumpTensors: [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for block in attentionBlocks {
            guard let r = attention(block: block) else { continue }
            if let a = r.attention, let c = r.counts {
                out.append((Self.attentionKey(block: block), a))
                out.append((Self.countsKey(block: block), c))
            }
            if let kv = r.kvSum { out.append((Self.kvSumKey(block: block), kv)) }
            if let m = r.kvMask { out.append((Self.kvMaskKey(block: block), m)) }
        }
        return out
    }
}
