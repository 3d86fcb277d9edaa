import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// The report of `eval` and `merge`: JSON (keys below) or text, and the partial result it carries.
///
/// JSON keys: `samples`, `classes`, `correct` and `accuracy` (`unfused`, `deploy`, and `top5`
/// {`unfused`, `deploy`} when classes > 5), `predictions` {`unfused`, `deploy`}, `labels`,
/// `agreement`, `disagreements`, `verdicts` {`equivalent`, `equivalent_up_to_rounding`,
/// `not_equivalent`, by `Equivalence`'s attribution), `spike_mismatches` {`mismatches`,
/// `near_threshold`, `far`: end-to-end, classified by the unfused margin only}, `firing_rates` {path: mean}, `firing_rates_per_t`
/// {path: [per t]}, `firing_rates_deploy`, `energy_uJ` and `sop` {`mean`, `min`, `max`},
/// `energy_constants`, `samples_per_s`, `seconds`, `threads`, `peak_rss_MB`, `shard` {`index`, `count`,
/// `first`, `end`}, the run's `model`, `weights`, `input`, `layout`, `fold`, `dataset_samples`,
/// and `partial` (the sums `merge` combines).
enum EvalResult {
    struct Meta: Equatable {
        var model: String
        var weights: String
        var input: String
        var layout: String
        var fold: String
        /// Samples of the whole (limited) dataset the shards split.
        var datasetSamples: Int
        var shard: ShardSpec
        var first: Int
        var end: Int
        var threads: Int
    }

    /// Keys that depend on the run's speed, not on its answer.
    static let timingKeys: Set<String> = ["samples_per_s", "seconds", "threads", "peak_rss_MB"]

    /// Peak resident memory of this process so far, in MB (getrusage; Linux reports KiB).
    static func peakRSSMB() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &u)
        return Double(u.ru_maxrss) / 1_048_576
        #endif
    }

    static func json(_ e: DatasetEvaluation, meta: Meta, seconds: Double) throws -> [String: Any] {
        let n = Double(max(e.samples, 1))
        var correct: [String: Any] = ["unfused": e.unfusedCorrect, "deploy": e.deployCorrect]
        var accuracy: [String: Any] = ["unfused": Double(e.unfusedCorrect) / n, "deploy": Double(e.deployCorrect) / n]
        if e.classes > 5 {
            correct["top5"] = ["unfused": e.unfusedTop5Correct, "deploy": e.deployTop5Correct]
            accuracy["top5"] = ["unfused": Double(e.unfusedTop5Correct) / n, "deploy": Double(e.deployTop5Correct) / n]
        }
        let rates = e.firingRates(), ratesD = e.firingRates(deploy: true)
        let energy = DatasetEvaluation.summary(e.outcomes.map { $0.energyPJ * 1e-6 })
        let sop = DatasetEvaluation.summary(e.outcomes.map(\.sop))
        let mm = e.mismatchTotal
        let partial = try JSONSerialization.jsonObject(with: JSONEncoder().encode(e))
        return [
            "model": meta.model, "weights": meta.weights, "input": meta.input, "layout": meta.layout, "fold": meta.fold,
            "dataset_samples": meta.datasetSamples, "samples": e.samples, "classes": e.classes,
            "correct": correct, "accuracy": accuracy,
            "predictions": ["unfused": e.unfusedPredictions, "deploy": e.deployPredictions], "labels": e.labels,
            "agreement": e.agreement, "disagreements": e.disagreements, "verdicts": e.verdicts,
            "spike_mismatches": ["mismatches": mm.mismatches, "near_threshold": mm.rounding, "far": mm.structural],
            "firing_rates": Dictionary(uniqueKeysWithValues: rates.map { ($0.path, $0.mean) }),
            "firing_rates_per_t": Dictionary(uniqueKeysWithValues: rates.map { ($0.path, $0.perT) }),
            "firing_rates_deploy": Dictionary(uniqueKeysWithValues: ratesD.map { ($0.path, $0.mean) }),
            "energy_uJ": ["mean": energy.mean, "min": energy.min, "max": energy.max],
            "sop": ["mean": sop.mean, "min": sop.min, "max": sop.max],
            "energy_constants": ["E_MAC_pJ": EnergyReport.eMAC, "E_AC_pJ": EnergyReport.eAC, "model": "unfused",
                                 "conv0": "counted once for a static image (repeated over T), T times for event frames"],
            "samples_per_s": seconds > 0 ? Double(e.samples) / seconds : 0, "seconds": seconds, "threads": meta.threads,
            "peak_rss_MB": peakRSSMB(),
            "shard": ["index": meta.shard.index, "count": meta.shard.count, "first": meta.first, "end": meta.end],
            "partial": partial,
        ]
    }

    /// Prints the report (JSON with `json`, else text) and writes the JSON to `out` atomically.
    static func emit(_ result: [String: Any], json: Bool, out: String?) throws {
        if let out {
            do {
                try AtomicFile.write(jsonString(result) + "\n", to: out)
            } catch {
                fail("\(error)")
            }
        }
        if json { print(jsonString(result)) } else { printText(result) }
    }

    /// Reads a result file back: the report, its run description and its partial result.
    /// - Throws: `ValidationError` naming the file and the missing or malformed field.
    static func read(_ path: String) throws -> (meta: Meta, evaluation: DatasetEvaluation, seconds: Double) {
        let data: Data
        do { data = try InputBytes.readData(path, format: "eval result") } catch { throw ValidationError("\(error)") }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(path): expected an eval result (JSON object written by `rtformer eval --out`), found no JSON object")
        }
        func field<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let v = obj[key] as? T else { throw ValidationError("\(path): eval result: missing or malformed field '\(key)'") }
            return v
        }
        let shard = try field("shard", [String: Any].self)
        guard let index = shard["index"] as? Int, let count = shard["count"] as? Int, let first = shard["first"] as? Int,
              let end = shard["end"] as? Int else {
            throw ValidationError("\(path): eval result: field 'shard' needs index, count, first, end")
        }
        let partial = try field("partial", [String: Any].self)
        let evaluation: DatasetEvaluation
        do {
            evaluation = try JSONDecoder().decode(DatasetEvaluation.self, from: JSONSerialization.data(withJSONObject: partial))
        } catch {
            throw ValidationError("\(path): eval result: field 'partial' is not a partial result (\(error))")
        }
        let meta = Meta(model: try field("model", String.self), weights: try field("weights", String.self), input: try field("input", String.self),
                        layout: try field("layout", String.self), fold: try field("fold", String.self),
                        datasetSamples: try field("dataset_samples", Int.self), shard: ShardSpec(index: index, count: count),
                        first: first, end: end, threads: (obj["threads"] as? Int) ?? 1)
        return (meta, evaluation, (obj["seconds"] as? Double) ?? 0)
    }

    static func printText(_ r: [String: Any]) {
        func int(_ k: String) -> Int { r[k] as? Int ?? 0 }
        let correct = r["correct"] as? [String: Any] ?? [:], acc = r["accuracy"] as? [String: Any] ?? [:]
        let n = int("samples")
        let shard = r["shard"] as? [String: Any] ?? [:]
        let part = (shard["count"] as? Int ?? 1) > 1 ? " (shard \(shard["index"] ?? 0)/\(shard["count"] ?? 1): samples \(shard["first"] ?? 0)..<\(shard["end"] ?? 0))" : ""
        print("eval \(r["model"] ?? "") (weights \(r["weights"] ?? "")) on \(r["input"] ?? "") [\(r["layout"] ?? "")]: \(n) samples\(part), deploy fold \(r["fold"] ?? "")")
        func pct(_ v: Any?) -> String { String(format: "%.2f %%", 100 * ((v as? Double) ?? 0)) }
        print("accuracy   unfused \(correct["unfused"] ?? 0)/\(n) = \(pct(acc["unfused"]))   deploy \(correct["deploy"] ?? 0)/\(n) = \(pct(acc["deploy"]))")
        if let c5 = correct["top5"] as? [String: Any], let a5 = acc["top5"] as? [String: Any] {
            print("top-5      unfused \(c5["unfused"] ?? 0)/\(n) = \(pct(a5["unfused"]))   deploy \(c5["deploy"] ?? 0)/\(n) = \(pct(a5["deploy"]))")
        }
        let dis = r["disagreements"] as? [Int] ?? []
        print("agreement  \(int("agreement"))/\(n) samples with the same top-1"
              + (dis.isEmpty ? "" : "; disagreements at \(dis.prefix(20).map(String.init).joined(separator: ", "))\(dis.count > 20 ? ", …" : "")"))
        let v = r["verdicts"] as? [String: Int] ?? [:], m = r["spike_mismatches"] as? [String: Int] ?? [:]
        print("verdicts   " + DatasetEvaluation.verdictNames.map { "\($0) \(v[$0] ?? 0)" }.joined(separator: ", ")
              + "   (end-to-end spike mismatches \(m["mismatches"] ?? 0): \(m["near_threshold"] ?? 0) near threshold, \(m["far"] ?? 0) far)")
        let e = r["energy_uJ"] as? [String: Double] ?? [:], s = r["sop"] as? [String: Double] ?? [:]
        print(String(format: "energy     per sample (unfused; E_MAC %.1f pJ, E_AC %.1f pJ): mean %.4f µJ, min %.4f, max %.4f; SOP mean %.0f, min %.0f, max %.0f",
                     EnergyReport.eMAC, EnergyReport.eAC, e["mean"] ?? 0, e["min"] ?? 0, e["max"] ?? 0, s["mean"] ?? 0, s["min"] ?? 0, s["max"] ?? 0))
        let rates = r["firing_rates"] as? [String: Double] ?? [:], perT = r["firing_rates_per_t"] as? [String: [Double]] ?? [:]
        let order = ((r["partial"] as? [String: Any])?["layers"] as? [[String: Any]])?.compactMap { $0["path"] as? String } ?? rates.keys.sorted()
        print("firing rates (unfused; mean over samples, t and neurons; then per t):")
        for p in order {
            print("  " + Fmt.pad(p, 28) + String(format: "  %.4f   ", rates[p] ?? 0) + (perT[p] ?? []).map { String(format: "%.4f", $0) }.joined(separator: " "))
        }
        print(String(format: "speed      %.1f samples/s (%.2f s, %d parallel workers); peak RSS %.0f MB", (r["samples_per_s"] as? Double) ?? 0,
                     (r["seconds"] as? Double) ?? 0, int("threads"), (r["peak_rss_MB"] as? Double) ?? 0))
    }
}


