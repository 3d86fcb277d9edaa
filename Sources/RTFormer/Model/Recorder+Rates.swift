extension Recorder {
    /// Records the firing rate of a binary tensor chunk `[steps, B, ...]` per timestep.
    func rate(_ name: String, t0: Int, steps: Int, chunk: Tensor) {
        let per = chunk.count / max(steps, 1)
        var r = rates[name] ?? [Double](repeating: .nan, count: max(t0 + steps, rateTimesteps))
        if r.count < t0 + steps { r += [Double](repeating: .nan, count: t0 + steps - r.count) }
        chunk.storage.withUnsafeBufferPointer { p in
            for i in 0..<steps {
                // Spikes: count the ones 16 lanes at a time. The in-order Double sum of 0/1 values
                // is that exact count, so the result is the same; other values take the sum.
                if let ones = Recorder.countOnes(p.baseAddress! + i * per, count: per) {
                    r[t0 + i] = per > 0 ? Double(ones) / Double(per) : 0
                    continue
                }
                var s = 0.0
                for j in (i * per)..<((i + 1) * per) { s += Double(p[j]) }
                r[t0 + i] = per > 0 ? s / Double(per) : 0
            }
        }
        rates[name] = r
    }

    /// The number of ones among `count` floats when every one of them is 0 or 1, else nil.
    static func countOnes(_ p: UnsafePointer<Float>, count: Int) -> Int? {
        var ones = SIMD16<Int32>()
        var other = SIMD16<Int32>()
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            let isOne = v .== 1
            ones &+= SIMD16<Int32>().replacing(with: 1, where: isOne)
            other &+= SIMD16<Int32>().replacing(with: 1, where: .!isOne .& (v .!= 0))
            i += 16
        }
        var n = Int(ones.wrappedSum())
        if other != SIMD16<Int32>() { return nil }
        while i < count {
            if p[i] == 1 { n += 1 } else if p[i] != 0 { return nil }
            i += 1
        }
        return n
    }

    func unitOutput(_ path: String, output: Tensor, t0: Int, timesteps: Int) {
        storeStream(path, t0: t0, timesteps: timesteps, chunk: output, into: \Recorder.unitOutputs)
    }
}
