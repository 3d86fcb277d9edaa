import Foundation
import RTFormer

/// The writing side of a session: `save` (the commands that changed state, replayable) and
/// `export` (weights, deploy weights, a recording dump, the transcript). It reads the session and
/// writes files (atomically); it changes no session state. `Session.execute` hands `save` and
/// `export` to it.
struct SessionExport {
    /// The session written out (a transient value: `Session.exporter` makes one per command).
    let session: Session

    /// `save FILE`: writes the state-changing commands run so far as a replayable script.
    /// - Throws: `writeFailed`.
    func save(_ path: String) throws -> String {
        let full = session.resolve(path)
        let text = "# rtformer session, saved \(ISO8601DateFormatter().string(from: Date()))\n" + session.history.joined(separator: "\n") + "\n"
        do { try AtomicFile.write(text, to: full) } catch let e as FileWriteError {
            throw SessionError.writeFailed(path: path, reason: e.reason)
        }
        return "saved \(session.history.count) commands to \(path)"
    }

    /// `export weights|deploy|dump|transcript FILE`.
    /// - Throws: `noModel`, `noDeployTwin`, `writeFailed`, and the writers' errors.
    func export(_ kind: ExportKind, _ path: String) throws -> String {
        let full = session.resolve(path)
        switch kind {
        case .weights:
            guard let unfused = session.unfused else { throw SessionError.noModel }
            try unfused.save(to: full)
            return "wrote unfused weights (\(unfused.orderedWeights.count) tensors) to \(path)"
        case .deploy:
            let deploy = try session.requireDeploy()
            try deploy.save(to: full, metadata: ["fold": session.fold.rawValue])
            return "wrote deploy weights (\(deploy.orderedWeights.count) tensors, fold \(session.fold.rawValue)) to \(path)"
        case .dump:
            guard let unfused = session.unfused else { throw SessionError.noModel }
            let rec = try session.fullRecording(of: session.primaryNetwork ?? unfused, recorder: session.primaryRecorder)
            var tensors: [(String, Tensor)] = []
            if let logits = session.primaryNetwork?.logits ?? unfused.logits { tensors.append(("logits", logits)) }
            for p in rec.lifOrder {
                guard let r = rec.lifs[p] else { continue }
                tensors.append((p + ".spikes", r.tensor(\.spikes)))
                tensors.append((p + ".h", r.tensor(\.h)))
                tensors.append((p + ".v", r.tensor(\.v)))
                if r.hHat != nil { tensors.append((p + ".h_hat", r.comparedTensor)) }
            }
            tensors += rec.attentionDumpTensors
            try Safetensors.write(tensors, metadata: ["computed_steps": String(session.computedSteps), "view": session.view.rawValue], to: full)
            return "wrote \(tensors.count) tensors (\(session.computedSteps) of \(session.timesteps) timesteps computed) to \(path)"
        case .transcript:
            do { try AtomicFile.write(session.transcript, to: full) } catch let e as FileWriteError {
                throw SessionError.writeFailed(path: path, reason: e.reason)
            }
            return "wrote transcript to \(path)"
        }
    }
}

extension Session {
    /// The writing side of the session (`save`, `export`).
    var exporter: SessionExport { SessionExport(session: self) }
}
