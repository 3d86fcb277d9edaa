import ArgumentParser
import Foundation
import RTFormer

/// `rtformer merge`: combines the partial results of `eval --shard i/n` into the result one
/// unsharded run gives (counts summed, predictions in sample order, means from the merged sums).
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the partial results of `eval --shard i/n --out PART.json` into one result.")

    @Argument(help: "Partial results (JSON files written by `rtformer eval --shard i/n --out`), all n shards of one run.")
    var parts: [String]

    @Flag(name: .long, help: "JSON report on stdout.")
    var json = false

    @Option(name: .long, help: "Also write the merged JSON result to this file.")
    var out: String?

    func run() throws {
        let result: [String: Any]
        do {
            guard !parts.isEmpty else { throw ValidationError("merge needs the partial results: rtformer merge PART0.json PART1.json …") }
            let read = try parts.map(EvalResult.read)
            let first = read[0].meta
            for (k, r) in read.enumerated() {
                let m = r.meta
                for (name, a, b) in [("model", m.model, first.model), ("weights", m.weights, first.weights), ("input", m.input, first.input),
                                     ("fold", m.fold, first.fold), ("dataset_samples", String(m.datasetSamples), String(first.datasetSamples)),
                                     ("shard count", String(m.shard.count), String(first.shard.count))] where a != b {
                    throw ValidationError("\(parts[k]): \(name) '\(a)' differs from \(parts[0])'s '\(b)': not shards of one run")
                }
                if m.shard.range(of: m.datasetSamples) != m.first..<m.end || r.evaluation.samples != m.end - m.first {
                    throw ValidationError("\(parts[k]): shard \(m.shard.index)/\(m.shard.count) should hold samples \(m.shard.range(of: m.datasetSamples)), "
                                          + "holds \(r.evaluation.samples) of \(m.first)..<\(m.end)")
                }
            }
            let indices = read.map(\.meta.shard.index)
            if let dup = indices.first(where: { i in indices.filter { $0 == i }.count > 1 }) {
                throw ValidationError("shard \(dup)/\(first.shard.count) is given more than once")
            }
            let missing = (0..<first.shard.count).filter { !indices.contains($0) }
            guard missing.isEmpty else {
                throw ValidationError("missing shard(s) \(missing.map { "\($0)/\(first.shard.count)" }.joined(separator: ", ")) of \(first.input)")
            }
            let merged = try DatasetEvaluation.merged(read.map(\.evaluation))
            var meta = first
            meta.shard = ShardSpec(index: 0, count: 1)
            meta.first = 0
            meta.end = first.datasetSamples
            meta.threads = read.map(\.meta.threads).max() ?? 1
            // Seconds: the parts' sum (the work done), so samples_per_s is per worker set, not wall clock.
            result = try EvalResult.json(merged, meta: meta, seconds: read.map(\.seconds).reduce(0, +))
        } catch let e as ValidationError {
            fail(e.message)
        } catch {
            fail("\(error)")
        }
        try EvalResult.emit(result, json: json, out: out)
    }
}
