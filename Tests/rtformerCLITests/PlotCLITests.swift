import Foundation
import Testing

/// `rtformer plot` (issue 15 point 5).
@Suite(.serialized) struct PlotCLITests {
    @Test func writesPNGAndSVGAndCSV() throws {
        let png = CLI.temp("rates.png"), svg = CLI.temp("membrane with space.svg"), csv = CLI.temp("tsbn.csv")
        defer { for p in [png, svg, csv] { try? FileManager.default.removeItem(atPath: p) } }
        let a = try CLI.run(["plot", "--input", "digits", "--index", "7", "--layer", "patch_embed.proj_lif", "--kind", "rates", "--t", "1",
                             "--out", png])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("PNG 800x560"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        #expect(bytes[16..<24].elementsEqual([0, 0, 3, 0x20, 0, 0, 2, 0x30]))   // 800 × 560

        let b = try CLI.run(["plot", "--input", "digits", "--layer", "patch_embed.proj_lif", "--neuron", "0,10,12", "--kind", "membrane", "--out", svg])
        #expect(b.status == 0, "\(b.stderr)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<?xml") && text.contains("timestep t") && text.contains("membrane potential"))
        #expect(text.contains("c 0 (y 10, x 12)"), "the chosen neuron is named in the title")

        let c = try CLI.run(["plot", "--input", "digits", "--layer", "patch_embed.proj_tsbn1", "--kind", "tsbn", "--t", "3", "--out", csv])
        #expect(c.status == 0, "\(c.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "channel,gamma,beta,mean,variance,scale,shift,theta,sign")
        #expect(lines.count == 17)   // 16 channels
    }

    @Test func rasterAsCSVAndPNG() throws {
        let csv = CLI.temp("raster.csv"), png = CLI.temp("raster.png")
        defer { for p in [csv, png] { try? FileManager.default.removeItem(atPath: p) } }
        let a = try CLI.run(["plot", "--input", "digits", "--layer", "block.0.attn.q_lif", "--kind", "raster", "--top", "10", "--out", csv])
        #expect(a.status == 0, "\(a.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "channel,position,y,x,t0,t1,t2,t3,count")
        #expect(lines.count == 12)   // header, 10 neurons, per_t
        let counts = lines.dropFirst().dropLast().map { Int($0.split(separator: ",").last!)! }
        #expect(counts == counts.sorted(by: >))
        #expect(lines.last!.hasPrefix("per_t,"))
        let b = try CLI.run(["plot", "--input", "digits", "--layer", "patch_embed.proj_lif", "--neuron", "2,0,0", "--kind", "raster", "--out", png])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("raster figure (PNG"))
    }

    @Test func badArgumentsAreOneLineAndWriteNothing() throws {
        let out = CLI.temp("never.png")
        for args in [["--input", "digits", "--kind", "heat", "--layer", "x", "--out", out],
                     ["--input", "digits", "--kind", "rates", "--layer", "x", "--out", CLI.temp("fig.gif")],
                     ["--kind", "rates", "--layer", "patch_embed.proj_lif", "--out", out],
                     ["--input", "digits", "--kind", "rates", "--out", out],
                     ["--input", "digits", "--kind", "membrane", "--layer", "patch_embed.proj_conv", "--out", out]] {
            let r = try CLI.run(["plot"] + args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.hasPrefix("rtformer: plot") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
