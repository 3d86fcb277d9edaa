import Foundation

/// A labelled dataset read one sample at a time (what `rtformer eval` runs over).
///
/// Recognised layouts:
/// - a CIFAR-10/100 binary record file (every record; the label is in the record);
/// - a folder with a `labels.csv` (`file,label` rows, file relative to the folder, label a class
///   index or a class name; a header row names the `file` and `label` columns, else they are the
///   first two);
/// - a folder of class subfolders `DATA/<class>/…` as torchvision's `ImageFolder` reads it:
///   classes sorted by name (index = position), files sorted by path within each class, searched
///   recursively; images (`png jpg jpeg ppm pgm pnm`) and event files (`bs2 bin aedat4 dat`);
/// - a `.npy` or safetensors tensor `[N, C, H, W]` (already normalised) with labels: in a
///   safetensors file the tensor `labels` (or `label`, `targets`, `y`); beside a `.npy` the file
///   `labels.npy`, `<stem>_labels.npy` or `<stem>.labels.npy`.
///
/// Record files and folders are read per sample (memory does not grow with N); a tensor file is
/// read whole, as it is one tensor.
public struct EvalDataset: Sendable {
    enum Source: Sendable {
        case records(variant: CIFARVariant)
        case files([String])
        /// `[N, C, H, W]`.
        case tensor(Tensor)
    }

    /// The path given.
    public let path: String
    /// What the path was read as (`CIFAR-10 records`, `class folders`, `labels.csv`, `tensor`).
    public let layout: String
    /// Samples in the dataset.
    public let count: Int
    /// Class names by label when the dataset names them (CIFAR, folders), else nil.
    public let classNames: [String]?
    /// Remarks for the user (files skipped, which tensor was read).
    public let notes: [String]
    let source: Source
    /// Labels by sample for files and tensors (records carry their own).
    let labels: [Int]

    /// Image and event file extensions a folder dataset takes.
    public static let fileExtensions: Set<String> = ["png", "jpg", "jpeg", "ppm", "pgm", "pnm", "bs2", "bin", "aedat4", "dat"]
    static let labelKeys = ["labels", "label", "targets", "y"]

    /// Opens a dataset (reads its index, not its samples).
    /// - Throws: `InputError` naming the path and what was expected: an unreadable path, a file
    ///   that is neither CIFAR records nor a tensor with labels, a folder without class folders or
    ///   `labels.csv`, a bad `labels.csv` row, labels that are not whole numbers ≥ 0 or whose
    ///   count differs from the samples.
    public static func open(_ path: String) throws -> EvalDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError(file: path, format: "dataset", expected: "a CIFAR record file, a folder or a tensor file", found: "no such file")
        }
        if isDir.boolValue { return try openFolder(path) }
        let head = try readBytes(path, offset: 0, count: 16)
        if head.starts(with: NumpyArray.magic) || isSafetensors(head) { return try openTensor(path, isNumpy: head.starts(with: NumpyArray.magic)) }
        let size = (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0, size % 3073 == 0 || size % 3074 == 0 else {
            throw InputError(file: path, format: "dataset", expected: "a CIFAR-10/100 record file (a whole number of 3,073- or 3,074-byte records), "
                             + "a folder of class folders or with labels.csv, or a .npy/safetensors tensor with labels",
                             found: "\(size) bytes starting \(head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " "))")
        }
        let variant = CIFARBatch.guessVariant(size: size, file: path)
        return EvalDataset(path: path, layout: "\(variant.rawValue) records", count: size / variant.recordSize,
                           classNames: variant.classNames, notes: [], source: .records(variant: variant), labels: [])
    }

    /// Sample `i` encoded for the model, `[T, 1, C, size, size]`, and its label.
    /// - Throws: `InputError` from the file's reader (naming the file or record), or when `i` is
    ///   out of range.
    public func sample(_ i: Int, timesteps: Int, size: Int, splitBy: EventSplit = .number) throws -> (input: Tensor, label: Int) {
        let (enc, label) = try encodedSample(i, timesteps: timesteps, size: size, splitBy: splitBy)
        return (enc.input, label)
    }

    /// Sample `i` encoded for the model (`[T, 1, C, size, size]` with its kind and summary), and its label.
    /// - Throws: as `sample(_:timesteps:size:splitBy:)`.
    public func encodedSample(_ i: Int, timesteps: Int, size: Int, splitBy: EventSplit = .number) throws -> (input: EncodedInput, label: Int) {
        guard i >= 0 && i < count else {
            throw InputError(file: path, format: "dataset", location: "sample \(i)", expected: "an index in 0..<\(count)", found: "\(i)")
        }
        switch source {
        case let .records(variant):
            let bytes = try Self.readBytes(path, offset: UInt64(i * variant.recordSize), count: variant.recordSize)
            let loaded = try InputFile.decode(bytes, path: "\(path) record \(i)", index: 0,
                                              format: variant == .cifar10 ? .cifar10 : .cifar100)
            guard case let .image(li) = loaded.content, let label = li.label else {
                throw InputError(file: path, format: "dataset", location: "record \(i)", expected: "a labelled image", found: "no label")
            }
            return (try InputEncoder.encode(loaded, file: path, timesteps: timesteps, size: size, splitBy: splitBy), label)
        case let .files(files):
            let loaded = try InputFile.load(path: files[i])
            return (try InputEncoder.encode(loaded, file: files[i], timesteps: timesteps, size: size, splitBy: splitBy), labels[i])
        case let .tensor(t):
            let per = t.count / t.shape[0]
            let one = Tensor(shape: [1] + Array(t.shape.dropFirst()), storage: Array(t.storage[(i * per)..<((i + 1) * per)]))
            let loaded = LoadedInput(format: .npy, content: .tensor(one), recordCount: 1, index: 0, suggestedStats: .cifar10, notes: [])
            return (try InputEncoder.encode(loaded, file: path, timesteps: timesteps, size: size, splitBy: splitBy), labels[i])
        }
    }

    // MARK: layouts

    private static func openFolder(_ path: String) throws -> EvalDataset {
        let fm = FileManager.default
        let root = URL(fileURLWithPath: path)
        let csv = root.appendingPathComponent("labels.csv").path
        if fm.fileExists(atPath: csv) { return try openLabelsCSV(folder: path, csv: csv) }
        let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        let classes = entries.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &d) && d.boolValue
        }.sorted(by: codePointOrder)
        guard !classes.isEmpty else {
            throw InputError(file: path, format: "dataset folder", expected: "class subfolders (DATA/<class>/*.png) or a labels.csv",
                             found: "\(entries.count) entries, no subfolder")
        }
        var files: [String] = [], labels: [Int] = [], skipped = 0
        for (label, name) in classes.enumerated() {
            let dir = root.appendingPathComponent(name)
            var found: [String] = []
            if let walker = fm.enumerator(atPath: dir.path) {
                while let rel = walker.nextObject() as? String {
                    let full = dir.appendingPathComponent(rel).path
                    var d: ObjCBool = false
                    guard fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue else { continue }
                    if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                    if fileExtensions.contains(URL(fileURLWithPath: rel).pathExtension.lowercased()) { found.append(full) } else { skipped += 1 }
                }
            }
            found.sort(by: codePointOrder)
            files += found
            labels += [Int](repeating: label, count: found.count)
        }
        guard !files.isEmpty else {
            throw InputError(file: path, format: "dataset folder", expected: "image or event files (\(fileExtensions.sorted().joined(separator: ", "))) in the class folders",
                             found: "none in \(classes.count) folder(s)")
        }
        var notes = ["\(classes.count) classes from the subfolder names (sorted): \(classes.prefix(10).joined(separator: ", "))\(classes.count > 10 ? ", …" : "")"]
        if skipped > 0 { notes.append("skipped \(skipped) file(s) of other types") }
        return EvalDataset(path: path, layout: "class folders", count: files.count, classNames: classes, notes: notes,
                           source: .files(files), labels: labels)
    }

    private static func openLabelsCSV(folder: String, csv: String) throws -> EvalDataset {
        let text = String(decoding: try InputBytes.readData(csv, format: "labels.csv"), as: UTF8.self)
        var lines: [(fields: [String], line: Int)] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            lines.append((line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }, n + 1))
        }
        // A first row whose file does not exist and whose second field is not a number is a
        // header; its `file`/`path` and `label`/`class`/`target` columns are used when present.
        var fileColumn = 0, labelColumn = 1
        if let first = lines.first, first.fields.count >= 2, Int(first.fields[1]) == nil,
           !FileManager.default.fileExists(atPath: URL(fileURLWithPath: folder).appendingPathComponent(first.fields[0]).path) {
            let names = first.fields.map { $0.lowercased() }
            fileColumn = names.firstIndex { ["file", "path", "filename"].contains($0) } ?? 0
            labelColumn = names.firstIndex { ["label", "class", "target"].contains($0) } ?? 1
            lines.removeFirst()
        }
        var rows: [(file: String, label: String, line: Int)] = []
        for l in lines {
            guard l.fields.count > max(fileColumn, labelColumn), !l.fields[fileColumn].isEmpty, !l.fields[labelColumn].isEmpty else {
                throw InputError(file: csv, format: "labels.csv", location: "line \(l.line)", expected: "file,label",
                                 found: l.fields.joined(separator: ",").debugDescription)
            }
            rows.append((l.fields[fileColumn], l.fields[labelColumn], l.line))
        }
        guard !rows.isEmpty else {
            throw InputError(file: csv, format: "labels.csv", expected: "at least one file,label row", found: "none")
        }
        let numeric = rows.allSatisfy { Int($0.label) != nil }
        let names = numeric ? nil : Array(Set(rows.map(\.label))).sorted(by: codePointOrder)
        var files: [String] = [], labels: [Int] = []
        for r in rows {
            let label = numeric ? Int(r.label)! : names!.firstIndex(of: r.label)!
            guard label >= 0 else {
                throw InputError(file: csv, format: "labels.csv", location: "line \(r.line)", expected: "a label ≥ 0", found: r.label)
            }
            files.append(r.file.hasPrefix("/") ? r.file : URL(fileURLWithPath: folder).appendingPathComponent(r.file).path)
            labels.append(label)
        }
        var notes = ["\(rows.count) files listed in labels.csv"]
        if let names { notes.append("\(names.count) class names in labels.csv, indexed in sorted order") }
        return EvalDataset(path: folder, layout: "labels.csv", count: files.count, classNames: names, notes: notes,
                           source: .files(files), labels: labels)
    }

    private static func openTensor(_ path: String, isNumpy: Bool) throws -> EvalDataset {
        let loaded = try InputFile.load(path: path)
        guard case let .tensor(t) = loaded.content else {
            throw InputError(file: path, format: "dataset", expected: "an image tensor [N, C, H, W]", found: "\(loaded.format.rawValue)")
        }
        let format = isNumpy ? "NumPy .npy" : "safetensors"
        var labelTensor: Tensor?, labelSource = ""
        if isNumpy {
            let url = URL(fileURLWithPath: path)
            let stem = url.deletingPathExtension().lastPathComponent, dir = url.deletingLastPathComponent()
            for name in ["\(stem)_labels.npy", "\(stem).labels.npy", "labels.npy"] {
                let candidate = dir.appendingPathComponent(name).path
                if FileManager.default.fileExists(atPath: candidate) {
                    labelTensor = try NumpyArray.decode(InputBytes.read(candidate, format: "NumPy .npy"), file: candidate).tensor
                    labelSource = candidate
                    break
                }
            }
        } else {
            let f = try Safetensors.read(path: path)
            for key in labelKeys { if let l = f.tensors[key] { labelTensor = l; labelSource = "tensor '\(key)'"; break } }
        }
        guard let labelTensor else {
            throw InputError(file: path, format: format, expected: isNumpy ? "labels beside it: \(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)_labels.npy or labels.npy"
                                                                       : "a labels tensor (\(labelKeys.joined(separator: ", ")))",
                             found: "none")
        }
        let n = t.shape[0]
        guard labelTensor.count == n else {
            throw InputError(file: path, format: format, location: labelSource, expected: "\(n) labels (one per sample)", found: "shape \(labelTensor.shape)")
        }
        var labels: [Int] = []
        for (i, v) in labelTensor.storage.enumerated() {
            guard v >= 0, v == v.rounded(), v < 1e7 else {
                throw InputError(file: path, format: format, location: "\(labelSource), element \(i)", expected: "a class index ≥ 0", found: "\(v)")
            }
            labels.append(Int(v))
        }
        return EvalDataset(path: path, layout: "tensor", count: n, classNames: nil, notes: loaded.notes + ["labels from \(labelSource)"],
                           source: .tensor(t), labels: labels)
    }

    // MARK: helpers

    static func isSafetensors(_ head: [UInt8]) -> Bool {
        guard head.count > 9 else { return false }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(head[i]) << (8 * UInt64(i)) }
        return n > 1 && head[8] == UInt8(ascii: "{")
    }

    /// `count` bytes at `offset` of `path`.
    /// - Throws: `InputError` when the file cannot be opened or ends early.
    static func readBytes(_ path: String, offset: UInt64, count: Int) throws -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw InputError(file: path, format: "dataset", expected: "a readable file", found: "it cannot be opened")
        }
        defer { try? h.close() }
        do {
            try h.seek(toOffset: offset)
            let data = try h.read(upToCount: count) ?? Data()
            if data.count < count && offset > 0 {
                throw InputError(file: path, format: "dataset", location: "byte \(offset)", expected: "\(count) bytes", found: "\(data.count)")
            }
            return [UInt8](data)
        } catch let e as InputError {
            throw e
        } catch {
            throw InputError(file: path, format: "dataset", location: "byte \(offset)", expected: "\(count) readable bytes", found: "\(error)")
        }
    }
}

/// Python's string order (by Unicode code point), which torchvision's `sorted` uses.
func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
}
