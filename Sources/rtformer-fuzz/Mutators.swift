/// Seeded, deterministic mutation of inputs: generic byte mutators (bit flips, interesting
/// integers, deletions, insertions, splices, truncation) and structure-aware ones (fields after
/// zip signatures, header regions, numbers in text headers, length fields kept consistent).

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0).
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// FNV-1a of a string: a stable hash (Swift's `hashValue` is randomised per process).
func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
}

/// Where a format keeps its structure, so mutations can aim there.
struct Layout: Sendable {
    /// Byte ranges holding headers and size fields (mutated more often than the payload).
    var hot: [Range<Int>] = []
    /// A text region whose numbers are mutated as text (`Prophesee` header lines, the `.npy`
    /// dict, the safetensors JSON, AEDAT's XML).
    var text: Range<Int>?
    /// Rewrite after a text mutation: keeps a length field consistent with the edited text
    /// (most of the time), so the reader gets past it.
    var fixLength: (@Sendable (inout [UInt8], _ oldText: Range<Int>, _ newCount: Int) -> Void)?
    /// Edit text in place only (same byte count), for text embedded in offsets-bearing binary.
    var sameLengthText = false
    /// Repairs checksums after the mutations (most of the time), so mutated fields reach the
    /// decoder instead of stopping at a CRC check (PNG chunks).
    var fixup: (@Sendable (inout [UInt8]) -> Void)?
}

enum Mutator {
    static let interestingIntegers: [Int64] = [
        0, 1, -1, 2, 7, 8, 127, 128, 255, 256, 1023, 1024, 1025, 4096, 32767, 32768, 65535, 65536, 65537,
        100_000_000, Int64(Int32.max), Int64(Int32.min), 1 << 31, 1 << 32, 1 << 40, 1 << 62, Int64.max, Int64.min,
    ]
    static let interestingNumbers = [
        "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "2147483648",
        "4294967296", "65536", "65537", "100000000", "1e308", "1e-308", "NaN", "1.5", "1024", "1025", "4611686018427387904",
        "99999999999999999999999999", "", "0x10",
    ]
    static let nasty: [[UInt8]] = [[0x1B, 0x5D, 0x30, 0x3B, 0x50, 0x07], [0], [0x0A], [0xFF, 0xFE], [0xC3], Array("\\u0000".utf8)]

    /// Applies 1–4 mutations to `bytes`.
    static func mutate(_ bytes: [UInt8], layout: Layout, rng: inout SplitMix) -> [UInt8] {
        var b = bytes
        for _ in 0..<(1 + rng.below(4)) {
            if let text = layout.text, text.upperBound <= b.count, rng.chance(35) {
                mutateText(&b, region: text, layout: layout, rng: &rng)
                continue
            }
            generic(&b, layout: layout, rng: &rng)
        }
        if let fixup = layout.fixup, rng.chance(80) { fixup(&b) }
        return b
    }

    /// An offset: half the time inside a hot range (headers, size fields), else anywhere.
    static func offset(_ b: [UInt8], _ layout: Layout, _ rng: inout SplitMix) -> Int {
        let hot = layout.hot.filter { $0.lowerBound < b.count }
        if !hot.isEmpty && rng.chance(60) {
            let r = rng.pick(hot)
            return min(b.count - 1, r.lowerBound + rng.below(max(1, r.count)))
        }
        return rng.below(b.count)
    }

    static func generic(_ b: inout [UInt8], layout: Layout, rng: inout SplitMix) {
        guard !b.isEmpty else { b = [UInt8(rng.below(256))]; return }
        let at = offset(b, layout, &rng)
        switch rng.below(10) {
        case 0: b[at] ^= UInt8(1) << UInt8(rng.below(8))
        case 1: b[at] = rng.pick([0, 0xFF, 0x7F, 0x80, 1, 0x25, 0x7B])
        case 2, 3:
            // An interesting integer over 2, 4 or 8 bytes, little- or big-endian.
            let width = rng.pick([2, 4, 8])
            var v = UInt64(bitPattern: rng.chance(15) ? Int64(b.count + rng.below(3) - 1) : rng.pick(interestingIntegers))
            if rng.chance(25) { v = v.byteSwapped >> UInt64(64 - 8 * width) }
            for i in 0..<width where at + i < b.count { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
        case 4:
            // Delete a range (the "bytes deleted from the middle").
            let n = min(b.count - at, 1 + rng.below(rng.chance(50) ? 16 : 1200))
            b.removeSubrange(at..<(at + n))
        case 5:
            let n = 1 + rng.below(rng.chance(70) ? 16 : 600)
            b.insert(contentsOf: (0..<n).map { _ in UInt8(rng.below(256)) }, at: at)
        case 6:
            // Splice: copy a chunk from elsewhere in the file.
            let from = rng.below(b.count), n = min(b.count - from, 1 + rng.below(64))
            let chunk = Array(b[from..<(from + n)])
            if rng.chance(50) { b.insert(contentsOf: chunk, at: at) } else {
                for (i, c) in chunk.enumerated() where at + i < b.count { b[at + i] = c }
            }
        case 7: b.removeSubrange(at...)
        case 8: b.insert(contentsOf: rng.pick(nasty), at: at)
        default:
            let n = min(b.count - at, 1 + rng.below(8))
            for i in at..<(at + n) { b[i] = UInt8(rng.below(256)) }
        }
    }

    /// Mutates numbers and tokens of a text region.
    static func mutateText(_ b: inout [UInt8], region: Range<Int>, layout: Layout, rng: inout SplitMix) {
        let text = Array(b[region])
        var numbers: [Range<Int>] = []
        var i = 0
        while i < text.count {
            if (0x30...0x39).contains(text[i]) || (text[i] == 0x2D && i + 1 < text.count && (0x30...0x39).contains(text[i + 1])) {
                let s = i
                i += 1
                while i < text.count, (0x30...0x39).contains(text[i]) || text[i] == 0x2E || text[i] == 0x65 { i += 1 }
                numbers.append(s..<i)
            } else {
                i += 1
            }
        }
        var new = text
        if !numbers.isEmpty && rng.chance(75) {
            let r = rng.pick(numbers)
            var replacement = Array(rng.pick(interestingNumbers).utf8)
            if layout.sameLengthText {
                // Keep the byte count: cut, or pad with spaces (offsets around the text stay valid).
                replacement = Array(replacement.prefix(r.count)) + Array(repeating: 0x20, count: max(0, r.count - replacement.count))
                if r.count < 20 && rng.chance(60) {
                    // Widen into the spaces before the number when there are some (indentation).
                    var s = r.lowerBound
                    while s > 0 && text[s - 1] == 0x20 && r.upperBound - s < 19 { s -= 1 }
                    let digits = Array(rng.pick(["9223372036854775807", "2147483648", "4294967296", "65537", "100000000"]).utf8)
                    let width = r.upperBound - s
                    let cut = Array(digits.prefix(width))
                    new.replaceSubrange(s..<r.upperBound, with: Array(repeating: 0x20, count: width - cut.count) + cut)
                    b.replaceSubrange(region, with: new)
                    return
                }
            }
            new.replaceSubrange(r, with: replacement)
        } else if !layout.sameLengthText {
            let at = rng.below(max(1, new.count))
            switch rng.below(3) {
            case 0: new.insert(contentsOf: rng.pick(nasty), at: at)
            case 1: new.removeSubrange(at..<min(new.count, at + 1 + rng.below(12)))
            default:
                let from = rng.below(max(1, new.count)), n = min(new.count - from, 1 + rng.below(40))
                new.insert(contentsOf: Array(new[from..<(from + n)]), at: at)
            }
        } else {
            let at = rng.below(max(1, new.count))
            if at < new.count { new[at] = rng.pick([0x22, 0x3C, 0x3E, 0x00, 0x1B, 0x20]) }
        }
        b.replaceSubrange(region, with: new)
        if let fix = layout.fixLength, rng.chance(80) { fix(&b, region, new.count) }
    }
}
