import Foundation
import Testing

/// Issue 16 through the executable: a write killed by a signal leaves no temporary file, and the
/// issue's reproductions end in one line and exit code 2, never a crash.
@Suite(.serialized) struct HardeningCLITests {
    @Test(arguments: [("TERM", Int32(15)), ("INT", Int32(2))])
    func signalDuringAWriteRemovesTheTemporaryFile(_ signal: String, _ number: Int32) throws {
        let dir = CLI.temp("sigwrite")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["forward", "--input", "default", "--uncalibrated", "--dump", dir + "/out.safetensors"],
                            environment: ["RTFORMER_DEBUG_WRITE_SIGNAL": signal])
        // Foundation's Process reports a signal death as the signal number.
        #expect(r.status == number, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [])
    }

    @Test func issueReproductionsEndInOneLine() throws {
        let dir = CLI.temp("repro")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dat = try Data(contentsOf: URL(fileURLWithPath: CLI.shared + "/data/events/prophesee_dat/tonic_ncars_sample.dat"))
        try (Data("% Width 9223372036854775807\n% Height 100\n".utf8) + dat).write(to: URL(fileURLWithPath: dir + "/w.dat"))
        let pth = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLI.fixtures + "/pth/spikformer_tiny_state_dict.pth")))
        try Data(pth[..<450] + pth[1450...]).write(to: URL(fileURLWithPath: dir + "/d.pth"))
        try Data("{\"family\": \"spikformer\", \"embed_dims\": 4611686018427387904, \"num_heads\": 8, \"depths\": 2, \"T\": 4}".utf8)
            .write(to: URL(fileURLWithPath: dir + "/c.json"))
        let out = dir + "/o.safetensors"
        let cases: [([String], String)] = [
            (["forward", "--model", "tiny-dvs", "--input", dir + "/w.dat", "--dump", out], "expected a sensor size of 1...65536"),
            (["forward", "--model", "spikformer-tiny", "--input", dir + "/d.pth", "--dump", out], "PyTorch zip"),
            (["forward", "--model", "spikformer-tiny", "--weights", dir + "/d.pth", "--input", "default", "--dump", out], "PyTorch zip"),
            (["info", "--model", dir + "/c.json"], "key 'embed_dims': expected an integer in 8...4096"),
            (["forward", "--timesteps", "1000000", "--input", "default", "--dump", out], "--timesteps must be in 1...1024"),
            (["forward", "--weights", "/dev/zero", "--input", "default", "--dump", out], "expected a regular file, found a character device"),
            (["forward", "--input", "default", "--format", "gif", "--dump", out], "--format must be one of cifar10|cifar100|png"),
            // Was a trap (OpenBLAS thread count converted to Int32) and an endless loop.
            (["bench", "--kernels", "--threads", "9223372036854775807"], "--threads must be in 1...1024"),
            (["bench", "--model", "tiny", "--runs", "9223372036854775807"], "--runs must be in 1...100000"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            // One line, exit 2, never a signal (option validation included).
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func formatOptionNamesTheReader() throws {
        let bin = CLI.shared + "/data/cifar10/cifar10_test_first10.bin"
        let out = CLI.temp("fmt.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ok = try CLI.run(["forward", "--uncalibrated", "--input", bin, "--format", "cifar10", "--index", "3", "--dump", out])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("label 0 (airplane)"))
        let wrong = try CLI.run(["forward", "--uncalibrated", "--input", bin, "--format", "cifar100", "--dump", out])
        #expect(wrong.status == 2 && wrong.stderr.contains("CIFAR-100 batch"), "\(wrong.stderr)")
    }

    @Test func weightsKeyWithEscapeSequencesIsPrintedEscaped() throws {
        // A key that would retitle the terminal (OSC 0) if echoed raw; JSON carries it as \u001b.
        let header = #"{"\u001b]0;PWNED\u0007\u0000":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
        bytes += [0, 0, 128, 63]
        let path = CLI.temp("evil.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["forward", "--model", "tiny", "--weights", path, "--input", "default", "--dump", CLI.temp("o.safetensors")])
        #expect(r.status == 2)
        #expect(!r.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0 }, "\(r.stderr)")
        #expect(r.stderr.contains("\\x1b]0;PWNED\\x07\\0"), "\(r.stderr)")
    }

    @Test func replTypedHugeTimestepsIsAnError() throws {
        let (status, exited, text) = try CLI.typed(["repl", "--uncalibrated"], lines: "input default T 9223372036854775807\nquit\n")
        // The REPL exits 1 after a failed line on a pipe; what matters is a clean exit, not a trap.
        #expect(status == 1 && exited, "\(text)")
        #expect(text.contains("T must be ≤ 1024"))
    }
}
