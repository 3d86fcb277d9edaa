import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Issue 14 point 1: `show attention [head h] [token n]`, `token`, `head`, the attention view
/// model, its export, and the dump keys.
@Suite struct AttentionSessionTests {
    @Test func parsesTheAttentionCommands() throws {
        #expect(try CommandParser.parse("show attention") == .showAttention(head: nil, token: nil))
        #expect(try CommandParser.parse("show attention head 2 token 17") == .showAttention(head: 2, token: 17))
        #expect(try CommandParser.parse("show attention token 3") == .showAttention(head: nil, token: 3))
        #expect(try CommandParser.parse("show rates") == .show(.rates))
        #expect(try CommandParser.parse("token 5") == .token(5))
        #expect(try CommandParser.parse("token up") == .tokenMove(dy: -1, dx: 0))
        #expect(try CommandParser.parse("token right") == .tokenMove(dy: 0, dx: 1))
        #expect(try CommandParser.parse("head 3") == .head(3))
        #expect(try CommandParser.parse("head next") == .headStep(1))
        #expect(try CommandParser.parse("head prev") == .headStep(-1))
        #expect(throws: ParseError.self) { try CommandParser.parse("show attention head") }
        #expect(throws: ParseError.self) { try CommandParser.parse("show attention row 2") }
        #expect(throws: ParseError.self) { try CommandParser.parse("head sideways") }
    }

    /// SDSA (rtformer tiny, fixture weights): the view is the recorder's KV and mask, the token
    /// map counts K⊙V spikes, the gate is Q ⊙ M.
    @Test func sdsaViewReadsTheRecordings() throws {
        let s = try SessionFixtures.tinySession(extra: ["run", "layer block.0.attn.q_lif", "goto t=1"])
        let out = s.execute(line: "show attention head 1 token 9")
        #expect(out.error == nil, "\(out.error ?? "")")
        #expect(out.output.hasPrefix("attention block.0 (SDSA"))
        #expect(out.output.contains("head 1/4 (channels 16…31)") && out.output.contains("token 9 (y 1, x 1)"))
        #expect(s.cursor.head == 1 && s.cursor.token == 9)
        let v = try s.attentionView()
        #expect(v.kind == .sdsa && v.heads == 4 && v.channelsPerHead == 16 && v.tokens == 64 && v.gridRows == 8 && v.gridColumns == 8)
        let record = try #require(s.unfusedRecorder.attention(block: "block.0"))
        let kv = try #require(record.kvSum), m = try #require(record.kvMask)
        #expect(v.kvSum.flatMap { $0 } == Array(kv.storage[64..<128]), "t = 1 of [T, 1, 64, 1]")
        #expect(v.mask.flatMap { $0 } == m.storage[64..<128].map { $0 != 0 })
        // Token map: K⊙V spikes of each token over head 1's channels; summed over the tokens it is KV.
        #expect(v.tokenMap.reduce(0, +) == v.kvSum[1].reduce(0, +))
        let q = try #require(s.unfusedRecorder.lifs["block.0.attn.q_lif"])
        #expect(v.query == (16..<32).map { c in q.spikes[1 * q.perStep + c * 64 + 9] != 0 })
        #expect(v.gate == v.query.indices.map { v.query[$0] && v.mask[1][$0] })
    }

    /// SSA (spikformer tiny, fixture weights): the view's counts are the recorded map / 0.125,
    /// its token map the selected row.
    @Test func ssaViewReadsTheRecordings() throws {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model spikformer-tiny", "load weights \(SessionFixtures.sharedRoot)/fixtures/spikformer_tiny.safetensors",
                                    "input default", "run", "layer block.0.attn.k_lif", "head 2", "token 10", "token down", "token left"])
        #expect(s.cursor.token == 17)
        let v = try s.attentionView()
        #expect(v.kind == .ssa && v.head == 2 && v.token == 17 && v.tokens == 64 && v.t == 3)
        let a = try #require(s.unfusedRecorder.attention(block: "block.0")?.attention)
        #expect(a.shape == [4, 1, 4, 64, 64])
        let base = (3 * 4 + 2) * 64 * 64
        #expect(v.counts.map { Float($0) * 0.125 } == Array(a.storage[base..<(base + 4096)]))
        #expect(v.tokenMap == Array(a.storage[(base + 17 * 64)..<(base + 18 * 64)]))
        #expect(v.counts.contains { $0 > 0 })
        let text = TextRender.attention(v)
        #expect(text.hasPrefix("attention block.0 (SSA, (q·kᵀ)·0.125) · head 2/4 · t 3 · token 17 (y 2, x 1)"))
        // CSV: the head's N×N map at t, count and scaled value.
        let rows = try s.csv(of: .attention).split(separator: "\n")
        #expect(rows.first == "query,key,count,attention")
        #expect(rows.count == 1 + 64 * 64)
        #expect(rows[1 + 17 * 64 + 5] == "17,5,\(v.counts[17 * 64 + 5]),\(Float(v.counts[17 * 64 + 5]) * 0.125)")
    }

    @Test func badHeadsAndTokensAreOneLine() throws {
        let s = try SessionFixtures.tinySession()
        for line in ["head 4", "show attention head 9", "show attention token 64", "token 5000"] {
            let r = s.execute(line: line)
            let e = try #require(r.error, "\(line) should fail")
            #expect(!e.contains("\n") && e.contains("out of range"), "\(line): \(e)")
        }
        #expect(s.execute(line: "head next").error == nil && s.execute(line: "head next").error == nil)
        #expect(s.execute(line: "head next").error == nil && s.execute(line: "head next").error == nil)
        #expect(s.cursor.head == 3, "clamped at the last head")
        #expect(s.execute(line: "token up").error == nil && s.cursor.token == 0, "clamped at the grid's edge")
        // `show attention` with a selection is saved; without one it is not.
        _ = s.execute(line: "show attention")
        _ = s.execute(line: "show attention token 3")
        #expect(s.history.suffix(2) == ["token up", "show attention token 3"])
    }

    /// `export dump` writes the attention keys beside the LIF ones.
    @Test func dumpHasTheAttentionKeys() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attn-dump-\(ProcessInfo.processInfo.processIdentifier).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(s.execute(line: "export dump \(path)").error == nil)
        let f = try Safetensors.read(path: path)
        #expect(f.tensors["block.0.attn.kv_sum"]?.shape == [4, 1, 64, 1])
        #expect(f.tensors["block.0.attn.kv_mask"] == f.tensors["block.0.attn.kv_lif.spikes"])
    }
}
