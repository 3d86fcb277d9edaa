import ArgumentParser
import Foundation
import RTFormer
import RTFormerSession

/// `rtformer replay FILE.session [--transcript OUT]`: runs a script headless and prints its
/// transcript; exits 1 when an `expect` fails or a command errors, naming the line.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a .session script headless and print its transcript (exit 1 on a failed expect or an error).")

    @Argument(help: "The script (one command per line, # comments).")
    var file: String

    @Option(name: .long, help: "Also write the transcript to this file.")
    var transcript: String?

    @OptionGroup var options: SessionOptions

    func run() throws {
        let session = Session()
        let preambleErrors = options.apply(to: session)
        for e in preambleErrors { FileHandle.standardError.write(Data(("preamble: " + e + "\n").utf8)) }
        // A model, weights or input option that cannot be used is an error (2), not a failed run (1).
        guard preambleErrors.isEmpty else { throw ExitCode(2) }
        let result: ReplayResult
        do { result = try Replay.run(file: file, in: session) } catch {
            // The script could not be read at all: an error (2), not a failed run (1).
            FileHandle.standardError.write(Data("rtformer: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(result.transcript, terminator: "")
        if let transcript {
            do { try AtomicFile.write(result.transcript, to: transcript) } catch {
                FileHandle.standardError.write(Data("rtformer: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        for f in result.failures {
            FileHandle.standardError.write(Data("\(file):\(f.line): \(f.message.split(separator: "\n").first ?? "")\n".utf8))
        }
        if !result.passed { throw ExitCode(1) }
    }
}
