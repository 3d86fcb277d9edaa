import Foundation
import RTFormer

/// `save` (the commands that changed state, replayable) and `export` (weights, deploy weights,
/// a recording dump, the transcript).
extension Session {
    /// `save FILE`: writes the state-changing commands run so far as a replayable script.
    /// - Throws: `writeFailed`.
    func save(_ path: String) throws -> String {
        let full = resolve(path)
        let text = "# rtformer session, saved \(ISO8601DateFormatter().string(from: Date()))\n" + history.joined(separator: "\n") + "\n"
        do { try AtomicFile.write(text, to: full) } catch let e as FileWriteError {
            throw SessionError.writeFailed(path: path, reason: e.reason)
        }
        return "saved \(history.count) commands to \(path)"
    }

    /// `export weights|deploy|dump|transcript FILE`.
    /// - Throws: `noModel`, `noDeployTwin`, `writeFailed`, and the writers' errors.
    func export(_ kind: ExportKind, _ path: String) throws -> String {
        let full = resolve(path)
        switch kind {
        case .weights:
            guard let unfused else { throw SessionError.noModel }
            try unfused.save(to: full)
            return "wrote unfused weights (\(unfused.orderedWeights.count) tensors) to \(path)"
        case .deploy:
            let deploy = try requireDeploy()
            try deploy.save(to: full, metadata: ["fold": fold.rawValue])
            return "wrote deploy weights (\(deploy.orderedWeights.count) tensors, fold \(fold.rawValue)) to \(path)"
        case .dump:
            guard let unfused else { throw SessionError.noModel }
            let rec = try fullRecording(of: primaryNetwork ?? unfused, recorder: primaryRecorder, unitOutputs: false)
            var tensors: [(String, Tensor)] = []
            if let logits = primaryNetwork?.logits ?? unfused.logits { tensors.append(("logits", logits)) }
            for p in rec.lifOrder {
                guard let r = rec.lifs[p] else { continue }
                tensors.append((p + ".spikes", r.tensor(\.spikes)))
                tensors.append((p + ".h", r.tensor(\.h)))
                tensors.append((p + ".v", r.tensor(\.v)))
                if r.hHat != nil { tensors.append((p + ".h_hat", r.comparedTensor)) }
            }
            tensors += rec.attentionDumpTensors
            try Safetensors.write(tensors, metadata: ["computed_steps": String(computedSteps), "view": view.rawValue], to: full)
            return "wrote \(tensors.count) tensors (\(computedSteps) of \(timesteps) timesteps computed) to \(path)"
        case .transcript:
            do { try AtomicFile.write(transcript, to: full) } catch let e as FileWriteError {
                throw SessionError.writeFailed(path: path, reason: e.reason)
            }
            return "wrote transcript to \(path)"
        }
    }
}
