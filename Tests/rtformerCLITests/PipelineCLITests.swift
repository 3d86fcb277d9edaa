import Foundation
import Testing

/// Issue 10, point 1: one model/input pipeline for the subcommands and the sessions — the same
/// defaults (a seeded model is calibrated on the bundled samples everywhere, or nowhere with
/// `--uncalibrated`) and the same aliases in every subcommand.
@Suite(.serialized) struct PipelineCLITests {
    @Test func calibrateTakesTheAliasesEveryOtherSubcommandTakes() throws {
        for input in ["default", "digits"] {
            let out = CLI.temp("calibrated-\(input).safetensors")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try CLI.run(["calibrate", "--input", input, "--count", "4", "--out", out])
            #expect(r.status == 0, "calibrate --input \(input): \(r.stderr)")
            #expect(r.stdout.contains("calibrated on 4 samples"))
            #expect(FileManager.default.fileExists(atPath: out))
        }
        let bad = try CLI.run(["calibrate", "--input", "default", "--count", "0", "--out", CLI.temp("never.safetensors")])
        #expect(bad.status != 0 && bad.stderr.contains("--count"))
    }

    @Test func aSessionCalibratesASeededModelAsTheSubcommandsDo() throws {
        // The REPL's seeded tiny fires (calibrated); with --uncalibrated nearly nothing does.
        let seeded = try CLI.typed(["repl", "--model", "tiny", "--input", "default"], lines: "run\nexpect spikes > 0\nquit\n")
        #expect(seeded.status == 0, "\(seeded.text)")
        let raw = try CLI.typed(["repl", "--model", "tiny", "--uncalibrated", "--input", "default"],
                                lines: "model tiny uncalibrated\ninput default\nrun\nquit\n")
        #expect(raw.status == 0, "\(raw.text)")
        #expect(raw.text.contains("running statistics 0/1") && !raw.text.contains("calibrated on"))
        let energy = try CLI.run(["energy", "--model", "tiny", "--input", "default"])
        #expect(energy.status == 0 && energy.stderr.contains("calibrated on 10 bundled sample(s)"), "\(energy.stderr)")
        let typed = try CLI.typed(["repl", "--model", "tiny"], lines: "model tiny\ninput default\nquit\n")
        #expect(typed.text.contains("calibrated on 10 bundled sample(s)"), "\(typed.text)")
        // `info` runs nothing: it neither calibrates nor warns of silent neurons.
        let info = try CLI.run(["info", "--model", "tiny"])
        #expect(info.status == 0 && info.stderr.contains("nothing runs, so nothing is calibrated") && !info.stderr.contains("silent"),
                "\(info.stderr)")
    }

    @Test func anEventModelOpensOnTheBundledEventWindow() throws {
        let r = try CLI.typed(["repl", "--model", "tiny-dvs", "--uncalibrated"], lines: "input default\nquit\n")
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("dvsgesture-hand-clapping.bs2"))
    }

    @Test func aChannelMismatchIsOneLineNamingTheModel() throws {
        let r = try CLI.run(["energy", "--model", "tiny-dvs", "--uncalibrated", "--input", "digits"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("digits") && r.stderr.contains("tiny-dvs"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    /// A negative number is a value, not an unknown option: the range check names the option.
    @Test func negativeNumbersReachTheRangeChecks() throws {
        for (args, option) in [(["eval", "--input", "digits", "--limit", "-5"], "--limit"), (["bench", "--threads", "-2"], "--threads"),
                               (["calibrate", "--input", "default", "--batch", "-1", "--out", CLI.temp("never.safetensors")], "--batch")] {
            let r = try CLI.run(args)
            #expect(r.status != 0)
            #expect(r.stderr.contains(option) && !r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
        }
    }
}
