import Foundation
import Testing
@testable import RTFormer

/// `DatasetEvaluation` against the PyTorch reference of the trained `tiny` (shared/data/trained),
/// the spikes-only recorder against the full one, sharding and the dataset layouts.
@Suite struct DatasetEvaluationTests {
    static let weightsPath = Fixtures.sharedRoot + "/data/trained/digits_tiny.safetensors"
    static let testSet = IOScratch.data("digits/digits_test.bin")

    struct Reference: Decodable {
        var samples: Int
        var predictions: [String: [Int]]
        var labels: [Int]
        var firing_rates_unfused: [String: Double]
    }

    static func reference() throws -> Reference {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.sharedRoot + "/data/trained/digits_tiny_reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    static func weights() throws -> StateDict { try Safetensors.read(path: weightsPath).tensors }

    static func evaluate(fold: ThresholdFoldMode, indices: Range<Int>? = nil, dataset: EvalDataset? = nil, workers: Int = 2) throws -> DatasetEvaluation {
        let ds = try dataset ?? EvalDataset.open(testSet)
        return try DatasetEvaluation.run(config: ModelConfig.load("tiny"), weights: weights(), fold: fold, dataset: ds,
                                         indices: indices ?? 0..<ds.count, workers: workers)
    }

    /// Exact predictions of both folds and the unfused firing rates within 1e-4 (the reference
    /// rates are float32 means in PyTorch; ours are exact spike counts over the same neurons).
    @Test(arguments: [ThresholdFoldMode.exact, .paper])
    func matchesPyTorchReference(_ fold: ThresholdFoldMode) throws {
        let ref = try Self.reference()
        let e = try Self.evaluate(fold: fold)
        #expect(e.samples == ref.samples)
        #expect(e.labels == ref.labels)
        #expect(e.unfusedPredictions == ref.predictions["unfused"])
        #expect(e.deployPredictions == ref.predictions["deploy_\(fold.rawValue)"])
        let rates = Dictionary(uniqueKeysWithValues: e.firingRates().map { ($0.path, $0.mean) })
        #expect(Set(rates.keys) == Set(ref.firing_rates_unfused.keys))
        for (path, r) in ref.firing_rates_unfused {
            #expect(abs((rates[path] ?? -1) - r) <= 1e-4, "\(path): \(rates[path] ?? -1) vs \(r)")
        }
        // The per-t rates average to the layer's mean.
        for l in e.firingRates() { #expect(abs(l.perT.reduce(0, +) / Double(l.perT.count) - l.mean) < 1e-12) }
        #expect(e.unfusedCorrect == 357)
        #expect(e.verdicts.values.reduce(0, +) == 360)
        if fold == .exact { #expect(e.verdicts["equivalent"] == 360 && e.mismatchTotal.mismatches == 0) }
        #expect(e.agreement + e.disagreements.count == 360)
    }

    /// The spikes-only recorder changes nothing the model computes and keeps S and the compared
    /// value exactly as the full recorder does.
    @Test func spikesRecorderIsBitIdentical() throws {
        let net = try Network(config: ModelConfig.load("tiny"), weights: Self.weights())
        let x = try EvalDataset.open(Self.testSet).sample(7, timesteps: 4, size: 32).input
        let plain = try net.forward(x)
        let full = Recorder(), light = Recorder(level: .spikes)
        #expect(try net.forward(x, recorder: full) == plain)
        #expect(try net.forward(x, recorder: light) == plain)
        #expect(light.lifOrder == full.lifOrder)
        for p in full.lifOrder {
            let f = full.lifs[p]!, l = light.lifs[p]!
            #expect(l.spikes == f.spikes)
            #expect(l.h == (f.hHat ?? f.h))
            #expect(l.x.isEmpty && l.v.isEmpty && l.hHat == nil)
        }
        #expect(light.streams.isEmpty && light.unitOutputs.isEmpty)
        #expect(light.rates == full.rates)
        #expect(light.bytes * 2 < full.bytes)
        // Energy from either recorder is the same.
        #expect(EnergyReport(layers: net.layers, recorder: light, timesteps: 4).totalPJ
                == EnergyReport(layers: net.layers, recorder: full, timesteps: 4).totalPJ)
    }

    /// Three disjoint parts merge into exactly the whole; overlapping parts are refused.
    @Test func shardsMergeExactly() throws {
        let whole = try Self.evaluate(fold: .paper, indices: 0..<24, workers: 1)
        let parts = try [0..<7, 7..<16, 16..<24].map { try Self.evaluate(fold: .paper, indices: $0, workers: 2) }
        let merged = try DatasetEvaluation.merged([parts[2], parts[0], parts[1]])
        #expect(merged == whole)
        #expect(throws: DatasetEvaluationError.overlap(index: 0)) { try DatasetEvaluation.merged([parts[0], parts[0]]) }
        #expect(throws: DatasetEvaluationError.nothingToMerge) { try DatasetEvaluation.merged([]) }
    }

    /// The bundled test digits: record k is digit k, and the bundled trained model gets every one
    /// right, unfused and deployed with either fold.
    @Test(arguments: [ThresholdFoldMode.exact, .paper])
    func bundledDigitsAreClassifiedCorrectly(_ fold: ThresholdFoldMode) throws {
        let weights = try Safetensors.read(path: BundledResources.path(BundledResources.digitsWeights)).tensors
        #expect(weights == (try Self.weights()))
        let ds = try EvalDataset.open(BundledResources.path(BundledResources.digitsTest))
        let e = try DatasetEvaluation.run(config: ModelConfig.load("tiny"), weights: weights, fold: fold, dataset: ds,
                                          indices: 0..<ds.count, workers: 2)
        #expect(e.labels == Array(0..<10))
        #expect(e.unfusedPredictions == Array(0..<10) && e.deployPredictions == Array(0..<10))
        #expect(try BundledResources.locate("digits", as: .input) == BundledResources.path(BundledResources.digitsTest))
        #expect(try BundledResources.locate("digits", as: .weights) == BundledResources.path(BundledResources.digitsWeights))
    }

    /// A sample's verdict is `Equivalence`'s: shared test digits 10–19 under the paper fold (samples
    /// 14 and 16 change spikes there) give the same verdict as a full check of each sample.
    @Test func verdictIsTheEquivalenceCheckVerdict() throws {
        let weights = try CheckpointFile.loadStateDict(path: BundledResources.path(BundledResources.digitsWeights)).tensors
        let config = try ModelConfig.load("tiny")
        let ds = try EvalDataset.open(Fixtures.sharedRoot + "/data/digits/digits_test.bin")
        let e = try DatasetEvaluation.run(config: config, weights: weights, fold: .paper, dataset: ds, indices: 10..<20, workers: 1)
        let unfused = try Network(config: config, weights: weights)
        let deploy = try DeployConversion.convert(unfused, fold: .paper)
        for o in e.outcomes {
            let (x, _) = try ds.sample(o.index, timesteps: config.timesteps, size: config.imgSize, splitBy: .number)
            let report = try Equivalence.compare(unfused: unfused, deploy: deploy, input: x, fold: .paper)
            #expect(o.verdict == report.verdict, "sample \(o.index)")
            #expect((o.verdict == .equivalent) == (o.mismatches.mismatches == 0), "sample \(o.index)")
        }
        #expect(e.verdicts.values.reduce(0, +) == 10)
        // Samples 14 and 16 take the second, recorded run (their verdict is not `equivalent`).
        #expect(e.verdicts["equivalent"]! <= 8)
    }

    // MARK: dataset layouts

    static func scratchDir(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-ds-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A binary PPM (P6) of a CIFAR record's planar pixels.
    static func ppm(_ image: RGBImage) -> Data {
        var bytes = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
        let n = image.width * image.height
        for i in 0..<n { bytes += [image.pixels[i], image.pixels[n + i], image.pixels[2 * n + i]] }
        return Data(bytes)
    }

    /// The first 12 test records as class folders (`<label>/r<index>.ppm`) give the same
    /// predictions as the record file, in ImageFolder order (classes by name, files by name).
    @Test func classFoldersMatchRecordFile() throws {
        let batch = try CIFARBatch.read(path: Self.testSet)
        let dir = try Self.scratchDir("folders")
        for i in 0..<12 {
            let r = batch.records[i]
            let cls = dir.appendingPathComponent("\(r.label)")
            try FileManager.default.createDirectory(at: cls, withIntermediateDirectories: true)
            try Self.ppm(r.image).write(to: cls.appendingPathComponent(String(format: "r%03d.ppm", i)))
        }
        try Data("ignored".utf8).write(to: dir.appendingPathComponent("\(batch.records[0].label)/notes.txt"))
        let ds = try EvalDataset.open(dir.path)
        #expect(ds.layout == "class folders" && ds.count == 12)
        let order = (0..<12).sorted { (batch.records[$0].label, $0) < (batch.records[$1].label, $1) }
        let labelsSeen = Set(order.map { batch.records[$0].label }).sorted()
        let folder = try Self.evaluate(fold: .exact, dataset: ds)
        let records = try Self.evaluate(fold: .exact, indices: 0..<12)
        // Class index = position of the folder name among the sorted names.
        #expect(folder.labels == order.map { labelsSeen.firstIndex(of: batch.records[$0].label)! })
        // Predictions are the model's classes, whatever the folders are called.
        #expect(folder.unfusedPredictions == order.map { records.unfusedPredictions[$0] })
        #expect(ds.notes.contains { $0.contains("skipped 1") })

        // The same files listed in a labels.csv (a header naming the columns, class indices), in the listed order.
        var csv = "file,sample_id,label\n"
        for i in 0..<12 { csv += "\(batch.records[i].label)/" + String(format: "r%03d.ppm", i) + ",\(1000 + i),\(batch.records[i].label)\n" }
        try Data(csv.utf8).write(to: dir.appendingPathComponent("labels.csv"))
        let listed = try EvalDataset.open(dir.path)
        #expect(listed.layout == "labels.csv" && listed.count == 12)
        let byCSV = try Self.evaluate(fold: .exact, dataset: listed)
        #expect(byCSV.unfusedPredictions == records.unfusedPredictions && byCSV.labels == records.labels)
    }

    /// A normalised tensor with a `labels` tensor (safetensors) and a .npy with labels.npy beside it.
    @Test func tensorDatasetsMatchRecordFile() throws {
        let records = try EvalDataset.open(Self.testSet)
        var storage: [Float] = [], labels: [Float] = []
        for i in 0..<12 {
            let (x, label) = try records.sample(i, timesteps: 4, size: 32)
            storage += x.storage[0..<(3 * 32 * 32)]
            labels.append(Float(label))
        }
        let images = Tensor(shape: [12, 3, 32, 32], storage: storage)
        let dir = try Self.scratchDir("tensor")
        let st = dir.appendingPathComponent("digits.safetensors").path
        try Safetensors.write([("input", images), ("labels", Tensor(shape: [12], storage: labels))], metadata: [:], to: st)
        let expected = try Self.evaluate(fold: .exact, indices: 0..<12)
        let fromST = try Self.evaluate(fold: .exact, dataset: EvalDataset.open(st))
        #expect(fromST.unfusedPredictions == expected.unfusedPredictions && fromST.labels == expected.labels)
        #expect(fromST.layers == expected.layers)

        let npy = dir.appendingPathComponent("digits.npy").path
        try Data(Self.npy(images)).write(to: URL(fileURLWithPath: npy))
        #expect(throws: InputError.self) { try EvalDataset.open(npy) }   // no labels yet
        try Data(Self.npy(Tensor(shape: [12], storage: labels))).write(to: dir.appendingPathComponent("labels.npy"))
        let fromNPY = try Self.evaluate(fold: .exact, dataset: EvalDataset.open(npy))
        #expect(fromNPY.unfusedPredictions == expected.unfusedPredictions && fromNPY.labels == expected.labels)
    }

    /// A little-endian float32 `.npy` (format 1.0).
    static func npy(_ t: Tensor) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(t.shape.map(String.init).joined(separator: ", "))\(t.rank == 1 ? "," : "")), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes = NumpyArray.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for v in t.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    @Test func badDatasetsSayWhatWasExpected() throws {
        let dir = try Self.scratchDir("bad")
        #expect(throws: InputError.self) { try EvalDataset.open(dir.appendingPathComponent("missing").path) }
        do {
            _ = try EvalDataset.open(dir.path)
            Issue.record("an empty folder opened")
        } catch let e as InputError {
            #expect(e.description.contains("class subfolders"))
        }
        let odd = dir.appendingPathComponent("odd.bin")
        try Data([UInt8](repeating: 1, count: 1000)).write(to: odd)
        do {
            _ = try EvalDataset.open(odd.path)
            Issue.record("a 1000-byte file opened")
        } catch let e as InputError {
            #expect(e.description.contains("CIFAR-10/100 record file"))
        }
        try Data("a.png\n".utf8).write(to: dir.appendingPathComponent("labels.csv"))
        do {
            _ = try EvalDataset.open(dir.path)
            Issue.record("a labels.csv row without a label opened")
        } catch let e as InputError {
            #expect(e.description.contains("labels.csv, line 1: expected file,label"))
        }
    }
}
